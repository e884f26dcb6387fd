// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The linearizer's oracle: nft 1.0.6 loads a table (text), `nft -j list table` gives the JSON
 * rules, the kernel's own expression lists come back through the package's raw rule dump, and
 * linearizeRule() of each JSON rule must produce the same list.
 *
 * Normalisations (the only ones), applied to the linearizer's output so that it reads as the
 * kernel echoes what nft sent:
 * - attributes the kernel does not dump are dropped: lookup/dynset/objref `setId`, immediate
 *   `chainId`, socket `level` (dumped for cgroupv2 only), a jhash `offset` of 0, connlimit
 *   `flags` of 0;
 * - attributes the kernel always dumps get their kernel default when nft leaves them unset:
 *   counter packets/bytes 0, lookup flags 0, exthdr offset/len/flags 0, dynset timeout 0 and flags 0 (the kernel never dumps
 *   NFT_DYNSET_F_EXPR), nat/masq/redir max registers equal to the min ones, the nat flag
 *   NF_NAT_RANGE_MAP_IPS with an address register (the kernel sets it), limit burst 0, log
 *   level 4 (warning)
 *   without a group, no reject code with a tcp reset, payload-write csumType/csumOffset/flags 0, exthdr flags 0;
 * - anonymous set names: the kernel's `__set%d` names and the names ctx.anonSet returned are both
 *   replaced by their order of first appearance (`#anon0`, `#anon1`…); bound chains' names
 *   (`__chain%d`, the test context's `__lin_chain%d`) by `#bound-chain`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedExpr, Expr } from '../../lib/expr/registry';
import { NFPROTO, type Family } from '../../lib/kernel';
import type { Nftables } from '../../lib';
import { linearizeRule, type AnonSetRequest, type LinearizeContext } from '../../lib/nft/linearize';
import type { JRule, JSet, JStatement } from '../../lib/nft/schema';
import { CONCAT_TYPE_BITS, datatype, setInterfaceResolver } from '../../lib/nft/datatypes';
import { assertPrivateNetns } from './netns';

type Rec = Record<string, unknown>;

/** Interface names of this network namespace (what nft resolves `iif "lo"` with), via `ip -j link`. */
export function useNetnsInterfaces(): void {
  assertPrivateNetns();
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifindex: number; ifname: string }[];
  setInterfaceResolver({
    indexToName: (i) => links.find((l) => l.ifindex === i)?.ifname,
    nameToIndex: (n) => links.find((l) => l.ifname === n)?.ifindex,
  });
}

export type AnonRequest = AnonSetRequest;

/** The kernel view of one linearized expression (see the file comment). */
export function kernelView(e: Expr): Rec {
  const x: Rec = { ...(e as unknown as Rec) };
  switch (x.type) {
    case 'counter':
      x.packets ??= 0n;
      x.bytes ??= 0n;
      break;
    case 'lookup':
      delete x.setId;
      x.flags ??= 0;
      break;
    case 'dynset':
      delete x.setId;
      x.timeout ??= 0n;
      // the kernel dumps only NFT_DYNSET_F_INV, not NFT_DYNSET_F_EXPR
      x.flags = ((x.flags as number | undefined) ?? 0) & ~0x2;
      if (Array.isArray(x.exprs)) x.exprs = (x.exprs as Expr[]).map(kernelView);
      break;
    case 'objref':
      delete x.setId;
      break;
    case 'immediate':
      // a jump to a bound chain of the same batch is sent by id; the kernel lists the chain's name
      if (x.chainId !== undefined && x.chain === undefined) x.chain = '__chain0';
      delete x.chainId;
      break;
    case 'log':
      if (x.group === undefined) x.level ??= 4;
      break;
    case 'payload':
      if (x.sreg !== undefined) {
        x.csumType ??= 0;
        x.csumOffset ??= 0;
        x.flags ??= 0;
      }
      break;
    case 'nat':
    case 'masq':
    case 'redir':
      // the kernel dumps the max register equal to the min one when only min was sent
      if (x.regAddrMin !== undefined) x.regAddrMax ??= x.regAddrMin;
      // nft_nat_init sets NF_NAT_RANGE_MAP_IPS itself when an address register is given (nft never sends it)
      if (x.type === 'nat' && x.regAddrMin !== undefined) x.flags = ((x.flags as number | undefined) ?? 0) | 0x1;
      if (x.regProtoMin !== undefined) x.regProtoMax ??= x.regProtoMin;
      break;
    case 'exthdr':
      // always dumped (writes and `reset tcp option` included)
      x.offset ??= 0;
      x.len ??= 0;
      x.flags ??= 0;
      break;
    case 'connlimit':
      // the kernel dumps the flags only when inverted
      if (x.flags === 0) delete x.flags;
      break;
    case 'socket':
      // the kernel dumps NFTA_SOCKET_LEVEL only for cgroupv2
      if (x.key !== 3) delete x.level;
      break;
    case 'hash':
      // nft_jhash_dump leaves out a zero offset
      if (x.offset === 0 && x.sreg !== undefined) delete x.offset;
      break;
    case 'limit':
      x.burst ??= 0;
      break;
    case 'reject':
      // nft_reject_dump dumps the code of ICMP rejects only (nft sends 0 with a tcp reset)
      if (x.rejectType === 1) delete x.code;
      break;
  }
  return x;
}

