import { isHeliosError, type Logger } from '@helios-ci/sdk';
import type { CliIO } from '../command.js';

export const RELOAD_SIGNAL = 'SIGHUP';

/**
 * Waits for a stop signal, or a reload (SIGHUP: `svcadm refresh`, `systemctl reload`) whose new
 * config passes `check` — then resolves 'SIGHUP' and serve restarts itself on the re-read config. A
 * config with problems is refused and logged; the running server carries on with the old one.
 */
export async function waitForStopOrReload(stop: Promise<string>, io: CliIO, check: () => Promise<void>, logger: Logger): Promise<string> {
  if (!io.waitForReload) return stop;
  for (;;) {
    const event = await Promise.race([stop, io.waitForReload().then(() => RELOAD_SIGNAL)]);
    if (event !== RELOAD_SIGNAL) return event;
    try {
      await check();
      return RELOAD_SIGNAL;
    } catch (err) {
      const message = isHeliosError(err) ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
      logger.error('reload refused: the config has problems; still serving with the running config', { error: message });
      io.stderr.write(`helios serve: ${RELOAD_SIGNAL}: the config has problems, still serving with the running one:\n${message}\n`);
    }
  }
}
