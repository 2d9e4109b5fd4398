import type { WorkflowFile } from './plan.js';
import { parseWorkflow } from './parseWorkflow.js';

/**
 * The files among `files` whose only trigger is `workflow_call`: they run only when another
 * workflow calls them, so "nothing matched this event" would hide why they did not run.
 */
export async function onlyCalledWorkflows(files: readonly WorkflowFile[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const w = await parseWorkflow(f.path, f.content);
    const events = w.template ? Object.keys(w.template.events) : [];
    if (events.length > 0 && events.every((e) => e === 'workflow_call')) out.push(f.path);
  }
  return out;
}
