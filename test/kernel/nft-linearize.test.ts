// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The linearizer oracle: for each case, nft 1.0.6 loads the rule as text in a private netns,
 * `nft -j list ruleset` gives the JSON rule that nft itself produces, and linearizeRule() of that
 * JSON must deep-equal the kernel's expression list of the rule (read back through the package's
 * raw dump) — normalisations in test/helpers/linearize-oracle.ts. Anonymous sets must carry the
 * flags and key type nft gave them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Nftables } from '../../lib';
import { NFPROTO } from '../../lib/kernel';
import { linearizeRule } from '../../lib/nft/linearize';
import type { JRule, JStatement } from '../../lib/nft/schema';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expr } from '../../lib/expr/registry';
import { CASES, DEBUG_CASES, HAND_CASES, type LinCase } from '../fixtures/linearize/cases';
import { assertPrivateNetns } from '../helpers/netns';
import {
  compareListing,
  describe2,
  firstDifference,
  listingContext,
  netlinkWords,
  nftJsonListing,
  nftJsonReference,
  normaliseKernel,
  normaliseOurs,
  useNetnsInterfaces,
} from '../helpers/linearize-oracle';

assertPrivateNetns();

function tableText(c: LinCase): string {
  const lines = [`table ${c.family} t {`];
  if (c.preamble) lines.push(...c.preamble.split('\n').map((l) => `  ${l}`));
  lines.push('  chain c {');
  if (c.chain) lines.push(`    ${c.chain}`);
  lines.push(`    ${c.rule}`, '  }', '}', '');
  return lines.join('\n');
}

const nftRun = (args: string[], input?: string): string =>
  execFileSync('nft', args, { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });

describe('linearizeRule: JSON rules compile to the expressions nft 1.0.6 sends', () => {
  let nft: Nftables;
  before(async () => {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    nft = await Nftables.open();
    useNetnsInterfaces();
  });
  after(async () => {
    await nft?.close();
  });

  for (const c of CASES) {
    it(`${c.family}: ${c.rule}`, async () => {
      nftRun(['flush', 'ruleset']);
      const listing = nftJsonReference(() => nftRun(['-f', '-'], tableText(c)));
      const rules = listing.rules.filter((r) => r.chain === 'c');
      assert.equal(rules.length, 1, 'nft lists the rule');
      const results = await compareListing(nft, { rules, sets: listing.sets });
      const r = results[0]!.result;
      assert.ok(r.ok, `${r.reason}\n json: ${JSON.stringify(rules[0]!.expr)}\n ours:   ${describe2(r.ours)}\n kernel: ${describe2(r.kernel)}\n anon: ${describe2(r.anon)}`);
      // the comment travels as nft's userdata TLV
      if (rules[0]!.comment !== undefined) {
        const d = await nft.dump({ what: 'rules', family: NFPROTO[c.family], table: 't', chain: 'c' });
        const ours = linearizeRule(rules[0]!, listingContext(c.family, 't', listing.sets));
        assert.deepEqual(ours.userdata, d.what === 'rules' ? d.items[0]?.userdata : undefined);
      }
    });
  }
});

describe('linearizeRule: statements nft 1.0.6 only prints as text, from their JSON form', () => {
  let nft: Nftables;
  before(async () => {
    nft = await Nftables.open();
  });
  after(async () => {
    await nft?.close();
  });
  for (const c of HAND_CASES) {
    it(`${c.family}: ${c.rule}`, async () => {
      nftRun(['flush', 'ruleset']);
      nftRun(['-f', '-'], tableText(c));
      const listing = nftJsonListing();
      const d = await nft.dump({ what: 'rules', family: NFPROTO[c.family], table: 't', chain: 'c' });
      const kernel = d.what === 'rules' ? d.items[0]?.exprs : undefined;
      assert.ok(kernel, 'the kernel holds the rule');
      const rule: JRule = { family: c.family, table: 't', chain: 'c', expr: c.json as JStatement[] };
      const ctx = listingContext(c.family, 't', listing.sets);
      const ours = linearizeRule(rule, ctx).exprs;
      const a = normaliseOurs(ours);
      // a bound chain's statements are handed to ctx.bindChain as they are
      for (const s of c.json) {
        const bound = (Object.values(s as object)[0] as { rules?: unknown } | null)?.rules;
        if (bound !== undefined) assert.deepEqual(ctx.bound, bound);
      }
      const b = normaliseKernel(kernel);
      assert.equal(firstDifference(a, b), undefined, `ours:   ${describe2(a)}\nkernel: ${describe2(b)}`);
    });
  }
});

