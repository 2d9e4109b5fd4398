/** The remote actions a job's steps run (node actions and remote composites, nested steps included). */
import type { RemoteActionRef, Step } from './plan.js';

/** In plan order, repeats included (the same action may run in several steps). */
export function remoteActions(steps: readonly Step[], into: RemoteActionRef[] = []): RemoteActionRef[] {
  for (const step of steps) {
    if (step.kind === 'node-action') into.push(step.action);
    if (step.kind === 'composite') {
      if (step.action) into.push(step.action);
      remoteActions(step.steps, into);
    }
  }
  return into;
}
