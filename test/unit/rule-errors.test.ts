// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Every validation of the helpers and of the JSON rules (compiled by a transaction), with its
 * exact message and error class. Where nft refuses a rule, the message says what nft says.
 */
import assert from 'node:assert/strict';
import type { Family } from '../../lib/kernel';
import * as m from '../../lib/match';
import type { JStatement } from '../../lib/nft/schema';
import { Transaction } from '../../lib/transaction';
import { buildDocument } from '../../lib/nft/build';
import type { NftDocument } from '../../lib/nft/schema';

/** A JSON rule of the helpers' statements, queued in a transaction (which compiles it). */
const json = (family: Family, expr: readonly JStatement[], comment?: string): unknown =>
  new Transaction(
    () => Promise.reject(new Error('dry run')),
    () => {
      throw new Error('dry run');
    },
  ).addRule({ family, table: 't', chain: 'c', expr, ...(comment !== undefined ? { comment } : {}) });

const tcpDport = { payload: { protocol: 'tcp', field: 'dport' } } as const;
/** A JSON rule of one `match` statement. */
const matching = (left: unknown, right: unknown, op = '=='): unknown => json('inet', [{ match: { op, left, right } } as unknown as JStatement]);
const stmt = (st: unknown): unknown => json('inet', [st as JStatement]);
/** The same statements in a document (commitJson's path): errors name the document's path. */
const inDocument = (st: unknown): unknown =>
  buildDocument({ nftables: [{ add: { table: { family: 'inet', name: 't' } } }, { add: { rule: { family: 'inet', table: 't', chain: 'c', expr: [st as JStatement] } } }] } as NftDocument, {}, { nextSetId: () => 1 });

