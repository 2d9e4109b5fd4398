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

// SIGHUP (svcadm refresh, systemctl reload) is taken over only once a command waits for it; each
// wait resolves at the next one, and one arriving between two waits is kept, not lost.
let reloadWaiters: (() => void)[] = [];
let reloadPending = false;
let reloadInstalled = false;
const waitForReload = () =>
  new Promise<void>((resolve) => {
    if (!reloadInstalled) {
      reloadInstalled = true;
      process.on('SIGHUP', () => {
        const waiting = reloadWaiters;
        reloadWaiters = [];
        if (waiting.length === 0) reloadPending = true;
        for (const w of waiting) w();
      });
    }
    if (reloadPending) {
      reloadPending = false;
      resolve();
    } else reloadWaiters.push(resolve);
  });

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  waitForStop,
  waitForReload,
});
await exitAfterFlush(code);
