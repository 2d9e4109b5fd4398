import type { Logger, LogLevel } from '@helios-ci/sdk';
import type { Redactor } from './redactor.js';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  sink?: LogSink;
  redactor: Redactor;
}

/** JSON-lines logger; every line passes through the redactor, so secrets never reach a log. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line) };
  const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const record = { ts: new Date().toISOString(), level, logger: options.name, msg, ...serialiseFields(fields) };
    sink.write(options.redactor.redact(JSON.stringify(record)) + '\n');
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (name) => createLogger({ ...options, name: `${options.name}.${name}` }),
  };
}

function serialiseFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { message: value.message, code: (value as { code?: unknown }).code } : value;
  }
  return out;
}

/** A sink that keeps lines in memory (tests, `--json` commands that must keep stdout clean). */
export class MemoryLogSink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}
