import type { PlanEvent, PlanProblem } from '@helios-ci/sdk';
import type { EventsConfig, TemplateToken } from './vendor/workflowParser.js';
import { isMapping, isSequence, isString } from './vendor/workflowParser.js';
import { matchesFilters } from './filterPattern.js';
import { problem, ProblemCode } from './problems.js';
import { at, entries, field, keyToken } from './tokens.js';

type Filters = { branches?: string[]; 'branches-ignore'?: string[]; tags?: string[]; 'tags-ignore'?: string[]; paths?: string[]; 'paths-ignore'?: string[]; types?: string[] };

/** GitHub's default activity types for pull_request. */
const DEFAULT_PR_TYPES = ['opened', 'synchronize', 'reopened'];

/**
 * `pull_request_target` is refused by `validate`, and by `plan` only when the workflow listens to
 * the planned event: Helios never plans that event itself, so a workflow listening to it alone must
 * not fail the plan of a push it does not listen to.
 */
export function pullRequestTargetProblems(file: string, root: TemplateToken): PlanProblem[] {
  const on = field(root, 'on');
  let prt: TemplateToken | undefined;
  if (on && isString(on)) prt = on.value === 'pull_request_target' ? on : undefined;
  else if (on && isSequence(on)) prt = [...on].find((t) => isString(t) && t.value === 'pull_request_target');
  else prt = keyToken(on, 'pull_request_target');
  return prt ? [problem(file, ProblemCode.trigger, 'pull_request_target is not supported: it runs with the base repository\'s secrets and write access while handling code from the pull request, which lets a fork steal them. Use pull_request: Helios runs fork pull requests without secrets', at(prt))] : [];
}

/** Event-independent trigger problems plan reports: filter lists GitHub rejects. */
export function checkTriggers(file: string, root: TemplateToken): PlanProblem[] {
  const on = field(root, 'on');
  const out: PlanProblem[] = [];
  if (on && isMapping(on)) {
    for (const { key, value } of entries(on)) {
      if (!isMapping(value)) continue;
      for (const [a, b] of [['branches', 'branches-ignore'], ['tags', 'tags-ignore'], ['paths', 'paths-ignore']] as const) {
        if (field(value, a) && field(value, b)) {
          out.push(problem(file, ProblemCode.trigger, `on.${key} has both ${a} and ${b}; GitHub allows only one of them per event. Use ${a} with "!" patterns to exclude`, at(keyToken(value, b))));
        }
      }
      for (const list of ['branches', 'tags', 'paths'] as const) {
        const seq = field(value, list);
        if (!seq || !isSequence(seq)) continue;
        const patterns = [...seq].filter(isString).map((t) => t.value);
        if (patterns.length > 0 && patterns.every((p) => p.startsWith('!'))) {
          out.push(problem(file, ProblemCode.trigger, `on.${key}.${list} has only "!" patterns, which match nothing; add a positive pattern first (e.g. "**") or use ${list}-ignore`, at(seq)));
        }
      }
    }
  }
  return out;
}

function refName(ref: string): { kind: 'branch' | 'tag' | 'other'; name: string } {
  if (ref.startsWith('refs/heads/')) return { kind: 'branch', name: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { kind: 'tag', name: ref.slice('refs/tags/'.length) };
  return { kind: 'other', name: ref };
}

function pathsMatch(f: Filters, changed: readonly string[] | undefined): boolean {
  // Unknown changes: GitHub runs the workflow rather than silently skipping it.
  if (!changed) return true;
  if (f.paths) return changed.some((p) => matchesFilters(f.paths!, p));
  if (f['paths-ignore']) return changed.length === 0 || !changed.every((p) => matchesFilters(f['paths-ignore']!, p));
  return true;
}

function filterMatch(include: string[] | undefined, ignore: string[] | undefined, name: string): boolean {
  if (include) return matchesFilters(include, name);
  if (ignore) return !matchesFilters(ignore, name);
  return true;
}

/** Whether the workflow's `on:` selects this event (GitHub's rules for filters and activity types). */
export function triggerMatches(events: EventsConfig, event: PlanEvent): boolean {
  const config = events[event.name] as Filters | undefined;
  if (!config) return false;
  const ref = refName(event.ref);
  if (event.name === 'workflow_dispatch') return true;
  if (event.name === 'pull_request') {
    const types = config.types && config.types.length ? config.types : DEFAULT_PR_TYPES;
    if (event.action && !types.includes(event.action)) return false;
    return filterMatch(config.branches, config['branches-ignore'], ref.name) && pathsMatch(config, event.changedFiles);
  }
  // push: a branch filter alone means "no tags", a tag filter alone means "no branches".
  const hasBranch = !!(config.branches || config['branches-ignore']);
  const hasTag = !!(config.tags || config['tags-ignore']);
  if (ref.kind === 'tag') {
    if (hasBranch && !hasTag) return false;
    // Path filters do not apply to tag pushes (GitHub docs).
    return filterMatch(config.tags, config['tags-ignore'], ref.name);
  }
  if (hasTag && !hasBranch) return false;
  return filterMatch(config.branches, config['branches-ignore'], ref.name) && pathsMatch(config, event.changedFiles);
}

export interface InputsResult {
  inputs: Record<string, string | boolean>;
  problems: PlanProblem[];
}

/** The `inputs` context of a workflow_dispatch run: given values checked against the definitions, defaults filled in. */
export function resolveInputs(file: string, root: TemplateToken, events: EventsConfig, event: PlanEvent): InputsResult {
  const out: InputsResult = { inputs: {}, problems: [] };
  if (event.name !== 'workflow_dispatch') return out;
  const defs = events.workflow_dispatch?.inputs ?? {};
  const defsToken = field(field(field(root, 'on'), 'workflow_dispatch'), 'inputs');
  const given = event.inputs ?? {};
  const where = (name: string) => at(keyToken(defsToken, name) ?? keyToken(field(root, 'on'), 'workflow_dispatch'));
  for (const name of Object.keys(given)) {
    if (!(name in defs)) {
      const known = Object.keys(defs);
      out.problems.push(problem(file, ProblemCode.input, `input "${name}" is not defined by on.workflow_dispatch.inputs (${known.length ? `defined: ${known.join(', ')}` : 'it defines none'}); remove it or define it`, where(name) ?? at(field(root, 'on'))));
    }
  }
  for (const [name, def] of Object.entries(defs)) {
    const raw = given[name] ?? (def.default === undefined ? undefined : String(def.default));
    if (raw === undefined) {
      if (def.required) out.problems.push(problem(file, ProblemCode.input, `input "${name}" is required and has no default; pass it (helios plan --input ${name}=VALUE)`, where(name)));
      out.inputs[name] = def.type === 'boolean' ? false : '';
      continue;
    }
    if (def.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') out.problems.push(problem(file, ProblemCode.input, `input "${name}" is a boolean; give true or false, not "${raw}"`, where(name)));
      out.inputs[name] = raw === 'true';
    } else {
      if (def.type === 'choice' && def.options && !def.options.includes(raw)) {
        out.problems.push(problem(file, ProblemCode.input, `input "${name}" must be one of ${def.options.join(', ')}; got "${raw}"`, where(name)));
      }
      out.inputs[name] = raw;
    }
  }
  return out;
}