function renameAnon(list: Rec[], isAnon: (name: string) => boolean): Rec[] {
  const names = new Map<string, string>();
  const fix = (n: unknown): unknown => {
    if (typeof n !== 'string' || !isAnon(n)) return n;
    if (!names.has(n)) names.set(n, `#anon${names.size}`);
    return names.get(n);
  };
  const walk = (e: Rec): Rec => {
    const x: Rec = { ...e };
    if ('set' in x) x.set = fix(x.set);
    if ('setName' in x) x.setName = fix(x.setName);
    if (typeof x.chain === 'string' && /^__(lin_)?chain\d+$/.test(x.chain)) x.chain = '#bound-chain';
    if (Array.isArray(x.exprs)) x.exprs = (x.exprs as Rec[]).map(walk);
    return x;
  };
  return list.map(walk);
}

export const kernelAnon = (n: string): boolean => /^__(set|map|objmap)\d+$/.test(n);
const ourAnon = (n: string): boolean => n.startsWith('__lin_anon');

/**
 * The registry names NFTNL_EXPR_NG_TYPE / NFTNL_EXPR_HASH_TYPE `type`, so the dump's attribute
 * overwrites the expression name (`{ type: 0, dreg, modulus… }`). Until the registry renames them
 * (numgenType / hashType, its own convention), restore the name here: jhash has an sreg; numgen
 * and symhash cannot be told apart (read as numgen).
 */
function fixTypeClash(e: Rec): Rec {
  if (typeof e.type !== 'number') return e;
  // symhash and numgen random have the same attributes: ambiguous, read as numgen
  if ('sreg' in e) return { ...e, type: 'hash', hashType: e.type };
  return { ...e, type: 'numgen', numgenType: e.type };
}

export function normaliseKernel(exprs: readonly DecodedExpr[]): Rec[] {
  return renameAnon(exprs.map((e) => fixTypeClash({ ...(e as unknown as Rec) })), kernelAnon);
}
export function normaliseOurs(exprs: readonly Expr[]): Rec[] {
  return renameAnon(exprs.map(kernelView), ourAnon);
}

/** A LinearizeContext over the sets of a `nft -j` listing; records anonymous set requests. */
export function listingContext(
  family: Family,
  table: string,
  sets: readonly JSet[],
  chainBindings = true,
): LinearizeContext & { anon: AnonRequest[]; readonly bound: (readonly JStatement[])[] } {
  const anon: AnonRequest[] = [];
  const bound: (readonly JStatement[])[] = [];
  return {
    family,
    table,
    anon,
    set: (name) => sets.find((s) => s.name === name),
    anonSet(req) {
      anon.push(req);
      return { name: req.name ?? `__lin_anon${anon.length - 1}`, id: anon.length };
    },
    bindChain(rules) {
      if (!chainBindings) throw new Error('no chain bindings here');
      for (const r of rules) bound.push(Array.isArray(r) ? (r as readonly JStatement[]) : (r as { expr: readonly JStatement[] }).expr);
      return { id: 1000 + bound.length };
    },
    get bound() {
      return bound;
    },
  };
}

