// An approved fork pull request runs untrusted: it must never hold the bot token (write-capable),
// not even while the agent clones (issue 10, item 2). Real `helios serve`, the local runtime and
// the Forgejo stand-in, which records the credential of every git request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForgejoStandIn } from './standIn/server.js';
import { commentPayload, fixturePayload } from './helpers/fixtures.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { Deployment, READ_TOKEN, deliveryOf, forkPullRequestPayload, waitFor, type DeploymentOptions } from './helpers/deployment.js';

/** The bot token as the agent hands it to git (Basic x-access-token:<token>, base64). */
const TOKEN_B64 = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

// The step looks for the token wherever a job could find it: its environment, its parent's (the
// agent's) environment, the whole workspace including .git, and what a background process saw of
// the agent's descendants (git) and of every process working in the workspace while a later
// actions/checkout ran. The searched strings are assembled from halves so the workflow file itself
// never contains them.
const half = (s: string) => [s.slice(0, s.length >> 1), s.slice(s.length >> 1)] as const;
const [t1, t2] = half(TOKEN);
const [b1, b2] = half(TOKEN_B64);
const [r1, r2] = half(READ_TOKEN);
const [rb1, rb2] = half(Buffer.from(`x-access-token:${READ_TOKEN}`).toString('base64'));
const WORKFLOW = `name: CI
on: pull_request
jobs:
  build:
    runs-on: local
    steps:
      - name: snoop
        run: |
          cat > "$RUNNER_TEMP/snoop.sh" <<'EOS'
          agent=$1
          end=$((SECONDS + 120))
          # The agent's descendants, tight and fork-free (short-lived git children are caught) ...
          walk() {
            local kids k
            read -r -a kids < "/proc/$1/task/$1/children" || return 0
            for k in "\${kids[@]}"; do
              tr '\\0' '\\n' < "/proc/$k/environ" >> "$RUNNER_TEMP/snooped"
              walk "$k"
            done
          }
          n=0
          touch "$RUNNER_TEMP/snooping"
          while [ ! -e "$RUNNER_TEMP/stop" ] && [ $SECONDS -lt $end ]; do
            walk "$agent"
            # ... and now and then every process working in the workspace.
            n=$((n + 1))
            if [ $((n % 50)) -eq 1 ]; then
              for c in $(find /proc -maxdepth 2 -name cwd -lname "$GITHUB_WORKSPACE*" 2>/dev/null); do tr '\\0' '\\n' < "\${c%/cwd}/environ" >> "$RUNNER_TEMP/snooped" 2>/dev/null; done
            fi
          done
          EOS
          setsid bash "$RUNNER_TEMP/snoop.sh" "$PPID" </dev/null >/dev/null 2>&1 &
          # The next step (the checkout) must not start before the snooper looks.
          for i in $(seq 200); do [ -e "$RUNNER_TEMP/snooping" ] && break; sleep 0.05; done
          echo started
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: search
        run: |
          touch "$RUNNER_TEMP/stop"
          T="${t1}""${t2}"; B="${b1}""${b2}"
          found=""
          for where in "env" "parent" "workspace" "snooped"; do
            case $where in
              env) text=$(env) ;;
              parent) text=$(tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null) ;;
              workspace) text=$(grep -rFa -e "$T" -e "$B" "$GITHUB_WORKSPACE" 2>/dev/null; git -C "$GITHUB_WORKSPACE" config --list 2>/dev/null) ;;
              snooped) text=$(cat "$RUNNER_TEMP/snooped" 2>/dev/null) ;;
            esac
            if printf '%s' "$text" | grep -qF -e "$T" -e "$B"; then found="$found $where"; fi
          done
          echo "token-found:[\${found}]"
          # The clone credential the run did get (read-only) must not outlive the agent's git commands.
          R="${r1}""${r2}"; RB="${rb1}""${rb2}"
          left=""
          if env | grep -qF -e "$R" -e "$RB"; then left="$left env"; fi
          if tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null | grep -qF -e "$R" -e "$RB"; then left="$left parent"; fi
          if grep -rqFa -e "$R" -e "$RB" "$GITHUB_WORKSPACE" 2>/dev/null; then left="$left workspace"; fi
          if grep -qF -e "$R" -e "$RB" "$RUNNER_TEMP/snooped" 2>/dev/null; then left="$left snooped"; fi
          echo "clone-credential-left:[\${left}]"
          # The snooper works: it saw the agent's git processes of the later actions/checkout.
          if grep -qx "GIT_ASKPASS=true" "$RUNNER_TEMP/snooped" 2>/dev/null; then echo "snooper-saw-git"; fi
          echo "checked-out:$(git -C "$GITHUB_WORKSPACE" rev-parse HEAD)"
      - name: egress
        run: curl -sS http://example.com/ || true
`;

