/**
 * Runs INSIDE the bubblewrap sandbox, preloaded into the agent's own process
 * (`node --import <this file> agent.mjs ...`, so no second Node start-up per job): listens on
 * 127.0.0.1 ports and pipes each connection to a UNIX socket the runtime bind-mounted in — the only
 * ways out of the sandbox's private network namespace. The agent's main module runs only after the
 * listeners are up (top-level await).
 *
 *   HELIOS_SANDBOX_FORWARDS="127.0.0.1:47001=/run/helios/agent.sock,127.0.0.1:47002=/run/helios/proxy.sock"
 *
 * The variable is removed before the agent starts, so steps never see it. Only Node built-ins: the
 * file runs on its own from the plugin's dist directory. The listeners are unref'd: they never keep
 * the agent alive after its job.
 */
import { createConnection, createServer } from 'node:net';

export const FORWARDS_ENV = 'HELIOS_SANDBOX_FORWARDS';

function fail(message: string): never {
  process.stderr.write(`helios sandbox relay: ${message}\n`);
  process.exit(70);
}

const spec = process.env[FORWARDS_ENV] ?? '';
delete process.env[FORWARDS_ENV];
const forwards = spec
  .split(',')
  .filter((f) => f !== '')
  .map((f) => {
    const m = /^(127\.0\.0\.1):(\d{1,5})=(\/[^,]+)$/.exec(f);
    if (!m) fail(`bad forward ${JSON.stringify(f)} in ${FORWARDS_ENV}`);
    return { host: m[1]!, port: Number(m[2]), socket: m[3]! };
  });

await Promise.all(
  forwards.map(
    (f) =>
      new Promise<void>((resolve) => {
        const server = createServer((inside) => {
          const outside = createConnection(f.socket);
          const end = () => {
            inside.destroy();
            outside.destroy();
          };
          inside.on('error', end).on('close', end);
          outside.on('error', end).on('close', end);
          inside.pipe(outside);
          outside.pipe(inside);
        });
        server.on('error', (err) => fail(`cannot listen on ${f.host}:${f.port}: ${err.message}`));
        server.listen(f.port, f.host, () => {
          server.unref();
          resolve();
        });
      }),
  ),
);
