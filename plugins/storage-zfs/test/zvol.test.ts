// A zvol image (illumos, bhyve) gives a zvol clone whose location is its device. zfs-fuse has no
// zvols, so a scripted zfs answers as illumos's does for a volume.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZfsStorage } from '../src/zfsStorage.js';
import { scriptedZfs } from './fakeZfs.js';

const ILLUMOS_ZFS = `(args) => {
  if (args[0] === 'list' && args.includes('snapshot')) return { out: 'tank/ci/images/omnios@r151054\\n' };
  if (args[0] === 'destroy') return { err: "cannot open '" + args.at(-1) + "': dataset does not exist\\n", code: 1 };
  if (args[0] === 'get') return { out: 'type\\tvolume\\nmountpoint\\t-\\nmounted\\t-\\norigin\\ttank/ci/images/omnios@r151054\\n' };
  return {};
}`;

for (const [platform, device] of [['sunos', '/dev/zvol/dsk/tank/ci/jobs/job1-image'], ['linux', '/dev/zvol/tank/ci/jobs/job1-image']] as const) {
  test(`a zvol image is cloned to a zvol whose location is its device (${platform})`, async () => {
    const fake = scriptedZfs(ILLUMOS_ZFS);
    try {
      const s = new ZfsStorage({ id: 'zfs', parent: 'tank/ci', zfsCommand: fake.command, platform });
      const v = await s.cloneImage('omnios', 'job1');
      assert.equal(v, { id: 'jobs/job1-image', kind: 'image-clone', location: device, jobId: 'job1' });
      assert.ok(
        fake.calls().some((c) => JSON.stringify(c) === JSON.stringify(['clone', '-o', 'helios:job=job1', '-o', 'helios:kind=image-clone', 'tank/ci/images/omnios@r151054', 'tank/ci/jobs/job1-image'])),
        JSON.stringify(fake.calls()),
      );
    } finally {
      fake.cleanup();
    }
  });
}

test.run();
