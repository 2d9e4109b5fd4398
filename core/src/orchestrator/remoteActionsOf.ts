import type { Step } from '@helios-ci/sdk';

/** A remote action a job's plan uses, with the commit its ref resolved to when the run was planned. */
export interface PlannedRemoteAction {
  /** The plan step's id (nested composite steps: `outer/inner`). */
  step: string;
  name: string;
  /** As written, e.g. `dtolnay/rust-toolchain@stable`. */
  uses: string;
  kind: 'node-action' | 'composite';
  repo: string;
  path: string;
  ref: string;
  sha: string;
}

/** Every remote action of `steps`, composite contents included, in plan order. */
export function remoteActionsOf(steps: readonly Step[], prefix = ''): PlannedRemoteAction[] {
  return steps.flatMap((s): PlannedRemoteAction[] => {
    const step = `${prefix}${s.id}`;
    if (s.kind === 'node-action') return [{ step, name: s.name, uses: s.uses, kind: s.kind, ...s.action }];
    if (s.kind !== 'composite') return [];
    const own = s.action ? [{ step, name: s.name, uses: s.uses, kind: s.kind, ...s.action }] : [];
    return [...own, ...remoteActionsOf(s.steps, `${step}/`)];
  });
}
