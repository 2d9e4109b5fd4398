export { ActionsRuntimeService, type ActionsRuntimeOptions } from './actionsRuntimeService.js';
export { RuntimeTokens } from './runtimeToken.js';
