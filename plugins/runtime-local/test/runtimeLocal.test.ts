/** runtime-local: the sdk Runtime conformance suite plus environment isolation, with the real agent. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import { AGENT_ARGV_ECHO, AUTOGROUP_ECHO, startedWithAgentFlags } from './stepEchoes.js';
import * as assert from 'uvu/assert';
import { AgentService, type JobSink, type LogBatch } from '@helios-ci/core';
import { PLAN_VERSION, type JobSpec, type MachineRef } from '@helios-ci/sdk';
import { isAlive } from '@helios-ci/sdk/process-liveness';
import { findTracked } from '@helios-ci/sdk/process-tracking';
import { runtimeConformance, verifyPlugin } from '@helios-ci/sdk/testkit';
import plugin, { defaultAgentPath, LocalRuntime, DEFAULT_LABELS, DEFAULT_PATH, TOOL_CACHE_DIR, WORK_DIR, type LocalRuntimeOptions } from '../src/index.js';
import { DEFAULT_MACHINE_SIZE } from '../src/localRuntime.js';

const root = mkdtempSync(join(tmpdir(), 'helios-runtime-local-test-'));
const repoDir = join(root, 'repo');
mkdirSync(repoDir);
const git = (args: string[]) => {
  const r = spawnSync('git', args, { cwd: repoDir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
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
const handles: { cancel(r: string): void }[] = [];

function jobSpec(jobId: string, script: string): JobSpec {
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
  };
}

class Sink implements JobSink {
  lines: string[] = [];
  connected!: () => void;
  readonly connectedP = new Promise<void>((r) => (this.connected = r));
  onStepStarted() {
    this.connected();
  }
  onLog(b: LogBatch) {
    this.lines.push(...b.lines);
  }
  onStepFinished() {}
  onAnnotation() {}
  onFinished() {}
  onLost() {}
}

function makeRuntime(workRoot: string, extra: Partial<LocalRuntimeOptions> = {}): LocalRuntime {
  return new LocalRuntime({ id: 'local', labels: [...DEFAULT_LABELS], workRoot, agentPath: defaultAgentPath(), path: process.env.PATH ?? DEFAULT_PATH, killGraceMs: 300, ...extra });
}

/** Process groups recorded for a machine, read before destroy removes the directory. */
const groupsSeen = new Map<string, number[]>();
function rememberGroups(workRoot: string, id: string): void {
  const ids: number[] = [];
  try {
    const m = JSON.parse(readFileSync(join(workRoot, id, 'machine.json'), 'utf8')) as { pid: number | null };
    if (m.pid) ids.push(m.pid);
  } catch { /* none */ }
  try {
    ids.push(...readFileSync(join(workRoot, id, 'pgids'), 'utf8').split('\n').map(Number).filter((n) => n > 1));
  } catch { /* none */ }
  groupsSeen.set(id, ids);
}
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return true;
  }
  for (const e of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') return false;
    } catch { /* raced */ }
  }
  return true;
}
import { readdirSync } from 'node:fs';
const readdirProc = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n));

runtimeConformance('runtime-local', async () => {
  const workRoot = mkdtempSync(join(root, 'wr-'));
  const runtime = makeRuntime(workRoot);
  // Wrap destroy so the test can check afterwards that every process group really died.
  const watch = (r: LocalRuntime): LocalRuntime => {
    const destroy = r.destroy.bind(r);
    r.destroy = async (ref: MachineRef) => {
      if (!groupsSeen.has(ref.id)) rememberGroups(workRoot, ref.id);
      return destroy(ref);
    };
    return r;
  };
  return {
    subject: {
      runtime: watch(runtime),
      harness: {
        label: 'local',
        async newAgentJob(jobId) {
          const sink = new Sink();
          const h = service.registerJob(jobSpec(jobId, 'echo up; sleep 300 & sleep 300'), sink);
          handles.push(h);
          return { endpoint, token: h.token, connected: sink.connectedP };
        },
        reopen: async () => watch(makeRuntime(workRoot)),
        halfProvision: async (r, spec) => (r as LocalRuntime).prepare(spec).machine,
        async isGone(ref) {
          if (existsSync(join(workRoot, ref.id))) return false;
          // Step groups can take a moment to be reaped after SIGKILL.
          const deadline = Date.now() + 2000;
          for (;;) {
            if ((groupsSeen.get(ref.id) ?? []).every(groupGone)) return true;
            if (Date.now() > deadline) return false;
            await new Promise((r) => setTimeout(r, 25));
          }
        },
      },
    },
    cleanup: async () => {
      for (const m of await runtime.list()) await runtime.destroy(m);
    },
  };
}).run();

