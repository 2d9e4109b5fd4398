/**
 * A real nats-server with JetStream for tests: its own store directory and free port, started and
 * stopped by pid. `natsTest(test)` makes every test fail saying how to install it when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import { requireComponent } from '@helios-ci/sdk/testkit';

const SEARCH = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')];

export function natsServerPath(): string | null {
  return SEARCH.map((d) => join(d, 'nats-server')).find((p) => existsSync(p)) ?? null;
}

/** Why NATS tests cannot run here, or null. */
export function natsServerMissing(): string | null {
  return natsServerPath() ? null : 'nats-server missing: apt-get install nats-server (Debian/Ubuntu); .ci/run does this in CI';
}

/** `test`, or a `test` whose every case fails saying nats-server is missing (never a skip). */
export function natsTest(test: Test): Test {
  return requireComponent(test, natsServerMissing());
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** Kills it (SIGKILL: as a crash would) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store (after kill). */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  cleanup(): Promise<void>;
}

/** Starts `nats-server -js -sd <tmp> -p <free port> -a 127.0.0.1 ...extra` and waits until it answers. */
export async function startNatsServer(extra: readonly string[] = []): Promise<NatsServer> {
  const bin = natsServerPath();
  if (!bin) throw new Error(natsServerMissing()!);
  const storeDir = mkdtempSync(join(tmpdir(), 'helios-nats-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let out = '';
  const launch = async () => {
    out = '';
    child = spawn(bin, ['-js', '-sd', storeDir, '-p', String(port), '-a', '127.0.0.1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const deadline = Date.now() + 15_000;
    // "Server is ready" comes after JetStream has recovered its store.
    while (!/Server is ready/.test(out) || !(await answers(port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited: ${out}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not start in 15 s: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    process.kill(c.pid!, 'SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    restart: launch,
    async cleanup() {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
