import type { LogSink } from './logger.js';

const LEVEL = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' } as Record<string, string>;

function shown(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/**
 * `--log-format pretty`: each JSON log line (already redacted) as `time LEVEL logger: msg k=v ...`
 * for a person at a terminal. The JSON lines stay the default: they are what log shippers read.
 */
export class PrettyLogSink implements LogSink {
  constructor(private readonly out: { write(text: string): void }) {}

  write(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.out.write(line);
      return;
    }
    const { ts, level, logger, msg, ...fields } = record;
    const time = typeof ts === 'string' ? ts.slice(11, 23) : '';
    const rest = Object.entries(fields).map(([k, v]) => `${k}=${shown(v)}`).join(' ');
    this.out.write(`${time} ${LEVEL[String(level)] ?? String(level)} ${String(logger)}: ${String(msg)}${rest ? `  ${rest}` : ''}\n`);
  }
}

/** The sink `--log-format` names: undefined (the kernel's default, JSON lines on stderr) for json. */
export function logSinkFor(format: string | undefined, stderr: { write(text: string): void }): LogSink | undefined {
  if (format === undefined || format === 'json') return undefined;
  if (format === 'pretty') return new PrettyLogSink(stderr);
  return null as never;
}