const test = suite('runtime-local');

test('the agent gets a minimal environment: nothing of the server leaks, HOME is the workspace', async () => {
  process.env.HELIOS_TEST_SERVER_SECRET = 'server-only-value-42';
  const workRoot = mkdtempSync(join(root, 'env-'));
  const runtime = makeRuntime(workRoot);
  const sink = new Sink();
  const h = service.registerJob(jobSpec('env-job', 'env | sort'), sink);
  const machine = await runtime.provision({ jobId: 'env-job', label: 'ubuntu-latest', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'success');
  const env = Object.fromEntries(sink.lines.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.not.ok(sink.lines.join('\n').includes('server-only-value-42'), 'server env leaked into the job');
  assert.is(env.HOME, join(workRoot, machine.id, 'home'));
  assert.not.ok('HELIOS_AGENT_TOKEN' in env);
  assert.not.ok(sink.lines.join('\n').includes(h.token), 'the job token is visible to steps');
  assert.is(env.HELIOS_TRACKING_ID, machine.id, 'steps carry the machine tracking marker');
  const allowed = new Set(['PATH', 'HOME', 'LANG', 'TMPDIR', 'PWD', 'SHLVL', 'OLDPWD', '_', 'CI', 'GITHUB_ACTIONS', 'HELIOS_CI', 'HELIOS_TRACKING_ID']);
  for (const k of Object.keys(env)) assert.ok(allowed.has(k) || /^(GITHUB|RUNNER)_/.test(k), `unexpected variable ${k} in the job environment`);
  await runtime.destroy(machine);
  assert.equal(await runtime.list(), []);
  delete process.env.HELIOS_TEST_SERVER_SECRET;
});

test('machineSize: a configured size per label, the configured default for others, 2 CPUs / 4096 MB without config', () => {
  const base = { id: 'local', labels: ['local', 'big', 'medium'], workRoot: join(root, 'sizes'), agentPath: defaultAgentPath(), path: DEFAULT_PATH, killGraceMs: 300 };
  assert.equal(new LocalRuntime(base).machineSize('big'), DEFAULT_MACHINE_SIZE);
  assert.equal(DEFAULT_MACHINE_SIZE, { cpus: 2, memoryMb: 4096 });
  const sized = new LocalRuntime({ ...base, machineSizes: { default: { cpus: 4, memoryMb: 8192 }, labels: { big: { cpus: 16, memoryMb: 65536 } } } });
  assert.equal(sized.machineSize('big'), { cpus: 16, memoryMb: 65536 });
  assert.equal(sized.machineSize('medium'), { cpus: 4, memoryMb: 8192 });
  const err = (() => {
    try {
      sized.machineSize('gpu');
    } catch (e) {
      return e as { code?: string };
    }
    return null;
  })();
  assert.is(err?.code, 'E_LABEL_NOT_FOUND');
});

test('a machine id that is not ours is refused before touching the filesystem', async () => {
  const runtime = makeRuntime(join(root, 'nothing'));
  for (const id of ['../etc', 'hl-zz', '/tmp/x', 'hl-0123456789abcdef/..']) {
    await runtime.destroy({ id, jobId: null }).then(
      () => assert.unreachable(`destroy(${id}) was accepted`),
      (err: { code?: string }) => assert.is(err.code, 'E_MACHINE_ID_INVALID'),
    );
  }
});

test('RUNNER_TOOL_CACHE: <workRoot>/_tool shared by the host\'s trusted jobs; with toolCache: false each job gets its own', async () => {
  const cacheOf = async (runtime: LocalRuntime, jobId: string) => {
    const sink = new Sink();
    const h = service.registerJob(jobSpec(jobId, 'echo "tool-cache=$RUNNER_TOOL_CACHE"; test -d "$RUNNER_TOOL_CACHE" && echo exists'), sink);
    const machine = await runtime.provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, trusted: true });
    assert.is(await h.done, 'success', sink.lines.join('\n'));
    await runtime.destroy(machine);
    assert.ok(sink.lines.includes('exists'), sink.lines.join('\n'));
    return { dir: sink.lines.find((l) => l.startsWith('tool-cache='))!.slice('tool-cache='.length), machine };
  };
  const workRoot = mkdtempSync(join(root, 'tools-'));
  const shared = makeRuntime(workRoot);
  assert.is((await cacheOf(shared, 'tools-a')).dir, join(workRoot, TOOL_CACHE_DIR));
  assert.is((await cacheOf(shared, 'tools-b')).dir, join(workRoot, TOOL_CACHE_DIR));
  const own = await cacheOf(makeRuntime(workRoot, { toolCache: false }), 'tools-c');
  assert.is(own.dir, join(workRoot, own.machine.id, 'home', WORK_DIR, '_tool'));
});

