import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanEvent } from '@helios-ci/sdk';

/** core/test/fixtures/workflows, from the compiled test (core/dist/test/workflow). */
export const corpusDir = fileURLToPath(new URL('../../../test/fixtures/workflows/', import.meta.url));
export const repoRootDir = fileURLToPath(new URL('../../../../', import.meta.url));

/** `# plan-event: {json}` picks a corpus file's event; default push to main. */
export function corpusEvent(text: string): PlanEvent {
  const m = /^# plan-event: (.*)$/m.exec(text);
  return m ? (JSON.parse(m[1]!) as PlanEvent) : { name: 'push', ref: 'refs/heads/main' };
}

/** Files of a fixture folder, standing in for the repository at the planned commit. */
export function fixtureReader(root: string) {
  return async (path: string): Promise<Uint8Array | null> => {
    const full = resolve(root, path);
    if (!full.startsWith(resolve(root) + sep)) return null;
    return readFile(full).catch(() => null);
  };
}
