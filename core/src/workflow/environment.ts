import { isMapping, type TemplateToken } from './vendor/workflowParser.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import type { ParsedWorkflow } from './parseWorkflow.js';
import { field } from './tokens.js';

/**
 * `environment: name` or `{ name, url }` of a job. The name is evaluated now (it picks secrets and
 * approval before the job starts; GitHub evaluates it on the server too); `url` is evaluated now
 * when it reads only plan-time values, and stays as written when it reads `steps`, `needs`, ... 'later' when the name needs values that exist only once jobs run.
 */
export function jobEnvironment(token: TemplateToken | undefined, w: ParsedWorkflow, ctx: PlanContexts): { name: string; url: string | null } | 'later' | null {
  if (!token) return null;
  const nameToken = isMapping(token) ? field(token, 'name') : token;
  const written = w.reader.text(nameToken) ?? '';
  const evaluated = evaluateTemplate(written, ctx);
  if (!evaluated) return 'later';
  const name = evaluated.value === null || evaluated.value === undefined ? '' : String(evaluated.value).trim();
  if (name === '') return null; // GitHub: an empty name means no environment.
  const writtenUrl = isMapping(token) ? (w.reader.text(field(token, 'url')) ?? null) : null;
  // Known now (literal, matrix, inputs, github): kept evaluated, so the job page can show it.
  const url = writtenUrl === null ? null : evaluateTemplate(writtenUrl, ctx);
  return { name, url: url ? (url.value === null || url.value === undefined ? '' : String(url.value)) : writtenUrl };
}
