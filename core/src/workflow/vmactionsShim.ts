/**
 * The vmactions shim: a job with `uses: vmactions/<os>-vm@…` (which on GitHub boots a QEMU VM on a
 * Linux runner) is planned onto the illumos/BSD image label helios.yaml `vmactions:` maps its
 * `release` to, and the step becomes native steps in that job's machine: `prepare`, then `run`.
 * Facts about the action: ../shared/specs/vmactions-facts.md.
 */
import { createHash } from 'node:crypto';
import type { JobPlan, MachineSize, PlanProblem, RunStep, Step, VmactionsMapping } from '@helios-ci/sdk';
import { isSequence, type TemplateToken } from './vendor/workflowParser.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import { problem } from './problems.js';
import { resolveRunsOn, type RunsOnResult } from './runsOn.js';
import type { StepScope } from './steps.js';
import { at, entries, field, type TokenReader } from './tokens.js';

/** The vmactions/<os>-vm actions the shim knows, by the `<os>` of their name. */
export const VMACTIONS_OSES = ['omnios', 'openindiana', 'solaris', 'freebsd', 'netbsd', 'openbsd'] as const;
export type VmactionsOs = (typeof VMACTIONS_OSES)[number];

/** helios.yaml `vmactions:`: per OS, release (or `default`) → runs-on label. */
export type VmactionsConfig = Partial<Record<VmactionsOs, Record<string, string>>>;

/** Problems of a vmactions step: unmapped action or release, other arch, unknown-at-plan-time values. */
export const VMACTIONS_PROBLEM = 'E_WORKFLOW_VMACTIONS';

const USES = /^vmactions\/([a-z]+)-vm@[^\s@]+$/i;

/** `vmactions/omnios-vm@v1` → `omnios`; null for anything else. */
export function vmactionsOs(uses: string): VmactionsOs | null {
  const os = USES.exec(uses.trim())?.[1]?.toLowerCase();
  return os && (VMACTIONS_OSES as readonly string[]).includes(os) ? (os as VmactionsOs) : null;
}

/** Inputs that are about the runner-side VM (how files get in and out, the VM's console): nothing to do natively. */
const IGNORED: Record<string, string> = {
  sync: 'the workspace is already in the machine of the job',
  copyback: 'later steps run in the same machine and see the workspace as it is',
  nat: 'the machine has no port forwards; a service a step starts is reachable from later steps on localhost',
  usesh: 'scripts always run with sh',
  debug: 'there is no VM console to debug',
  'debug-on-error': 'there is no VM console to debug',
  'vnc-password': 'there is no VM console',
  'sync-time': 'the clock of the machine is the host clock',
  'data-dir': 'no VM image is downloaded',
  'cache-dir': 'no VM image is downloaded',
  'disable-cache': 'no VM image is downloaded',
  osname: 'the name of the action says the OS',
  envs: 'prepare and run see the whole job env, not only the named variables (there is no host/VM split)',
};
/** Inputs the shim maps. */
const MAPPED = new Set(['release', 'arch', 'prepare', 'run', 'mem', 'cpu', 'custom-shell-name', 'cache-after-prepare']);

/** `r151054` before `r151056-build` before `r151058`; a suffixed release after its plain one. */
function compareReleases(a: string, b: string): number {
  const base = (r: string) => r.split('-')[0]!;
  return base(a).localeCompare(base(b), 'en', { numeric: true }) || a.length - b.length || a.localeCompare(b);
}

type Match = { ok: true; matched: string; label: string } | { ok: false; message: string };

/** How to map an action, as problems say it. */
function howToMap(os: VmactionsOs): string {
  return `map its releases to runs-on labels in helios.yaml, e.g. vmactions: { ${os}: { <release>: <label>, default: <label> } }`;
}

function configured(os: VmactionsOs, table: Record<string, string>): string {
  return Object.entries(table)
    .map(([r, l]) => `${r} → ${l}`)
    .join(', ');
}

/**
 * The label for `release` of `os`: the exact release, else the newest configured release it is a
 * prefix of (as the action picks the newest matching release), else `default` when none is asked.
 */
export function matchRelease(os: VmactionsOs, release: string, config: VmactionsConfig): Match {
  const table = config[os];
  if (!table || Object.keys(table).length === 0) return { ok: false, message: `vmactions/${os}-vm is not mapped to an image: ${howToMap(os)}` };
  if (release === '') {
    if (table.default) return { ok: true, matched: 'default', label: table.default };
    return { ok: false, message: `vmactions/${os}-vm gives no release and helios.yaml vmactions.${os} has no default; configured: ${configured(os, table)}. Add default: <label> or give release:` };
  }
  if (Object.hasOwn(table, release) && release !== 'default') return { ok: true, matched: release, label: table[release]! };
  const candidates = Object.keys(table).filter((r) => r !== 'default' && r.startsWith(release)).sort(compareReleases);
  const newest = candidates.at(-1);
  if (newest) return { ok: true, matched: newest, label: table[newest]! };
  return { ok: false, message: `vmactions/${os}-vm release "${release}" matches no release configured in helios.yaml vmactions.${os} (${configured(os, table)}); add it there or change release:` };
}

