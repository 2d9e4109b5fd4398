/**
 * Warnings a plugin marks `loud: true` (runtime-local: "jobs are not isolated") from JSON log lines
 * kept in memory: `helios run` shows them although its log is not printed.
 */
export function loudWarnings(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let record: { level?: unknown; msg?: unknown; loud?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    if (record.level === 'warn' && record.loud === true && typeof record.msg === 'string') out.push(record.msg);
  }
  return out;
}
