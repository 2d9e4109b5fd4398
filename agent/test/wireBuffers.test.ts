// The rule WireBuffers relies on, checked against the real grpc-js: a write is called back only after
// grpc-js copied the serialized message (its framing), so the memory may then be reused. Released
// buffers are poisoned here: any later read of one would show up as damaged lines on the server.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { agentProtoFile, protoDir } from '@helios-ci/proto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAgentClient } from '../src/protocol.js';
import { LogBatcher, type LogBody } from '../src/session/logBatcher.js';
import { POOLED_MIN_BYTES, WireBuffers } from '../src/session/wireBuffers.js';

const OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] };
const Agent = (grpc.loadPackageDefinition(protoLoader.loadSync(agentProtoFile, OPTIONS)) as unknown as { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } }).helios.agent.v1.Agent;

class PoisonedWireBuffers extends WireBuffers {
  released = 0;
  private readonly byOwner = new Map<object, Buffer>();
  override take(size: number, owner: object): Buffer {
    const buf = super.take(size, owner);
    this.byOwner.set(owner, buf);
    return buf;
  }
  override release(owner: object): void {
    const buf = this.byOwner.get(owner);
    this.byOwner.delete(owner);
    if (buf && buf.length >= POOLED_MIN_BYTES) {
      buf.fill(0xee);
      this.released++;
    }
    super.release(owner);
  }
}

test('a write is called back only once grpc-js copied the message: poisoned memory never reaches the server', async () => {
  const received: { seq: number; lines: string }[] = [];
  const server = new grpc.Server();
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  server.addService(Agent.service, {
    Session: (call: grpc.ServerDuplexStream<{ seq: number; log?: { lines: Buffer } }, unknown>) => {
      call.on('data', (m) => {
        if (m.log) received.push({ seq: m.seq, lines: Buffer.from(m.log.lines).toString('utf8') });
      });
      call.on('end', () => {
        call.end();
        ended();
      });
      // A damaged message fails the stream: end here and let the comparison below say which.
      call.on('error', () => ended());
      call.on('cancelled', () => ended());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const buffers = new PoisonedWireBuffers();
  const Client = loadAgentClient(buffers);
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Session(): grpc.ClientDuplexStream<object, unknown> };
  const call = client.Session();
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  // Batches as the agent makes them (parts joined while encoded), of several sizes around the pool's.
  const sent: string[] = [];
  let seq = 0;
  const batcher = new LogBatcher({ batchBytes: 1 << 20, batchDelayMs: 60_000 }, (log: LogBody) => {
    const msg = { seq: ++seq, log };
    sent.push(log.lines.toString('utf8'));
    call.write(msg, () => buffers.release(msg));
  });
  for (let i = 0; i < 200; i++) {
    const lines = Array.from({ length: 50 + (i % 7) * 400 }, (_, j) => `message ${i} line ${j} ${'x'.repeat((i * 13 + j) % 90)}`);
    batcher.add('s', 'STDOUT', Buffer.from(lines.join('\n')), lines.length);
    batcher.flush();
    // Let some writes complete between batches, and queue others back to back.
    if (i % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  call.end();
  await done;
  client.close();
  server.forceShutdown();
  assert.ok(buffers.released > 50, `pooled buffers were released and poisoned (${buffers.released})`);
  assert.is(received.length, sent.length);
  received.forEach((r, i) => {
    assert.is(r.seq, i + 1);
    assert.ok(r.lines === sent[i], `message ${i + 1} arrived intact`);
  });
});

test.run();