/** A fork PR from bob/widget, held, approved by alice; resolves with the job once it finished. */
async function approvedForkRun(o: { privateRepo: boolean; deployment: DeploymentOptions }, check: (env: { d: Deployment; standIn: ForgejoStandIn; headSha: string; job: ReturnType<Deployment['jobs']>[number] }) => void): Promise<void> {
  const repo = new GitRepo();
  repo.write('.github/workflows/pr.yml', WORKFLOW);
  repo.commit('initial');
  const fork = new GitRepo('widget', repo);
  fork.write('README.md', 'fixed typo\n');
  const headSha = fork.commit('Fix typo in README');
  repo.git('fetch', '-q', fork.dir, 'main:refs/pull/8/head');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({
      token: TOKEN,
      readTokens: [READ_TOKEN],
      repos: [
        { owner: 'acme', name: 'widget', dir: repo.dir, id: 42, private: o.privateRepo },
        { owner: 'bob', name: 'widget', dir: fork.dir, id: 57, parent: 'acme/widget', private: o.privateRepo },
      ],
      permissions: { acme: 'owner', alice: 'write' },
    });
    d = new Deployment(standIn.url, o.deployment);
    await d.start();
    assert.is((await d.deliver(deliveryOf('pull_request', forkPullRequestPayload(8, headSha), { eventType: 'pull_request' }))).status, 202);
    await waitFor('the fork pull request to be held', () => d!.query('SELECT id FROM approvals').length === 1);
    const repository = fixturePayload('pull_request_synchronized.json').repository;
    assert.is((await d.deliver(deliveryOf('issue_comment', commentPayload(8, '/helios approve', 'alice', repository), { eventType: 'pull_request_comment', deliveryId: 'alice-1' }))).status, 202);
    const job = await waitFor('the approved job to finish', () => d!.jobs().find((j) => j.finished_at !== null), 90_000);
    check({ d, standIn, headSha, job });
    assert.equal(standIn.selfProblems, []);
    assert.not.match(d.output(), TOKEN);
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    fork.cleanup();
    repo.cleanup();
  }
}

test('public repository: the approved fork run clones anonymously and finds the bot token nowhere (env, agent env, workspace, .git, other processes)', async () => {
  await approvedForkRun({ privateRepo: false, deployment: {} }, ({ d, standIn, headSha, job }) => {
    const log = d.log(job.id).join('\n');
    assert.is(job.state, 'succeeded', log);
    assert.ok(d.log(job.id).includes('token-found:[]'), `the step found the token:\n${log}`);
    assert.ok(d.log(job.id).includes(`checked-out:${headSha}`), log);
    assert.ok(standIn.gitTokens.length >= 2, 'the set-up fetched (the mirror every checkout uses)');
    assert.equal([...new Set(standIn.gitTokens)], [''], 'every git request was anonymous');
    // Egress: the config leaves egress.default unset (any), yet a fork pull request gets none, from the proxy.
    assert.ok(d.log(job.id).includes('Helios egress proxy refused GET example.com:80: untrusted run (fork pull request): egress is always none; fork pull requests never get egress'), log);
    assert.ok(d.log(job.id).some((l) => l.startsWith('egress | GET example.com:80 refused: untrusted run (fork pull request)')), log);
  });
});

test('private repository with cloneToken: the approved fork run clones with the read-only token only', async () => {
  await approvedForkRun({ privateRepo: true, deployment: { cloneToken: true } }, ({ d, standIn, headSha, job }) => {
    const log = d.log(job.id).join('\n');
    assert.is(job.state, 'succeeded', log);
    assert.ok(d.log(job.id).includes('token-found:[]'), `the step found the token:\n${log}`);
    assert.ok(d.log(job.id).includes(`checked-out:${headSha}`), log);
    assert.equal([...new Set(standIn.gitTokens)], [READ_TOKEN], 'git only ever saw the read-only token');
    // Not even the read-only token: the agent fetched at "Set up job" and dropped it before the
    // first step, so the background snooper saw only credential-free git during actions/checkout.
    assert.ok(d.log(job.id).includes('clone-credential-left:[]'), `the read-only token outlived "Set up job":\n${log}`);
    assert.ok(d.log(job.id).includes('snooper-saw-git'), `the snooper saw no git process of the checkout, so it proves nothing:\n${log}`);
    assert.not.match(log, READ_TOKEN, 'the read-only token is masked too');
  });
});

test('private repository without cloneToken: the approved fork run errors before any machine, saying what to configure', async () => {
  await approvedForkRun({ privateRepo: true, deployment: {} }, ({ standIn, job }) => {
    assert.is(job.state, 'errored');
    assert.match(job.reason ?? '', /E_FORGE_NO_READ_ONLY_CREDENTIAL/);
    assert.match(job.reason ?? '', /cloneToken/);
    assert.equal(standIn.gitTokens, [], 'nothing was cloned');
  });
});

test.run();
