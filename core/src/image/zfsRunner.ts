import { execFile, spawn } from 'node:child_process';
import { HeliosError } from '@helios-ci/sdk';

export interface ZfsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `zfs ARGS` as argv (no shell), C locale. */
export function zfs(command: string, args: readonly string[]): Promise<ZfsResult> {
  return new Promise((resolve) =>
    execFile(command, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, stdout, stderr: err && !stderr ? err.message : stderr }),
    ),
  );
}

export async function zfsMust(command: string, args: readonly string[], what: string): Promise<string> {
  const r = await zfs(command, args);
  if (r.code !== 0) throw new HeliosError('E_IMAGE_ZFS_FAILED', `${what} failed (${command} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`})`);
  return r.stdout;
}

/** `zfs send SNAP | zfs recv TARGET`, two processes joined by a pipe (no shell). */
export function sendReceive(command: string, snapshot: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const send = spawn(command, ['send', snapshot], { stdio: ['ignore', 'pipe', 'pipe'] });
    const recv = spawn(command, ['recv', target], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    send.stderr.on('data', (d) => (errors += d));
    recv.stderr.on('data', (d) => (errors += d));
    send.stdout.pipe(recv.stdin);
    let pending = 2;
    let failed = false;
    const done = (who: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new HeliosError('E_IMAGE_ZFS_FAILED', `zfs ${who} of ${snapshot} into ${target} failed (exit ${code}): ${errors.trim()}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    send.on('close', done('send'));
    recv.on('close', done('recv'));
  });
}
