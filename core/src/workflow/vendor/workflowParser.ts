// The one door to @actions/workflow-parser. Its published ESM imports JSON without import attributes,
// which plain Node refuses; core/scripts/bundle.mjs replaces this file's compiled output with an
// esbuild bundle (JSON inlined), so everything else imports the parser from here and runs on plain node.
export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser';
export type { WorkflowTemplate, TemplateParseResult } from '@actions/workflow-parser';
export {
  isLiteral,
  isScalar,
  isString,
  isNumber,
  isBoolean,
  isBasicExpression,
  isSequence,
  isMapping,
} from '@actions/workflow-parser';
export { parseAction, convertActionTemplate } from '@actions/workflow-parser/actions/index';
export type { ActionTemplate } from '@actions/workflow-parser/actions/index';
export type { TemplateToken, MappingToken, SequenceToken, StringToken, BasicExpressionToken, ScalarToken } from '@actions/workflow-parser/templates/tokens/index';
export type { Job, Step as ParserStep, ActionStep, RunStep as ParserRunStep, EventsConfig, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
export type { TemplateValidationError } from '@actions/workflow-parser/templates/template-validation-error';
