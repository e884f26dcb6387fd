// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * lib/nft/datatypes.ts and lib/nft/fields.ts against nft 1.0.6 itself:
 * - `nft describe <expr>` for every payload field, meta/ct/rt/socket/fib/xfrm key, extension
 *   header field, numgen/hash/osf: the datatype name, size, base types and the whole symbol
 *   table must equal ours;
 * - one ruleset with a match on every field and key, loaded with `nft -f` in this private netns
 *   and dumped through the package: kernel key numbers, payload/exthdr offsets and lengths in
 *   bits (masks of sub-byte fields), the implicit dependencies nft inserted, the value bytes
 *   (encodeValue of nft's JSON value) and the JSON value (decodeValue of the bytes, compared
 *   with `nft -j list ruleset`);
 * - set key types of every datatype nft accepts, and concatenations: NFTA_SET_KEY_TYPE / KEY_LEN
 *   against typeLayout();
 * - the combinations nft refuses ("conflicting protocols") are the ones payloadDependencies throws on.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Nftables } from '../../lib';
import type { DecodedExpr } from '../../lib/expr/registry';
import { NFPROTO } from '../../lib/kernel';
import type { RuleData, SetData } from '../../lib/native';
import {
  DATATYPES,
  bytesUint,
  concatTypes,
  datatype,
  decodeConstant,
  decodeFlags,
  decodeFlagsOr,
  decodeValue,
  decodeVerdict,
  encodeValue,
  encodeVerdict,
  ifnameWildcard,
  parseTimeString,
  protocolName,
  protocolNumber,
  typeLayout,
  uintBytes,
  valueText,
  valueToJson,
  type Datatype,
} from '../../lib/nft/datatypes';
import {
  CT_DIR_KEYS,
  CT_KEYS,
  EXTHDR_JSON,
  EXTHDR_OPS,
  FIB_RESULTS,
  IPV6_EXTHDRS,
  IP_OPTIONS,
  META_KEYS,
  NUMGEN_HASH_RESULT,
  OSF,
  PROTOCOLS,
  RT_KEYS,
  SCTP_CHUNKS,
  SOCKET_KEYS,
  TCP_OPTIONS,
  XFRM_KEYS,
  ctKey,
  exthdrDependencies,
  exthdrField,
  exthdrFieldAt,
  metaKey,
  payloadDependencies,
  payloadField,
  payloadFieldAt,
  type DependencyMatch,
  type ExthdrDef,
  type ExthdrOp,
  type KeyDef,
} from '../../lib/nft/fields';
import { assertPrivateNetns } from '../helpers/netns';
import { nft } from '../helpers/nft';

assertPrivateNetns();

const execFileP = promisify(execFile);
const dt = (name: string): Datatype => {
  const d = datatype(name);
  assert.ok(d, `datatype ${name}`);
  return d;
};

/** Runs `jobs` with at most `n` at a time. */
async function pool<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i] as T);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// The expressions of every table row, as nft text

interface Target {
  /** nft text of the expression. */
  readonly text: string;
  /** Datatype name our table gives it, and its length in bits. */
  readonly type: string;
  readonly bits: number;
}

const exthdrText = (op: ExthdrOp, d: ExthdrDef, field: string): string =>
  op === 'ipv6' ? `${d.name} ${field}` : `${EXTHDR_JSON[op]} ${d.name} ${field}`;

/**
 * nft's text grammar (parser_bison.y) spells `icmpv6 parameter-problem` as `param-problem`, and
 * has no words for the TCP options' `kind` field or `rt0 reserved` (JSON and the printer have).
 */
const textOf = (expr: string): string => expr.replace(/^icmpv6 parameter-problem$/, 'icmpv6 param-problem');
const NO_TEXT = (expr: string): boolean => /^tcp option \S+ kind$/.test(expr) || expr === 'rt0 reserved';
/**
 * Matches nft or this kernel refuses, which the kernel test leaves out: meta nftrace cannot be
 * loaded (EOPNOTSUPP), the bridge meta keys need nft_meta_bridge, secmark values cannot be
 * compared with constants (nft: "Cannot be used with right hand side constant value").
 */
const MAY_REFUSE = (text: string): boolean => /^(meta (nftrace|ibrname|obrname|ibrpvid|ibrvproto|secmark)|ct secmark) /.test(text);

function targets(): Target[] {
  const out: Target[] = [];
  for (const p of PROTOCOLS) for (const f of p.fields) out.push({ text: `${p.name} ${f.field}`, type: f.type, bits: f.len });
  for (const k of META_KEYS) out.push({ text: `meta ${k.name}`, type: k.type, bits: k.bits ?? k.len * 8 });
  for (const k of CT_KEYS) {
    if (k.type === 'invalid') continue;
    out.push({ text: CT_DIR_KEYS.has(k.name) ? `ct original ${k.name}` : `ct ${k.name}`, type: k.type, bits: k.bits ?? k.len * 8 });
  }
  for (const k of RT_KEYS) {
    const text = k.name === 'nexthop' ? `rt ${k.type === 'ipv4_addr' ? 'ip' : 'ip6'} nexthop` : `rt ${k.name}`;
    out.push({ text, type: k.type, bits: k.bits ?? 0 });
  }
  for (const k of SOCKET_KEYS) out.push({ text: k.name === 'cgroupv2' ? 'socket cgroupv2 level 1' : `socket ${k.name}`, type: k.type, bits: k.bits ?? 0 });
  for (const k of FIB_RESULTS) out.push({ text: `fib daddr ${k.name}`, type: k.type, bits: k.bits ?? 0 });
  for (const k of XFRM_KEYS) {
    const fam = k.type === 'ipv4_addr' ? 'ip ' : k.type === 'ipv6_addr' ? 'ip6 ' : '';
    out.push({ text: `ipsec in ${fam}${k.name}`, type: k.type, bits: k.bits ?? 0 });
  }
  for (const [op, table] of [['ipv6', IPV6_EXTHDRS], ['tcpopt', TCP_OPTIONS], ['ipv4', IP_OPTIONS], ['sctp', SCTP_CHUNKS]] as const) {
    for (const d of table) for (const f of d.fields) out.push({ text: exthdrText(op, d, f.field), type: f.datatype, bits: f.len });
  }
  out.push({ text: 'numgen inc mod 2', type: NUMGEN_HASH_RESULT.type, bits: NUMGEN_HASH_RESULT.len * 8 });
  out.push({ text: 'jhash ip saddr mod 2', type: NUMGEN_HASH_RESULT.type, bits: NUMGEN_HASH_RESULT.len * 8 });
  out.push({ text: 'symhash mod 2', type: NUMGEN_HASH_RESULT.type, bits: NUMGEN_HASH_RESULT.len * 8 });
  out.push({ text: 'osf name', type: OSF.type, bits: OSF.len * 8 });
  return out;
}

