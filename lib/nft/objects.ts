// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Everything that is not a rule, both ways: nft's JSON objects (table, chain, set, map, element,
 * counter, quota, limit, ct helper, ct timeout, ct expectation, synproxy, secmark, flowtable)
 * <-> the batch operations and dump items of lib/native.ts.
 *
 * Listings give exactly the fields nft 1.0.6 prints with `nft -j list ruleset`, plus a few it
 * drops although the kernel holds them and `nft list ruleset` prints them (nft 1.1 prints most
 * of them in JSON too): table and chain `comment`, a base chain's `dev`, the set flag `dynamic`,
 * a flowtable's `flags`, and the set fields of JSetExtension (`typeof`, `typeof-data`,
 * `auto-merge`). Without them a listing could not be committed back unchanged. `toNft106()`
 * removes them, giving what nft 1.0.6 prints.
 */
import type { ChainData, ChainDesc, FlowtableData, FlowtableDesc, ObjectAttrValue, ObjectData, ObjectDesc, OpDesc, OpVerb, SetData, SetDesc, TableData, TableDesc } from '../native';
import type { Expr } from '../expr/registry';
import type {
  JChain,
  JCounterObj,
  JCtExpectation,
  JCtHelper,
  JCtTimeout,
  JElement,
  JExpr,
  JFlowtable,
  JLimitObj,
  JQuotaObj,
  JSecmark,
  JSet,
  JSetElem,
  JSetFlag,
  JStatement,
  JSynproxyObj,
  JTable,
  JTableFlag,
  NftFamily,
  NftObject,
} from './schema';
import { concatTypes, datatype, protocolName, protocolNumber } from './datatypes';
import { encodeElements, encodeElementsSized, statefulExpr, statementOfExpr, type JSetExt } from './elements';
import { buildSetUdata, listedTypeof, parseSetUdata, tryTypeofLayout, typeofField, typeofLayout, typeofOf, BYTEORDER } from './set-udata';

export type { JSetExt, JSetExtension } from './elements';

// ---------------------------------------------------------------------------------------------
// Constants (uapi nf_tables.h, netfilter.h)

export const FAMILY: Readonly<Record<NftFamily, number>> = { inet: 1, ip: 2, arp: 3, netdev: 5, bridge: 7, ip6: 10 };
const FAMILY_NAME = new Map<number, NftFamily>(Object.entries(FAMILY).map(([k, v]) => [v, k as NftFamily]));
/** family2str: names nft prints for a family number (l3proto of ct objects included). */
function familyText(n: number): string {
  return FAMILY_NAME.get(n) ?? 'unknown';
}

export const TABLE_FLAG: Readonly<Record<JTableFlag, number>> = { dormant: 0x1, owner: 0x2, persist: 0x4 };
const TABLE_FLAG_ORDER: readonly JTableFlag[] = ['dormant', 'owner', 'persist'];

/** NFT_CHAIN_* flags. */
export const CHAIN_FLAG = { base: 0x1, hwOffload: 0x2, binding: 0x4 } as const;

const INET_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'] as const;
const HOOKS: Readonly<Record<NftFamily, readonly string[]>> = {
  ip: INET_HOOKS,
  ip6: INET_HOOKS,
  inet: INET_HOOKS,
  bridge: INET_HOOKS.slice(0, 5),
  arp: ['input', 'output', 'forward'],
  netdev: ['ingress', 'egress'],
};

/** NFT_SET_* flags. */
export const SET_FLAG = { anonymous: 0x1, constant: 0x2, interval: 0x4, map: 0x8, timeout: 0x10, eval: 0x20, object: 0x40, concat: 0x80, expr: 0x100 } as const;
/** NFT_DATA_VERDICT as a set data type. */
const DATA_VERDICT = 0xffffff00;

/** NFT_OBJECT_* types by JSON kind. */
export const OBJECT_TYPE = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, 'ct timeout': 7, secmark: 8, 'ct expectation': 9, synproxy: 10 } as const;
export type ObjectKind = keyof typeof OBJECT_TYPE;
const OBJECT_KIND = new Map<number, ObjectKind>(Object.entries(OBJECT_TYPE).map(([k, v]) => [v, k as ObjectKind]));

const UDATA_COMMENT = 0; // NFTNL_UDATA_{TABLE,CHAIN,OBJ}_COMMENT

// ---------------------------------------------------------------------------------------------
// Small helpers

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    return String(v);
  }
}
function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function need(ok: boolean, what: string, where: string, v: unknown): asserts ok {
  if (!ok) throw new TypeError(`Expected ${what} for ${where} but received ${show(v)}`);
}
function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  need(typeof v === 'string' && v !== '', 'a non-empty string', `${where}.${k}`, v);
  return v as string;
}
function optStr(o: Record<string, unknown>, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  need(typeof v === 'string', 'a string', `${where}.${k}`, v);
  return v as string;
}
function int(v: unknown, min: number, max: number, where: string): number {
  if (typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max)) return Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`Expected an integer ${min}-${max} for ${where} but received ${show(v)}`);
  if (v < min || v > max) throw new RangeError(`Expected an integer ${min}-${max} for ${where} but received ${show(v)}`);
  return v;
}
function u64(v: unknown, where: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`Expected a 64-bit unsigned value for ${where} but received ${show(v)}`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`Expected an integer or bigint for ${where} but received ${show(v)}`);
  if (v < 0) throw new RangeError(`Expected a non-negative value for ${where} but received ${show(v)}`);
  return BigInt(v);
}
function familyOf(o: Record<string, unknown>, where: string): number {
  const f = o.family;
  const n = typeof f === 'string' ? FAMILY[f as NftFamily] : undefined;
  if (n === undefined) throw new TypeError(`Expected a family (ip, ip6, inet, arp, bridge, netdev) for ${where}.family but received ${show(f)}`);
  return n;
}
function handleOf(o: Record<string, unknown>, where: string): bigint | undefined {
  return o.handle === undefined ? undefined : u64(o.handle, `${where}.handle`);
}
function commentUd(comment: string | undefined, where: string): Uint8Array | undefined {
  if (comment === undefined) return undefined;
  const b = Buffer.from(`${comment}\0`, 'utf8');
  if (b.length > 255) throw new RangeError(`Expected a comment of at most 254 bytes for ${where}.comment but received ${b.length - 1}`);
  return Uint8Array.from([UDATA_COMMENT, b.length, ...b]);
}
function udComment(u: Uint8Array | undefined): string | undefined {
  if (u === undefined) return undefined;
  let o = 0;
  while (o + 2 <= u.length) {
    const t = u[o] as number;
    const l = u[o + 1] as number;
    if (o + 2 + l > u.length) return undefined;
    if (t === UDATA_COMMENT) {
      const v = u.subarray(o + 2, o + 2 + l);
      const end = v.indexOf(0);
      return Buffer.from(end < 0 ? v : v.subarray(0, end)).toString('utf8');
    }
    o += 2 + l;
  }
  return undefined;
}
const handleNum = (h: bigint): number => Number(h);

