/** Runs a simulated command: stdout text on success, SimError → its message on stderr and exit code. */
import { SimError } from '../simError.js';

export function runCli(tool: string, main: (args: string[]) => Promise<string> | string): void {
  Promise.resolve()
    .then(() => main(process.argv.slice(2)))
    .then(
      (out) => {
        if (out) process.stdout.write(out);
        process.exitCode = 0;
      },
      (err: unknown) => {
        if (err instanceof SimError) {
          process.stderr.write(`${err.message.startsWith(tool) ? '' : `${tool}: `}${err.message}\n`);
          process.exitCode = err.exitCode;
        } else {
          process.stderr.write(`${tool}: internal simulator error: ${(err as Error)?.stack ?? String(err)}\n`);
          process.exitCode = 1;
        }
      },
    );
}
