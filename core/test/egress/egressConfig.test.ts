// helios.yaml's egress section and server.egressListen/egressEndpoint: bad values are config problems
// with file:line:col and the fix; a good config loads and serve binds the configured proxy port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../src/kernel/config/loadConfig.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

async function check(yaml: string): Promise<{ code: number | null; stderr: string }> {
  const p = new TempProject();
  try {
    p.write('helios.yaml', yaml);
    return await runHelios(['config', 'check', '--config', 'helios.yaml'], { cwd: p.dir });
  } finally {
    p.cleanup();
  }
}

test('bad egress policies, ranges, host answers and proxy addresses: every problem with its position', async () => {
  const r = await check(`server:
  egressEndpoint: "0.0.0.0:3128"
egress:
  default: some
  repositories:
    acme/widgets:
      allow: ["crates.io:70000", "bad host"]
      allowPrivate: ["10.0.0.0/33"]
  labels:
    big: { allow: ["*.npmjs.org:443"], allowPrivate: ["not-a-range"] }
  hosts:
    public.example: nowhere
`);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error E_CONFIG_INVALID/);
  assert.match(r.stderr, /helios\.yaml:4:12: egress\.default: expected none, any, or \{ allow: \[host\[:port\], \.\.\.\], allowPrivate: \[CIDR, \.\.\.\] \}, got "some"/);
  assert.match(r.stderr, /helios\.yaml has 8 problems/);
  assert.match(r.stderr, /helios\.yaml:2:19: server\.egressEndpoint: 0\.0\.0\.0 is not an address machines can dial/);
  assert.match(r.stderr, /helios\.yaml:2:19: server\.egressEndpoint: is set but server\.egressListen is not a fixed port/);
  assert.match(r.stderr, /helios\.yaml:7:15: egress\.repositories\.acme\/widgets\.allow\.0: port 70000 is not 1 to 65535/);
  assert.match(r.stderr, /helios\.yaml:7:34: egress\.repositories\.acme\/widgets\.allow\.1: "bad host" is not a host; write crates\.io/);
  assert.match(r.stderr, /helios\.yaml:8:22: egress\.repositories\.acme\/widgets\.allowPrivate\.0: "10\.0\.0\.0\/33" is not an address range; write a CIDR/);
  assert.match(r.stderr, /helios\.yaml:10:55: egress\.labels\.big\.allowPrivate\.0: "not-a-range" is not an address range/);
  assert.match(r.stderr, /helios\.yaml:12:21: egress\.hosts\.public\.example: "nowhere" is not an IP address/);
});

test('a good egress section loads with its defaults', () => {
  const loaded = parseConfigText('egress:\n  default: none\n  labels:\n    big: any\n  repositories:\n    acme/widgets:\n      allow: ["crates.io", "*.npmjs.org:443", "10.1.2.3:8080", "[fd00::1]:*"]\n', 'helios.yaml', '.', false);
  assert.equal(loaded.problems, []);
  assert.equal(loaded.config.egress.repositories['acme/widgets'], { allow: ['crates.io', '*.npmjs.org:443', '10.1.2.3:8080', '[fd00::1]:*'] });
  assert.equal(loaded.config.egress.hosts, {});
  assert.is(parseConfigText('server:\n  listen: 127.0.0.1:8080\n', 'x', '.', false).config.egress.default, undefined);
});

test.run();
