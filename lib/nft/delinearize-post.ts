// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Pass 2 of delinearization (nft's rule_parse_postprocess, src/netlink_delinearize.c, with
 * src/payload.c's dependency context): name payload loads from the protocol context, split
 * merged payload compares, turn `&` masks into prefixes, flag lists and sub-byte fields, merge
 * `>=`/`<=` pairs into ranges, and remove the protocol matches nft added as dependencies.
 */
import type { JExpr, JStatement } from './schema';
import type { DelinearizeContext } from './delinearize';
import { datatype } from './datatypes';
import { exthdrFieldAt, EXTHDR_JSON, payloadFieldAt, payloadFieldsIn, protocol as protocolDef, upperProtocol, transportByNumber, type PayloadField } from './fields';
import { BASE_NAMES, PROTO_BASE, initialProtocols, type BaseNum } from './delinearize-proto';
import {
  bigToBytes, bytesToBig, fail, isZero, typeOf,
  type IE, type IS, type PayloadIE, type SymIE, type RelIS, type StmtIS, type Typed,
} from './delinearize-ir';
import { concatValues, exprJson, valueJson } from './delinearize-json';
import { setJson } from './delinearize-parse';
import { decodeValue } from './datatypes';

interface Dep {
  readonly s: RelIS;
  /** The protocol-key value of the dependency match. */
  readonly value: number;
  readonly bits: number;
}

const META_BASE: Readonly<Record<string, number>> = { nfproto: 1, protocol: 1, l4proto: 2, iiftype: 0 };

/**
 * ICMP fields that exist only for one message type (proto.c icmp_dep, icmp_dep_to_type): the
 * type nft adds a dependency on, and that picks the field among those sharing a place.
 */
const ICMP_DEP: Readonly<Record<string, number>> = {
  'icmp id': 8, 'icmp sequence': 8, 'icmp gateway': 5, 'icmp mtu': 3,
  'icmpv6 id': 128, 'icmpv6 sequence': 128, 'icmpv6 mtu': 2, 'icmpv6 packet-too-big': 2,
  'icmpv6 parameter-problem': 4, 'icmpv6 max-delay': 130,
};
const icmpDep = (proto: string | undefined, field: string | undefined): number | undefined => ICMP_DEP[`${proto} ${field}`];

class Post {
  readonly proto: (string | undefined)[];
  /** Link-layer headers below the current one (ether under vlan). */
  stacked: string[] = [];
  pdeps: (Dep | undefined)[] = [];
  icmpType = 0;
  /** The ICMP type a match fixed (proto_ctx th_dep.icmp.type). */
  thIcmp = 0;
  prev: IS | undefined;

  constructor(readonly ctx: DelinearizeContext) {
    this.proto = initialProtocols(ctx.family);
  }

  reset(): void {
    this.pdeps = [];
    this.icmpType = 0;
  }


  /** payload_expr_complete: names a raw payload load from the protocol context. */
  complete(p: PayloadIE): void {
    const cands: string[] = [];
    const top = this.proto[p.base];
    if (top !== undefined && top !== 'inet' && top !== 'netdev') cands.push(top);
    if (p.base === 1) cands.push(...this.stacked);
    for (const name of cands) {
      const base = BASE_NAMES[p.base] as PayloadField['base'];
      const all = protocolDef(name)?.fields.filter((x) => x.base === base && x.offset === p.offset && x.len === p.bits) ?? [];
      const f = all.find((x) => {
        const d = icmpDep(x.protocol, x.field);
        return !(d !== undefined && this.thIcmp !== 0 && this.thIcmp !== d);
      }) ?? (all.length === 0 ? payloadFieldAt(name, base, p.offset, p.bits) : undefined);
      if (f) {
        this.name(p, f);
        return;
      }
    }
    if (p.proto === undefined && p.base === 3 && p.bits === 16 && (p.offset === 0 || p.offset === 16)) {
      p.proto = 'th';
      p.field = p.offset === 0 ? 'sport' : 'dport';
      (p as { dt: string }).dt = 'inet_service';
    }
  }

