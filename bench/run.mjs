// `npm run bench -- NAME [ARGS...]` runs bench/NAME.bench.mjs, which prints exactly one JSON line on
// stdout (figures and a baseline measured in the same run). Progress goes to stderr.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(here).filter((f) => f.endsWith('.bench.mjs')).map((f) => f.replace('.bench.mjs', ''));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
if (!existsSync(join(here, '../core/dist'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}
process.argv = [process.argv[0], join(here, `${name}.bench.mjs`), ...rest];
await import(pathToFileURL(join(here, `${name}.bench.mjs`)).href);
