// docs/metrics.md lists every metric the code registers (a new metric without a row fails here),
// and its Grafana dashboard is JSON that only queries metrics that exist.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/tempProject.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' || name === 'dist' || name === 'test' ? [] : sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

const registered = [join(REPO_ROOT, 'core/src'), ...readdirSync(join(REPO_ROOT, 'plugins')).map((p) => join(REPO_ROOT, 'plugins', p, 'src'))]
  .flatMap((d) => {
    try {
      return sources(d);
    } catch {
      return [];
    }
  })
  .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/new (Counter|Gauge|Histogram)\(\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g)].map((m) => ({ type: m[1]!.toLowerCase(), name: m[2]! })));

const doc = readFileSync(join(REPO_ROOT, 'docs/metrics.md'), 'utf8');

test('every registered metric has its row (name and type) in docs/metrics.md', () => {
  assert.ok(registered.length >= 10, `found ${registered.length} metrics in the code`);
  for (const m of registered) assert.match(doc, new RegExp(`^\\| \`${m.name}\` \\| ${m.type} \\|`, 'm'), m.name);
});

test('the example Grafana dashboard is JSON and queries only metrics that exist', () => {
  const block = /```json\n([\s\S]*?)\n```/.exec(doc)![1]!;
  const dashboard = JSON.parse(block) as { panels: { targets: { expr: string }[] }[] };
  const names = new Set(registered.map((m) => m.name));
  for (const panel of dashboard.panels) {
    for (const t of panel.targets) {
      for (const used of t.expr.match(/\b(helios|process)_[a-z_]+/g) ?? []) {
        const base = used.replace(/_(bucket|sum|count)$/, '');
        assert.ok(names.has(base), `${used} in "${t.expr}"`);
      }
    }
  }
});

test.run();