// ---------------------------------------------------------------------------------------------
// Dump data -> JSON

export function tableFromData(d: TableData): JTable {
  const t: Mutable<JTable> = { family: FAMILY_NAME.get(d.family) ?? ('unknown' as NftFamily), name: d.name, handle: handleNum(d.handle) };
  const flags = TABLE_FLAG_ORDER.filter((f) => (d.flags & TABLE_FLAG[f]) !== 0);
  if (flags.length === 1) t.flags = flags[0] as JTableFlag;
  else if (flags.length > 1) t.flags = flags;
  const comment = udComment(d.userdata);
  if (comment !== undefined) t.comment = comment;
  return t;
}

/** True for the anonymous chain of a `jump { … }` (NFT_CHAIN_BINDING): nft lists it inside the rule. */
export function chainIsBinding(d: ChainData): boolean {
  return ((d.flags ?? 0) & CHAIN_FLAG.binding) !== 0;
}

export function chainFromData(d: ChainData): JChain {
  const family = FAMILY_NAME.get(d.family) ?? ('unknown' as NftFamily);
  const c: Mutable<JChain> & Record<string, unknown> = { family, table: d.table, name: d.name, handle: handleNum(d.handle) };
  const comment = udComment(d.userdata);
  if (d.hooknum !== undefined && d.type !== undefined) {
    c.type = d.type as JChain['type'] & string;
    c.hook = (HOOKS[family]?.[d.hooknum] ?? String(d.hooknum)) as NonNullable<JChain['hook']>;
    c.prio = d.priority ?? 0;
    c.policy = d.policy === 0 ? 'drop' : 'accept';
    const devs = d.devices ?? [];
    if (devs.length === 1) c.dev = devs[0] as string;
    else if (devs.length > 1) c.dev = [...devs];
  }
  if (comment !== undefined) c.comment = comment;
  return c;
}

function typeNames(id: number, len: number): string | string[] {
  const types = concatTypes(id);
  if (types === undefined || types.length === 0) return len > 0 ? 'integer' : 'invalid';
  const names = types.map((t) => t.name);
  return names.length === 1 ? (names[0] as string) : names;
}

/** A kernel set -> `JSet` as nft -j prints it (`anonymous` for the sets of rules, `__set%d`). */
export function setFromData(d: SetData): { set: JSetExt; anonymous: boolean } {
  const family = FAMILY_NAME.get(d.family) ?? ('unknown' as NftFamily);
  const u = parseSetUdata(d.userdata);
  const s: Record<string, unknown> = { family, name: d.name, table: d.table, type: typeNames(d.keyType, d.keyLen), handle: handleNum(d.handle) };
  if (u.comment !== undefined) s.comment = u.comment;
  if (d.flags & SET_FLAG.object) s.map = OBJECT_KIND.get(d.objType ?? 0) ?? 'unknown';
  else if (d.flags & SET_FLAG.map) {
    // nft prints the data type's name: a concatenation as one "a . b" string.
    const m = d.dataType === DATA_VERDICT ? 'verdict' : typeNames(d.dataType ?? 0, d.dataLen ?? 0);
    s.map = typeof m === 'string' ? m : m.join(' . ');
  }
  if (!(d.flags & SET_FLAG.constant)) {
    if (d.policy === 1) s.policy = 'memory';
    if (d.size) s.size = d.size;
  }
  const flags: JSetFlag[] = [];
  if (d.flags & SET_FLAG.constant) flags.push('constant');
  if (d.flags & SET_FLAG.interval) flags.push('interval');
  if (d.flags & SET_FLAG.timeout) flags.push('timeout');
  if (d.flags & SET_FLAG.eval) flags.push('dynamic');
  if (flags.length > 0) s.flags = flags;
  if (d.timeoutMs) s.timeout = Number(d.timeoutMs / 1000n);
  if (d.gcIntervalMs) s['gc-interval'] = Math.floor(d.gcIntervalMs / 1000);
  const stmts = d.exprs.map((e) => statementOfExpr(e, true)).filter((x): x is JStatement => x !== undefined);
  if (stmts.length > 0) s.stmt = stmts;
  // typeof: listed where nft uses it (lossless form `{ typeof: expr }`, nft 1.1's JSON)
  const kind = d.flags & SET_FLAG.object ? 'object' : d.flags & SET_FLAG.map ? (d.dataType === DATA_VERDICT ? 'verdict' : 'data') : 'set';
  const tof = listedTypeof(u, { keyLen: d.keyLen, kind, ...(d.dataLen !== undefined ? { dataLen: d.dataLen } : {}) });
  if (tof !== undefined) {
    s.type = { typeof: tof.key };
    if (tof.data !== undefined) s.map = { typeof: tof.data };
  }
  if (u.mergeElements) s['auto-merge'] = true;
  if (u.dataInterval && s.map !== undefined) s['data-interval'] = true;
  return { set: s as unknown as JSetExt, anonymous: (d.flags & SET_FLAG.anonymous) !== 0 };
}