interface Described {
  readonly name: string;
  readonly desc: string;
  readonly bases: string;
  readonly bits: number;
  readonly hex?: boolean;
  readonly symbols: [string, bigint][];
}

/** Parses one `nft describe` answer. */
function parseDescribe(text: string, out: string): Described {
  const lines = out.split('\n');
  const m = /^\w+ expression, datatype (\S+) \((.*?)\)(?: \(basetype (.*?)\))?, (\d+) (bits|characters)/.exec(lines[0] ?? '');
  assert.ok(m, `nft describe ${text}: ${out}`);
  const symbols: [string, bigint][] = [];
  let hex: boolean | undefined;
  for (const l of lines.slice(1)) {
    const h = /^pre-defined symbolic constants \(in (hexadecimal|decimal)\):/.exec(l);
    if (h) hex = h[1] === 'hexadecimal';
    const s = /^\t(\S+)\s+(0x[0-9a-f]+|\d+)$/.exec(l);
    if (s && s[1] !== undefined && s[2] !== undefined) symbols.push([s[1], BigInt(s[2])]);
  }
  return {
    name: m[1] as string,
    desc: m[2] as string,
    bases: m[3] ?? '',
    bits: Number(m[4]) * (m[5] === 'characters' ? 8 : 1),
    ...(hex === undefined ? {} : { hex }),
    symbols,
  };
}

/** `nft describe` of every expression, in one interactive nft process (`nft -i`). */
async function nftDescribeAll(texts: readonly string[]): Promise<Described[]> {
  const input = texts.map((t) => `describe ${textOf(t)}\n`).join('');
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile('nft', ['-i'], { maxBuffer: 64 * 1024 * 1024 }, (err, so, se) => (err ? reject(err) : resolve({ stdout: so, stderr: se })));
    child.stdin?.end(input);
  });
  assert.equal(stderr, '', 'nft describe errors');
  const blocks = stdout.split(/\n(?=\w+ expression, datatype )/);
  assert.equal(blocks.length, texts.length, 'one answer per expression');
  return blocks.map((b, i) => parseDescribe(texts[i] as string, b));
}