  name(p: PayloadIE, f: PayloadField): void {
    p.proto = f.protocol;
    p.field = f.field;
    (p as { dt: string }).dt = f.type;
  }

  /** The protocol-key value a protocol selects with, or undefined. */
  isProtoKey(e: IE): boolean {
    if (e.k === 'payload') {
      if ((e.proto === 'icmp' || e.proto === 'icmpv6') && e.field === 'type') return true;
      return e.proto !== undefined && e.field !== undefined && protocolDef(e.proto)?.protocolKey === e.field;
    }
    if (e.k === 'meta') return e.key in META_BASE;
    return false;
  }

  /** relational_expr_pctx_update for `left == value`. */
  pctxUpdate(left: IE, value: number): void {
    if (left.k === 'payload' && (left.proto === 'icmp' || left.proto === 'icmpv6') && left.field === 'type') {
      this.thIcmp = value;
      return;
    }
    if (left.k === 'payload' && left.proto !== undefined && this.isProtoKey(left)) {
      const up = upperProtocol(left.proto, value);
      if (!up) return;
      const b = PROTO_BASE[up];
      if (b === undefined) return;
      if (b === left.base) {
        this.stacked.push(left.proto);
        this.proto[b] = up;
      } else this.proto[b] = up;
      return;
    }
    if (left.k === 'meta') {
      if (left.key === 'nfproto') this.proto[2] = value === 2 ? 'ip' : value === 10 ? 'ip6' : this.proto[2];
      else if (left.key === 'protocol') {
        const up = upperProtocol('ether', value);
        if (up === 'vlan') this.proto[1] = 'vlan';
        else if (up) this.proto[2] = up;
      } else if (left.key === 'l4proto') {
        const up = transportByNumber(value);
        if (up) this.proto[3] = up;
      } else if (left.key === 'iiftype' && value === 1) this.proto[1] = 'ether';
    }
  }

  depBase(e: IE): number {
    if (e.k === 'payload') return e.base;
    if (e.k === 'meta') return META_BASE[e.key] ?? 0;
    return 0;
  }

  /** payload_may_dependency_kill */
  mayKill(dep: Dep, p: PayloadIE): boolean {
    const dl = dep.s.left;
    const fam = this.ctx.family;
    if (fam === 'inet' || fam === 'bridge' || fam === 'netdev') {
      if (dl.k === 'payload' && dl.base === 2 && (dl.proto === 'ip' || dl.proto === 'ip6') && p.base === 3) return false;
      if (dl.k === 'payload' && dep.s.op === '==' && p.base === dl.base) {
        if (this.isProtoKey(p)) return false;
        if (p.base === 1) {
          if (dl.proto === 'vlan') return false;
          if (dl.proto === 'ether' && dep.bits === 16) return dep.value === 0x8100;
          return true;
        }
      }
    }
    if (p.base !== 3) return true;
    if (this.depBase(dl) !== 3) return true;
    if (dl.k === 'payload' && (dl.proto === 'icmp' || dl.proto === 'icmpv6')) {
      // payload_may_dependency_kill_icmp
      const d = icmpDep(p.proto, p.field);
      if (d === undefined || dl.proto !== p.proto) return false;
      return this.icmpType === d;
    }
    return true;
  }

  /** exthdr_dependency_kill */
  exthdrKill(op: number): void {
    const base = op === 1 ? 3 : op === 0 || op === 2 ? 2 : undefined;
    if (base === undefined) return;
    const dep = this.pdeps[base];
    if (dep) {
      dep.s.removed = true;
      this.pdeps[base] = undefined;
    }
  }

