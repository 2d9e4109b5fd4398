import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo as TestRepo } from '../helpers/gitRepo.js';
import { ServeHarness, waitFor } from './serveHarness.js';
import { openSse, type SseMessage } from './sseClient.js';

// One real `helios serve` and one real git repository for the whole file: the tests run in order
// and build on each other's runs (starting a server per test would triple the file's run time).
const CI = `name: CI
on: push
jobs:
  build:
    runs-on: local
    steps:
      - name: Count
        run: |
          for i in $(seq 1 40); do echo "line $i <b>&amp;</b>"; sleep 0.05; done
          echo "::warning file=src/a.txt,line=2::look <here>"
      - name: Tail
        run: echo done >&2
`;
const SLEEP = `name: Sleep
on: workflow_dispatch
jobs:
  sleeper:
    runs-on: local
    steps:
      - name: Nap
        run: |
          echo "napping now"
          sleep 30
`;

const T = suite('helios serve REST API');
const ctx = { serve: null as ServeHarness | null, repo: null as TestRepo | null, runId: '', jobId: '', sleeperId: '' };
const serve = () => ctx.serve!;

T.before(async () => {
  ctx.repo = new TestRepo();
  ctx.repo.write('.github/workflows/ci.yml', CI).write('.github/workflows/sleep.yml', SLEEP).commit('workflows');
  // A branch whose workflow is broken, for the 400 test.
  ctx.repo.git('checkout', '-q', '-b', 'broken');
  ctx.repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  x:\n    runs-on: local\n    steps: nope\n').commit('break it');
  ctx.repo.git('checkout', '-q', 'main');
  ctx.serve = await new ServeHarness().start();
});

T.after(async () => {
  try {
    await ctx.serve?.stop();
  } finally {
    ctx.repo?.cleanup();
  }
});

const runDone = (id: string) => waitFor(`run ${id} to complete`, async () => {
  const r = await serve().api('GET', `/api/runs/${id}`);
  return r.body.state === 'completed' && r.body;
}, 60_000);

async function readEvents(conn: Awaited<ReturnType<typeof openSse>>, stop: (m: SseMessage, all: SseMessage[]) => boolean): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for (let m = await conn.next(); m; m = await conn.next()) {
    out.push(m);
    if (stop(m, out)) break;
  }
  return out;
}

T('serve prints where the admin token is, never the token', () => {
  const { stdout, stderr } = serve().output();
  assert.match(stdout, /helios serve: admin token: .*\/data\/admin-token \(created now, mode 600\)/);
  assert.not.ok((stdout + stderr).includes(serve().token));
});

T('write endpoints need the admin token: 401 with a message that says how to send it', async () => {
  const body = { repository: ctx.repo!.dir, ref: 'main' };
  const none = await serve().api('POST', '/api/runs', { body });
  assert.is(none.status, 401);
  assert.is(none.headers.get('www-authenticate'), 'Bearer realm="helios"');
  assert.is(none.body.error.code, 'E_UNAUTHORIZED');
  assert.match(none.body.error.message, /needs the admin token: send "Authorization: Bearer <token>".*HELIOS_ADMIN_TOKEN.*admin-token/);
  const wrong = await serve().api('POST', '/api/runs', { body, auth: 'not-the-token' });
  assert.is(wrong.status, 401);
  assert.match(wrong.body.error.message, /the admin token sent is wrong/);
  for (const path of ['/api/jobs/x/cancel', '/api/jobs/x/rerun']) assert.is((await serve().api('POST', path)).status, 401, path);
  assert.is((await serve().api('GET', '/api/runs')).body.runs.length, 0, 'nothing was created');
});

