import { zfsShim } from '../zfsShim.js';

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
