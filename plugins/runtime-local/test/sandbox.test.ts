/**
 * runtime-local with the bubblewrap sandbox (real bwrap, the real agent over gRPC): the sdk Runtime
 * conformance suite, the network (only the agent endpoint and the egress proxy are reachable, through
 * the relay; another loopback server on the host is not, nor the proxy's host port directly), the
 * bootstrap file in both modes, crash recovery (a restarted runtime destroys a listed sandbox and
 * every process in it), `sandbox: required` without bubblewrap, and `helios doctor`'s verdicts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import { AGENT_ARGV_ECHO, AUTOGROUP_ECHO, startedWithAgentFlags } from './stepEchoes.js';
import * as assert from 'uvu/assert';
import { AgentService, type JobSink, type LogBatch } from '@helios-ci/core';
import { PLAN_VERSION, type JobSpec, type MachineRef, type MachineSpec } from '@helios-ci/sdk';
import { isAlive } from '@helios-ci/sdk/process-liveness';
import { requireComponent, runHeliosDoctor, runtimeConformance, verifyPlugin } from '@helios-ci/sdk/testkit';
import plugin, { decideSandbox, decideSandboxAsync, defaultAgentPath, findBwrap, INSIDE_PROXY_PORT, LocalRuntime, DEFAULT_LABELS, DEFAULT_PATH, TOOL_CACHE_DIR } from '../src/index.js';

const bwrap = findBwrap(DEFAULT_PATH);
const bwrapProblem = bwrap ? (spawnSync(bwrap, ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', 'true']).status === 0 ? null : `${bwrap} does not work here`) : 'bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)';

const root = mkdtempSync(join(tmpdir(), 'helios-sandbox-test-'));
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
/** Stands for the server's data dir: protected, so the sandbox hides it. */
const dataDir = join(root, 'data');
mkdirSync(dataDir);
writeFileSync(join(dataDir, 'helios.db'), 'SQLite format 3\0');

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

/** As the orchestrator does for a file:// clone URL: the source directory goes into the spec. */
class SandboxedRuntime extends LocalRuntime {
  override provision(spec: MachineSpec) {
    return super.provision({ sourceDir: repoDir, ...spec });
  }
}

function makeRuntime(workRoot: string, sandboxed = true): LocalRuntime {
  const opts = { id: 'local', labels: [...DEFAULT_LABELS], workRoot, agentPath: defaultAgentPath(), path: process.env.PATH ?? DEFAULT_PATH, killGraceMs: 300 };
  return sandboxed ? new SandboxedRuntime({ ...opts, sandbox: { bwrap: bwrap!, protectedPaths: () => [dataDir] } }) : new LocalRuntime(opts);
}

