// server.agentListen / server.agentEndpoint: what the agent gRPC service binds and what machines are
// told to dial. Bad values are config problems (E_CONFIG_INVALID, with path and position); serve binds
// the configured port; plugins see the advertised endpoint (ctx.agentEndpoint) when it is fixed.
import { createServer, connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AgentService } from '../../src/agent-service/agentService.js';
import { configuredAgentEndpoint } from '../../src/kernel/config/agentEndpoint.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { startServe } from '../helpers/serveProcess.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function check(yaml: string): Promise<{ code: number | null; stderr: string }> {
  const p = new TempProject();
  try {
    p.write('helios.yaml', yaml);
    return await runHelios(['config', 'check', '--config', 'helios.yaml'], { cwd: p.dir });
  } finally {
    p.cleanup();
  }
}

test('bad agentListen / agentEndpoint values are config problems with the fix', async () => {
  let r = await check('server:\n  agentListen: "127.0.0.1:70000"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /error E_CONFIG_INVALID/);
  assert.match(r.stderr, /helios\.yaml:2:16: server\.agentListen: port 70000 is over 65535/);
  r = await check('server:\n  agentEndpoint: "10.77.0.1:7070"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /server\.agentEndpoint: is set but server\.agentListen is not a fixed port/);
  r = await check('server:\n  agentListen: "0.0.0.0:7070"\n  agentEndpoint: "0.0.0.0:0"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /helios\.yaml has 2 problems/);
  assert.match(r.stderr, /server\.agentEndpoint: port 0 is not one guests can dial/);
  assert.match(r.stderr, /server\.agentEndpoint: 0\.0\.0\.0 is not an address guests can dial/);
  r = await check('server:\n  agentListen: nowhere\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /server\.agentListen: "nowhere" does not match the pattern/);
  r = await check('server:\n  agentListen: "0.0.0.0:7070"\n  agentEndpoint: "10.77.0.1:7070"\n');
  assert.is(r.code, 0, r.stderr);
});

test('the advertised endpoint: agentEndpoint, else a fixed agentListen (0.0.0.0 advertised as loopback), else decided at start', () => {
  assert.is(configuredAgentEndpoint({ agentListen: '0.0.0.0:7070', agentEndpoint: '10.77.0.1:7070' }), '10.77.0.1:7070');
  assert.is(configuredAgentEndpoint({ agentListen: '10.77.0.1:7070' }), '10.77.0.1:7070');
  assert.is(configuredAgentEndpoint({ agentListen: '0.0.0.0:7070' }), '127.0.0.1:7070');
  assert.is(configuredAgentEndpoint({ agentListen: '127.0.0.1:0' }), null);
  assert.is(configuredAgentEndpoint({}), null);
});

test('the agent service tells agents the advertised endpoint and binds its own port', async () => {
  const port = await freePort();
  const service = new AgentService({ host: '127.0.0.1', port, advertise: `10.77.0.1:${port}` });
  try {
    const started = await service.start();
    assert.is(started.endpoint, `10.77.0.1:${port}`);
    assert.is(started.port, port);
    assert.is(service.endpoint, `10.77.0.1:${port}`);
  } finally {
    await service.stop();
  }
});

test('helios serve binds server.agentListen; plugins see the advertised endpoint', async () => {
  const p = new TempProject();
  const port = await freePort();
  p.plugin('plugins/endpoint.mjs', `import { writeFileSync } from 'node:fs';
export default definePlugin({ name: 'endpoint', apiVersion: '1.x', kinds: [], configSchema: Type.Object({}), register(ctx) { writeFileSync(ctx.dataDir + '/endpoint', String(ctx.agentEndpoint)); } });`);
  p.write('helios.yaml', `server:\n  dataDir: ./data\n  agentListen: "127.0.0.1:${port}"\n  agentEndpoint: "127.0.0.1:${port}"\nplugins:\n  probe:\n    use: ./plugins/endpoint.mjs\n`);
  const serve = startServe(p.dir);
  try {
    await serve.url;
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    assert.is(readFileSync(join(p.dir, 'data/plugins/probe/endpoint'), 'utf8'), `127.0.0.1:${port}`);
  } finally {
    await serve.stop();
    p.cleanup();
  }
});

test.run();
