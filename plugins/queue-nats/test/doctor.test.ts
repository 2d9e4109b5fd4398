// helios doctor for queue-nats, through the real CLI against a real nats-server: healthy (stream and
// label durables as control and a worker made them), NATS down (exact error, exit 1), a fresh server
// before any control started (stream absent: a warning, exit 0), a worker config (its own labels).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { connectNats } from '../src/connection.js';
import { NatsQueue } from '../src/natsQueue.js';
import { Subjects } from '../src/subjects.js';
import { freePort, natsTest, startNatsServer, type NatsServer } from './natsServer.js';

const t = natsTest(test);

function control(servers: string): string {
  return `server:\n  dataDir: ./data\nplugins:\n  queue:\n    use: "@helios-ci/queue-nats"\n    config: { servers: [${servers}], labels: [illumos, linux] }\n`;
}

function worker(servers: string): string {
  return `server:\n  dataDir: ./data\nworker: { id: host-a, capacity: 2 }\nplugins:\n  queue:\n    use: "@helios-ci/queue-nats"\n    config: { servers: [${servers}] }\n  local: { use: "@helios-ci/runtime-local", config: { labels: [illumos, arm64] } }\n`;
}

async function withDir(yaml: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'helios-nats-doctor-'));
  try {
    writeFileSync(join(dir, 'helios.yaml'), yaml);
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `helios serve` and a worker serving `illumos` leave on NATS: the stream and that durable. */
async function seed(server: NatsServer): Promise<void> {
  const q = new NatsQueue(await connectNats({ servers: [server.url] }), {
    stream: 'HELIOS_JOBS',
    subjects: new Subjects('helios'),
    ackWaitMs: 30_000,
    maxDeliver: 10,
    maxAckPending: 64,
    duplicateWindowMs: 120_000,
    baseBackoffMs: 1000,
    maxBackoffMs: 60_000,
    consumeLabels: ['illumos'],
    pullExpiresMs: 1000,
  });
  await q.ensureStream();
  await q.publish({ jobId: 'job-1', labels: ['linux'] });
  const sub = await q.consume(1, async () => undefined);
  await sub.close();
  await q.close();
}

async function withServer(fn: (s: NatsServer) => Promise<void>, extra: string[] = []): Promise<void> {
  const s = await startNatsServer(extra);
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

t('healthy control: reachable, JetStream, the stream; a label no worker serves yet is a warning', () =>
  withServer(async (s) => {
    await seed(s);
    await withDir(control(s.url), async (dir) => {
      const r = await runHeliosDoctor(dir);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.verdict('queue', 'reachable'), { source: 'queue', name: 'reachable', status: 'ok', message: `connected to 127.0.0.1:${s.port}` });
      assert.is(r.verdict('queue', 'JetStream')?.status, 'ok');
      assert.equal(r.verdict('queue', 'stream HELIOS_JOBS'), { source: 'queue', name: 'stream HELIOS_JOBS', status: 'ok', message: 'workqueue on helios.jobs.>, 1 job message waiting' });
      assert.equal(r.verdict('queue', 'consumer illumos'), { source: 'queue', name: 'consumer illumos', status: 'ok', message: 'durable HELIOS_JOBS_illumos: 0 waiting, 0 running' });
      const linux = r.verdict('queue', 'consumer linux')!;
      assert.is(linux.status, 'warning');
      assert.is(linux.message, 'durable HELIOS_JOBS_linux absent: no worker serving linux has started, jobs for it wait in the stream');
      assert.match(linux.fix!, /start a helios worker whose runtimes serve linux/);
    });
  }));

t('a worker config checks the durables of its own labels', () =>
  withServer(async (s) => {
    await seed(s);
    await withDir(worker(s.url), async (dir) => {
      const r = await runHeliosDoctor(dir);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.is(r.verdict('queue', 'consumer illumos')?.status, 'ok');
      assert.is(r.verdict('queue', 'consumer linux'), undefined);
      const arm = r.verdict('queue', 'consumer arm64')!;
      assert.is(arm.status, 'warning');
      assert.is(arm.message, 'durable HELIOS_JOBS_arm64 absent: no worker serving arm64 has started yet');
    });
  }));

t('a fresh server before any control started: the stream is absent, a warning (exit 0)', () =>
  withServer(async (s) => {
    await withDir(control(s.url), async (dir) => {
      const r = await runHeliosDoctor(dir);
      assert.is(r.code, 0, r.stdout + r.stderr);
      assert.is(r.verdict('queue', 'reachable')?.status, 'ok');
      assert.equal(r.verdict('queue', 'stream HELIOS_JOBS'), {
        source: 'queue',
        name: 'stream HELIOS_JOBS',
        status: 'warning',
        message: 'absent: no helios serve or helios worker has started against this NATS yet',
        fix: 'start helios serve (control) or helios worker: either creates it; nothing can be queued until then',
      });
      // No durable can exist without the stream: not reported.
      assert.is(r.verdict('queue', 'consumer illumos'), undefined);
    });
  }));

t('NATS down: "reachable" is an error naming the servers, exit 1', async () => {
  const port = await freePort();
  await withDir(control(`nats://127.0.0.1:${port}`), async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const v = r.verdict('queue', 'reachable')!;
    assert.is(v.status, 'error');
    assert.is(v.message, `queue-nats: cannot connect to NATS at nats://127.0.0.1:${port}: connection refused; check config servers, that nats-server runs with JetStream (-js), and the credentials`);
    assert.match(v.fix!, /^start nats-server with JetStream \(nats-server -js\) where servers/);
    assert.is(r.verdict('queue', 'JetStream'), undefined);
  });
});

t('the configured token is used; a wrong one is an error', () =>
  withServer(async (s) => {
    await withDir(control(s.url).replace('labels: [illumos, linux]', 'labels: [illumos], token: { env: NATS_TOKEN }'), async (dir) => {
      const good = await runHeliosDoctor(dir, { env: { NATS_TOKEN: 'doctor-s3cret' } });
      assert.is(good.verdict('queue', 'reachable')?.status, 'ok', good.stdout + good.stderr);
      assert.is(good.verdict('queue', 'stream HELIOS_JOBS')?.status, 'warning');
      const bad = await runHeliosDoctor(dir, { env: { NATS_TOKEN: 'wrong' } });
      assert.is(bad.code, 1, bad.stdout + bad.stderr);
      const v = bad.verdict('queue', 'reachable')!;
      assert.is(v.status, 'error');
      assert.match(v.message, /^queue-nats: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*(authorization|Authorization)/);
      assert.not.match(v.message + (v.fix ?? ''), 'wrong');
    });
  }, ['--auth', 'doctor-s3cret']));

t.run();
