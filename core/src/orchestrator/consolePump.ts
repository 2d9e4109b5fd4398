/**
 * Copies a machine's console (Runtime.console) into the job log, masked like agent output: the
 * guest may echo a secret or its own bootstrap. Ends when the runtime ends the stream (at destroy);
 * a failing console never fails the job.
 */
import { SecretMasker, type Logger } from '@helios-ci/sdk';
import type { StoreJobSink } from './jobSink.js';

const MAX_LINE = 8192;

export function consoleMasker(secrets: Record<string, string>, token: string): SecretMasker {
  const masker = new SecretMasker();
  for (const value of Object.values(secrets)) masker.add(value);
  masker.add(token);
  return masker;
}

export async function pumpConsole(lines: AsyncIterable<string>, sink: Pick<StoreJobSink, 'console'>, masker: SecretMasker, logger: Logger): Promise<void> {
  try {
    for await (const line of lines) sink.console(masker.mask(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line));
  } catch (err) {
    logger.warn('machine console stream failed', { error: err });
  }
}
