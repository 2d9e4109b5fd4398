import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { Store } from '../../store/index.js';
import { LogRetention } from '../../store/logs/logRetention.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';

export const logsPruneCommand: Command = {
  path: ['logs', 'prune'],
  summary: 'remove job logs past limits.logRetentionDays or over limits.maxLogBytesPerRepository now',
  help: `Usage: helios logs prune [--dry-run] [--config FILE]

Applies log retention to the store in server.dataDir at once (helios serve also does it every
limits.logPruneIntervalMinutes): compacted logs of jobs that finished more than
limits.logRetentionDays days ago, then the oldest logs of each repository whose logs take more
than limits.maxLogBytesPerRepository. Prints one line per removed log. A removed log reads as
"log removed by retention on <date>". Safe while helios serve runs (one transaction per log).

Options:
  --dry-run           print what would be removed, remove nothing
${CONFIG_HELP}`,
  options: { ...configOption, 'dry-run': { type: 'boolean' } },
  async run(args, io) {
    const kernel = await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: new MemoryLogSink() });
    const limits = kernel.config.limits;
    const path = join(kernel.dataDir, 'helios.db');
    if (!existsSync(path)) {
      io.stderr.write(`helios logs prune: there is no store at ${path} (server.dataDir); nothing to prune\n`);
      return 1;
    }
    const store = Store.open({ path });
    try {
      const dryRun = args.values['dry-run'] === true;
      const retention = new LogRetention(store, { maxAgeDays: limits.logRetentionDays, maxBytesPerRepository: limits.maxLogBytesPerRepository });
      const removed = retention.prune({ dryRun });
      for (const d of removed) {
        io.stdout.write(`${dryRun ? 'would remove' : 'removed'} job ${d.jobId} (${d.repoKey}, finished ${new Date(d.finishedAt).toISOString()}, ${d.storedBytes} bytes): ${d.reason}\n`);
      }
      const bytes = removed.reduce((n, d) => n + d.storedBytes, 0);
      io.stdout.write(`helios logs prune: ${dryRun ? 'would remove' : 'removed'} ${removed.length} job log${removed.length === 1 ? '' : 's'} (${bytes} bytes compressed)\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