  /** payload_dependency_kill */
  kill(p: PayloadIE): void {
    if (p.proto === undefined) return;
    // payload_dependency_get: transport matches also see the inner slot (icmp type deps)
    const slot = this.pdeps[p.base] ? p.base : p.base === 3 && this.pdeps[4] ? 4 : undefined;
    if (slot === undefined) return;
    const dep = this.pdeps[slot] as Dep;
    if (this.mayKill(dep, p)) {
      dep.s.removed = true;
      this.pdeps[slot] = undefined;
      if (this.prev === dep.s) this.prev = undefined;
    }
  }

  store(s: RelIS, base: number, value: number, bits: number): void {
    // payload_dependency_store_icmp_type: echo request/reply type matches are not dependencies
    const l = s.left;
    if (l.k === 'payload' && bits === 8 && l.field === 'type' && (l.proto === 'icmp' || l.proto === 'icmpv6')) {
      this.icmpType = l.proto === 'icmp' && value === 0 ? 8 : value;
      if (l.proto === 'icmp' && (value === 8 || value === 0)) return;
      if (l.proto === 'icmpv6' && (value === 128 || value === 129)) return;
    }
    this.pdeps[base + 1] = { s, value, bits };
  }

  /** meta_may_dependency_kill */
  metaMayKill(s: RelIS, value: number): boolean {
    const dep = this.pdeps[2];
    if (!dep) return true;
    const dl = dep.s.left;
    let nfproto: number;
    if (dl.k === 'meta' && dl.key === 'nfproto') nfproto = dep.value;
    else if (dl.k === 'meta' && dl.key === 'protocol') nfproto = dep.value === 0x0800 ? 2 : dep.value === 0x86dd ? 10 : 0;
    else if (dl.k === 'payload' && dl.base === 1 && dl.dt === 'ether_type') nfproto = dep.value === 0x0800 ? 2 : dep.value === 0x86dd ? 10 : 0;
    else return true;
    const fam = this.ctx.family;
    if (fam === 'ip') return nfproto === 2;
    if (fam === 'ip6') return nfproto === 10;
    if (fam !== 'inet' && fam !== 'netdev' && fam !== 'bridge') return true;
    if (s.left.k !== 'meta' || s.left.key !== 'l4proto') return true;
    if (value !== 1 && value !== 58) return false;
    if ((nfproto === 2 && value === 58) || (nfproto === 10 && value === 1)) return false;
    return true;
  }

  /**
   * expr_postprocess on an expression used by a statement or a relation's left side. In set
   * elements, concatenations and map keys (`removeAnd`), a payload `&` mask that selects a
   * header field becomes that field (RULE_PP_REMOVE_OP_AND / map_binop_postprocess).
   */
  walk(e: IE, removeAnd = false): void {
    switch (e.k) {
      case 'payload':
        this.complete(e);
        this.kill(e);
        return;
      case 'binop':
        this.walk(e.left, false);
        if (removeAnd) this.trimInPlace(e);
        else this.walk(e.right);
        return;
      case 'unary':
        this.walk(e.arg, removeAnd);
        return;
      case 'concat':
        for (const i of e.items) this.walk(i, true);
        return;
      case 'sym':
        if (e.inner) this.walk(e.inner, false);
        if (e.exthdrOp !== undefined) this.exthdrKill(e.exthdrOp);
        return;
      case 'map': {
        if (e.key.k === 'binop') {
          this.walk(e.key.left, false);
          const sh = this.trimInPlace(e.key);
          if (sh) e.shift = sh;
        }
        this.walk(e.key, true);
        return;
      }
      default:
        return;
    }
  }

  /** Turns `payload & mask` into the header field the mask selects; returns the shift. */
  trimInPlace(e: IE): number | undefined {
    if (e.k !== 'binop' || e.op !== '&' || e.left.k !== 'payload' || e.right.k !== 'value') return undefined;
    const t = trim(this, e.left, e.right.bytes);
    if (!t) return undefined;
    const np = fieldPayload(t.field, e.left.base);
    become(e, np);
    this.kill(np);
    return t.shift;
  }
}

