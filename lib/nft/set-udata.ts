// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A set's NFTA_SET_USERDATA exactly as nft 1.0.6 writes and reads it (src/mnl.c mnl_nft_set_add,
 * src/netlink.c netlink_delinearize_set): libnftnl udata TLVs `{ u8 type, u8 len, value }`,
 * integers in host byte order, nests for the `typeof` expressions:
 *
 *   KEYBYTEORDER(0) u32   DATABYTEORDER(1) u32 (data maps)   MERGE_ELEMENTS(2) u32 (auto-merge)
 *   KEY_TYPEOF(3) { TYPEOF_EXPR(0) u32 expr type, TYPEOF_DATA(1) { per expression } }
 *   DATA_TYPEOF(4) { same }   DATA_INTERVAL(6) u32 (maps)   COMMENT(7) NUL-terminated text
 *
 * Per expression (each `*_expr_build_udata`): payload { DESC(0) proto id, TYPE(1) template index,
 * BASE(2) + OFFSET(3) for raw payload, LEN(4) for integer-typed fields }, meta { KEY(0) },
 * ct { KEY(0), DIR(1) (0xffffffff = none) }, concat { NEST+i(i) { SUB_TYPE(0), SUB_DATA(1) } },
 * exthdr { TYPE(1) template index, OP(2) (not for IPv6), DESC(0) IPv6 header id or the option /
 * chunk type }, fib { RESULT(0), FLAGS(1) }, socket/rt { KEY(0) }, numgen { TYPE(0), MOD(1),
 * OFFSET(2) }, xfrm { KEY(0), SPNUM(1), DIR(2) }, osf { }, verdict { } (nothing). Other kinds
 * (jhash/symhash: nft 1.0.6 cannot print them back) are not decoded: such a set lists with `type`.
 *
 * In the JSON model a set declared with typeof has `"type": { "typeof": expr }` (and a data map
 * `"map": { "typeof": expr }`), as nft 1.1 prints and accepts it; listedTypeof() decides when, as
 * nft 1.0.6 does; typeofLayout() gives the key/data type, length and byte order nft sends for it,
 * and the datatype names nft 1.0.6 prints instead (the nft106 projection).
 */
import type { JExpr } from './schema';
import { metaKey, ctKey, payloadField, rtKey, socketKey, fibResult, FIB_FLAGS, exthdrByType, exthdrDef, exthdrField, EXTHDR_JSON, EXTHDR_OPS, type ExthdrOp, type ExthdrField } from './fields';
import { datatype, CONCAT_TYPE_BITS } from './datatypes';

export const SET_UDATA = { keyByteorder: 0, dataByteorder: 1, mergeElements: 2, keyTypeof: 3, dataTypeof: 4, expr: 5, dataInterval: 6, comment: 7 } as const;
/** nft's enum byteorder. */
export const BYTEORDER = { invalid: 0, host: 1, big: 2 } as const;
/** nft's enum expr_types values that appear in typeof udata. */
const EXPR = { verdict: 1, payload: 7, exthdr: 8, meta: 9, socket: 10, osf: 11, ct: 12, concat: 13, numgen: 23, hash: 24, rt: 25, fib: 26, xfrm: 27 } as const;
/** NFT_XFRM_KEY_* (ipsec expression keys) and their value types. */
const XFRM_KEYS: readonly (readonly [name: string, family: 'ip' | 'ip6' | undefined, type: string, bits: number, order: 'big' | 'host'])[] = [
  ['', undefined, 'integer', 0, 'host'],
  ['daddr', 'ip', 'ipv4_addr', 32, 'big'],
  ['daddr', 'ip6', 'ipv6_addr', 128, 'big'],
  ['saddr', 'ip', 'ipv4_addr', 32, 'big'],
  ['saddr', 'ip6', 'ipv6_addr', 128, 'big'],
  ['reqid', undefined, 'integer', 32, 'host'],
  ['spi', undefined, 'integer', 32, 'big'],
];
const NUMGEN_MODES = ['inc', 'random'] as const;

