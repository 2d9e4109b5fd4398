// The agent service's session parts on their own: ack coalescing and read-ahead flow control.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACK_DELAY_MS, ACK_EVERY, AckCoalescer } from '../../src/agent-service/ackCoalescer.js';
import { lostReason } from '../../src/agent-service/heartbeatWatchdog.js';
import type { JobState } from '../../src/agent-service/jobState.js';
import { MAX_QUEUED_MESSAGES, ReadAhead } from '../../src/agent-service/readAhead.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function coalescer(open = () => true) {
  let delivered = 0;
  const sent: number[] = [];
  const acks = new AckCoalescer(
    () => delivered,
    (seq) => {
      if (!open()) return false;
      sent.push(seq);
      return true;
    },
  );
  return { acks, sent, deliver: (seq: number, urgent = false) => ((delivered = seq), acks.delivered(seq, urgent)) };
}

test('acks are coalesced: one cumulative ack after the delay, not one per message', async () => {
  const { sent, deliver } = coalescer();
  for (let seq = 1; seq <= 5; seq++) deliver(seq);
  assert.equal(sent, []);
  await tick(ACK_DELAY_MS * 5);
  assert.equal(sent, [5]);
});

test(`an ack goes out at once every ${ACK_EVERY} messages and for an urgent (Finished) one`, async () => {
  const { sent, deliver } = coalescer();
  for (let seq = 1; seq <= ACK_EVERY; seq++) deliver(seq);
  assert.equal(sent, [ACK_EVERY]);
  deliver(ACK_EVERY + 1, true);
  assert.equal(sent, [ACK_EVERY, ACK_EVERY + 1]);
  await tick(ACK_DELAY_MS * 5);
  // The pending timer found nothing new to acknowledge.
  assert.equal(sent, [ACK_EVERY, ACK_EVERY + 1]);
});

test('nothing is acknowledged twice, and an ack refused by a closed session is retried later', async () => {
  let open = false;
  const { acks, sent, deliver } = coalescer(() => open);
  deliver(1, true);
  assert.equal(sent, []);
  open = true;
  acks.flush();
  assert.equal(sent, [1]);
  acks.flush();
  assert.equal(sent, [1]);
});

test('read-ahead handles messages one at a time in order, pauses when full and resumes when drained', async () => {
  const events: string[] = [];
  const stream = { pause: () => events.push('pause'), resume: () => events.push('resume') };
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const handled: number[] = [];
  let inFlight = 0;
  const ra = new ReadAhead<number>(
    stream,
    async (n) => {
      inFlight++;
      assert.is(inFlight, 1, 'one message at a time');
      if (n === 1) await gate;
      handled.push(n);
      inFlight--;
    },
    (err) => events.push(`fail ${String(err)}`),
    () => false,
  );
  for (let n = 1; n <= MAX_QUEUED_MESSAGES + 1; n++) ra.push(n);
  assert.equal(events, ['pause']);
  release();
  await tick(10);
  assert.equal(handled, Array.from({ length: MAX_QUEUED_MESSAGES + 1 }, (_, i) => i + 1));
  assert.equal(events, ['pause', 'resume']);
});

test('read-ahead: a failing message drops the rest and reports the error once; a closed stream is not resumed', async () => {
  const events: string[] = [];
  const handled: number[] = [];
  const ra = new ReadAhead<number>(
    { pause: () => events.push('pause'), resume: () => events.push('resume') },
    async (n) => {
      await tick(1);
      if (n === 2) throw new Error('bad message 2');
      handled.push(n);
    },
    (err) => events.push(`fail ${(err as Error).message}`),
    () => true,
  );
  // The first is taken at once, so MAX_QUEUED_MESSAGES + 1 pushes fill the queue and pause the stream.
  for (let n = 1; n <= MAX_QUEUED_MESSAGES + 1; n++) ra.push(n);
  await tick(30);
  assert.equal(handled, [1]);
  assert.equal(events, ['pause', 'fail bad message 2']);
});

test('heartbeat watchdog: silent too long, never connected, or alive; a busy sink is never judged', () => {
  const limits = { heartbeatTimeoutMs: 1_000, connectTimeoutMs: 5_000, endpoint: '127.0.0.1:4000' };
  const job = (over: Partial<JobState>) => ({ ended: false, sinkBusy: false, everConnected: true, registeredAt: 0, lastActivity: 0, lastDisconnect: null, ...over }) as JobState;
  assert.is(lostReason(job({ lastActivity: 9_500 }), 10_000, limits), null);
  assert.match(lostReason(job({ lastActivity: 8_000 }), 10_000, limits) ?? '', 'no heartbeat from the agent for 2.0 s (session still open but silent)');
  assert.match(lostReason(job({ lastActivity: 8_000, lastDisconnect: 'closed by the agent' }), 10_000, limits) ?? '', '(stream closed by the agent)');
  assert.is(lostReason(job({ lastActivity: 0, sinkBusy: true }), 10_000, limits), null);
  assert.is(lostReason(job({ everConnected: false }), 4_000, limits), null);
  assert.match(lostReason(job({ everConnected: false }), 6_000, limits) ?? '', 'never connected within 5.0 s');
  assert.match(lostReason(job({ everConnected: false }), 6_000, limits) ?? '', '127.0.0.1:4000');
  assert.is(lostReason(job({ everConnected: false }), 1e9, { ...limits, connectTimeoutMs: null }), null);
});

test.run();
