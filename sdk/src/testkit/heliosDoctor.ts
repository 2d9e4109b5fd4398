import { spawn } from 'node:child_process';
import type { DoctorCheck } from '../doctor.js';
import { heliosCliPath } from './heliosServe.js';

export interface DoctorRun {
  code: number | null;
  /** The --json report; null when stdout was not JSON (then `stderr` says why). */
  report: { ok: boolean; errors: number; warnings: number; checks: (DoctorCheck & { source: string })[] } | null;
  stdout: string;
  stderr: string;
  /** The verdict of one check, e.g. verdict('github', 'app JWT accepted'). */
  verdict(source: string, name: string): (DoctorCheck & { source: string }) | undefined;
}

/** Runs `helios doctor --json` in `cwd` (helios.yaml there) with exactly `env` (plus PATH, HOME=cwd). */
export function runHeliosDoctor(cwd: string, options: { env?: Record<string, string>; args?: string[]; timeoutMs?: number; uid?: number; gid?: number } = {}): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [heliosCliPath(), 'doctor', '--json', ...(options.args ?? [])], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`helios doctor did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let report: DoctorRun['report'] = null;
      try {
        report = JSON.parse(stdout) as DoctorRun['report'];
      } catch {
        report = null;
      }
      resolve({ code, report, stdout, stderr, verdict: (source, name) => report?.checks.find((c) => c.source === source && c.name === name) });
    });
  });
}
