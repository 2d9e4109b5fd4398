// server.actionsListen / server.actionsEndpoint: what the actions runtime service binds and what job
// steps are told. Bad values are config problems with path and position; the advertised address
// follows actionsEndpoint, else agentEndpoint's host with the bound port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { actionsAdvertiseOf, actionsListenOf } from '../../src/kernel/config/actionsEndpoint.js';
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

test('bad actionsListen / actionsEndpoint values are config problems with the fix', async () => {
  let r = await check('server:\n  actionsListen: "127.0.0.1:70000"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /helios\.yaml:2:18: server\.actionsListen: port 70000 is over 65535/);
  r = await check('server:\n  actionsEndpoint: "10.77.0.1:7071"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /server\.actionsEndpoint: is set but server\.actionsListen is not a fixed port/);
  r = await check('server:\n  actionsListen: "0.0.0.0:7071"\n  actionsEndpoint: "0.0.0.0:0"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /server\.actionsEndpoint: port 0 is not one job steps can dial/);
  assert.match(r.stderr, /server\.actionsEndpoint: 0\.0\.0\.0 is not an address job steps can dial/);
  r = await check('server:\n  agentListen: "10.77.0.1:7070"\n  actionsListen: "10.77.0.1:7070"\n');
  assert.is(r.code, 1);
  assert.match(r.stderr, /server\.actionsListen: port 7070 is server\.agentListen's too/);
  r = await check('server:\n  actionsListen: "0.0.0.0:7071"\n  actionsEndpoint: "10.77.0.1:7071"\n');
  assert.is(r.code, 0, r.stderr);
});

test('defaults: bound next to the agent service, advertised on the agent endpoint\'s host', () => {
  assert.equal(actionsListenOf({ agentListen: '10.77.0.1:7070' }, '10.77.0.1'), { host: '10.77.0.1', port: 0 });
  assert.equal(actionsListenOf({ actionsListen: '0.0.0.0:7071' }, '10.77.0.1'), { host: '0.0.0.0', port: 7071 });
  assert.equal(actionsAdvertiseOf({ agentEndpoint: 'ci.example.org:7443' }), { advertiseHost: 'ci.example.org' });
  assert.equal(actionsAdvertiseOf({ agentEndpoint: 'ci.example.org:7443', actionsEndpoint: 'ci.example.org:7444' }), { advertise: 'ci.example.org:7444' });
  assert.equal(actionsAdvertiseOf({}), {});
});

test.run();