/** The chain of base type descriptions nft prints: "link layer address, integer". */
function baseChain(d: Datatype): string {
  const out: string[] = [];
  let b = d.base;
  while (b) {
    const x = dt(b);
    out.push(x.desc ?? x.name);
    b = x.base;
  }
  return out.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Sample values (nft text) per datatype for the kernel ruleset

/** A value of the type in nft's text syntax, and the relational operator to use. */
function sample(type: string, bits: number): { text: string; op: string } | undefined {
  const d = dt(type);
  const fits = (v: bigint): boolean => bits === 0 || v < 1n << BigInt(bits);
  switch (d.name) {
    case 'integer':
    case 'bitmask':
      return { text: '1', op: '' };
    case 'ipv4_addr':
      return { text: '10.1.2.3', op: '' };
    case 'ipv6_addr':
      return { text: '2001:db8::1', op: '' };
    case 'ether_addr':
      return { text: '00:11:22:33:44:55', op: '' };
    case 'inet_proto':
      // not one AH/IPComp link to (ah nexthdr udp trips an assertion in nft 1.0.6)
      return { text: 'gre', op: '' };
    case 'inet_service':
      return { text: '22', op: '' };
    case 'mark':
      return { text: '0x10', op: '' };
    case 'time':
      return d.id === 18 ? { text: '30s', op: '' } : { text: '"2022-01-01 10:00:00"', op: '' };
    case 'hour':
      return { text: '"10:00"', op: '' };
    case 'devgroup':
    case 'realm':
    case 'uid':
    case 'gid':
      return { text: '0', op: '' };
    case 'classid':
      return { text: '1:10', op: '' };
    case 'string':
    case 'ifname':
      return { text: '"lo"', op: '' };
    case 'iface_index':
      return { text: '999', op: '' };
    case 'boolean':
      return { text: 'exists', op: '' };
    case 'ct_label':
      return { text: '5', op: '' };
    case 'cgroupsv2':
    case 'invalid':
      return undefined;
    default:
      break;
  }
  const syms = [...(d.symbols ?? [])].filter(([, v]) => v !== 0n && fits(v));
  if (syms.length === 0) return { text: '1', op: '' };
  if (d.base === 'bitmask') {
    const two = syms.slice(0, 2).map(([k]) => k);
    return { text: two.join('|'), op: '== ' };
  }
  // the last name: for aliases (vlan = 8021q) nft prints the first one
  return { text: (syms[syms.length - 1] as [string, bigint])[0], op: '' };
}

// ---------------------------------------------------------------------------------------------
// Reading a dumped rule

interface Loaded {
  readonly load: DecodedExpr;
  /** Bits from the start of the loaded bytes, from the mask. */
  readonly offsetBits: number;
  readonly lenBits: number;
  /** cmp data, shifted back to the field's own bits (payload/exthdr). */
  readonly value: Uint8Array;
  /** Expressions before the load (the dependencies). */
  readonly before: readonly DecodedExpr[];
}

const LOADS = new Set(['payload', 'meta', 'ct', 'exthdr', 'rt', 'socket', 'fib', 'numgen', 'hash', 'osf']);
const get = (e: DecodedExpr, k: string): unknown => (e as unknown as Record<string, unknown>)[k];

function readMatch(r: RuleData): Loaded {
  const exprs = r.exprs;
  let i = exprs.length - 1;
  while (i >= 0 && !LOADS.has((exprs[i] as DecodedExpr).type)) i--;
  const load = exprs[i] as DecodedExpr;
  assert.ok(load, 'a load expression');
  const after = exprs.slice(i + 1);
  const bw = after.find((e) => e.type === 'bitwise');
  const cmp = after.find((e) => e.type === 'cmp');
  assert.ok(cmp, `a cmp after ${load.type}`);
  let data = get(cmp, 'data') as Uint8Array;
  // a flag test (`ct label 5`: bitwise & mask, cmp != 0): the value is the mask
  const flagTest = bw !== undefined && get(cmp, 'op') === 1 && data.every((b) => b === 0);
  if (flagTest) data = get(bw, 'mask') as Uint8Array;
  const bytes = Number(get(load, 'len') ?? data.length);
  let lead = 0;
  let lenBits = bytes * 8;
  let trail = 0;
  const shifted = load.type === 'payload' || load.type === 'exthdr';
  if (bw && shifted && !flagTest) {
    const mask = bytesUint(get(bw, 'mask') as Uint8Array, 'big');
    const total = BigInt(bytes * 8);
    while (trail < bytes * 8 && ((mask >> BigInt(trail)) & 1n) === 0n) trail++;
    let top = total - 1n;
    while (top >= 0n && ((mask >> top) & 1n) === 0n) top--;
    lead = Number(total - 1n - top);
    lenBits = bytes * 8 - lead - trail;
  }
  const value = shifted ? uintBytes(bytesUint(data, 'big') >> BigInt(trail), Math.ceil(lenBits / 8), 'big') : data;
  return { load, offsetBits: lead, lenBits, value, before: exprs.slice(0, i) };
}

/** The kernel expressions a dependency match becomes: a load and a cmp (or a set lookup). */
function checkDependencies(before: readonly DecodedExpr[], deps: readonly DependencyMatch[], what: string): void {
  const loads = before.filter((e) => LOADS.has(e.type));
  assert.equal(loads.length, deps.length, `${what}: nft inserted ${before.map((e) => e.type).join(',')}; we expect ${JSON.stringify(deps)}`);
  deps.forEach((d, n) => {
    const idx = before.indexOf(loads[n] as DecodedExpr);
    const l = before[idx] as DecodedExpr;
    const next = before[idx + 1] as DecodedExpr;
    const left = d.match.left;
    let type: string;
    let bits: number;
    let order: 'big' | 'host';
    if ('meta' in left) {
      const k = metaKey(left.meta.key) as KeyDef;
      assert.equal(l.type, 'meta', what);
      assert.equal(get(l, 'key'), k.key, `${what}: meta ${left.meta.key}`);
      type = k.type;
      bits = k.bits ?? k.len * 8;
      order = k.byteorder ?? 'host';
    } else {
      const f = payloadField(left.payload.protocol, left.payload.field);
      assert.ok(f);
      assert.equal(l.type, 'payload', what);
      assert.equal(get(l, 'offset'), f.offset / 8, `${what}: ${left.payload.protocol} ${left.payload.field} offset`);
      assert.equal(Number(get(l, 'len')) * 8, f.len, what);
      type = f.type;
      bits = f.len;
      order = 'big';
    }
    const right = d.match.right;
    if (typeof right === 'object') {
      assert.equal(next.type, 'lookup', `${what}: a set lookup for ${JSON.stringify(right)}`);
    } else {
      assert.equal(next.type, 'cmp', what);
      assert.deepEqual(get(next, 'data'), encodeValue(type, right, bits, order), `${what}: dependency value ${JSON.stringify(right)}`);
    }
  });
}

/** A rule case of the kernel ruleset: where it loads and what datatype/bits it must have. */
interface KCase {
  readonly family: string;
  /** The expression as nft prints it (and JSON names it). */
  readonly expr: string;
  /** The JSON left-hand side nft -j must print for it. */
  readonly left: unknown;
  /** The JSON left-hand side to load it with, where it differs (rt0 wants an offset). */
  readonly input?: unknown;
  /** The whole match in nft text. */
  readonly text: string;
  readonly type: string;
  readonly bits: number;
  readonly byteorder: 'big' | 'host';
  readonly check: (l: Loaded) => void;
  readonly deps?: readonly DependencyMatch[];
}

/** Every icmpx code name, as `reject with icmpx` takes it. */
const ICMPX = [...(datatype('icmpx_code')?.symbols?.keys() ?? [])];

/** True when `nft -c -f -` accepts the text (nothing is committed). */
function nftAccepts(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = execFile('nft', ['-c', '-f', '-'], (err) => resolve(!err));
    child.stdin?.end(text);
  });
}

const FAMILY_NUM: Readonly<Record<string, number>> = NFPROTO;
const TABLE = (family: string): string => `nftjs_types_${family}`;
const FAMILIES = ['ip', 'ip6', 'inet', 'bridge', 'netdev', 'arp'] as const;

