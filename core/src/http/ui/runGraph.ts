import type { JobView } from '../../orchestrator/runView.js';
import { formatDuration } from './format.js';
import { html, type SafeHtml } from './html.js';

export interface GraphJob extends JobView {
  needs: string[];
}

interface Node {
  id: string;
  workflow: string;
  key: string;
  title: string;
  jobs: GraphJob[];
  needs: string[];
  level: number;
  x: number;
  y: number;
  h: number;
}

const W = 250;
const GAP_X = 56;
const GAP_Y = 18;
const HEAD = 26;
const ROW = 22;

/**
 * The run's `needs` graph as SVG (no script, no inline style: CSP-clean). One node per job key,
 * matrix instances listed inside it; columns by longest `needs` path (layering), edges as curves
 * from each need to its dependant. Text is SVG text, escaped like any other markup here.
 */
export function runGraph(jobs: readonly GraphJob[]): SafeHtml {
  const nodes = new Map<string, Node>();
  for (const j of jobs) {
    const id = `${j.workflow}#${j.key}`;
    let n = nodes.get(id);
    if (!n) {
      n = { id, workflow: j.workflow, key: j.key, title: j.matrix ? j.key : j.name, jobs: [], needs: j.needs.map((k) => `${j.workflow}#${k}`), level: -1, x: 0, y: 0, h: 0 };
      nodes.set(id, n);
    }
    n.jobs.push(j);
  }
  // A need on a job that called a reusable workflow is an edge from each job of that call (of each
  // call, `<key> (<matrix values>)/…`, for a matrix of calls).
  for (const n of nodes.values()) {
    n.needs = n.needs.flatMap((id) => (nodes.has(id) ? [id] : [...nodes.keys()].filter((k) => k.startsWith(`${id}/`) || k.startsWith(`${id} (`))));
  }
  const level = (n: Node, seen: Set<string>): number => {
    if (n.level >= 0) return n.level;
    if (seen.has(n.id)) return 0;
    seen.add(n.id);
    n.level = Math.max(0, ...n.needs.map((id) => nodes.get(id)).filter((m): m is Node => !!m).map((m) => level(m, seen) + 1));
    return n.level;
  };
  for (const n of nodes.values()) level(n, new Set());
  const columns: Node[][] = [];
  for (const n of nodes.values()) (columns[n.level] ??= []).push(n);
  let height = 0;
  columns.forEach((col, i) => {
    let y = 0;
    for (const n of col) {
      n.x = i * (W + GAP_X);
      n.y = y;
      n.h = HEAD + ROW * n.jobs.length + 6;
      y += n.h + GAP_Y;
    }
    height = Math.max(height, y - GAP_Y);
  });
  const width = Math.max(W, columns.length * (W + GAP_X) - GAP_X);
  const edges = [...nodes.values()].flatMap((n) =>
    n.needs
      .map((id) => nodes.get(id))
      .filter((m): m is Node => !!m)
      .map((m) => {
        const x1 = m.x + W;
        const y1 = m.y + m.h / 2;
        const x2 = n.x;
        const y2 = n.y + n.h / 2;
        const mid = (x1 + x2) / 2;
        return html`<path class="edge" d="M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}"/>`;
      }),
  );
  return html`<div class="graph"><svg id="run-graph" role="img" aria-label="Jobs and their needs" width="${width + 2}" height="${height + 2}" viewBox="-1 -1 ${width + 2} ${height + 2}">
${edges}
${[...nodes.values()].map(
  (n) => html`<g class="node" data-key="${n.key}"><rect class="box" x="${n.x}" y="${n.y}" width="${W}" height="${n.h}" rx="6"/><text class="title" x="${n.x + 10}" y="${n.y + 17}">${clip(n.title, 30)}${n.jobs.length > 1 ? ` (${n.jobs.length})` : ''}</text>
${n.jobs.map((j, i) => {
  const st = j.state;
  const y = n.y + HEAD + i * ROW;
  return html`<a href="/jobs/${encodeURIComponent(j.id)}" class="job-link"><title>${j.name}: ${st}</title><rect class="row st-${st}" x="${n.x + 4}" y="${y}" width="${W - 8}" height="${ROW - 2}" rx="4"/><circle class="dot st-${st}" cx="${n.x + 14}" cy="${y + 10}" r="5"/><text x="${n.x + 26}" y="${y + 14}">${clip(j.matrix ? matrixLabel(j) : j.name, 24)}</text><text class="dur" x="${n.x + W - 10}" y="${y + 14}" text-anchor="end">${formatDuration(j.durationMs)}</text></a>`;
})}</g>`,
)}
</svg></div>`;
}

function matrixLabel(j: GraphJob): string {
  return Object.values(j.matrix ?? {})
    .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    .join(', ');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
