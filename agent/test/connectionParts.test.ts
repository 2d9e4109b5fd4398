// The agent connection's parts on their own: log batcher, resend buffer, ack tracker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AckTracker } from '../src/session/ackTracker.js';
import { LogBatcher, type LogBody } from '../src/session/logBatcher.js';
import { ResendBuffer } from '../src/session/resendBuffer.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function batcher(batchBytes = 1024, batchDelayMs = 60_000) {
  const out: { log: LogBody; bytes: number }[] = [];
  const b = new LogBatcher({ batchBytes, batchDelayMs }, (log, bytes) => out.push({ log, bytes }));
  const texts = () => out.map((o) => `${o.log.step}/${o.log.stream}:${o.log.lines.toString('utf8')}#${o.log.lineCount}`);
  return { b, out, texts };
}

test('batcher: lines of one step and stream become one batch, joined by newline, in order', () => {
  const { b, out, texts } = batcher();
  b.add('s1', 'STDOUT', 'a', 1);
  b.add('s1', 'STDOUT', Buffer.from('b\nc'), 2);
  assert.equal(out, []);
  b.flush();
  assert.equal(texts(), ['s1/STDOUT:a\nb\nc#3']);
  assert.is(out[0]!.bytes, 'a\nb\nc'.length);
  b.flush();
  assert.is(out.length, 1, 'an empty flush sends nothing');
});

test('batcher: a change of step or stream closes the batch first, keeping the order', () => {
  const { b, texts } = batcher();
  b.add('s1', 'STDOUT', 'a', 1);
  b.add('s1', 'STDERR', 'b', 1);
  b.add('s2', 'STDERR', 'c', 1);
  b.add('s2', 'STDERR', 'd', 1);
  b.add('s2', 'STDERR', '', 0);
  b.flush();
  assert.equal(texts(), ['s1/STDOUT:a#1', 's1/STDERR:b#1', 's2/STDERR:c\nd#2']);
});

test('batcher: a batch is sent when it reaches batchBytes, never grows past it, and goes after batchDelayMs', async () => {
  const { b, out, texts } = batcher(4, 30);
  b.add('s', 'STDOUT', 'ab', 1);
  // "ab\ncd" would be 5 bytes: "ab" goes alone first.
  b.add('s', 'STDOUT', 'cd', 1);
  assert.equal(texts(), ['s/STDOUT:ab#1']);
  // "cd\ne" is 4 bytes: it reaches batchBytes and goes.
  b.add('s', 'STDOUT', 'e', 1);
  assert.equal(texts(), ['s/STDOUT:ab#1', 's/STDOUT:cd\ne#2']);
  // One block larger than batchBytes is still one batch.
  b.add('s', 'STDOUT', 'fghij', 1);
  b.add('s', 'STDOUT', 'k', 1);
  assert.is(texts().length, 3);
  await tick(200);
  assert.equal(texts(), ['s/STDOUT:ab#1', 's/STDOUT:cd\ne#2', 's/STDOUT:fghij#1', 's/STDOUT:k#1']);
  assert.equal(
    out.map((o) => [o.bytes, o.log.lines.length]),
    [
      [2, 2],
      [4, 4],
      [5, 5],
      [1, 1],
    ],
  );
});

test('batcher: the timer never sends a batch younger than batchDelayMs, also when it was armed for an earlier batch that filled up', async () => {
  const out: { log: LogBody; at: number }[] = [];
  const b = new LogBatcher({ batchBytes: 4, batchDelayMs: 80 }, (log) => out.push({ log, at: Date.now() }));
  // Full at once: sent now; the timer armed for it keeps running.
  b.add('s', 'STDOUT', 'abcd', 1);
  await tick(50);
  // A new batch, ~50 ms into that timer: when it fires, this one is too young and must wait.
  b.add('s', 'STDOUT', 'e', 1);
  await tick(300);
  assert.equal(
    out.map((o) => o.log.lines.toString('utf8')),
    ['abcd', 'e'],
  );
  // Timers fire on a millisecond clock: allow one millisecond of rounding.
  assert.ok(out[1]!.at - out[1]!.log.ts >= 79, `sent ${out[1]!.at - out[1]!.log.ts} ms after its first line`);
  // After stop() nothing is sent by time; flush() still sends.
  b.add('s', 'STDOUT', 'f', 1);
  b.stop();
  await tick(200);
  assert.is(out.length, 2);
  b.flush();
  assert.is(out.length, 3);
});

