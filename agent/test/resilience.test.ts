/** Refused tokens, a killed agent, a dropped stream, the bundle on its own. */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AGENT_BUNDLE, harness, makeSpec, RecordingSink, run, sleep, startAgent, type Harness } from './helpers.js';

const test = suite('agent resilience');
let h: Harness;
test.before(async () => {
  h = await harness({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_500 });
});
test.after(async () => {
  await h.close();
});

test('a wrong token is refused with UNAUTHENTICATED and a clear message; exit 4', async () => {
  const agent = startAgent(h.endpoint, 'not-a-real-token', h.root);
  assert.is(await agent.exit, 4);
  assert.match(agent.stderr(), /E_AGENT_TOKEN_INVALID: job token refused: it is not a token this server issued/);
});

test('an expired token is refused; so is the token of a finished job', async () => {
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run('true')]), sink, { tokenTtlMs: 1 });
  await sleep(20);
  const agent = startAgent(h.endpoint, handle.token, h.root);
  assert.is(await agent.exit, 4);
  assert.match(agent.stderr(), /E_AGENT_TOKEN_EXPIRED: job token refused: it expired/);
  handle.cancel('test over');
  assert.is(await handle.done, 'cancelled');

  const done = await h.runJob(makeSpec(h.repo, [run('true')]));
  assert.is(done.conclusion, 'success');
  const again = startAgent(h.endpoint, done.handle.token, h.root);
  assert.is(await again.exit, 4);
  assert.match(again.stderr(), /E_AGENT_TOKEN_EXPIRED: job token refused: the job this token belongs to has finished/);
});

test('the server notices a SIGKILLed agent within the heartbeat timeout', async () => {
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run('echo running; sleep 30', { id: 'long' })]), sink);
  const agent = startAgent(h.endpoint, handle.token, h.root);
  h.pgidFiles.push(agent.pgidFile);
  while (!sink.lines('long').includes('running')) await sleep(20);
  const killedAt = Date.now();
  agent.child.kill('SIGKILL');
  assert.is(await handle.done, 'errored');
  const noticedAfter = Date.now() - killedAt;
  assert.ok(noticedAfter < 1_500 + 1_000, `noticed after ${noticedAfter} ms`);
  assert.ok(noticedAfter >= 1_000, `noticed suspiciously early (${noticedAfter} ms)`);
  assert.match(sink.lost ?? '', /no heartbeat from the agent for 1\.\d s/);
  assert.is(sink.finished, null);
  // The step group outlived its SIGKILLed agent; the runtime kills it by the pgid file (as here).
  for (const g of readFileSync(agent.pgidFile, 'utf8').split('\n').map(Number).filter((n) => n > 1)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

test('a dropped stream: the agent reconnects and resends, nothing lost or duplicated', async () => {
  // A TCP proxy between agent and service that the test cuts twice mid-job.
  const [host, port] = h.endpoint.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const proxy = createServer((inbound) => {
    const outbound = connect(Number(port), host);
    sockets.add(inbound);
    sockets.add(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyEndpoint = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const n = 3000;
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run(`for i in $(seq 1 ${n}); do echo "line $i"; if [ $((i % 500)) = 0 ]; then sleep 0.2; fi; done`, { id: 'count' })]), sink);
  const agent = startAgent(proxyEndpoint, handle.token, h.root);
  h.pgidFiles.push(agent.pgidFile);
  let cuts = 0;
  while (cuts < 2) {
    const seen = sink.lines('count').length;
    if ((cuts === 0 && seen > 500) || (cuts === 1 && seen > 1500)) {
      for (const s of sockets) s.destroy();
      cuts++;
    }
    await sleep(10);
  }
  assert.is(await handle.done, 'success');
  assert.is(await agent.exit, 0);
  proxy.close();
  const lines = sink.lines('count');
  assert.is(lines.length, n);
  lines.forEach((l, i) => assert.is(l, `line ${i + 1}`));
  assert.match(agent.stderr(), /session dropped/);
});

test('a dropped stream during bulk output (large batches in reused memory): every line resent intact, in order', async () => {
  // A TCP proxy between agent and service that the test cuts twice mid-job.
  const [host, port] = h.endpoint.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const proxy = createServer((inbound) => {
    const outbound = connect(Number(port), host);
    sockets.add(inbound);
    sockets.add(outbound);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyEndpoint = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const n = 60_000;
  const pad = 'abcdefghij'.repeat(15);
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run(`for b in $(seq 0 11); do seq -f "line %.0f ${pad}" $((b * 5000 + 1)) $((b * 5000 + 5000)); sleep 0.2; done`, { id: 'count' })]), sink);
  const agent = startAgent(proxyEndpoint, handle.token, h.root);
  h.pgidFiles.push(agent.pgidFile);
  let cuts = 0;
  while (cuts < 2) {
    const seen = sink.lines('count').length;
    if ((cuts === 0 && seen > 10_000) || (cuts === 1 && seen > 30_000)) {
      for (const s of sockets) s.destroy();
      cuts++;
    }
    await sleep(10);
  }
  assert.is(await handle.done, 'success');
  assert.is(await agent.exit, 0);
  proxy.close();
  const lines = sink.lines('count');
  assert.is(lines.length, n);
  const bad = lines.findIndex((l, i) => l !== `line ${i + 1} ${pad}`);
  assert.is(bad, -1, `line ${bad + 1}: ${lines[bad]}`);
  assert.match(agent.stderr(), /session dropped/);
});

test('the bundle runs from a directory with no node_modules', async () => {
  const dir = mkdtempSync(join(h.root, 'bare-'));
  const bundle = join(dir, 'helios-agent.mjs');
  copyFileSync(AGENT_BUNDLE, bundle);
  const sink = new RecordingSink();
  const handle = h.service.registerJob(makeSpec(h.repo, [run('echo from-the-bare-bundle', { id: 'b' })]), sink);
  const agent = startAgent(h.endpoint, handle.token, dir, [], bundle);
  assert.is(await handle.done, 'success');
  assert.is(await agent.exit, 0);
  assert.equal(sink.lines('b'), ['from-the-bare-bundle']);
});

test.run();
