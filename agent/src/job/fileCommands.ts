/**
 * The GITHUB_ENV/OUTPUT/PATH/STEP_SUMMARY/STATE files a step writes to talk back to the runner, and
 * how they are read after the step: env and PATH additions for later steps, outputs, the summary.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyValueFile } from '../commands.js';
import type { JobContext } from './jobContext.js';

const SUMMARY_LIMIT = 1024 * 1024;

export interface FileCommandResults {
  outputs: Record<string, string>;
  summary: string;
  /** GITHUB_STATE: what an action keeps for its own later runs (STATE_<name> of its post). */
  state: Record<string, string>;
  /** A file could not be parsed: the step fails. */
  error: boolean;
}

export class FileCommands {
  private files: Record<string, string> | null = null;

  constructor(private readonly dir: string) {}

  /**
   * The file paths, by env variable name. Made once per job and emptied after each step has been
   * read (steps run one at a time): creating five files per step cost more than the step itself
   * for trivial steps.
   */
  paths(): Record<string, string> {
    if (this.files) return this.files;
    mkdirSync(this.dir, { recursive: true });
    const u = randomUUID();
    this.files = {
      GITHUB_ENV: join(this.dir, `set_env_${u}`),
      GITHUB_OUTPUT: join(this.dir, `set_output_${u}`),
      GITHUB_PATH: join(this.dir, `add_path_${u}`),
      GITHUB_STEP_SUMMARY: join(this.dir, `step_summary_${u}`),
      GITHUB_STATE: join(this.dir, `save_state_${u}`),
    };
    for (const f of Object.values(this.files)) writeFileSync(f, '');
    return this.files;
  }

  /** Applies GITHUB_ENV / GITHUB_PATH to the job, returns outputs and summary of step `id`. */
  collect(id: string, job: Pick<JobContext, 'addedEnv' | 'addedPath' | 'system'>): FileCommandResults {
    const files = this.paths();
    let error = false;
    const read = (p: string) => {
      try {
        const text = readFileSync(p, 'utf8');
        // Emptied for the next step (the files are reused for the whole job).
        if (text.length > 0) writeFileSync(p, '');
        return text;
      } catch {
        return '';
      }
    };
    const env = parseKeyValueFile(read(files.GITHUB_ENV!));
    if (env.error) {
      job.system(id, `##[error]GITHUB_ENV: ${env.error}`);
      error = true;
    }
    for (const [k, v] of Object.entries(env.values)) {
      if (/^(GITHUB_|RUNNER_)/.test(k) || k === 'NODE_OPTIONS') {
        job.system(id, `##[warning]GITHUB_ENV: ${k} cannot be overridden; ignored`);
        continue;
      }
      job.addedEnv[k] = v;
    }
    const out = parseKeyValueFile(read(files.GITHUB_OUTPUT!));
    if (out.error) {
      job.system(id, `##[error]GITHUB_OUTPUT: ${out.error}`);
      error = true;
    }
    for (const line of read(files.GITHUB_PATH!).split(/\r?\n/)) {
      const p = line.trim();
      if (p) job.addedPath.unshift(p);
    }
    const state = parseKeyValueFile(read(files.GITHUB_STATE!));
    if (state.error) {
      job.system(id, `##[error]GITHUB_STATE: ${state.error}`);
      error = true;
    }
    let summary = read(files.GITHUB_STEP_SUMMARY!);
    if (summary.length > SUMMARY_LIMIT) {
      job.system(id, `##[warning]GITHUB_STEP_SUMMARY is larger than ${SUMMARY_LIMIT} bytes; it was cut`);
      summary = summary.slice(0, SUMMARY_LIMIT);
    }
    return { outputs: out.values, summary, state: state.values, error };
  }
}
