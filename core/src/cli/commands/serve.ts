import type { AddressInfo } from 'node:net';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { ensurePrivateDir } from '../../store/privateFiles.js';
import { lockDataDir } from '../../store/dataDirLock.js';
import { registerCoreServices } from '../../services/registerCoreServices.js';
import { RunPlannerToken } from '../../services/coreTokens.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { logSinkFor } from '../../kernel/prettyLogSink.js';
import { HeliosError } from '@helios-ci/sdk';
import { RELOAD_SIGNAL, waitForStopOrReload } from '../serve/reload.js';

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'run the Helios server: plugins, webhooks, API (stops gracefully on SIGINT/SIGTERM)',
  help: `Usage: helios serve [--config FILE] [--listen HOST:PORT]

Starts the kernel, every configured plugin and Helios's own services (store, queue, agent
service, orchestrator, reporter), then serves HTTP: GET /healthz, POST /hooks/<forge> webhooks,
the REST API under /api (runs, jobs, logs with live SSE streams; writes need the admin token),
job and run pages at /jobs/<id> and /runs/<id>, and Prometheus metrics at /metrics. SIGINT or
SIGTERM stops accepting work, runs the plugins' stop hooks in reverse order and exits 0. SIGHUP
(svcadm refresh, systemctl reload) re-reads the config: when it loads, serve stops as for SIGTERM
and starts again on it; when it has problems they are logged and the running server carries on.

The admin token (Authorization: Bearer <token>) is $HELIOS_ADMIN_TOKEN, or else the contents of
<server.dataDir>/admin-token, created with a random token (mode 600) on the first start. With
server.requireAuthForLogs: true, reading runs, jobs, logs and their pages needs it too. The data
dir is kept mode 700 (tightened at start). Webhook bodies, connections and log streams are bounded
by the limits.* keys (hookBytesInFlight, hookBodyTimeoutSeconds, headersTimeoutSeconds,
maxConnections, logStreamsPerJob, logStreamsPerClient, maxLogBytesPerJob).

Options:
${CONFIG_HELP}
      --listen ADDR   override server.listen (port 0 picks a free port)
      --log-format F  json (default: one JSON object per line on stderr, for log shippers and the
                      SMF log / journal) or pretty (time, level, logger, message, fields; terminals)`,
  options: { ...configOption, listen: { type: 'string' }, 'log-format': { type: 'string' } },
  async run(args, io) {
    const stop = io.waitForStop();
    const listenOverride = args.values.listen as string | undefined;
    // Without server.publicUrl, job page links use the address Helios really listens on.
    const format = args.values['log-format'] as string | undefined;
    if (format !== undefined && format !== 'json' && format !== 'pretty') throw new HeliosError('E_USAGE', `--log-format must be json or pretty (got ${JSON.stringify(format)})`);
    const logSink = logSinkFor(format, io.stderr);
    const kernel = await Kernel.create({
      ...kernelOptionsFrom(args, io),
      ...(logSink ? { logSink } : {}),
      builtins: registerCoreServices(listenOverride && !listenOverride.endsWith(':0') ? { publicUrl: `http://${listenOverride}` } : {}),
    });
    // The data dir holds the database, the admin token and mirrors: owner only (700), said when tightened.
    const tightened = ensurePrivateDir(kernel.dataDir);
    if (tightened.tightenedFrom !== undefined) {
      kernel.logger.info('data dir permissions tightened', { dir: kernel.dataDir, from: tightened.tightenedFrom.toString(8), to: '700' });
    }
    // The HTTP stack (koa and every route) is loaded by serve alone: other commands start without it.
    const [{ createHttpApp }, { createServerHttp }, { closeServer, listen }] = await Promise.all([import('../../http/app.js'), import('../../http/api/index.js'), import('../../http/listen.js')]);
    // One serve per data dir; helios restore refuses while this is held (serve.pid).
    const unlock = lockDataDir(kernel.dataDir);
    try {
      await kernel.start();
    } catch (err) {
      unlock();
      throw err;
    }
    let server;
    let http;
    try {
      http = createServerHttp(kernel);
      const limits = kernel.config.limits;
      const app = createHttpApp({
        routes: kernel.routes,
        logger: kernel.logger.child('http'),
        redact: (t) => kernel.redactor.redact(t),
        middleware: http.middleware,
        hookLimits: { bytesInFlight: limits.hookBytesInFlight, bodyTimeoutMs: limits.hookBodyTimeoutSeconds * 1000 },
      });
      server = await listen(app, listenOverride ?? kernel.config.server.listen, {
        maxConnections: limits.maxConnections,
        headersTimeoutMs: limits.headersTimeoutSeconds * 1000,
      });
    } catch (err) {
      http?.close();
      await kernel.stop('listen failed');
      unlock();
      throw err;
    }
    for (const notice of http.notices) io.stdout.write(`helios serve: ${notice}\n`);
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    io.stdout.write(`helios serve: listening on http://${host}:${address.port} (config: ${kernel.loaded.file})\n`);
    kernel.logger.info('listening', { address: `${host}:${address.port}` });
    // Only now, with HTTP and the agent endpoint answering, are deliveries left from before planned.
    kernel.resolve(RunPlannerToken).drain();
    // The new config must load (plugins and all) before the running server is given up for it.
    const checkConfig = async () => void (await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: new MemoryLogSink() }));
    const signal = await waitForStopOrReload(stop, io, checkConfig, kernel.logger);
    io.stdout.write(`helios serve: ${signal} received, stopping\n`);
    await closeServer(server);
    http.close();
    const reports = await kernel.stop(signal);
    const bad = reports.filter((r) => r.outcome !== 'ok');
    for (const r of bad) io.stderr.write(`warning: stop hook of ${r.instance} ${r.outcome === 'timed_out' ? 'timed out' : `failed: ${r.error}`}\n`);
    unlock();
    if (signal === RELOAD_SIGNAL) {
      io.stdout.write('helios serve: restarting on the re-read config\n');
      return serveCommand.run(args, io);
    }
    io.stdout.write('helios serve: stopped\n');
    return 0;
  },
};
