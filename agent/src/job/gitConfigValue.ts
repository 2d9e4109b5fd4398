/**
 * A value as git itself writes it in a config file: `\`, `"` and tab escaped, and double-quoted only
 * when it starts or ends with a space or holds `#` or `;` (which would otherwise end it). Refuses what
 * a config value cannot hold on one line.
 */
export function gitConfigValue(value: string): string {
  if (/[\0\r\n]/.test(value)) throw new Error(`refusing git config value ${JSON.stringify(value)}: it contains a line break or NUL`);
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t');
  return /^\s|\s$|[#;]/.test(value) ? `"${escaped}"` : escaped;
}
