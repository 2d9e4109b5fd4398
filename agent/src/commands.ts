/**
 * Workflow commands printed by steps (`::name key=value,...::message`), parsed like GitHub's runner
 * (ActionCommand.TryParseV2): leading whitespace allowed, `%25 %0D %0A` escapes in the message,
 * additionally `%3A %2C` in property values.
 */
export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string): string => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string): string =>
  s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%25/g, '%');

export function parseCommand(line: string): WorkflowCommand | null {
  const start = line.indexOf('::');
  if (start < 0 || line.slice(0, start).trim() !== '') return null;
  const body = line.slice(start + 2);
  const end = body.indexOf('::');
  if (end < 0) return null;
  const head = body.slice(0, end);
  const message = body.slice(end + 2);
  const space = head.indexOf(' ');
  const name = (space < 0 ? head : head.slice(0, space)).trim();
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) return null;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of head.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      properties[pair.slice(0, eq).trim()] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { name: name.toLowerCase(), properties, message: unescapeData(message) };
}

export interface ParsedFileCommands {
  values: Record<string, string>;
  error: string | null;
}

/**
 * GITHUB_ENV / GITHUB_OUTPUT file syntax: `name=value` lines, or `name<<DELIM` … `DELIM` for
 * multi-line values. A missing delimiter is an error, as on GitHub.
 */
export function parseKeyValueFile(content: string): ParsedFileCommands {
  const values: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = line.indexOf('<<');
    const eq = line.indexOf('=');
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!name || !delimiter) return { values, error: `invalid line ${i + 1}: ${JSON.stringify(line.slice(0, 40))} (want name<<DELIMITER)` };
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        body.push(lines[i]!);
      }
      if (!closed) return { values, error: `matching delimiter not found: ${JSON.stringify(delimiter)} (for ${name})` };
      values[name] = body.join('\n');
    } else if (eq > 0) {
      values[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      return { values, error: `invalid line ${i + 1}: ${JSON.stringify(line.slice(0, 40))} (want name=value or name<<DELIMITER)` };
    }
  }
  return { values, error: null };
}