/** nft's proto_desc ids and template indexes (include/proto.h, src/proto.c of v1.0.6). */
const PROTO_DESC: Readonly<Record<string, { readonly id: number; readonly fields: Readonly<Record<string, number>> }>> = {
  ah: { id: 1, fields: { nexthdr: 1, hdrlength: 2, reserved: 3, spi: 4, sequence: 5 } },
  esp: { id: 2, fields: { spi: 1, sequence: 2 } },
  comp: { id: 3, fields: { nexthdr: 1, flags: 2, cpi: 3 } },
  icmp: { id: 4, fields: { type: 1, code: 2, checksum: 3, id: 4, sequence: 5, gateway: 6, mtu: 7 } },
  igmp: { id: 5, fields: { type: 1, checksum: 2, mrt: 3, group: 4 } },
  udp: { id: 6, fields: { sport: 1, dport: 2, length: 3, checksum: 4 } },
  udplite: { id: 7, fields: { sport: 1, dport: 2, csumcov: 3, checksum: 4 } },
  tcp: { id: 8, fields: { sport: 1, dport: 2, sequence: 3, ackseq: 4, doff: 5, reserved: 6, flags: 7, window: 8, checksum: 9, urgptr: 10 } },
  dccp: { id: 9, fields: { sport: 1, dport: 2, type: 3 } },
  sctp: { id: 10, fields: { sport: 1, dport: 2, vtag: 3, checksum: 4 } },
  th: { id: 11, fields: { sport: 1, dport: 2 } },
  ip: { id: 12, fields: { version: 1, hdrlength: 2, dscp: 3, ecn: 4, length: 5, id: 6, 'frag-off': 7, ttl: 8, protocol: 9, checksum: 10, saddr: 11, daddr: 12 } },
  ip6: { id: 13, fields: { version: 1, dscp: 2, ecn: 3, flowlabel: 4, length: 5, nexthdr: 6, hoplimit: 7, saddr: 8, daddr: 9 } },
  icmpv6: { id: 14, fields: { type: 1, code: 2, checksum: 3, 'parameter-problem': 4, mtu: 5, id: 6, sequence: 7, 'max-delay': 8 } },
  arp: { id: 15, fields: { htype: 1, ptype: 2, hlen: 3, plen: 4, operation: 5, 'saddr ether': 6, 'saddr ip': 7, 'daddr ether': 8, 'daddr ip': 9 } },
  vlan: { id: 16, fields: { pcp: 1, dei: 2, cfi: 3, id: 4, type: 5 } },
  ether: { id: 17, fields: { daddr: 1, saddr: 2, type: 3 } },
};
const PROTO_BY_ID = new Map(Object.entries(PROTO_DESC).map(([name, d]) => [d.id, { name, fields: new Map(Object.entries(d.fields).map(([f, i]) => [i, f])) }]));
/** nft's enum proto_bases: 1 link layer, 2 network, 3 transport, 4 inner (0 invalid). */
const BASES = ['ll', 'nh', 'th', 'ih'] as const;
const baseName = (n: number): (typeof BASES)[number] | undefined => BASES[n - 1];

/** What a set's userdata says (all optional: sets created by other tools may carry none). */
export interface SetUdata {
  keyByteorder?: number;
  dataByteorder?: number;
  mergeElements?: boolean;
  keyTypeof?: JExpr;
  dataTypeof?: JExpr;
  /** The data typeof is nft's verdict expression (`typeof … : verdict`). */
  dataTypeofVerdict?: boolean;
  dataInterval?: boolean;
  comment?: string;
}

// ---------------------------------------------------------------------------------------------
// TLV helpers

