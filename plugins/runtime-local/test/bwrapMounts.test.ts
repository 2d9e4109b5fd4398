/** The sandbox's mount list (no bwrap needed): parents first, hides over shows at equal depth, nothing re-bound that was not hidden. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bwrapArgv, sandboxMounts, SANDBOX_NET_DIR } from '../src/sandbox/bwrap.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'helios-bwrap-mounts-')));
const data = join(root, 'data');
const machine = join(data, 'plugins/local/machines/hl-0123456789abcdef');
const source = join(root, 'repo');
for (const d of [join(machine, 'home'), join(machine, 'tmp'), join(machine, 'net'), source]) mkdirSync(d, { recursive: true });
writeFileSync(join(machine, 'bootstrap.json'), '{}');
writeFileSync(join(source, 'secrets.yaml'), 'x');
const layout = {
  bwrap: '/usr/bin/bwrap',
  protectedPaths: [data, join(source, 'secrets.yaml'), '/', join(root, 'missing')],
  home: join(machine, 'home'),
  tmp: join(machine, 'tmp'),
  netDir: join(machine, 'net'),
  bootstrap: join(machine, 'bootstrap.json'),
  readOnly: ['/usr', source],
  readWrite: [],
};

test('the machine home inside the hidden data dir is shown; a secrets file inside the shown source is hidden; / is never hidden; /usr is not re-bound', () => {
  const mounts = sandboxMounts(layout).map((m) => `${m.kind} ${m.target}`);
  const at = (entry: string) => {
    const i = mounts.indexOf(entry);
    assert.ok(i >= 0, `${entry} missing from ${mounts.join('\n')}`);
    return i;
  };
  // The scratch dir is under /tmp, which is hidden as a whole: the source is re-bound read-only.
  assert.ok(at('hide /tmp') < at(`ro ${source}`));
  assert.ok(at(`hide ${data}`) < at(`rw ${join(machine, 'home')}`));
  assert.ok(at(`ro ${source}`) < at(`hide ${join(source, 'secrets.yaml')}`));
  assert.ok(at(`ro ${join(machine, 'bootstrap.json')}`) > at(`hide ${data}`));
  assert.ok(at('rw /tmp') >= 0 && at(`rw ${SANDBOX_NET_DIR}`) > at('hide /run'));
  assert.not.ok(mounts.includes('hide /'), 'the root is never hidden');
  assert.not.ok(mounts.some((m) => m.endsWith(' /usr')), '/usr is visible already: not re-bound');
  assert.not.ok(mounts.some((m) => m.includes('missing')), 'a protected path that does not exist is skipped');
});

test('argv: namespaces, no capabilities, die with the server; a hidden file becomes /dev/null, a directory a tmpfs', () => {
  const argv = bwrapArgv(layout, ['node', 'agent.mjs']);
  for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent']) assert.ok(argv.includes(flag), flag);
  assert.equal(argv.slice(argv.indexOf('--cap-drop'), argv.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
  const i = argv.indexOf(join(source, 'secrets.yaml'));
  assert.equal(argv.slice(i - 2, i + 1), ['--ro-bind', '/dev/null', join(source, 'secrets.yaml')]);
  const j = argv.indexOf(data);
  assert.equal(argv.slice(j - 1, j + 1), ['--tmpfs', data]);
  assert.equal(argv.slice(-3), ['--', 'node', 'agent.mjs']);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
