/**
 * The part of ipf the simulator models: outbound TCP (`out`: what the guest sends, as viona names
 * it) against the rule forms runtime-bhyve writes — `block out all`, `pass out all`, and
 * `pass|block out [quick] proto tcp from any to A[/M] [port = P] [flags ...] [keep state]`. ipf's
 * order: the last matching rule decides, a matching `quick` rule decides at once; nothing matching passes.
 * `in` rules and the other keywords (log, count, ...) load but do not take part.
 */
export interface OutDecision {
  allowed: boolean;
  /** The deciding rule, or null (no rule matched: ipf passes). */
  rule: string | null;
}

const OUT_RULE = /^(pass|block)\s+out\s+(quick\s+)?(?:all|(?:proto\s+tcp\s+)?from\s+any\s+to\s+(any|\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?)(?:\s+port\s*=\s*(\d{1,5}))?)(?:\s+flags\s+\S+)?(?:\s+keep\s+state)?$/;

/** The rules of an ipf.conf: comments and blank lines removed. */
export function ipfRuleLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function ipv4(text: string): number | null {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inNet(host: number, net: string): boolean {
  if (net === 'any') return true;
  const [addr, bits] = net.split('/');
  const base = ipv4(addr!);
  const prefix = bits === undefined ? 32 : Number(bits);
  if (base === null || prefix > 32) return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((host & mask) >>> 0) === ((base & mask) >>> 0);
}

/** Whether the rules let the guest open TCP to `host:port` (`host` an IPv4 address; a name never matches an address rule). */
export function decideOut(rules: readonly string[], host: string, port: number): OutDecision {
  const address = ipv4(host);
  let decision: OutDecision = { allowed: true, rule: null };
  for (const rule of rules) {
    const m = OUT_RULE.exec(rule);
    if (!m) continue;
    const [, action, quick, net, rulePort] = m;
    const all = net === undefined;
    const matches = all || (address !== null && inNet(address, net!) && (rulePort === undefined || Number(rulePort) === port));
    if (!matches) continue;
    decision = { allowed: action === 'pass', rule };
    if (quick) break;
  }
  return decision;
}
