// SIGHUP (svcadm refresh / systemctl reload) makes helios serve re-read its config: a config with
// problems is refused and the server keeps running; a good one restarts serve on it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { TempProject } from '../helpers/tempProject.js';
import { startServe } from '../helpers/serveProcess.js';

test('SIGHUP: a broken config is refused, a good one is served after a restart', async () => {
  const p = new TempProject();
  p.write('helios.yaml', 'server:\n  dataDir: ./data\n  logLevel: info\n');
  const serve = startServe(p.dir, ['--config', 'helios.yaml']);
  try {
    const url = await serve.url;
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    p.write('helios.yaml', 'server:\n  dataDir: ./data\n  bogusKey: 1\n');
    serve.child.kill('SIGHUP');
    await waitFor('the refusal', () => serve.output().stderr.includes('the config has problems, still serving with the running one'), 20_000);
    assert.match(serve.output().stderr, /E_CONFIG_INVALID/);
    assert.is((await fetch(`${url}/healthz`)).status, 200, 'still serving');

    p.write('helios.yaml', 'server:\n  dataDir: ./data\n  logLevel: warn\n');
    serve.child.kill('SIGHUP');
    await waitFor('the restart', () => serve.output().stdout.includes('restarting on the re-read config') && (serve.output().stdout.match(/listening on/g) ?? []).length === 2, 30_000);
    const second = [...serve.output().stdout.matchAll(/listening on (http:\/\/\S+)/g)].at(-1)![1]!;
    assert.is((await fetch(`${second}/healthz`)).status, 200);
    assert.is(serve.child.exitCode, null, 'the same process serves on');
  } finally {
    await serve.stop();
    p.cleanup();
  }
});

test.run();