T('bad requests are 400s with E_..._INVALID codes naming the problem', async () => {
  const post = (body: unknown, headers?: Record<string, string>) => serve().api('POST', '/api/runs', { body, auth: true, ...(headers ? { headers } : {}) });
  const cases: [unknown, string, RegExp, Record<string, string>?][] = [
    ['{not json', 'E_BODY_INVALID', /not valid JSON/],
    ['[1]', 'E_BODY_INVALID', /must be a JSON object/],
    ['{"repository":"/x","ref":"main"}', 'E_BODY_INVALID', /must be JSON \(Content-Type: application\/json\)/, { 'content-type': 'text/plain' }],
    [{ repository: ctx.repo!.dir }, 'E_RUN_REQUEST_INVALID', /ref: Expected required property/],
    [{ repository: ctx.repo!.dir, ref: 'main', colour: 'blue' }, 'E_RUN_REQUEST_INVALID', /colour: Unexpected property/],
    [{ repository: ctx.repo!.dir, ref: 'main', event: 'release' }, 'E_RUN_REQUEST_INVALID', /event/],
    [{ repository: ctx.repo!.dir, ref: 'main', inputs: { a: '1' } }, 'E_RUN_REQUEST_INVALID', /only for event workflow_dispatch/],
    [{ repository: '--upload-pack=touch /tmp/x', ref: 'main' }, 'E_REPOSITORY_INVALID', /starts with "-"/],
    [{ repository: 'ssh://example.org/x', ref: 'main' }, 'E_REPOSITORY_INVALID', /ssh:\/\/, which is not supported/],
    [{ repository: 'relative/dir', ref: 'main' }, 'E_REPOSITORY_INVALID', /neither a supported URL nor an absolute path/],
    [{ repository: ctx.repo!.dir, ref: '-x' }, 'E_REF_INVALID', /not a branch, tag or commit sha/],
    [{ repository: ctx.repo!.dir, ref: 'broken' }, 'E_WORKFLOW_INVALID', /\.github\/workflows\/ci\.yml:\d+:\d+: /],
  ];
  for (const [body, code, message, headers] of cases) {
    const r = await post(body, headers);
    assert.is(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code, JSON.stringify(body));
    assert.match(r.body.error.message, message);
  }
  assert.is((await post({ repository: ctx.repo!.dir, ref: 'no-such-branch' })).status, 404);
  const q = await serve().api('GET', '/api/runs?limit=0');
  assert.is(q.status, 400);
  assert.is(q.body.error.code, 'E_QUERY_INVALID');
  assert.match(q.body.error.message, /limit/);
  assert.is((await serve().api('GET', '/api/runs?limit=2&colour=1')).body.error.code, 'E_QUERY_INVALID');
  assert.is((await serve().api('GET', '/api/runs/bad%20id')).body.error.code, 'E_PARAMS_INVALID');
});

