// helios serve logs one JSON object per line by default (the SMF log, the journal, log shippers),
// and readable lines with --log-format pretty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from '../helpers/tempProject.js';
import { startServe } from '../helpers/serveProcess.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { waitFor } from '@helios-ci/sdk/testkit';

async function serveLogs(args: string[]): Promise<string> {
  const p = new TempProject();
  p.write('helios.yaml', 'server:\n  dataDir: ./data\n');
  const serve = startServe(p.dir, args);
  try {
    await serve.url;
    // serve prints "listening on" to stdout just before it logs the same. Other services log their own
    // "... listening" lines first (the actions runtime), so wait for the server's own record.
    await waitFor('the listening log line', () => /"msg":"listening"|helios: listening/.test(serve.output().stderr), 10_000);
    return serve.output().stderr;
  } finally {
    await serve.stop();
    p.cleanup();
  }
}

test('json by default: every stderr line is a JSON log record', async () => {
  const stderr = await serveLogs([]);
  const lines = stderr.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    assert.type(record.ts, 'string');
    assert.type(record.msg, 'string');
  }
  assert.ok(lines.some((l) => JSON.parse(l).msg === 'listening'));
});

test('--log-format pretty: time, level, logger, message, fields', async () => {
  const stderr = await serveLogs(['--log-format', 'pretty']);
  assert.match(stderr, /^\d\d:\d\d:\d\d\.\d{3} INFO  helios: listening {2}address=127\.0\.0\.1:\d+$/m);
  assert.not.match(stderr, /^\{/m);
});

test('--log-format with another value is a usage error', async () => {
  const p = new TempProject();
  try {
    const r = await runHelios(['serve', '--log-format', 'xml'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^error E_USAGE: --log-format must be json or pretty \(got "xml"\)/);
  } finally {
    p.cleanup();
  }
});

test.run();
