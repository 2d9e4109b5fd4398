export { ActionsRuntimeService, type ActionsRuntimeEnv, type ActionsRuntimeOptions } from './actionsRuntimeService.js';
export { RuntimeTokens } from './runtimeToken.js';
