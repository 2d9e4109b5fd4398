import { ForgeToken, QueueToken } from '@helios-ci/sdk';
import type { Kernel } from '../../kernel/kernel.js';
import type { ConfigProblem } from '../../kernel/config/problems.js';

/**
 * What makes a config a valid `helios worker` config beyond the schema: a `worker:` section, a queue
 * plugin that reaches control (queue-nats) and no forge (forges belong to control). `requireSection`:
 * false for `config check`, which checks these only in files that have a `worker:` section.
 */
export function workerConfigProblems(kernel: Kernel, requireSection: boolean): ConfigProblem[] {
  const { config, positionOf } = kernel.loaded;
  const problems: ConfigProblem[] = [];
  if (!config.worker) {
    if (requireSection) problems.push({ path: '', line: 1, col: 1, message: 'a worker config needs a worker: section (worker: { id: <name>, capacity: <jobs at once> })' });
    return problems;
  }
  const queue = kernel.has(QueueToken) ? kernel.resolve(QueueToken) : null;
  if (!queue?.hosts) {
    problems.push({ path: 'worker', ...positionOf(['worker'], true), message: 'a worker needs a queue plugin that reaches control: add plugins: { queue: { use: "@helios-ci/queue-nats", config: { servers: [...] } } }' });
  }
  if (kernel.has(ForgeToken)) {
    for (const p of kernel.plugins().filter((i) => i.enabled && i.kinds.includes('forge'))) {
      problems.push({ path: `plugins.${p.instance}`, ...positionOf(['plugins', p.instance], true), message: 'a worker has no forge (webhooks and checks are control\'s): move this plugin to control\'s helios.yaml' });
    }
  }
  return problems;
}
