// The agent endpoint the guests are told (helios.yaml server.agentEndpoint / agentListen, seen as
// ctx.agentEndpoint): an IPv4 address:port, because the guests' ipf rules take no names; anything
// else refuses to build the runtime (so `helios config check` reports it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type Logger } from '@helios-ci/sdk';
import { checkAgentEndpoint } from '../src/agentEndpoint.js';

const recorder = () => {
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m), info() {}, error() {}, debug() {}, child: () => logger } as unknown as Logger;
  return { logger, warnings };
};

test('an IPv4 address:port is accepted', () => {
  const { logger, warnings } = recorder();
  checkAgentEndpoint('bhyve', '10.77.0.1:7070', logger);
  assert.equal(warnings, []);
});

test('a name, IPv6, or a port out of range is E_BHYVE_CONFIG naming the setting', () => {
  for (const endpoint of ['ci.example.org:7070', '[fd00::1]:7070', '10.77.0.1:0', '10.77.0.1:70000', '10.77.0.256:7070']) {
    try {
      checkAgentEndpoint('bhyve', endpoint);
      assert.unreachable(`${endpoint} accepted`);
    } catch (err) {
      assert.ok(isHeliosError(err) && String(err.code) === 'E_BHYVE_CONFIG', String(err));
      assert.match((err as Error).message, 'server.agentEndpoint');
    }
  }
});

test('an endpoint picked at start is allowed (the simulator) with a warning that real guests cannot reach it', () => {
  const { logger, warnings } = recorder();
  checkAgentEndpoint('bhyve', null, logger);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, 'server.agentListen');
});

test.run();
