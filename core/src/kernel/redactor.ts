import { SecretMasker } from '@helios-ci/sdk';

export { MASK as REDACTED } from '@helios-ci/sdk';

/**
 * Remembers every secret value the kernel has seen (config references, resolved job secrets) and
 * replaces them in any text that could be printed: logs, error messages, `plugins list`.
 */
export class Redactor extends SecretMasker {
  redact(text: string): string {
    return this.mask(text);
  }

  redactDeep<T>(value: T): T {
    return this.maskDeep(value);
  }
}