function kernelCases(): KCase[] {
  const out: KCase[] = [];
  const add = (c: Omit<KCase, 'text'> & { value: { text: string; op: string } }): void => {
    const { value, ...rest } = c;
    out.push({ ...rest, text: `${textOf(c.expr)} ${value.op}${value.text}` });
  };
  const home = (p: string): string => (p === 'ether' || p === 'vlan' ? 'bridge' : p === 'arp' ? 'arp' : 'inet');
  for (const p of PROTOCOLS) {
    for (const f of p.fields) {
      const value = sample(f.type, f.len);
      if (!value) continue;
      const family = home(p.name);
      add({
        family,
        expr: `${p.name} ${f.field}`,
        // listed under the first field at the same place (vlan cfi lists as dei)
        // (with the message type the icmp dependency fixed, as nft reads it back)
        left: { payload: { protocol: p.name, field: payloadFieldAt(p.name, f.base, f.offset, f.len, f.icmpDep?.length === 1 ? f.icmpDep[0] : undefined)?.field } },
        value,
        type: f.type,
        bits: f.len,
        byteorder: 'big',
        deps: payloadDependencies(family, p.name, f.field),
        check: (l) => {
          assert.equal(l.load.type, 'payload');
          assert.equal(['ll', 'nh', 'th', 'ih'][Number(get(l.load, 'base'))], f.base, 'payload base');
          const off = Number(get(l.load, 'offset')) * 8 + l.offsetBits;
          assert.equal(off, f.offset, 'offset in bits');
          assert.equal(l.lenBits, f.len, 'length in bits');
          // read back by place: the first template at this offset and length
          assert.equal(payloadFieldAt(p.name, f.base, off, l.lenBits, f.icmpDep?.length === 1 ? f.icmpDep[0] : undefined)?.field, f.icmpDep?.length === 1 ? f.field : p.fields.find((x) => x.offset === f.offset && x.len === f.len)?.field);
        },
      });
    }
    // the dependencies of this protocol from every other family that accepts it
    const f0 = p.fields.find((f) => sample(f.type, f.len));
    if (!f0) continue;
    const value = sample(f0.type, f0.len) as { text: string; op: string };
    for (const family of FAMILIES) {
      if (family === home(p.name)) continue;
      let deps: DependencyMatch[];
      try {
        deps = payloadDependencies(family, p.name, f0.field);
      } catch {
        continue; // checked against nft's refusals in its own test
      }
      add({ family, expr: `${p.name} ${f0.field}`, left: { payload: { protocol: p.name, field: f0.field } }, value, type: f0.type, bits: f0.len, byteorder: 'big', deps, check: () => undefined });
    }
  }
  const keyed = (prefix: 'meta' | 'ct' | 'socket', table: readonly KeyDef[], skip: ReadonlySet<string> = new Set()): void => {
    for (const k of table) {
      if (skip.has(k.name)) continue;
      const bits = k.bits ?? k.len * 8;
      const value = sample(k.type, bits);
      if (!value) continue;
      const dir = prefix === 'ct' && CT_DIR_KEYS.has(k.name);
      add({
        family: /^(ibr|obr)/.test(k.name) ? 'bridge' : 'inet',
        expr: dir ? `ct original ${k.name}` : `${prefix} ${k.name}`,
        left: { [prefix]: dir ? { key: k.name, dir: 'original' } : { key: k.name } },
        value,
        type: k.type,
        bits,
        byteorder: k.byteorder ?? 'host',
        check: (l) => {
          assert.equal(l.load.type, prefix);
          assert.equal(get(l.load, 'key'), k.key, 'kernel key');
          if (dir) assert.equal(get(l.load, 'dir'), 0, 'direction original');
        },
      });
    }
  };
  keyed('meta', META_KEYS);
  keyed('ct', CT_KEYS, new Set(['event'])); // ct event is set-only
  keyed('socket', SOCKET_KEYS);
  for (const k of RT_KEYS) {
    const bits = k.bits ?? 0;
    const value = sample(k.type, bits);
    if (!value) continue;
    const fam = k.name === 'nexthop' ? (k.type === 'ipv4_addr' ? 'ip' : 'ip6') : undefined;
    add({
      family: 'inet',
      expr: fam ? `rt ${fam} nexthop` : `rt ${k.name}`,
      left: { rt: fam ? { key: k.name, family: fam } : { key: k.name } },
      value,
      type: k.type,
      bits,
      byteorder: k.byteorder ?? 'host',
      check: (l) => assert.equal(get(l.load, 'key'), k.key, 'rt key'),
    });
  }
  for (const k of FIB_RESULTS) {
    const bits = k.bits ?? 0;
    const value = sample(k.type, bits);
    if (!value) continue;
    add({
      family: 'inet',
      expr: `fib daddr ${k.name}`,
      left: { fib: { result: k.name, flags: ['daddr'] } },
      value,
      type: k.type,
      bits,
      byteorder: k.byteorder ?? 'host',
      check: (l) => assert.equal(get(l.load, 'result'), k.key, 'fib result'),
    });
  }
  for (const [op, table] of [['ipv6', IPV6_EXTHDRS], ['tcpopt', TCP_OPTIONS], ['ipv4', IP_OPTIONS], ['sctp', SCTP_CHUNKS]] as const) {
    // the dependencies from the other families that accept this kind of header
    const d0 = table[0] as ExthdrDef;
    const f0 = d0.fields[0];
    if (f0) {
      for (const family of FAMILIES) {
        if (family === 'inet' || family === 'arp') continue;
        let deps: DependencyMatch[];
        try {
          deps = exthdrDependencies(family, op);
        } catch {
          continue; // checked against nft's refusals in its own test
        }
        const value = sample(f0.datatype, f0.len) as { text: string; op: string };
        add({ family, expr: exthdrText(op, d0, f0.field), left: { [EXTHDR_JSON[op]]: { name: d0.name, field: f0.field } }, value, type: f0.datatype, bits: f0.len, byteorder: 'big', deps, check: () => undefined });
      }
    }
    for (const d of table) {
      for (const f of d.fields) {
        const value = sample(f.datatype, f.len);
        if (!value) continue;
        const back = exthdrFieldAt(op, d.type, f.offset, f.len);
        add({
          family: 'inet',
          expr: exthdrText(op, d, f.field),
          left: { [EXTHDR_JSON[op]]: { name: back?.name, field: back?.field } },
          input: { [EXTHDR_JSON[op]]: { name: d.name, field: f.field, ...(d.name === 'rt0' ? { offset: 0 } : {}) } },
          value,
          type: f.datatype,
          bits: f.len,
          byteorder: 'big',
          deps: exthdrDependencies('inet', op),
          check: (l) => {
            assert.equal(l.load.type, 'exthdr');
            assert.equal(get(l.load, 'op'), EXTHDR_OPS[op], 'exthdr op');
            assert.equal(get(l.load, 'exthdrType'), d.type, 'exthdr type');
            const off = Number(get(l.load, 'offset')) * 8 + l.offsetBits;
            assert.equal(off, f.offset, 'offset in bits');
            assert.equal(l.lenBits, f.len, 'length in bits');
            // how nft names it when it reads it back
            const back = exthdrFieldAt(op, d.type, off, l.lenBits);
            assert.ok(back, 'found again by offset');
            assert.equal(exthdrField(op, back.name, back.field)?.offset, f.offset);
          },
        });
      }
    }
  }
  return out;
}

/** The last match of a rule in `nft -j list ruleset`. */
function lastMatch(expr: unknown[]): { left: unknown; right: unknown } {
  const last = expr[expr.length - 1] as { match?: { left: unknown; right: unknown } };
  assert.ok(last.match, `a match: ${JSON.stringify(expr)}`);
  return last.match;
}

// ---------------------------------------------------------------------------------------------