function fieldPayload(f: PayloadField, base: BaseNum): PayloadIE {
  return { k: 'payload', base, offset: f.offset, bits: f.len, dt: f.type, order: 'big', proto: f.protocol, field: f.field };
}

/** Replaces an intermediate expression in place (statements hold references to it). */
function become(target: IE, src: IE): void {
  const t = target as unknown as Record<string, unknown>;
  for (const k of Object.keys(t)) delete t[k];
  Object.assign(t, src);
}

function valueNum(b: Uint8Array, t: Typed | undefined): number {
  return Number(bytesToBig(b, t?.order ?? 'big'));
}

/** The fields that exactly tile a payload load (payload_expr_expand), or undefined. */
function tile(post: Post, p: PayloadIE): PayloadField[] | undefined {
  const name = post.proto[p.base];
  if (!name) return undefined;
  const def = protocolDef(name);
  if (!def) return undefined;
  const base = BASE_NAMES[p.base] as PayloadField['base'];
  const out: PayloadField[] = [];
  let off = p.offset;
  while (off < p.offset + p.bits) {
    const f = def.fields.find((x) => x.base === base && x.offset === off && x.offset + x.len <= p.offset + p.bits);
    if (!f) return undefined;
    out.push(f);
    off += f.len;
  }
  return out.length > 1 ? out : undefined;
}

/** Bits [rel, rel + len) of a big-endian value of `total` bits, as bytes. */
function sliceBits(bytes: Uint8Array, total: number, rel: number, len: number): Uint8Array {
  const v = bytesToBig(bytes, 'big') >> BigInt(bytes.length * 8 - total);
  const x = (v >> BigInt(total - rel - len)) & ((1n << BigInt(len)) - 1n);
  return bigToBytes(x, Math.ceil(len / 8), 'big');
}

/** A field of which the load is a byte-aligned prefix (`ip saddr 10.0.0.0/8` loads 1 byte). */
function prefixOf(post: Post, p: PayloadIE): PayloadField | undefined {
  const cands = [post.proto[p.base], ...(p.base === 1 ? post.stacked : [])].filter((x): x is string => !!x);
  for (const name of cands) {
    const def = protocolDef(name);
    const f = def?.fields.find((x) => x.offset === p.offset && x.len > p.bits && x.base === BASE_NAMES[p.base]);
    if (f) return f;
  }
  return undefined;
}

function payloadRel(post: Post, s: RelIS, out: IS[]): void {
  const p = s.left as PayloadIE;
  const r = s.right;
  if ((s.op === '==' || s.op === '!=') && r.k === 'value') {
    // payload_match_expand
    post.complete(p);
    let parts: { left: PayloadIE; bytes: Uint8Array; prefix?: PayloadField }[];
    if (p.field !== undefined) parts = [{ left: p, bytes: r.bytes }];
    else {
      const fields = tile(post, p);
      if (fields) {
        parts = [];
        for (const f of fields) {
          const l: PayloadIE = { k: 'payload', base: p.base, offset: f.offset, bits: f.len, dt: f.type, order: 'big', proto: f.protocol, field: f.field };
          parts.push({ left: l, bytes: sliceBits(r.bytes, p.bits, f.offset - p.offset, f.len) });
        }
      } else {
        const f = prefixOf(post, p);
        if (f && p.bits % 8 === 0) {
          const l: PayloadIE = { k: 'payload', base: p.base, offset: f.offset, bits: f.len, dt: f.type, order: 'big', proto: f.protocol, field: f.field };
          parts = [{ left: l, bytes: r.bytes, prefix: f }];
        } else parts = [{ left: p, bytes: r.bytes }];
      }
    }
    for (const part of parts) {
      const ns: RelIS = { k: 'rel', op: s.op, left: part.left, right: { k: 'value', bytes: part.bytes } };
      if (part.prefix) {
        const full = new Uint8Array(Math.ceil(part.prefix.len / 8));
        full.set(part.bytes.subarray(0, full.length));
        ns.rightJson = { prefix: { addr: valueJson(full, part.left, post.ctx), len: part.bytes.length * 8 } };
      }
      out.push(ns);
      const v = valueNum(part.bytes, part.left);
      if (s.op === '==' && !part.prefix) post.pctxUpdate(part.left, v);
      post.kill(part.left);
      if (s.op === '==' && !part.prefix && post.isProtoKey(part.left)) {
        const up = part.left.proto ? upperProtocol(part.left.proto, v) : undefined;
        const stackedUp = up !== undefined && PROTO_BASE[up] === part.left.base;
        post.store(ns, stackedUp ? part.left.base - 1 : part.left.base, v, part.bytes.length * 8);
      }
    }
    return;
  }
  post.complete(p);
  post.kill(p);
  out.push(s);
}

