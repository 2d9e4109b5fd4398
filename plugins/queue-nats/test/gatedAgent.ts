/**
 * A stand-in agent bundle for runtime-local (config agentPath) that holds a machine between "started"
 * and "agent connected" for as long as a test wants: it writes `<gate>/started`, waits for
 * `<gate>/open`, then runs the real helios-agent with its own arguments (output to the machine's
 * agent.log). Tests kill or freeze the worker in that window on an event, not after a sleep.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAgentPath } from '@helios-ci/runtime-local';

/** Writes `<workerDir>/gated-agent.mjs` and its gate directory; returns the script's path. */
export function writeGatedAgent(workerDir: string): string {
  const gate = join(workerDir, 'gate');
  mkdirSync(gate, { recursive: true });
  const realAgent = defaultAgentPath();
  const script = join(workerDir, 'gated-agent.mjs');
  writeFileSync(
    script,
    `import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
const gate = ${JSON.stringify(gate)};
writeFileSync(gate + '/started', String(process.pid));
while (!existsSync(gate + '/open')) await new Promise((r) => setTimeout(r, 50));
const agent = spawn(process.execPath, [${JSON.stringify(realAgent)}, ...process.argv.slice(2)], { stdio: 'inherit' });
agent.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`,
  );
  return script;
}