/** Host pids whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return cond();
}

const markerPid = (workRoot: string, id: string): number | null => {
  try {
    return (JSON.parse(readFileSync(join(workRoot, id, 'machine.json'), 'utf8')) as { pid: number | null }).pid;
  } catch {
    return null;
  }
};

const test = requireComponent(suite('runtime-local sandbox'), bwrapProblem);

if (!bwrapProblem) {
  const bwrapPids = new Map<string, number>();
  const sleeps = new Map<string, string>();
  runtimeConformance('runtime-local (sandbox)', async () => {
    const workRoot = mkdtempSync(join(root, 'wr-'));
    const runtime = makeRuntime(workRoot);
    const watch = (r: LocalRuntime): LocalRuntime => {
      const destroy = r.destroy.bind(r);
      r.destroy = async (ref: MachineRef) => {
        const pid = markerPid(workRoot, ref.id);
        if (pid && !bwrapPids.has(ref.id)) bwrapPids.set(ref.id, pid);
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
            const mark = `300.${parseInt(randomBytes(3).toString('hex'), 16)}`;
            const h = service.registerJob(jobSpec(jobId, `echo up; sleep ${mark} & sleep ${mark}`), sink);
            handles.push(h);
            sleeps.set(jobId, mark);
            return { endpoint, token: h.token, connected: sink.connectedP };
          },
          reopen: async () => watch(makeRuntime(workRoot)),
          halfProvision: async (r, spec) => (r as LocalRuntime).prepare(spec).machine,
          async isGone(ref) {
            if (existsSync(join(workRoot, ref.id))) return false;
            const pid = bwrapPids.get(ref.id);
            const mark = ref.jobId ? sleeps.get(ref.jobId) : undefined;
            return until(() => (pid === undefined || !isAlive(pid)) && (mark === undefined || processesWith(`sleep\0${mark}`).length === 0), 2000);
          },
        },
      },
      cleanup: async () => {
        for (const m of await runtime.list()) await runtime.destroy(m);
      },
    };
  }).run();
}

/** A loopback HTTP server answering `body`. */
async function httpServer(body: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

test('network: the egress proxy through the relay works; another host loopback server and the proxy host port are unreachable', async () => {
  const proxy = await httpServer('via-proxy');
  const other = await httpServer('host-service');
  try {
    const workRoot = mkdtempSync(join(root, 'net-'));
    const runtime = makeRuntime(workRoot);
    const sink = new Sink();
    const curl = (url: string, tag: string) => `if body=$(curl -sS --max-time 3 ${url} 2>&1); then echo "${tag} ok $body"; else echo "${tag} failed"; fi`;
    const script = [
      'grep -o \'"egressProxy":"[^"]*"\' "$HOME/../bootstrap.json"',
      curl(`http://127.0.0.1:${INSIDE_PROXY_PORT}/`, 'PROXY'),
      curl(`http://127.0.0.1:${other.port}/`, 'OTHER'),
      curl(`http://127.0.0.1:${proxy.port}/`, 'PROXY-HOST-PORT'),
      `if cat ${dataDir}/helios.db >/dev/null 2>&1; then echo DATA readable; else echo DATA hidden; fi`,
      'echo "pid1=$(cat /proc/1/comm)"',
      'echo "forwards-env=${HELIOS_SANDBOX_FORWARDS:-unset}"',
    ].join('\n');
    const h = service.registerJob(jobSpec('net-job', script), sink);
    const machine = await runtime.provision({ jobId: 'net-job', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, egress: { proxy: `127.0.0.1:${proxy.port}` } });
    assert.is(await h.done, 'success', sink.lines.join('\n'));
    const out = sink.lines.join('\n');
    assert.match(out, `"egressProxy":"127.0.0.1:${INSIDE_PROXY_PORT}"`);
    assert.match(out, 'PROXY ok via-proxy');
    assert.match(out, 'OTHER failed');
    assert.match(out, 'PROXY-HOST-PORT failed');
    assert.match(out, 'DATA hidden');
    assert.match(out, 'pid1=bwrap', 'the job has its own PID namespace');
    assert.match(out, 'forwards-env=unset', "the relay's variable does not reach steps");
    await runtime.destroy(machine);
    assert.equal(await runtime.list(), []);

    // The same script without the sandbox: the host servers are reachable directly (what the sandbox takes away).
    const plain = makeRuntime(mkdtempSync(join(root, 'net-plain-')), false);
    const sink2 = new Sink();
    const h2 = service.registerJob(jobSpec('net-plain', script), sink2);
    const m2 = await plain.provision({ jobId: 'net-plain', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h2.token }, egress: { proxy: `127.0.0.1:${proxy.port}` } });
    assert.is(await h2.done, 'success', sink2.lines.join('\n'));
    const out2 = sink2.lines.join('\n');
    assert.match(out2, `"egressProxy":"127.0.0.1:${proxy.port}"`, 'unsandboxed, the agent gets the proxy address as is');
    assert.match(out2, 'OTHER ok host-service');
    assert.match(out2, 'PROXY-HOST-PORT ok via-proxy');
    assert.match(out2, 'DATA readable');
    await plain.destroy(m2);
  } finally {
    proxy.server.close();
    other.server.close();
  }
});