test('batcher: through the output pipe, a secret split across reads at a batch boundary is masked and no batch exceeds the cap', async () => {
  const { OutputPipe, CommandState } = await import('../src/output.js');
  const { SecretMasker } = await import('@helios-ci/sdk/secret-masker');
  const secret = 'sup3r-s3cret-t0ken';
  const masker = new SecretMasker();
  masker.add(secret);
  for (const cap of [64, 100, 150, 1024]) {
    const { b, out } = batcher(cap);
    const conn = { log: (step: string, stream: 'STDOUT', data: string | Buffer, n: number) => b.add(step, stream, data, n), send() {} };
    const pipe = new OutputPipe(new CommandState('s', conn as never, masker), 'STDOUT');
    const lines = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `${i} ${secret} ${'x'.repeat(i % 40)}` : `line ${i} ${'y'.repeat(i % 50)}`));
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    // Reads that end inside the secret: every cut position in turn.
    for (let at = 0, k = 1; at < bytes.length; k = (k % 23) + 1) {
      pipe.write(bytes.subarray(at, at + k));
      at += k;
    }
    pipe.end();
    b.flush();
    const got = out.flatMap((o) => o.log.lines.toString('utf8').split('\n'));
    assert.equal(got, lines.map((l) => l.replaceAll(secret, '***')), `cap ${cap}`);
    for (const o of out) {
      assert.is(o.bytes, o.log.lines.length);
      assert.is(o.log.lineCount, o.log.lines.toString('utf8').split('\n').length);
      // Only a block that alone is larger than the cap (one long line here) may exceed it.
      if (o.bytes > cap) assert.is(o.log.parts.length, 1, `cap ${cap}: a joined batch of ${o.bytes} bytes`);
    }
  }
});

test('batcher: after stop() nothing is sent by the timer; flush() still sends', async () => {
  const { b, texts } = batcher(1024, 20);
  b.add('s', 'STDOUT', 'a', 1);
  b.stop();
  await tick(100);
  assert.equal(texts(), []);
  b.flush();
  assert.equal(texts(), ['s/STDOUT:a#1']);
});

test('resend buffer: numbers messages 1, 2, 3 … and keeps them until acknowledged', () => {
  const r = new ResendBuffer<{ body: string }>();
  assert.equal(['a', 'b', 'c'].map((body) => r.add({ body }, 10).seq), [1, 2, 3]);
  assert.equal(r.pending().map((p) => p.msg), [{ body: 'a', seq: 1 }, { body: 'b', seq: 2 }, { body: 'c', seq: 3 }]);
  assert.is(r.bytes, 30);
  r.release(2);
  assert.equal(r.pending().map((p) => p.seq), [3]);
  assert.is(r.bytes, 10);
  r.release(1);
  assert.equal(r.pending().map((p) => p.seq), [3], 'a stale ack releases nothing');
});

test('resend buffer: after a reconnect, what follows Welcome.ackedSeq is resent in order, nothing twice', () => {
  const r = new ResendBuffer<{ n: number }>();
  for (let n = 1; n <= 6; n++) r.add({ n }, 1);
  // The stream dropped; the server had processed up to 4 (its Welcome.ackedSeq).
  r.release(4);
  assert.equal(r.pending().map((p) => p.msg.seq), [5, 6]);
  const seq = r.add({ n: 7 }, 1).seq;
  assert.is(seq, 7, 'numbering continues across the reconnect');
  r.release(7);
  assert.equal(r.pending(), []);
  assert.is(r.bytes, 0);
});

test('ack tracker: cumulative acks resolve every waiter they cover; stale and repeated acks are ignored', () => {
  const t = new AckTracker();
  const done: number[] = [];
  t.whenAcked(2, () => done.push(2));
  t.whenAcked(5, () => done.push(5));
  assert.is(t.advance(3), true);
  assert.equal(done, [2]);
  assert.is(t.advance(3), false);
  assert.is(t.advance(1), false);
  assert.is(t.acked, 3);
  t.whenAcked(3, () => done.push(3));
  assert.equal(done, [2, 3], 'an already acknowledged seq resolves at once');
  assert.is(t.advance(9), true);
  assert.equal(done, [2, 3, 5]);
});

test('wire buffers: lent per message, reused after its write is called back, never across a new call', async () => {
  const { WireBuffers, POOLED_MIN_BYTES } = await import('../src/session/wireBuffers.js');
  const w = new WireBuffers();
  const size = POOLED_MIN_BYTES * 4;
  const a = {};
  const b = {};
  const bufA = w.take(size, a);
  assert.is(bufA.length, size);
  const bufB = w.take(size, b);
  assert.is.not(bufA.buffer, bufB.buffer, 'two messages in flight never share memory');
  w.release(a);
  const c = {};
  assert.is(w.take(size - 10, c).buffer, bufA.buffer, "a called-back message's memory is reused");
  // b was lent to a call that dropped: its late callback returns nothing to the new call's pool.
  w.reset();
  w.release(b);
  const d = {};
  assert.is.not(w.take(size, d).buffer, bufB.buffer);
  // Small messages are not pooled.
  const small = w.take(100, {});
  assert.is(small.length, 100);
});

test.run();