function bitmaskType(t: Typed | undefined): boolean {
  if (!t) return false;
  return datatype(t.dt)?.base === 'bitmask';
}

/** Contiguous ones from the most significant bit: the prefix length, or undefined. */
function maskPrefix(mask: Uint8Array): number | undefined {
  let n = 0;
  let zero = false;
  for (const b of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((b >> bit) & 1) === 1;
      if (one && zero) return undefined;
      if (one) n++;
      else zero = true;
    }
  }
  return n;
}

function binopRel(post: Post, s: RelIS, out: IS[]): void {
  const b = s.left;
  if (b.k !== 'binop') return fail('binop expected');
  post.walk(b.left);
  const inner = b.left;
  const t = typeOf(inner);
  const r = s.right;
  if (b.op === '&' && b.right.k === 'value' && (s.op === '==' || s.op === '!=') && bitmaskType(t)) {
    const mask = b.right.bytes;
    if (r.k === 'value') {
      if (isZero(r.bytes)) {
        s.left = inner;
        s.op = s.op === '!=' ? 'in' : '!';
        s.rightJson = valueJson(mask, t, post.ctx, true);
        out.push(s);
        return;
      }
      s.leftJson = { '&': [exprJson(inner, post.ctx), valueJson(mask, t, post.ctx, true)] };
      s.rightJson = valueJson(r.bytes, t, post.ctx, true);
      out.push(s);
      return;
    }
  }
  if (b.op === '&' && b.right.k === 'value' && r.k === 'value' && t && datatype(t.dt)?.prefix && (s.op === '==' || s.op === '!=')) {
    const n = t.order === 'host' ? undefined : maskPrefix(b.right.bytes);
    if (n !== undefined) {
      s.left = inner;
      s.rightJson = { prefix: { addr: valueJson(r.bytes, t, post.ctx), len: n } };
      ctMetaPost(post, s);
      out.push(s);
      return;
    }
  }
  if (b.op === '>>' && b.right.k === 'value' && inner.k === 'binop' && inner.op === '&' && inner.left.k === 'payload' && r.k === 'setref') {
    // `ip version @s`: (payload & mask) >> n, the shift absorbed by the field
    const n = Number(bytesToBig(b.right.bytes, 'host'));
    const sh = post.trimInPlace(inner);
    if (sh !== undefined && sh === n) {
      s.left = inner;
      out.push(s);
      return;
    }
    out.push(s);
    return;
  }
  if (b.op === '&' && b.right.k === 'value' && inner.k === 'payload') {
    const trimmed = trim(post, inner, b.right.bytes);
    if (trimmed) {
      const { field, shift } = trimmed;
      const np: PayloadIE = { k: 'payload', base: inner.base, offset: field.offset, bits: field.len, dt: field.type, order: 'big', proto: field.protocol, field: field.field };
      const nbytes = Math.ceil(field.len / 8);
      const adj = (x: Uint8Array): Uint8Array => bigToBytes(bytesToBig(x, 'big') >> BigInt(shift), nbytes, 'big');
      let right = r;
      if (r.k === 'value') right = { k: 'value', bytes: adj(r.bytes) };
      else if (r.k === 'range') right = { k: 'range', from: adj(r.from), to: adj(r.to) };
      else if (r.k === 'setref') right = { k: 'setref', name: r.name, shift };
      s.left = np;
      s.right = right;
      payloadRel(post, s, out);
      return;
    }
  }
  if (b.op === '&' && b.right.k === 'value' && inner.k === 'sym' && inner.exthdr) {
    const t = exthdrTrim(inner, b.right.bytes);
    if (t) {
      const nb = Math.ceil(t.field.bits / 8);
      const adj = (v: Uint8Array): Uint8Array => bigToBytes(bytesToBig(v, 'big') >> BigInt(t.shift), nb, 'big');
      s.left = t.field;
      if (r.k === 'value') s.right = { k: 'value', bytes: adj(r.bytes) };
      else if (r.k === 'range') s.right = { k: 'range', from: adj(r.from), to: adj(r.to) };
      else if (r.k === 'setref') s.right = { k: 'setref', name: r.name, shift: t.shift };
      out.push(s);
      return;
    }
  }
  if (b.op === '>>' && b.right.k === 'value' && inner.k === 'binop' && inner.op === '&' && inner.left.k === 'sym' && inner.left.exthdr && inner.right.k === 'value' && r.k === 'setref') {
    const t = exthdrTrim(inner.left, inner.right.bytes);
    if (t && t.shift === Number(bytesToBig(b.right.bytes, 'host'))) {
      s.left = t.field;
      out.push(s);
      return;
    }
  }
  out.push(s);
}

