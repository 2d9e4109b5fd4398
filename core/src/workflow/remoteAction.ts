/**
 * Remote actions (`uses: owner/repo[/path]@ref`) as planning sees them: a parsed reference and a
 * host-provided loader that applies the action policy, resolves the ref to a commit through the
 * action sources and answers with the action.yml at that commit. The engine stays pure: all I/O
 * is the loader's.
 */

/** `owner/repo[/path]@ref`, parsed. */
export interface RemoteUses {
  owner: string;
  name: string;
  /** Sub-directory of the action ('' for the repository root). */
  path: string;
  ref: string;
}

/** What the host answers for a remote action. */
export type RemoteActionAnswer =
  /** `file` names the action.yml read (`owner/repo[/path]/action.yml@sha`), for problem positions. */
  | { ok: true; sha: string; file: string; content: string }
  /**
   * Why it cannot be used (refused by policy, no such ref, no source has it); said as a plan problem.
   * `unresolved`: the host could not ask every source that may have it (a command-line check has no
   * forge); a command's check then notes it instead (RemoteActionNotes), the server never says it.
   */
  | { ok: false; message: string; unresolved?: true };

export type LoadRemoteAction = (uses: RemoteUses) => Promise<RemoteActionAnswer>;

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,99})$/;
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const SEGMENT = /^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]*$/;
const REF = /^[^\s~^:?*[\\]{1,250}$/;

/** Parses `owner/repo[/path]@ref`; null when `uses` is not written that way. */
export function parseRemoteUses(uses: string): RemoteUses | null {
  const text = uses.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0) return null;
  const ref = text.slice(at + 1);
  const parts = text.slice(0, at).split('/');
  if (parts.length < 2 || !REF.test(ref) || ref.includes('..')) return null;
  const [owner, name, ...rest] = parts as [string, string, ...string[]];
  if (!OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') return null;
  if (rest.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT.test(s))) return null;
  return { owner, name, path: rest.join('/'), ref };
}

/** `owner/repo[/path]` of a reference (the name policy rules match). */
export function remoteActionName(uses: RemoteUses): string {
  return `${uses.owner}/${uses.name}${uses.path ? `/${uses.path}` : ''}`;
}

/** Asks the host at most once per plan for each `owner/repo[/path]@ref`, whatever number of steps use it. */
export class RemoteActionLoader {
  private readonly cache = new Map<string, Promise<RemoteActionAnswer>>();
  constructor(private readonly loadRemote: LoadRemoteAction) {}

  load(uses: RemoteUses): Promise<RemoteActionAnswer> {
    const key = `${remoteActionName(uses).toLowerCase()}@${uses.ref}`;
    let answer = this.cache.get(key);
    if (!answer) {
      answer = this.loadRemote(uses);
      this.cache.set(key, answer);
    }
    return answer;
  }
}
