import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@helios-ci/sdk';
import type { LoadRemoteAction } from '../workflow/remoteAction.js';
import { ActionCache } from './actionCache.js';
import { ActionResolver } from './actionResolver.js';
import type { ActionsConfig, ActionSourceConfig } from './actionsConfig.js';

function describe(source: ActionSourceConfig): string {
  return source.type === 'run-forge' ? 'run-forge' : source.type === 'forge' ? `forge ${source.forge}` : `dir ${source.path}`;
}

/**
 * Remote actions for `helios validate` and `helios plan`, which reach no forge: resolved with the
 * server's resolver and policy (helios.yaml `actions:`) through the sources a command can read on
 * this host (`dir`: git mirrors), into a cache of its own that `close` removes. An action those
 * sources do not have, while a forge source the server would also ask might, is left unresolved
 * (a note, not a problem); refused by policy, or with no source at all that could serve it, it is a
 * problem, as the server would say.
 */
export class CommandLineActions {
  private constructor(
    readonly load: LoadRemoteAction,
    private readonly cacheDir: string,
  ) {}

  /** `configName` names where `actions` came from, for messages (`helios.yaml`, `the embedded defaults`). */
  static async open(actions: ActionsConfig, configName: string, logger: Logger): Promise<CommandLineActions> {
    const usable = actions.sources.filter((s) => s.type === 'dir');
    const skipped = actions.sources.filter((s) => s.type !== 'dir');
    const cacheDir = await mkdtemp(join(tmpdir(), 'helios-check-actions-'));
    const resolver = ActionResolver.fromConfig(actions, { cache: new ActionCache(cacheDir), forges: [], logger, sources: usable });
    const where = `actions.sources of ${configName} (${actions.sources.map(describe).join(', ')})`;
    const unresolvedWhy = usable.length
      ? `no directory in ${where} has it, and validate and plan reach no forge; its inputs are not checked. To check them, mirror the repository into one of those directories (<path>/<owner>/<name>[.git])`
      : `validate and plan reach no forge, and ${where} lists no directory of git mirrors; its inputs are not checked. To check them, add { type: dir, path: /srv/actions } (mirrors as <path>/<owner>/<name>[.git]) to actions.sources of helios.yaml (./helios.yaml, or the file given with --config)`;
    const load: LoadRemoteAction = async (uses) => {
      const answer = await resolver.load(uses, { forge: null, trusted: true });
      if (!answer.ok && answer.notFound && skipped.length) return { ok: false, unresolved: true, message: unresolvedWhy };
      return answer;
    };
    return new CommandLineActions(load, cacheDir);
  }

  async close(): Promise<void> {
    await rm(this.cacheDir, { recursive: true, force: true });
  }
}
