// The one door to @actions/workflow-parser. Its published ESM imports JSON without import attributes,
// which plain Node refuses; core/scripts/bundle.mjs replaces this file's compiled output with an
// esbuild bundle (JSON inlined), so everything else imports the parser from here and runs on plain node.
export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
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
export type { Job, Step as ParserStep, ActionStep, RunStep as ParserRunStep, EventsConfig, WorkflowJob, ReusableWorkflowJob } from '@actions/workflow-parser/model/workflow-template';
export type { TemplateValidationError } from '@actions/workflow-parser/templates/template-validation-error';

import { isAlias, type Alias, type Document, type Node } from 'yaml';
import { TemplateContext, TemplateValidationErrors } from '@actions/workflow-parser/templates/template-context';
import { readTemplate } from '@actions/workflow-parser/templates/template-reader';
import { YamlObjectReader } from '@actions/workflow-parser/workflows/yaml-object-reader';
import { getWorkflowSchema } from '@actions/workflow-parser/workflows/workflow-schema';
import { WORKFLOW_ROOT } from '@actions/workflow-parser/workflows/workflow-constants';
import { getActionSchema } from '@actions/workflow-parser/actions/action-schema';
import { ACTION_ROOT } from '@actions/workflow-parser/actions/action-constants';
import type { TemplateSchema } from '@actions/workflow-parser/templates/schema/template-schema';
import type { TraceWriter } from '@actions/workflow-parser/templates/trace-writer';
import type { TemplateToken as Token } from '@actions/workflow-parser/templates/tokens/index';
import type { TemplateValidationError } from '@actions/workflow-parser/templates/template-validation-error';
import { aliasTargets } from '../aliasTargets.js';
import { convertReferencedWorkflow } from '@actions/workflow-parser/model/converter/referencedWorkflow';
import type { ReusableWorkflowJob } from '@actions/workflow-parser/model/workflow-template';

/**
 * GitHub's checks of a reusable workflow call against the called workflow (`workflow_call` present,
 * required and undefined inputs and secrets), in a fresh context: the messages as GitHub words them,
 * positioned on the caller's tokens.
 */
export function checkWorkflowCall(calledRoot: Token, job: ReusableWorkflowJob): TemplateValidationError[] {
  const context = new TemplateContext(new TemplateValidationErrors(), getWorkflowSchema(), new NoOperationTraceWriter());
  convertReferencedWorkflow(context, calledRoot, job);
  return context.errors.getErrors();
}

/** The reader's private generator, overridden below for aliases only. */
type NodeWalker = { getNodes(node: unknown, stack: Set<unknown>): Generator<unknown>; doc: Document };

/**
 * GitHub's YAML reader with alias resolution made linear: every alias target is found once per
 * document (aliasTargets) instead of by a whole-document walk per expansion, and expansions are
 * counted and stopped at `maxExpansions` (the input guard refuses such files first; this is the
 * backstop that keeps the parser's work bounded whatever reaches it).
 */
class LinearAliasReader extends YamlObjectReader {
  aliasExpansions = 0;
  targets: Map<Alias, Node | undefined> | undefined;
  constructor(fileId: number | undefined, content: string, readonly maxExpansions: number) {
    super(fileId, content);
  }
}
const baseGetNodes = (YamlObjectReader.prototype as unknown as NodeWalker).getNodes;
(LinearAliasReader.prototype as unknown as NodeWalker).getNodes = function* (this: NodeWalker, node: unknown, stack: Set<unknown>) {
  if (!isAlias(node)) return yield* baseGetNodes.call(this, node, stack);
  const self = this as unknown as LinearAliasReader;
  self.targets ??= aliasTargets(this.doc);
  if (++self.aliasExpansions > self.maxExpansions) return;
  const resolved = self.targets.get(node);
  // A circular alias expands to nothing, as in GitHub's reader.
  if (!resolved || stack.has(resolved)) return;
  yield* this.getNodes(resolved, new Set(stack).add(resolved));
};

export interface LinearParseResult {
  context: TemplateContext;
  value: Token | undefined;
  /** Aliases the reader expanded (each copy of an alias inside anchored content counts). */
  aliasExpansions: number;
}

function parseLinear(schema: TemplateSchema, root: string, file: { name: string; content: string }, trace: TraceWriter, maxExpansions: number): LinearParseResult {
  const context = new TemplateContext(new TemplateValidationErrors(), schema, trace);
  const fileId = context.getFileId(file.name);
  const reader = new LinearAliasReader(fileId, file.content, maxExpansions);
  if (reader.errors.length > 0) {
    for (const err of reader.errors) context.error(fileId, err.message, err.range);
    return { context, value: undefined, aliasExpansions: 0 };
  }
  const value = readTemplate(context, root, reader, fileId);
  return { context, value, aliasExpansions: reader.aliasExpansions };
}

/** `parseWorkflow` of @actions/workflow-parser (same schema, same tokens) with linear alias resolution. */
export function parseWorkflowLinear(file: { name: string; content: string }, trace: TraceWriter, maxExpansions: number): LinearParseResult {
  return parseLinear(getWorkflowSchema(), WORKFLOW_ROOT, file, trace, maxExpansions);
}

/** `parseAction` of @actions/workflow-parser with linear alias resolution. */
export function parseActionLinear(file: { name: string; content: string }, trace: TraceWriter, maxExpansions: number): LinearParseResult {
  return parseLinear(getActionSchema(), ACTION_ROOT, file, trace, maxExpansions);
}
