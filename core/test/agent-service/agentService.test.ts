/** The agent service through a raw gRPC client speaking the protocol by hand. */
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError, PLAN_VERSION, type JobSpec } from '@helios-ci/sdk';
import { AgentService, agentClientConstructor, grpcStatusOf, PROTOCOL_VERSION, type JobSink, type LogBatch } from '../../src/index.js';
import { jobTokenHash } from '../../src/agent-service/agentService.js';

type Msg = Record<string, unknown>;
type Call = grpc.ClientDuplexStream<Msg, Msg>;

const test = suite('AgentService');
let service: AgentService;
let client: grpc.Client & { Session(): Call };

test.before(async () => {
  service = new AgentService({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 800 });
  const { endpoint } = await service.start();
  const Client = agentClientConstructor();
  client = new Client(endpoint, grpc.credentials.createInsecure()) as unknown as typeof client;
});
test.after(async () => {
  client.close();
  await service.stop();
});

let n = 0;
function spec(secrets: Record<string, string> = {}): JobSpec {
  n++;
  return {
    planVersion: PLAN_VERSION,
    runId: 'r',
    jobId: `job-${n}`,
    job: {} as JobSpec['job'],
    repository: { fullName: 'acme/widget', cloneUrl: 'file:///nowhere', sha: 'a'.repeat(40), ref: 'refs/heads/main' },
    github: {},
    needs: {},
    inputs: {},
    vars: {},
    secrets,
  };
}

class Sink implements JobSink {
  logs: LogBatch[] = [];
  lost: string | null = null;
  finished: unknown = null;
  gate: Promise<void> | null = null;
  onStepStarted() {}
  async onLog(b: LogBatch) {
    this.logs.push(b);
    if (this.gate) await this.gate;
  }
  onStepFinished() {}
  annotations: unknown[] = [];
  onAnnotation(a: unknown) {
    this.annotations.push(a);
  }
  onFinished(e: unknown) {
    this.finished = e;
  }
  onLost(r: string) {
    this.lost = r;
  }
}

/** Opens a session, sends Hello, resolves with the first server message or the error status. */
function open(token: string, protocolVersion: number = PROTOCOL_VERSION, resume = false): Promise<{ call: Call; first: Msg | null; error: grpc.ServiceError | null; messages: Msg[] }> {
  return new Promise((resolve) => {
    const call = client.Session();
    const messages: Msg[] = [];
    let settled = false;
    call.on('data', (m: Msg) => {
      messages.push(m);
      if (!settled) {
        settled = true;
        resolve({ call, first: m, error: null, messages });
      }
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (!settled) {
        settled = true;
        resolve({ call, first: null, error: e, messages });
      }
    });
    call.write({ hello: { jobToken: token, agentVersion: 'test', protocolVersion, resume } });
  });
}

const log = (seq: number, text: string) => ({ seq, log: { step: 's', stream: 'STDOUT', ts: Date.now(), lines: Buffer.from(text), lineCount: text.split('\n').length } });
const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('grpcStatusOf maps HeliosError codes in one place', () => {
  assert.is(grpcStatusOf(new HeliosError('E_AGENT_TOKEN_INVALID', 'x')), grpc.status.UNAUTHENTICATED);
  assert.is(grpcStatusOf(new HeliosError('E_AGENT_TOKEN_EXPIRED', 'x')), grpc.status.UNAUTHENTICATED);
  assert.is(grpcStatusOf(new HeliosError('E_AGENT_ALREADY_CONNECTED', 'x')), grpc.status.ALREADY_EXISTS);
  assert.is(grpcStatusOf(new HeliosError('E_AGENT_PROTOCOL_MISMATCH', 'x')), grpc.status.FAILED_PRECONDITION);
  assert.is(grpcStatusOf(new HeliosError('E_QUERY_INVALID', 'x')), grpc.status.INVALID_ARGUMENT);
  assert.is(grpcStatusOf(new HeliosError('E_JOB_NOT_FOUND', 'x')), grpc.status.NOT_FOUND);
  assert.is(grpcStatusOf(new Error('boom')), grpc.status.INTERNAL);
});

test('Welcome carries the spec; an incompatible protocol version is FAILED_PRECONDITION with the fix', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec(), sink);
  const bad = await open(h.token, PROTOCOL_VERSION + 1);
  assert.is(bad.error?.code, grpc.status.FAILED_PRECONDITION);
  assert.match(bad.error?.details ?? '', /speaks protocol v2, this server speaks v1; install the helios-agent bundle/);
  const good = await open(h.token);
  const welcome = good.first?.welcome as { jobSpecJson: string; ackedSeq: number; protocolVersion: number };
  assert.is(JSON.parse(welcome.jobSpecJson).jobId, `job-${n}`);
  assert.is(welcome.ackedSeq, 0);
  h.cancel('done');
  good.call.cancel();
  await h.done;
});

