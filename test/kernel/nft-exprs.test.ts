// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Expressions added to the registry (xfrm/ipsec, flow_offload) and the expressions that used to
 * be lost inside concatenations (ipsec, osf, raw payloads, vlan id, integer keys). Two oracles:
 * - bytecode: nft 1.0.6 loads the rule as text with `nft --debug=netlink` and prints the
 *   expressions it sends; linearizeRule() of the JSON rule nft lists must print the same lines
 *   (libnftnl's debug format). For rules this kernel cannot commit (flow offload: no flowtable
 *   support here) the bytecode is read from `nft --debug=netlink -c -j -f` of the JSON rule;
 * - listing: the package's listing, projected to nft 1.0.6's JSON, deep-equals `nft -j list
 *   ruleset`, its render equals `nft list ruleset` (rules), and committing the listing back
 *   through the package reproduces `nft list ruleset`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nftables } from '../../lib';
import { NFPROTO } from '../../lib/kernel';
import type { Expr } from '../../lib/expr/registry';
import type { Family } from '../../lib/kernel';
import { linearizeRule } from '../../lib/nft/linearize';
import { renderDocument, toJsonText } from '../../lib/nft/index';
import type { JRule, JStatement } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';
import { listingContext, netlinkWords, nftJsonListing, useNetnsInterfaces } from '../helpers/linearize-oracle';

assertPrivateNetns();

interface ExprCase {
  readonly family: Family;
  readonly rule: string;
  /** Sets and maps declared before the chain. */
  readonly preamble?: string;
  readonly chain?: string;
}

const CASES: readonly ExprCase[] = [
  // xfrm (ipsec): host-endian reqid, big-endian spi and addresses, spnum, both directions
  { family: 'ip', rule: 'ipsec in reqid 1 accept' },
  { family: 'ip', rule: 'ipsec out spnum 2 spi 0x100 drop' },
  { family: 'ip', rule: 'ipsec in ip saddr 1.2.3.4 counter' },
  { family: 'inet', rule: 'ipsec out ip6 daddr ::1 drop' },
  { family: 'inet', rule: 'ipsec in reqid { 1, 7 } accept' },
  // ipsec, integer keys and meta inside concatenations (vmap_unary, typeof_maps_0, typeof_sets_0)
  { family: 'ip', preamble: 'map m { typeof ipsec in reqid . iif : verdict; flags interval; }', rule: 'ipsec in reqid . iif vmap @m' },
  { family: 'inet', preamble: 'map m5 { typeof ipsec in reqid . iifname : verdict; }', rule: 'ipsec in reqid . iifname vmap @m5' },
  { family: 'inet', preamble: 'set s { typeof meta iifname . ip saddr . ipsec in reqid; }', rule: 'iifname . ip saddr . ipsec in reqid @s accept' },
  // osf in a map lookup (typeof_maps_0)
  { family: 'inet', preamble: 'map m1 { typeof osf name : ct mark; }', rule: 'ct mark set osf name map @m1' },
  // raw payloads inside concatenations (typeof_raw_0, typeof_integer_0, merge_vmap_raw)
  { family: 'ip', preamble: 'map m { typeof ip saddr . @ih,32,32 : verdict; }', rule: 'ip saddr . @ih,32,32 vmap @m' },
  { family: 'ip', preamble: 'set s { typeof ip daddr . @ih,32,32; }', rule: 'ip daddr . @ih,32,32 @s accept' },
  { family: 'ip', preamble: 'map m { typeof udp length . @ih,32,32 : verdict; }', rule: 'udp length . @ih,32,32 vmap @m' },
  // vlan id inside concatenations (0070stacked_l2_headers)
  { family: 'netdev', chain: 'type filter hook ingress device "lo" priority 0;', preamble: 'set macset { typeof ether saddr . vlan id; size 1024; }', rule: 'ether saddr . vlan id @macset' },
  { family: 'netdev', chain: 'type filter hook ingress device "lo" priority 0;', preamble: 'set ipset { typeof vlan id . ip saddr; size 1024; }', rule: 'vlan id . ip saddr @ipset counter' },
];

function tableText(c: ExprCase): string {
  const lines = [`table ${c.family} t {`];
  if (c.preamble) lines.push(`  ${c.preamble}`);
  lines.push('  chain c {');
  if (c.chain) lines.push(`    ${c.chain}`);
  lines.push(`    ${c.rule}`, '  }', '}', '');
  return lines.join('\n');
}

