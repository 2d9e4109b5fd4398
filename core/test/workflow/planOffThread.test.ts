import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError, type PlanEvent } from '@helios-ci/sdk';
import { FileRefusedError, plan, planOffThread, type ReadFile } from '../../src/workflow/index.js';
import { planningTooLongForASecond } from './heavyWorkflows.js';

const push: PlanEvent = { name: 'push', ref: 'refs/heads/main', sha: 'a'.repeat(40) };
const ci = {
  path: '.github/workflows/ci.yml',
  content: 'on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - uses: ./.github/actions/setup\n        with: { who: world }\n      - run: make\n',
};
const action = 'name: setup\ndescription: setup\ninputs:\n  who: { description: who, default: nobody }\nruns:\n  using: composite\n  steps:\n    - run: echo hello ${{ inputs.who }}\n      shell: bash\n';

test('a plan made in the worker equals the one made in-thread; files it needs are asked for by message', async () => {
  const asked: string[] = [];
  const readFile: ReadFile = async (path) => (asked.push(path), path === '.github/actions/setup/action.yml' ? action : null);
  const request = { files: [ci], event: push, labels: ['local'], readFile };
  const inThread = await plan(request);
  asked.length = 0;
  const offThread = await planOffThread(request);
  assert.equal(asked, ['.github/actions/setup/action.yml']);
  assert.equal(offThread, inThread);
  assert.is(offThread.jobs.length, 1);
  assert.equal(offThread.problems, []);
});

test('over its budget the worker is stopped and the plan carries one problem naming the file and the limit', async () => {
  let exited: Promise<number> | null = null;
  const files = planningTooLongForASecond();
  const result = await planOffThread({ files, event: push, labels: ['local'], readFile: async () => null }, { timeoutMs: 1000, onWorker: (w) => (exited = new Promise((r) => w.once('exit', r))) });
  assert.equal(result.jobs, []);
  assert.is(result.problems.length, 1);
  const p = result.problems[0]!;
  assert.is(p.code, 'E_WORKFLOW_TIMEOUT');
  assert.match(p.message, /^planning took longer than 1 s \(limit: plan time per event\) and was stopped/);
  assert.ok(files.some((f) => f.path === p.file), `names a workflow file: ${p.file}`);
  assert.is(await exited!, 1, 'the worker was terminated');
});

test('a failed read keeps its own error (a forge outage stays retryable), and a refused file is a problem', async () => {
  const outage = new HeliosError('E_FORGE_UNAVAILABLE', 'forge down');
  const err = await planOffThread({ files: [ci], event: push, labels: ['local'], readFile: async () => { throw outage; } }).catch((e: unknown) => e);
  assert.is(err, outage);
  const refused = await planOffThread({
    files: [ci],
    event: push,
    labels: ['local'],
    readFile: async (path) => { throw new FileRefusedError(path, `${path} is a symbolic link to a file outside the repository; Helios does not follow it`); },
  });
  assert.equal(refused.jobs, []);
  assert.equal(refused.problems.map((p) => [p.file, p.code]), [['.github/actions/setup/action.yml', 'E_WORKFLOW_SYMLINK']]);
});

test.run();