function tlvs(buf: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let o = 0;
  while (o + 2 <= buf.length) {
    const type = buf[o] as number;
    const len = buf[o + 1] as number;
    if (o + 2 + len > buf.length) break;
    if (!out.has(type)) out.set(type, buf.subarray(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return out;
}
const u32 = (v: Uint8Array | undefined): number | undefined =>
  v !== undefined && v.length === 4 ? new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true) : undefined;

class TlvWriter {
  private readonly parts: number[] = [];
  u32(type: number, v: number): void {
    this.parts.push(type, 4, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  bytes(type: number, v: Uint8Array): void {
    if (v.length > 255) throw new RangeError(`Expected set userdata entries of at most 255 bytes but received ${v.length}`);
    this.parts.push(type, v.length, ...v);
  }
  nest(type: number, fill: (w: TlvWriter) => void): void {
    const inner = new TlvWriter();
    fill(inner);
    this.bytes(type, inner.done());
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

// ---------------------------------------------------------------------------------------------
// typeof expressions

/** nft's exthdr_desc ids of the IPv6 extension headers (enum exthdr_desc_id). */
const IPV6_EXTHDR_DESC = ['', 'hbh', 'rt', 'rt0', 'rt2', 'srh', 'frag', 'dst', 'mh'] as const;
/** nft's enum ipopt_fields (IP options share one template numbering). */
const IPOPT_FIELD: Readonly<Record<string, number>> = { type: 1, length: 2, value: 3, ptr: 4, addr: 5 };
const EXTHDR_OP_BY_NUM = new Map(Object.entries(EXTHDR_OPS).map(([k, v]) => [v, k as ExthdrOp]));
const EXTHDR_OP_BY_JSON = new Map(Object.entries(EXTHDR_JSON).map(([k, v]) => [v, k as ExthdrOp]));

/** The exthdr template index nft stores (expr_exthdr_type) for a field. */
function exthdrTemplate(f: ExthdrField): number | undefined {
  switch (f.op) {
    case 'ipv4':
      return IPOPT_FIELD[f.field];
    case 'ipv6':
    case 'sctp':
    case 'tcpopt': {
      if (f.op === 'tcpopt' && f.type === 5 && /^sack[123]$/.test(f.name)) {
        const n = Number(f.name.slice(4));
        return f.field === 'left' ? 2 + 2 * n : f.field === 'right' ? 3 + 2 * n : undefined;
      }
      const d = exthdrDef(f.op, f.name);
      const i = d?.fields.findIndex((x) => x.field === f.field) ?? -1;
      if (i < 0) return undefined;
      // IPv6 templates start at 1 (index 0 is unused); TCP options and SCTP chunks at 0
      return f.op === 'ipv6' ? i + 1 : i;
    }
    default:
      return undefined;
  }
}

function parseExthdr(t: Map<number, Uint8Array>): JExpr | undefined {
  const desc = u32(t.get(0));
  const type = u32(t.get(1));
  const op = (EXTHDR_OP_BY_NUM as ReadonlyMap<number, ExthdrOp>).get(u32(t.get(2)) ?? 0);
  if (desc === undefined || type === undefined || op === undefined) return undefined;
  let name: string | undefined;
  let field: string | undefined;
  if (op === 'ipv6') {
    name = IPV6_EXTHDR_DESC[desc];
    field = name ? exthdrDef('ipv6', name)?.fields[type - 1]?.field : undefined;
  } else if (op === 'ipv4') {
    name = exthdrByType('ipv4', desc)?.name;
    field = Object.entries(IPOPT_FIELD).find(([, v]) => v === type)?.[0];
  } else {
    const d = exthdrByType(op, desc);
    name = d?.name;
    if (op === 'tcpopt' && desc === 5 && type >= 4) {
      name = `sack${Math.floor((type - 2) / 2)}`;
      field = type % 2 === 0 ? 'left' : 'right';
    } else field = d?.fields[type]?.field;
  }
  if (name === undefined || field === undefined || exthdrField(op, name, field) === undefined) return undefined;
  return { [EXTHDR_JSON[op]]: { name, field } } as unknown as JExpr;
}

function parseExpr(etype: number, data: Uint8Array): JExpr | undefined {
  const t = tlvs(data);
  switch (etype) {
    case EXPR.payload: {
      const desc = u32(t.get(0));
      const type = u32(t.get(1));
      if (desc === undefined || type === undefined) return undefined;
      const proto = PROTO_BY_ID.get(desc);
      if (proto === undefined) {
        const base = u32(t.get(2));
        const offset = u32(t.get(3));
        const len = u32(t.get(4));
        const b = base === undefined ? undefined : baseName(base);
        if (b === undefined || offset === undefined || len === undefined) return undefined;
        return { payload: { base: b, offset, len } };
      }
      const field = proto.fields.get(type);
      return field === undefined ? undefined : { payload: { protocol: proto.name, field } };
    }
    case EXPR.meta: {
      const key = u32(t.get(0));
      const k = key === undefined ? undefined : metaKey(key);
      return k === undefined ? undefined : { meta: { key: k.name } };
    }
    case EXPR.ct: {
      const key = u32(t.get(0));
      const dir = u32(t.get(1));
      const k = key === undefined ? undefined : ctKey(key);
      if (k === undefined) return undefined;
      if (dir === 0) return { ct: { key: k.name, dir: 'original' } };
      if (dir === 1) return { ct: { key: k.name, dir: 'reply' } };
      return { ct: { key: k.name } };
    }
    case EXPR.socket: {
      const k = u32(t.get(0));
      const d = k === undefined ? undefined : socketKey(k);
      return d === undefined ? undefined : { socket: { key: d.name } };
    }
    case EXPR.rt: {
      const k = u32(t.get(0));
      const d = k === undefined ? undefined : rtKey(k);
      if (d === undefined) return undefined;
      if (k === 1) return { rt: { key: 'nexthop', family: 'ip' } };
      if (k === 2) return { rt: { key: 'nexthop', family: 'ip6' } };
      return { rt: { key: d.name } };
    }
    case EXPR.osf:
      return { osf: { key: 'name' } };
    case EXPR.exthdr:
      return parseExthdr(t);
    case EXPR.fib: {
      const r = u32(t.get(0));
      const fl = u32(t.get(1)) ?? 0;
      const d = r === undefined ? undefined : fibResult(r);
      if (d === undefined) return undefined;
      // as the rule's fib lists (delinearize): flag names in bit order, unknown bits as a number
      const flags: (string | number)[] = [];
      let rest = fl & ~FIB_FLAGS.present;
      for (const [n, bit] of Object.entries(FIB_FLAGS)) {
        if (n !== 'present' && rest & bit) {
          flags.push(n);
          rest &= ~bit;
        }
      }
      if (rest) flags.push(rest);
      return { fib: { result: d.name, ...(flags.length ? { flags } : {}) } } as JExpr;
    }
    case EXPR.numgen: {
      const type = u32(t.get(0));
      const mod = u32(t.get(1));
      const offset = u32(t.get(2)) ?? 0;
      const mode = type === undefined ? undefined : NUMGEN_MODES[type];
      if (mode === undefined || mod === undefined) return undefined;
      return { numgen: offset ? { mode, mod, offset } : { mode, mod } } as JExpr;
    }
    case EXPR.xfrm: {
      const key = u32(t.get(0));
      const spnum = u32(t.get(1)) ?? 0;
      const dir = u32(t.get(2));
      const k = key === undefined ? undefined : XFRM_KEYS[key];
      if (k === undefined || key === 0) return undefined;
      const body: Record<string, unknown> = { key: k[0] };
      if (k[1] !== undefined) body.family = k[1];
      body.dir = dir === 1 ? 'out' : 'in';
      body.spnum = spnum;
      return { ipsec: body } as unknown as JExpr;
    }
    case EXPR.concat: {
      const parts: JExpr[] = [];
      for (let i = 0; ; i++) {
        const nest = t.get(i);
        if (nest === undefined) break;
        const sub = tlvs(nest);
        const st = u32(sub.get(0));
        const sd = sub.get(1);
        if (st === undefined || sd === undefined) return undefined;
        const e = parseExpr(st, sd);
        if (e === undefined) return undefined;
        parts.push(e);
      }
      return parts.length > 0 ? { concat: parts } : undefined;
    }
    default:
      return undefined;
  }
}

function parseTypeof(nest: Uint8Array | undefined): JExpr | undefined {
  if (nest === undefined) return undefined;
  const t = tlvs(nest);
  const etype = u32(t.get(0));
  const data = t.get(1);
  if (etype === undefined || data === undefined) return undefined;
  return parseExpr(etype, data);
}

/** The field of an exthdr / `tcp option` / `ip option` / `sctp chunk` expression. */
function exthdrOf(e: JExpr): ExthdrField | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
  const keys = Object.keys(e);
  const op = keys.length === 1 ? EXTHDR_OP_BY_JSON.get(keys[0] as string) : undefined;
  if (op === undefined) return undefined;
  const b = (e as Record<string, { name?: unknown; field?: unknown }>)[keys[0] as string];
  if (typeof b?.name !== 'string' || typeof b.field !== 'string') return undefined;
  return exthdrField(op, b.name, b.field);
}

/** Expression kind of a typeof JSON expression, or undefined when nft cannot store it. */
function writeExpr(w: TlvWriter, e: JExpr, where: string): number {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new TypeError(`Expected a typeof expression for ${where} but received ${JSON.stringify(e)}`);
  if ('payload' in e) {
    const p = e.payload;
    if ('protocol' in p) {
      const proto = PROTO_DESC[p.protocol];
      const idx = proto?.fields[p.field];
      const f = payloadField(p.protocol, p.field);
      if (proto === undefined || idx === undefined || f === undefined) throw new TypeError(`Expected a known payload field for ${where} but received ${p.protocol} ${p.field}`);
      w.u32(0, proto.id);
      w.u32(1, idx);
      if (f.type === 'integer') w.u32(4, f.len);
      return EXPR.payload;
    }
    const base = BASES.indexOf(p.base);
    if (base < 0) throw new TypeError(`Expected a payload base (ll, nh, th, ih) for ${where} but received ${String(p.base)}`);
    w.u32(0, 0);
    w.u32(1, 0);
    w.u32(2, base + 1);
    w.u32(3, p.offset);
    w.u32(4, p.len);
    return EXPR.payload;
  }
  if ('meta' in e) {
    const k = metaKey(e.meta.key);
    if (k === undefined) throw new TypeError(`Expected a meta key for ${where} but received ${e.meta.key}`);
    w.u32(0, k.key);
    return EXPR.meta;
  }
  if ('ct' in e) {
    const k = ctKey(e.ct.key);
    if (k === undefined) throw new TypeError(`Expected a ct key for ${where} but received ${e.ct.key}`);
    w.u32(0, k.key);
    w.u32(1, e.ct.dir === 'original' ? 0 : e.ct.dir === 'reply' ? 1 : 0xffffffff);
    return EXPR.ct;
  }
  const parts = (e as { concat?: unknown }).concat;
  if (Array.isArray(parts)) {
    (parts as readonly JExpr[]).forEach((sub, i) => {
      w.nest(i, (n) => {
        const inner = new TlvWriter();
        const st = writeExpr(inner, sub, `${where}.concat[${i}]`);
        n.u32(0, st);
        n.bytes(1, inner.done());
      });
    });
    return EXPR.concat;
  }
  if ('socket' in e) {
    const k = socketKey(e.socket.key);
    if (k === undefined) throw new TypeError(`Expected a socket key for ${where} but received ${e.socket.key}`);
    w.u32(0, k.key);
    return EXPR.socket;
  }
  if ('rt' in e) {
    const key = e.rt.key === 'nexthop' ? (e.rt.family === 'ip6' ? 2 : 1) : rtKey(e.rt.key)?.key;
    if (key === undefined) throw new TypeError(`Expected an rt key for ${where} but received ${e.rt.key}`);
    w.u32(0, key);
    return EXPR.rt;
  }
  if ('osf' in e) return EXPR.osf;
  const xf = exthdrOf(e);
  if (xf !== undefined) {
    const tmpl = exthdrTemplate(xf);
    if (tmpl === undefined) throw new TypeError(`Expected an extension header field nft can store as a typeof for ${where} but received ${JSON.stringify(e)}`);
    w.u32(1, tmpl);
    if (xf.op === 'ipv6') {
      const id = IPV6_EXTHDR_DESC.indexOf(xf.name as (typeof IPV6_EXTHDR_DESC)[number]);
      if (id <= 0) throw new TypeError(`Expected an IPv6 extension header nft can store as a typeof for ${where} but received ${xf.name}`);
      w.u32(0, id);
    } else {
      w.u32(2, EXTHDR_OPS[xf.op]);
      w.u32(0, xf.type);
    }
    return EXPR.exthdr;
  }
  if ('fib' in e) {
    const r = fibResult(e.fib.result);
    if (r === undefined) throw new TypeError(`Expected a fib result (oif, oifname, type) for ${where} but received ${String(e.fib.result)}`);
    const list = e.fib.flags === undefined ? [] : Array.isArray(e.fib.flags) ? e.fib.flags : [e.fib.flags];
    let flags = 0;
    for (const f of list as readonly (string | number)[]) {
      const bit = typeof f === 'number' ? f : (FIB_FLAGS as Readonly<Record<string, number>>)[f];
      if (bit === undefined) throw new TypeError(`Expected fib flags (saddr, daddr, mark, iif, oif) for ${where} but received ${String(f)}`);
      flags |= bit;
    }
    w.u32(0, r.key);
    w.u32(1, flags);
    return EXPR.fib;
  }
  if ('numgen' in e) {
    const mode = NUMGEN_MODES.indexOf(e.numgen.mode);
    if (mode < 0) throw new TypeError(`Expected numgen mode inc or random for ${where} but received ${String(e.numgen.mode)}`);
    w.u32(0, mode);
    w.u32(1, e.numgen.mod);
    w.u32(2, e.numgen.offset ?? 0);
    return EXPR.numgen;
  }
  if ('ipsec' in e) {
    const x = e.ipsec as { key: string; family?: string; dir?: string; spnum?: number };
    const key = XFRM_KEYS.findIndex((k, i) => i > 0 && k[0] === x.key && (k[1] === undefined || k[1] === (x.family ?? 'ip')));
    if (key < 0) throw new TypeError(`Expected an ipsec key for ${where} but received ${x.key}`);
    w.u32(0, key);
    w.u32(1, x.spnum ?? 0);
    w.u32(2, x.dir === 'out' ? 1 : 0);
    return EXPR.xfrm;
  }
  throw new TypeError(`Expected a payload, meta, ct, socket, rt, osf, fib, exthdr, numgen, ipsec or concat expression for ${where} (the typeof kinds this package stores) but received ${Object.keys(e).join(', ')}`);
}

function writeTypeof(w: TlvWriter, type: number, e: JExpr, where: string): void {
  w.nest(type, (n) => {
    const inner = new TlvWriter();
    const etype = writeExpr(inner, e, where);
    n.u32(0, etype);
    n.bytes(1, inner.done());
  });
}

// ---------------------------------------------------------------------------------------------

export function parseSetUdata(buf: Uint8Array | undefined): SetUdata {
  const out: SetUdata = {};
  if (buf === undefined) return out;
  const t = tlvs(buf);
  const kb = u32(t.get(SET_UDATA.keyByteorder));
  if (kb !== undefined) out.keyByteorder = kb;
  const db = u32(t.get(SET_UDATA.dataByteorder));
  if (db !== undefined) out.dataByteorder = db;
  const merge = u32(t.get(SET_UDATA.mergeElements));
  if (merge !== undefined && merge !== 0) out.mergeElements = true;
  const kt = parseTypeof(t.get(SET_UDATA.keyTypeof));
  if (kt !== undefined) out.keyTypeof = kt;
  const dnest = t.get(SET_UDATA.dataTypeof);
  if (dnest !== undefined && u32(tlvs(dnest).get(0)) === EXPR.verdict && tlvs(dnest).has(1)) out.dataTypeofVerdict = true;
  const dt = parseTypeof(dnest);
  if (dt !== undefined) out.dataTypeof = dt;
  const di = u32(t.get(SET_UDATA.dataInterval));
  if (di !== undefined && di !== 0) out.dataInterval = true;
  const c = t.get(SET_UDATA.comment);
  if (c !== undefined) {
    const end = c.indexOf(0);
    out.comment = Buffer.from(end < 0 ? c : c.subarray(0, end)).toString('utf8');
  }
  return out;
}

/**
 * The userdata nft writes for a set: key byte order always; for maps the data byte order (data
 * maps) and the data-interval flag; auto-merge; typeof expressions; the comment.
 */
export function buildSetUdata(u: {
  readonly keyByteorder: number;
  readonly map: 'data' | 'object' | 'none';
  readonly dataByteorder?: number;
  readonly mergeElements?: boolean;
  readonly keyTypeof?: JExpr;
  readonly dataTypeof?: JExpr;
  readonly dataInterval?: boolean;
  /** A typeof map to verdicts (nft stores the verdict expression as the data typeof). */
  readonly verdictTypeof?: boolean;
  /**
   * The key (data) is a concatenation of datatype names (`type a . b`): nft 1.0.6 still writes a
   * typeof for it, a concat with no fields (concat_expr_build_udata gives up on the first
   * constant after set_key_expression has opened the nest).
   */
  readonly keyNamesConcat?: boolean;
  readonly dataNamesConcat?: boolean;
  readonly comment?: string;
}): Uint8Array {
  const w = new TlvWriter();
  w.u32(SET_UDATA.keyByteorder, u.keyByteorder);
  if (u.map === 'data') w.u32(SET_UDATA.dataByteorder, u.dataByteorder ?? BYTEORDER.invalid);
  if (u.mergeElements) w.u32(SET_UDATA.mergeElements, 1);
  const emptyConcat = (type: number): void =>
    w.nest(type, (n) => {
      n.u32(0, EXPR.concat);
      n.bytes(1, new Uint8Array(0));
    });
  if (u.keyTypeof !== undefined) writeTypeof(w, SET_UDATA.keyTypeof, u.keyTypeof, 'typeof');
  else if (u.keyNamesConcat === true) emptyConcat(SET_UDATA.keyTypeof);
  if (u.map !== 'none') {
    if (u.dataTypeof !== undefined) writeTypeof(w, SET_UDATA.dataTypeof, u.dataTypeof, 'typeof data');
    else if (u.dataNamesConcat === true && u.map === 'data') emptyConcat(SET_UDATA.dataTypeof);
    else if (u.verdictTypeof === true) {
      // `typeof … : verdict`: the data is a verdict expression, which stores nothing.
      w.nest(SET_UDATA.dataTypeof, (n) => {
        n.u32(0, EXPR.verdict);
        n.bytes(1, new Uint8Array(0));
      });
    }
    w.u32(SET_UDATA.dataInterval, u.dataInterval ? 1 : 0);
  }
  if (u.comment !== undefined) w.bytes(SET_UDATA.comment, Buffer.from(`${u.comment}\0`, 'utf8'));
  return w.done();
}

/** Length in bits and byte order of the value a typeof expression produces, when known. */
export function typeofField(e: JExpr): { readonly type: string; readonly bits: number; readonly byteorder: 'big' | 'host' } | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
  if ('payload' in e) {
    const p = e.payload;
    if ('protocol' in p) {
      const f = payloadField(p.protocol, p.field);
      return f === undefined ? undefined : { type: f.type, bits: f.len, byteorder: 'big' };
    }
    return { type: 'integer', bits: p.len, byteorder: 'big' };
  }
  if ('meta' in e) {
    const k = metaKey(e.meta.key);
    return k === undefined ? undefined : { type: k.type, bits: k.bits ?? k.len * 8, byteorder: k.byteorder ?? 'host' };
  }
  if ('ct' in e) {
    const k = ctKey(e.ct.key);
    return k === undefined ? undefined : { type: k.type, bits: k.bits ?? k.len * 8, byteorder: k.byteorder ?? 'host' };
  }
  if ('socket' in e) {
    const k = socketKey(e.socket.key);
    return k === undefined ? undefined : { type: k.type, bits: k.bits ?? k.len * 8, byteorder: k.byteorder ?? 'host' };
  }
  if ('rt' in e) {
    const k = e.rt.key === 'nexthop' ? rtKey(e.rt.family === 'ip6' ? 2 : 1) : rtKey(e.rt.key);
    return k === undefined ? undefined : { type: k.type, bits: k.bits ?? k.len * 8, byteorder: k.byteorder ?? 'host' };
  }
  if ('osf' in e) return { type: 'string', bits: 16 * 8, byteorder: 'host' };
  const xf = exthdrOf(e);
  if (xf !== undefined) return { type: xf.datatype, bits: xf.len, byteorder: 'big' };
  if ('numgen' in e) return { type: 'integer', bits: 32, byteorder: 'host' };
  if ('fib' in e) {
    const r = fibResult(e.fib.result);
    return r === undefined ? undefined : { type: r.type, bits: r.bits ?? r.len * 8, byteorder: r.byteorder ?? 'host' };
  }
  if ('ipsec' in e) {
    const x = e.ipsec as { key: string; family?: string };
    const k = XFRM_KEYS.find((r, i) => i > 0 && r[0] === x.key && (r[1] === undefined || r[1] === (x.family ?? 'ip')));
    return k === undefined ? undefined : { type: k[2], bits: k[3], byteorder: k[4] };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The key (or data) a typeof expression declares, as nft derives it

/** One field of a typeof declaration: the expression's datatype, length and byte order. */
export interface TypeofPart {
  /** Datatype name (`ipv4_addr`, `mark`, `integer`; `invalid` for `ct original proto-dst`). */
  readonly name: string;
  /** The datatype's kernel id (0 for invalid). */
  readonly id: number;
  readonly bits: number;
  readonly byteorder: 'big' | 'host';
}

/** What a typeof declaration gives a set's key or data: what nft sends in NEWSET. */
export interface TypeofLayout {
  readonly parts: readonly TypeofPart[];
  /** NFTA_SET_KEY_TYPE / DATA_TYPE: the datatype id, concatenations packed 6 bits per field. */
  readonly id: number;
  /** Bytes (each field padded to 4 in a concatenation). */
  readonly len: number;
  /** The byte order nft stores in the userdata (BYTEORDER: invalid for a concatenation). */
  readonly byteorder: number;
  /** Bytes of each field (NFTA_SET_DESC_CONCAT). */
  readonly fields: readonly number[];
  /**
   * The datatype names nft 1.0.6 prints for this declaration (`nft -j`'s `type`, `type` in text
   * when the typeof is not used): concat_type_alloc names the fields from the first one and
   * stops at the first field of type invalid (`ip saddr . ct original proto-dst` is `ipv4_addr`).
   */
  readonly names: readonly string[];
}

const concatParts = (e: JExpr): readonly JExpr[] | undefined => {
  const c = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { concat?: unknown }).concat : undefined;
  return Array.isArray(c) ? (c as readonly JExpr[]) : undefined;
};

/** The datatype of one (non-concatenated) typeof expression, or undefined for kinds not stored. */
export function typeofPart(e: JExpr): TypeofPart | undefined {
  const f = typeofField(e);
  if (f === undefined) return undefined;
  const t = datatype(f.type);
  if (t === undefined) return undefined;
  return { name: t.name, id: t.id, bits: f.bits, byteorder: f.byteorder };
}

/**
 * The key (or data) layout of a typeof expression as nft computes it for NEWSET (set->key from
 * the expression: dtype, len, byteorder; a concatenation sums the fields padded to 4 bytes).
 * @throws TypeError for expressions nft cannot use as a typeof (or this package cannot store).
 */
export function typeofLayout(e: JExpr, where: string): TypeofLayout {
  const subs = concatParts(e) ?? [e];
  const parts = subs.map((x, i) => {
    const p = typeofPart(x);
    if (p === undefined) throw new TypeError(`Expected a typeof expression this package stores (payload, meta, ct, socket, rt, osf, numgen, ipsec, fib, exthdr) for ${where}${subs.length > 1 ? `.concat[${i}]` : ''} but received ${JSON.stringify(x)}`);
    if (p.bits === 0) throw new TypeError(`Expected a fixed-size typeof expression for ${where} but received ${JSON.stringify(x)}`);
    return p;
  });
  const fields = parts.map((p) => Math.ceil(p.bits / 8));
  const names: string[] = [];
  for (const p of parts) {
    if (parts.length > 1 && p.id === 0) break;
    names.push(p.name);
  }
  if (parts.length === 1) {
    const p = parts[0] as TypeofPart;
    return { parts, id: p.id, len: fields[0] as number, byteorder: p.byteorder === 'big' ? BYTEORDER.big : BYTEORDER.host, fields, names };
  }
  let id = 0;
  for (const p of parts) id = ((id << CONCAT_TYPE_BITS) | p.id) >>> 0;
  return { parts, id, len: fields.reduce((n, l) => n + Math.ceil(l / 4) * 4, 0), byteorder: BYTEORDER.invalid, fields, names };
}

/** The typeof layout, or undefined when the expression is not one nft stores. */
export function tryTypeofLayout(e: JExpr): TypeofLayout | undefined {
  try {
    return typeofLayout(e, 'typeof');
  } catch {
    return undefined;
  }
}

/** `{ "typeof": expr }`, the lossless form of a typeof `type` / `map` (nft 1.1's JSON). */
export function typeofOf(v: unknown): JExpr | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === 'typeof' ? ((v as { typeof: JExpr }).typeof) : undefined;
}

/** The datatype names of a set's `type` or `map`: names as they are, or those a typeof gives. */
export function declaredNames(v: unknown): readonly string[] | undefined {
  if (typeof v === 'string') return v.split(' . ').map((x) => x.trim());
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  const e = typeofOf(v);
  if (e === undefined) return undefined;
  const l = tryTypeofLayout(e);
  // every field's own datatype (elements of `ct original proto-dst` are integers of 16 bits)
  return l?.parts.map((p) => (p.id === 0 ? 'integer' : p.name));
}

/**
 * What nft 1.0.6 makes of a kernel set's typeof userdata (netlink_delinearize_set): the key's
 * typeof is used only when its length matches the kernel's key length and, for a map, the data
 * typeof is there and matches too (a verdict counts; interval data, twice as long, are kept
 * here although 1.0.6 prints their names); an object map never (1.0.6 finds no data typeof there
 * and discards the key's). Returns the expressions to list, or undefined.
 */
export function listedTypeof(
  u: SetUdata,
  set: { readonly keyLen: number; readonly kind: 'set' | 'data' | 'verdict' | 'object'; readonly dataLen?: number },
): { key: JExpr; data?: JExpr } | undefined {
  if (u.keyTypeof === undefined) return undefined;
  const k = tryTypeofLayout(u.keyTypeof);
  if (k === undefined || k.len !== set.keyLen) return undefined;
  if (set.kind === 'object') return undefined;
  if (set.kind === 'verdict') return u.dataTypeofVerdict === true && set.dataLen === 16 ? { key: u.keyTypeof } : undefined;
  if (set.kind === 'data') {
    if (u.dataTypeof === undefined) return undefined;
    const d = tryTypeofLayout(u.dataTypeof);
    const dl = set.dataLen ?? 0;
    // interval data take twice the data's length: nft 1.0.6 then finds the typeof invalid and
    // prints datatype names (render.ts does the same), but the listing keeps the declaration
    if (d === undefined || (d.len !== dl && !(u.dataInterval === true && 2 * d.len === dl))) return undefined;
    return { key: u.keyTypeof, data: u.dataTypeof };
  }
  return { key: u.keyTypeof };
}