/** libnftnl's debug text (`nft --debug=netlink`) of the expressions the DEBUG_CASES use. */
function debugLine(e: Expr): string {
  const x = e as unknown as Record<string, unknown>;
  const reg = (r: unknown): number => Number(r);

  const META: Record<number, string> = { 16: 'l4proto', 15: 'nfproto', 3: 'mark' };
  const CMP = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];
  const qflags = (f: unknown): string => `${Number(f) & 1 ? ' bypass' : ''}${Number(f) & 2 ? ' fanout' : ''}`;
  switch (x.type) {
    case 'meta':
      return `[ meta load ${META[Number(x.key)] ?? x.key} => reg ${reg(x.dreg)} ]`;
    case 'cmp':
      return `[ cmp ${CMP[Number(x.op)]} reg ${reg(x.sreg)} ${netlinkWords(x.data as Uint8Array)} ]`;
    case 'numgen':
      return `[ numgen reg ${reg(x.dreg)} = ${x.numgenType === 1 ? 'random' : 'inc'} mod ${Number(x.modulus)}${x.offset ? ` offset ${Number(x.offset)}` : ''} ]`;
    case 'queue':
      if (x.sregQnum !== undefined) return `[ queue sreg_qnum ${reg(x.sregQnum)}${qflags(x.flags)} ]`;
      return `[ queue num ${Number(x.num)}${Number(x.total) > 1 ? `-${Number(x.num) + Number(x.total) - 1}` : ''}${qflags(x.flags)} ]`;
    case 'objref':
      return `[ objref type ${Number(x.immType)} name ${String(x.immName)} ]`;
    default:
      throw new Error(`no debug printer for ${String(x.type)}`);
  }
}

