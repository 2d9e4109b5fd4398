// The vmactions corpus (core/test/fixtures/workflows/vmactions/valid) run end to end: `helios serve`
// with helios.yaml `vmactions:`, runtime-bhyve on the illumos simulator, storage-zfs on zfs-fuse.
// Every job's runs-on (ubuntu-latest) is left behind for the label its release maps to; each
// vmactions step runs its `prepare` and `run` natively as steps of their own in the job's zone,
// reported per step; custom shells run in the same machine; envs see the job's env.
// The guests' `pkg` is a stand-in on their PATH (the simulator's guests are Linux processes): it
// prints what `pkg install` would install; `gmake` is the host's make.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { final, nothingLeft, World } from './serveWorld.js';
import { LABEL, requireComponent, simMissing, withSimHost } from './simWorld.js';

const missing = simMissing();
const t = requireComponent(test, missing);
const CORPUS = fileURLToPath(new URL('../../../../core/test/fixtures/workflows/vmactions/', import.meta.url));
const corpusConfig = JSON.parse(readFileSync(join(CORPUS, 'config.json'), 'utf8')) as { vmactions: Record<string, Record<string, string>> };
const LABELS = ['omnios-r151054', 'omnios-r151056', 'openindiana-202604', 'solaris-11-4', 'freebsd-14'];

/** The guest PATH's stand-ins: pkg(1) that installs nothing but says what, and gmake. */
function guestTools(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmactions-guest-bin-'));
  writeFileSync(
    join(dir, 'pkg'),
    `#!/bin/sh\n# pkg(1) stand-in for the simulator's guests\ncase "$1" in\n  install) shift; for p in "$@"; do case "$p" in -*) ;; *) echo "pkg (stand-in): installed $p" ;; esac; done ;;\n  *) echo "pkg (stand-in): $1 is not simulated" >&2; exit 1 ;;\nesac\n`,
  );
  writeFileSync(join(dir, 'gmake'), '#!/bin/sh\nexec make "$@"\n');
  for (const f of ['pkg', 'gmake']) chmodSync(join(dir, f), 0o755);
  return dir;
}

/** A small C project shaped like the ones the corpus builds (gmake; gmake check). */
function project(w: World): void {
  w.repo.write('hello.c', '#include <stdio.h>\nint main(void) { puts("hello from the zone"); return 0; }\n');
  w.repo.write('Makefile', 'hello: hello.c\n\t$(CC) -o hello hello.c\ncheck: hello\n\t./hello | grep -q "hello from"\n\t@echo check-passed\n');
  for (const f of readdirSync(join(CORPUS, 'valid')).filter((n) => n.endsWith('.yml'))) w.repo.write(`.github/workflows/${f}`, readFileSync(join(CORPUS, 'valid', f), 'utf8'));
}

t('every corpus workflow runs natively on its mapped label: prepare and run as steps of their own, custom shells and env in the same machine', () =>
  withSimHost(async (h) => {
    const bin = guestTools();
    const image = h.config.images[LABEL]!;
    const w = new World(h, {
      bhyve: { images: Object.fromEntries(LABELS.map((l) => [l, image])), maxMachines: 4 },
      top: `vmactions: ${JSON.stringify(corpusConfig.vmactions)}\n`,
      env: { HELIOS_ILLUMOS_SIM_GUEST_PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    });
    try {
      project(w);
      const sha = w.repo.commit();
      w.start();
      assert.is((await w.push(sha)).status, 202);
      const jobs = await waitFor('the corpus jobs to finish', () => {
        const js = w.jobs();
        return js.length === 9 && js.every((j) => final(j.state)) && js;
      }, 400_000);
      const byName = new Map(jobs.map((j) => [j.name, j]));
      const text = (id: string) => w.log(id).map((l) => l.text).join('\n');
      for (const j of jobs) {
        const log = text(j.id);
        assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}\n${log}`);
        const steps = w.steps(j.id);
        assert.ok(steps.every((s) => s.conclusion === 'success'), `${j.name}: ${JSON.stringify(steps)}`);
        const prepare = steps.findIndex((s) => s.name.endsWith(': prepare'));
        const run = steps.findIndex((s) => s.name.endsWith(': run'));
        assert.ok(run >= 0, `${j.name}: the run step: ${JSON.stringify(steps.map((s) => s.name))}`);
        // envs.yml's step ("check") has no prepare: only its run becomes a step.
        if (j.name !== 'check') {
          assert.ok(prepare >= 0 && run === prepare + 1, `${j.name}: prepare then run, each a step: ${JSON.stringify(steps.map((s) => s.name))}`);
          assert.match(log, /pkg \(stand-in\): installed (developer\/build\/gnu-make|developer\/gcc14|gmake)/);
        } else assert.is(prepare, -1);
        assert.match(log, /Helios: vmactions\/[a-z]+-vm@[^ ]+ release [^ ]+ runs natively on [a-z0-9-]+ \(helios\.yaml vmactions\./);
      }
      const runsOn = (name: string) => JSON.parse(w.runs()[0]!.plan_json).jobs.find((j: { name: string }) => j.name === name).runsOn;
      assert.equal(runsOn('omnios r151054'), ['omnios-r151054']);
      assert.equal(runsOn('omnios r151056'), ['omnios-r151056']);
      assert.equal(runsOn('illumos'), ['omnios-r151056'], 'release r15105 is a prefix: the newest configured match');
      assert.match(text(byName.get('OmniOS')!.id), 'check-passed');
      // Custom shell steps ran in the job's machine after prepare, with sh.
      const custom = w.steps(byName.get('illumos')!.id).map((s) => s.name);
      assert.equal(custom.slice(-3), ['build', 'test', 'a step with the default shell']);
      assert.match(text(byName.get('illumos')!.id), 'check-passed');
      // The ignored inputs are said in the log; mem/cpu size the machine within the label's limits.
      assert.match(text(byName.get('illumos')!.id), 'sync: ignored, the workspace is already in the machine of the job');
      assert.match(text(byName.get('omnios')!.id), 'vmactions: mem 512 MB → 512 MB, cpu 1 → 1');
      assert.match(text(byName.get('solaris')!.id), 'runs natively on solaris-11-4');
      assert.match(text(byName.get('freebsd')!.id), 'pkg (stand-in): installed gmake');
      await nothingLeft(h).catch((err: Error) => {
        throw new Error(`${err.message}\n${jobs.map((j) => text(j.id)).filter((l) => l.includes('cache-after-prepare')).join('\n----\n')}`);
      });
    } finally {
      await w.cleanup();
      rmSync(bin, { recursive: true, force: true });
    }
  }),
);

test.run();