test('RUNNER_TOOL_CACHE of an untrusted job is its own: what it plants there no trusted job sees; trusted jobs still share theirs', async () => {
  const workRoot = mkdtempSync(join(root, 'tools-trust-'));
  const runtime = makeRuntime(workRoot);
  const run = async (jobId: string, script: string, trusted: boolean | undefined) => {
    const sink = new Sink();
    const h = service.registerJob(jobSpec(jobId, script), sink);
    const machine = await runtime.provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, ...(trusted === undefined ? {} : { trusted }) });
    assert.is(await h.done, 'success', sink.lines.join('\n'));
    await runtime.destroy(machine);
    return { lines: sink.lines, machine };
  };
  const plant = 'echo "cache=$RUNNER_TOOL_CACHE"; mkdir -p "$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin" && echo "echo poisoned" > "$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin/node"';
  const look = (tag: string) => `echo "${tag}=$(cat "$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin/node" 2>/dev/null || echo absent)"; echo "cache=$RUNNER_TOOL_CACHE"`;
  const fork = await run('fork-plant', plant, false);
  assert.is(fork.lines.find((l) => l.startsWith('cache=')), `cache=${join(workRoot, fork.machine.id, 'home', WORK_DIR, '_tool')}`);
  // A spec that does not say (an older caller) is untrusted too.
  const unsaid = await run('unsaid-plant', plant, undefined);
  assert.is(unsaid.lines.find((l) => l.startsWith('cache=')), `cache=${join(workRoot, unsaid.machine.id, 'home', WORK_DIR, '_tool')}`);
  assert.not.ok(existsSync(join(workRoot, TOOL_CACHE_DIR, 'node')), 'nothing of the untrusted jobs is in the shared cache');
  const main = await run('main-look', look('main-sees'), true);
  assert.ok(main.lines.includes('main-sees=absent'), main.lines.join('\n'));
  assert.ok(main.lines.includes(`cache=${join(workRoot, TOOL_CACHE_DIR)}`), main.lines.join('\n'));
  // Trusted jobs still share: one downloads, the next finds it.
  await run('main-download', 'mkdir -p "$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin" && echo "echo real" > "$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin/node"', true);
  const next = await run('main-next', look('next-sees'), true);
  assert.ok(next.lines.includes('next-sees=echo real'), next.lines.join('\n'));
  // And a later untrusted job starts empty again, not with the trusted jobs' tools.
  const fork2 = await run('fork-look', look('fork-sees'), false);
  assert.ok(fork2.lines.includes('fork-sees=absent'), fork2.lines.join('\n'));
});

