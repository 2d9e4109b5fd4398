import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { JobPlan } from '@helios-ci/sdk';
import { toText } from '../workflow/expressions.js';

/**
 * Whether a job answers `needs: [need]`: the job itself, or — when `need` called a reusable
 * workflow — any job of that call (`need/...`; job keys never contain `/` otherwise).
 */
export function answersNeed(jobKey: string, need: string): boolean {
  // `need (<matrix values>)/...`: a job of one call of a matrix of calls (keys never contain ' (').
  return jobKey === need || jobKey.startsWith(`${need}/`) || jobKey.startsWith(`${need} (`);
}

/** The jobs of the call `callerKey` directly in its called workflow: `callerKey/<key>` → `<key>`. */
export function calledJobKeys(plans: readonly JobPlan[], callerKey: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of plans) {
    if (!p.jobKey.startsWith(`${callerKey}/`)) continue;
    const key = p.jobKey.slice(callerKey.length + 1).split('/')[0]!;
    out.set(key, `${callerKey}/${key}`);
  }
  return out;
}

const toData = (value: unknown) => JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/**
 * `on.workflow_call.outputs` of one call, evaluated over the `jobs` context of the called
 * workflow's jobs (`jobs.<key>.result|outputs`) once they have finished. An output whose
 * expression fails is empty, as a missing job output is on GitHub.
 */
export function evaluateCallOutputs(outputs: Record<string, string>, jobs: Record<string, { result: string; outputs: Record<string, string> }>): Record<string, string> {
  const dict = new data.Dictionary();
  dict.add('jobs', toData(jobs));
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(outputs)) {
    try {
      out[name] = text.replace(TEMPLATE, (_, body: string) => {
        const lexed = new Lexer(body.trim()).lex();
        const expr = new Parser(lexed.tokens, ['jobs'], []).parse();
        return toText(JSON.parse(JSON.stringify(new Evaluator(expr, dict).evaluate(), data.replacer)) as unknown);
      });
    } catch {
      out[name] = '';
    }
  }
  return out;
}