describe('nft datatypes and fields (lib/nft)', function () {
  this.timeout(60000);

  describe('values without the kernel', () => {
    it('round-trips a value of every fixed-size datatype through encodeValue/decodeValue', () => {
      for (const d of DATATYPES) {
        const s = sample(d.name === 'time' && d.id === 43 ? 'date' : d.name, d.bits);
        if (!s || d.bits === 0 || d.name === 'iface_index' || d.name === 'boolean' || d.name === 'time') continue;
        const json = s.text.startsWith('"') ? (JSON.parse(s.text) as string) : /^\d+$/.test(s.text) ? Number(s.text) : s.text.includes('|') ? s.text.split('|') : s.text;
        const bytes = encodeValue(d, json);
        assert.equal(bytes.length, Math.ceil(d.bits / 8), d.name);
        const back = decodeValue(d, bytes);
        assert.deepEqual(encodeValue(d, back), bytes, `${d.name}: ${JSON.stringify(json)} -> ${JSON.stringify(back)}`);
      }
    });

    it('encodes in the type byte order: big endian payload types, host order meta/ct types', () => {
      assert.deepEqual(encodeValue('inet_service', 22), Uint8Array.of(0, 22));
      const host = encodeValue('mark', 0x01020304);
      assert.equal(new DataView(host.buffer).getUint32(0, endianness() === 'LE'), 0x01020304);
      assert.deepEqual(encodeValue('integer', 5, 16, 'big'), Uint8Array.of(0, 5));
      assert.deepEqual(decodeValue('integer', encodeValue('integer', 5, 32, 'host'), 'host'), 5);
      assert.deepEqual(encodeValue('ipv6_addr', '::ffff:1.2.3.4'), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4));
      assert.equal(decodeValue('ipv6_addr', encodeValue('ipv6_addr', '::ffff:1.2.3.4')), '::ffff:1.2.3.4');
      assert.equal(decodeValue('ether_addr', encodeValue('ether_addr', '0:1:a:bb:cc:dd')), '00:01:0a:bb:cc:dd');
      assert.deepEqual(encodeValue('ifname', 'lo'), Uint8Array.from([0x6c, 0x6f, ...new Uint8Array(14)]));
      // integer_type_json: a JSON number up to 64 bits, a hex string beyond
      assert.equal(decodeValue('integer', uintBytes(1n << 70n, 16, 'big'), 'big'), `0x${(1n << 70n).toString(16)}`);
      assert.equal(decodeValue('integer', uintBytes(1n << 60n, 8, 'big'), 'big'), 1n << 60n);
    });

    it('bitmasks: lists of flags in; constants out as one name or a number, decodeFlags splits per bit', () => {
      const st = encodeValue('ct_state', ['related', 'established']);
      assert.deepEqual(decodeValue('ct_state', st), ['established', 'related']);
      assert.deepEqual(decodeFlags('ct_state', st), ['established', 'related']);
      assert.equal(decodeConstant('ct_state', st), 6);
      assert.equal(decodeConstant('tcp_flag', Uint8Array.of(0x02)), 'syn');
      assert.equal(decodeValue('tcp_flag', encodeValue('tcp_flag', 'syn')), 'syn');
      assert.equal(decodeFlags('tcp_flag', encodeValue('tcp_flag', 'syn')), 'syn');
      assert.deepEqual(decodeFlags('ct_status', encodeValue('ct_status', 0x1001)), ['expected', 0x1000]);
      assert.equal(valueToJson('ct_state', 0n), 0);
      const three = encodeValue('ct_state', { '|': [{ '|': ['invalid', 'established'] }, 'new'] });
      assert.deepEqual(three, encodeValue('ct_state', 11));
      assert.deepEqual(decodeFlagsOr('ct_state', three), { '|': [{ '|': ['invalid', 'established'] }, 'new'] });
    });

    it('names: first symbol of a value wins (8021q before vlan), numbers where nft has no name', () => {
      assert.equal(decodeValue('ether_type', encodeValue('ether_type', 'vlan')), '8021q');
      assert.equal(decodeValue('ether_type', Uint8Array.of(0x12, 0x34)), 0x1234);
      assert.equal(decodeValue('inet_proto', Uint8Array.of(protocolNumber('tcp') ?? -1)), protocolName(6));
      assert.equal(decodeValue('boolean', Uint8Array.of(1)), true);
      assert.equal(decodeValue('boolean', Uint8Array.of(0)), false);
      assert.equal(decodeValue('classid', encodeValue('classid', '1:10')), '1:10');
      assert.equal(decodeValue('classid', encodeValue('classid', 'root')), 'root');
      assert.equal(decodeValue('iface_index', encodeValue('iface_index', 7)), '7');
      assert.equal(decodeValue('time', encodeValue('time', '1h30m')), 5400);
      assert.equal(parseTimeString('2d3h'), (2n * 86400n + 3n * 3600n) * 1000n);
    });

    it('strings: NUL padded, wildcard prefixes (ifnameWildcard), `\\*` a literal star (expr_evaluate_string)', () => {
      const w = ifnameWildcard('eth*');
      assert.deepEqual(w?.prefix, Uint8Array.from(Buffer.from('eth')));
      assert.equal(decodeValue('ifname', w?.prefix ?? new Uint8Array()), 'eth*');
      assert.equal(ifnameWildcard('eth\\*'), undefined);
      const star = encodeValue('ifname', 'dummy\\*');
      assert.deepEqual(star, Uint8Array.from([...Buffer.from('dummy*'), ...new Uint8Array(10)]));
      assert.equal(decodeValue('ifname', star), 'dummy\\*');
      assert.equal(valueText('ifname', 'dummy\\*'), '"dummy\\*"');
      assert.throws(() => encodeValue('ifname', ''), TypeError);
      assert.throws(() => ifnameWildcard('*'), TypeError);
      assert.throws(() => encodeValue('ifname', '0123456789abcdef'), { name: 'RangeError', message: 'Expected a string of at most 15 bytes for a value of type ifname but received "0123456789abcdef"' });
      assert.equal(ifnameWildcard('0123456789abcde*')?.prefix.length, 15);
    });

    it('valueText: the text nft prints for a JSON value', () => {
      assert.equal(valueText('mark', 16), '0x00000010');
      assert.equal(valueText('ether_type', 0x1234), '0x1234');
      assert.equal(valueText('tcp_flag', 7), '0x7');
      assert.equal(valueText('ct_state', ['established', 'related']), 'established,related');
      assert.equal(valueText('ct_state', { '|': [{ '|': ['invalid', 'established'] }, 'new'] }), 'invalid | established | new');
      assert.equal(valueText('time', 5400), '1h30m');
      assert.equal(valueText('day', 'Monday'), '"Monday"');
      assert.equal(valueText('iface_index', 'lo'), '"lo"');
      assert.equal(valueText('iface_index', '77'), '77');
      assert.equal(valueText('realm', '7'), '7');
      assert.equal(valueText('boolean', false), 'missing');
      assert.equal(valueText('integer', `0x${(1n << 70n).toString(16)}`), (1n << 70n).toString());
      assert.equal(valueText('inet_proto', 'tcp'), 'tcp');
    });

    it('service names for inet_service as nft resolves them (/etc/services)', function () {
      if (!existsSync('/etc/services')) this.skip();
      const ssh = encodeValue('inet_service', 'ssh');
      assert.equal(ssh.length, 2);
      assert.ok(bytesUint(ssh, 'big') > 0n);
      assert.throws(() => encodeValue('inet_service', 'no-such-service'), { name: 'TypeError', message: 'Expected a port number or service name for a value of type inet_service but received "no-such-service"' });
    });

    it('verdicts: JSON verdict objects <-> kernel codes', () => {
      assert.deepEqual(encodeVerdict({ accept: null }), { code: 1 });
      assert.deepEqual(encodeVerdict({ jump: { target: 'x' } }), { code: -3, chain: 'x' });
      assert.deepEqual(decodeVerdict(-4, 'y'), { goto: { target: 'y' } });
      assert.deepEqual(decodeVerdict(0), { drop: null });
      assert.throws(() => encodeVerdict({ jump: {} }), { name: 'TypeError', message: 'Expected {"jump": {"target": "chain"}} for a value of type verdict but received {"jump":{}}' });
      assert.throws(() => encodeValue('verdict', 'accept'), TypeError);
    });

    it('bad values: TypeError for the wrong kind, RangeError for values that do not fit', () => {
      assert.throws(() => encodeValue('ipv4_addr', '1.2.3'), { name: 'TypeError', message: 'Expected an IPv4 address for a value of type ipv4_addr but received "1.2.3"' });
      assert.throws(() => encodeValue('inet_service', 65536), { name: 'RangeError', message: 'Expected a value that fits in 16 bits (0-65535) for a value of type inet_service but received 65536' });
      assert.throws(() => encodeValue('inet_service', -1), RangeError);
      assert.throws(() => encodeValue('icmp_type', 'echo-requst'), { name: 'TypeError' });
      assert.throws(() => encodeValue('ifname', 'a-very-long-interface-name'), RangeError);
      assert.throws(() => encodeValue('ifname', 'a\0b'), TypeError);
      assert.throws(() => encodeValue('integer', 1), { name: 'RangeError', message: 'Expected a bit length for a value of type integer (variable size) but received none' });
      assert.throws(() => encodeValue('no_such_type', 1), { name: 'TypeError', message: 'Expected an nft datatype name (ipv4_addr, inet_service, …) but received "no_such_type"' });
      assert.throws(() => encodeValue('dscp', 64), RangeError);
      assert.throws(() => encodeValue('boolean', 2), TypeError);
      assert.throws(() => decodeValue('ipv4_addr', [1, 2, 3, 4] as unknown as Uint8Array), TypeError);
    });

    it('typeLayout: concatenation ids (6 bits per field) and lengths padded to 4 bytes per field', () => {
      const l = typeLayout('ipv4_addr . inet_service . ifname');
      assert.equal(l.id, (((dt('ipv4_addr').id << 6) | dt('inet_service').id) << 6) | dt('ifname').id);
      assert.deepEqual(l.fields, [4, 2, 16]);
      assert.equal(l.len, 4 + 4 + 16);
      assert.deepEqual(typeLayout(['ipv4_addr', 'inet_service']), typeLayout('ipv4_addr . inet_service'));
      assert.deepEqual(concatTypes(l.id)?.map((t) => t.name), ['ipv4_addr', 'inet_service', 'ifname']);
      assert.equal(typeLayout('inet_service').len, 2);
      assert.throws(() => typeLayout('ipv4_addr . nope'), { name: 'TypeError', message: 'Expected an nft datatype name (ipv4_addr, inet_service, …) but received "nope"' });
      assert.throws(() => typeLayout('integer . inet_service'), TypeError);
    });

    it('field lookups: by name, by offset (first template wins), keys by name and number', () => {
      assert.equal(payloadFieldAt('icmp', 'th', 32, 16)?.field, 'id');
      assert.equal(payloadFieldAt('icmpv6', 'th', 32, 32)?.field, 'parameter-problem');
      assert.equal(payloadField('arp', 'saddr ip')?.offset, 112);
      assert.equal(metaKey(16)?.name, 'l4proto');
      assert.equal(ctKey('state')?.key, 0);
      assert.equal(exthdrFieldAt('ipv6', 43, 64, 128)?.name, 'srh');
      assert.equal(exthdrField('tcpopt', 'sack0', 'left')?.offset, 16);
      assert.equal(exthdrField('tcpopt', 'sack2', 'kind')?.name, 'sack');
      assert.throws(() => payloadDependencies('arp', 'tcp'), { name: 'TypeError', message: 'conflicting protocols specified: arp vs. tcp' });
    });
  });

  describe('against `nft describe`', () => {
    const all = targets().filter((t) => !NO_TEXT(t.text));
    let described: Described[] = [];
    before(async () => {
      described = await nftDescribeAll(all.map((t) => t.text));
    });

    it(`gives every table row nft's datatype, size, base types and symbols (${all.length} expressions)`, () => {
      const seenSymbols = new Set<string>();
      all.forEach((t, i) => {
        const d = described[i] as Described;
        const ours = dt(t.type);
        assert.equal(ours.name, d.name, `${t.text}: datatype`);
        assert.equal(t.bits, d.bits, `${t.text}: bits`);
        assert.equal(baseChain(ours), d.bases, `${t.text}: base types`);
        assert.equal(ours.desc, d.desc, `${t.text}: description`);
        if (ours.name === 'inet_proto') {
          assert.ok(d.symbols.length > 10, `${t.text}: /etc/protocols names`);
          for (const [name, n] of d.symbols) assert.equal(protocolName(Number(n)), name, `${t.text}: protocol ${n}`);
        } else {
          assert.deepEqual([...(ours.symbols ?? [])], d.symbols, `${t.text}: symbols`);
          if (d.hex !== undefined) assert.equal(ours.hex ?? false, d.hex, `${t.text}: symbol base`);
        }
        if (d.symbols.length) seenSymbols.add(ours.name);
      });
      // every symbol table but icmpx_code (reject only; checked in the kernel test) was compared
      const withSymbols = DATATYPES.filter((x) => x.symbols).map((x) => x.name);
      assert.deepEqual(withSymbols.filter((n) => !seenSymbols.has(n)), ['icmpx_code']);
    });
  });

  describe('against the kernel (nft -f / nft -j -f, dump through the package, nft -j list)', () => {
    let conn: Nftables | undefined;
    const all = kernelCases();
    let cases: KCase[] = [];
    let refused: string[] = [];
    const rules = new Map<string, RuleData[]>();
    const json = new Map<string, unknown[][]>();
    const textLines = new Map<string, string[]>();
    const key = (family: string, chain: string): string => `${family}/${chain}`;
    const families = [...new Set(all.map((c) => c.family))];

    before(async () => {
      // text rules nft accepts; the ones its grammar cannot spell go in as JSON (chain j)
      // the matches this kernel or nft may refuse are tried one by one; all others go in at once
      const textCases = all.filter((c) => !NO_TEXT(c.expr));
      const ok = await pool(textCases, 8, async (c) => !MAY_REFUSE(c.text) || nftAccepts(`table ${c.family} t {\n chain c {\n  ${c.text}\n }\n}\n`));
      refused = textCases.filter((_, i) => !ok[i]).map((c) => `${c.family}: ${c.text}`);
      const jsonCases = all.filter((c) => NO_TEXT(c.expr));
      cases = [...textCases.filter((_, i) => ok[i]), ...jsonCases];
      const extra = (f: string): string => (f === 'inet' ? ICMPX.map((n) => `    reject with icmpx ${n}\n`).join('') : '');
      const text = families
        .map((f) => `table ${f} ${TABLE(f)} {\n  chain c {\n${cases.filter((c) => c.family === f && !NO_TEXT(c.expr)).map((c) => `    ${c.text}\n`).join('')}${extra(f)}  }\n  chain j {\n  }\n}\n`)
        .join('');
      try {
        nft(['-f', '-'], text);
      } catch (err) {
        // name the rules nft refuses
        const bad = await pool(cases, 8, async (c) => (NO_TEXT(c.expr) || (await nftAccepts(`table ${c.family} t {\n chain c {\n  ${c.text}\n }\n}\n`)) ? '' : `${c.family}: ${c.text}`));
        throw new Error(`${(err as Error).message}\nrefused: ${bad.filter(Boolean).join('; ')}`);
      }
      const doc = {
        nftables: jsonCases.map((c) => ({
          add: { rule: { family: c.family, table: TABLE(c.family), chain: 'j', expr: [{ match: { op: '==', left: c.input ?? c.left, right: 1 } }] } },
        })),
      };
      const dir = mkdtempSync(join(tmpdir(), 'nftjs-types-'));
      try {
        writeFileSync(join(dir, 'rules.json'), JSON.stringify(doc));
        nft(['-j', '-f', join(dir, 'rules.json')]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      conn = await Nftables.open();
      for (const f of families) {
        const r = await conn.dump({ what: 'rules', family: FAMILY_NUM[f] as number, table: TABLE(f) });
        assert.equal(r.what, 'rules');
        for (const chain of ['c', 'j']) rules.set(key(f, chain), (r.items as RuleData[]).filter((x) => x.chain === chain));
      }
      // the text listing, rule lines per table/chain
      let family: string | undefined;
      let where: string | undefined;
      for (const line of nft(['list', 'ruleset']).split('\n')) {
        const tm = /^table (\w+) (\S+) \{$/.exec(line);
        const cm = /^\tchain (\S+) \{$/.exec(line);
        if (tm) {
          // only our tables (other tests may have left theirs in this namespace)
          family = tm[2] === TABLE(tm[1] as string) ? tm[1] : undefined;
          where = undefined;
        } else if (cm) where = family === undefined ? undefined : key(family, cm[1] as string);
        else if (line.startsWith('\t\t') && where !== undefined) textLines.set(where, [...(textLines.get(where) ?? []), line.slice(2)]);
      }
      const listed = JSON.parse(nft(['-j', 'list', 'ruleset'])) as { nftables: { rule?: { table: string; chain: string; expr: unknown[] } }[] };
      for (const f of families) {
        for (const chain of ['c', 'j']) {
          json.set(key(f, chain), listed.nftables.filter((x) => x.rule?.table === TABLE(f) && x.rule.chain === chain).map((x) => x.rule?.expr as unknown[]));
        }
      }
    });

    after(async () => {
      for (const f of families) {
        try {
          nft(['delete', 'table', f, TABLE(f)]);
        } catch {
          /* not created: the before hook failed and says why */
        }
      }
      await conn?.close();
    });

    it('loads every case but the few this kernel or nft refuses', () => {
      assert.deepEqual(refused.filter((r) => !MAY_REFUSE(r.replace(/^\w+: /, ''))), []);
      assert.ok(cases.length > 250, `${cases.length} cases`);
    });

    it(`JSON names, kernel keys, bit offsets and lengths, implicit dependencies, value bytes, JSON values and text (${all.length} matches)`, () => {
      let checked = 0;
      for (const f of families) {
        for (const chain of ['c', 'j']) {
          const fc = cases.filter((c) => c.family === f && NO_TEXT(c.expr) === (chain === 'j'));
          const rs = rules.get(key(f, chain)) ?? [];
          const js = json.get(key(f, chain)) ?? [];
          fc.forEach((c, i) => {
            const what = `${f}: ${c.text}`;
            const r = rs[i];
            assert.ok(r, what);
            const l = readMatch(r);
            try {
              c.check(l);
            } catch (e) {
              (e as Error).message = `${what}: ${(e as Error).message}`;
              throw e;
            }
            if (c.deps) checkDependencies(l.before, c.deps, what);
            const m = lastMatch(js[i] as unknown[]);
            assert.deepEqual(m.left, c.left, `${what}: JSON left-hand side`);
            // nft's JSON value encodes to the kernel's bytes, and the bytes decode to nft's JSON
            assert.deepEqual(encodeValue(c.type, m.right, c.bits, c.byteorder), l.value, `${what}: encodeValue(${JSON.stringify(m.right)})`);
            // bitmask constants: an OR of flags except on payload/exthdr matches (see decodeFlagsOr)
            const payloadLike = l.load.type === 'payload' || l.load.type === 'exthdr';
            const decoded = dt(c.type).base !== 'bitmask' ? decodeValue(c.type, l.value, c.byteorder) : payloadLike ? decodeConstant(c.type, l.value, c.byteorder) : decodeFlagsOr(c.type, l.value, c.byteorder);
            assert.deepEqual(decoded, m.right, `${what}: decode`);
            // and prints as nft prints it
            const line = textLines.get(key(f, chain))?.[i] ?? '';
            assert.ok(line.endsWith(` ${valueText(c.type, m.right)}`), `${what}: valueText ${JSON.stringify(valueText(c.type, m.right))}, nft prints "${line}"`);
            checked++;
          });
        }
      }
      assert.equal(checked, cases.length);
    });

    it('icmpx codes: reject with icmpx <code> carries the symbol value', () => {
      const rejects = (rules.get(key('inet', 'c')) ?? []).flatMap((r) => r.exprs.filter((e) => e.type === 'reject'));
      assert.deepEqual(
        rejects.map((e) => get(e, 'code')),
        ICMPX.map((n) => Number(dt('icmpx_code').symbols?.get(n))),
      );
    });
  });

  it('payloadDependencies throws exactly where nft refuses the protocol in the family', async () => {
    const combos: { family: string; text: string; ours: boolean }[] = [];
    for (const p of PROTOCOLS) {
      const f0 = p.fields.find((f) => sample(f.type, f.len));
      if (!f0) continue;
      const s = sample(f0.type, f0.len) as { text: string; op: string };
      for (const family of FAMILIES) {
        let ours = true;
        try {
          payloadDependencies(family, p.name, f0.field);
        } catch {
          ours = false;
        }
        combos.push({ family, text: `${p.name} ${f0.field} ${s.op}${s.text}`, ours });
      }
    }
    for (const [op, d] of [['ipv6', IPV6_EXTHDRS[0]], ['ipv4', IP_OPTIONS[0]]] as const) {
      for (const family of ['ip', 'ip6', 'inet', 'bridge', 'netdev']) {
        let ours = true;
        try {
          exthdrDependencies(family, op);
        } catch {
          ours = false;
        }
        const f = (d as ExthdrDef).fields[0];
        const v = sample(f?.datatype ?? 'integer', f?.len ?? 8) as { text: string; op: string };
        combos.push({ family, text: `${exthdrText(op, d as ExthdrDef, f?.field ?? '')} ${v.op}${v.text}`, ours });
      }
    }
    // where we accept, the kernel test above loaded the same rule through nft; here: where we refuse, nft does too
    const refusedByUs = combos.filter((c) => !c.ours);
    assert.ok(refusedByUs.length > 10 && refusedByUs.length < combos.length / 2, `${refusedByUs.length} of ${combos.length}`);
    const results = await pool(refusedByUs, 8, (c) => nftAccepts(`table ${c.family} t {\n chain c {\n  ${c.text}\n }\n}\n`));
    refusedByUs.forEach((c, i) => assert.equal(results[i], false, `${c.family}: ${c.text}: nft accepts it, payloadDependencies throws`));
  });

  it('IPv6 text as nft prints it (inet_ntop: first longest zero run, IPv4-compatible and -mapped tails)', () => {
    const addrs = ['::1.2.3.4', '::ffff:0:0', '2001:db8:0:0:1:0:0:1', '1:0:0:2:0:0:0:3', '::ffff:1.2.3.4', 'fe80::1:0:0:0', '1:2:3:4:5:6:7:0', '0:1:2:3:4:5:6:7', '::', '::1', '1::'];
    const table = 'nftjs_types_v6';
    nft(['-f', '-'], `table ip6 ${table} {\n set s {\n  type ipv6_addr\n  elements = { ${addrs.join(', ')} }\n }\n}\n`);
    try {
      const listed = JSON.parse(nft(['-j', 'list', 'set', 'ip6', table, 's'])) as { nftables: { set?: { elem: string[] } }[] };
      const elems = listed.nftables.find((x) => x.set)?.set?.elem ?? [];
      assert.deepEqual(addrs.map((a) => decodeValue('ipv6_addr', encodeValue('ipv6_addr', a))).sort(), [...elems].sort());
    } finally {
      nft(['delete', 'table', 'ip6', table]);
    }
    // and every 16 bytes print as text that parses back to them
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        assert.deepEqual(encodeValue('ipv6_addr', decodeValue('ipv6_addr', b)), b);
      }),
      { numRuns: 2000 },
    );
    for (const bad of [':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'fe80::1%lo', '::1.2.3', 'g::1']) assert.throws(() => encodeValue('ipv6_addr', bad), TypeError, bad);
  });

  it('set key types: NFTA_SET_KEY_TYPE and KEY_LEN of every datatype nft accepts, and concatenations', async () => {
    const candidates = DATATYPES.filter((d) => d.bits > 0 && !(d.name === 'time' && d.id !== 18)).map((d) => d.name);
    const accepted = await pool(candidates, 8, (name) => nftAccepts(`table ip t {\n set s { type ${name}; }\n}\n`));
    const names = candidates.filter((_, i) => accepted[i]);
    assert.ok(names.length >= 35, `nft accepts ${names.join(' ')}`);
    const concats = ['ipv4_addr . inet_service', 'ipv6_addr . inet_proto . inet_service', 'ether_addr . mark . ifname', 'iface_index . ipv4_addr'];
    const all = [...names, ...concats];
    const table = 'nftjs_types_sets';
    nft(['-f', '-'], `table ip ${table} {\n${all.map((t, i) => `  set s${i} { type ${t}; }\n`).join('')}}\n`);
    const conn = await Nftables.open();
    try {
      const r = await conn.dump({ what: 'sets', family: NFPROTO.ip, table });
      const sets = new Map((r.items as SetData[]).map((s) => [s.name, s]));
      all.forEach((t, i) => {
        const s = sets.get(`s${i}`);
        assert.ok(s, t);
        const l = typeLayout(t);
        assert.equal(s.keyType, l.id, `${t}: key type`);
        assert.equal(s.keyLen, l.len, `${t}: key length`);
      });
    } finally {
      nft(['delete', 'table', 'ip', table]);
      await conn.close();
    }
  });
});
