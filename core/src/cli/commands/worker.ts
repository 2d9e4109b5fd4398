import { hostname } from 'node:os';
import { HeliosError, QueueToken, RuntimeToken } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { configInvalid } from '../../kernel/config/problems.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';
import { workerConfigProblems } from './workerConfig.js';
import { egressServiceFor } from '../../egress/egressServiceFor.js';

export const workerCommand: Command = {
  path: ['worker'],
  summary: 'run jobs of a control `helios serve` on this host, pulled from the queue (NATS JetStream)',
  help: `Usage: helios worker [--config FILE]

Starts the runtime and storage plugins of FILE (no store, no forge), destroys what a previous run of
this worker left, then pulls jobs for the labels its runtimes serve from the queue (queue-nats), at
most worker.capacity at once. Each job's machine gets control's agent endpoint, so its agent streams
to control, and this worker's egress proxy (server.egressListen / server.egressEndpoint of FILE),
which enforces the policy control decided for the job and reports its connections to control; the machine is destroyed when control says the job ended. SIGINT/SIGTERM destroys the
running machines (control then re-queues or errors their jobs) and exits 0.

A worker config is a helios.yaml with a worker: section:
  worker: { id: host-a, capacity: 4 }
  plugins:
    queue: { use: "@helios-ci/queue-nats", config: { servers: [nats://nats.example:4222] } }
    bhyve: { use: "@helios-ci/runtime-bhyve", config: { ... } }
    zfs:   { use: "@helios-ci/storage-zfs", config: { ... } }

Options:
${CONFIG_HELP}`,
  options: { ...configOption },
  async run(args, io) {
    const stop = io.waitForStop();
    const kernel = await Kernel.create(kernelOptionsFrom(args, io));
    const problems = workerConfigProblems(kernel, true);
    if (problems.length) throw configInvalid(kernel.loaded.file, problems);
    const section = kernel.config.worker!;
    await kernel.start();
    const queue = kernel.resolve(QueueToken);
    const runtimes = kernel.resolveAll(RuntimeToken);
    const workerId = section.id ?? hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 63);
    // The worker's own egress proxy (server.egressListen/egressEndpoint of this file): its machines'
    // connections go out from this host, under the grants control sends with each claim.
    const egress = egressServiceFor(kernel.config, kernel.logger.child('egress'));
    let handle;
    try {
      if (!queue.hosts) throw new HeliosError('E_CONFIG_INVALID', 'the queue plugin does not reach other hosts; use @helios-ci/queue-nats');
      await egress.start();
      handle = await queue.hosts.worker({ workerId, runtimes, capacity: section.capacity, logger: kernel.logger.child('worker'), egress });
    } catch (err) {
      await egress.stop().catch(() => undefined);
      await kernel.stop('worker start failed');
      throw err;
    }
    const labels = [...new Set(runtimes.flatMap((r) => r.labels))];
    io.stdout.write(`helios worker: ${workerId} pulling jobs for ${labels.join(', ')} (capacity ${section.capacity}; egress proxy ${egress.endpoint}; config: ${kernel.loaded.file})\n`);
    const signal = await stop;
    io.stdout.write(`helios worker: ${signal} received, stopping\n`);
    await handle.stop();
    await egress.stop();
    const reports = await kernel.stop(signal);
    for (const r of reports.filter((x) => x.outcome !== 'ok')) io.stderr.write(`warning: stop hook of ${r.instance} ${r.outcome === 'timed_out' ? 'timed out' : `failed: ${r.error}`}\n`);
    io.stdout.write('helios worker: stopped\n');
    return 0;
  },
};