interface VmStep {
  token: TemplateToken;
  /** 1-based position in the job's steps (the generated prepare step's id is `__<index>_prepare`). */
  index: number;
  uses: string;
  os: VmactionsOs;
  with: TemplateToken | undefined;
}

/** The job's vmactions steps (directly in its `steps:`). */
function vmSteps(stepsToken: TemplateToken | undefined, reader: TokenReader): VmStep[] {
  if (!stepsToken || !isSequence(stepsToken)) return [];
  const out: VmStep[] = [];
  let index = 0;
  for (const token of stepsToken) {
    index++;
    const uses = reader.text(field(token, 'uses'));
    const os = uses === undefined ? null : vmactionsOs(uses);
    if (os) out.push({ token, index, uses: uses!, os, with: field(token, 'with') });
  }
  return out;
}

/** A `with:` value evaluated at plan time: text, '' when absent, null when it reads run-time values. */
function planValue(step: VmStep, key: string, reader: TokenReader, ctx: PlanContexts): string | null {
  const written = reader.text(field(step.with, key));
  if (written === undefined) return '';
  const r = evaluateTemplate(written, ctx);
  return r ? String(r.value ?? '').trim() : null;
}

function positiveInt(text: string): number | null {
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : null;
}

export interface VmactionsTarget {
  runsOn: RunsOnResult;
  mapping: VmactionsMapping;
}

/**
 * The runs-on of a job with a vmactions step: the label its release maps to, replacing the job's
 * own runs-on (a GitHub-hosted Linux label there). null when the job has no vmactions step. With
 * `config` null (validate: no helios.yaml) the mapping is not checked and the written runs-on stands.
 */
export function vmactionsTarget(
  job: { steps: TemplateToken | undefined; reader: TokenReader; file: string; where: string },
  ctx: PlanContexts,
  config: VmactionsConfig | null,
  labels: readonly string[] | null,
  problems: PlanProblem[],
): VmactionsTarget | 'broken' | null {
  const steps = vmSteps(job.steps, job.reader);
  const step = steps[0];
  if (!step) return null;
  const fail = (message: string, token: TemplateToken | undefined) => {
    problems.push(problem(job.file, VMACTIONS_PROBLEM, `${job.where}${message}`, at(token ?? field(step.token, 'uses'))));
    return 'broken' as const;
  };
  const other = steps.find((s) => s.os !== step.os);
  if (other) return fail(`uses both ${step.uses} and ${other.uses}; one job runs in one machine, so split them into two jobs`, field(other.token, 'uses'));
  const value = (key: string) => planValue(step, key, job.reader, ctx);
  const release = value('release');
  const arch = value('arch');
  const mem = value('mem');
  const cpu = value('cpu');
  const cache = value('cache-after-prepare');
  for (const [key, v] of [['release', release], ['arch', arch], ['mem', mem], ['cpu', cpu], ['cache-after-prepare', cache]] as const) {
    if (v === null) return fail(`${step.uses} with.${key} must be known when the run is planned (literal, matrix, inputs or github values): it picks the machine`, field(step.with, key));
  }
  const table = config?.[step.os];
  if (arch !== '' && arch !== 'x86_64') {
    return fail(`${step.uses} arch "${arch}" is not available: Helios runs vmactions jobs natively on x86_64 images${table ? ` (configured: ${configured(step.os, table)})` : ''}; remove arch or set it to x86_64`, field(step.with, 'arch'));
  }
  const size: VmactionsMapping['size'] = {};
  const notes: string[] = [];
  if (mem) {
    const n = positiveInt(mem!);
    if (n === null) return fail(`${step.uses} with.mem "${mem}" must be a whole number of MB`, field(step.with, 'mem'));
    size.memoryMb = n;
  }
  if (cpu) {
    const n = positiveInt(cpu!);
    if (n === null) return fail(`${step.uses} with.cpu "${cpu}" must be a whole number of CPUs`, field(step.with, 'cpu'));
    size.cpus = n;
  }
  for (const { key: name } of entries(step.with)) {
    if (Object.hasOwn(IGNORED, name)) notes.push(`${name}: ignored, ${IGNORED[name]}`);
    else if (!MAPPED.has(name)) notes.push(`${name}: not an input of ${step.uses.split('@')[0]}; ignored`);
  }
  const prepare = job.reader.text(field(step.with, 'prepare')) ?? '';
  const caching = cache === 'true' && prepare.trim() !== '';
  if (cache === 'true' && !caching) notes.push('cache-after-prepare: ignored, the step has no prepare');
  const shell = value('custom-shell-name') || step.os;
  const base = { uses: step.uses, os: step.os, release: release || 'default', shell, size, notes };
  if (!config) return { runsOn: { ok: 'later' }, mapping: { ...base, matched: '', label: '' } };
  const match = matchRelease(step.os, release!, config);
  if (!match.ok) return fail(match.message, field(step.with, 'release') ?? field(step.token, 'uses'));
  const runsOn = resolveRunsOn([match.label], ctx, labels);
  if (runsOn.ok === false) return fail(`${step.uses} release ${base.release} maps to ${runsOn.message.replace(/^runs-on /, '')} (helios.yaml vmactions.${step.os}.${match.matched})`, field(step.with, 'release') ?? field(step.token, 'uses'));
  const cacheAfterPrepare = caching ? { key: preparedKey(step.os, match.matched, prepare), prepareStep: `__${step.index}_prepare` } : undefined;
  return { runsOn, mapping: { ...base, matched: match.matched, label: match.label, ...(cacheAfterPrepare && { cacheAfterPrepare }) } };
}

