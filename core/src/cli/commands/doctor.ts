import type { Command } from '../command.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';

const MARK = { ok: 'ok     ', warning: 'warning', error: 'error  ' } as const;

export const doctorCommand: Command = {
  path: ['doctor'],
  summary: 'check the host, data dir, store and every plugin (credentials, datasets, network); say how to fix each problem',
  help: `Usage: helios doctor [--config FILE] [--json]

Checks, each ok / warning / error with its fix: Node ≥ 20, git, the config, the data dir (writable,
free space), the store (PRAGMA integrity_check, schema version), that every configured plugin loads
and builds, and each plugin's own checks (forge credentials, Vault seal and token TTL, ZFS pool and
datasets, bhyve commands, images, etherstub, privileges). Starts nothing and changes nothing; safe
while helios serve runs. Exit 1 if any check is an error.

Options:
${CONFIG_HELP}
      --json          one JSON object on stdout: { ok, config, errors, warnings, checks: [...] }`,
  options: { ...configOption, json: { type: 'boolean' } },
  async run(args, io) {
    // Loaded on demand: the other commands' start-up must not pay for the doctor's modules.
    const { runDoctor } = await import('../../doctor/runDoctor.js');
    const report = await runDoctor(kernelOptionsFrom(args, io));
    if (args.values.json) {
      io.stdout.write(JSON.stringify({ ok: report.errors === 0, ...report }, null, 2) + '\n');
    } else {
      if (report.config) io.stdout.write(`config: ${report.config}\n`);
      for (const c of report.checks) {
        io.stdout.write(`${MARK[c.status]} ${c.source}: ${c.name}: ${c.message}\n`);
        if (c.fix && c.status !== 'ok') io.stdout.write(`        fix: ${c.fix}\n`);
      }
      io.stdout.write(`helios doctor: ${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}\n`);
    }
    return report.errors > 0 ? 1 : 0;
  },
};
