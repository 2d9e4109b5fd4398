/** Daemons of a job (setsid, double fork) are killed at job end by the tracking marker; nothing else is. */
import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isAlive } from '@helios-ci/sdk/process-liveness';
import { harness, makeSpec, RecordingSink, run, sleep, startAgent, type Harness } from './helpers.js';

const test = suite('agent process tracking');
let h: Harness;
const bystanders: number[] = [];
test.before(async () => {
  h = await harness();
});
test.after(async () => {
  for (const p of [...bystanders, ...seenDaemons]) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  await h.close();
});

/** Leaves a setsid daemon and a double-forked one (reparented to init), and prints their pids. */
const DAEMONS = [
  `setsid sh -c 'echo $$ > "$RUNNER_TEMP/d1.pid"; exec sleep 1000' >/dev/null 2>&1 &`,
  `( setsid sh -c 'sh -c "echo \\$\\$ > \\"\\$RUNNER_TEMP/d2.pid\\"; exec sleep 1000" >/dev/null 2>&1 & ' & )`,
  'while [ ! -s "$RUNNER_TEMP/d1.pid" ] || [ ! -s "$RUNNER_TEMP/d2.pid" ]; do sleep 0.05; done',
  'echo "daemon-pid=$(cat "$RUNNER_TEMP/d1.pid")"; echo "daemon-pid=$(cat "$RUNNER_TEMP/d2.pid")"',
  'echo "marker=$HELIOS_TRACKING_ID"',
].join('\n');

/** Every daemon pid seen is also killed at the end, so a failing test leaves nothing behind. */
const seenDaemons = new Set<number>();
const daemonPids = (lines: string[]) => {
  const pids = lines.map((l) => /^daemon-pid=(\d+)$/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
  for (const p of pids) seenDaemons.add(p);
  return pids;
};

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(25);
  return cond();
}

test('an agent run inside another job kills its own daemons at job end, never the outer job (inherited marker not adopted)', async () => {
  const outer = 'hl-00000000000000aa';
  const bystander = spawn('sleep', ['1000'], { env: { PATH: process.env.PATH, HELIOS_TRACKING_ID: outer }, detached: true, stdio: 'ignore' });
  bystander.unref();
  bystanders.push(bystander.pid!);
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run(DAEMONS, { id: 'd' })]), sink);
  const agent = startAgent(h.endpoint, handle.token, h.root, [], undefined, { HELIOS_TRACKING_ID: outer });
  h.pgidFiles.push(agent.pgidFile);
  assert.is(await handle.done, 'success', sink.lines('d').join('\n'));
  const pids = daemonPids(sink.lines('d'));
  assert.is(pids.length, 2, sink.lines('d').join('\n'));
  const marker = sink.lines('d').find((l) => l.startsWith('marker='))!.slice('marker='.length);
  assert.match(marker, /^agent-[0-9a-f]{16}$/);
  assert.ok(await until(() => pids.every((p) => !isAlive(p))), `daemons survived the job end: ${pids.filter(isAlive).join(', ')}`);
  assert.ok(isAlive(bystander.pid!), 'a process of the outer job (its marker) was killed');
});

test('--tracking-id is the marker; a job env cannot clear it; background processes live on into the next step', async () => {
  const sink = new RecordingSink();
  const spec = makeSpec(h.repo, [
    run(DAEMONS, { id: 'd', env: { HELIOS_TRACKING_ID: '' } }),
    run('for p in $(cat "$RUNNER_TEMP/d1.pid" "$RUNNER_TEMP/d2.pid"); do kill -0 "$p" && echo "still-alive=$p"; done', { id: 'next' }),
  ], { env: { HELIOS_TRACKING_ID: 'cleared-by-job' } });
  const handle = h.service.registerJob(spec, sink);
  const agent = startAgent(h.endpoint, handle.token, h.root, ['--tracking-id', 'hl-00000000000000bb']);
  h.pgidFiles.push(agent.pgidFile);
  assert.is(await handle.done, 'success', sink.allText());
  assert.ok(sink.lines('d').includes('marker=hl-00000000000000bb'), sink.lines('d').join('\n'));
  const pids = daemonPids(sink.lines('d'));
  assert.equal(sink.lines('next').filter((l) => l.startsWith('still-alive=')).length, 2, 'background processes are killed at job end, not at step end');
  assert.ok(await until(() => pids.every((p) => !isAlive(p))), `daemons survived the job end: ${pids.filter(isAlive).join(', ')}`);
});

test('a tracking id that is not a marker is a usage error (exit 64)', async () => {
  const agent = startAgent(h.endpoint, 'token', h.root, ['--tracking-id', 'a=b']);
  assert.is(await agent.exit, 64);
  assert.match(agent.stderr(), /--tracking-id "a=b" is not a tracking marker/);
});

test.run();