test('a second concurrent connection with the same token is refused (ALREADY_EXISTS)', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec(), sink);
  const first = await open(h.token);
  assert.ok(first.first?.welcome);
  const second = await open(h.token);
  assert.is(second.error?.code, grpc.status.ALREADY_EXISTS);
  assert.match(second.error?.details ?? '', /already has a connected agent/);
  first.call.write({ seq: 1, finished: { conclusion: 'success', outputs: {}, reason: '' } });
  assert.is(await h.done, 'success');
});

test('resume after a drop: already-delivered seqs are acknowledged, not delivered twice; secrets masked', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec({ K: 'hunter2-secret' }), sink);
  const a = await open(h.token);
  a.call.write(log(1, 'one hunter2-secret'));
  a.call.write(log(2, 'two'));
  await waitFor(() => sink.logs.length === 2);
  a.call.cancel();
  await waitFor(() => service.activeJobs().some((j) => j.jobId === h.jobId && !j.connected));
  const b = await open(h.token, PROTOCOL_VERSION, true);
  assert.is((b.first?.welcome as { ackedSeq: number }).ackedSeq, 2);
  b.call.write(log(1, 'one hunter2-secret'));
  b.call.write(log(2, 'two'));
  b.call.write(log(3, 'three'));
  b.call.write({ seq: 4, finished: { conclusion: 'failure', outputs: { o: 'hunter2-secret' }, reason: 'x' } });
  assert.is(await h.done, 'failure');
  assert.equal(sink.logs.map((l) => [l.seq, l.lines]), [[1, ['one ***']], [2, ['two']], [3, ['three']]]);
  assert.equal((sink.finished as { outputs: unknown }).outputs, { o: '***' });
});

test('a restarted server adopts a running job by its token hash and last seq: the agent resumes, nothing lost or doubled', async () => {
  const first = new AgentService({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 800 });
  const { endpoint, port } = await first.start();
  const Client = agentClientConstructor();
  const c1 = new Client(endpoint, grpc.credentials.createInsecure()) as unknown as typeof client;
  const s = spec({ K: 'hunter2-secret' });
  const sink1 = new Sink();
  const h = first.registerJob(s, sink1);
  const a = await new Promise<Call>((resolve) => {
    const call = c1.Session();
    call.once('data', () => resolve(call));
    call.on('error', () => undefined);
    call.write({ hello: { jobToken: h.token, agentVersion: 'test', protocolVersion: PROTOCOL_VERSION, resume: false } });
  });
  a.write(log(1, 'one'));
  a.write(log(2, 'two'));
  await waitFor(() => sink1.logs.length === 2);
  // What the first process kept: the token's hash and the last seq it stored. Then it goes away.
  const kept = { tokenHash: jobTokenHash(h.token), lastSeq: first.activeJobs().find((j) => j.jobId === s.jobId)!.lastSeq };
  await first.stop();
  c1.close();

  const second = new AgentService({ port, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 800 });
  await second.start();
  const c2 = new Client(endpoint, grpc.credentials.createInsecure()) as unknown as typeof client;
  try {
    const sink2 = new Sink();
    const adopted = second.adoptJob(s, sink2, kept);
    assert.is(adopted.jobId, s.jobId);
    const b = await new Promise<{ call: Call; first: Msg }>((resolve, reject) => {
      const call = c2.Session();
      call.once('data', (m: Msg) => resolve({ call, first: m }));
      call.on('error', reject);
      call.write({ hello: { jobToken: h.token, agentVersion: 'test', protocolVersion: PROTOCOL_VERSION, resume: true } });
    });
    assert.is((b.first.welcome as { ackedSeq: number }).ackedSeq, 2);
    b.call.write(log(2, 'two'));
    b.call.write(log(3, 'three hunter2-secret'));
    b.call.write({ seq: 4, finished: { conclusion: 'success', outputs: {}, reason: '' } });
    assert.is(await adopted.done, 'success');
    assert.equal(sink2.logs.map((l) => [l.seq, l.lines]), [[3, ['three ***']]]);
    assert.is(sink2.lost, null);
    // Adopting needs a real hash.
    try {
      second.adoptJob(spec(), new Sink(), { tokenHash: 'nope', lastSeq: 0 });
      assert.unreachable('a bad hash was accepted');
    } catch (err) {
      assert.is((err as HeliosError).code, 'E_CONFIG_INVALID');
    }
  } finally {
    c2.close();
    await second.stop();
  }
});