test('jobNice in the sandbox: the agent inside bwrap lowers its own priority, and its steps inherit it', async () => {
  const workRoot = mkdtempSync(join(root, 'nice-'));
  const runtime = new SandboxedRuntime({ id: 'local', labels: [...DEFAULT_LABELS], workRoot, agentPath: defaultAgentPath(), path: process.env.PATH ?? DEFAULT_PATH, killGraceMs: 300, jobNice: 9, sandbox: { bwrap: bwrap!, protectedPaths: () => [dataDir] } });
  const sink = new Sink();
  const h = service.registerJob(jobSpec('nice-sandboxed', `echo "nice=$(nice)"; ${AUTOGROUP_ECHO}; ${AGENT_ARGV_ECHO}`), sink);
  handles.push(h);
  const machine = await runtime.provision({ jobId: 'nice-sandboxed', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'success', sink.lines.join('\n'));
  await runtime.destroy(machine);
  assert.ok(sink.lines.includes(`nice=${Math.max(9, getPriority())}`), sink.lines.join('\n'));
  assert.ok(sink.lines.includes(existsSync('/proc/self/autogroup') ? 'autogroup=9' : 'autogroup=none'), sink.lines.join('\n'));
  // Inside bwrap too, the agent's node got AGENT_NODE_FLAGS (before the relay preload and the bundle).
  assert.ok(startedWithAgentFlags(sink.lines), sink.lines.join('\n'));
});

test('no egress proxy: the bootstrap file has no egressProxy and the job still runs', async () => {
  const workRoot = mkdtempSync(join(root, 'noproxy-'));
  const runtime = makeRuntime(workRoot);
  const sink = new Sink();
  const h = service.registerJob(jobSpec('noproxy', 'grep -c egressProxy "$HOME/../bootstrap.json" || echo "no-proxy-field"'), sink);
  const machine = await runtime.provision({ jobId: 'noproxy', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.is(await h.done, 'success', sink.lines.join('\n'));
  assert.ok(sink.lines.includes('no-proxy-field'), sink.lines.join('\n'));
  await runtime.destroy(machine);
});

test('the shared tool cache is writable inside the sandbox and the next job of the host finds what the last one left', async () => {
  const workRoot = mkdtempSync(join(root, 'tools-'));
  const runtime = makeRuntime(workRoot);
  const jobs = [
    ['tools-1', 'echo "cache=$RUNNER_TOOL_CACHE"; mkdir -p "$RUNNER_TOOL_CACHE/fake/1.0" && echo downloaded > "$RUNNER_TOOL_CACHE/fake/1.0/bin"'],
    ['tools-2', 'cat "$RUNNER_TOOL_CACHE/fake/1.0/bin"'],
  ] as const;
  const outputs: string[][] = [];
  for (const [jobId, script] of jobs) {
    const sink = new Sink();
    const h = service.registerJob(jobSpec(jobId, script), sink);
    const machine = await runtime.provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, trusted: true });
    assert.is(await h.done, 'success', sink.lines.join('\n'));
    outputs.push(sink.lines);
    await runtime.destroy(machine);
  }
  assert.ok(outputs[0]!.includes(`cache=${join(workRoot, TOOL_CACHE_DIR)}`), outputs[0]!.join('\n'));
  assert.ok(outputs[1]!.includes('downloaded'), outputs[1]!.join('\n'));
  assert.is(readFileSync(join(workRoot, TOOL_CACHE_DIR, 'fake/1.0/bin'), 'utf8'), 'downloaded\n');
  assert.equal(await runtime.list(), [], 'the tool cache is not a machine');
});

test('sandboxed untrusted job: the shared tool cache is neither writable nor visible; its own cache dies with it; trusted jobs still share', async () => {
  // workRoot outside the hidden /tmp and data dir, so only the tool cache's own hiding keeps it from view.
  const workRoot = mkdtempSync(join(process.cwd(), '.tools-sandbox-'));
  try {
    const runtime = makeRuntime(workRoot);
    const shared = join(workRoot, TOOL_CACHE_DIR);
    const run = async (jobId: string, script: string, trusted: boolean) => {
      const sink = new Sink();
      const h = service.registerJob(jobSpec(jobId, script), sink);
      const machine = await runtime.provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, trusted });
      assert.is(await h.done, 'success', sink.lines.join('\n'));
      await runtime.destroy(machine);
      return sink.lines;
    };
    await run('trusted-seed', 'mkdir -p "$RUNNER_TOOL_CACHE/go/1.22/bin" && echo real > "$RUNNER_TOOL_CACHE/go/1.22/bin/go"', true);
    const fork = await run('fork-plant', [
      `echo "shared=$(ls ${shared} 2>&1 | tr '\n' ' ')"`,
      `(echo poisoned > ${shared}/go/1.22/bin/go) 2>/dev/null && echo "overwrote" || echo "refused"`,
      `echo "cache=$RUNNER_TOOL_CACHE"`,
      'mkdir -p "$RUNNER_TOOL_CACHE/node/20/bin" && echo poisoned > "$RUNNER_TOOL_CACHE/node/20/bin/node" && echo planted',
    ].join('; '), false);
    assert.ok(fork.includes('shared='), `the shared cache shows empty inside: ${fork.join('\n')}`);
    assert.ok(fork.includes('refused'), fork.join('\n'));
    assert.ok(fork.includes('planted'), fork.join('\n'));
    assert.not.ok(fork.includes(`cache=${shared}`), fork.join('\n'));
    assert.is(readFileSync(join(shared, 'go/1.22/bin/go'), 'utf8'), 'real\n');
    assert.not.ok(existsSync(join(shared, 'node')));
    const main = await run('main-look', 'echo "node=$(cat "$RUNNER_TOOL_CACHE/node/20/bin/node" 2>/dev/null || echo absent)"; echo "go=$(cat "$RUNNER_TOOL_CACHE/go/1.22/bin/go")"', true);
    assert.ok(main.includes('node=absent'), main.join('\n'));
    assert.ok(main.includes('go=real'), main.join('\n'));
    assert.equal(await runtime.list(), []);
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
});