const nft = (args: string[], input?: string): string =>
  execFileSync('nft', args, { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 26 });

/** The expression lines nft --debug=netlink printed for chain `t c` (the first rule of it). */
function debugBlock(out: string, family: Family): string[] {
  const block = out.split(`${family} t c\n`)[1];
  assert.ok(block !== undefined, `nft printed the rule's bytecode:\n${out}`);
  const lines: string[] = [];
  for (const l of block.split('\n')) {
    if (!l.startsWith('  [')) break;
    lines.push(l.trim());
  }
  return lines;
}



/** libnftnl's debug text (src/expr/*.c snprintf) of the expressions these cases use. */
function debugLine(e: Expr): string {
  const x = e as unknown as Record<string, unknown>;
  const n = (v: unknown): number => Number(v);
  const META: Record<number, string> = { 1: 'protocol', 3: 'mark', 4: 'iif', 6: 'iifname', 8: 'iiftype', 15: 'nfproto', 16: 'l4proto' };
  const CMP = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];
  const BASE = ['link', 'network', 'transport', 'inner'];
  const XFRM_KEY = ['unspec', 'daddr4', 'daddr6', 'saddr4', 'saddr6', 'reqid', 'spi'];
  switch (x.type) {
    case 'meta':
      return `[ meta load ${META[n(x.key)] ?? n(x.key)} => reg ${n(x.dreg)} ]`;
    case 'cmp':
      return `[ cmp ${CMP[n(x.op)]} reg ${n(x.sreg)} ${netlinkWords(x.data as Uint8Array)} ]`;
    case 'payload':
      return `[ payload load ${n(x.len)}b @ ${BASE[n(x.base)]} header + ${n(x.offset)} => reg ${n(x.dreg)} ]`;
    case 'xfrm':
      return `[ xfrm load ${x.dir === 0 ? 'in' : 'out'} ${n(x.spnum ?? 0)} ${XFRM_KEY[n(x.key)]} => reg ${n(x.dreg)} ]`;
    case 'osf':
      return `[ osf dreg ${n(x.dreg)} ]`;
    case 'byteorder':
      return `[ byteorder reg ${n(x.dreg)} = ${n(x.op) === 1 ? 'hton' : 'ntoh'}(reg ${n(x.sreg)}, ${n(x.size)}, ${n(x.len)}) ]`;
    case 'lookup':
      // nft leaves NFTA_LOOKUP_FLAGS out when 0, the package sends 0: the same lookup
      return `[ lookup reg ${n(x.sreg)} set ${String(x.set)}${x.dreg !== undefined ? ` dreg ${n(x.dreg)}` : ''}${n(x.flags ?? 0) ? ` 0x${n(x.flags).toString(16)}` : ''} ]`;
    case 'bitwise':
      return `[ bitwise reg ${n(x.dreg)} = ( reg ${n(x.sreg)} & ${netlinkWords(x.mask as Uint8Array)} ) ^ ${netlinkWords(x.xor as Uint8Array)} ]`;
    case 'immediate':
      if (x.verdict !== undefined) return `[ immediate reg 0 ${({ 1: 'accept', 0: 'drop' } as Record<number, string>)[n(x.verdict)] ?? n(x.verdict)} ]`;
      return `[ immediate reg ${n(x.dreg)} ${netlinkWords(x.data as Uint8Array)} ]`;
    case 'counter':
      return `[ counter pkts ${String(x.packets ?? 0n)} bytes ${String(x.bytes ?? 0n)} ]`;
    case 'ct':
      return `[ ct set ${({ 3: 'mark' } as Record<number, string>)[n(x.key)] ?? n(x.key)} with reg ${n(x.sreg)} ]`;
    case 'match':
    case 'target':
      return `[ ${String(x.type)} name ${String(x.name)} rev ${n(x.rev)} ]`;
    case 'flow_offload':
      return `[ flow_offload flowtable ${String(x.tableName)} ]`;
    default:
      throw new Error(`no debug printer for ${String(x.type)}`);
  }
}

/** Anonymous set names (nft's __set%d, the test context's __lin_anon%d) by order of appearance. */
function anonymise(lines: string[]): string[] {
  const names = new Map<string, string>();
  return lines.map((l) =>
    l.replace(/\b(__set(?:\d+|%d)|__map(?:\d+|%d)|__lin_anon\d+)(?=\s|$)/g, (m) => {
      if (!names.has(m)) names.set(m, `#anon${names.size}`);
      return names.get(m)!;
    }),
  );
}

