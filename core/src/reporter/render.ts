import type { Annotation, CheckConclusion, CheckUpdate, ForgeCapabilities, JobState } from '@helios-ci/sdk';
import type { StepRecord } from '../store/records.js';
import { formatBytes } from '../blobs/byteLimit.js';

/** What a check shows, gathered from the store when an outbox row is sent. */
export interface CheckView {
  jobState: JobState;
  /** Why the job ended, if it did. */
  reason: string | null;
  /** Step names from the plan (the count is the `m` of `Step n/m`). */
  plannedSteps: string[];
  steps: StepRecord[];
  /** Annotations, listed in the summary when the forge cannot show them itself. */
  annotations: Annotation[];
  /** How many annotations the job has (whatever the forge's capabilities). */
  annotationCount: number;
  /** Annotations the forge is sent at most (forges that show annotations); null: not capped here. */
  forgeAnnotationCap?: number | null;
  /** Already cut to the forge's limit (see buildLogTail); '' when there is no log. */
  logTail: string;
  fullLogUrl: string;
  /** Artifacts the job uploaded, with absolute zip links (summary lines; counted in a final title). */
  artifacts?: { name: string; size: number; url: string }[];
  now: number;
}

const ICON: Record<string, string> = { success: '✅', failure: '❌', cancelled: '⏹️', skipped: '⏭️', running: '⏳', pending: '·' };

const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** The steps the check lists: the planned ones, with what the store knows about each. */
function stepList(v: CheckView): { idx: number; name: string; status: string; duration: string }[] {
  const byIdx = new Map(v.steps.map((s) => [s.idx, s]));
  const count = Math.max(v.plannedSteps.length, ...v.steps.map((s) => s.idx), 0);
  return Array.from({ length: count }, (_, i) => {
    const s = byIdx.get(i + 1);
    const name = s?.name ?? v.plannedSteps[i] ?? `step ${i + 1}`;
    const status = s ? (s.state === 'completed' ? (s.conclusion ?? 'success') : s.state) : 'pending';
    const start = s?.startedAt ?? null;
    const end = s?.finishedAt ?? (s?.state === 'running' ? v.now : null);
    return { idx: i + 1, name, status, duration: start !== null && end !== null ? formatDuration(end - start) : '' };
  });
}

/** `Step n/m: name` for the step running now (or the last one that ran); a final title counts the artifacts. */
export function renderTitle(v: CheckView): string {
  const title = stateTitle(v);
  const n = v.artifacts?.length ?? 0;
  const final = !['queued', 'provisioning', 'running'].includes(v.jobState);
  // Commit statuses (Forgejo) show only this line, so it says there is something to download.
  return final && n > 0 ? `${title} · ${n} artifact${n === 1 ? '' : 's'}` : title;
}

function stateTitle(v: CheckView): string {
  const steps = stepList(v);
  const m = steps.length;
  const current = [...steps].reverse().find((s) => s.status === 'running') ?? [...steps].reverse().find((s) => s.status !== 'pending');
  const stepTitle = current ? `Step ${current.idx}/${m}: ${current.name}` : null;
  switch (v.jobState) {
    case 'queued':
      return 'Queued';
    case 'provisioning':
      return 'Provisioning a machine';
    case 'running':
      return stepTitle ?? 'Starting';
    case 'succeeded':
      return 'Succeeded';
    case 'skipped':
      return 'Skipped';
    default: {
      const failed = steps.find((s) => s.status === 'failure');
      const word = { failed: 'Failed', cancelled: 'Cancelled', timed_out: 'Timed out', errored: 'Errored' }[v.jobState];
      const at = failed ? `Step ${failed.idx}/${m}: ${failed.name}` : stepTitle;
      return at ? `${word} at ${at}` : word;
    }
  }
}

const annotationLine = (a: Annotation) =>
  `- **${a.level}**${a.file ? ` \`${a.file}${a.line ? `:${a.line}` : ''}${a.col ? `:${a.col}` : ''}\`` : ''}${a.title ? ` ${cell(a.title)}:` : ''} ${cell(a.message)}`;

/**
 * Markdown: a table of steps with status and duration, the end reason, a link to the full log and,
 * when the forge has no annotations capability, the annotations as a list. Never longer than
 * `maxChars`: the annotation list (then the table) is cut with a note saying how much is missing.
 */
export function renderSummary(v: CheckView, caps: ForgeCapabilities): string {
  const head = ['| # | Step | Status | Duration |', '|---:|---|---|---:|'];
  const rows = stepList(v).map((s) => `| ${s.idx} | ${cell(s.name)} | ${ICON[s.status] ?? ''} ${s.status} | ${s.duration} |`);
  const tail = [`${v.reason ? `**${cell(v.reason)}** · ` : ''}[Full log](${v.fullLogUrl})`];
  if (v.artifacts?.length) tail.push('', `**Artifacts:** ${v.artifacts.map((a) => `[${cell(a.name).replace(/[[\]]/g, '\\$&')}.zip](${a.url}) (${formatBytes(a.size)})`).join(' · ')}`);
  const cap = v.forgeAnnotationCap;
  if (typeof cap === 'number' && v.annotationCount > cap) {
    tail.push('', `${v.annotationCount - cap} of ${v.annotationCount} annotations not shown here (at most ${cap} per job are sent); all are on the [job page](${v.fullLogUrl}).`);
  }
  const notes = !caps.annotations && v.annotations.length ? ['', `### Annotations (${v.annotations.length})`, ...v.annotations.map(annotationLine)] : [];
  const join = (parts: string[]) => parts.join('\n');
  let out = join([...head, ...rows, '', ...tail, ...notes]);
  if (out.length <= caps.maxLogChars) return out;
  // Too long: keep the table and link, then as many annotations as fit.
  const base = join([...head, ...rows, '', ...tail]);
  if (base.length <= caps.maxLogChars && notes.length) {
    const kept = notes.slice(0, 2);
    for (const line of notes.slice(2)) {
      const more = `… and ${v.annotations.length - (kept.length - 2)} more`;
      if (join([base, ...kept, line]).length + more.length + 1 > caps.maxLogChars) break;
      kept.push(line);
    }
    out = join([base, ...kept, `… and ${v.annotations.length - (kept.length - 2)} more`]);
    if (out.length <= caps.maxLogChars) return out;
  }
  const marker = `\n… summary truncated; full log: ${v.fullLogUrl}`;
  return out.slice(0, Math.max(0, caps.maxLogChars - marker.length)) + marker.slice(0, caps.maxLogChars);
}

/** The CheckUpdate for a check, degraded by capability (no liveLog → no text). */
export function renderUpdate(v: CheckView, caps: ForgeCapabilities): CheckUpdate {
  const update: CheckUpdate = { status: v.jobState === 'queued' ? 'queued' : 'in_progress', title: renderTitle(v), summary: renderSummary(v, caps), annotationCount: v.annotationCount };
  if (caps.liveLog && v.logTail) update.text = v.logTail;
  return update;
}

/** The check conclusion a finished job maps to. */
export function conclusionOf(state: JobState): CheckConclusion {
  switch (state) {
    case 'succeeded':
      return 'success';
    case 'cancelled':
      return 'cancelled';
    case 'timed_out':
      return 'timed_out';
    case 'skipped':
      return 'skipped';
    default:
      return 'failure';
  }
}
