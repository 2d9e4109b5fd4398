import type { Annotation } from '@helios-ci/sdk';

/** GitHub's limits (Checks API, OpenAPI description). */
export const MAX_OUTPUT_CHARS = 65_535;
export const MAX_ANNOTATIONS_PER_REQUEST = 50;
const MAX_ANNOTATION_MESSAGE_BYTES = 64 * 1024;
const MAX_ANNOTATION_TITLE_CHARS = 255;
/** Where file-less annotations are pinned when the job's workflow file is unknown. */
export const FALLBACK_ANNOTATION_PATH = '.github/workflows';

export interface GitHubAction {
  label: string;
  description: string;
  identifier: string;
}

/** Buttons (≤ 3; label and identifier ≤ 20 characters, description ≤ 40). */
export const ACTIONS = {
  cancel: { label: 'Cancel', description: 'Cancel this job', identifier: 'cancel' },
  rerun: { label: 'Re-run', description: 'Run this job again', identifier: 'rerun' },
  approve: { label: 'Approve and run', description: 'Run this fork PR (writers only)', identifier: 'approve' },
} satisfies Record<string, GitHubAction>;

export interface GitHubAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

const TRUNCATED = '\n… (truncated)';

/**
 * Keeps a text within GitHub's limit. The reporter already cuts the log tail (keeping its end and a
 * link); this is the last guard so an oversized field is shortened rather than refused with 422.
 * The tail is kept because the end of a log is what explains a failure.
 */
export function clampText(text: string, max = MAX_OUTPUT_CHARS): string {
  if (text.length <= max) return text;
  const marker = '… (truncated)\n';
  return marker + text.slice(text.length - (max - marker.length));
}

/** Summaries keep their beginning (the steps table) instead. */
export function clampSummary(text: string, max = MAX_OUTPUT_CHARS): string {
  if (text.length <= max) return text;
  return text.slice(0, max - TRUNCATED.length) + TRUNCATED;
}

function clampBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let cut = Buffer.from(text, 'utf8').subarray(0, maxBytes - 16).toString('utf8');
  cut = cut.replace(/\uFFFD$/, ''); // a character split by the byte cut
  return cut + TRUNCATED;
}

const positive = (n: number | undefined): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined);

/**
 * One Helios annotation as GitHub's annotation object: end_line defaults to start_line, columns
 * only on single-line annotations (GitHub refuses them otherwise), file-less annotations go to the
 * workflow file at line 1.
 */
export function toGitHubAnnotation(a: Annotation, workflowFile: string | undefined): GitHubAnnotation {
  const file = a.file?.trim().replace(/^\.\/+/, '');
  const hasFile = !!file;
  const start = hasFile ? (positive(a.line) ?? 1) : 1;
  const end = hasFile ? Math.max(start, positive(a.endLine) ?? start) : 1;
  const out: GitHubAnnotation = {
    path: hasFile ? file : (workflowFile ?? FALLBACK_ANNOTATION_PATH),
    start_line: start,
    end_line: end,
    annotation_level: a.level,
    message: clampBytes(a.message || '(no message)', MAX_ANNOTATION_MESSAGE_BYTES),
  };
  const col = positive(a.col);
  if (hasFile && start === end && col !== undefined) {
    out.start_column = col;
    out.end_column = Math.max(col, positive(a.endCol) ?? col);
  }
  if (a.title) out.title = a.title.length > MAX_ANNOTATION_TITLE_CHARS ? a.title.slice(0, MAX_ANNOTATION_TITLE_CHARS - 1) + '…' : a.title;
  return out;
}

/** Splits into request-sized batches (the reporter batches already; enforced here regardless). */
export function batches<T>(items: readonly T[], size = MAX_ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Identity of an annotation for de-duplicating a re-sent batch. */
export function annotationKey(a: Pick<GitHubAnnotation, 'path' | 'start_line' | 'end_line' | 'annotation_level' | 'message'> & { title?: string | null }): string {
  return JSON.stringify([a.path, a.start_line, a.end_line, a.annotation_level, a.message, a.title ?? '']);
}
