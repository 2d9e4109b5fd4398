// helios doctor's agent endpoint checks through the real CLI: the listen address bindable (ok), its
// port held by another process or its host not local (errors), a running helios serve dialled at the
// advertised endpoint (ok; an endpoint that does not reach it: error), and runtime-bhyve with a
// loopback endpoint (warning: guests cannot reach 127.0.0.1).
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHeliosDoctor, startHeliosServe, waitFor } from '@helios-ci/sdk/testkit';
import { TempProject } from '../helpers/tempProject.js';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

async function freePort(): Promise<number> {
  const srv = await listen();
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function withProject(server: string, fn: (p: TempProject) => Promise<void>, plugins = ''): Promise<void> {
  const p = new TempProject();
  try {
    p.write('helios.yaml', `server:\n  dataDir: ./data\n${server}${plugins ? `plugins:\n${plugins}` : ''}`);
    await fn(p);
  } finally {
    p.cleanup();
  }
}

test('serve not running, agentListen free and local: ok', async () => {
  const port = await freePort();
  await withProject(`  agentListen: "127.0.0.1:${port}"\n`, async (p) => {
    const r = await runHeliosDoctor(p.dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.verdict('helios', 'agent listen'), { source: 'helios', name: 'agent listen', status: 'ok', message: `127.0.0.1:${port} is free and an address of this host` });
    assert.is(r.verdict('helios', 'agent endpoint for guests'), undefined);
  });
});

test('serve not running, the port held by another process: error, exit 1', async () => {
  const holder = await listen();
  const port = (holder.address() as { port: number }).port;
  try {
    await withProject(`  agentListen: "127.0.0.1:${port}"\n`, async (p) => {
      const r = await runHeliosDoctor(p.dir);
      assert.is(r.code, 1, r.stdout + r.stderr);
      const v = r.verdict('helios', 'agent listen')!;
      assert.is(v.status, 'error');
      assert.is(v.message, `127.0.0.1:${port} is in use by another process (EADDRINUSE), and helios serve is not running`);
      assert.match(v.fix!, new RegExp(`stop what holds port ${port}`));
    });
  } finally {
    await new Promise((r) => holder.close(r));
  }
});

test('an agentListen host that is not an address of this host: error', () =>
  withProject('  agentListen: "192.0.2.1:9443"\n', async (p) => {
    const r = await runHeliosDoctor(p.dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.verdict('helios', 'agent listen'), {
      source: 'helios',
      name: 'agent listen',
      status: 'error',
      message: '192.0.2.1 is not an address of this host (EADDRNOTAVAIL)',
      fix: 'use an address of this host in server.agentListen (ipadm show-addr / ip addr), or 0.0.0.0:9443',
    });
  }));

async function withServe(p: TempProject, fn: () => Promise<void>): Promise<void> {
  const serve = startHeliosServe(p.dir);
  try {
    await serve.url;
    await waitFor('serve.pid', () => existsSync(join(p.dir, 'data/serve.pid')));
    await fn();
  } finally {
    await serve.stop();
  }
}

test('serve running: the advertised endpoint accepts connections (ok); one that does not reach it is an error', async () => {
  const port = await freePort();
  await withProject(`  agentListen: "127.0.0.1:${port}"\n`, (p) =>
    withServe(p, async () => {
      const r = await runHeliosDoctor(p.dir);
      const v = r.verdict('helios', 'agent endpoint')!;
      assert.is(v.status, 'ok', r.stdout + r.stderr);
      assert.match(v.message, new RegExp(`^127\\.0\\.0\\.1:${port} accepts connections \\(helios serve pid \\d+\\)$`));
      assert.is(r.verdict('helios', 'agent listen'), undefined);
    }),
  );
  // Guests are told 127.0.0.2 while serve binds 127.0.0.1 only: nothing answers there.
  const port2 = await freePort();
  await withProject(`  agentListen: "127.0.0.1:${port2}"\n  agentEndpoint: "127.0.0.2:${port2}"\n`, (p) =>
    withServe(p, async () => {
      const r = await runHeliosDoctor(p.dir);
      assert.is(r.code, 1, r.stdout + r.stderr);
      const v = r.verdict('helios', 'agent endpoint')!;
      assert.is(v.status, 'error');
      assert.match(v.message, new RegExp(`^127\\.0\\.0\\.2:${port2} does not accept connections \\(ECONNREFUSED\\) while helios serve \\(pid \\d+\\) runs$`));
      assert.match(v.fix!, /firewall \(ipf\) and NAT rules/);
    }),
  );
});

const BHYVE = '  bhyve:\n    use: "@helios-ci/runtime-bhyve"\n';

test('runtime-bhyve with a loopback endpoint: warning; with a routable fixed one: ok', async () => {
  await withProject('', async (p) => {
    const r = await runHeliosDoctor(p.dir);
    const v = r.verdict('helios', 'agent endpoint for guests')!;
    assert.ok(v, r.stdout + r.stderr);
    assert.is(v.status, 'warning');
    assert.is(v.message, 'guests would dial 127.0.0.1 (server.agentListen 127.0.0.1:0), a loopback address of this host, which bhyve guests cannot reach');
    assert.match(v.fix!, /^set server\.agentListen to an address of this host and a fixed port/);
  }, BHYVE);
  const port = await freePort();
  await withProject(`  agentListen: "0.0.0.0:${port}"\n  agentEndpoint: "10.77.0.1:${port}"\n`, async (p) => {
    const r = await runHeliosDoctor(p.dir);
    assert.equal(r.verdict('helios', 'agent endpoint for guests'), { source: 'helios', name: 'agent endpoint for guests', status: 'ok', message: `guests dial 10.77.0.1:${port}` });
    assert.is(r.verdict('helios', 'agent listen')?.status, 'ok');
  }, BHYVE);
});

test.run();
