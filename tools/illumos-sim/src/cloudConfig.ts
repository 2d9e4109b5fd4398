/**
 * What cloud-init does with NoCloud user-data, for the two forms a Helios bootstrap uses: a `#!`
 * script (run as is) and `#cloud-config` with `bootcmd`, `write_files` and `runcmd` (files written
 * under the guest root; commands rendered to a `#!/bin/sh` script, list items shell-quoted, as
 * cloud-init renders them). Returns the scripts to run, in order.
 */
import { gunzipSync } from 'node:zlib';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { parse } from 'yaml';

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function renderCommands(items: unknown, key: string): string {
  if (!Array.isArray(items)) throw new Error(`${key} must be a list`);
  const lines = items.map((item) => {
    if (typeof item === 'string') return item;
    if (Array.isArray(item)) return item.map((x) => shellQuote(String(x))).join(' ');
    throw new Error(`${key} items must be strings or lists`);
  });
  return `#!/bin/sh\n${lines.join('\n')}\n`;
}

/** `/etc/x` in the guest → `<guestRoot>/etc/x`; a path that escapes the root is refused. */
export function guestPath(guestRoot: string, path: string): string {
  if (!path.startsWith('/')) throw new Error(`write_files path ${path} must be absolute`);
  const inside = normalize(path);
  if (inside.split('/').includes('..')) throw new Error(`write_files path ${path} leaves the root`);
  return join(guestRoot, inside);
}

export function prepareUserData(userData: Buffer, guestRoot: string, instanceDir: string, note: (line: string) => void): string[] {
  const text = userData.toString('utf8');
  const scriptsDir = join(instanceDir, 'scripts');
  mkdirSync(scriptsDir, { recursive: true });
  if (text.startsWith('#!')) {
    const file = join(scriptsDir, 'part-001');
    writeFileSync(file, userData, { mode: 0o700 });
    return [file];
  }
  if (!text.startsWith('#cloud-config')) {
    note(`Unhandled non-multipart (text/x-not-multipart) userdata: '${text.slice(0, 20).replace(/\n/g, '\\n')}...'`);
    return [];
  }
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('#cloud-config is not a mapping');
  const scripts: string[] = [];
  if (doc.bootcmd !== undefined) {
    const file = join(instanceDir, 'boothooks', 'bootcmd');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderCommands(doc.bootcmd, 'bootcmd'), { mode: 0o700 });
    scripts.push(file);
  }
  if (doc.write_files !== undefined) {
    if (!Array.isArray(doc.write_files)) throw new Error('write_files must be a list');
    for (const f of doc.write_files as Record<string, unknown>[]) {
      if (typeof f?.path !== 'string') throw new Error('write_files: every item needs a path');
      const target = guestPath(guestRoot, f.path);
      const enc = String(f.encoding ?? 'text').toLowerCase();
      let content: Buffer = Buffer.from(String(f.content ?? ''), 'utf8');
      if (['b64', 'base64', 'gz+b64', 'gz+base64', 'gzip+b64', 'gzip+base64'].includes(enc)) content = Buffer.from(String(f.content ?? ''), 'base64');
      if (enc.startsWith('gz')) content = gunzipSync(content);
      mkdirSync(dirname(target), { recursive: true });
      const mode = f.permissions !== undefined ? parseInt(String(f.permissions), 8) : 0o644;
      if (Number.isNaN(mode)) throw new Error(`write_files ${f.path}: bad permissions ${String(f.permissions)}`);
      if (f.append === true) appendFileSync(target, content);
      else writeFileSync(target, content);
      chmodSync(target, mode);
    }
  }
  if (doc.runcmd !== undefined) {
    const file = join(scriptsDir, 'runcmd');
    writeFileSync(file, renderCommands(doc.runcmd, 'runcmd'), { mode: 0o700 });
    scripts.push(file);
  }
  return scripts;
}
