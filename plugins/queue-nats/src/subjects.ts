import { HeliosError } from '@helios-ci/sdk';

/**
 * A runs-on label as one NATS subject token (and durable consumer name part): letters, digits and
 * `-` stay, every other byte becomes `_xx` (hex), so `.`, `*`, `>` and spaces cannot split or widen
 * a subject and two labels never share a token. The empty label list routes to `_`.
 */
export function labelToken(label: string | undefined): string {
  if (label === undefined || label === '') return '_';
  let out = '';
  for (const byte of Buffer.from(label, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new HeliosError('E_CONFIG_INVALID', `queue-nats: subjectPrefix ${JSON.stringify(prefix)} must be dot-separated tokens of letters, digits, _ and - (no * or >)`);
  return prefix;
}

export function checkWorkerId(id: string): string {
  if (!WORKER_ID.test(id)) throw new HeliosError('E_CONFIG_INVALID', `worker id ${JSON.stringify(id)} must be 1-63 letters, digits, _ or - (config worker.id)`);
  return id;
}

/** Every subject Helios uses under one prefix. */
export class Subjects {
  constructor(readonly prefix: string) {
    checkPrefix(prefix);
  }
  /** The work-queue stream's subjects. */
  get allJobs(): string {
    return `${this.prefix}.jobs.>`;
  }
  job(label: string | undefined): string {
    return `${this.prefix}.jobs.${labelToken(label)}`;
  }
  /** Worker → control: may I start this job attempt? (request/reply) */
  get claim(): string {
    return `${this.prefix}.ctl.claim`;
  }
  /** Worker → control: is this job attempt still wanted? (request/reply) */
  get status(): string {
    return `${this.prefix}.ctl.status`;
  }
  /** Worker → control: machine events. */
  get events(): string {
    return `${this.prefix}.ctl.events`;
  }
  /** Control → one worker: the job ended, destroy its machine (request/reply). */
  destroy(workerId: string): string {
    return `${this.prefix}.worker.${checkWorkerId(workerId)}.destroy`;
  }
}
