// `npm run bench -- plan`: plans every valid corpus workflow 50 times, and as a baseline from the
// same run times a bare `yaml.parse` of the same files. Prints one JSON line (stdout); budget
// < 10 ms per typical (≤ 200-line) workflow.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as yamlParse } from 'yaml';
import { DEFAULT_LABELS, plan } from '../core/dist/src/workflow/index.js';

const ITERATIONS = 50;
const BUDGET_MS = 10;
const corpus = join(dirname(fileURLToPath(import.meta.url)), '../core/test/fixtures/workflows/valid');
const files = readdirSync(corpus).filter((f) => f.endsWith('.yml')).sort().map((f) => ({ path: `.github/workflows/${f}`, text: readFileSync(join(corpus, f), 'utf8') }));
const eventOf = (text) => {
  const m = /^# plan-event: (.*)$/m.exec(text);
  return m ? JSON.parse(m[1]) : { name: 'push', ref: 'refs/heads/main' };
};
// Composite actions come from memory, as the orchestrator's forge cache would serve them.
const actionFiles = new Map();
const readAction = async (p) => {
  if (!actionFiles.has(p)) actionFiles.set(p, await readFile(join(corpus, p), 'utf8').catch(() => null));
  return actionFiles.get(p);
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 1000) / 1000;

// Warm-up: JIT and module initialisation are not what a long-running server pays per plan.
for (const f of files) for (let i = 0; i < 3; i++) await plan({ files: [{ path: f.path, content: f.text }], event: eventOf(f.text), labels: DEFAULT_LABELS, readFile: readAction });

const planSamples = [];
const yamlSamples = [];
const perFile = [];
for (const f of files) {
  const event = eventOf(f.text);
  const mine = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    const r = await plan({ files: [{ path: f.path, content: f.text }], event, labels: DEFAULT_LABELS, readFile: readAction });
    mine.push(performance.now() - t0);
    if (r.problems.length) throw new Error(`${f.path}: ${r.problems[0].message}`);
    const t1 = performance.now();
    yamlParse(f.text);
    yamlSamples.push(performance.now() - t1);
  }
  planSamples.push(...mine);
  perFile.push({ file: f.path, lines: f.text.split('\n').length, medianMs: median(mine) });
}
const slowest = perFile.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
process.stderr.write(`bench plan: ${files.length} files × ${ITERATIONS}; slowest ${slowest.file} (${slowest.lines} lines) ${round(slowest.medianMs)} ms\n`);
console.log(JSON.stringify({
  bench: 'plan',
  files: files.length,
  iterations: ITERATIONS,
  planMedianMsPerFile: round(median(planSamples)),
  planSlowestFileMedianMs: round(slowest.medianMs),
  yamlParseMedianMsPerFile: round(median(yamlSamples)),
  ratioToYamlParse: round(median(planSamples) / median(yamlSamples)),
  budgetMs: BUDGET_MS,
  withinBudget: slowest.medianMs < BUDGET_MS,
  node: process.version,
}));