test('jobNice: the agent and every step run at the configured niceness, their sessions too; absent, at the server\'s', async () => {
  const niceOf = async (runtime: LocalRuntime, jobId: string) => {
    const sink = new Sink();
    const h = service.registerJob(jobSpec(jobId, `echo "nice=$(nice)"; sh -c 'echo "child-nice=$(nice)"'; ${AUTOGROUP_ECHO}; ${AGENT_ARGV_ECHO}`), sink);
    const machine = await runtime.provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
    assert.is(await h.done, 'success', sink.lines.join('\n'));
    await runtime.destroy(machine);
    // nice(1) or not, the agent's node gets AGENT_NODE_FLAGS before the bundle.
    assert.ok(startedWithAgentFlags(sink.lines), sink.lines.join('\n'));
    return ['nice=', 'child-nice=', 'autogroup='].map((p) => sink.lines.find((l) => l.startsWith(p)));
  };
  const workRoot = mkdtempSync(join(root, 'nice-'));
  const own = getPriority();
  // Autogroup scheduling shares the CPU between sessions first: each step's session must carry the nice value too.
  const autogroup = (n: number) => (existsSync('/proc/self/autogroup') ? `autogroup=${n}` : 'autogroup=none');
  assert.equal(await niceOf(makeRuntime(workRoot, { jobNice: 7 }), 'nice-a'), [`nice=${Math.max(7, own)}`, `child-nice=${Math.max(7, own)}`, autogroup(7)]);
  assert.equal(await niceOf(makeRuntime(workRoot), 'nice-b'), [`nice=${own}`, `child-nice=${own}`, autogroup(0)]);
});

test('the plugin loads through the kernel with its documented defaults', async () => {
  const steps = await verifyPlugin(plugin, { config: { workRoot: join(root, 'kernel-wr') } });
  const failed = steps.filter((s) => !s.ok);
  assert.equal(failed, [], JSON.stringify(failed));
});

/**
 * A step that leaves two daemons behind: `setsid` (its own session and group) and a double fork
 * (setsid + a grandchild whose parent exits, so it is reparented to init). Each writes its own pid.
 * A job env tries to clear the marker: the agent sets it last.
 */
const DAEMONS = [
  `setsid sh -c 'echo $$ > d1.pid; exec sleep 1000' >/dev/null 2>&1 &`,
  `( setsid sh -c 'sh -c "echo \\$\\$ > d2.pid; exec sleep 1000" >/dev/null 2>&1 & ' & )`,
  'while [ ! -s d1.pid ] || [ ! -s d2.pid ]; do sleep 0.05; done',
  'echo "daemon-pid=$(cat d1.pid)"; echo "daemon-pid=$(cat d2.pid)"',
].join('\n');

function daemonSpec(jobId: string, tail: string): JobSpec {
  const spec = jobSpec(jobId, `${DAEMONS}\n${tail}`);
  spec.job.env = { HELIOS_TRACKING_ID: '' };
  return spec;
}

/** Every daemon pid seen is also killed at the end, so a failing test leaves nothing behind. */
const seenDaemons = new Set<number>();
const daemonPids = (lines: string[]) => {
  const pids = lines.map((l) => /^daemon-pid=(\d+)$/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
  for (const p of pids) seenDaemons.add(p);
  return pids;
};

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return cond();
}

/** A process of another machine: same variable, a different marker. */
function otherMachineProcess(): number {
  const c = spawn('sleep', ['1000'], { env: { PATH: process.env.PATH, HELIOS_TRACKING_ID: 'hl-ffffffffffffffff' }, detached: true, stdio: 'ignore' });
  c.unref();
  others.push(c.pid!);
  return c.pid!;
}
const others: number[] = [];

