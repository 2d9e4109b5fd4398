import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { agentProtoFile, protoDir } from '@helios-ci/proto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAgentClient } from '../src/protocol.js';
import type { LogBody } from '../src/session/logBatcher.js';
import { encodeLogMessage } from '../src/session/logWire.js';

const OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] };
type Session = grpc.MethodDefinition<object, object>;
const reference = (grpc.loadPackageDefinition(protoLoader.loadSync(agentProtoFile, OPTIONS)) as unknown as { helios: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } }).helios.agent.v1.Agent
  .service.Session as Session;

const log = (over: Record<string, unknown> = {}) => ({ step: 'build', stream: 'STDOUT', ts: 1_764_700_000_123, lines: Buffer.from('line one\nline two'), lineCount: 2, ...over });

test('a log batch encoded by hand decodes exactly as the protobufjs encoding of it does', () => {
  const cases = [
    { seq: 1, log: log() },
    { seq: 300, log: log({ stream: 'STDERR', step: 'ünïcode step', lines: Buffer.from('é\n€\n') }) },
    { seq: 2 ** 40 + 7, log: log({ stream: 'SYSTEM', ts: 0, lines: Buffer.alloc(0), lineCount: 0 }) },
    { seq: 5, log: log({ lines: Buffer.alloc(300_000, 'x'), lineCount: 1, step: '' }) },
  ];
  for (const msg of cases) {
    const mine = encodeLogMessage(msg as never);
    assert.ok(mine, 'handled by the hand-written encoder');
    const decoded = reference.requestDeserialize(mine!) as { seq: number; body: string; log: { lines: Buffer } };
    const expected = reference.requestDeserialize(reference.requestSerialize(msg)) as typeof decoded;
    assert.equal(decoded, expected);
    assert.is(decoded.body, 'log');
    assert.ok(Buffer.from(decoded.log.lines).equals(msg.log.lines));
  }
});

test('what the encoder does not handle goes to protobufjs: other messages, text lines, odd numbers', () => {
  assert.is(encodeLogMessage({ seq: 1 } as never), null);
  assert.is(encodeLogMessage({ seq: 1, log: log({ lines: 'text' }) } as never), null);
  assert.is(encodeLogMessage({ seq: 1, log: log({ stream: 'NOPE' }) } as never), null);
  assert.is(encodeLogMessage({ seq: -1, log: log() } as never), null);
  assert.is(encodeLogMessage({ seq: 1, log: log({ ts: 1.5 }) } as never), null);
  // The client the agent uses sends both kinds.
  const session = loadAgentClient().service.Session as Session;
  for (const msg of [{ seq: 3, log: log() }, { seq: 4, stepStarted: { step: 's', name: 'n', parent: '', ts: 1 } }, { seq: 0, heartbeat: { ts: 9 } }]) {
    assert.equal(reference.requestDeserialize(session.requestSerialize(msg)), reference.requestDeserialize(reference.requestSerialize(msg)));
  }
});

test("the batcher's parts are joined while encoded: the same message as the joined batch", async () => {
  const { LogBatcher } = await import('../src/session/logBatcher.js');
  const sent: { log: LogBody }[] = [];
  const b = new LogBatcher({ batchBytes: 1 << 20, batchDelayMs: 60_000 }, (l) => sent.push({ log: l }));
  b.add('build', 'STDERR', Buffer.from('first\nsecond'), 2);
  b.add('build', 'STDERR', 'é€ third', 1);
  b.add('build', 'STDERR', Buffer.from(''), 1);
  b.add('build', 'STDERR', Buffer.from('last'), 1);
  b.flush();
  assert.is(sent.length, 1);
  const body = sent[0]!.log;
  assert.is(body.parts.length, 4);
  const mine = encodeLogMessage({ seq: 9, log: body });
  const joined = encodeLogMessage({ seq: 9, log: { step: body.step, stream: body.stream, ts: body.ts, lines: Buffer.from('first\nsecond\né€ third\n\nlast'), lineCount: 5 } as never });
  assert.ok(mine && joined && mine.equals(joined));
  const decoded = reference.requestDeserialize(mine!) as { log: { lines: Buffer; lineCount: number } };
  assert.is(Buffer.from(decoded.log.lines).toString('utf8'), 'first\nsecond\né€ third\n\nlast');
  assert.is(decoded.log.lineCount, 5);
  // Parts that do not add up to the stated size are not encoded by hand.
  assert.is(encodeLogMessage({ seq: 1, log: { ...body, parts: body.parts, bytes: body.bytes + 1 } as never }), null);
});

test.run();
