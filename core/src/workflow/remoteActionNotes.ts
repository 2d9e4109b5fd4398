import type { ColumnShifts } from './flowIndent.js';
import { unshiftProblems } from './flowIndent.js';

/**
 * A remote action (`uses: owner/repo[/path]@ref`) as `helios validate` and `helios plan` report it:
 * resolved to a commit (its inputs checked against its action.yml), or left unresolved because the
 * command had no source that could serve it. Unresolved is not a problem of the workflow: the
 * server resolves it through the run's forge or the sources helios.yaml lists.
 */
export interface RemoteActionNote {
  /** File the step is written in: the workflow, or the action.yml of a composite action. */
  file: string;
  line?: number;
  col?: number;
  uses: string;
  resolved: boolean;
  /** The commit the ref names (resolved only). */
  sha?: string;
  /** Why it was left unresolved and how to get it checked (unresolved only). */
  why?: string;
}

/**
 * The notes of one check, once per place whatever number of jobs (matrix entries, callers of a
 * composite action) plan the step. Given to planning, it also asks for the checks a command makes
 * beyond the server's: unresolved remote actions are notes rather than problems, and inputs a
 * resolved action requires must be given.
 */
export class RemoteActionNotes {
  /** Places already noted, as planning saw them (before columns are shifted back). */
  private readonly seen = new Set<string>();
  private readonly settled: RemoteActionNote[] = [];
  private pending: RemoteActionNote[] = [];

  add(note: RemoteActionNote): void {
    const key = `${note.file}:${note.line ?? 0}:${note.col ?? 0}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.pending.push(note);
  }

  /** Ends one planning pass: columns of lines read padded (flowIndent.ts) go back to what the user wrote. */
  settle(shifts: ReadonlyMap<string, ColumnShifts>): void {
    this.settled.push(...unshiftProblems(this.pending, shifts));
    this.pending = [];
  }

  /** In file and position order. */
  list(): RemoteActionNote[] {
    return [...this.settled, ...this.pending].sort(
      (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
    );
  }
}
