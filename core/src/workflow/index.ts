/** The workflow engine (DESIGN §6): GitHub Actions workflows parsed, validated and planned. */
export { parseWorkflow, type ParsedWorkflow } from './parseWorkflow.js';
export { plan, validateWorkflow, planTimeGithub, type PlanRequest, type WorkflowFile } from './plan.js';
export { runPlanErrors, isValidRunPlan } from './checkRunPlan.js';
export { DEFAULT_LABELS } from './defaultLabels.js';
export { matchesFilters, filterPatternToRegExp } from './filterPattern.js';
export { expandMatrix, MAX_MATRIX_JOBS, type MatrixValues } from './matrix.js';
export { formatProblem, ProblemCode, sortProblems } from './problems.js';
export { MAX_WORKFLOW_BYTES, MAX_NESTING_DEPTH, MAX_NODES, MAX_EXPANDED_NODES, MAX_ALIAS_EXPANSIONS, type InputShape } from './inputGuard.js';
export { DEFAULT_TIMEOUT_MINUTES } from './planWorkflow.js';
export { FileRefusedError, type ReadFile } from './compositeAction.js';
export { planOffThread, DEFAULT_PLAN_TIMEOUT_MS, type PlanOffThreadOptions } from './planOffThread.js';
export { discoverWorkflowFiles, WORKFLOW_DIRS } from './discover.js';
export { repoRoot, workingTreeReader, readWorkingTreeFile, readWorkflowFiles } from './repoFiles.js';
export { onlyCalledWorkflows } from './onlyCalled.js';
export { MAX_WORKFLOW_LEVELS, MAX_UNIQUE_CALLED_WORKFLOWS, type ReadRemoteFile } from './reusableWorkflow.js';
export { parseRemoteUses, remoteActionName, type LoadRemoteAction, type RemoteActionAnswer, type RemoteUses } from './remoteAction.js';
export { vmactionsMachineSize, VMACTIONS_OSES, type VmactionsConfig } from './vmactionsShim.js';
export { shellWarnings, UNKNOWN_SHELL_WARNING } from './unknownShells.js';