T('POST /api/runs plans a run from the repository; the job log streams live over SSE and resumes with Last-Event-ID', async () => {
  const created = await serve().api('POST', '/api/runs', { auth: true, body: { repository: ctx.repo!.dir, ref: 'main' } });
  assert.is(created.status, 201, JSON.stringify(created.body));
  const run = created.body;
  assert.is(created.headers.get('location'), `/api/runs/${run.id}`);
  assert.is(run.ref, 'refs/heads/main');
  assert.is(run.sha, ctx.repo!.git('rev-parse', 'main'));
  assert.equal(run.jobs.map((j: { key: string }) => j.key), ['build']);
  ctx.runId = run.id;
  ctx.jobId = run.jobs[0].id;

  // Live: read part of the log, drop the connection, resume where it stopped.
  const first = await openSse(`${serve().url}/api/jobs/${ctx.jobId}/log/stream`);
  assert.is(first.status, 200);
  assert.match(first.headers.get('content-type')!, /^text\/event-stream/);
  const part1 = await readEvents(first, (m) => m.event === 'log' && JSON.parse(m.data).text === 'line 10 <b>&amp;</b>');
  first.close();
  const jobMidway = await serve().api('GET', `/api/jobs/${ctx.jobId}`);
  assert.not.ok(['succeeded', 'failed'].includes(jobMidway.body.state), 'the reconnect happens while the job runs');
  const lastId = part1.filter((m) => m.id !== null).pop()!.id!;
  const second = await openSse(`${serve().url}/api/jobs/${ctx.jobId}/log/stream`, { 'last-event-id': lastId });
  const part2 = await readEvents(second, () => false);
  second.close();

  const view = await runDone(ctx.runId);
  assert.is(view.conclusion, 'success');
  const job = view.jobs[0];
  assert.equal(job.steps.map((s: { name: string; conclusion: string }) => [s.name, s.conclusion]), [['Count', 'success'], ['Tail', 'success']]);
  assert.ok(job.steps.every((s: { durationMs: number }) => typeof s.durationMs === 'number'));

  const log = await serve().api('GET', `/api/jobs/${ctx.jobId}/log?from=1&limit=10000`);
  assert.is(log.status, 200);
  const lines = log.body.lines as { seq: number; step: number; stream: string; ts: number; text: string }[];
  assert.equal(lines.map((l) => l.seq), Array.from({ length: lines.length }, (_, i) => i + 1));
  assert.equal(Object.keys(lines[0]!).sort(), ['seq', 'step', 'stream', 'text', 'ts']);
  assert.is(log.body.complete, true);
  assert.is(log.body.lastSeq, lines.length);
  const counted = lines.filter((l) => /^line \d+ /.test(l.text));
  assert.equal(counted.map((l) => l.text), Array.from({ length: 40 }, (_, i) => `line ${i + 1} <b>&amp;</b>`));
  assert.ok(counted.every((l) => l.step === 1 && l.stream === 'stdout'));
  assert.ok(lines.some((l) => l.step === 2 && l.stream === 'stderr' && l.text === 'done'));

  const streamed = [...part1, ...part2].filter((m) => m.event === 'log');
  assert.equal(streamed.map((m) => Number(m.id)), lines.map((l) => l.seq), 'no line lost or repeated across the reconnect');
  assert.equal(streamed.map((m) => JSON.parse(m.data)), lines);
  const steps = [...part1, ...part2].filter((m) => m.event === 'step').map((m) => JSON.parse(m.data));
  assert.ok(steps.some((s) => s.step === 2 && s.state === 'finished' && s.conclusion === 'success'), JSON.stringify(steps));
  const fin = part2[part2.length - 1]!;
  assert.is(fin.event, 'finished');
  assert.equal(JSON.parse(fin.data), { state: 'succeeded', reason: null, lastSeq: lines.length });

  // Paging through the log.
  const page = await serve().api('GET', `/api/jobs/${ctx.jobId}/log?from=3&limit=2`);
  assert.equal(page.body.lines.map((l: { seq: number }) => l.seq), [3, 4]);
  assert.is(page.body.next, 5);
  assert.is(page.body.complete, false);

  // A finished job's stream replays from ?from and ends.
  const replay = await openSse(`${serve().url}/api/jobs/${ctx.jobId}/log/stream?from=${lines.length - 1}`);
  assert.equal((await readEvents(replay, () => false)).map((m) => m.event), ['log', 'log', 'finished']);
  const bad = await serve().api('GET', `/api/jobs/${ctx.jobId}/log/stream`, { headers: { 'last-event-id': 'abc' } });
  assert.is(bad.status, 400);
  assert.is(bad.body.error.code, 'E_LAST_EVENT_ID_INVALID');
});

T('GET /api/runs lists newest first with limit/before paging; GET /api/jobs/:id is the job view', async () => {
  const again = await serve().api('POST', '/api/runs', { auth: true, body: { repository: `file://${ctx.repo!.dir}`, ref: ctx.repo!.git('rev-parse', 'main'), workflows: ['ci.yml'] } });
  assert.is(again.status, 201, JSON.stringify(again.body));
  assert.is(again.body.ref, 'refs/heads/main', 'a sha is named after the branch pointing at it');
  await runDone(again.body.id);
  const p1 = await serve().api('GET', '/api/runs?limit=1');
  assert.is(p1.body.runs.length, 1);
  assert.is(p1.body.runs[0].id, again.body.id);
  assert.equal(p1.body.runs[0].jobs, { total: 1, succeeded: 1 });
  assert.is(p1.body.next, again.body.id);
  const p2 = await serve().api('GET', `/api/runs?limit=1&before=${p1.body.next}`);
  assert.equal(p2.body.runs.map((r: { id: string }) => r.id), [ctx.runId]);
  const p3 = await serve().api('GET', `/api/runs?limit=1&before=${p2.body.next}`);
  assert.equal(p3.body, { runs: [], next: null });
  assert.is((await serve().api('GET', '/api/runs?before=no-such-run')).status, 404);

  const job = await serve().api('GET', `/api/jobs/${ctx.jobId}`);
  assert.is(job.status, 200);
  assert.is(job.body.runId, ctx.runId);
  assert.is(job.body.state, 'succeeded');
  assert.equal(job.body.annotations, [{ level: 'warning', message: 'look <here>', file: 'src/a.txt', line: 2 }]);
});

