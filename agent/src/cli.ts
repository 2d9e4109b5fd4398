// Entry point of the bundle (dist/helios-agent.mjs).
import { main } from './main.js';

main().catch((err: unknown) => {
  process.stderr.write(`helios-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(4);
});
