import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitHubStandIn } from '../standIn/server.js';
import { Deployment } from './serve.js';

/** Where a stand-in listens for sandboxed jobs: loopback, but not the 127.0.0.1 jobs reach directly. */
export const SANDBOX_REACHABLE_HOST = '127.0.0.2';

/**
 * A Deployment whose local runtime keeps its default sandbox (bubblewrap when it works here): the
 * stand-in listens on the host's loopback, so the egress policy lets jobs reach it (clone, API)
 * through the egress proxy; start the stand-in on SANDBOX_REACHABLE_HOST rather than turning the sandbox off.
 */
export class SandboxedDeployment extends Deployment {
  constructor(standIn: GitHubStandIn, webhookSecret: string) {
    super(standIn, webhookSecret);
    const file = join(this.dir, 'helios.yaml');
    const { host } = new URL(standIn.apiUrl);
    const yaml = readFileSync(file, 'utf8').replace(', sandbox: off }', ' }');
    writeFileSync(file, `${yaml}egress:\n  default:\n    allow: ["${host}"]\n    allowPrivate: ["${host.split(':')[0]}/32"]\n`);
  }
}

/** Whether bubblewrap is installed here (the runtime then sandboxes jobs by default). */
export const bwrapPresent = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => existsSync(p));
