/** The sdk test kit's repository helper, under the name these tests use. */
export { TestGitRepo as GitRepo } from '@helios-ci/sdk/testkit';