test('an adopted job whose agent never comes back is lost after the heartbeat timeout', async () => {
  const sink = new Sink();
  const h = service.adoptJob(spec(), sink, { tokenHash: 'ab'.repeat(32), lastSeq: 5 });
  assert.is(await h.done, 'errored');
  assert.match(sink.lost ?? '', 'the server restarted');
});

test('every annotation field (file, title, message) is masked even when the agent did not mask it', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec({ K: 'hunter2-secret' }), sink);
  const a = await open(h.token);
  a.call.write({
    seq: 1,
    annotation: { step: 's', level: 'error', message: 'm hunter2-secret', title: 't hunter2-secret', file: 'src/hunter2-secret.c', line: 3, col: 0, endLine: 0, endColumn: 0 },
  });
  await waitFor(() => sink.annotations.length === 1);
  a.call.write({ seq: 2, finished: { conclusion: 'success', outputs: {}, reason: '' } });
  await h.done;
  assert.not.ok(JSON.stringify(sink.annotations).includes('hunter2'), JSON.stringify(sink.annotations));
  assert.equal(sink.annotations[0], { seq: 1, step: 's', level: 'error', message: 'm ***', title: 't ***', file: 'src/***.c', line: 3, col: null, endLine: null, endColumn: null });
});

test('flow control: a busy sink stops the server reading, the client stalls', async () => {
  const sink = new Sink();
  let release!: () => void;
  sink.gate = new Promise((r) => (release = r));
  const h = service.registerJob(spec(), sink);
  const a = await open(h.token);
  const chunk = ('x'.repeat(99) + '\n').repeat(1000).slice(0, -1); // ~100 KB
  let seq = 0;
  let blockedAfter = -1;
  while (seq < 2000) {
    seq++;
    if (!a.call.write(log(seq, chunk))) {
      await Promise.race([new Promise((r) => a.call.once('drain', r)), new Promise((r) => setTimeout(r, 500))]);
      if (a.call.writableNeedDrain) {
        blockedAfter = seq;
        break;
      }
    }
  }
  assert.ok(blockedAfter > 0 && blockedAfter < 200, `client was never stalled (wrote ${seq} × 100 KB)`);
  assert.is(sink.logs.length, 1, 'only the first batch reached the sink while it was busy');
  const heapBefore = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 1200));
  assert.is(h.jobId.length > 0, true);
  assert.is(sink.lost, null, 'a busy sink is not a lost agent');
  release();
  sink.gate = null;
  await waitFor(() => sink.logs.length === blockedAfter);
  assert.equal(sink.logs.map((l) => l.seq), Array.from({ length: blockedAfter }, (_, i) => i + 1));
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);
  a.call.write({ seq: blockedAfter + 1, finished: { conclusion: 'success', outputs: {}, reason: '' } });
  assert.is(await h.done, 'success');
});

test('no heartbeat → onLost with the reason, done = errored', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec(), sink);
  const a = await open(h.token);
  assert.ok(a.first?.welcome);
  const started = Date.now();
  assert.is(await h.done, 'errored');
  assert.ok(Date.now() - started >= 800);
  assert.match(sink.lost ?? '', /no heartbeat from the agent for \d+\.\d s \(session still open but silent\)/);
});

test('cancel before any agent connected ends the job as cancelled; the token then refuses', async () => {
  const sink = new Sink();
  const h = service.registerJob(spec(), sink);
  h.cancel('superseded by a newer push');
  assert.is(await h.done, 'cancelled');
  assert.equal(sink.finished, { conclusion: 'cancelled', outputs: {}, reason: 'superseded by a newer push' });
  const late = await open(h.token);
  assert.is(late.error?.code, grpc.status.UNAUTHENTICATED);
});

test('uploads without a storage handler are UNIMPLEMENTED with the fix', async () => {
  const h = service.registerJob(spec(), new Sink());
  const err = await new Promise<grpc.ServiceError | null>((resolve) => {
    const call = (client as unknown as { UploadArtifact(cb: (e: grpc.ServiceError | null) => void): grpc.ClientWritableStream<Msg> }).UploadArtifact((e) => resolve(e));
    call.write({ header: { jobToken: h.token, name: 'dist', protocolVersion: PROTOCOL_VERSION } });
    call.write({ data: Buffer.from('abc') });
    call.end();
  });
  assert.is(err?.code, grpc.status.UNIMPLEMENTED);
  assert.match(err?.details ?? '', /configure a Storage plugin/);
  h.cancel('x');
});

// Uploads and downloads with a Storage: core/test/blobs/*.test.ts.

test.run();
