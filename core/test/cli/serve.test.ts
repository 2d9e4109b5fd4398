import { spawn } from 'node:child_process';
import { startServe } from '../helpers/serveProcess.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, TempProject } from '../helpers/tempProject.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`serve answers /healthz on the embedded defaults and stops gracefully on ${signal}`, async () => {
    const p = new TempProject();
    try {
      const s = startServe(p.dir);
      const url = await s.url;
      const res = await fetch(`${url}/healthz`);
      assert.is(res.status, 200);
      assert.equal(await res.json(), { status: 'ok' });
      const missing = await fetch(`${url}/nope`);
      assert.is(missing.status, 404);
      s.child.kill(signal);
      assert.is(await s.exited, 0);
      assert.match(s.output().stdout, new RegExp(`${signal} received, stopping\\nhelios serve: stopped`));
    } finally {
      p.cleanup();
    }
  });
}

test('plugin routes are served with the raw body; oversized bodies are refused with 413', async () => {
  const p = new TempProject();
  try {
    p.plugin(
      'echo.mjs',
      `export default definePlugin({ name: 'echo', apiVersion: '1.x', kinds: [], configSchema: Type.Object({}),
  register(ctx) {
    ctx.http.route({ method: 'POST', path: '/hooks/' + ctx.instance, maxBodyBytes: 1024, handler: async (req) => ({ status: 202, body: { bytes: req.rawBody.length, sig: req.headers['x-sig'] ?? null, text: req.rawBody.toString('utf8') } }) });
  } });`,
    );
    p.write('helios.yaml', 'plugins:\n  mine:\n    use: ./echo.mjs\n');
    const s = startServe(p.dir);
    const url = await s.url;
    const ok = await fetch(`${url}/hooks/mine`, { method: 'POST', body: ' {"a": 1}\n', headers: { 'x-sig': 'abc' } });
    assert.is(ok.status, 202);
    assert.equal(await ok.json(), { bytes: 10, sig: 'abc', text: ' {"a": 1}\n' });
    const big = await fetch(`${url}/hooks/mine`, { method: 'POST', body: 'x'.repeat(4096) });
    assert.is(big.status, 413);
    assert.is((await big.json()).error.code, 'E_PAYLOAD_TOO_LARGE');
    s.child.kill('SIGTERM');
    assert.is(await s.exited, 0);
  } finally {
    p.cleanup();
  }
});

test('serve refuses an address in use with a clear error and exit 1', async () => {
  const p = new TempProject();
  const other = new TempProject();
  const first = startServe(p.dir);
  try {
    const url = await first.url;
    const port = new URL(url).port;
    // Another data dir: the same one is refused before listening (next test).
    const second = spawn(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${port}`], { cwd: other.dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => second.on('exit', r));
    assert.is(code, 1);
    assert.match(err, /error E_LISTEN_FAILED: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\): another process listens there/);
  } finally {
    await first.stop();
    p.cleanup();
    other.cleanup();
  }
});

test('a second serve on the same data dir is refused (serve.pid) and the first keeps it', async () => {
  const p = new TempProject();
  const first = startServe(p.dir);
  try {
    await first.url;
    const second = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0'], { cwd: p.dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => second.on('exit', r));
    assert.is(code, 1);
    assert.match(err, new RegExp(`error E_DATA_DIR_LOCKED: .*\\.helios is in use by helios serve \\(pid ${first.child.pid}\\); stop it first`));
  } finally {
    await first.stop();
    p.cleanup();
  }
});

test.run();
