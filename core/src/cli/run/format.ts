/** 1.2s / 3m04s, as a CI log shows durations. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export const STATE_ICON: Record<string, string> = {
  queued: '○',
  provisioning: '◌',
  running: '●',
  succeeded: '✔',
  success: '✔',
  failed: '✘',
  failure: '✘',
  cancelled: '⊘',
  timed_out: '⏱',
  errored: '!',
  skipped: '–',
  pending: '○',
  completed: '✔',
};
