// A sandboxed machine reaches the actions runtime services through a relay: the runtime names the
// relay (bootstrap `actionsEndpoint`) and the agent puts it into the job's ACTIONS_* URLs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';
import { routeActionsRuntime } from '../src/job/actionsRuntimeRoute.js';

const base = ['--endpoint', 'h:1', '--token', 't'];

test('actionsEndpoint: from --actions-endpoint, the bootstrap file or the environment; HOST:PORT only; none by default', () => {
  assert.is(parseConfig(base, {}).actionsEndpoint, null);
  assert.is(parseConfig([...base, '--actions-endpoint', '127.0.0.1:47003'], {}).actionsEndpoint, '127.0.0.1:47003');
  assert.is(parseConfig(base, { HELIOS_AGENT_ACTIONS_ENDPOINT: 'relay:9' }).actionsEndpoint, 'relay:9');
  const dir = mkdtempSync(join(tmpdir(), 'agent-actions-'));
  try {
    writeFileSync(join(dir, 'bootstrap.json'), JSON.stringify({ endpoint: 'h:1', token: 't', actionsEndpoint: '127.0.0.1:47003' }));
    assert.is(parseConfig(['--bootstrap', join(dir, 'bootstrap.json')], {}).actionsEndpoint, '127.0.0.1:47003');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseConfig([...base, '--actions-endpoint', 'http://x:1/'], {}), /actions endpoint "http:\/\/x:1\/" is not HOST:PORT/);
});

test('routeActionsRuntime: only host:port change; path, token and the v2 flag stay', () => {
  const access = { resultsUrl: 'http://10.0.0.5:39229/', cacheUrl: 'http://10.0.0.5:39229/sub/', token: 'tok', cacheServiceV2: true };
  assert.equal(routeActionsRuntime(access, '127.0.0.1:47003'), { resultsUrl: 'http://127.0.0.1:47003/', cacheUrl: 'http://127.0.0.1:47003/sub/', token: 'tok', cacheServiceV2: true });
});

test.run();
