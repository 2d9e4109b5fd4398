/** runtime-local warm paths: the config it refuses, and the agent linking paths into a warm volume. */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AgentService, type JobSink, type LogBatch } from '@helios-ci/core';
import { PLAN_VERSION, type JobSpec, type Volume } from '@helios-ci/sdk';
import { verifyPlugin } from '@helios-ci/sdk/testkit';
import plugin, { defaultAgentPath, DEFAULT_PATH, LocalRuntime, WORK_DIR } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'helios-runtime-local-warm-'));
const repoDir = join(root, 'repo');
mkdirSync(repoDir);
const git = (args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: repoDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};
git(['init', '-q']);
writeFileSync(join(repoDir, 'f.txt'), 'x\n');
git(['add', '.']);
git(['commit', '-q', '-m', 'one']);
const sha = git(['rev-parse', 'HEAD']);

const service = new AgentService({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000 });
const { endpoint } = await service.start();

function jobSpec(jobId: string, script: string, warmPaths: string[]): JobSpec {
  return {
    planVersion: PLAN_VERSION,
    runId: 'r1',
    jobId,
    job: {
      id: jobId, workflow: { file: 'ci.yml', name: 'CI' }, jobKey: 'build', name: 'build', matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
      defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 10, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null },
      outputs: {}, secretNames: [],
      steps: [{ id: 'main', name: 'main', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: script, shell: null, workingDirectory: null }],
    },
    repository: { fullName: 'acme/widget', cloneUrl: `file://${repoDir}`, sha, ref: 'refs/heads/main' },
    github: {}, needs: {}, inputs: {}, vars: {}, secrets: {},
    warmPaths,
  };
}

class Sink implements JobSink {
  lines: string[] = [];
  onStepStarted() {}
  onLog(b: LogBatch) {
    this.lines.push(...b.lines);
  }
  onStepFinished() {}
  onAnnotation() {}
  onFinished() {}
  onLost() {}
}

const base = { id: 'local', labels: ['local', 'big'], agentPath: defaultAgentPath(), path: process.env.PATH ?? DEFAULT_PATH, killGraceMs: 300 };

function configError(warmPaths: Record<string, string[]>): { code?: string; message: string } | null {
  try {
    new LocalRuntime({ ...base, workRoot: join(root, 'cfg'), warmPaths });
    return null;
  } catch (err) {
    return err as { code?: string; message: string };
  }
}

const test = suite('runtime-local warm paths');

test('warmPaths(label): the configured list, empty for labels without one', () => {
  const runtime = new LocalRuntime({ ...base, workRoot: join(root, 'cfg'), warmPaths: { big: ['target', '~/.cargo/registry'] } });
  assert.equal(runtime.warmPaths('big'), ['target', '~/.cargo/registry']);
  assert.equal(runtime.warmPaths('local'), []);
});

