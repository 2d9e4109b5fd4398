/**
 * The per-job cloud-init user-data: a `#!` script the brand hands the guest unchanged (§7). It writes
 * the agent's bootstrap file (endpoint + one-job token, mode 600 in the guest) and starts the agent
 * already in the golden image. The token never appears on a command line. The file on the host is
 * mode 600 and deleted at teardown.
 *
 * Guest paths are prefixed with `$HELIOS_GUEST_ROOT`, which a real guest never sets (so they are the
 * plain absolute paths) and the illumos simulator sets to the clone's filesystem, where it runs the
 * script on the host.
 */
import { AGENT_NODE_FLAGS } from '@helios-ci/sdk';
import type { GuestConfig } from './config.js';
import { bhyveErrors } from './errors.js';

export interface UserDataInput {
  jobId: string;
  endpoint: string;
  token: string;
  /** The egress proxy's host:port (MachineSpec.egress.proxy): the agent points the steps' proxy variables at it. */
  egressProxy?: string;
  guest: GuestConfig;
  /** Where the guest mounts the warm disk, when the job has one. */
  warmDir?: string;
}

const PLAIN = /^[A-Za-z0-9_./:@+=-]+$/;

function plain(what: string, value: string): string {
  if (!PLAIN.test(value)) throw bhyveErrors.create('E_BHYVE_NAME_INVALID', `runtime-bhyve: the ${what} has characters the bootstrap script refuses; nothing was run`);
  return value;
}

export function userData(u: UserDataInput): string {
  const dir = `"$R"${plain('guest state dir', u.guest.stateDir)}/${plain('job id', u.jobId)}`;
  // JSON of plain values: no quote or backslash can reach the here-document.
  const bootstrap = JSON.stringify({ endpoint: plain('agent endpoint', u.endpoint), token: plain('agent token', u.token), ...(u.egressProxy ? { egressProxy: plain('egress proxy', u.egressProxy) } : {}) });
  const args = [plain('guest node', u.guest.node), ...AGENT_NODE_FLAGS.map((f) => plain('agent node flag', f)), `"$R"${plain('guest agent', u.guest.agent)}`, '--bootstrap', `${dir}/bootstrap.json`, '--workdir', `${dir}/work`];
  if (u.warmDir) args.push('--warm-dir', plain('warm dir', u.warmDir));
  return [
    '#!/bin/sh',
    '# Helios runtime-bhyve job bootstrap (generated; holds a one-job token).',
    'set -eu',
    'umask 077',
    'R="${HELIOS_GUEST_ROOT:-}"',
    `mkdir -p ${dir}/work`,
    `cat > ${dir}/bootstrap.json <<'HELIOS_BOOTSTRAP'`,
    bootstrap,
    'HELIOS_BOOTSTRAP',
    'echo "helios: starting the agent"',
    `exec ${args.join(' ')}`,
    '',
  ].join('\n');
}
