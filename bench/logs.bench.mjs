// logs: lines/s from a step's stdout through agent → gRPC → the agent service's sink (masking on in
// the agent and again in the service), vs a bare Node process reading the same command's output
// line by line with readline. Same machine, same run. Prints one JSON line; progress on stderr.
// Lines are numbered: both sides check every line arrives, in order, intact (same check, same cost).
//   npm run bench -- logs [LINES]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentService } from '@helios-ci/core';
import { AGENT_NODE_FLAGS, PLAN_VERSION } from '@helios-ci/sdk';

// BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the agent's node, for profiling;
// BENCH_AGENT_STDOUT=1 shows the agent's stdout (e.g. with --trace-gc).
const here = dirname(fileURLToPath(import.meta.url));
const agentBundle = join(here, '../agent/dist/helios-agent.mjs');
const LINES = Number(process.argv[2] ?? 2_000_000);
// Rounds alternate baseline and helios; the median of each is reported (these machines are shared
// and noisy, and a single run swings ±30%).
const ROUNDS = Number(process.argv[3] ?? 3);
// 'helios-bench-line-' + 10-digit number + '-' + 70 filler = 99 chars + "\n" = 100 bytes.
const FILLER = '-'.padEnd(71, 'abcdefghijklmnopqrstuvwxyz0123456789');
const COMMAND = `seq -f 'helios-bench-line-%010.0f${FILLER}' 1 ${LINES}`;
/** The same line check in the baseline and in the sink: the line's number is the next one, its length right. */
const CHECK = `(line, n) => line.length === 99 && +line.slice(18, 28) === n + 1`;
const checkLine = eval(CHECK);
const SECRETS = { TOKEN_A: 'not-in-the-output-1234', TOKEN_B: 'another-secret-value-9876', MULTI: 'secret-line-one\nsecret-line-two' };
const progress = (m) => process.stderr.write(`logs: ${m}\n`);

// The bare reader: readline over the command's output, the same line check as the sink. `direct` reads
// the command's pipe itself (the baseline). `relay` reads a loopback TCP connection from a bare Node
// relay process (the step's stdout piped to a socket, nothing else): the floor for any design with an
// agent process between the step and the server, on this host. Its clock starts when the relay
// connects, just before it spawns the command (as the helios clock starts at StepStarted).
const READER = `
  const { spawn } = require('node:child_process');
  const net = require('node:net');
  const readline = require('node:readline');
  const [mode, command] = process.argv.slice(1);
  const check = ${CHECK};
  let n = 0;
  let bad = 0;
  let started = 0n;
  const cpu0 = process.cpuUsage();
  const consume = (input, done) => {
    const rl = readline.createInterface({ input, crlfDelay: Infinity });
    rl.on('line', (line) => { if (!check(line, n)) bad++; n++; });
    rl.on('close', done);
  };
  const report = (extra) => {
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ lines: n, bad, seconds: s, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...extra }));
  };
  if (mode === 'direct') {
    started = process.hrtime.bigint();
    const child = spawn('bash', ['-e', '-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    consume(child.stdout, () => report({}));
  } else {
    const RELAY = "const s = require('node:net').connect(+process.argv[2], '127.0.0.1', () => {" +
      "const c = require('node:child_process').spawn('bash', ['-e', '-c', process.argv[1]], { stdio: ['ignore', 'pipe', 'inherit'] });" +
      "c.stdout.pipe(s);" +
      "s.on('finish', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1e6)); }); });";
    const server = net.createServer((socket) => {
      started = process.hrtime.bigint();
      server.close();
      consume(socket, () => relayed.then((relayCpu) => report({ relayCpuSeconds: Number(relayCpu) })));
    });
    let relayed;
    server.listen(0, '127.0.0.1', () => {
      const relay = spawn(process.execPath, ['-e', RELAY, command, String(server.address().port)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      relay.stdout.on('data', (d) => (out += d));
      relayed = new Promise((resolve) => relay.on('close', () => resolve(out)));
    });
  }`;

