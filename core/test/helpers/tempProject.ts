import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from core/dist/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = join(REPO_ROOT, 'core/dist/src/cli/bin.js');

/**
 * A throw-away directory standing for an operator's deployment: helios.yaml, plugins written by the
 * test, and a node_modules with the sdk linked in as a third-party plugin would have it installed.
 */
export class TempProject {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-test-'));

  constructor() {
    mkdirSync(join(this.dir, 'node_modules/@helios-ci'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'sdk'), join(this.dir, 'node_modules/@helios-ci/sdk'), 'dir');
  }

  write(path: string, content: string): string {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /**
   * A plugin module importing the sdk the way a third party would (so it writes its apiVersion
   * range as a literal, never the host's PLUGIN_API_VERSION).
   */
  plugin(path: string, body: string): string {
    return this.write(path, `import { definePlugin, defineToken, Type, HeliosError } from '@helios-ci/sdk';\n${body}\n`);
  }

  /** A package under node_modules with package.json (name, version) and an entry file. */
  pkg(name: string, version: string, body: string): void {
    this.write(`node_modules/${name}/package.json`, JSON.stringify({ name, version, type: 'module', exports: { '.': './index.js' } }));
    this.write(`node_modules/${name}/index.js`, body);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
