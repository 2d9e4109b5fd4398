import { jetstreamManager, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { doctorError, doctorOk, doctorWarning, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { connectNats, type NatsConnectionConfig } from './connection.js';
import { labelToken, Subjects } from './subjects.js';

export interface NatsDoctorConfig {
  connection: NatsConnectionConfig;
  stream: string;
  subjectPrefix: string;
  ackWaitSeconds: number;
  maxDeliver: number;
  clusterJobCap: number;
  duplicateWindowSeconds: number;
  /** Control's labels (the ones workers serve). */
  labels: string[];
}

const CONNECT_TIMEOUT_MS = 5000;

const notFound = (err: unknown) => /not found/i.test(String((err as Error)?.message ?? err));

/**
 * `helios doctor` for queue-nats: NATS reachable with the configured credentials/TLS, JetStream on,
 * the stream and the per-label durables as control and the workers create them. Read-only: a missing
 * stream or durable is a warning, because the first `helios serve`/`helios worker` to start creates it.
 */
export async function natsDoctor(ctx: DoctorContext<NatsDoctorConfig>): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const where = c.connection.servers.join(', ');
  const checks: DoctorCheck[] = [];
  let nc: NatsConnection;
  try {
    nc = await connectNats({ ...c.connection, name: `helios-doctor-${ctx.instance}` }, { timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    checks.push(doctorError('reachable', (err as Error).message, `start nats-server with JetStream (nats-server -js) where servers (${where}) points, or fix servers; check user/password, token, credentials and tls in the plugin config`));
    return checks;
  }
  try {
    checks.push(doctorOk('reachable', `connected to ${nc.getServer()}`));
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc, { timeout: CONNECT_TIMEOUT_MS });
      await jsm.getAccountInfo();
    } catch (err) {
      checks.push(doctorError('JetStream', `JetStream does not answer: ${(err as Error).message}`, 'run nats-server with JetStream enabled (-js, or jetstream {} in its config) and give this account JetStream limits'));
      return checks;
    }
    checks.push(doctorOk('JetStream', 'enabled for this account'));
    if (!(await streamCheck(jsm, c, checks))) return checks;
    await consumerChecks(jsm, c, ctx.workerLabels, checks);
    return checks;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** Pushes the stream's verdict; false when the stream is absent (then no durable can exist). */
async function streamCheck(jsm: JetStreamManager, c: NatsDoctorConfig, checks: DoctorCheck[]): Promise<boolean> {
  const name = `stream ${c.stream}`;
  const subjects = new Subjects(c.subjectPrefix);
  let info;
  try {
    info = await jsm.streams.info(c.stream);
  } catch (err) {
    if (!notFound(err)) {
      checks.push(doctorError(name, `cannot read it: ${(err as Error).message}`, 'give this NATS user the JetStream API permissions ($JS.API.>)'));
      return false;
    }
    checks.push(doctorWarning(name, 'absent: no helios serve or helios worker has started against this NATS yet', 'start helios serve (control) or helios worker: either creates it; nothing can be queued until then'));
    return false;
  }
  const cfg = info.config;
  if (cfg.retention !== RetentionPolicy.Workqueue) {
    checks.push(doctorError(name, `retention is ${cfg.retention}, not workqueue: jobs would be delivered to more than one worker or never removed`, `the name is taken by another stream: set a different stream in the plugin config, or (when it holds nothing you need) nats stream rm ${c.stream}`));
    return false;
  }
  const drift: string[] = [];
  if (!(cfg.subjects ?? []).includes(subjects.allJobs)) drift.push(`subjects ${JSON.stringify(cfg.subjects ?? [])} (want ${subjects.allJobs})`);
  if (cfg.duplicate_window !== nanos(c.duplicateWindowSeconds * 1000)) drift.push(`duplicate window ${cfg.duplicate_window / 1e9} s (want ${c.duplicateWindowSeconds} s)`);
  if (drift.length) checks.push(doctorWarning(name, `differs from the config: ${drift.join('; ')}`, 'restart helios serve (or a worker): it updates the stream to the config; check that every host uses the same subjectPrefix and duplicateWindowSeconds'));
  else checks.push(doctorOk(name, `workqueue on ${subjects.allJobs}, ${info.state.messages} job message${info.state.messages === 1 ? '' : 's'} waiting`));
  return true;
}

/** One verdict per label: a worker's own labels, or on control the labels it hands to workers. */
async function consumerChecks(jsm: JetStreamManager, c: NatsDoctorConfig, workerLabels: readonly string[] | undefined, checks: DoctorCheck[]): Promise<void> {
  const isWorker = workerLabels !== undefined;
  const labels = [...new Set(isWorker ? workerLabels : c.labels)];
  const subjects = new Subjects(c.subjectPrefix);
  if (isWorker && labels.length === 0) {
    checks.push(doctorError('consumers', 'this worker serves no label (its runtimes could not be built, or have no labels)', 'give a runtime plugin labels (config labels: [...]) and fix the errors above'));
    return;
  }
  for (const label of labels) {
    const durable = `${c.stream}_${labelToken(label)}`;
    const name = `consumer ${label}`;
    let info;
    try {
      info = await jsm.consumers.info(c.stream, durable);
    } catch (err) {
      if (!notFound(err)) checks.push(doctorError(name, `cannot read durable ${durable}: ${(err as Error).message}`, 'give this NATS user the JetStream API permissions ($JS.API.>)'));
      else if (isWorker) checks.push(doctorWarning(name, `durable ${durable} absent: no worker serving ${label} has started yet`, 'start this helios worker: it creates the durable'));
      else checks.push(doctorWarning(name, `durable ${durable} absent: no worker serving ${label} has started, jobs for it wait in the stream`, `start a helios worker whose runtimes serve ${label}, or remove ${label} from labels`));
      continue;
    }
    const cfg = info.config;
    const filter = subjects.job(label);
    if (cfg.filter_subject !== filter) {
      checks.push(doctorError(name, `durable ${durable} filters ${cfg.filter_subject ?? '(nothing)'}, not ${filter}`, `stop the workers, nats consumer rm ${c.stream} ${durable}, start them again (they recreate it)`));
      continue;
    }
    const drift: string[] = [];
    if (cfg.ack_wait !== nanos(c.ackWaitSeconds * 1000)) drift.push(`ack wait ${(cfg.ack_wait ?? 0) / 1e9} s (want ${c.ackWaitSeconds} s)`);
    if (cfg.max_deliver !== c.maxDeliver) drift.push(`max deliver ${cfg.max_deliver} (want ${c.maxDeliver})`);
    if (cfg.max_ack_pending !== c.clusterJobCap) drift.push(`max ack pending ${cfg.max_ack_pending} (want clusterJobCap ${c.clusterJobCap})`);
    if (drift.length) checks.push(doctorWarning(name, `durable ${durable} differs from the config: ${drift.join('; ')}`, 'use the same ackWaitSeconds, maxDeliver and clusterJobCap on control and every worker; a worker updates the durable when it starts'));
    else checks.push(doctorOk(name, `durable ${durable}: ${info.num_pending} waiting, ${info.num_ack_pending} running`));
  }
}