test('setsid and double-forked daemons of a step do not survive the job end', async () => {
  const workRoot = mkdtempSync(join(root, 'daemon-end-'));
  const runtime = makeRuntime(workRoot);
  const sink = new Sink();
  const h = service.registerJob(daemonSpec('daemon-end', 'exit 0'), sink);
  const machine = await runtime.provision({ jobId: 'daemon-end', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'success', sink.lines.join('\n'));
  const pids = daemonPids(sink.lines);
  assert.is(pids.length, 2, sink.lines.join('\n'));
  // The agent reports only after its cleanup: the daemons are gone before destroy.
  assert.ok(await until(() => pids.every((p) => !isAlive(p))), `daemons survived the job end: ${pids.filter(isAlive).join(', ')}`);
  await runtime.destroy(machine);
});

test('daemons of a step cancelled mid-step are killed; a process of another machine is left alone', async () => {
  const workRoot = mkdtempSync(join(root, 'daemon-cancel-'));
  const runtime = makeRuntime(workRoot);
  const other = otherMachineProcess();
  const sink = new Sink();
  const h = service.registerJob(daemonSpec('daemon-cancel', 'sleep 1000'), sink);
  const machine = await runtime.provision({ jobId: 'daemon-cancel', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.ok(await until(() => daemonPids(sink.lines).length === 2), sink.lines.join('\n'));
  const pids = daemonPids(sink.lines);
  h.cancel('test cancels');
  assert.is(await h.done, 'cancelled');
  assert.ok(await until(() => pids.every((p) => !isAlive(p))), `daemons survived the cancel: ${pids.filter(isAlive).join(', ')}`);
  await runtime.destroy(machine);
  assert.ok(isAlive(other), 'a process with another machine marker was killed');
  process.kill(other, 'SIGKILL');
});

test('agent killed with SIGKILL, server restarted: destroy from list() kills the daemons, not another machine', async () => {
  const workRoot = mkdtempSync(join(root, 'daemon-crash-'));
  const runtime = makeRuntime(workRoot);
  const other = otherMachineProcess();
  const sink = new Sink();
  const h = service.registerJob(daemonSpec('daemon-crash', 'sleep 1000'), sink);
  handles.push(h);
  const machine = await runtime.provision({ jobId: 'daemon-crash', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.ok(await until(() => daemonPids(sink.lines).length === 2), sink.lines.join('\n'));
  const pids = daemonPids(sink.lines);
  const agentPid = (JSON.parse(readFileSync(join(workRoot, machine.id, 'machine.json'), 'utf8')) as { pid: number }).pid;
  process.kill(agentPid, 'SIGKILL');
  assert.ok(await until(() => !isAlive(agentPid)));
  // The agent had no chance to clean up: the daemons live on, carrying the marker.
  for (const p of pids) assert.ok(isAlive(p), `daemon ${p} should still be alive before reconcile`);
  assert.ok(pids.every((p) => findTracked(machine.id).includes(p)));
  // A fresh runtime instance, as after a server restart: the reconciler destroys what list() finds.
  const restarted = makeRuntime(workRoot);
  const leftovers = await restarted.list();
  assert.equal(leftovers.map((m) => m.id), [machine.id]);
  for (const m of leftovers) await restarted.destroy(m);
  assert.ok(await until(() => pids.every((p) => !isAlive(p))), `daemons survived reconcile: ${pids.filter(isAlive).join(', ')}`);
  assert.equal(findTracked(machine.id).filter(isAlive), []);
  assert.ok(isAlive(other), 'a process with another machine marker was killed');
  process.kill(other, 'SIGKILL');
});

test.after(async () => {
  for (const p of [...others, ...seenDaemons]) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  for (const h of handles) h.cancel('test over');
  await service.stop();
  rmSync(root, { recursive: true, force: true });
});

test.run();