/** exthdr_find_template: the extension header field a mask selects out of a wider load. */
function exthdrTrim(e: SymIE, mask: Uint8Array): { field: SymIE; shift: number } | undefined {
  const x = e.exthdr;
  if (!x) return undefined;
  const m = bytesToBig(mask, 'big');
  if (m === 0n) return undefined;
  const L = mask.length * 8;
  let tz = 0;
  while (((m >> BigInt(tz)) & 1n) === 0n) tz++;
  const hi = m.toString(2).length;
  const f = exthdrFieldAt(x.op, x.type, x.offset + (L - hi), hi - tz);
  if (!f) return undefined;
  const field: SymIE = {
    k: 'sym', json: { [EXTHDR_JSON[x.op]]: { name: f.name, field: f.field } } as unknown as JExpr, dt: f.datatype, bits: f.len, order: 'big',
    ...(e.exthdrOp !== undefined ? { exthdrOp: e.exthdrOp } : {}), exthdr: { ...x, offset: f.offset, len: f.len },
  };
  return { field, shift: tz };
}

/** payload_expr_trim: the header field(s) a mask selects out of a wider load. */
function trim(post: Post, p: PayloadIE, mask: Uint8Array): { field: PayloadField; shift: number } | undefined {
  const name = post.proto[p.base] ?? (p.base === 1 ? undefined : undefined);
  const cands = [name, ...(p.base === 1 ? post.stacked : [])].filter((x): x is string => !!x && x !== 'inet' && x !== 'netdev');
  const m = bytesToBig(mask, 'big');
  if (m === 0n) return undefined;
  const L = mask.length * 8;
  let tz = 0;
  while (((m >> BigInt(tz)) & 1n) === 0n) tz++;
  const hi = m.toString(2).length;
  const off = L - hi;
  for (const proto of cands) {
    const def = protocolDef(proto);
    if (!def) continue;
    let poff = p.offset + off;
    let plen = p.bits;
    let len = 0;
    for (const f of def.fields) {
      if (f.base !== BASE_NAMES[p.base] || f.offset !== poff) continue;
      if (f.len > plen) break;
      plen -= f.len;
      poff += f.len;
      len += f.len;
      if (plen === 0) break;
      if (tz + len === hi) {
        const field = def.fields.find((x) => x.base === f.base && x.offset === p.offset + off && x.len === len);
        if (!field) break;
        return { field, shift: tz };
      }
    }
  }
  return undefined;
}

