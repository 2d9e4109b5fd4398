// A real `helios serve` job on runtime-local whose steps use the egress proxy through the environment
// the agent gives them: an allowed name works (forwarding, CONNECT, git), a name outside the allow
// list and a name resolving to loopback are refused with the proxy's message; every connection is an
// `egress` line in the job log; the credential the steps had is refused once the job ended.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { ServeHarness, waitFor } from '../http/serveHarness.js';
import { startOrigin } from './originServer.js';

function curl(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

test('steps reach what the policy allows, are refused the rest, and the job log shows every connection', async () => {
  const served = new GitRepo();
  served.write('README', 'cloned through the proxy\n').commit('init');
  const origin = await startOrigin({ repoDir: join(served.dir, '.git') });
  const out = mkdtempSync(join(tmpdir(), 'egress-serve-out-'));
  const repo = new GitRepo();
  const p = origin.port;
  // sandbox: off — a step writes its findings to the host's /tmp (the sandbox gives it a private /tmp).
  const h = new ServeHarness(
    `      sandbox: off
egress:
  default:
    allow: ["origin.example:${p}", "public.example:${p}"]
    allowPrivate: ["127.0.0.1/32"]
  hosts:
    origin.example: 127.0.0.1
    public.example: 127.0.0.2
`,
  );
  try {
    repo
      .write(
        '.github/workflows/ci.yml',
        `name: egress
on: push
jobs:
  net:
    runs-on: local
    steps:
      - run: curl -sS -f http://origin.example:${p}/hello
      - run: curl -sS -f -p http://origin.example:${p}/hello
      - run: git clone -q http://origin.example:${p}/repo.git cloned && cat cloned/README
      - run: curl -sS http://refused.example:${p}/hello
      - run: curl -sS http://public.example:${p}/hello
      - run: printf '%s' "$HTTP_PROXY" > ${join(out, 'proxy-url')}; test -n "$NO_PROXY"
`,
      )
      .commit('ci');
    await h.start();
    const created = await h.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main' } });
    assert.is(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body.jobs[0].id as string;
    const job = await waitFor('the job to finish', async () => {
      const j = (await h.api('GET', `/api/jobs/${jobId}`)).body;
      return ['succeeded', 'failed', 'errored'].includes(j.state) ? j : undefined;
    }, 90_000);
    const log = (await h.api('GET', `/api/jobs/${jobId}/log?limit=10000`)).body.lines as { text: string; stream: string }[];
    const text = log.map((l) => `${l.stream}: ${l.text}`).join('\n');
    assert.is(job.state, 'succeeded', text);
    assert.match(text, /stdout: hello from the origin/);
    assert.match(text, /stdout: cloned through the proxy/);
    assert.match(text, new RegExp(`stdout: Helios egress proxy refused GET refused\\.example:${p}: refused\\.example:${p} is not in the allow list for [^ ]+ \\(egress\\.default\\); allow it in helios\\.yaml under egress\\.default\\.allow`));
    assert.match(text, new RegExp(`stdout: Helios egress proxy refused GET public\\.example:${p}: public\\.example resolves to 127\\.0\\.0\\.2, in 127\\.0\\.0\\.0/8 \\(loopback\\)`));
    const egress = log.filter((l) => l.stream === 'egress').map((l) => l.text);
    assert.ok(egress.some((t) => new RegExp(`^egress \\| GET origin\\.example:${p} allowed [\\d.]+ k?B \\d+ ms$`).test(t)), egress.join('\n'));
    assert.ok(egress.some((t) => new RegExp(`^egress \\| CONNECT origin\\.example:${p} allowed`).test(t)), egress.join('\n'));
    assert.ok(egress.some((t) => new RegExp(`^egress \\| GET refused\\.example:${p} refused: .*not in the allow list`).test(t)), egress.join('\n'));
    assert.ok(egress.some((t) => new RegExp(`^egress \\| GET public\\.example:${p} refused: public\\.example resolves to 127\\.0\\.0\\.2`).test(t)), egress.join('\n'));
    assert.not.match(text, /job-[^:\s]+:[A-Za-z0-9_-]{20,}@/, 'the credential never shows in the log');
    // The page can filter the stream: each line carries its stream as a class.
    const page = (await h.api('GET', `/jobs/${jobId}`)).body as string;
    assert.match(page, /class="ln egress"/);
    // The metrics count every connection.
    const metrics = (await h.api('GET', '/metrics')).body as string;
    assert.match(metrics, /helios_egress_connections_total\{decision="refused"\} 2/);
    assert.match(metrics, /helios_egress_connections_total\{decision="allowed"\} [3-9]/);
    // After the job: the steps' credential is dead.
    const proxyUrl = readFileSync(join(out, 'proxy-url'), 'utf8');
    assert.match(proxyUrl, /^http:\/\/job-[^:]+:[^@]+@127\.0\.0\.1:\d+$/);
    const after = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-x', proxyUrl, `http://origin.example:${p}/hello`]);
    assert.is(after.stdout, '407');
  } finally {
    await h.stop();
    await origin.close();
    rmSync(out, { recursive: true, force: true });
    repo.cleanup();
    served.cleanup();
  }
});

test.run();