function bare(mode) {
  const r = spawnSync(process.execPath, ['-e', READER, mode, COMMAND], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`bare reader (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function helios(root) {
  const repo = join(root, 'repo');
  const git = (args) => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@e', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@e' } });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  mkdirSync(repo, { recursive: true });
  git(['init', '-q']);
  writeFileSync(join(repo, 'x'), 'x\n');
  git(['add', '.']);
  git(['commit', '-q', '-m', 'x']);
  const sha = git(['rev-parse', 'HEAD']);

  const service = new AgentService({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 30_000 });
  const { endpoint } = await service.start();
  let lines = 0;
  let bad = 0;
  let stepStart = 0n;
  let stepEnd = 0n;
  // CPU while the step ran: this process (service + sink) from cpuUsage, the agent from /proc
  // (sampled every 50 ms, so its figure may miss up to 50 ms at either end).
  let serviceCpu0 = null;
  let serviceCpu = null;
  let agentCpu = 0;
  let agentCpu0 = 0;
  let agentCpu1 = 0;
  const sink = {
    onStepStarted(e) {
      if (e.step === 'gen') {
        stepStart = process.hrtime.bigint();
        serviceCpu0 = process.cpuUsage();
        agentCpu0 = agentCpu;
      }
    },
    onLog(b) {
      if (b.step !== 'gen' || b.stream !== 'stdout') return;
      for (const line of b.lines) if (!checkLine(line, lines++)) bad++;
    },
    onStepFinished(e) {
      if (e.step === 'gen') {
        stepEnd = process.hrtime.bigint();
        serviceCpu = process.cpuUsage(serviceCpu0);
        agentCpu1 = agentCpu;
      }
    },
    onAnnotation() {},
    onFinished() {},
    onLost(r) {
      progress(`lost: ${r}`);
    },
  };
  const spec = {
    planVersion: PLAN_VERSION,
    runId: 'bench',
    jobId: 'bench-logs',
    job: {
      id: 'bench#logs', workflow: { file: 'bench.yml', name: 'bench' }, jobKey: 'logs', name: 'logs', matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
      defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 30, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null },
      outputs: {}, secretNames: Object.keys(SECRETS),
      steps: [{ id: 'gen', name: 'generate', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: COMMAND, shell: null, workingDirectory: null }],
    },
    repository: { fullName: 'bench/logs', cloneUrl: `file://${repo}`, sha, ref: 'refs/heads/main' },
    github: {}, needs: {}, inputs: {}, vars: {}, secrets: SECRETS,
  };
  const handle = service.registerJob(spec, sink);
  // Started as the runtimes start it (AGENT_NODE_FLAGS).
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), agentBundle, '--endpoint', endpoint, '--token', handle.token, '--workdir', join(root, 'work')], {
    env: { PATH: process.env.PATH, HOME: root, LANG: 'C.UTF-8', ...(process.env.HELIOS_AGENT_BATCH_BYTES ? { HELIOS_AGENT_BATCH_BYTES: process.env.HELIOS_AGENT_BATCH_BYTES } : {}) },
    stdio: ['ignore', process.env.BENCH_AGENT_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const sampler = setInterval(() => {
    try {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      agentCpu = (Number(f[11]) + Number(f[12])) / clockTicks;
    } catch {
      /* exited */
    }
  }, 50);
  const exited = new Promise((r) => child.on('exit', r));
  const conclusion = await handle.done;
  await exited;
  await service.stop();
  if (conclusion !== 'success') throw new Error(`bench job ended ${conclusion}`);
  clearInterval(sampler);
  return { lines, bad, seconds: Number(stepEnd - stepStart) / 1e9, serviceCpuSeconds: (serviceCpu.user + serviceCpu.system) / 1e6, agentCpuSeconds: agentCpu1 - agentCpu0 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round3 = (x) => Number(x.toFixed(3));
const root = mkdtempSync(join(tmpdir(), 'helios-bench-logs-'));
try {
  const rows = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const base = bare('direct');
    progress(`round ${round}: baseline (bare Node + readline) ${base.lines} lines in ${base.seconds.toFixed(2)} s`);
    const h = await helios(join(root, `r${round}`));
    progress(`round ${round}: helios (agent → gRPC → sink, masking on) ${h.lines} lines in ${h.seconds.toFixed(2)} s`);
    const floor = bare('relay');
    progress(`round ${round}: floor (bare Node relay → TCP → readline) ${floor.lines} lines in ${floor.seconds.toFixed(2)} s`);
    for (const [what, r] of [['helios', h], ['baseline', base], ['floor', floor]]) {
      if (r.lines !== LINES) throw new Error(`${what}: ${r.lines} lines, expected ${LINES}`);
      if (r.bad) throw new Error(`${what}: ${r.bad} lines out of order or damaged`);
    }
    rows.push({ base, h, floor });
    progress(`round ${round}: CPU s: baseline reader ${base.cpuSeconds.toFixed(2)}, helios service ${h.serviceCpuSeconds.toFixed(2)} + agent ${h.agentCpuSeconds.toFixed(2)}, floor relay ${floor.relayCpuSeconds.toFixed(2)}`);
  }
  const baseRate = median(rows.map((r) => LINES / r.base.seconds));
  const heliosRate = median(rows.map((r) => LINES / r.h.seconds));
  const floorRate = median(rows.map((r) => LINES / r.floor.seconds));
  console.log(JSON.stringify({
    bench: 'logs',
    lines: LINES,
    lineBytes: 100,
    rounds: ROUNDS,
    baselineLinesPerSec: Math.round(baseRate),
    heliosLinesPerSec: Math.round(heliosRate),
    ratio: round3(heliosRate / baseRate),
    ratioPerRound: rows.map((r) => round3(r.base.seconds / r.h.seconds)),
    // The same output through a relay that does nothing but copy it to a socket: what an agent
    // process in the path costs on this host before it does any work.
    floorRelayRatio: round3(floorRate / baseRate),
    heliosVsFloor: round3(heliosRate / floorRate),
    // CPU seconds (medians): steadier than wall time on a shared machine; the step's own `seq` is not counted.
    cpuSeconds: {
      baselineReader: +median(rows.map((r) => r.base.cpuSeconds)).toFixed(2),
      heliosService: +median(rows.map((r) => r.h.serviceCpuSeconds)).toFixed(2),
      heliosAgent: +median(rows.map((r) => r.h.agentCpuSeconds)).toFixed(2),
      floorRelay: +median(rows.map((r) => r.floor.relayCpuSeconds)).toFixed(2),
      floorReader: +median(rows.map((r) => r.floor.cpuSeconds)).toFixed(2),
    },
    budget: 0.75,
    withinBudget: heliosRate / baseRate >= 0.75,
    checked: 'every line, in order, intact, on all three paths',
  }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