/** ct_meta_common_postprocess */
function ctMetaPost(post: Post, s: RelIS): void {
  const l = s.left;
  if (l.k !== 'meta' && l.k !== 'ct') return;
  if (s.op !== '==' || s.right.k !== 'value' || s.rightJson !== undefined) return;
  const v = valueNum(s.right.bytes, l);
  post.pctxUpdate(l, v);
  if (l.k !== 'meta') return;
  const base = META_BASE[l.key];
  if (base === undefined) return;
  if (post.pdeps[base] && post.metaMayKill(s, v)) {
    const dep = post.pdeps[base] as Dep;
    dep.s.removed = true;
    post.pdeps[base] = undefined;
  }
  post.store(s, base, v, l.bits);
}

function rightJson(post: Post, s: RelIS): JExpr {
  if (s.rightJson !== undefined) return s.rightJson;
  const r = s.right;
  const t = typeOf(s.left);
  switch (r.k) {
    case 'value':
      if (s.left.k === 'concat') return concatValues(r.bytes, s.left.items, post.ctx);
      return valueJson(r.bytes, t, post.ctx);
    case 'range':
      if (s.left.k === 'concat') return { range: [concatValues(r.from, s.left.items, post.ctx), concatValues(r.to, s.left.items, post.ctx)] };
      return { range: [valueJson(r.from, t, post.ctx), valueJson(r.to, t, post.ctx)] };
    case 'setref':
      return setJson(post, r.name, r.shift);
    default:
      return exprJson(r, post.ctx, t);
  }
}

function sameLeft(a: IE, b: IE): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)) === JSON.stringify(b, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
}

function relPost(post: Post, s: RelIS, out: IS[]): void {
  const start = out.length;
  const l = s.left;
  if (l.k === 'payload') payloadRel(post, s, out);
  else if (l.k === 'binop') binopRel(post, s, out);
  else {
    post.walk(l);
    ctMetaPost(post, s);
    out.push(s);
  }
  // expr_may_merge_range: `x >= a` followed by `x <= b` is `x a-b`
  const cur = out[out.length - 1];
  const prev = post.prev;
  if (out.length - start === 1 && cur && cur.k === 'rel' && prev && prev.k === 'rel' && !prev.removed && cur.right.k === 'value' && prev.right.k === 'value') {
    let op: '==' | '!=' | undefined;
    if (cur.op === '<=' && prev.op === '>=') op = '==';
    else if (cur.op === '>' && prev.op === '<') op = '!=';
    if (op && sameLeft(cur.left, prev.left)) {
      prev.removed = true;
      const merged: RelIS = { k: 'rel', op, left: cur.left, right: { k: 'range', from: prev.right.bytes, to: cur.right.bytes } };
      out[out.length - 1] = merged;
      post.prev = merged;
      return;
    }
  }
  post.prev = out[out.length - 1];
}

