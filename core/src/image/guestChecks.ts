import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';

export interface GuestFacts {
  cloudInit: string;
  node: string;
  nodeMajor: number | null;
}

/** Where cloud-init may live in a guest tree. */
const CLOUD_INIT = ['usr/bin/cloud-init', 'usr/local/bin/cloud-init', 'opt/ooce/bin/cloud-init'];

/**
 * What the golden image must hold (checked in its tree, never run: the guest is another OS):
 * cloud-init, and node ≥ 20 at `nodePath`, its version read from node_version.h beside it.
 */
export function checkGuestTree(root: string, nodePath: string): GuestFacts {
  const problems: string[] = [];
  const cloudInit = CLOUD_INIT.find((p) => existsSync(join(root, p)));
  if (!cloudInit) problems.push(`no cloud-init (looked for ${CLOUD_INIT.map((p) => '/' + p).join(', ')}); install it in the guest (OmniOS: pkg install system/cloud-init)`);
  const node = join(root, nodePath);
  let nodeMajor: number | null = null;
  if (!existsSync(node)) problems.push(`no node at ${nodePath} (guest.node); install node ≥ 20 in the guest`);
  else {
    const header = join(dirname(dirname(node)), 'include/node/node_version.h');
    if (existsSync(header)) {
      const m = /#define NODE_MAJOR_VERSION (\d+)/.exec(readFileSync(header, 'utf8'));
      nodeMajor = m ? Number(m[1]) : null;
      if (nodeMajor !== null && nodeMajor < 20) problems.push(`node ${nodeMajor} at ${nodePath} is too old; the agent needs node ≥ 20`);
    }
  }
  if (problems.length) throw new HeliosError('E_IMAGE_INVALID', `the image tree ${root} cannot run Helios jobs: ${problems.join('; ')}`);
  return { cloudInit: '/' + cloudInit!, node: nodePath, nodeMajor };
}
