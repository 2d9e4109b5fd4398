import type { EventBus, JobState } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import { EventLoopLagSampler } from './eventLoopLag.js';
import { Counter, Gauge, Histogram, renderAll, type Metric } from './exposition.js';

const JOB_STATES: readonly JobState[] = ['queued', 'provisioning', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];

/** Seconds; CI jobs run from seconds to hours. */
const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600];
/** Seconds from the start of a provision (t0, the clone) to a machine milestone: sub-second to minutes. */
const START_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** Seconds a 20 ms timer ran late: healthy is under 10 ms, noticeable from 50 ms. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Inbox rows of these "forges" come from `helios run` and the REST API, not from webhooks. */
const NOT_WEBHOOKS = new Set(['local', 'api']);

export interface MetricsSources {
  store: Store;
  events: EventBus;
  /** Agents with a live gRPC session. */
  agentSessions(): number;
}

/**
 * Helios's metrics. Event-driven ones (jobs finished, durations) count from the moment the server
 * started, as Prometheus counters do; the others are read from the store or the process at scrape
 * time, so they are right after a restart too.
 */
export class HeliosMetrics {
  private readonly jobs = new Gauge('helios_jobs', 'Jobs in the store by state.');
  private readonly finished = new Counter('helios_jobs_finished_total', 'Jobs that reached a final state since this server started, by state.');
  private readonly duration = new Histogram('helios_job_duration_seconds', 'Time from provisioning to the final state of jobs finished since this server started.', DURATION_BUCKETS);
  private readonly machineStart = new Histogram('helios_machine_start_seconds', 'Seconds from the start of provisioning (t0, the disk clone) to each machine milestone (booted, console, hello), for jobs finished since this server started.', START_BUCKETS);
  private readonly teardownIncomplete = new Counter('helios_machine_teardown_incomplete_total', "Machine teardowns (after a job or at reconciliation) that failed and may have left part of the machine behind, since this server started, by runtime instance.");
  private readonly egressConnections = new Counter('helios_egress_connections_total', 'Connections (CONNECT tunnels and forwarded requests) through the egress proxy since this server started, by decision (allowed, refused).');
  private readonly egressBytes = new Counter('helios_egress_bytes_total', 'Bytes (both ways) through the egress proxy for allowed connections since this server started.');
  private readonly deliveries = new Counter('helios_webhook_deliveries_total', 'Webhook deliveries stored in the inbox (duplicates excluded), by forge instance.');
  private readonly outbox = new Gauge('helios_outbox_pending', 'Forge outbox rows still to deliver (pending or in flight).');
  private readonly sessions = new Gauge('helios_agent_sessions_active', 'Agents connected to the agent service.');
  private readonly uptime = new Gauge('helios_uptime_seconds', 'Seconds since this server process started.');
  private readonly cpu = new Counter('process_cpu_seconds_total', 'User and system CPU time of this process, in seconds.');
  private readonly rss = new Gauge('process_resident_memory_bytes', 'Resident memory of this process, in bytes.');
  private readonly startTime = new Gauge('process_start_time_seconds', 'Start time of this process since the Unix epoch, in seconds.');
  private readonly loopLag = new Histogram('helios_event_loop_lag_seconds', "How late a timer due every 20 ms ran on the server's event loop (what requests and agent messages wait on), since this server started.", LAG_BUCKETS);
  private readonly loopLagOwn = new Histogram('helios_event_loop_lag_own_seconds', "The part of each helios_event_loop_lag_seconds sample the process spent on CPU (its own work holding the loop), as opposed to waiting for a CPU on a busy host.", LAG_BUCKETS);
  private readonly lagSampler: EventLoopLagSampler;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeTeardown: () => void;
  private readonly unsubscribeEgress: () => void;

  constructor(private readonly s: MetricsSources) {
    for (const state of JOB_STATES) if (!['queued', 'provisioning', 'running'].includes(state)) this.finished.inc({ state }, 0);
    this.unsubscribe = s.events.on('job.finished', (e) => {
      this.finished.inc({ state: e.state });
      const job = s.store.jobs.get(e.jobId);
      // Skipped and never-started jobs have no duration worth a bucket.
      const from = job?.provisioningAt ?? job?.startedAt ?? null;
      if (job && from !== null && job.finishedAt !== null) this.duration.observe({ state: e.state }, (job.finishedAt - from) / 1000);
      const t = s.store.jobTimings.get(e.jobId);
      if (t) {
        for (const [milestone, at] of [['booted', t.bootedAt], ['console', t.consoleAt], ['hello', t.helloAt]] as const) {
          if (at !== null) this.machineStart.observe({ milestone }, Math.max(0, at - t.cloneAt) / 1000);
        }
      }
    });
    this.unsubscribeTeardown = s.events.on('machine.teardownFailed', (e) => this.teardownIncomplete.inc({ runtime: e.runtime }));
    for (const decision of ['allowed', 'refused']) this.egressConnections.inc({ decision }, 0);
    this.egressBytes.inc({}, 0);
    this.unsubscribeEgress = s.events.on('egress.connection', (e) => {
      this.egressConnections.inc({ decision: e.allowed ? 'allowed' : 'refused' });
      if (e.bytes > 0) this.egressBytes.inc({}, e.bytes);
    });
    this.lagSampler = new EventLoopLagSampler((late, own) => {
      this.loopLag.observe({}, late);
      this.loopLagOwn.observe({}, own);
    });
    this.startTime.set({}, Math.round((Date.now() - process.uptime() * 1000) / 1000));
  }

  /** The exposition text, with the store and process figures read now. */
  render(): string {
    const counts = this.s.store.jobs.countByState();
    this.jobs.reset();
    for (const state of JOB_STATES) this.jobs.set({ state }, counts[state] ?? 0);
    for (const [forge, n] of Object.entries(this.s.store.inbox.countByForge())) if (!NOT_WEBHOOKS.has(forge)) this.deliveries.set({ forge }, n);
    this.outbox.set({}, this.s.store.outbox.outstanding());
    this.sessions.set({}, this.s.agentSessions());
    this.uptime.set({}, process.uptime());
    const usage = process.cpuUsage();
    this.cpu.set({}, (usage.user + usage.system) / 1e6);
    this.rss.set({}, process.memoryUsage.rss());
    const all: Metric[] = [this.jobs, this.finished, this.duration, this.machineStart, this.teardownIncomplete, this.egressConnections, this.egressBytes, this.deliveries, this.outbox, this.sessions, this.uptime, this.cpu, this.rss, this.startTime, this.loopLag, this.loopLagOwn];
    return renderAll(all);
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeTeardown();
    this.unsubscribeEgress();
    this.lagSampler.close();
  }
}