test('bad warmPaths are refused with E_CONFIG_INVALID naming the label and the problem', () => {
  const cases: [Record<string, string[]>, RegExp][] = [
    [{ gpu: ['target'] }, /names label "gpu", which this runtime does not serve/],
    [{ local: ['../up'] }, /warmPaths\.local: warm path "\.\.\/up" contains \.\./],
    [{ local: ['a/../../b'] }, /contains \.\./],
    [{ local: ['/var/cache'] }, /is absolute; write ~\/… for a path under the job's HOME/],
    [{ local: ['~'] }, /is the job's HOME itself/],
    [{ local: ['~root/x'] }, /only ~\/ \(the job's own HOME\)/],
    [{ local: ['.'] }, /is the workspace itself/],
    [{ local: ['./'] }, /is the workspace itself/],
    // The agent's work directory under the job HOME (the workspace is below it).
    [{ local: [`~/${WORK_DIR}`] }, new RegExp(`inside the agent's work directory ~/${WORK_DIR}`)],
    [{ local: [`~/${WORK_DIR}/widget/target`] }, /inside the agent's work directory/],
    [{ local: ['target', 'target/debug'] }, /"target\/debug" is inside warm path "target"/],
    [{ local: ['target', 'target'] }, /listed twice/],
    [{ local: ['a;rm -rf /'] }, /characters outside/],
    [{ local: ['a$(id)'] }, /characters outside/],
    [{ local: ['a//b'] }, /empty segment/],
    [{ local: ['.git/hooks'] }, /inside the repository's \.git directory/],
    [{ local: Array.from({ length: 17 }, (_, i) => `p${i}`) }, /17 warm paths; at most 16/],
  ];
  for (const [config, message] of cases) {
    const err = configError(config);
    assert.ok(err, `accepted ${JSON.stringify(config)}`);
    assert.is(err!.code, 'E_CONFIG_INVALID', err!.message);
    assert.match(err!.message, message);
  }
  // Prefix that is not a parent: both are fine.
  assert.is(configError({ local: ['target', 'target2', '~/.cargo/registry', '~/.cache/pip'] }), null);
});

test('the kernel refuses a bad warmPaths at registration, so config check reports it', async () => {
  const steps = await verifyPlugin(plugin, { config: { workRoot: join(root, 'kernel-wr'), labels: ['local'], warmPaths: { local: ['../../etc'] } } });
  const failed = steps.find((s) => !s.ok);
  assert.ok(failed, JSON.stringify(steps));
  assert.is(failed!.code, 'E_CONFIG_INVALID');
  assert.match(failed!.detail, /contains \.\./);
});

test('with a warm volume the agent links each path to <volume>/<i> and the step writes into the volume', async () => {
  const workRoot = mkdtempSync(join(root, 'wr-'));
  const volumeDir = mkdtempSync(join(root, 'vol-'));
  mkdirSync(join(volumeDir, '1'));
  writeFileSync(join(volumeDir, '1', 'kept.txt'), 'from the head\n');
  const runtime = new LocalRuntime({ ...base, workRoot, warmPaths: { local: ['target', '~/.cache/tool'] } });
  const sink = new Sink();
  const script = 'echo "home has $(cat ~/.cache/tool/kept.txt)"; mkdir -p target/debug && echo built > target/debug/out';
  const h = service.registerJob(jobSpec('warm-job', script, ['target', '~/.cache/tool']), sink);
  const volume: Volume = { id: 'v1', kind: 'warm', location: volumeDir, jobId: 'warm-job' };
  const machine = await runtime.provision({ jobId: 'warm-job', label: 'local', cpus: 1, memoryMb: 256, volumes: [volume], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'success', sink.lines.join('\n'));
  const home = join(workRoot, machine.id, 'home');
  const link = join(home, 'work', 'widget', 'target');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.is(readlinkSync(link), join(volumeDir, '0'));
  assert.is(readlinkSync(join(home, '.cache', 'tool')), join(volumeDir, '1'));
  assert.ok(sink.lines.includes('home has from the head'), sink.lines.join('\n'));
  await runtime.destroy(machine);
  // The machine is gone; what the job built stays in the volume.
  assert.not.ok(existsSync(join(workRoot, machine.id)));
  assert.is(readFileSync(join(volumeDir, '0', 'debug', 'out'), 'utf8'), 'built\n');
});

test('a warm volume whose location is not an absolute existing directory is refused at provision', async () => {
  const workRoot = mkdtempSync(join(root, 'wr-'));
  const runtime = new LocalRuntime({ ...base, workRoot, warmPaths: { local: ['target'] } });
  for (const location of ['relative/dir', join(root, 'missing'), `${root}/../etc`]) {
    const h = service.registerJob(jobSpec(`bad-${location.length}`, 'true', ['target']), new Sink());
    await runtime.provision({ jobId: `bad-${location.length}`, label: 'local', cpus: 1, memoryMb: 256, volumes: [{ id: 'v', kind: 'warm', location, jobId: 'x' }], agent: { endpoint, token: h.token } }).then(
      () => assert.unreachable(`location ${location} was accepted`),
      (err: { code?: string }) => assert.is(err.code, 'E_PROVISION_FAILED'),
    );
    h.cancel('test over');
  }
  assert.equal(await runtime.list(), [], 'a refused provision leaves no machine');
});

test('a job with warm paths but no warm volume fails its setup clearly', async () => {
  const workRoot = mkdtempSync(join(root, 'wr-'));
  const runtime = new LocalRuntime({ ...base, workRoot, warmPaths: { local: ['target'] } });
  const sink = new Sink();
  const h = service.registerJob(jobSpec('no-volume', 'echo should not run', ['target']), sink);
  const machine = await runtime.provision({ jobId: 'no-volume', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'failure');
  assert.ok(sink.lines.some((l) => /the job has warm paths \(target\) but the runtime gave this agent no warm volume/.test(l)), sink.lines.join('\n'));
  assert.not.ok(sink.lines.includes('should not run'));
  await runtime.destroy(machine);
});

test.after(async () => {
  await service.stop();
  rmSync(root, { recursive: true, force: true });
});

test.run();