/** The prepared snapshot's name: the prepare script as written, the OS and the configured release it matched. */
function preparedKey(os: VmactionsOs, matched: string, prepare: string): string {
  return createHash('sha256').update(`${os}\0${matched}\0${prepare}`).digest('hex').slice(0, 32);
}

/** The machine size of a vmactions job: what `mem`/`cpu` ask for, never more than the label's size. */
export function vmactionsMachineSize(labelSize: MachineSize, job: Pick<JobPlan, 'vmactions'>): { size: MachineSize; note: string | null } {
  const asked = job.vmactions?.size;
  if (!asked || (asked.cpus === undefined && asked.memoryMb === undefined)) return { size: labelSize, note: null };
  const size = { cpus: Math.min(labelSize.cpus, asked.cpus ?? labelSize.cpus), memoryMb: Math.min(labelSize.memoryMb, asked.memoryMb ?? labelSize.memoryMb) };
  const parts = [
    ...(asked.memoryMb !== undefined ? [`mem ${asked.memoryMb} MB → ${size.memoryMb} MB`] : []),
    ...(asked.cpus !== undefined ? [`cpu ${asked.cpus} → ${size.cpus}`] : []),
  ];
  return { size, note: `vmactions: ${parts.join(', ')} (the label's size is ${labelSize.cpus} CPUs, ${labelSize.memoryMb} MB)` };
}

/** Custom shell names registered by the vmactions steps planned so far, per job scope. */
const customShells = new WeakMap<StepScope, Set<string>>();

/** The script of `prepare` or `run` as the action runs it in the VM: sh, `set -eu`, in the workspace. */
function script(body: string): string {
  return ['set -eu', 'cd "$GITHUB_WORKSPACE"', body].join('\n');
}

/** The fields every step kind has (steps.ts fills them in before the shim sees the step). */
type Common = Pick<Step, 'id' | 'name' | 'if' | 'env' | 'continueOnError' | 'timeoutMinutes'>;

/**
 * The native steps of a vmactions step: `prepare` (when given), then `run`, each a `sh` step. They
 * run with the job's full env (no host/VM split any more, so `envs` has nothing to forward) plus the
 * step's own `env:`. null when `uses` is not a vmactions action.
 */
export function vmactionsSteps(uses: string, token: TemplateToken, common: Common, index: number, scope: StepScope): Step[] | null {
  const os = vmactionsOs(uses);
  if (!os) return null;
  if (scope.chain.length) {
    scope.problems.push(problem(scope.file, VMACTIONS_PROBLEM, `action ${scope.chain.at(-1)}, step "${common.name}" (step ${index}) uses ${uses}, which Helios maps only as a step of the job itself (it picks the job's machine); move it into the job's steps`, at(field(token, 'uses'))));
    return [];
  }
  const withToken = field(token, 'with');
  const input = (key: string) => scope.reader.text(field(withToken, key)) ?? '';
  const shellName = evaluateTemplate(input('custom-shell-name'), scope.ctx);
  const shells = customShells.get(scope) ?? new Set<string>();
  shells.add(shellName && String(shellName.value).trim() ? String(shellName.value).trim() : os);
  customShells.set(scope, shells);
  const stepOf = (part: 'prepare' | 'run', id: string, body: string): RunStep => ({
    ...common,
    id,
    name: `${common.name}: ${part}`,
    kind: 'run',
    run: script(body),
    shell: 'sh',
    workingDirectory: null,
  });
  const out: RunStep[] = [];
  const prepare = input('prepare');
  // With cache-after-prepare the machine's disk is snapshotted when prepare ends: flush it first.
  const cache = evaluateTemplate(input('cache-after-prepare'), scope.ctx);
  const flush = cache && String(cache.value).trim() === 'true' ? '\nsync' : '';
  if (prepare.trim()) out.push(stepOf('prepare', `__${index}_prepare`, `${prepare}${flush}`));
  out.push(stepOf('run', common.id, input('run').trim() ? input('run') : 'true'));
  return out;
}

/**
 * The shell a run step gets: `omnios {0}` (or just `omnios`) after a vmactions step whose
 * custom-shell-name is `omnios` runs in the same machine with `sh`; any other shell as written.
 */
export function vmactionsShell(scope: StepScope, shell: string | null): string | null {
  if (shell === null) return null;
  const shells = customShells.get(scope);
  if (!shells) return shell;
  const words = shell.trim().split(/\s+/);
  const custom = words[0] !== undefined && shells.has(words[0]) && (words.length === 1 || (words.length === 2 && words[1] === '{0}'));
  return custom ? 'sh' : shell;
}