export interface Listing {
  readonly rules: (JRule & { handle: number })[];
  readonly sets: JSet[];
}

/** `nft -j list ruleset` split into rules and named sets (maps included, with their `map` type). */
export function nftJsonListing(text?: string): Listing & { text: string } {
  assertPrivateNetns();
  const out = text ?? execFileSync('nft', ['-j', 'list', 'ruleset'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const doc = JSON.parse(out) as { nftables: Rec[] };
  const rules: (JRule & { handle: number })[] = [];
  const sets: JSet[] = [];
  for (const item of doc.nftables) {
    if ('rule' in item) rules.push(item.rule as JRule & { handle: number });
    else if ('set' in item) sets.push(item.set as JSet);
    else if ('map' in item) sets.push(item.map as JSet);
  }
  return { rules, sets, text: out };
}

/**
 * The reference the linearizer is held to: what nft 1.0.6 itself commits for its own JSON. The
 * ruleset loaded from text is listed with `nft -j`, flushed, and that JSON is loaded back with
 * `nft -j -f` (a text listing can be lossy: `@nh,0,8 0x45` lists as `ip version 4 ip hdrlength
 * 5`, `ip6 nexthdr tcp tcp dport 22` as `tcp dport 22`, and nft compiles the JSON it printed
 * again). Returns the listing of the reloaded ruleset, whose rules the kernel now holds; when nft
 * cannot load its own JSON (statements it prints as text), the text-loaded ruleset is restored
 * and listed (`reloaded: false`).
 */
export function nftJsonReference(loadText: () => void): Listing & { reloaded: boolean } {
  assertPrivateNetns();
  loadText();
  const first = nftJsonListing();
  execFileSync('nft', ['flush', 'ruleset']);
  // nft -j -f cannot read JSON from a pipe (it opens /dev/stdin): use a private temporary file
  const dir = mkdtempSync(join(tmpdir(), 'nftjs-lin-'));
  const file = join(dir, 'ruleset.json');
  try {
    writeFileSync(file, first.text);
    execFileSync('nft', ['-j', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    return { ...nftJsonListing(), reloaded: true };
  } catch {
    execFileSync('nft', ['flush', 'ruleset']);
    loadText();
    return { ...nftJsonListing(), reloaded: false };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Comparison {
  readonly ok: boolean;
  readonly reason?: string;
  readonly ours?: Rec[];
  readonly kernel?: Rec[];
  readonly anon?: AnonRequest[];
}

const SET_FLAGS_CHECKED = 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80;

/** Linearizes every listed rule and compares it with the kernel's expressions of that rule. */
export async function compareListing(nft: Nftables, listing: Listing): Promise<{ rule: JRule & { handle: number }; result: Comparison }[]> {
  const results: { rule: JRule & { handle: number }; result: Comparison }[] = [];
  const dumps = new Map<string, Map<bigint, readonly DecodedExpr[]>>();
  const setDumps = new Map<string, Map<string, { flags: number; keyType: number; dataType?: number; userdata?: Uint8Array }>>();
  for (const rule of listing.rules) {
    const fam = rule.family as Family;
    const key = `${fam} ${rule.table}`;
    if (!dumps.has(key)) {
      const r = await nft.dump({ what: 'rules', family: NFPROTO[fam], table: rule.table });
      const m = new Map<bigint, readonly DecodedExpr[]>();
      if (r.what === 'rules') for (const it of r.items) m.set(it.handle, it.exprs);
      dumps.set(key, m);
      const s = await nft.dump({ what: 'sets', family: NFPROTO[fam], table: rule.table });
      const sm = new Map<string, { flags: number; keyType: number; dataType?: number; userdata?: Uint8Array }>();
      if (s.what === 'sets') {
        for (const it of s.items) {
          sm.set(it.name, { flags: it.flags, keyType: it.keyType, ...(it.dataType !== undefined ? { dataType: it.dataType } : {}), ...(it.userdata ? { userdata: it.userdata } : {}) });
        }
      }
      setDumps.set(key, sm);
    }
    const kernelExprs = dumps.get(key)!.get(BigInt(rule.handle));
    if (kernelExprs === undefined) {
      results.push({ rule, result: { ok: false, reason: 'rule not in the kernel dump' } });
      continue;
    }
    const ctx = listingContext(fam, rule.table, listing.sets.filter((s) => s.family === rule.family && s.table === rule.table));
    let ours: Expr[];
    try {
      ours = linearizeRule(rule, ctx).exprs;
    } catch (err) {
      results.push({ rule, result: { ok: false, reason: `throws: ${(err as Error).message.replace(/\d+/g, 'N').slice(0, 120)}` } });
      continue;
    }
    const a = normaliseOurs(ours);
    const b = normaliseKernel(kernelExprs);
    let reason = firstDifference(a, b);
    // anonymous sets: flags and key type must be what nft created
    if (reason === undefined) {
      const kernelAnonNames: string[] = [];
      for (const e of kernelExprs) {
        const n = (e as unknown as Rec).set ?? (e as unknown as Rec).setName;
        if (typeof n === 'string' && kernelAnon(n) && !kernelAnonNames.includes(n)) kernelAnonNames.push(n);
      }
      ctx.anon.forEach((req, i) => {
        if (reason !== undefined) return;
        const ks = setDumps.get(key)!.get(req.name ?? kernelAnonNames.shift() ?? '');
        if (ks === undefined) return void (reason = `anonymous set ${i}: not in the kernel`);
        if ((ks.flags & SET_FLAGS_CHECKED) !== (req.flags & SET_FLAGS_CHECKED)) reason = `anonymous set flags: ours 0x${req.flags.toString(16)}, kernel 0x${ks.flags.toString(16)}`;
        else {
          const id = keyTypeId(req.key);
          if (id !== ks.keyType) reason = `anonymous set key type: ours ${id}, kernel ${ks.keyType}`;
          else if (req.userdata !== undefined && !Buffer.from(req.userdata).equals(Buffer.from(ks.userdata ?? []))) {
            reason = `anonymous set userdata: ours ${Buffer.from(req.userdata).toString('hex')}, kernel ${Buffer.from(ks.userdata ?? []).toString('hex')}`;
          }
        }
      });
    }
    results.push({ rule, result: reason === undefined ? { ok: true } : { ok: false, reason, ours: a, kernel: b, anon: ctx.anon } });
  }
  return results;
}

/** NFTA_SET_KEY_TYPE of a key: the datatype id, or concat ids shifted by CONCAT_TYPE_BITS. */
function keyTypeId(key: string | readonly string[]): number | undefined {
  const names = typeof key === 'string' ? [key] : key;
  let id = 0;
  for (const n of names) {
    const t = datatype(n);
    if (t === undefined) return undefined;
    id = names.length === 1 ? t.id : (id << CONCAT_TYPE_BITS) | t.id;
  }
  return id;
}

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `0x${Buffer.from(x).toString('hex')}` : x));

/** A short description of the first difference, or undefined when deep-equal. */
export function firstDifference(a: readonly Rec[], b: readonly Rec[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return `missing ${String(y?.type)} expression`;
    if (y === undefined) return `extra ${String(x.type)} expression`;
    if (show(x) !== show(sortKeys(y, x))) {
      if (x.type !== y.type) return `expression ${i}: ${String(x.type)} instead of ${String(y.type)}`;
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) if (show(x[k]) !== show(y[k])) return `${String(x.type)}.${k} differs`;
    }
  }
  return undefined;
}

/** y with its keys in x's order (so that the JSON texts compare). */
function sortKeys(y: Rec, x: Rec): Rec {
  const out: Rec = {};
  for (const k of Object.keys(x)) if (k in y) out[k] = y[k];
  for (const k of Object.keys(y)) if (!(k in out)) out[k] = y[k];
  if (Array.isArray(out.exprs) && Array.isArray(x.exprs)) out.exprs = (out.exprs as Rec[]).map((e, i) => sortKeys(e, ((x.exprs as Rec[])[i] ?? {}) as Rec));
  return out;
}

export const describe2 = show;

/** Bytes as the 32-bit little-endian words `nft --debug=netlink` prints (`0x0000ffff 0x…`). */
export function netlinkWords(b: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 4) {
    const w = Buffer.alloc(4);
    w.set(b.subarray(i, i + 4));
    out.push(`0x${w.readUInt32LE().toString(16).padStart(8, '0')}`);
  }
  return out.join(' ');
}
