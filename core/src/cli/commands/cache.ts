import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError, StorageToken } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { Store, type CacheEntryRecord } from '../../store/index.js';
import { BlobServices, blobSettingsFrom } from '../../blobs/blobServices.js';
import { formatBytes } from '../../blobs/byteLimit.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';
import { LocalRepository } from '../../localRepo/localRepository.js';
import { embeddedRunConfig, localCacheHome } from '../run/localCacheHome.js';

/**
 * The config and plugins are loaded (to find the data dir and the Storage plugin) but nothing is
 * started: a running `helios serve` on the same data dir keeps working (SQLite WAL; an index row is
 * removed before its bytes, so a restore never finds a row without them). `--local`: the caches
 * `helios run` keeps in this repository's .helios/ instead.
 */
async function open(args: Parameters<Command['run']>[0], io: Parameters<Command['run']>[1]) {
  const local = args.values.local === true;
  const home = local ? localCacheHome((await LocalRepository.open(io.cwd)).root) : null;
  const options = kernelOptionsFrom(args, io);
  const kernel = await Kernel.create({
    ...options,
    ...(home && !args.values.config ? { configText: embeddedRunConfig(undefined, home.storage), configPath: '(embedded defaults)', configDir: io.cwd } : {}),
    logSink: new MemoryLogSink(),
  });
  // A repository where helios run never saved a cache has no index: nothing to list, and no file is made.
  const path = home ? (existsSync(home.index) ? home.index : ':memory:') : join(kernel.dataDir, 'helios.db');
  const store = Store.open({ path });
  const storage = kernel.has(StorageToken) ? kernel.resolve(StorageToken) : null;
  const blobs = storage ? new BlobServices({ store, storage, settings: blobSettingsFrom(kernel.config), logger: kernel.logger.child('cache') }) : null;
  return { kernel, store, blobs };
}

const repoOption = { repo: { type: 'string' as const }, local: { type: 'boolean' as const } };

function checkRepo(repo: string | undefined): string | undefined {
  if (repo !== undefined && !/^[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(repo)) {
    throw new HeliosError('E_USAGE', `--repo ${repo} is not a repository key; use forge/owner/name as "helios cache list" shows it (e.g. github/acme/widget, local/me/project)`);
  }
  return repo;
}

/**
 * Keys come from workflows, fork pull requests included: control characters (terminal escapes,
 * newlines) are shown escaped, never sent to the operator's terminal as they are.
 */
// eslint-disable-next-line no-control-regex
const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const row = (e: CacheEntryRecord) => ({
  repo: e.repo,
  scope: e.scope,
  key: e.key,
  version: e.version,
  size: e.size,
  trusted: e.trusted,
  createdAt: new Date(e.createdAt).toISOString(),
  lastUsedAt: new Date(e.lastUsedAt).toISOString(),
});

export const cacheListCommand: Command = {
  path: ['cache', 'list'],
  summary: 'list the actions/cache entries Helios keeps, most recently used first',
  help: `Usage: helios cache list [--repo FORGE/OWNER/NAME] [--local] [--json] [--config FILE]

Shows each entry's repository, scope (the ref that saved it), key, size, when it was last used and
whether an untrusted run (a fork pull request) saved it, with the total per repository.

Options:
      --repo R        only this repository (forge/owner/name, e.g. github/acme/widget)
      --local         the caches helios run keeps in this repository's .helios/, not the server's
      --json          one JSON array on stdout
${CONFIG_HELP}`,
  options: { ...configOption, ...repoOption, json: { type: 'boolean' } },
  async run(args, io) {
    const repo = checkRepo(args.values.repo as string | undefined);
    const { store } = await open(args, io);
    try {
      const entries = store.caches.list(repo);
      if (args.values.json) {
        io.stdout.write(JSON.stringify(entries.map(row), null, 2) + '\n');
        return 0;
      }
      if (entries.length === 0) {
        io.stdout.write(`no cache entries${repo ? ` for ${repo}` : ''}\n`);
        return 0;
      }
      const rows = entries.map((e) => [printable(e.repo), printable(e.scope), printable(e.key) + (e.trusted ? '' : ' (untrusted)'), formatBytes(e.size), new Date(e.lastUsedAt).toISOString().replace(/\.\d+Z$/, 'Z')]);
      const header = ['REPOSITORY', 'SCOPE', 'KEY', 'SIZE', 'LAST USED'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [header, ...rows]) io.stdout.write(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ') + '\n');
      for (const u of store.caches.usage()) if (!repo || u.repo === repo) io.stdout.write(`${u.repo}: ${u.entries} entr${u.entries === 1 ? 'y' : 'ies'}, ${formatBytes(u.bytes)}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const cachePruneCommand: Command = {
  path: ['cache', 'prune'],
  summary: 'evict cache entries now: unused past caches.maxIdleDays and beyond caches.maxBytesPerRepository (--all: every entry)',
  help: `Usage: helios cache prune [--repo FORGE/OWNER/NAME] [--local] [--all] [--config FILE]

Without --all: what eviction removes anyway, now — entries unused for caches.maxIdleDays, then the
least recently used beyond caches.maxBytesPerRepository. With --all: every entry (of --repo).
Needs the Storage plugin the entries were saved with (it removes their bytes).

Options:
      --repo R        only this repository (forge/owner/name)
      --local         the caches helios run keeps in this repository's .helios/, not the server's
      --all           remove every entry, not only what eviction would
${CONFIG_HELP}`,
  options: { ...configOption, ...repoOption, all: { type: 'boolean' } },
  async run(args, io) {
    const repo = checkRepo(args.values.repo as string | undefined);
    const { store, blobs } = await open(args, io);
    try {
      if (!blobs) throw new HeliosError('E_UNIMPLEMENTED', 'no Storage plugin is configured, so there are no cache bytes to prune; configure @helios-ci/storage-dir or @helios-ci/storage-zfs');
      const removed = args.values.all ? await blobs.caches.removeAll(repo) : await blobs.caches.evict(repo);
      const bytes = removed.reduce((n, e) => n + e.size, 0);
      io.stdout.write(`removed ${removed.length} cache entr${removed.length === 1 ? 'y' : 'ies'} (${formatBytes(bytes)})${repo ? ` of ${repo}` : ''}\n`);
      for (const e of removed) io.stdout.write(`  ${printable(e.repo)}  ${printable(e.scope)}  ${printable(e.key)}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