const allOnes = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** stmt_payload_postprocess + stmt_payload_binop_postprocess: sub-byte payload mangling. */
function payloadStmtPost(post: Post, s: StmtIS): void {
  const p = s.exprs[0];
  const val = s.exprs[1];
  if (!p || p.k !== 'payload' || !val) return;
  post.complete(p);
  if (p.proto !== undefined || val.k !== 'binop') return;
  const nb = Math.ceil(p.bits / 8);
  const same = (x: IE): boolean => x.k === 'payload' && x.base === p.base && x.offset === p.offset && x.bits === p.bits;
  if (val.op === '|' && val.left.k === 'binop' && val.left.op === '&' && same(val.left.left) && val.left.right.k === 'value' && val.right.k === 'value') {
    // I: (payload & mask) | value
    const mask = bytesToBig(val.left.right.bytes, 'big');
    const v = bytesToBig(val.right.bytes, 'big');
    const m = allOnes(p.bits) ^ mask ^ v;
    const t = trim(post, p, bigToBytes(m, nb, 'big'));
    if (!t) return;
    become(p, fieldPayload(t.field, p.base));
    become(val, { k: 'value', bytes: bigToBytes(v >> BigInt(t.shift), Math.ceil(t.field.len / 8), 'big') });
    return;
  }
  if ((val.op === '&' || val.op === '|') && same(val.left) && val.right.k === 'value') {
    // IIa: payload & mask (set to zero); IIb: payload | bits (set all bits)
    const v = bytesToBig(val.right.bytes, 'big');
    const m = val.op === '&' ? allOnes(p.bits) ^ v : v;
    const t = trim(post, p, bigToBytes(m, nb, 'big'));
    if (!t) return;
    become(p, fieldPayload(t.field, p.base));
    const nv = val.op === '&' ? 0n : v >> BigInt(t.shift);
    become(val, { k: 'value', bytes: bigToBytes(nv, Math.ceil(t.field.len / 8), 'big') });
  }
}

const REJECT_CODE_TYPE: Readonly<Record<string, string>> = { icmp: 'icmp_code', icmpv6: 'icmpv6_code', icmpx: 'icmpx_code' };

function rejectJson(post: Post, s: StmtIS): JStatement {
  const rj = s.reject;
  if (!rj) return fail('reject');
  const fam = post.ctx.family;
  let type: string | undefined;
  if (rj.type === 1) {
    type = 'tcp reset';
    if ((fam === 'ip' || fam === 'ip6') && post.pdeps[3]) {
      post.pdeps[3].s.removed = true;
      post.pdeps[3] = undefined;
    }
  } else if (rj.type === 2) type = 'icmpx';
  else if (rj.type === 0) {
    if (fam === 'ip') type = 'icmp';
    else if (fam === 'ip6') type = 'icmpv6';
    else if (post.proto[2] === 'ip') type = 'icmp';
    else if (post.proto[2] === 'ip6') type = 'icmpv6';
  }
  if ((fam === 'inet' || fam === 'bridge' || fam === 'netdev') && rj.type !== 2 && post.pdeps[2]) {
    post.pdeps[2].s.removed = true;
    post.pdeps[2] = undefined;
  }
  if (!type) return { reject: null };
  const o: Record<string, unknown> = { type };
  if (type !== 'tcp reset') {
    const ct = REJECT_CODE_TYPE[type] as string;
    try {
      o.expr = decodeValue(ct, Uint8Array.of(rj.code ?? 0));
    } catch {
      o.expr = rj.code ?? 0;
    }
  }
  return { reject: o } as JStatement;
}

/** Pass 2: intermediate statements -> the rule's JSON statements. */
export function postprocess(stmts: readonly IS[], ctx: DelinearizeContext): JStatement[] {
  const post = new Post(ctx);
  const out: IS[] = [];
  const built = new Map<IS, JStatement>();
  for (const s of stmts) {
    if (s.k === 'rel') {
      relPost(post, s, out);
      continue;
    }
    if (s.kind === 'payload') payloadStmtPost(post, s);
    if (s.kind === 'nat' || s.kind === 'tproxy') {
      // the address may kill dependencies; the port expression starts a fresh context
      for (const e of s.exprs) post.walk(e);
    } else for (const e of s.exprs) post.walk(e, s.kind === 'set' || s.kind === 'meter');
    out.push(s);
    if (s.kind === 'reject') built.set(s, rejectJson(post, s));
    post.prev = s;
    post.reset();
    post.prev = undefined;
  }
  const res: JStatement[] = [];
  for (const s of out) {
    if (s.removed) continue;
    if (s.k === 'rel') {
      res.push({ match: { op: s.op, left: s.leftJson ?? exprJson(s.left, ctx), right: rightJson(post, s) } } as JStatement);
    } else res.push(built.get(s) ?? s.build());
  }
  return res;
}
