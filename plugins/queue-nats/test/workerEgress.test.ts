// A job on a `helios worker` goes out through the worker's own egress proxy, under the policy control
// decided, and its connections land in the job log on control — also after control was killed and
// restarted mid-job (the worker's grant lives on; the re-adopted job's reports reach the new control).
// Real processes: nats-server, helios serve, helios worker (runtime-local, sandboxed where bwrap
// works), curl in the job's steps through HTTP_PROXY, a loopback origin in this process.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);

/** `/hello` answers; `/go` is 404 until `open()` (the step waits on it through the proxy). */
async function origin(): Promise<{ port: number; open(): void; requests: string[]; close(): Promise<void> }> {
  let go = false;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.headers.host} ${req.url}`);
    if (req.url === '/hello') return void res.end('hello through the proxy\n');
    if (req.url === '/go' && go) return void res.end('go\n');
    res.statusCode = 404;
    res.end('not yet\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    open: () => (go = true),
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

t("a worker's job uses the worker's proxy under control's policy; after a control restart its next request succeeds and is logged", async () => {
  const o = await origin();
  // late.example is asked for only after the restart: its log line can only come through the new control.
  const hosts = `egress:\n  hosts: { origin.example: 127.0.0.1, late.example: 127.0.0.1, public.example: 127.0.0.2 }\n`;
  const w = await ClusterWorld.create(
    {
      labels: ['remote'],
      clusterJobCap: 2,
      concurrentJobs: 2,
      agentLostSeconds: 15,
      yaml: `egress:\n  default: none\n  repositories:\n    acme/widget: { allow: ["origin.example:${o.port}", "late.example:${o.port}"], allowPrivate: [127.0.0.1/32] }\n`,
    },
    [{ id: 'wa', capacity: 1, labels: ['remote'], yaml: hosts }],
  );
  try {
    await w.worker('wa').start();
    assert.match(w.worker('wa').out, /egress proxy 127\.0\.0\.1:\d+/);
    const base = `http://origin.example:${o.port}`;
    w.repo.write(
      '.github/workflows/ci.yml',
      `on: push
jobs:
  a:
    runs-on: remote
    steps:
      - run: curl -sS -f ${base}/hello && echo first-ok
      - run: curl -sS http://public.example:${o.port}/hello; echo refused-shown
      - run: until curl -sS -f ${base}/go; do sleep 0.3; done
      - run: curl -sS -f http://late.example:${o.port}/hello && echo after-restart-ok
`,
    );
    const serve = w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('the job polling /go through the proxy', () => w.jobs().length === 1 && o.requests.some((r) => r.endsWith(' /go')), 90_000);
    const jobId = w.jobs()[0]!.id;
    const exited = new Promise((r) => serve.child.once('exit', r));
    serve.child.kill('SIGKILL');
    await exited;
    const polls = () => w.logText(jobId).split(`egress | GET origin.example:${o.port} allowed`).length - 1;
    const before = polls();
    w.startControl();
    // The step keeps polling /go through the worker's proxy: once new lines arrive, the new control has the job.
    await waitFor('the restarted control to log the polls again', () => /waiting for its agent to resume/.test(w.logText(jobId)) && polls() > before, 60_000);
    o.open();
    const [job] = await w.waitJobs('the job to end', 1, 90_000);
    const log = w.logText(jobId);
    assert.is(job!.state, 'succeeded', `${job!.state} (${job!.reason ?? ''})\n${log}\n${w.describe()}`);
    assert.match(log, 'first-ok');
    assert.match(log, `Helios egress proxy refused GET public.example:${o.port}: public.example:${o.port} is not in the allow list for acme/widget`);
    assert.match(log, 'after-restart-ok');
    assert.match(log, new RegExp(`egress \\| GET origin\\.example:${o.port} allowed`));
    assert.match(log, new RegExp(`egress \\| GET public\\.example:${o.port} refused: `));
    assert.match(log, new RegExp(`egress \\| GET late\\.example:${o.port} allowed`), 'the connection after the restart reached the new control');
    // The worker's proxy saw them (its reports travel as `egress` machine events), not control's.
    const reported = w.events.filter((e) => e.type === 'egress');
    assert.ok(reported.length >= 3 && reported.every((e) => e.worker === 'wa' && e.jobId === jobId), JSON.stringify(reported.slice(0, 3)));
    await waitFor('the worker to destroy the machine', () => w.worker('wa').machines().length === 0, 30_000);
  } finally {
    await w.cleanup();
    await o.close();
  }
});

t.run();