const CASES: [string, () => unknown, ErrorConstructor | RangeErrorConstructor, string][] = [
  ['iifname too long', () => m.iifname('a-very-long-interface'), RangeError, 'Expected an interface name of 1-15 bytes for iifname but received "a-very-long-interface"'],
  ['iifname not a string', () => matching({ meta: { key: 'iifname' } }, 5), TypeError, 'rule.expr[0].match.right: Expected a string for a value of type ifname but received 5'],
  ['bad IPv4', () => m.ipSaddr('10.0.0.300'), TypeError, 'Expected an IPv4 address for ip saddr but received "10.0.0.300"'],
  ['host bits', () => m.saddr('10.0.0.1/8'), RangeError, 'Expected a CIDR without host bits set for ip saddr but received "10.0.0.1/8"'],
  ['prefix length', () => matching({ payload: { protocol: 'ip', field: 'saddr' } }, { prefix: { addr: '10.0.0.0', len: 33 } }), TypeError, 'rule.expr[0].match.right.prefix.len: expected a prefix length 0-32 but received 33'],
  ['port range', () => m.tcpDport(70000), RangeError, 'Expected a port 0-65535 for tcp dport but received 70000'],
  ['reversed range', () => matching(tcpDport, { range: [2000, 1000] }), RangeError, 'rule.expr[0].match.right.range: range has zero or negative size (2000 is above 1000)'],
  ['reversed range in a set', () => matching(tcpDport, { set: [1, { range: [30, 22] }] }), RangeError, 'Expected a range whose start is not above its end for rule.expr[0].match.right.set[1] but received {"range":[30,22]}'],
  ['unknown icmp type', () => m.icmpType('echo'), TypeError, 'Expected an ICMP type name or number 0-255 for icmp type but received "echo"'],
  ['ip6 field in ip table', () => json('ip', [m.saddr('::1')]), TypeError, "rule.expr[0].match.left.payload: conflicting protocols specified: ip vs. ip6"],
  ['ip then ip6 in inet', () => json('inet', [m.saddr('10.0.0.1'), m.daddr('::1')]), TypeError, "rule.expr[1].match.left.payload: conflicting protocols specified: ip vs. ip6"],
  ['tcp then udp', () => json('inet', [m.tcpDport(22), m.udpSport(53)]), TypeError, "rule.expr[1].match.left.payload: conflicting protocols specified: tcp vs. udp"],
  ['reject icmpv6 in ip', () => json('ip', [m.reject({ icmpv6: 'no-route' })]), TypeError, "rule.expr[0].reject.type: conflicting protocols specified: ip vs ip6 (reject with icmpv6 in an ip table)"],
  ['reject icmp in ip6', () => json('ip6', [m.reject({ icmp: 'host-unreachable' })]), TypeError, "rule.expr[0].reject.type: conflicting protocols specified: ip vs ip6 (reject with icmp in an ip6 table)"],
  ['reject icmpx in ip6', () => json('ip6', [m.reject({ icmpx: 'admin-prohibited' })]), TypeError, "rule.expr[0].reject.type: abstracted ICMP unreachable not supported (icmpx is for inet, bridge and netdev tables)"],
  ['bad icmp code', () => json('ip', [m.reject({ icmp: 'nope' })]), TypeError, "rule.expr[0].reject.expr: Expected one of net-unreachable, host-unreachable, prot-unreachable, port-unreachable, net-prohibited, host-prohibited, admin-prohibited, frag-needed or a number for a value of type icmp_code but received \"nope\""],
  ['ct state name', () => matching({ ct: { key: 'state' } }, 'open', 'in'), TypeError, 'rule.expr[0].match.right: Expected flags (invalid, new, established, related, untracked) or a number for a value of type ct_state but received "open"'],
  ['nat port without l4', () => json('ip', [m.dnat({ addr: '10.0.0.1', port: 80 })]), TypeError, "rule.expr[0].dnat.port: transport protocol mapping is only valid after transport protocol match (tcp dport \u2026, meta l4proto \u2026)"],
  ['nat family mismatch', () => json('ip', [m.snat({ addr: 'fe80::1' })]), TypeError, "rule.expr[0].snat.family: conflicting protocols specified: ip vs. ip6. You must specify ip or ip6 family in nat statement"],
  ['limit rate', () => json('inet', [m.limit({ rate: 0, per: 'second' })]), RangeError, "rule.expr[0].limit.rate: expected a rate of at least 1 but received 0"],
  ['limit per', () => stmt({ limit: { rate: 1, per: 'fortnight' } }), TypeError, 'rule.expr[0].limit.per: expected one of second, minute, hour, day, week but received "fortnight"'],
  ['log group with level', () => json('inet', [m.log({ group: 1, level: 'info' })]), TypeError, "rule.expr[0].log: level and group are mutually exclusive (a log to an nflog group has no level)"],
  ['jump without chain', () => stmt({ jump: { target: '' } }), TypeError, 'Expected a name of 1-255 bytes without NUL for rule.expr[0].jump.target but received ""'],
  ['reversed range, in a document', () => inDocument({ match: { op: '==', left: tcpDport, right: { range: [2000, 1000] } } }), RangeError, 'nftables[1].add.rule.expr[0].match.right.range: range has zero or negative size (2000 is above 1000)'],
  ['reversed range in a set, in a document', () => inDocument({ match: { op: '==', left: tcpDport, right: { set: [1, { range: [30, 22] }] } } }), RangeError, 'Expected a range whose start is not above its end for nftables[1].add.rule.expr[0].match.right.set[1] but received {"range":[30,22]}'],
  ['unknown statement kind', () => stmt({ teleport: null }), TypeError, 'Expected a statement kind (accept, drop, continue, return, jump, goto, match, counter, mangle, quota, limit, last, flow, fwd, notrack, dup, snat, dnat, masquerade, redirect, reject, set, map, log, ct helper, ct timeout, ct expectation, secmark, meter, queue, vmap, ct count, tproxy, synproxy, reset, xt, raw) for rule.expr[0] key but received "teleport"'],
  ['unknown field', () => matching({ payload: { protocol: 'ip', field: 'tos' } }, 1), TypeError, 'rule.expr[0].match.left.payload: unknown payload field ip tos'],
  ['lt on a set', () => matching(tcpDport, { set: [1, 2] }, '<'), TypeError, 'rule.expr[0].match.op: relational expression (<) is undefined for set expressions'],
  ['lt on a named set', () => matching(tcpDport, '@ports', '<'), TypeError, 'rule.expr[0].match.op: relational expression (<) is undefined for set expressions'],
  ['fib saddr and daddr', () => matching({ fib: { result: 'oif', flags: ['saddr', 'daddr'] } }, false), TypeError, 'rule.expr[0].match.left.fib.flags: fib: saddr and daddr are mutually exclusive'],
  ['fib without an address', () => matching({ fib: { result: 'oif', flags: ['mark'] } }, false), TypeError, 'rule.expr[0].match.left.fib.flags: fib: need either saddr or daddr'],
  ['comment too long', () => json('inet', [m.accept()], 'x'.repeat(129)), RangeError, "rule.comment: expected at most 128 bytes but received 129"],
  ['setUpdate timeout', () => json('inet', [m.setUpdate('ps', 'ip saddr', { timeoutMs: 1.5 })]), TypeError, "Expected a positive whole number of milliseconds for setUpdate() timeoutMs but received 1.5"],
  ['quota bytes', () => stmt({ quota: { val: 'x', val_unit: 'bytes' } }), TypeError, 'rule.expr[0].quota.val: expected a non-negative integer but received "x"'],
  ['empty set', () => m.tcpDport([]), TypeError, 'Expected a non-empty array of set elements for tcp dport but received []'],
];

/** Rules the typed compiler refused and nft 1.0.6 accepts: the JSON model accepts them too. */
const ACCEPTED: [string, () => unknown][] = [
  ['icmpv6 in ip table', () => json('ip', [m.icmpv6Type('echo-request')])],
  ['nat inet no address', () => json('inet', [m.tcpDport(80), m.dnat({ port: 8080 })])],
  ['comment with quote', () => json('inet', [m.accept()], 'a"b')],
  ['a range of one value', () => json('inet', [{ match: { op: '==', left: tcpDport, right: { range: [22, 22] } } }])],
  ['a range of marks', () => json('inet', [{ match: { op: '==', left: { meta: { key: 'mark' } }, right: { range: [1, 2] } } }])],
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