T('unknown ids and paths are 404s: JSON under /api, HTML pages for /jobs and /runs', async () => {
  for (const path of ['/api/runs/no-such-run', '/api/jobs/no-such-job', '/api/jobs/no-such-job/log', '/api/jobs/no-such-job/log/stream', '/api/nothing-here']) {
    const r = await serve().api('GET', path);
    assert.is(r.status, 404, path);
    assert.match(r.body.error.code, /NOT_FOUND$/, path);
  }
  assert.is((await serve().api('POST', '/api/jobs/no-such-job/cancel', { auth: true })).status, 404);
  assert.is((await serve().api('POST', '/api/jobs/no-such-job/rerun', { auth: true })).status, 404);
  for (const path of ['/jobs/no-such-job', '/runs/no-such-run', '/jobs/%3Cscript%3E']) {
    const r = await serve().api('GET', path);
    assert.is(r.status, 404, path);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    assert.match(r.body, /<h1>Not found<\/h1>/);
    assert.not.match(r.body, /<script>/);
  }
});

T('the job page shows name, state, steps with durations, annotations and the escaped log; the run page links its jobs', async () => {
  const page = await serve().api('GET', `/jobs/${ctx.jobId}`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  assert.match(page.headers.get('content-security-policy')!, /script-src 'self';/);
  const html = page.body as string;
  assert.match(html, /<h1>build <span id="job-state" class="state succeeded">succeeded<\/span><\/h1>/);
  assert.match(html, /<tr data-step="1"><td class="num">1<\/td><td>Count<\/td><td><span class="state success">success<\/span><\/td><td class="dur">\d+(\.\d)? (ms|s)<\/td><\/tr>/);
  assert.match(html, /<td>Tail<\/td>/);
  assert.match(html, /<strong>warning<\/strong> <code>src\/a\.txt:2<\/code> look &lt;here&gt;/);
  assert.match(html, /<span class="t">line 1 &lt;b&gt;&amp;amp;&lt;\/b&gt;<\/span><\/div>/);
  assert.not.match(html, /<b>&amp;<\/b>/);
  assert.match(html, new RegExp(`href="/runs/${ctx.runId}"`));
  assert.match(html, /data-live="0"/, 'a finished job with its whole log in the page opens no stream');
  assert.match(html, /<script type="module" src="\/ui\/app\.js\?v=[\w-]+"><\/script>/);

  const runPage = await serve().api('GET', `/runs/${ctx.runId}`);
  assert.is(runPage.status, 200);
  assert.match(runPage.body, new RegExp(`<a href="/jobs/${ctx.jobId}">build</a>`));
  assert.match(runPage.body, /class="state success">success</);
});

T('POST /api/jobs/:id/cancel stops a running job; cancelling again is a 409', async () => {
  const created = await serve().api('POST', '/api/runs', { auth: true, body: { repository: ctx.repo!.dir, ref: 'main', event: 'workflow_dispatch', workflows: ['sleep.yml'] } });
  assert.is(created.status, 201, JSON.stringify(created.body));
  const jobId = created.body.jobs[0].id as string;
  ctx.sleeperId = jobId;
  await waitFor('the sleeper to nap', async () => {
    const log = await serve().api('GET', `/api/jobs/${jobId}/log`);
    return log.body.lines.some((l: { text: string }) => l.text === 'napping now');
  });
  // The page of a running job streams its log.
  assert.match((await serve().api('GET', `/jobs/${jobId}`)).body, /data-live="1"/);
  const started = Date.now();
  const cancel = await serve().api('POST', `/api/jobs/${jobId}/cancel`, { auth: true });
  assert.is(cancel.status, 202);
  assert.is(cancel.body.job.id, jobId);
  const view = await runDone(created.body.id);
  assert.ok(Date.now() - started < 20_000, 'cancelled well before the sleep ends');
  assert.is(view.conclusion, 'cancelled');
  assert.is(view.jobs[0].state, 'cancelled');
  assert.match(view.jobs[0].reason, /cancelled through the REST API/);
  const twice = await serve().api('POST', `/api/jobs/${jobId}/cancel`, { auth: true });
  assert.is(twice.status, 409);
  assert.is(twice.body.error.code, 'E_JOB_FINAL');
});

T('POST /api/jobs/:id/rerun runs the job again in a new run; a job still running cannot be re-run', async () => {
  const rerun = await serve().api('POST', `/api/jobs/${ctx.jobId}/rerun`, { auth: true });
  assert.is(rerun.status, 201, JSON.stringify(rerun.body));
  assert.is.not(rerun.body.id, ctx.runId);
  assert.equal(rerun.body.jobs.map((j: { key: string }) => j.key), ['build']);
  assert.is.not(rerun.body.jobs[0].id, ctx.jobId);
  const done = await runDone(rerun.body.id);
  assert.is(done.conclusion, 'success');
  assert.is(done.sha, ctx.repo!.git('rev-parse', 'main'));

  const sleeper = await serve().api('POST', `/api/jobs/${ctx.sleeperId}/rerun`, { auth: true });
  assert.is(sleeper.status, 201);
  const newJob = sleeper.body.jobs[0].id as string;
  const busy = await serve().api('POST', `/api/jobs/${newJob}/rerun`, { auth: true });
  assert.is(busy.status, 409);
  assert.is(busy.body.error.code, 'E_JOB_NOT_FINAL');
  assert.is((await serve().api('POST', `/api/jobs/${newJob}/cancel`, { auth: true })).status, 202);
  assert.is((await runDone(sleeper.body.id)).conclusion, 'cancelled');
});

T('GET /metrics is Prometheus text format 0.0.4 with job, outbox, agent and process figures', async () => {
  const r = await serve().api('GET', '/metrics');
  assert.is(r.status, 200);
  assert.is(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = r.body as string;
  const families = new Map<string, string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      families.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+-]+$|^.* \+Inf$/, line);
    const name = line.split(/[{ ]/)[0]!;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(families.has(name) || families.get(family) === 'histogram', `sample ${name} has a TYPE line before it`);
  }
  const value = (sample: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    assert.ok(line, `missing ${sample}`);
    return Number(line!.slice(sample.length + 1));
  };
  assert.equal(families.get('helios_jobs'), 'gauge');
  assert.is(value('helios_jobs{state="succeeded"}'), 3);
  assert.is(value('helios_jobs{state="cancelled"}'), 2);
  assert.is(value('helios_jobs{state="running"}'), 0);
  assert.is(value('helios_jobs_finished_total{state="succeeded"}'), 3);
  assert.is(value('helios_jobs_finished_total{state="cancelled"}'), 2);
  assert.is(value('helios_job_duration_seconds_count{state="succeeded"}'), 3);
  assert.is(value('helios_job_duration_seconds_bucket{state="succeeded",le="+Inf"}'), 3);
  assert.ok(value('helios_job_duration_seconds_sum{state="succeeded"}') > 1);
  assert.is(value('helios_outbox_pending'), 0);
  assert.is(value('helios_agent_sessions_active'), 0);
  assert.ok(families.has('helios_webhook_deliveries_total'));
  assert.ok(value('helios_uptime_seconds') > 0);
  assert.ok(value('process_cpu_seconds_total') > 0);
  assert.ok(value('process_resident_memory_bytes') > 1e6);
});

T.run();
