import type { Test } from 'uvu';

/**
 * `test`, or (when `missing` says what is absent) a `test` whose every case fails with that reason.
 * A missing system component (zfs-fuse, nats-server, chromium…) is a failure, never a skip: `.ci/run`
 * installs it, and a suite that quietly skipped would hide a broken CI machine.
 */
export function requireComponent(test: Test, missing: string | null): Test {
  if (!missing) return test;
  const failing = ((name: string) => test(name, () => {
    throw new Error(`cannot run: ${missing}`);
  })) as unknown as Test;
  return Object.assign(failing, test, { only: failing });
}
