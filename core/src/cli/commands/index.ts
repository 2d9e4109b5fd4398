import type { Command } from '../command.js';

/**
 * A `helios` sub-command by its words, and how to load it. Each command's module (and what it imports:
 * the kernel, the workflow engine, the store) loads only when that command runs, so `helios run`
 * prints its first line after loading run's own code, not every command's.
 */
export interface CommandEntry {
  path: readonly string[];
  load(): Promise<Command>;
}

/** Every `helios` sub-command. Add a command by adding its file and one line here (path as in the file). */
export const commandEntries: readonly CommandEntry[] = [
  { path: ['serve'], load: async () => (await import('./serve.js')).serveCommand },
  { path: ['config', 'check'], load: async () => (await import('./configCheck.js')).configCheckCommand },
  { path: ['plugins', 'list'], load: async () => (await import('./pluginsList.js')).pluginsListCommand },
  { path: ['validate'], load: async () => (await import('./validate.js')).validateCommand },
  { path: ['plan'], load: async () => (await import('./plan.js')).planCommand },
  { path: ['run'], load: async () => (await import('./run.js')).runCommand },
  { path: ['forgejo', 'install-hook'], load: async () => (await import('./forgejoInstallHook.js')).forgejoInstallHookCommand },
  { path: ['logs', 'prune'], load: async () => (await import('./logsPrune.js')).logsPruneCommand },
  { path: ['cache', 'list'], load: async () => (await import('./cache.js')).cacheListCommand },
  { path: ['cache', 'prune'], load: async () => (await import('./cache.js')).cachePruneCommand },
  { path: ['doctor'], load: async () => (await import('./doctor.js')).doctorCommand },
  { path: ['backup'], load: async () => (await import('./backup.js')).backupCommand },
  { path: ['restore'], load: async () => (await import('./backup.js')).restoreCommand },
  { path: ['image', 'build'], load: async () => (await import('./image.js')).imageBuildCommand },
  { path: ['image', 'list'], load: async () => (await import('./image.js')).imageListCommand },
  { path: ['image', 'prune'], load: async () => (await import('./image.js')).imagePruneCommand },
  { path: ['worker'], load: async () => (await import('./worker.js')).workerCommand },
];

/** Every command, loaded (the overview, tests). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(commandEntries.map((e) => e.load()));
}
