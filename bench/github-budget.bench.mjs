// `npm run bench -- github-budget`: 50 concurrent jobs, each printing 100 lines/s for 60 s, through a
// real `helios serve` with @helios-ci/forge-github against the GitHub stand-in (which enforces 80
// content-creating requests per minute per installation with 403 + retry-after). Reports the most
// content-creating requests the installation made in any 60 s window (budget ≤ 80), refusals, API
// requests per job against DESIGN §9's 3 + duration/5 s, and whether every final check output is
// complete (completed, success, the log tail ending with the job's last line).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const t = join(root, 'plugins/forge-github/dist/test');
const { createWorld, INSTALLATION, OWNER } = await import(join(t, 'helpers/world.js'));
const { Deployment, startServe, waitFor } = await import(join(t, 'helpers/serve.js'));
const { loadFixture, retarget, signedDelivery, post, TEST_WEBHOOK_SECRET } = await import(join(t, 'helpers/fixtures.js'));

const JOBS = Number(process.env.BENCH_JOBS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const LINES = SECONDS * 100;
const printer = `let i = 0; const t = setInterval(() => { for (let k = 0; k < 10; k++) console.log('line ' + ++i); if (i >= ${LINES}) clearInterval(t); }, 100);`;
const workflow = `name: Budget
on: push
jobs:
  chatty:
    runs-on: local
    strategy:
      matrix:
        n: [${Array.from({ length: JOBS }, (_, i) => i + 1).join(', ')}]
    steps:
      - run: |
          ${process.execPath} -e "${printer}"
`;

const world = await createWorld({ files: { '.github/workflows/budget.yml': workflow } });
const d = new Deployment(world.standIn, TEST_WEBHOOK_SECRET, { concurrentJobs: JOBS, checkUpdateIntervalSeconds: 3 });
const serve = startServe(d);
try {
  const url = await serve.url;
  const started = Date.now();
  const p = retarget(loadFixture('check_suite.requested'), { owner: OWNER, name: 'widget', repoId: world.ghRepo.id, installationId: INSTALLATION, appId: world.standIn.appId });
  Object.assign(p.check_suite, { head_sha: world.sha, after: world.sha, before: '0'.repeat(40), head_branch: 'main' });
  const res = await post(`${url}/hooks/github`, signedDelivery('check_suite', p, { deliveryId: randomUUID() }));
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  const jobsDone = await waitFor('every job to finish', () => {
    const jobs = d.jobs();
    return jobs.length === JOBS && jobs.every((j) => ['succeeded', 'failed', 'errored', 'cancelled', 'timed_out'].includes(j.state)) && Date.now();
  }, (SECONDS + 600) * 1000);
  await waitFor('every check to be completed', () => {
    const runs = world.standIn.runs();
    return runs.length === JOBS && runs.every((r) => r.status === 'completed');
  }, 900_000);
  const drained = Date.now();
  const runs = world.standIn.runs();
  const complete = runs.filter((r) => r.conclusion === 'success' && (r.output.text ?? '').trimEnd().endsWith(`line ${LINES}`) && (r.output.summary ?? '').length > 0).length;
  const api = world.standIn.requests.filter((r) => r.path.startsWith('/api/v3/repos/'));
  const content = world.standIn.requests.filter((r) => r.contentCreating);
  const jobSeconds = SECONDS;
  console.log(JSON.stringify({
    bench: 'github-budget',
    jobs: JOBS,
    linesPerJob: LINES,
    jobSeconds,
    maxContentCreatingPerMinute: world.standIn.maxContentPerWindow(INSTALLATION),
    budgetPerMinute: 80,
    withinBudget: world.standIn.maxContentPerWindow(INSTALLATION) <= 80,
    rateLimited403: world.standIn.requests.filter((r) => r.status === 403).length,
    contentCreatingTotal: content.length,
    apiRequestsPerJob: +(api.length / JOBS).toFixed(2),
    contentCreatingPerJob: +(content.length / JOBS).toFixed(2),
    designBudgetPerJob: 3 + jobSeconds / 5,
    checksCompleteAndCorrect: complete,
    checksTotal: runs.length,
    validationRejections: world.standIn.rejections.length,
    jobsFinishedAfterS: +((jobsDone - started) / 1000).toFixed(1),
    checksDrainedAfterS: +((drained - started) / 1000).toFixed(1),
  }));
} finally {
  await serve.stop();
  d.cleanup();
  await world.cleanup();
}