describe('linearizeRule: rules this kernel cannot commit, against nft --debug=netlink -c', () => {
  for (const c of DEBUG_CASES) {
    it(`${c.family}: ${JSON.stringify(c.json)}`, () => {
      const doc = {
        nftables: [
          { add: { table: { family: c.family, name: 't' } } },
          { add: { chain: { family: c.family, table: 't', name: 'c' } } },
          ...(c.objects ?? []).map((o) => ({ add: o })),
          { add: { rule: { family: c.family, table: 't', chain: 'c', expr: c.json } } },
        ],
      };
      const dir = mkdtempSync(join(tmpdir(), 'nftjs-lin-'));
      let out: string;
      try {
        writeFileSync(join(dir, 'r.json'), JSON.stringify(doc));
        // the kernel refuses the rule (ENOENT): the bytecode nft sent is printed all the same
        try {
          out = execFileSync('nft', ['--debug=netlink', '-c', '-j', '-f', join(dir, 'r.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (err) {
          out = String((err as { stdout?: string }).stdout ?? '');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const block = out.split(`${c.family} t c\n`)[1];
      assert.ok(block, `nft printed the rule's bytecode:\n${out}`);
      const expected = block.split('\n').filter((l) => l.startsWith('  [')).map((l) => l.trim());
      const rule: JRule = { family: c.family, table: 't', chain: 'c', expr: c.json as JStatement[] };
      const got = linearizeRule(rule, listingContext(c.family, 't', [])).exprs.map(debugLine);
      assert.deepEqual(got, expected);
    });
  }
});

describe('linearizeRule: bad input throws naming the JSON path', () => {
  const ctx = listingContext('ip', 't', [{ family: 'ip', table: 't', name: 's', type: 'ipv4_addr' }]);
  const rule = (...expr: unknown[]): JRule => ({ family: 'ip', table: 't', chain: 'c', expr: expr as JStatement[] });
  const cases: [string, JRule, RegExp, ErrorConstructor | RangeErrorConstructor][] = [
    ['unknown statement', rule({ frobnicate: null }), /rule\.expr\[0\]: unknown statement "frobnicate"/, TypeError],
    ['unknown payload field', rule({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'nope' } }, right: 1 } }), /rule\.expr\[0\]\.match\.left\.payload: unknown payload field tcp nope/, TypeError],
    ['unknown meta key', rule({ match: { op: '==', left: { meta: { key: 'nope' } }, right: 1 } }), /rule\.expr\[0\]\.match\.left\.meta\.key: unknown meta key "nope"/, TypeError],
    ['wrong value type', rule({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: 'not-an-address' } }), /IPv4 address/, TypeError],
    ['value out of range', rule({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 70000 } }), /tcp|inet_service|70000/, RangeError],
    ['set not found', rule({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@missing' } }), /rule\.expr\[0\]\.match\.right: set "missing" not found in table t/, RangeError],
    ['bad operator', rule({ match: { op: '=~', left: { meta: { key: 'mark' } }, right: 1 } }), /rule\.expr\[0\]\.match\.op: expected a relational operator/, TypeError],
    ['text statement', rule('jump {\n accept\n}'), /rule\.expr\[0\]: nft printed this statement as text/, TypeError],
    ['flow offload without @', rule({ flow: { op: 'add', flowtable: 'ft' } }), /rule\.expr\[0\]\.flow\.flowtable: expected a flowtable reference "@name"/, TypeError],
    ['xt', rule({ xt: { type: 'match', name: 'conntrack' } }), /rule\.expr\[0\]\.xt/, TypeError],
    ['ipsec without a direction', rule({ match: { op: '==', left: { ipsec: { key: 'reqid', spnum: 0 } }, right: 1 } }), /rule\.expr\[0\]\.match\.left\.ipsec\.dir: expected "in" or "out"/, TypeError],
    ['bad log level', rule({ log: { level: 'loud' } }), /rule\.expr\[0\]\.log\.level: expected a log level/, TypeError],
    ['bad verdict target', rule({ jump: { target: 5 } }), /rule\.expr\[0\]\.jump\.target: expected a chain name/, TypeError],
    ['not an array', { family: 'ip', table: 't', chain: 'c' } as JRule, /rule\.expr: expected an array of statements/, TypeError],
    ['bad prefix length', rule({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 33 } } } }), /rule\.expr\[0\]\.match\.right\.prefix\.len: expected a prefix length 0-32/, TypeError],
    ['range with <', rule({ match: { op: '<', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [1, 2] } } }), /rule\.expr\[0\]\.match\.op: a range can only be compared with == or !=/, TypeError],
    ['set is not a map', rule({ vmap: { key: { payload: { protocol: 'ip', field: 'saddr' } }, data: '@s' } }), /rule\.expr\[0\]\.vmap: @s is a set, not a map/, TypeError],
    ['nat address in inet without family', { family: 'inet', table: 't', chain: 'c', expr: [{ snat: { addr: '1.2.3.4' } }] } as JRule, /rule\.expr\[0\]\.snat\.family: required in inet tables/, TypeError],
    ['conflicting protocols', rule({ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: '::1' } }), /conflicting protocols specified: ip vs\. ip6/, TypeError],
    // nft's evaluation refuses these (nft 1.0.6 -f prints the same reason); the kernel would take most
    ['icmpx reject in an ip table', rule({ reject: { type: 'icmpx', expr: 'admin-prohibited' } }), /rule\.expr\[0\]\.reject\.type: abstracted ICMP unreachable not supported/, TypeError],
    ['icmpv6 reject in an ip table', rule({ reject: { type: 'icmpv6', expr: 'admin-prohibited' } }), /rule\.expr\[0\]\.reject\.type: conflicting protocols specified: ip vs ip6/, TypeError],
    ['icmp reject in an ip6 table', { family: 'ip6', table: 't', chain: 'c', expr: [{ reject: { type: 'icmp', expr: 'host-prohibited' } }] } as JRule, /reject\.type: conflicting protocols specified: ip vs ip6/, TypeError],
    ['nat port without a transport match', rule({ snat: { addr: '1.2.3.4', port: 80 } }), /rule\.expr\[0\]\.snat\.port: transport protocol mapping is only valid after transport protocol match/, TypeError],
    ['masquerade port without a transport match', rule({ masquerade: { port: 80 } }), /rule\.expr\[0\]\.masquerade\.port: transport protocol mapping/, TypeError],
    ['redirect port after a th match only', rule({ match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: 53 } }, { redirect: { port: 80 } }), /rule\.expr\[1\]\.redirect\.port: transport protocol mapping/, TypeError],
    ['redirect port after l4proto !=', rule({ match: { op: '!=', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { redirect: { port: 80 } }), /rule\.expr\[1\]\.redirect\.port: transport protocol mapping/, TypeError],
    [
      'nat map to address . port keyed without a transport field',
      rule({ dnat: { addr: { map: { key: { payload: { protocol: 'ip', field: 'daddr' } }, data: { set: [['1.2.3.4', { concat: ['5.6.7.8', 8080] }]] } } } } }),
      /rule\.expr\[0\]\.dnat\.addr: transport protocol mapping/,
      TypeError,
    ],
    [
      'nat family that contradicts an earlier match',
      { family: 'inet', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: '::1' } }, { dnat: { family: 'ip', addr: '1.2.3.4' } }] } as JRule,
      /rule\.expr\[1\]\.dnat\.family: conflicting protocols specified: ip6 vs\. ip/,
      TypeError,
    ],
    ['meta nfproto outside inet', rule({ match: { op: '==', left: { meta: { key: 'nfproto' } }, right: 'ipv6' } }), /rule\.expr\[0\]\.match\.left\.meta: meta nfproto is only useful in the inet family/, TypeError],
    ['long comment', { ...rule({ accept: null }), comment: 'x'.repeat(200) }, /rule\.comment: expected at most 128 bytes but received 200/, RangeError],
  ];
  for (const [name, r, re, cls] of cases) {
    it(name, () => {
      const c = r.family === 'ip' ? ctx : listingContext(r.family, 't', []);
      assert.throws(() => linearizeRule(r, c), (err: Error) => {
        assert.ok(err instanceof cls, `${err.constructor.name}: ${err.message}`);
        assert.match(err.message, re);
        return true;
      });
    });
  }
});
