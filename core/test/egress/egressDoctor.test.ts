// helios doctor's egress checks: serve could bind server.egressListen (real binds), and with
// runtime-bhyve a loopback proxy address is a warning.
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { egressChecks } from '../../src/doctor/egressChecks.js';

test('a free address is ok, a held port is an error with the fix, a loopback proxy for bhyve guests a warning', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'egress-doctor-'));
  const held = createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
  const port = (held.address() as { port: number }).port;
  try {
    const free = await egressChecks({}, dataDir, false);
    assert.equal(free.map((c) => [c.name, c.status]), [['egress listen', 'ok']]);
    const busy = await egressChecks({ egressListen: `127.0.0.1:${port}` }, dataDir, true);
    assert.equal(busy.map((c) => [c.name, c.status]), [['egress listen', 'error'], ['egress proxy for guests', 'warning']]);
    assert.match(busy[0]!.message, /EADDRINUSE/);
    assert.match(busy[0]!.fix ?? '', /server\.egressListen/);
    const advertised = await egressChecks({ egressListen: '0.0.0.0:0', egressEndpoint: '10.77.0.1:3128' }, dataDir, true);
    assert.equal(advertised.map((c) => c.status), ['ok']);
  } finally {
    held.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