describe('expressions: bytecode as nft --debug=netlink prints it', () => {
  before(() => {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    useNetnsInterfaces();
  });
  for (const c of CASES) {
    it(`${c.family}: ${c.rule}`, () => {
      nft(['flush', 'ruleset']);
      const expected = debugBlock(nft(['--debug=netlink', '-f', '-'], tableText(c)), c.family);
      const listing = nftJsonListing();
      const rule = listing.rules.find((r) => r.chain === 'c');
      assert.ok(rule, 'nft lists the rule');
      const ours = linearizeRule(rule, listingContext(c.family, 't', listing.sets)).exprs.map(debugLine);
      assert.deepEqual(anonymise(ours), anonymise(expected), `json: ${JSON.stringify(rule.expr)}`);
    });
  }

  it('inet: flow add @ft (this kernel has no flowtables: bytecode from nft --debug=netlink -c)', () => {
    const json: JStatement[] = [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'protocol' } }, right: 'tcp' } },
      { flow: { op: 'add', flowtable: '@ft' } },
    ];
    const doc = {
      nftables: [
        { add: { table: { family: 'inet', name: 't' } } },
        { add: { flowtable: { family: 'inet', table: 't', name: 'ft', hook: 'ingress', prio: 0, dev: ['lo'] } } },
        { add: { chain: { family: 'inet', table: 't', name: 'c', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
        { add: { rule: { family: 'inet', table: 't', chain: 'c', expr: json } } },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'nftjs-exprs-'));
    let out: string;
    try {
      writeFileSync(join(dir, 'r.json'), JSON.stringify(doc));
      try {
        out = nft(['--debug=netlink', '-c', '-j', '-f', join(dir, 'r.json')]);
      } catch (err) {
        out = String((err as { stdout?: string }).stdout ?? '');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const expected = debugBlock(out, 'inet');
    const rule: JRule = { family: 'inet', table: 't', chain: 'c', expr: json };
    assert.deepEqual(linearizeRule(rule, listingContext('inet', 't', [])).exprs.map(debugLine), expected);
    assert.ok(expected.includes('[ flow_offload flowtable ft ]'));
  });
});

/** The rules of a document, as nft 1.0.6's JSON (the package's projection) or nft's own. */
function rulesOf(text: string): unknown[] {
  const doc = JSON.parse(text) as { nftables: Record<string, unknown>[] };
  return doc.nftables.filter((i) => 'rule' in i).map((i) => i.rule);
}
/** The rule lines (inside chain c) of `nft list ruleset` text. */
function ruleLines(text: string): string[] {
  const at = text.indexOf('\tchain c {');
  assert.ok(at >= 0, text);
  return text
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('\t\t') && !l.startsWith('\t\ttype '));
}

describe('expressions: listing, render and commit against nft', () => {
  let conn: Nftables;
  before(async () => {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    conn = await Nftables.open();
  });
  after(async () => {
    await conn?.close();
  });
  /** Loads the table text with nft, then checks (a), (b) and (c) for its rules. */
  async function check(table: string): Promise<void> {
    nft(['flush', 'ruleset']);
    nft(['-f', '-'], table);
    const text = nft(['list', 'ruleset']);
    const json = nft(['-j', 'list', 'ruleset']);
    const report = await conn.listJsonReport();
    assert.deepEqual(report.problems, []);
    const listing = report.document;
    // (a) the rules, projected to nft 1.0.6's JSON
    assert.deepEqual(rulesOf(toJsonText(listing, { nft106: true })), rulesOf(json));
    // (b) the rule lines as nft prints them (set headers with typeof are F2's, not checked here)
    assert.deepEqual(ruleLines(renderDocument(listing)), ruleLines(text));
    // (c) the listing committed back through the package lists as the original rule
    nft(['flush', 'ruleset']);
    await conn.commitJson(listing);
    assert.deepEqual(ruleLines(nft(['list', 'ruleset'])), ruleLines(text));
  }
  for (const c of CASES) it(`${c.family}: ${c.rule}`, () => check(tableText(c)));

  it('inet: flow add @ft lists, renders and commits (skipped when the kernel has no flowtables)', async function () {
    const table = 'table inet t {\n flowtable ft { hook ingress priority 0; devices = { lo }; }\n chain c { type filter hook forward priority 0; ip protocol tcp flow add @ft; }\n}\n';
    nft(['flush', 'ruleset']);
    try {
      nft(['-f', '-'], table);
    } catch (err) {
      // nf_flow_table is not in this kernel: nft itself cannot create the flowtable (ENOENT)
      if (/Could not process rule: No such file or directory/.test(String((err as { stderr?: string }).stderr))) this.skip();
      throw err;
    }
    await check(table);
  });
});

