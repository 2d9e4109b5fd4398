import type { Command } from '../command.js';
import { configCheckCommand } from './configCheck.js';
import { pluginsListCommand } from './pluginsList.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { forgejoInstallHookCommand } from './forgejoInstallHook.js';
import { logsPruneCommand } from './logsPrune.js';
import { cacheListCommand, cachePruneCommand } from './cache.js';
import { doctorCommand } from './doctor.js';
import { backupCommand, restoreCommand } from './backup.js';
import { imageBuildCommand, imageListCommand, imagePruneCommand } from './image.js';
import { workerCommand } from './worker.js';

/** Every `helios` sub-command. Add a command by adding its file and one line here. */
export const commands: Command[] = [serveCommand, configCheckCommand, pluginsListCommand, validateCommand, planCommand, runCommand, forgejoInstallHookCommand, logsPruneCommand, cacheListCommand, cachePruneCommand, doctorCommand, backupCommand, restoreCommand, imageBuildCommand, imageListCommand, imagePruneCommand, workerCommand];