/** nft's ct timeout states and defaults (src/rule.c timeout_protocol) by l4proto. */
const CT_TIMEOUT: Readonly<Record<number, { readonly states: readonly string[]; readonly defaults: readonly number[] }>> = {
  6: {
    states: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unack'],
    defaults: [120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300],
  },
  17: { states: ['unreplied', 'replied'], defaults: [30, 120] },
};
const CT_TIMEOUT_SLOTS = 11; // NFTNL_CTTIMEOUT_ARRAY_MAX
const SYNPROXY_FLAG = { mss: 0x1, wscale: 0x2, 'sack-perm': 0x4, timestamp: 0x8 } as const;
const TIME_UNIT: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
const TIME_UNIT_NAME = new Map(Object.entries(TIME_UNIT).map(([k, v]) => [v, k]));
const BYTE_UNIT: Readonly<Record<string, bigint>> = { bytes: 1n, kbytes: 1024n, mbytes: 1048576n };

function byteRate(v: bigint): { v: number; unit: string } {
  if (v === 0n) return { v: 0, unit: 'bytes' };
  const units = ['bytes', 'kbytes', 'mbytes'];
  let i = 0;
  while (i < units.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return { v: Number(v), unit: units[i] as string };
}

function protoJson(n: number): string | number {
  return protocolName(n) ?? n;
}

const num = (a: Record<string, ObjectAttrValue>, k: string): number => {
  const v = a[k];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
};
const big = (a: Record<string, ObjectAttrValue>, k: string): bigint => {
  const v = a[k];
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n;
};

/**
 * A kernel object -> `{ counter: … }`, `{ "ct timeout": … }` … as nft -j prints it; undefined
 * for an object type nft 1.0.6 does not print either (tunnel, connlimit, unknown numbers).
 */
export function objectFromData(d: ObjectData): NftObject | undefined {
  const kind = OBJECT_KIND.get(d.objType);
  if (kind === undefined) return undefined;
  const o: Record<string, unknown> = { family: FAMILY_NAME.get(d.family) ?? 'unknown', name: d.name, table: d.table, handle: handleNum(d.handle) };
  const comment = udComment(d.userdata);
  if (comment !== undefined) o.comment = comment;
  const a = d.attrs;
  switch (kind) {
    case 'counter':
      o.packets = big(a, 'packets');
      o.bytes = big(a, 'bytes');
      break;
    case 'quota':
      o.bytes = big(a, 'bytes');
      o.used = big(a, 'consumed');
      o.inv = (num(a, 'flags') & 1) !== 0;
      break;
    case 'secmark':
      o.context = typeof a.context === 'string' ? a.context : '';
      break;
    case 'ct helper':
      o.type = typeof a.name === 'string' ? a.name : '';
      o.protocol = protoJson(num(a, 'l4proto'));
      o.l3proto = familyText(num(a, 'l3proto'));
      break;
    case 'ct timeout': {
      const l4 = num(a, 'l4proto');
      o.protocol = protoJson(l4);
      o.l3proto = familyText(num(a, 'l3proto'));
      const spec = CT_TIMEOUT[l4];
      const bytes = a.timeouts instanceof Uint8Array ? a.timeouts : new Uint8Array(0);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let policy: Record<string, number> | null = null;
      if (spec !== undefined) {
        spec.states.forEach((state, i) => {
          if ((i + 1) * 4 > bytes.length) return;
          const v = view.getUint32(i * 4, true);
          if (v === spec.defaults[i]) return;
          policy ??= {};
          policy[state] = v;
        });
      }
      o.policy = policy;
      break;
    }
    case 'ct expectation':
      o.protocol = protoJson(num(a, 'l4proto'));
      o.dport = num(a, 'dport');
      o.timeout = num(a, 'timeout');
      o.size = num(a, 'size');
      o.l3proto = familyText(num(a, 'l3proto'));
      break;
    case 'limit': {
      const bytes = num(a, 'type') === 1;
      const rate = bytes ? byteRate(big(a, 'rate')) : { v: Number(big(a, 'rate')), unit: '' };
      const burst = bytes ? byteRate(BigInt(num(a, 'burst'))) : { v: num(a, 'burst'), unit: '' };
      o.rate = rate.v;
      o.per = TIME_UNIT_NAME.get(Number(big(a, 'unit'))) ?? 'error';
      if (num(a, 'flags') & 1) o.inv = true;
      if (bytes) o.rate_unit = rate.unit;
      if (burst.v !== 0) {
        o.burst = burst.v;
        if (bytes) o.burst_unit = burst.unit;
      }
      break;
    }
    case 'synproxy': {
      o.mss = num(a, 'mss');
      o.wscale = num(a, 'wscale');
      const f = num(a, 'flags');
      const flags: string[] = [];
      if (f & SYNPROXY_FLAG.timestamp) flags.push('timestamp');
      if (f & SYNPROXY_FLAG['sack-perm']) flags.push('sack-perm');
      if (flags.length > 0) o.flags = flags;
      break;
    }
  }
  return { [kind]: o } as unknown as NftObject;
}

export const FLOWTABLE_FLAG = { offload: 0x1, counter: 0x2 } as const;

export function flowtableFromData(d: FlowtableData): JFlowtable {
  const f: Record<string, unknown> = {
    family: FAMILY_NAME.get(d.family) ?? 'unknown',
    name: d.name,
    table: d.table,
    handle: handleNum(d.handle),
    hook: HOOKS.netdev[d.hooknum ?? 0] ?? 'ingress',
    prio: d.priority ?? 0,
  };
  if (d.devices.length === 1) f.dev = d.devices[0];
  else if (d.devices.length > 1) f.dev = [...d.devices];
  const flags: string[] = [];
  if ((d.flags ?? 0) & FLOWTABLE_FLAG.offload) flags.push('offload');
  if ((d.flags ?? 0) & FLOWTABLE_FLAG.counter) flags.push('counter');
  if (flags.length > 0) f.flags = flags;
  return f as unknown as JFlowtable;
}

// ---------------------------------------------------------------------------------------------
// nft 1.0.6's exact view

/**
 * The object as nft 1.0.6 prints it: without the fields it drops (table/chain comment, chain
 * dev, set flag dynamic and the JSetExtension fields, flowtable flags). Returns a copy.
 */
export function toNft106(item: NftObject): NftObject {
  const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
  const b: Record<string, unknown> = { ...body };
  if (kind === 'table' || kind === 'chain') {
    delete b.comment;
    delete b.dev;
  } else if (kind === 'set' || kind === 'map') {
    // `{ typeof }` -> the datatype names nft 1.0.6 prints (see typeofLayout)
    const kt = typeofOf(b.type);
    if (kt !== undefined) {
      const n = tryTypeofLayout(kt)?.names ?? ['invalid'];
      b.type = n.length === 1 ? n[0] : n;
    }
    const dt = typeofOf(b.map);
    if (dt !== undefined) b.map = (tryTypeofLayout(dt)?.names ?? ['invalid']).join(' . ');
    delete b['auto-merge'];
    delete b['data-interval'];
    if (Array.isArray(b.flags)) {
      const f = (b.flags as string[]).filter((x) => x !== 'dynamic');
      if (f.length > 0) b.flags = f;
      else delete b.flags;
    }
  } else if (kind === 'flowtable') {
    delete b.flags;
  }
  return { [kind]: b } as unknown as NftObject;
}

// ---------------------------------------------------------------------------------------------
// JSON -> operations

/** Set layout for NEWSET: key/data type ids and lengths, as nft computes them. */
interface SetLayout {
  keyType: number;
  keyLen: number;
  keyByteorder: number;
  fields: number[];
  dataType?: number;
  dataLen?: number;
  dataByteorder?: number;
  /** Fields of a value map's data (more than one: a concatenation). */
  dataFields?: number;
}

/** The layout of a set's `type` or `map`: datatype names, or `{ typeof: expr }`. */
function declaredLayout(v: unknown, where: string): { id: number; len: number; byteorder: number; fields: number[] } {
  const e = typeofOf(v);
  if (e === undefined) return layoutOf(splitNames(v, where), undefined, where);
  const l = typeofLayout(e, `${where}.typeof`);
  return { id: l.id, len: l.len, byteorder: l.byteorder, fields: [...l.fields] };
}

function layoutOf(names: readonly string[], texpr: JExpr | undefined, where: string): { id: number; len: number; byteorder: number; fields: number[] } {
  const parts = (() => {
    if (texpr === undefined) return undefined;
    const c = isObj(texpr) ? (texpr as { concat?: unknown }).concat : undefined;
    return Array.isArray(c) ? (c as JExpr[]) : [texpr];
  })();
  let id = 0;
  let len = 0;
  const fields: number[] = [];
  let byteorder = 0;
  names.forEach((n, i) => {
    const t = datatype(n);
    if (t === undefined) throw new TypeError(`Expected a datatype name for ${where}[${i}] but received ${show(n)}`);
    const tf = parts?.[i] !== undefined ? typeofField(parts[i] as JExpr) : undefined;
    let bits = t.bits;
    if (tf !== undefined && (bits === 0 || t.name === 'integer' || t.base === 'integer')) bits = tf.bits;
    if (bits === 0) throw new TypeError(`Expected a fixed-size type (or a typeof expression giving its size) for ${where}[${i}] but received ${n}`);
    const l = Math.ceil(bits / 8);
    id = names.length > 1 ? ((id << 6) | t.id) >>> 0 : t.id;
    fields.push(l);
    len += names.length > 1 ? Math.ceil(l / 4) * 4 : l;
    const order = t.name === 'integer' && tf !== undefined ? tf.byteorder : t.byteorder;
    byteorder = names.length > 1 ? BYTEORDER.invalid : order === 'big' ? BYTEORDER.big : BYTEORDER.host;
  });
  return { id, len, byteorder, fields };
}

const splitNames = (t: unknown, where: string): string[] => {
  if (typeof t === 'string' && t !== '') return t.split(' . ').map((x) => x.trim());
  if (Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string')) return t as string[];
  throw new TypeError(`Expected a datatype name or an array of them for ${where} but received ${show(t)}`);
};

function setLayout(s: JSetExt, where: string): SetLayout {
  const k = typeofOf(s.type) !== undefined ? declaredLayout(s.type, `${where}.type`) : layoutOf(splitNames(s.type, `${where}.type`), s.typeof, `${where}.type`);
  const out: SetLayout = { keyType: k.id, keyLen: k.len, keyByteorder: k.byteorder, fields: k.fields };
  if (s.map !== undefined) {
    const m = typeofOf(s.map) !== undefined ? [] : splitNames(s.map, `${where}.map`);
    if (typeofOf(s.map) !== undefined) {
      const d = declaredLayout(s.map, `${where}.map`);
      out.dataType = d.id;
      out.dataLen = s['data-interval'] === true ? 2 * d.len : d.len;
      out.dataByteorder = d.byteorder;
    } else if (m.length === 1 && m[0] === 'verdict') {
      out.dataType = DATA_VERDICT;
      out.dataLen = 16;
      out.dataByteorder = BYTEORDER.invalid;
    } else if (!(m.length === 1 && (m[0] as string) in OBJECT_TYPE)) {
      const d = layoutOf(m, s['typeof-data'], `${where}.map`);
      out.dataFields = d.fields.length;
      out.dataType = d.id;
      out.dataLen = s['data-interval'] === true ? 2 * d.len : d.len;
      out.dataByteorder = d.byteorder;
    }
  }
  return out;
}

/** True when a map's element data are ranges or prefixes (nft's JSON has no other sign of interval data). */
function hasIntervalData(s: JSetExt): boolean {
  const isIv = (v: unknown): boolean => isObj(v) && ('range' in v || 'prefix' in v || (Array.isArray(v.concat) && (v.concat as unknown[]).some(isIv)));
  return (s.elem ?? []).some((e) => Array.isArray(e) && e.length === 2 && isIv(e[1]));
}

function setOps(kind: 'set' | 'map', given: JSetExt, verb: OpVerb, ids: { nextSetId(): number }): OpDesc[] {
  const where = kind;
  need(isObj(given), `a ${kind} object`, where, given);
  const s: JSetExt = given.map !== undefined && given['data-interval'] === undefined && hasIntervalData(given) ? { ...given, 'data-interval': true } : given;
  const o = s as unknown as Record<string, unknown>;
  const family = familyOf(o, where);
  const table = str(o, 'table', where);
  const handle = handleOf(o, where);
  if (verb === 'delete' || verb === 'destroy') {
    const name = handle === undefined ? str(o, 'name', where) : optStr(o, 'name', where) ?? '';
    return [{ object: 'set', verb, family, table, name, ...(handle !== undefined ? { handle } : {}) }];
  }
  const name = str(o, 'name', where);
  if (verb === 'flush') return [{ object: 'set', verb: 'flush', family, table, name }];
  if (verb !== 'add' && verb !== 'create') throw new TypeError(`Expected add, create, delete, destroy or flush for ${where} ${name} but received ${verb}`);
  if (kind === 'map') need(s.map !== undefined, 'the data type (map)', `${where}.map`, s.map);
  if (kind === 'set') need(s.map === undefined, 'no data type (a set; use map for maps)', `${where}.map`, s.map);
  const L = setLayout(s, where);
  const jflags = s.flags ?? [];
  need(Array.isArray(jflags), 'an array of set flags', `${where}.flags`, jflags);
  let flags = 0;
  for (const f of jflags) {
    switch (f) {
      case 'constant': flags |= SET_FLAG.constant; break;
      case 'interval': flags |= SET_FLAG.interval; break;
      case 'timeout': flags |= SET_FLAG.timeout; break;
      case 'dynamic': flags |= SET_FLAG.eval; break;
      default: throw new TypeError(`Expected set flags constant, interval, timeout or dynamic for ${where}.flags but received ${show(f)}`);
    }
  }
  const objKind = s.map !== undefined && typeof s.map === 'string' && s.map in OBJECT_TYPE ? (s.map as ObjectKind) : undefined;
  if (objKind !== undefined) flags |= SET_FLAG.object;
  else if (s.map !== undefined) flags |= SET_FLAG.map;
  if (L.fields.length > 1 && flags & SET_FLAG.interval) flags |= SET_FLAG.concat;
  // NFTA_SET_EXPRESSIONS (more than one template) needs NFT_SET_EXPR.
  if ((s.stmt ?? []).length > 1) flags |= SET_FLAG.expr;
  if (s.timeout !== undefined) flags |= SET_FLAG.timeout;
  const timeout = s.timeout === undefined ? undefined : int(s.timeout, 0, 2 ** 40, `${where}.timeout`);
  const gc = s['gc-interval'] === undefined ? undefined : int(s['gc-interval'], 0, 4294967, `${where}.gc-interval`);
  const size = s.size === undefined ? undefined : int(s.size, 0, 0xffffffff, `${where}.size`);
  if (s.policy !== undefined) need(s.policy === 'performance' || s.policy === 'memory', 'performance or memory', `${where}.policy`, s.policy);
  const stmts = s.stmt ?? [];
  need(Array.isArray(stmts), 'an array of statements', `${where}.stmt`, stmts);
  const exprs: Expr[] = stmts.map((st, i) => statefulExpr(st as JStatement, `${where}.stmt[${i}]`));
  // A `ct count` template needs a set the kernel can garbage-collect (rhash: NFT_SET_EVAL), so
  // nft's set always has `flags dynamic`, which nft 1.0.6's JSON leaves out; without it the
  // kernel refuses the set (EOPNOTSUPP).
  if (exprs.some((e) => e.type === 'connlimit')) flags |= SET_FLAG.eval;
  const comment = optStr(o, 'comment', where);
  const mergeElements = o['auto-merge'] === undefined ? false : o['auto-merge'] === true;
  const keyTypeof = typeofOf(s.type) ?? s.typeof;
  const dataTypeof = typeofOf(s.map) ?? s['typeof-data'];
  const userdata = buildSetUdata({
    keyByteorder: L.keyByteorder,
    map: objKind !== undefined ? 'object' : s.map !== undefined ? 'data' : 'none',
    ...(L.dataByteorder !== undefined ? { dataByteorder: L.dataByteorder } : {}),
    mergeElements,
    ...(keyTypeof !== undefined ? { keyTypeof } : {}),
    ...(dataTypeof !== undefined ? { dataTypeof } : {}),
    ...(s['data-interval'] === true ? { dataInterval: true } : {}),
    ...(keyTypeof !== undefined && L.dataType === DATA_VERDICT ? { verdictTypeof: true } : {}),
    ...(keyTypeof === undefined && L.fields.length > 1 ? { keyNamesConcat: true } : {}),
    ...(dataTypeof === undefined && L.dataFields !== undefined && L.dataFields > 1 ? { dataNamesConcat: true } : {}),
    ...(comment !== undefined ? { comment } : {}),
  });
  if (userdata.length > 256) throw new RangeError(`Expected set userdata (typeof, comment) of at most 256 bytes for ${where} ${name} but it takes ${userdata.length}`);
  const id = ids.nextSetId();
  const elem = s.elem;
  if (elem !== undefined) need(Array.isArray(elem), 'an array of elements', `${where}.elem`, elem);
  const elements = elem !== undefined && elem.length > 0 ? encodeElementsSized(s, elem, 'add', { family, table, set: name, setId: id }) : undefined;
  // mnl_nft_set_add: a constant set has no policy and its NFTA_SET_DESC_SIZE is the number of
  // its elements as nft counts them (the kernel picks the backend by it: hash, not rhash).
  const constant = (flags & SET_FLAG.constant) !== 0;
  const descSize = constant ? elements?.size : size;
  const desc: SetDesc = {
    object: 'set',
    verb,
    family,
    table,
    name,
    id,
    flags,
    keyType: L.keyType,
    keyLen: L.keyLen,
    ...(L.dataType !== undefined ? { dataType: L.dataType, dataLen: L.dataLen as number } : {}),
    ...(objKind !== undefined ? { objType: OBJECT_TYPE[objKind] } : {}),
    ...(s.policy === 'memory' && !constant ? { policy: 1 } : {}),
    ...(descSize ? { size: descSize } : {}),
    ...(timeout ? { timeoutMs: BigInt(timeout) * 1000n } : {}),
    ...(gc ? { gcIntervalMs: gc * 1000 } : {}),
    ...(flags & SET_FLAG.concat ? { concat: L.fields } : {}),
    userdata,
    ...(exprs.length > 0 ? { exprs } : {}),
  };
  const ops: OpDesc[] = [desc];
  if (elements !== undefined) ops.push(elements.desc);
  return ops;
}

function tableOps(t: JTable, verb: OpVerb): OpDesc[] {
  const where = 'table';
  need(isObj(t), 'a table object', where, t);
  const o = t as unknown as Record<string, unknown>;
  const family = familyOf(o, where);
  const handle = handleOf(o, where);
  const name = handle !== undefined && (verb === 'delete' || verb === 'destroy') ? optStr(o, 'name', where) ?? '' : str(o, 'name', where);
  if (verb === 'delete' || verb === 'destroy' || verb === 'flush') {
    return [{ object: 'table', verb, family, name, ...(handle !== undefined && verb !== 'flush' ? { handle } : {}) } satisfies TableDesc];
  }
  if (verb !== 'add' && verb !== 'create') throw new TypeError(`Expected add, create, delete, destroy or flush for table ${name} but received ${verb}`);
  let flags = 0;
  // nft 1.0.6 prints a table's single flag after freeing it (table_flags_json): in practice the
  // table's own name. That value is no flag; it is ignored, as nft 1.0.6 ignores table flags on
  // input (so its own listing reloads the same way through nft -j -f and through this package).
  const jf = t.flags === undefined || (typeof t.flags === 'string' && t.flags === name && !(name in TABLE_FLAG)) ? [] : typeof t.flags === 'string' ? [t.flags] : t.flags;
  need(Array.isArray(jf), 'a table flag or an array of them', `${where}.flags`, t.flags);
  for (const f of jf) {
    const bit = TABLE_FLAG[f as JTableFlag];
    if (bit === undefined) throw new TypeError(`Expected table flags dormant, owner or persist for ${where}.flags but received ${show(f)}`);
    flags |= bit;
  }
  const userdata = commentUd(optStr(o, 'comment', where), where);
  return [{ object: 'table', verb, family, name, ...(flags ? { flags } : {}), ...(userdata ? { userdata } : {}) } satisfies TableDesc];
}

function chainOps(c: JChain, verb: OpVerb): OpDesc[] {
  const where = 'chain';
  need(isObj(c), 'a chain object', where, c);
  const o = c as unknown as Record<string, unknown>;
  const family = familyOf(o, where);
  const table = str(o, 'table', where);
  const handle = handleOf(o, where);
  if (verb === 'delete' || verb === 'destroy') {
    const name = handle === undefined ? str(o, 'name', where) : optStr(o, 'name', where) ?? '';
    return [{ object: 'chain', verb, family, table, name, ...(handle !== undefined ? { handle } : {}) } satisfies ChainDesc];
  }
  const name = str(o, 'name', where);
  if (verb === 'flush') return [{ object: 'chain', verb: 'flush', family, table, name } satisfies ChainDesc];
  if (verb !== 'add' && verb !== 'create') throw new TypeError(`Expected add, create, delete, destroy or flush for chain ${name} but received ${verb}`);
  const userdata = commentUd(optStr(o, 'comment', where), where);
  const base = c.type !== undefined || c.hook !== undefined || c.prio !== undefined;
  if (!base) {
    need(c.dev === undefined && c.policy === undefined, 'type, hook and prio with dev/policy (a base chain)', `${where} ${name}`, c);
    return [{ object: 'chain', verb, family, table, name, ...(userdata ? { userdata } : {}) } satisfies ChainDesc];
  }
  const fname = o.family as NftFamily;
  need(typeof c.type === 'string' && ['filter', 'nat', 'route'].includes(c.type), 'filter, nat or route', `${where}.type`, c.type);
  const hooknum = HOOKS[fname].indexOf(c.hook as string);
  if (hooknum < 0) throw new TypeError(`Expected a ${fname} hook (${HOOKS[fname].join(', ')}) for ${where}.hook but received ${show(c.hook)}`);
  const priority = int(c.prio, -2147483648, 2147483647, `${where}.prio`);
  let policy: number | undefined;
  if (c.policy !== undefined) {
    need(c.policy === 'accept' || c.policy === 'drop', 'accept or drop', `${where}.policy`, c.policy);
    policy = c.policy === 'accept' ? 1 : 0;
  }
  const devices = c.dev === undefined ? [] : typeof c.dev === 'string' ? [c.dev] : [...c.dev];
  need(devices.every((d) => typeof d === 'string' && d !== ''), 'a device name or an array of them', `${where}.dev`, c.dev);
  return [
    {
      object: 'chain',
      verb,
      family,
      table,
      name,
      hooknum,
      priority,
      type: c.type as string,
      ...(policy !== undefined ? { policy } : {}),
      ...(devices.length > 0 ? { devices } : {}),
      ...(userdata ? { userdata } : {}),
    } satisfies ChainDesc,
  ];
}

function l3(o: Record<string, unknown>, where: string): number | undefined {
  const v = o.l3proto;
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? FAMILY[v as NftFamily] : undefined;
  if (n === undefined) throw new TypeError(`Expected a family name (ip, ip6, inet…) for ${where}.l3proto but received ${show(v)}`);
  return n;
}
function l4(o: Record<string, unknown>, where: string, only?: readonly string[]): number {
  const v = o.protocol;
  if (typeof v === 'number') return int(v, 0, 255, `${where}.protocol`);
  if (typeof v !== 'string' || (only !== undefined && !only.includes(v))) {
    throw new TypeError(`Expected ${only ? only.join(' or ') : 'a protocol name'} for ${where}.protocol but received ${show(v)}`);
  }
  const n = protocolNumber(v);
  if (n === undefined) throw new TypeError(`Expected a protocol name for ${where}.protocol but received ${show(v)}`);
  return n;
}

function objectOpsOf(kind: ObjectKind, body: unknown, verb: OpVerb): OpDesc[] {
  const where = kind;
  need(isObj(body), `a ${kind} object`, where, body);
  const o = body;
  const family = familyOf(o, where);
  const table = str(o, 'table', where);
  const handle = handleOf(o, where);
  const objType = OBJECT_TYPE[kind];
  if (verb === 'delete' || verb === 'destroy') {
    const name = handle === undefined ? str(o, 'name', where) : optStr(o, 'name', where) ?? '';
    return [{ object: 'obj', verb, family, table, name, objType, ...(handle !== undefined ? { handle } : {}) } satisfies ObjectDesc];
  }
  const name = str(o, 'name', where);
  if (verb !== 'add' && verb !== 'create') throw new TypeError(`Expected add, create, delete or destroy for ${kind} ${name} but received ${verb}`);
  const attrs: Record<string, ObjectAttrValue> = {};
  switch (kind) {
    case 'counter': {
      const c = o as unknown as JCounterObj;
      attrs.packets = u64(c.packets, `${where}.packets`);
      attrs.bytes = u64(c.bytes, `${where}.bytes`);
      break;
    }
    case 'quota': {
      const q = o as unknown as JQuotaObj;
      attrs.bytes = u64(q.bytes, `${where}.bytes`);
      attrs.consumed = u64(q.used, `${where}.used`);
      attrs.flags = q.inv === true ? 1 : 0;
      break;
    }
    case 'limit': {
      const l = o as unknown as JLimitObj;
      const per = TIME_UNIT[String(l.per)];
      if (per === undefined) throw new TypeError(`Expected second, minute, hour, day or week for ${where}.per but received ${show(l.per)}`);
      const rateUnit = l.rate_unit ?? 'packets';
      const bytes = rateUnit !== 'packets';
      const ru = bytes ? BYTE_UNIT[rateUnit] : 1n;
      const bu = bytes ? BYTE_UNIT[l.burst_unit ?? 'bytes'] : 1n;
      if (ru === undefined || bu === undefined) throw new TypeError(`Expected rate_unit/burst_unit packets, bytes, kbytes or mbytes for ${where}`);
      attrs.rate = u64(l.rate, `${where}.rate`) * ru;
      attrs.unit = BigInt(per);
      attrs.burst = int(Number(u64(l.burst, `${where}.burst`) * bu), 0, 0xffffffff, `${where}.burst`);
      attrs.type = bytes ? 1 : 0;
      attrs.flags = l.inv === true ? 1 : 0;
      break;
    }
    case 'ct helper': {
      const h = o as unknown as JCtHelper;
      attrs.name = str(o, 'type', where);
      if (Buffer.byteLength(h.type) > 15) throw new RangeError(`Expected a helper name of at most 15 bytes for ${where}.type but received ${show(h.type)}`);
      attrs.l4proto = l4(o, where, ['tcp', 'udp']);
      const l3p = l3(o, where);
      if (l3p) attrs.l3proto = l3p;
      break;
    }
    case 'ct timeout': {
      const t = o as unknown as JCtTimeout;
      const p = l4(o, where, ['tcp', 'udp']);
      attrs.l4proto = p;
      const l3p = l3(o, where);
      if (l3p) attrs.l3proto = l3p;
      const spec = CT_TIMEOUT[p] as (typeof CT_TIMEOUT)[number];
      const values = new Uint32Array(CT_TIMEOUT_SLOTS);
      spec.defaults.forEach((v, i) => (values[i] = v));
      if (t.policy !== undefined && t.policy !== null) {
        need(isObj(t.policy), 'an object of state: seconds', `${where}.policy`, t.policy);
        for (const [state, v] of Object.entries(t.policy)) {
          const i = spec.states.indexOf(state);
          if (i < 0) throw new TypeError(`Expected a ${String(o.protocol)} state (${spec.states.join(', ')}) for ${where}.policy but received ${show(state)}`);
          values[i] = int(v, 0, 0xffffffff, `${where}.policy.${state}`);
        }
      }
      const b = new Uint8Array(CT_TIMEOUT_SLOTS * 4);
      const view = new DataView(b.buffer);
      values.forEach((v, i) => view.setUint32(i * 4, v, true));
      attrs.timeouts = b;
      break;
    }
    case 'ct expectation': {
      const e = o as unknown as JCtExpectation;
      const l3p = l3(o, where);
      if (l3p) attrs.l3proto = l3p;
      attrs.l4proto = l4(o, where, ['tcp', 'udp']);
      attrs.dport = int(e.dport ?? 0, 0, 65535, `${where}.dport`);
      attrs.timeout = int(e.timeout ?? 0, 0, 0xffffffff, `${where}.timeout`);
      attrs.size = int(e.size ?? 0, 0, 255, `${where}.size`);
      break;
    }
    case 'synproxy': {
      const s = o as unknown as JSynproxyObj;
      attrs.mss = int(s.mss, 0, 65535, `${where}.mss`);
      attrs.wscale = int(s.wscale, 0, 255, `${where}.wscale`);
      let flags = SYNPROXY_FLAG.mss | SYNPROXY_FLAG.wscale;
      const jf = s.flags === undefined ? [] : typeof s.flags === 'string' ? [s.flags] : s.flags;
      for (const f of jf) {
        if (f !== 'timestamp' && f !== 'sack-perm') throw new TypeError(`Expected synproxy flags timestamp or sack-perm for ${where}.flags but received ${show(f)}`);
        flags |= SYNPROXY_FLAG[f];
      }
      attrs.flags = flags;
      break;
    }
    case 'secmark': {
      const s = o as unknown as JSecmark;
      attrs.context = str(o, 'context', where);
      if (Buffer.byteLength(s.context) > 255) throw new RangeError(`Expected a context of at most 255 bytes for ${where}.context`);
      break;
    }
  }
  const userdata = commentUd(optStr(o, 'comment', where), where);
  return [{ object: 'obj', verb, family, table, name, objType, attrs, ...(userdata ? { userdata } : {}) } satisfies ObjectDesc];
}

function flowtableOps(f: JFlowtable, verb: OpVerb): OpDesc[] {
  const where = 'flowtable';
  need(isObj(f), 'a flowtable object', where, f);
  const o = f as unknown as Record<string, unknown>;
  const family = familyOf(o, where);
  const table = str(o, 'table', where);
  const handle = handleOf(o, where);
  const devices = f.dev === undefined ? [] : typeof f.dev === 'string' ? [f.dev] : [...f.dev];
  need(devices.every((d) => typeof d === 'string' && d !== ''), 'a device name or an array of them', `${where}.dev`, f.dev);
  if (verb === 'delete' || verb === 'destroy') {
    const name = handle === undefined ? str(o, 'name', where) : optStr(o, 'name', where) ?? '';
    return [{ object: 'flowtable', verb, family, table, name, ...(handle !== undefined ? { handle } : {}) } satisfies FlowtableDesc];
  }
  const name = str(o, 'name', where);
  if (verb !== 'add' && verb !== 'create') throw new TypeError(`Expected add, create, delete or destroy for flowtable ${name} but received ${verb}`);
  const hook = f.hook ?? 'ingress';
  need(hook === 'ingress', 'ingress', `${where}.hook`, f.hook);
  const priority = int(f.prio ?? 0, -2147483648, 2147483647, `${where}.prio`);
  let flags = 0;
  for (const x of f.flags ?? []) {
    const bit = FLOWTABLE_FLAG[x as keyof typeof FLOWTABLE_FLAG];
    if (bit === undefined) throw new TypeError(`Expected flowtable flags offload or counter for ${where}.flags but received ${show(x)}`);
    flags |= bit;
  }
  return [{ object: 'flowtable', verb, family, table, name, hooknum: 0, priority, devices, ...(flags ? { flags } : {}) } satisfies FlowtableDesc];
}

/** Where element commands find the set they add to (same document or the kernel). */
export interface ObjectOpsContext {
  set(family: NftFamily, table: string, name: string): JSetExt | undefined;
}

function elementOps(e: JElement, verb: OpVerb, ctx: ObjectOpsContext | undefined): OpDesc[] {
  const where = 'element';
  need(isObj(e), 'an element object', where, e);
  const o = e as unknown as Record<string, unknown>;
  const family = familyOf(o, where);
  const table = str(o, 'table', where);
  const name = str(o, 'name', where);
  if (verb === 'flush') return [{ object: 'set', verb: 'flush', family, table, name }];
  if (verb !== 'add' && verb !== 'create' && verb !== 'delete' && verb !== 'destroy') {
    throw new TypeError(`Expected add, create, delete or destroy for element of set ${name} but received ${verb}`);
  }
  const set = ctx?.set(o.family as NftFamily, table, name);
  if (set === undefined) throw new TypeError(`Expected set ${name} of table ${String(o.family)} ${table} to be known (from the same document or the kernel) for ${where}`);
  const elems = (Array.isArray(e.elem) && (set.map === undefined || !(e.elem.length === 2 && !Array.isArray(e.elem[0]))) ? e.elem : [e.elem]) as readonly JSetElem[];
  return [encodeElements(set, elems, verb, { family, table, set: name })];
}

/**
 * The batch operations of one JSON object command: `verb` of `{table|chain|set|map|element|
 * counter|…|flowtable: …}`. A set or map with `elem` gives the set and its elements; an element
 * command needs `ctx` to find its set. Rules are not handled here (lib/nft/linearize.ts).
 * @throws TypeError / RangeError naming the field for anything that is not valid.
 */
export function objectOps(item: NftObject, verb: OpVerb, ids: { nextSetId(): number }, ctx?: ObjectOpsContext): OpDesc[] {
  need(isObj(item) && Object.keys(item).length === 1, 'an object with one key (table, chain, set, …)', 'item', item);
  const [kind, body] = Object.entries(item)[0] as [string, unknown];
  switch (kind) {
    case 'table': return tableOps(body as JTable, verb);
    case 'chain': return chainOps(body as JChain, verb);
    case 'set':
    case 'map': return setOps(kind, body as JSetExt, verb, ids);
    case 'element': return elementOps(body as JElement, verb, ctx);
    case 'flowtable': return flowtableOps(body as JFlowtable, verb);
    case 'rule': throw new TypeError('Expected a non-rule object for objectOps (rules go through linearizeRule) but received rule');
    default:
      if (kind in OBJECT_TYPE) return objectOpsOf(kind as ObjectKind, body, verb);
      throw new TypeError(`Expected table, chain, set, map, element, flowtable or a named object kind for item but received ${show(kind)}`);
  }
}

