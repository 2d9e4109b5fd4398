// Policy choice (repository over label over default; untrusted always none) and the decisions on
// names and answers, including IPv6 and IPv4-mapped addresses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, matchAllow, parseAllowEntry, policyFor } from '../../src/egress/egressPolicy.js';
import { decideAddresses, decideByName } from '../../src/egress/egressDecision.js';
import type { EgressGrant } from '../../src/egress/egressGrants.js';
import { specialRangeOf } from '../../src/egress/addressRanges.js';

const config = {
  default: 'none' as const,
  repositories: { 'acme/widgets': { allow: ['crates.io:443', '*.npmjs.org', '10.9.8.7:8080'], allowPrivate: ['192.168.5.0/24'] } },
  labels: { big: 'any' as const },
  hosts: {},
};

const grant = (policy = policyFor(config, { repo: 'acme/widgets', label: 'big', trusted: true })): EgressGrant => ({ jobId: 'j', user: 'job-j', policy, implicit: [{ host: 'git.lan', port: 3000 }], report: () => {} });

test('repository beats label beats default; untrusted runs get none; no default means any', () => {
  assert.is(policyFor(config, { repo: 'acme/widgets', label: 'big', trusted: true }).source, 'egress.repositories."acme/widgets"');
  assert.is(policyFor(config, { repo: 'acme/other', label: 'big', trusted: true }).kind, 'any');
  assert.is(policyFor(config, { repo: 'acme/other', label: 'small', trusted: true }).kind, 'none');
  assert.is(policyFor(config, { repo: 'acme/widgets', label: 'big', trusted: false }).kind, 'none');
  assert.is(policyFor({ repositories: {}, labels: {}, hosts: {} }, { repo: 'a/b', label: 'x', trusted: true }).kind, 'any');
});

test('allow entries: exact names, subdomain wildcards (not the bare domain), ports, IP literals', () => {
  const entries = ['crates.io:443', '*.npmjs.org', 'h:*', '10.9.8.7:8080', '[fd00::1]:80'].map(parseAllowEntry);
  assert.ok(matchAllow(entries, 'crates.io', 443));
  assert.not.ok(matchAllow(entries, 'crates.io', 80));
  assert.ok(matchAllow(entries, 'registry.npmjs.org', 80));
  assert.ok(matchAllow(entries, 'REGISTRY.npmjs.org.', 443));
  assert.not.ok(matchAllow(entries, 'npmjs.org', 443));
  assert.not.ok(matchAllow(entries, 'evilnpmjs.org', 443));
  assert.ok(matchAllow(entries, 'h', 22));
  assert.is(matchAllow(entries, '10.9.8.7', 8080)?.literal, true);
  assert.is(matchAllow(entries, 'fd00::1', 80)?.literal, true);
});

test('answers: private ranges refused through a name, allowed by allowPrivate, by an IP entry or for the clone origin', () => {
  const g = grant();
  assert.equal(decideByName(g, 'crates.io', 443), { ok: true, explicitAddress: false });
  const metadata = decideAddresses(g, 'crates.io', ['169.254.169.254'], false);
  assert.ok(!metadata.ok && /169\.254\.0\.0\/16 \(link-local\)/.test(metadata.reason));
  const mixed = decideAddresses(g, 'crates.io', ['151.101.1.1', '10.0.0.1'], false);
  assert.ok(!mixed.ok && /10\.0\.0\.1, in 10\.0\.0\.0\/8 \(private\)/.test(mixed.reason), 'one private answer is enough to refuse');
  assert.ok(decideAddresses(g, 'crates.io', ['192.168.5.20'], false).ok);
  assert.ok(!decideAddresses(g, 'crates.io', ['::ffff:192.168.6.1'], false).ok);
  assert.ok(!decideAddresses(g, 'crates.io', ['fe80::1'], false).ok);
  assert.ok(decideAddresses(g, 'crates.io', ['2a04:4e42::396', '151.101.1.1'], false).ok);
  const literal = decideByName(g, '10.9.8.7', 8080);
  assert.ok(literal.ok && literal.explicitAddress && decideAddresses(g, '10.9.8.7', ['10.9.8.7'], true).ok);
  const clone = decideByName(grant(compile('none', 'egress.default', 'acme/widgets')), 'git.lan', 3000);
  assert.ok(clone.ok && clone.explicitAddress, 'the clone origin is reachable under none');
  assert.is(specialRangeOf('100.64.1.1'), '100.64.0.0/10 (shared (CGNAT))');
  assert.is(specialRangeOf('8.8.8.8'), null);
});

test('none refuses with where to change it', () => {
  const r = decideByName(grant(compile('none', 'egress.labels.small', 'acme/widgets')), 'crates.io', 443);
  assert.ok(!r.ok);
  assert.is(r.reason, 'egress is none for acme/widgets (egress.labels.small); allow it in helios.yaml under egress.labels.small');
});

test.run();