/** iptables-nft, when installed: it writes match/target (xt) expressions nft cannot build. */
function iptablesNft(args: string[]): void {
  execFileSync('iptables-nft', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}
const haveIptablesNft = (): boolean => {
  try {
    execFileSync('iptables-nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('expressions: xt (iptables-nft match/target) stays raw', () => {
  let conn: Nftables;
  before(async function () {
    if (!haveIptablesNft()) this.skip();
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    conn = await Nftables.open();
  });
  after(async () => {
    await conn?.close();
  });
  const rulesDump = async (): Promise<unknown> => {
    const d = await conn.dump({ what: 'rules', family: NFPROTO.ip, table: 'filter' });
    return d.what === 'rules' ? d.items.map((r) => r.exprs) : undefined;
  };

  it('lists match/target as nft -j does ({ xt: { type, name } }), the rest of the rule decoded', async () => {
    nft(['flush', 'ruleset']);
    iptablesNft(['-A', 'INPUT', '-m', 'mark', '--mark', '1', '-j', 'LOG', '--log-prefix', 'x']);
    iptablesNft(['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT']);
    iptablesNft(['-A', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '22,80', '-j', 'DROP']);
    const report = await conn.listJsonReport();
    assert.deepEqual(report.problems, []);
    assert.deepEqual(rulesOf(toJsonText(report.document, { allowRaw: true, nft106: true })), rulesOf(nft(['-j', 'list', 'ruleset'])));
    // the lossless listing keeps each xt expression as a raw statement with its info blob
    const rules = report.document.nftables.filter((i) => 'rule' in i).map((i) => (i as { rule: JRule }).rule);
    const raw = rules[0]!.expr![2] as unknown as { raw: { exprs: Record<string, unknown>[] } };
    assert.equal(raw.raw.exprs[0]!.type, 'target');
    assert.equal(raw.raw.exprs[0]!.name, 'LOG');
    assert.ok(raw.raw.exprs[0]!.info instanceof Uint8Array);
    // render: as nft prints xt without libxtables
    assert.match(renderDocument(report.document), /\t\tmeta mark 0x00000001 counter packets 0 bytes 0 xt target "LOG"\n/);
  });

  it('a listed xt rule re-commits byte-identically (kernel dump and nft --debug=netlink)', async () => {
    nft(['flush', 'ruleset']);
    iptablesNft(['-A', 'INPUT', '-m', 'mark', '--mark', '1', '-j', 'LOG', '--log-prefix', 'x']);
    const before = await rulesDump();
    const debugBefore = nft(['--debug=netlink', 'list', 'ruleset']);
    const doc = (await conn.listJsonReport()).document;
    nft(['flush', 'ruleset']);
    await conn.commitJson(doc);
    assert.deepEqual(await rulesDump(), before);
    assert.equal(nft(['--debug=netlink', 'list', 'ruleset']), debugBefore);
    // bytecode: the package's expressions print as nft --debug=netlink prints the kernel's
    const rule = doc.nftables.find((i) => 'rule' in i) as { rule: JRule };
    const ours = linearizeRule(rule.rule, listingContext('ip', 'filter', [])).exprs.map(debugLine);
    assert.ok(ours.includes('[ target name LOG rev 0 ]'));
    assert.deepEqual(ours, debugBefore.split('\n').filter((l) => l.startsWith('  [')).map((l) => l.trim()));
  });

  it('an xt info blob beyond 64 bytes (conntrack) is listed but refused on commit, naming the attribute', async () => {
    nft(['flush', 'ruleset']);
    iptablesNft(['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'ACCEPT']);
    const doc = (await conn.listJsonReport()).document;
    nft(['flush', 'ruleset']);
    await assert.rejects(conn.commitJson(doc), { name: 'RangeError', message: /Expected a Uint8Array of 1-64 bytes for .*info but received Uint8Array\(168\)/ });
  });
});
