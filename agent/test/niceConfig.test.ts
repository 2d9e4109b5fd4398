// runtime-local starts each agent with --nice so the job yields the CPU to the server on a busy host.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';

const base = ['--endpoint', 'h:1', '--token', 't'];

test('nice: from --nice, the bootstrap file or the environment; 0-19 integers only; unchanged by default', () => {
  assert.is(parseConfig(base, {}).nice, null);
  assert.is(parseConfig([...base, '--nice', '10'], {}).nice, 10);
  assert.is(parseConfig([...base, '--nice=0'], {}).nice, 0);
  assert.is(parseConfig(base, { HELIOS_AGENT_NICE: '19' }).nice, 19);
  const dir = mkdtempSync(join(tmpdir(), 'agent-nice-'));
  try {
    writeFileSync(join(dir, 'bootstrap.json'), JSON.stringify({ endpoint: 'h:1', token: 't', nice: 5 }));
    assert.is(parseConfig(['--bootstrap', join(dir, 'bootstrap.json')], {}).nice, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const bad of ['-1', '20', '2.5', 'high']) {
    assert.throws(() => parseConfig([...base, '--nice', bad], {}), /--nice .* must be an integer from 0 to 19/, bad);
  }
});

test.run();
