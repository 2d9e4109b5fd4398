import type { RunPlan } from '@helios-ci/sdk';
import type { RemoteActionAnswer, RemoteUses } from './remoteAction.js';

/** What the planning worker sends its parent. */
export type ToParent =
  /** Planning needs a repository file (a local composite action) at the planned commit. */
  | { type: 'read'; id: number; path: string }
  /** Planning needs a file of another repository at a ref (a remote reusable workflow), read through the forge. */
  | { type: 'readRemote'; id: number; repo: { owner: string; name: string }; ref: string; path: string }
  /** Planning needs a remote action resolved and its action.yml (the host's policy, sources and cache). */
  | { type: 'action'; id: number; uses: RemoteUses }
  /** Planning moved on to this workflow file: a timeout names it. */
  | { type: 'planning'; path: string }
  | { type: 'done'; plan: RunPlan }
  | { type: 'failed'; error: { message: string; code?: string; stack?: string } };

/** The parent's answer to a `read`: the file (null when absent) or why it could not be read. */
export type ToWorker =
  | { id: number; content: string | Uint8Array | null }
  | { id: number; action: RemoteActionAnswer }
  | { id: number; error: { message: string; code?: string; refused?: boolean; path?: string } };
