// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Every validation of the helpers, of the JSON rules they build (compiled by a transaction) and
 * of the typed model's compileRule(), with its exact message and error class.
 */
import assert from 'node:assert/strict';
import type { Family } from '../../lib/kernel';
import * as m from '../../lib/match';
import type { JStatement } from '../../lib/nft/schema';
import { compileRule } from '../../lib/rule';
import type { Statement } from '../../lib/rule/statement';
import { Transaction } from '../../lib/transaction';

/** A JSON rule of the helpers' statements, queued in a transaction (which compiles it). */
const json = (family: Family, expr: readonly JStatement[], comment?: string): unknown =>
  new Transaction(
    () => Promise.reject(new Error('dry run')),
    () => {
      throw new Error('dry run');
    },
  ).addRule({ family, table: 't', chain: 'c', expr, ...(comment !== undefined ? { comment } : {}) });

const compile = (family: Family, statements: readonly Statement[], comment?: string): unknown =>
  compileRule(
    { table: { family, name: 't' }, chain: 'c', statements, ...(comment !== undefined ? { comment } : {}) },
    { family, anonSet: () => ({ name: '__set%d', id: 1 }) },
  );

const CASES: [string, () => unknown, ErrorConstructor | RangeErrorConstructor, string][] = [
  ['iifname too long', () => m.iifname('a-very-long-interface'), RangeError, 'Expected an interface name of 1-15 bytes for iifname but received "a-very-long-interface"'],
  ['iifname not a string', () => compile('inet', [{ kind: 'match', field: 'iifname', value: 5 }]), TypeError, 'Expected an interface name of 1-15 bytes for iifname but received 5'],
  ['bad IPv4', () => m.ipSaddr('10.0.0.300'), TypeError, 'Expected an IPv4 address for ip saddr but received "10.0.0.300"'],
  ['host bits', () => m.saddr('10.0.0.1/8'), RangeError, 'Expected a CIDR without host bits set for ip saddr but received "10.0.0.1/8"'],
  ['prefix length', () => compile('inet', [{ kind: 'match', field: 'ip saddr', value: '10.0.0.0/33' }]), RangeError, 'Expected a prefix length of 1-32 for ip saddr but received "10.0.0.0/33"'],
  ['port range', () => m.tcpDport(70000), RangeError, 'Expected a port 0-65535 for tcp dport but received 70000'],
  ['reversed range', () => compile('inet', [{ kind: 'match', field: 'tcp dport', value: { range: [2000, 1000] } }]), RangeError, 'Expected a range whose start is not above its end for tcp dport but received {"range":[2000,1000]}'],
  ['unknown icmp type', () => m.icmpType('echo'), TypeError, 'Expected an ICMP type name or number 0-255 for icmp type but received "echo"'],
  ['ip6 field in ip table', () => json('ip', [m.saddr('::1')]), TypeError, "rule.expr[0].match.left.payload: conflicting protocols specified: ip vs. ip6"],
  ['ip then ip6 in inet', () => json('inet', [m.saddr('10.0.0.1'), m.daddr('::1')]), TypeError, "rule.expr[1].match.left.payload: conflicting protocols specified: ip vs. ip6"],
  ['tcp then udp', () => json('inet', [m.tcpDport(22), m.udpSport(53)]), TypeError, "rule.expr[1].match.left.payload: conflicting protocols specified: tcp vs. udp"],
  ['reject icmpv6 in ip', () => json('ip', [m.reject({ icmpv6: 'no-route' })]), TypeError, "rule.expr[0].reject.type: conflicting protocols specified: ip vs ip6 (reject with icmpv6 in an ip table)"],
  ['reject icmp in ip6', () => json('ip6', [m.reject({ icmp: 'host-unreachable' })]), TypeError, "rule.expr[0].reject.type: conflicting protocols specified: ip vs ip6 (reject with icmp in an ip6 table)"],
  ['reject icmpx in ip6', () => json('ip6', [m.reject({ icmpx: 'admin-prohibited' })]), TypeError, "rule.expr[0].reject.type: abstracted ICMP unreachable not supported (icmpx is for inet, bridge and netdev tables)"],
  ['bad icmp code', () => json('ip', [m.reject({ icmp: 'nope' })]), TypeError, "rule.expr[0].reject.expr: Expected one of net-unreachable, host-unreachable, prot-unreachable, port-unreachable, net-prohibited, host-prohibited, admin-prohibited, frag-needed or a number for a value of type icmp_code but received \"nope\""],
  ['ct state name', () => compile('inet', [{ kind: 'flags', field: 'ct state', values: ['open'] }]), TypeError, 'Expected one of invalid, established, related, new, untracked for ct state but received "open"'],
  ['nat port without l4', () => json('ip', [m.dnat({ addr: '10.0.0.1', port: 80 })]), TypeError, "rule.expr[0].dnat.port: transport protocol mapping is only valid after transport protocol match (tcp dport \u2026, meta l4proto \u2026)"],
  ['nat family mismatch', () => json('ip', [m.snat({ addr: 'fe80::1' })]), TypeError, "rule.expr[0].snat.family: conflicting protocols specified: ip vs. ip6. You must specify ip or ip6 family in nat statement"],
  ['limit rate', () => json('inet', [m.limit({ rate: 0, per: 'second' })]), RangeError, "rule.expr[0].limit.rate: expected a rate of at least 1 but received 0"],
  ['limit per', () => compile('inet', [{ kind: 'limit', rate: 1, per: 'fortnight' as 'week' }]), TypeError, 'Expected one of "second", "minute", "hour", "day", "week" for limit.per but received "fortnight"'],
  ['log group with level', () => json('inet', [m.log({ group: 1, level: 'info' })]), TypeError, "rule.expr[0].log: level and group are mutually exclusive (a log to an nflog group has no level)"],
  ['jump without chain', () => compile('inet', [{ kind: 'verdict', verdict: 'jump', chain: '' }]), RangeError, 'Expected a chain name of 1-255 bytes for jump but received ""'],
  ['unknown statement kind', () => compile('inet', [{ kind: 'teleport' } as unknown as Statement]), TypeError, 'Expected a statement kind for statements[0].kind but received "teleport"'],
  ['unknown field', () => compile('inet', [{ kind: 'match', field: 'ip tos' as 'ip ttl', value: 1 }]), TypeError, `Expected one of ${['ip saddr', 'ip daddr', 'ip protocol', 'ip ttl', 'ip6 saddr', 'ip6 daddr', 'ip6 nexthdr', 'ip6 hoplimit', 'tcp sport', 'tcp dport', 'udp sport', 'udp dport', 'th sport', 'th dport', 'icmp type', 'icmpv6 type', 'tcp option maxseg size', 'meta l4proto', 'meta nfproto', 'meta protocol', 'meta pkttype', 'meta mark', 'iif', 'oif', 'iifname', 'oifname', 'ct direction', 'ct mark'].map((f) => JSON.stringify(f)).join(', ')} for match.field but received "ip tos"`],
  ['lt on a set', () => compile('inet', [{ kind: 'match', field: 'tcp dport', op: '<', value: { set: [1, 2] } }]), TypeError, 'Expected == or != with a set for tcp dport operator but received "<"'],
  ['range of marks', () => compile('inet', [{ kind: 'match', field: 'meta mark', value: { range: [1, 2] } }]), TypeError, 'Expected a single value (ranges of host-order values are not supported) for meta mark but received {"range":[1,2]}'],
  ['fib saddr and daddr', () => compile('inet', [{ kind: 'fib', lookup: ['saddr', 'daddr'], result: 'oif', value: 'missing' }]), TypeError, 'Expected exactly one of saddr and daddr for fib.lookup but received ["saddr","daddr"]'],
  ['comment too long', () => json('inet', [m.accept()], 'x'.repeat(129)), RangeError, "rule.comment: expected at most 128 bytes but received 129"],
  ['setUpdate timeout', () => json('inet', [m.setUpdate('ps', 'ip saddr', { timeoutMs: 1.5 })]), TypeError, "Expected a positive whole number of milliseconds for setUpdate() timeoutMs but received 1.5"],
  ['quota bytes', () => compile('inet', [{ kind: 'quota', bytes: 10 as unknown as bigint }]), TypeError, 'Expected a bigint 0-2^64-1 for quota.bytes but received 10'],
  ['empty set', () => m.tcpDport([]), TypeError, 'Expected a non-empty array of set elements for tcp dport but received []'],
];

/** Rules the typed compiler refused and nft 1.0.6 accepts: the JSON model accepts them too. */
const ACCEPTED: [string, () => unknown][] = [
  ['icmpv6 in ip table', () => json('ip', [m.icmpv6Type('echo-request')])],
  ['nat inet no address', () => json('inet', [m.tcpDport(80), m.dnat({ port: 8080 })])],
  ['comment with quote', () => json('inet', [m.accept()], 'a"b')],
];

describe('rule validation messages', () => {
  for (const [name, fn, cls, message] of CASES) {
    it(`${name}: ${cls.name}`, () => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
        assert.equal((e as Error).message, message);
        return true;
      });
    });
  }
});

describe('rules nft accepts are accepted', () => {
  for (const [name, fn] of ACCEPTED) it(name, () => assert.doesNotThrow(fn));
});