test('server restarted: destroy from list() ends the sandbox and every process in it (env -i setsid included)', async () => {
  const workRoot = mkdtempSync(join(root, 'crash-'));
  const runtime = makeRuntime(workRoot);
  const mark = `1000.${parseInt(randomBytes(3).toString('hex'), 16)}`;
  const sink = new Sink();
  const h = service.registerJob(jobSpec('crash', `env -i setsid sleep ${mark} >/dev/null 2>&1 &\nsetsid sleep ${mark} >/dev/null 2>&1 &\necho started\nsleep 1000`), sink);
  handles.push(h);
  const machine = await runtime.provision({ jobId: 'crash', label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token } });
  assert.ok(await until(() => sink.lines.includes('started') && processesWith(`sleep\0${mark}`).length === 2), sink.lines.join('\n'));
  const marker = JSON.parse(readFileSync(join(workRoot, machine.id, 'machine.json'), 'utf8')) as { pid: number; sandbox?: boolean };
  assert.is(marker.sandbox, true);
  assert.ok(!existsSync(join(workRoot, machine.id, 'pgids')), 'no namespace pids are written where the host would signal them');
  const restarted = makeRuntime(workRoot);
  const leftovers = await restarted.list();
  assert.equal(leftovers.map((m) => m.id), [machine.id]);
  for (const m of leftovers) await restarted.destroy(m);
  assert.ok(await until(() => !isAlive(marker.pid) && processesWith(`sleep\0${mark}`).length === 0, 5000), `survivors: ${processesWith(`sleep\0${mark}`).join(', ')}`);
  await runtime.destroy(machine);
});

