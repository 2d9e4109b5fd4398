#!/usr/bin/env node
import { runCli } from './main.js';
import { exitAfterFlush } from './exitAfterFlush.js';

// A reader that closed the pipe early (`helios plan --json | head`): stop as a SIGPIPE'd tool would
// (exit 141), instead of crashing with an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

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
await exitAfterFlush(code);
