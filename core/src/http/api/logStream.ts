import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Context } from 'koa';
import type { EventBus, JobState, Logger } from '@helios-ci/sdk';
import { isTerminalJobState, type Store } from '../../store/index.js';
import { SseStream, type SseEvent } from './sse.js';

/** Lines read from the store and written per turn of the event loop. */
const PAGE = 500;

/**
 * `GET /api/jobs/:id/log/stream`: the job log as Server-Sent Events, from seq `from` on.
 *
 * The store is the only source of lines: the kernel's `job.log` events just say "there is more",
 * and the stream then reads the store from the next seq it has not sent. So a line is sent once,
 * in seq order, whether it was written before the client connected (backlog) or after — nothing
 * falls into the gap between reading the backlog and subscribing, because the subscription is made
 * before the first read. Each line is `event: log` with `id: <seq>`, so EventSource's reconnect
 * (`Last-Event-ID`) resumes right after it. `step` events follow the lines logged before them;
 * `finished` comes once the job is final and every line was sent, and then the stream ends.
 *
 * A long backlog goes out one page per turn of the event loop (one write per page, waiting for
 * 'drain' when the socket's buffer is full), so a few readers of a huge log cannot starve the rest
 * of the server. `release` (a stream slot) is called once, when the response closes.
 */
export function streamJobLog(
  ctx: Context,
  deps: { store: Store; events: EventBus; logger: Logger },
  jobId: string,
  from: number,
  release: () => void = () => undefined,
): void {
  const { store, events } = deps;
  try {
    store.jobs.require(jobId);
  } catch (err) {
    release();
    throw err;
  }
  // The response is written by hand from here on; Koa must not touch it (status is for its logs).
  ctx.status = 200;
  ctx.respond = false;
  const sse = new SseStream(ctx.res);
  let next = from;
  let final: { state: JobState; reason: string | null } | null = null;
  const steps: SseEvent[] = [];
  let busy = false;
  let again = false;

  const unsubscribe = [
    events.on('job.log', (e) => e.jobId === jobId && pump()),
    events.on('job.step', (e) => {
      if (e.jobId !== jobId) return;
      steps.push({ event: 'step', data: { step: e.step, name: e.name, state: e.state, conclusion: e.conclusion ?? null } });
      pump();
    }),
    events.on('job.finished', (e) => {
      if (e.jobId !== jobId) return;
      final = { state: e.state, reason: e.reason ?? null };
      pump();
    }),
  ];
  const cleanup = () => {
    unsubscribe.forEach((off) => off());
    release();
  };
  ctx.res.on('close', cleanup);

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        if (sse.isClosed) return;
        const lines = store.logReader.read(jobId, { from: next, limit: PAGE });
        if (lines.length) {
          await sse.sendAll(lines.map((l) => ({ id: l.seq, event: 'log', data: { seq: l.seq, step: l.step, stream: l.stream, ts: l.ts, text: l.text } })));
          next = lines[lines.length - 1]!.seq + 1;
        }
        if (lines.length < PAGE) break;
        // Let health checks, webhooks and other streams in before the next page.
        await yieldToEventLoop();
      }
      while (steps.length && !sse.isClosed) await sse.send(steps.shift()!);
    } while (again && !sse.isClosed);
    if (final && !sse.isClosed) {
      await sse.send({ event: 'finished', data: { state: final.state, reason: final.reason, lastSeq: next - 1 } });
      sse.end();
    }
  }

  /** Runs drain once at a time; events arriving meanwhile make it go round again. */
  function pump(): void {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    drain()
      .catch((err) => {
        // The store closes at shutdown; the client reconnects with Last-Event-ID and loses nothing.
        deps.logger.warn('log stream ended early', { jobId, error: err });
        sse.end();
      })
      .finally(() => {
        busy = false;
        if (again && !sse.isClosed) pump();
      });
  }

  // Subscribed above, so a job that finishes from here on is seen either by this read or by the event.
  const job = store.jobs.require(jobId);
  if (isTerminalJobState(job.state)) final ??= { state: job.state, reason: job.reason };
  pump();
}
