export { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';
export { secretsConformance, SECRET_SEED, type SecretSeed } from './secretsConformance.js';
export { createTestKernel, verifyPlugin, type TestKernel, type TestKernelOptions } from './testKernel.js';
export { queueConformance, type QueueSubject, type QueueConformanceOptions } from './queueConformance.js';
export { createFakeForge, FAKE_FORGE_DEFAULT_CAPABILITIES, type FakeForge, type FakeForgeOptions, type FakeForgeCall, type FakeForgeMethod, type FakeFailureMode, type FakeCheck } from './fakeForge.js';
export { forgeConformance, type ForgeConformanceHooks } from './forgeConformance.js';
export { runtimeConformance, type RuntimeHarness, type RuntimeSubject } from './runtimeConformance.js';
export { serveGit } from './gitHttpBackend.js';
export { TestGitRepo } from './testGitRepo.js';
