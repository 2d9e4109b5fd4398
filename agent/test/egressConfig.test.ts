// Where the agent learns its egress proxy (flag, bootstrap file, environment) and what it gives steps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';
import { proxyEnv } from '../src/job/jobContext.js';

const base = ['--endpoint', 'h:1', '--token', 't'];

test('egressProxy: from --egress-proxy, the bootstrap file or the environment; HOST:PORT only; none by default', () => {
  assert.is(parseConfig(base, {}).egressProxy, null);
  assert.is(parseConfig([...base, '--egress-proxy', '10.77.0.1:3128'], {}).egressProxy, '10.77.0.1:3128');
  assert.is(parseConfig(base, { HELIOS_AGENT_EGRESS_PROXY: 'proxy.lan:8080' }).egressProxy, 'proxy.lan:8080');
  const dir = mkdtempSync(join(tmpdir(), 'agent-egress-'));
  try {
    writeFileSync(join(dir, 'bootstrap.json'), JSON.stringify({ endpoint: 'h:1', token: 't', egressProxy: '127.0.0.1:4567' }));
    assert.is(parseConfig(['--bootstrap', join(dir, 'bootstrap.json')], {}).egressProxy, '127.0.0.1:4567');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseConfig([...base, '--egress-proxy', 'http://x:1'], {}), /egress proxy "http:\/\/x:1" is not HOST:PORT/);
});

test('proxyEnv: both cases of HTTP(S)_PROXY with the credential URL-encoded, NO_PROXY the machine loopback', () => {
  const env = proxyEnv({ proxy: '10.77.0.1:3128', credential: 'job-j1:a/b+c=' });
  assert.is(env.HTTPS_PROXY, 'http://job-j1:a%2Fb%2Bc%3D@10.77.0.1:3128');
  for (const k of ['HTTP_PROXY', 'https_proxy', 'http_proxy']) assert.is(env[k], env.HTTPS_PROXY);
  assert.is(env.NO_PROXY, 'localhost,127.0.0.1,::1');
  assert.is(env.no_proxy, env.NO_PROXY);
});

test.run();
