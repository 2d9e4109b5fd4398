#!/usr/bin/env node
import { runCli } from './main.js';

// Signal handlers live only here, in the CLI (DESIGN §2): the kernel itself never installs any.
let stopSignal: Promise<string> | null = null;
const waitForStop = () =>
  (stopSignal ??= new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  }));

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  waitForStop,
});
process.exitCode = code;
// Long-running commands resolve only after a clean stop; anything still pending must not keep us up.
setImmediate(() => process.exit(code));
