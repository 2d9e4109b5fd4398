export { SecretMasker as Masker, MASK } from '@helios-ci/sdk/secret-masker';
export { parseCommand, parseKeyValueFile, type WorkflowCommand } from './commands.js';
export { evaluate, evaluateCondition, interpolate, hashFiles, type EvalScope } from './expressions.js';
export { parseConfig, runAgent, EXIT_CODES, type AgentConfig } from './main.js';
export { AGENT_VERSION } from './connection.js';
export { isAlive } from './process.js';
