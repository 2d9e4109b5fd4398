import type { PlanProblem } from '@helios-ci/sdk';
import { convertActionTemplate, NoOperationTraceWriter, parseActionLinear, type TemplateToken } from './vendor/workflowParser.js';
import { guardWorkflowInput, MAX_ALIAS_EXPANSIONS } from './inputGuard.js';
import { validationProblems } from './parseWorkflow.js';
import { problem, ProblemCode } from './problems.js';
import { field, TokenReader } from './tokens.js';
import type { ColumnShifts } from './flowIndent.js';
import { RemoteActionLoader, type LoadRemoteAction } from './remoteAction.js';
import type { RemoteActionNotes } from './remoteActionNotes.js';

/** Reads a file of the repository at the planned commit; null when it does not exist. */
export type ReadFile = (path: string) => Promise<string | Uint8Array | null>;

/** Thrown by a ReadFile that refuses a file (a symlink out of the repository): a problem of the plan, not a failure. */
export class FileRefusedError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'FileRefusedError';
  }
}

export interface LoadedAction {
  /** Repository path of the action.yml that was read. */
  file: string;
  reader: TokenReader;
  /** Token of `runs.steps`. */
  steps: TemplateToken | undefined;
  inputDefaults: Record<string, string>;
  outputs: Record<string, string>;
}

export type ActionLoad = { ok: true; action: LoadedAction } | { ok: false; problems: PlanProblem[]; message?: string };

/** `./.github/actions/setup` → `.github/actions/setup`. */
export function actionDir(uses: string): string {
  return uses.replace(/^\.\//, '').replace(/\/+$/, '').split('/').filter((s) => s !== '' && s !== '.').join('/');
}

/** Loads local composite actions at most once per plan, whatever number of jobs use them. */
export class ActionLoader {
  private readonly cache = new Map<string, Promise<ActionLoad>>();
  /** Lines of action files padded to be read as GitHub reads them (flowIndent.ts), by file. */
  readonly shifts = new Map<string, ColumnShifts>();
  /** Remote actions (`owner/repo@ref`) of this plan; null: the plan has no action source. */
  readonly remote: RemoteActionLoader | null;
  constructor(
    private readonly readFile: ReadFile,
    loadRemote?: LoadRemoteAction,
    /** A command's check (validate, plan): where remote actions are noted; null: the server's plan. */
    readonly notes: RemoteActionNotes | null = null,
  ) {
    this.remote = loadRemote ? new RemoteActionLoader(loadRemote) : null;
  }

  load(uses: string): Promise<ActionLoad> {
    const dir = actionDir(uses);
    let loaded = this.cache.get(dir);
    if (!loaded) {
      loaded = this.read(dir, uses);
      this.cache.set(dir, loaded);
    }
    return loaded;
  }

  private async read(dir: string, uses: string): Promise<ActionLoad> {
    if (dir.split('/').includes('..')) {
      return { ok: false, problems: [], message: `local action ${uses} points outside the repository; keep local actions inside it` };
    }
    for (const name of ['action.yml', 'action.yaml']) {
      const path = dir ? `${dir}/${name}` : name;
      let content: string | Uint8Array | null;
      try {
        content = await this.readFile(path);
      } catch (err) {
        if (err instanceof FileRefusedError) return { ok: false, problems: [problem(err.path, ProblemCode.symlink, err.message)] };
        throw err;
      }
      if (content === null) continue;
      return parseCompositeAction(path, content, uses, this.shifts);
    }
    return { ok: false, problems: [], message: `local action ${uses} has no action.yml or action.yaml at this commit; add one (runs.using: composite) or fix the path, which is relative to the repository root` };
  }
}

/** An action.yml that passed GitHub's action schema, whatever its `runs.using`. */
export interface ParsedActionFile {
  file: string;
  reader: TokenReader;
  /** Token of `runs`. */
  runs: TemplateToken | undefined;
  using: string | undefined;
  /** Position of `runs.using`, for problems about it. */
  usingAt: { line: number; col: number } | null;
  inputDefaults: Record<string, string>;
  /** Inputs marked `required: true` that have no default. */
  requiredInputs: string[];
  outputs: Record<string, string>;
}

/** Parses and checks an action.yml (any kind: composite, node, docker). */
export async function parseActionFile(path: string, content: string | Uint8Array, shifts?: Map<string, ColumnShifts>): Promise<{ ok: true; action: ParsedActionFile } | { ok: false; problems: PlanProblem[] }> {
  const guarded = guardWorkflowInput(path, content);
  if (!guarded.ok) return { ok: false, problems: guarded.problems };
  if (guarded.shifts.size) shifts?.set(path, guarded.shifts);
  const parsed = parseActionLinear({ name: path, content: guarded.text }, new NoOperationTraceWriter(), MAX_ALIAS_EXPANSIONS);
  const root = parsed.value;
  if (root) convertActionTemplate(parsed.context, root);
  const problems = validationProblems(path, parsed.context.errors.getErrors());
  if (problems.length || !root) return { ok: false, problems };
  const reader = new TokenReader(guarded.scalars);
  const runs = field(root, 'runs');
  const pos = field(runs, 'using')?.range?.start;
  const inputDefaults: Record<string, string> = {};
  const requiredInputs: string[] = [];
  for (const [id, def] of Object.entries(reader.json(field(root, 'inputs')) as Record<string, Record<string, unknown>> ?? {})) {
    const hasDefault = Boolean(def) && def.default !== undefined && def.default !== null;
    if (hasDefault) inputDefaults[id] = String(def.default);
    else if (def && (def.required === true || def.required === 'true')) requiredInputs.push(id);
  }
  const outputs: Record<string, string> = {};
  for (const [id, def] of Object.entries(reader.json(field(root, 'outputs')) as Record<string, Record<string, unknown>> ?? {})) {
    if (def && def.value !== undefined && def.value !== null) outputs[id] = String(def.value);
  }
  return {
    ok: true,
    action: { file: path, reader, runs, using: reader.text(field(runs, 'using')), usingAt: pos ? { line: pos.line, col: pos.column } : null, inputDefaults, requiredInputs, outputs },
  };
}

export async function parseCompositeAction(path: string, content: string | Uint8Array, uses: string, shifts?: Map<string, ColumnShifts>): Promise<ActionLoad> {
  const parsed = await parseActionFile(path, content, shifts);
  if (!parsed.ok) return parsed;
  const { action } = parsed;
  if (action.using !== 'composite') {
    return { ok: false, problems: [problem(path, ProblemCode.action, `${uses} is a "${action.using}" action; Helios runs only composite local actions (runs.using: composite). Rewrite it as a composite action of run steps, or publish it in a repository and use it as owner/repo@ref`, action.usingAt)] };
  }
  return { ok: true, action: { file: path, reader: action.reader, steps: field(action.runs, 'steps'), inputDefaults: action.inputDefaults, outputs: action.outputs } };
}