test('sandbox: required without bubblewrap on config.path fails with E_SANDBOX_UNAVAILABLE; auto falls back (unsandboxed); off never probes', () => {
  const empty = mkdtempSync(join(root, 'nobwrap-'));
  try {
    decideSandbox('local', 'required', empty);
    assert.unreachable('required without bwrap was accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_SANDBOX_UNAVAILABLE');
    assert.match((err as Error).message, /apt-get install bubblewrap/);
  }
  assert.equal(decideSandbox('local', 'auto', empty), { on: false, why: 'bubblewrap (bwrap) is not installed' });
  assert.equal(decideSandbox('local', 'off', DEFAULT_PATH), { on: false, why: 'config sandbox: off' });
  assert.equal(decideSandbox('local', 'auto', DEFAULT_PATH), { on: true, bwrap: bwrap! });
});

test('the asynchronous probe decides as the synchronous one: missing, refusing (its first stderr line), working, off', async () => {
  const empty = mkdtempSync(join(root, 'nobwrap-'));
  const refusing = mkdtempSync(join(root, 'refusing-'));
  writeFileSync(join(refusing, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\necho more >&2\nexit 1\n', { mode: 0o755 });
  const cases: ['auto' | 'off', string][] = [['auto', empty], ['auto', refusing], ['off', DEFAULT_PATH], ['auto', DEFAULT_PATH]];
  for (const [mode, path] of cases) assert.equal(await decideSandboxAsync('local', mode, path), decideSandbox('local', mode, path), `${mode} ${path}`);
  assert.equal(await decideSandboxAsync('local', 'auto', refusing), { on: false, why: `${join(refusing, 'bwrap')} does not work here: bwrap: No permissions to create new namespace` });
  try {
    await decideSandboxAsync('local', 'required', refusing);
    assert.unreachable('required with a refusing bwrap was accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_SANDBOX_UNAVAILABLE');
    assert.match((err as Error).message, 'No permissions to create new namespace');
  }
});

test('the plugin loads through the kernel with sandbox: required; a bad sandbox value is refused', async () => {
  const steps = await verifyPlugin(plugin, { config: { workRoot: join(root, 'kernel-wr'), sandbox: 'required' } });
  assert.equal(steps.filter((s) => !s.ok), []);
  const bad = await verifyPlugin(plugin, { config: { workRoot: join(root, 'kernel-wr2'), sandbox: 'sometimes' } });
  assert.ok(bad.some((s) => !s.ok && /sandbox/.test(JSON.stringify(s))), JSON.stringify(bad));
});

test('helios doctor: ok with a working bubblewrap, a warning without it or with sandbox off, an error when required and missing', async () => {
  const dir = mkdtempSync(join(root, 'doctor-'));
  const nobwrap = mkdtempSync(join(root, 'nobwrap-'));
  const yaml = (config: string) => `server:\n  dataDir: ./data\nplugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    config: ${config}\n`;
  const cases: [string, string][] = [
    ['{ sandbox: auto }', 'ok'],
    [`{ sandbox: auto, path: "${nobwrap}" }`, 'warning'],
    ['{ sandbox: off }', 'warning'],
    [`{ sandbox: required, path: "${nobwrap}" }`, 'error'],
  ];
  for (const [config, status] of cases) {
    writeFileSync(join(dir, 'helios.yaml'), yaml(config));
    const run = await runHeliosDoctor(dir);
    const check = run.verdict('local', 'job sandbox');
    assert.is(check?.status, status, `${config}: ${run.stdout}${run.stderr}`);
    if (status !== 'ok') assert.match(check!.fix ?? '', /bubblewrap|sandbox/);
  }
});

test.after(async () => {
  for (const h of handles) h.cancel('test over');
  await service.stop();
  rmSync(root, { recursive: true, force: true });
});

test.run();
