export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger: a message plus fields. Secret values are redacted before anything is written. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}
