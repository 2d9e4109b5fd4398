import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { CLI } from '../helpers/tempProject.js';
import { ServeHarness, waitFor } from './serveHarness.js';
import { seedJobLog } from './seedJobLog.js';

const run = promisify(execFile);

const CI = `on: push
jobs:
  build:
    runs-on: local
    steps:
      - name: Print
        run: |
          for i in $(seq 1 3000); do echo "cc -c src/file_$i.c -o obj/file_$i.o"; done
          echo "warning: the last one" >&2
`;

function peek<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('helios serve compacts a finished log at start and serves ranges of it; helios logs prune removes it and the API says so', async () => {
  const h = new ServeHarness();
  const { jobId } = seedJobLog(join(h.dir, 'data'), 20_000);
  await h.start();
  try {
    const db = join(h.dir, 'data/helios.db');
    await waitFor('start-up compaction', () =>
      peek(db, (d) => d.prepare('SELECT lines FROM log_archives WHERE job_id = ?').pluck().get(jobId) === 20_000 && d.prepare('SELECT count(*) FROM log_lines WHERE job_id = ?').pluck().get(jobId) === 0),
    );
    const page = await h.api('GET', `/api/jobs/${jobId}/log?from=9990&limit=20`);
    assert.is(page.status, 200);
    assert.equal(page.body.lines.map((l: { seq: number }) => l.seq), Array.from({ length: 20 }, (_, i) => 9990 + i));
    assert.match(page.body.lines[0].text, / 9990$/);
    assert.is(page.body.lastSeq, 20_000);
    assert.is(page.body.removed, null);
    const tail = await h.api('GET', `/api/jobs/${jobId}/log?from=19999`);
    assert.equal(tail.body.lines.map((l: { seq: number }) => l.seq), [19_999, 20_000]);
    assert.is(tail.body.complete, true);
    const html = await h.api('GET', `/jobs/${jobId}`);
    assert.is(html.status, 200);
    assert.match(html.body, /seeded log line x+ 1</);

    // The CLI, against the running server's store, with a budget nothing fits in.
    const config = join(h.dir, 'prune.yaml');
    writeFileSync(config, `${readFileSync(join(h.dir, 'helios.yaml'), 'utf8')}limits:\n  maxLogBytesPerRepository: 1\n`);
    const opts = { cwd: h.dir, env: { PATH: process.env.PATH, HOME: h.dir } };
    const dry = await run(process.execPath, [CLI, 'logs', 'prune', '--dry-run', '--config', config], opts);
    assert.match(dry.stdout, new RegExp(`would remove job ${jobId} \\(local:acme/widget, finished [^)]+\\): repository logs over limits\\.maxLogBytesPerRepository \\(1 bytes\\)`));
    assert.match(dry.stdout, /would remove 1 job log /);
    assert.is((await h.api('GET', `/api/jobs/${jobId}/log?from=1&limit=1`)).body.lines[0].seq, 1);
    assert.is((await h.api('GET', `/api/jobs/${jobId}/log?from=1&limit=1`)).body.removed, null, 'a dry run removes nothing');

    const real = await run(process.execPath, [CLI, 'logs', 'prune', '--config', config], opts);
    assert.match(real.stdout, /removed 1 job log /);
    const gone = await h.api('GET', `/api/jobs/${jobId}/log`);
    assert.equal(gone.body.lines.length, 1);
    assert.match(gone.body.lines[0].text, /^\[helios\] log removed by retention on \d{4}-\d\d-\d\d \(repository logs over limits\.maxLogBytesPerRepository \(1 bytes\)\)$/);
    assert.is(gone.body.lastSeq, 1);
    assert.is(gone.body.complete, true);
    assert.match(gone.body.removed.reason, /maxLogBytesPerRepository/);
    assert.match((await h.api('GET', `/jobs/${jobId}`)).body, /log removed by retention on/);
  } finally {
    await h.stop();
  }
});

test('a job run by helios serve is compacted when it finishes; its log reads the same before and after', async () => {
  const repo = new GitRepo();
  const h = new ServeHarness();
  try {
    repo.write('.github/workflows/ci.yml', CI).commit('ci');
    await h.start();
    const created = await h.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main' } });
    assert.is(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body.jobs[0].id as string;
    const db = join(h.dir, 'data/helios.db');
    await waitFor('the job to finish and its log to be compacted', () => peek(db, (d) => d.prepare('SELECT lines FROM log_archives WHERE job_id = ?').pluck().get(jobId) as number | undefined), 60_000);
    assert.is((await h.api('GET', `/api/jobs/${jobId}`)).body.state, 'succeeded');
    const rowsLeft = () => peek(db, (d) => d.prepare('SELECT count(*) FROM log_lines WHERE job_id = ?').pluck().get(jobId) as number);
    await waitFor('the dead rows to be swept', () => rowsLeft() === 0);
    const log = await h.api('GET', `/api/jobs/${jobId}/log?limit=10000`);
    const texts = (log.body.lines as { text: string; stream: string; step: number }[]).filter((l) => l.step === 1);
    assert.equal(texts.filter((l) => l.stream === 'stdout').map((l) => l.text), Array.from({ length: 3000 }, (_, i) => `cc -c src/file_${i + 1}.c -o obj/file_${i + 1}.o`));
    assert.ok(texts.some((l) => l.stream === 'stderr' && l.text === 'warning: the last one'));
    assert.is(log.body.complete, true);
    const sizes = peek(db, (d) => d.prepare('SELECT raw_bytes AS raw, stored_bytes AS stored FROM log_archives WHERE job_id = ?').get(jobId) as { raw: number; stored: number });
    assert.ok(sizes.stored < sizes.raw * 0.3, `compressed: ${JSON.stringify(sizes)}`);
  } finally {
    await h.stop();
    repo.cleanup();
  }
});

test.run();
