import { spawn } from 'node:child_process';
import { realZfsPath } from '../realZfs.js';
import { zfsShim } from '../zfsShim.js';

// send and recv carry a binary stream on stdout/stdin: the real zfs gets this process's own stdio
// (capturing it as text, as below, would corrupt the stream and leave recv waiting on stdin).
const STREAMING = new Set(['send', 'recv', 'receive']);

if (STREAMING.has(process.argv[2] ?? '')) {
  const child = spawn(realZfsPath(), process.argv.slice(2), { stdio: 'inherit', env: { ...process.env, LC_ALL: 'C' } });
  child.on('error', (err) => {
    process.stderr.write(`zfs (illumos-sim): ${err.message}\n`);
    process.exitCode = 127;
  });
  child.on('close', (code) => {
    process.exitCode = code ?? 1;
  });
} else {
  // zfs keeps its own stdout/stderr/exit code contract: pass them through untouched.
  zfsShim(process.argv.slice(2)).then(
    (r) => {
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    },
    (err: unknown) => {
      process.stderr.write(`zfs (illumos-sim): ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
