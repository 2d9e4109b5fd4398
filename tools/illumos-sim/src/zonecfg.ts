/**
 * `zonecfg -z ZONE [-f FILE | 'cmd; cmd' | < stdin]`: runs the commands against the zone's
 * configuration under the state lock. Any error aborts the run before anything is committed
 * (exit 1); a bad command line is a usage error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { SimError, usage } from './simError.js';
import { zoneNameProblem } from './names.js';
import { SimState } from './state.js';
import { LexError, lex } from './zonecfgLexer.js';
import { ZonecfgSession } from './zonecfgSession.js';

const USAGE = 'usage: zonecfg -z zonename [-f command_file | subcommand[; subcommand...]]';

export async function zonecfg(args: string[], readStdin: () => string = () => readFileSync(0, 'utf8')): Promise<string> {
  if (args[0] !== '-z' || !args[1]) throw usage(USAGE);
  const zone = args[1];
  let input: string;
  let file: string | undefined;
  if (args[2] === '-f') {
    if (!args[3] || args.length > 4) throw usage(USAGE);
    file = args[3];
    try {
      input = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SimError(`${file}: cannot read the command file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (args.length > 2) {
    input = args.slice(2).join(' ');
  } else {
    input = readStdin();
  }
  const problem = zoneNameProblem(zone);
  if (problem) throw new SimError(`${zone}: invalid zone name: ${problem}`);
  const where = (line: number, err: unknown) =>
    err instanceof SimError && file ? new SimError(`On line ${line} of ${file}:\n${err.message}`, err.exitCode) : err;
  let commands: ReturnType<typeof lex>;
  try {
    commands = lex(input);
  } catch (err) {
    throw where(err instanceof LexError ? err.line : 1, err);
  }
  // Errors found at the end of input (an open scope, the implied commit's verify) belong to its last line.
  const lastLine = input.split('\n').length - (input.endsWith('\n') ? 1 : 0);
  const state = new SimState();
  return state.locked(() => {
    const record = state.readZone(zone);
    const session = new ZonecfgSession(zone, record, {
      commit: (config) => {
        const current = state.readZone(zone);
        state.writeZone(current ? { ...current, config } : { name: zone, state: 'configured', uuid: '', config });
      },
      delete: () => state.deleteZone(zone),
      isVnic: (link) => state.readLinks().links.some((l) => l.name === link && l.class === 'vnic'),
    });
    for (const c of commands) {
      if (session.done) break;
      try {
        session.run(c.tokens);
      } catch (err) {
        throw where(c.line, err);
      }
    }
    try {
      session.finish();
    } catch (err) {
      throw where(lastLine, err);
    }
    return session.output.join('');
  });
}
