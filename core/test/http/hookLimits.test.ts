import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/tempProject.js';
import { ServeHarness, waitFor } from './serveHarness.js';

/** A `helios serve` with the recording forge at /hooks/fake (core's webhook route, 25 MB per body). */
async function serveWithHook(limits: string, serverYaml = ''): Promise<ServeHarness> {
  const h = new ServeHarness(`  fake:\n    use: ./recordingForge.mjs\n    config: { repoDir: ${JSON.stringify(REPO_ROOT)} }\nlimits:\n${limits}`, serverYaml);
  copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(h.dir, 'recordingForge.mjs'));
  // The fixture imports the sdk as a third-party plugin would.
  mkdirSync(join(h.dir, 'node_modules/@helios-ci'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'sdk'), join(h.dir, 'node_modules/@helios-ci/sdk'), 'dir');
  return h.start();
}

/** Raw POST with a streamed body; resolves with the status and body the server answered, or the socket error. */
function postStream(url: string, path: string, write: (req: ReturnType<typeof request>) => void, headers: Record<string, string | number> = {}) {
  return new Promise<{ status?: number; body?: string; retryAfter?: string; error?: string }>((resolve) => {
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, retryAfter: res.headers['retry-after'] as string | undefined }));
      res.on('error', (err) => resolve({ status: res.statusCode!, body, error: err.message }));
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    write(req);
  });
}

/** Opens a raw connection and sends the headers of a POST whose body never comes (a stalled client). */
function stalledPost(url: string, path: string, declaredBytes: number): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n{"partial":`);
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

const closed = (s: Socket) => new Promise<string>((resolve) => (s.destroyed ? resolve('') : s.once('close', () => resolve(''))));

test('a chunked webhook body over the per-request cap gets a 413 JSON answer, not a connection reset', async () => {
  const h = await serveWithHook('  hookBytesInFlight: 104857600\n');
  try {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const res = await postStream(h.url, '/hooks/fake', (req) => {
      // 30 MiB in 1 MiB chunks, no Content-Length: the server only learns the size while reading.
      let sent = 0;
      const more = () => {
        while (sent < 30) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
    assert.is(res.error, undefined, `the client saw ${res.error} instead of an answer`);
    assert.is(res.status, 413);
    assert.is(JSON.parse(res.body!).error.code, 'E_PAYLOAD_TOO_LARGE');
    // The server is still fine.
    assert.is((await h.api('GET', '/healthz')).status, 200);
  } finally {
    await h.stop();
  }
});

test('webhook bodies in flight are capped over all requests: past limits.hookBytesInFlight the answer is 503 with Retry-After', async () => {
  const h = await serveWithHook('  hookBytesInFlight: 1048576\n  hookBodyTimeoutSeconds: 60\n');
  const sockets: Socket[] = [];
  try {
    // Two stalled deliveries declaring 400 KiB each hold 800 KiB of the 1 MiB budget.
    sockets.push(await stalledPost(h.url, '/hooks/fake', 400 * 1024));
    sockets.push(await stalledPost(h.url, '/hooks/fake', 400 * 1024));
    const third = await waitFor('a 503 for the third delivery', async () => {
      const r = await postStream(h.url, '/hooks/fake', (req) => req.end('x'.repeat(300 * 1024)));
      return r.status === 503 ? r : undefined;
    });
    assert.is(JSON.parse(third.body!).error.code, 'E_SERVER_BUSY');
    assert.match(JSON.parse(third.body!).error.message, /limits\.hookBytesInFlight/);
    assert.ok(Number(third.retryAfter) >= 1, `Retry-After: ${third.retryAfter}`);
    // Small deliveries still fit beside the stalled ones (the budget counts bytes, not requests).
    const small = await postStream(h.url, '/hooks/fake', (req) => req.end('{}'));
    assert.is(small.status, 401, 'an unsigned small delivery reaches the signature check');
    // Once the stalled clients go away, their bytes are given back.
    sockets.forEach((s) => s.destroy());
    await waitFor('the budget to be free again', async () => {
      const r = await postStream(h.url, '/hooks/fake', (req) => req.end('x'.repeat(300 * 1024)));
      return r.status === 401;
    });
  } finally {
    sockets.forEach((s) => s.destroy());
    await h.stop();
  }
});

test('a stalled webhook body is dropped after limits.hookBodyTimeoutSeconds', async () => {
  const h = await serveWithHook('  hookBodyTimeoutSeconds: 1\n');
  let socket: Socket | undefined;
  try {
    socket = await stalledPost(h.url, '/hooks/fake', 10_000);
    // Without the body timeout Node keeps such a request for 5 minutes (its requestTimeout).
    await Promise.race([closed(socket), new Promise((_, reject) => setTimeout(() => reject(new Error('the stalled connection was not dropped')), 20_000))]);
    assert.ok(socket.destroyed);
    assert.is((await h.api('GET', '/healthz')).status, 200);
  } finally {
    socket?.destroy();
    await h.stop();
  }
});

test('connections past limits.maxConnections are closed at once; the server answers again when they go', async () => {
  const h = await serveWithHook('  maxConnections: 4\n');
  const sockets: Socket[] = [];
  try {
    const { hostname, port } = new URL(h.url);
    for (let i = 0; i < 4; i++) {
      sockets.push(await new Promise<Socket>((resolve) => {
        const s = connect(Number(port), hostname, () => resolve(s));
        s.on('error', () => undefined);
      }));
    }
    const extra = connect(Number(port), hostname);
    extra.on('error', () => undefined);
    sockets.push(extra);
    extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    let answered = '';
    extra.on('data', (d) => (answered += d));
    await Promise.race([closed(extra), new Promise((_, reject) => setTimeout(() => reject(new Error('the fifth connection was served')), 20_000))]);
    assert.is(answered, '', 'no answer on a connection past the limit');
    sockets.forEach((s) => s.destroy());
    await waitFor('the server to answer again', async () => (await h.api('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
  } finally {
    sockets.forEach((s) => s.destroy());
    await h.stop();
  }
});

test('a client that aborts its webhook upload is logged at debug, not as a 500 at error level', async () => {
  const h = await serveWithHook('  hookBodyTimeoutSeconds: 30\n', '  logLevel: debug\n');
  try {
    const socket = await stalledPost(h.url, '/hooks/fake', 100_000);
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await waitFor('the debug line about the aborted request', () => /client went away/.test(h.output().stderr));
    const lines = h.output().stderr.split('\n').filter((l) => l.includes('"request failed"') || /"level":"error"/.test(l));
    assert.equal(lines, [], 'no error-level line for a client abort');
  } finally {
    await h.stop();
  }
});

test.run();
