// Deterministic, realistic build output for log benchmarks: what a C/TypeScript project's CI job prints
// (compiler invocations, warnings with source excerpts, progress counters, test results, timestamps),
// with the repetition real logs have (shared path prefixes, recurring warnings) but no single line
// repeated over and over. Seeded, so every run and every storage under test sees the same lines.

/** Mulberry32: a tiny seeded PRNG (Math.random cannot be seeded). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIRS = ['src/net', 'src/net/http', 'src/storage/btree', 'src/storage/wal', 'src/util', 'src/crypto/aes', 'src/parser', 'src/parser/yaml', 'lib/compat', 'src/server/handlers', 'src/cli/commands', 'vendor/zlib', 'src/ui/components/widgets'];
const STEMS = ['socket', 'buffer', 'request', 'response', 'page', 'cursor', 'checkpoint', 'string', 'hash', 'cipher', 'lexer', 'scanner', 'node', 'router', 'session', 'config', 'inflate', 'deflate', 'button', 'table', 'dialog', 'queue', 'timer', 'pool'];
const IDENTS = ['fd', 'len', 'ctx', 'buf', 'tmp', 'rc', 'offset', 'state', 'flags', 'i', 'n', 'result', 'err', 'node', 'key', 'value'];
const WARNINGS = [
  ['unused variable', '-Wunused-variable'],
  ['comparison of integer expressions of different signedness', '-Wsign-compare'],
  ['implicit conversion loses integer precision', '-Wshorten-64-to-32'],
  ['this statement may fall through', '-Wimplicit-fallthrough='],
  ['variable set but not used', '-Wunused-but-set-variable'],
  ['format specifies type \'int\' but the argument has type \'long\'', '-Wformat'],
];
const TS_CODES = [
  ['TS6133', (id) => `'${id}' is declared but its value is never read.`],
  ['TS2345', (id) => `Argument of type 'string | undefined' is not assignable to parameter of type 'string'.`],
  ['TS7006', (id) => `Parameter '${id}' implicitly has an 'any' type.`],
];
const TESTS = ['parses the header', 'rejects a truncated frame', 'keeps order under load', 'retries after a timeout', 'round-trips unicode', 'closes idle connections', 'evicts the oldest entry', 'reports a clear error'];

/**
 * `count` lines as { step, stream, ts, text }: four steps (configure, build, test, package), stdout
 * mostly, compiler diagnostics on stderr, timestamps a few ms apart.
 */
export function buildOutput(count, seed = 42) {
  const r = prng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const file = (ext) => `${pick(DIRS)}/${pick(STEMS)}${r() < 0.3 ? `_${pick(STEMS)}` : ''}.${ext}`;
  const lines = [];
  let ts = 1_767_000_000_000;
  let objects = 0;
  const clock = () => {
    const d = new Date(ts);
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
  };
  const push = (step, stream, text) => {
    ts += int(0, 40);
    lines.push({ step, stream, ts, text });
  };
  while (lines.length < count) {
    const step = lines.length < count * 0.05 ? 1 : lines.length < count * 0.7 ? 2 : lines.length < count * 0.95 ? 3 : 4;
    const roll = r();
    if (step === 1) {
      push(1, 'stdout', `-- Looking for ${pick(STEMS)}_${pick(IDENTS)} - ${r() < 0.8 ? 'found' : 'not found'}`);
    } else if (step === 2) {
      if (roll < 0.45) {
        const src = file('c');
        objects++;
        push(2, 'stdout', `[${String(Math.min(99, Math.floor((lines.length / count) * 140))).padStart(3)}%] Building C object CMakeFiles/helios.dir/${src}.o`);
        if (r() < 0.3) push(2, 'stdout', `/usr/bin/cc -DHAVE_CONFIG_H -I/build/src -I/build/include -O2 -g -Wall -Wextra -fPIC -o CMakeFiles/helios.dir/${src}.o -c /build/${src}`);
      } else if (roll < 0.65) {
        const src = file('c');
        const [msg, flag] = pick(WARNINGS);
        const id = pick(IDENTS);
        const line = int(10, 2400);
        const col = int(3, 40);
        push(2, 'stderr', `/build/${src}:${line}:${col}: warning: ${msg} '${id}' [${flag}]`);
        push(2, 'stderr', `  ${String(line).padStart(4)} |     ${pick(['int', 'size_t', 'char *', 'uint32_t'])} ${id} = ${pick(STEMS)}_${pick(['open', 'read', 'len', 'init', 'next'])}(${pick(IDENTS)}, ${pick(IDENTS)});`);
        push(2, 'stderr', `       |     ${' '.repeat(col % 12)}^~~~${'~'.repeat(col % 5)}`);
      } else if (roll < 0.85) {
        const [code, msg] = pick(TS_CODES);
        push(2, 'stdout', `${file('ts')}(${int(1, 900)},${int(1, 80)}): error ${code}: ${msg(pick(IDENTS))}`);
      } else {
        push(2, 'stdout', `[${clock()}] Linking CXX shared library lib${pick(STEMS)}.so (${objects} objects, ${int(100, 9000)} KiB)`);
      }
    } else if (step === 3) {
      if (roll < 0.8) push(3, 'stdout', `  ${r() < 0.97 ? '✓' : '✗'} ${pick(STEMS)}: ${pick(TESTS)} (${int(0, 250)} ms)`);
      else push(3, 'stdout', `[${clock()}] PASS test/${pick(STEMS)}/${pick(STEMS)}.test.js (${(r() * 4).toFixed(3)} s)`);
    } else {
      push(4, 'stdout', `  adding: usr/lib/helios/${file(pick(['so', 'js', 'json']))} (deflated ${int(20, 80)}%)`);
    }
  }
  return lines.slice(0, count);
}
