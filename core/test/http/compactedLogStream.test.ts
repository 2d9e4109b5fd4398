import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streamJobLog } from '../../src/http/api/logStream.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { LogCompactor } from '../../src/store/logs/logCompactor.js';
import { LogRetention } from '../../src/store/logs/logRetention.js';
import type { Store } from '../../src/store/index.js';
import { createRun, openTempStore } from '../helpers/storeFixtures.js';
import { openSse, type SseMessage, type SseConnection } from './sseClient.js';

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
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      t.cleanup();
    },
  };
}

function finishedJob(store: Store, n: number): string {
  const id = createRun(store, ['build']).jobIds[0]!;
  store.jobs.transition(id, 'provisioning');
  store.jobs.transition(id, 'running');
  for (let i = 0; i < n; i += 500) {
    store.logs.append(id, Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ step: 1 + ((i + k) % 3), stream: (i + k) % 5 === 0 ? 'stderr' : 'stdout', ts: 10 * (i + k), text: `build output line ${i + k + 1}` })));
  }
  store.jobs.transition(id, 'succeeded');
  return id;
}

async function readAll(conn: SseConnection, stopAfter = Number.POSITIVE_INFINITY): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  while (out.length < stopAfter) {
    const m = await conn.next();
    if (!m) break;
    out.push(m);
  }
  return out;
}

const expectedLog = (store: Store, id: string) => store.logReader.read(id, { limit: 100_000 }).map((l) => ({ seq: l.seq, step: l.step, stream: l.stream, ts: l.ts, text: l.text }));

test('SSE of a compacted log: every line once, in order, paged from the chunks; Last-Event-ID resumes inside a chunk', async () => {
  const h = await harness();
  try {
    const id = finishedJob(h.store, 3000);
    const expected = expectedLog(h.store, id);
    await new LogCompactor(h.store, { chunkBytes: 4096 }).compactJob(id);
    assert.is(h.store.logs.lastSeq(id), 0, 'served from chunks only');
    const all = await readAll(await openSse(`${h.url}/jobs/${id}/stream`));
    const logs = all.filter((m) => m.event === 'log');
    assert.equal(logs.map((m) => JSON.parse(m.data)), expected);
    assert.equal(logs.map((m) => Number(m.id)), expected.map((l) => l.seq));
    assert.equal(JSON.parse(all[all.length - 1]!.data), { state: 'succeeded', reason: null, lastSeq: 3000 });

    const resumed = await readAll(await openSse(`${h.url}/jobs/${id}/stream`, { 'last-event-id': '1234' }));
    assert.equal(resumed.filter((m) => m.event === 'log').map((m) => JSON.parse(m.data)), expected.slice(1234));
  } finally {
    await h.close();
  }
});

test('a log compacted while a client streams it: no line lost or repeated across the switch', async () => {
  const h = await harness();
  try {
    // Big enough (~3 MB of events) that the server is mid-stream, held by backpressure, at the switch.
    const id = finishedJob(h.store, 60_000);
    const expected = expectedLog(h.store, id);
    const conn = await openSse(`${h.url}/jobs/${id}/stream`);
    const first = await readAll(conn, 700);
    await new LogCompactor(h.store).compactJob(id);
    assert.is(h.store.logs.lastSeq(id), 0, 'from here on the stream reads chunks');
    const rest = await readAll(conn);
    const logs = [...first, ...rest].filter((m) => m.event === 'log');
    assert.equal(logs.map((m) => JSON.parse(m.data)), expected);
    assert.is(rest[rest.length - 1]!.event, 'finished');
  } finally {
    await h.close();
  }
});

test('SSE of a log removed by retention: the notice line, then finished', async () => {
  const h = await harness();
  try {
    const id = finishedJob(h.store, 200);
    await new LogCompactor(h.store).compactJob(id);
    new LogRetention(h.store, { maxAgeDays: 0, maxBytesPerRepository: 1 }).prune();
    const all = await readAll(await openSse(`${h.url}/jobs/${id}/stream`));
    assert.equal(all.map((m) => m.event), ['log', 'finished']);
    assert.match(JSON.parse(all[0]!.data).text, /^\[helios\] log removed by retention on \d{4}-\d\d-\d\d \(repository logs over/);
    assert.equal(JSON.parse(all[1]!.data), { state: 'succeeded', reason: null, lastSeq: 1 });
  } finally {
    await h.close();
  }
});

test.run();
