import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streamJobLog } from '../../src/http/api/logStream.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import type { Store } from '../../src/store/index.js';
import { createRun, openTempStore } from '../helpers/storeFixtures.js';
import { openSse, type SseMessage } from './sseClient.js';

/** A Koa app serving only the stream, over a real store and event bus. */
async function harness() {
  const t = openTempStore();
  const logger = createLogger({ name: 'test', sink: new MemoryLogSink(), redactor: new Redactor() });
  const events = createEventBus(logger);
  const app = new Koa();
  app.use((ctx) => {
    const id = ctx.path.split('/')[2]!;
    const header = ctx.get('last-event-id');
    streamJobLog(ctx, { store: t.store, events, logger }, id, header ? Number(header) + 1 : Number(ctx.query.from ?? 1));
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    store: t.store,
    events,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      t.cleanup();
    },
  };
}

/** Appends like the orchestrator's sink does: store first, then the event. */
function log(store: Store, events: ReturnType<typeof createEventBus>, runId: string, jobId: string, texts: string[]): void {
  store.logs.append(jobId, texts.map((text) => ({ step: 1, stream: 'stdout' as const, ts: Date.now(), text })));
  events.emit('job.log', { runId, jobId, step: 1, lines: texts });
}

async function readUntil(conn: Awaited<ReturnType<typeof openSse>>, stop: (m: SseMessage, all: SseMessage[]) => boolean): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for (;;) {
    const m = await conn.next();
    if (!m) return out;
    out.push(m);
    if (stop(m, out)) return out;
  }
}

test('lines written before, during and after connecting arrive once each, in order; reconnecting with Last-Event-ID resumes exactly', async () => {
  const h = await harness();
  try {
    const { runId, jobIds } = createRun(h.store, ['a']);
    const jobId = jobIds[0]!;
    h.store.jobs.transition(jobId, 'provisioning');
    h.store.jobs.transition(jobId, 'running');
    // A large backlog (several store pages), then a writer that keeps going while clients read.
    for (let i = 0; i < 12; i++) log(h.store, h.events, runId, jobId, Array.from({ length: 100 }, (_, k) => `backlog ${i * 100 + k + 1}`));
    let written = 1200;
    const writer = setInterval(() => {
      log(h.store, h.events, runId, jobId, [`live ${++written}`, `live ${++written}`]);
    }, 2);

    const first = await openSse(`${h.url}/jobs/${jobId}/stream`);
    assert.is(first.status, 200);
    assert.match(first.headers.get('content-type')!, /^text\/event-stream/);
    const part1 = await readUntil(first, (_, all) => all.length >= 1500);
    first.close();
    const lastId = part1[part1.length - 1]!.id!;

    const second = await openSse(`${h.url}/jobs/${jobId}/stream?from=1`, { 'last-event-id': lastId });
    await new Promise((r) => setTimeout(r, 100));
    clearInterval(writer);
    h.events.emit('job.step', { runId, jobId, step: 1, name: 'Build', state: 'finished', conclusion: 'success' });
    h.store.jobs.transition(jobId, 'succeeded');
    h.events.emit('job.finished', { runId, jobId, state: 'succeeded' });
    const part2 = await readUntil(second, (m) => m.event === 'finished');
    assert.is(await second.next(), null, 'the stream ends after finished');

    const logs = [...part1, ...part2].filter((m) => m.event === 'log');
    const total = h.store.logs.lastSeq(jobId);
    assert.is(total, written);
    assert.equal(logs.map((m) => Number(m.id)), Array.from({ length: total }, (_, i) => i + 1), 'every seq exactly once, in order');
    const stored = h.store.logs.read(jobId, { limit: 100_000 });
    assert.equal(logs.map((m) => JSON.parse(m.data).text), stored.map((l) => l.text));
    assert.equal(JSON.parse(logs[0]!.data), { seq: 1, step: 1, stream: 'stdout', ts: stored[0]!.ts, text: 'backlog 1' });
    const step = part2.find((m) => m.event === 'step')!;
    assert.equal(JSON.parse(step.data), { step: 1, name: 'Build', state: 'finished', conclusion: 'success' });
    assert.is(step.id, null, 'step events do not move Last-Event-ID');
    assert.equal(JSON.parse(part2[part2.length - 1]!.data), { state: 'succeeded', reason: null, lastSeq: total });
  } finally {
    await h.close();
  }
});

test('a final job streams its backlog from ?from and ends; an empty remainder still says finished', async () => {
  const h = await harness();
  try {
    const { runId, jobIds } = createRun(h.store, ['a']);
    const jobId = jobIds[0]!;
    log(h.store, h.events, runId, jobId, ['one', 'two', 'three']);
    h.store.jobs.transition(jobId, 'cancelled', { reason: 'stopped by test' });
    const conn = await openSse(`${h.url}/jobs/${jobId}/stream?from=2`);
    const all = await readUntil(conn, () => false);
    assert.equal(all.map((m) => [m.event, m.id]), [['log', '2'], ['log', '3'], ['finished', null]]);
    assert.equal(JSON.parse(all[2]!.data), { state: 'cancelled', reason: 'stopped by test', lastSeq: 3 });
    const rest = await openSse(`${h.url}/jobs/${jobId}/stream`, { 'last-event-id': '3' });
    assert.equal((await readUntil(rest, () => false)).map((m) => m.event), ['finished']);
  } finally {
    await h.close();
  }
});

test.run();
