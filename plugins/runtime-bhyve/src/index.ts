import { definePlugin, RuntimeToken, StorageToken } from '@helios-ci/sdk';
import { BhyveRuntime } from './bhyveRuntime.js';
import { execRunner } from './commands.js';
import { checkAgentEndpoint } from './agentEndpoint.js';
import { BhyveConfigSchema } from './config.js';
import { bhyveDoctor } from './doctor.js';

export { BhyveRuntime, zvolDataset, type BhyveRuntimeOptions } from './bhyveRuntime.js';
export { BhyveConfigSchema, type BhyveConfig } from './config.js';
export { execRunner, type CommandRunner, type CommandResult } from './commands.js';
export { zonecfgCommands } from './zonecfgFile.js';
export { ipfRules, parseEndpoint } from './ipfRules.js';
export { userData } from './userData.js';
export { machineNames } from './names.js';
export { parseZoneList } from './host.js';
export { bhyveDoctor, type BhyveDoctorOptions } from './doctor.js';

export default definePlugin({
  name: 'runtime-bhyve',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['runtime'],
  configSchema: BhyveConfigSchema,
  register(ctx) {
    ctx.provide(RuntimeToken, {
      deps: { storage: StorageToken },
      // Checked while the value is built, so `helios config check` reports a missing snapshot or
      // etherstub, not the first job.
      factory: async ({ storage }) => {
        checkAgentEndpoint(ctx.instance, ctx.agentEndpoint, ctx.logger);
        const runtime = new BhyveRuntime({ id: ctx.instance, config: ctx.config, storage, run: execRunner, stateDir: ctx.dataDir, logger: ctx.logger });
        await runtime.checkHost();
        return runtime;
      },
    });
  },
  doctor: (ctx) => bhyveDoctor(ctx),
});
