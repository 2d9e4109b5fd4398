/**
 * Runs INSIDE the bubblewrap sandbox, as its first process: listens on 127.0.0.1 ports and pipes
 * each connection to a UNIX socket the runtime bind-mounted in (the only ways out of the private
 * network namespace), then runs the agent and exits with its status.
 *
 *   node sandboxRelay.js --forward 127.0.0.1:47001=/run/helios/agent.sock [--forward ...] -- node agent.mjs ...
 *
 * Only Node built-ins: the file runs on its own from the plugin's dist directory.
 * SIGTERM/SIGINT/SIGHUP reach the whole process group (the agent cancels and reports through this
 * relay), so the relay ignores them and ends when the agent does.
 */
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

function usage(message: string): never {
  process.stderr.write(`helios sandbox relay: ${message}\n`);
  process.exit(64);
}

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) usage('usage: --forward HOST:PORT=SOCKET ... -- COMMAND ...');
const forwards: { host: string; port: number; socket: string }[] = [];
for (let i = 0; i < sep; i++) {
  const m = argv[i] === '--forward' ? /^(127\.0\.0\.1):(\d{1,5})=(\/.+)$/.exec(argv[i + 1] ?? '') : null;
  if (!m) usage(`bad argument ${JSON.stringify(argv[i])}`);
  forwards.push({ host: m[1]!, port: Number(m[2]), socket: m[3]! });
  i++;
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => undefined);

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
        server.on('error', (err) => usage(`cannot listen on ${f.host}:${f.port}: ${err.message}`));
        server.listen(f.port, f.host, () => resolve());
      }),
  ),
);

const [command, ...args] = argv.slice(sep + 1);
const child = spawn(command!, args, { stdio: 'inherit' });
child.on('error', (err) => usage(`cannot start ${command}: ${err.message}`));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
