// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Set elements in the model: typed values (addresses, CIDRs, ranges, ports, interface names,
 * marks, verdicts) <-> packed native columns. Bulk loads should use the blocklist fast path;
 * this is the general, typed path for any set or map.
 */
import ipaddr from 'ipaddr.js';
import { parseEntryBytes, scratch } from '../blocklist/address';
import { putWords } from '../blocklist/encode';
import { SET_ELEM_F, VERDICT, type VerdictCode } from '../kernel';
import type { ElementsData, ElementsDesc } from '../native';
import { commentValue, encodeUdata, udataComment, UDATA_COMMENT } from '../udata';
import { checkComment, checkIfname, expected } from '../validate';
import { KEY_TYPES, familyNumber, keyLayout } from './objects';
import type { KeyType, SetSpec } from './types';

/** One key value: a string for addresses/CIDRs/ranges/names/MACs, a number for ports, protocols and marks. */
export type KeyValue = string | number;

export interface ElementSpec {
  /** A key, a concatenation (array), or for interval sets a CIDR or `a-b` range. */
  readonly key: KeyValue | readonly KeyValue[];
  readonly timeoutMs?: number;
  readonly expiresMs?: number;
  readonly comment?: string;
  /** Maps: the value; verdict maps: `accept`, `drop`, `jump chain`, `goto chain`... */
  readonly value?: KeyValue;
}
export type ElementInput = KeyValue | readonly KeyValue[] | ElementSpec;

const PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132 };

/** Encodes one scalar key of a type into `len` bytes at out[o]. */
function putKey(type: KeyType, v: KeyValue, out: Uint8Array, o: number, field: string): void {
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr': {
      const kind = type === 'ipv4_addr' ? 'ipv4' : 'ipv6';
      // Fast path (the blocklist's allocation-free scanner) for plain addresses; ipaddr.js for the rest.
      if (typeof v === 'string' && v.length > 0 && v.indexOf('/') < 0 && v.indexOf('-') < 0) {
        const f = parseEntryBytes(v, 0, v.length);
        if (f === (kind === 'ipv4' ? 4 : 6)) {
          putWords(out, o, scratch, 0, f === 4 ? 1 : 4);
          return;
        }
      }
      if (typeof v !== 'string' || !ipaddr.isValid(v) || ipaddr.parse(v).kind() !== kind) throw expected(`an ${kind === 'ipv4' ? 'IPv4' : 'IPv6'} address`, field, v);
      out.set(ipaddr.parse(v).toByteArray(), o);
      return;
    }
    case 'inet_service': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw expected('a port number 0-65535', field, v);
      out[o] = v >> 8;
      out[o + 1] = v & 0xff;
      return;
    }
    case 'inet_proto': {
      const n = typeof v === 'string' ? PROTOS[v] : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255) throw expected(`a protocol number 0-255 or name (${Object.keys(PROTOS).join(', ')})`, field, v);
      out[o] = n;
      return;
    }
    case 'ifname': {
      checkIfname(v, field);
      out.set(Buffer.from(v as string, 'utf8'), o);
      return;
    }
    case 'mark': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw expected('a mark 0-4294967295', field, v);
      new DataView(out.buffer, out.byteOffset).setUint32(o, v, true); // host byte order (x86: little endian)
      return;
    }
    case 'ether_addr': {
      const m = typeof v === 'string' ? /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(v) : null;
      if (!m) throw expected('a MAC address aa:bb:cc:dd:ee:ff', field, v);
      for (let i = 0; i < 6; i++) out[o + i] = parseInt(m[i + 1] as string, 16);
      return;
    }
  }
}

function getKey(type: KeyType, b: Uint8Array): KeyValue {
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr':
      return ipaddr.fromByteArray(Array.from(b)).toString();
    case 'inet_service':
      return ((b[0] as number) << 8) | (b[1] as number);
    case 'inet_proto':
      return b[0] as number;
    case 'ifname': {
      const end = b.indexOf(0);
      return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
    }
    case 'mark':
      return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
    case 'ether_addr':
      return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  }
}

/** Adds 1 to a big-endian byte string (interval ends are exclusive); false on overflow. */
function increment(b: Uint8Array): boolean {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] !== 0xff) {
      b[i] = (b[i] as number) + 1;
      return true;
    }
    b[i] = 0;
  }
  return false;
}

/** Start and inclusive end of an interval key: CIDR, `a-b` range, or a single value. */
function intervalOf(type: KeyType, v: KeyValue, len: number, field: string): [Uint8Array, Uint8Array] {
  const lo = new Uint8Array(len);
  const hi = new Uint8Array(len);
  if (typeof v === 'string' && (type === 'ipv4_addr' || type === 'ipv6_addr') && v.includes('/')) {
    let cidr: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      cidr = ipaddr.parseCIDR(v);
    } catch {
      throw expected(`an ${type === 'ipv4_addr' ? 'IPv4' : 'IPv6'} CIDR`, field, v);
    }
    const bytes = cidr[0].toByteArray();
    if (bytes.length !== len) throw expected(`an ${type === 'ipv4_addr' ? 'IPv4' : 'IPv6'} CIDR`, field, v);
    for (let i = 0; i < len; i++) {
      const bits = Math.max(0, Math.min(8, cidr[1] - i * 8));
      const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
      if (((bytes[i] as number) & ~mask & 0xff) !== 0) throw expected('a CIDR with no host bits set', field, v);
      lo[i] = (bytes[i] as number) & mask;
      hi[i] = (bytes[i] as number) | (~mask & 0xff);
    }
    return [lo, hi];
  }
  if (typeof v === 'string' && v.includes('-') && type !== 'ifname') {
    const [a, b] = v.split('-').map((x) => x.trim());
    const parse = (x: string | undefined): KeyValue => (type === 'inet_service' || type === 'mark' || type === 'inet_proto' ? Number(x) : (x as string));
    putKey(type, parse(a), lo, 0, field);
    putKey(type, parse(b), hi, 0, field);
    if (Buffer.compare(lo, hi) > 0) throw expected('a range whose start is not above its end', field, v);
    return [lo, hi];
  }
  putKey(type, v, lo, 0, field);
  hi.set(lo);
  return [lo, hi];
}

function parseVerdict(v: KeyValue | undefined, field: string): { code: number; chain: string | null } {
  if (typeof v !== 'string') throw expected('a verdict (accept, drop, return, continue, jump <chain>, goto <chain>)', field, v);
  const [word, chain] = v.trim().split(/\s+/);
  if ((word === 'jump' || word === 'goto') && chain) return { code: VERDICT[word], chain };
  if (word && ['accept', 'drop', 'return', 'continue'].includes(word) && chain === undefined) return { code: VERDICT[word as VerdictCode], chain: null };
  throw expected('a verdict (accept, drop, return, continue, jump <chain>, goto <chain>)', field, v);
}

/**
 * Packs typed elements for a set into one native descriptor. Interval sets get start + exclusive
 * end elements (concatenated interval sets: KEY + inclusive KEY_END).
 */
/**
 * Elements between two looks at the clock (elementsDescAsync yields to the event loop once
 * `sliceMs` have passed): small, so that even cold (interpreted) code stays within a slice.
 */
const SLICE = 256;

const specOf = (e: ElementInput): ElementSpec => (typeof e === 'object' && !Array.isArray(e) ? (e as ElementSpec) : { key: e as KeyValue | readonly KeyValue[] });

/** The work of elementsDesc, pausing (yield) after every SLICE elements. */
function* elementsDescSteps(set: SetSpec, elements: readonly ElementInput[], verb: ElementsDesc['verb']): Generator<void, ElementsDesc> {
  const layout = keyLayout(set.key);
  const types = (typeof set.key === 'string' ? [set.key] : set.key) as KeyType[];
  const interval = set.flags?.includes('interval') ?? false;
  const concat = types.length > 1;
  const n = elements.length;
  let hasTimeout = false, hasExpires = false, hasComment = false;
  for (let i = 0; i < n; i++) {
    if (!(i in elements)) throw expected('an array of elements without holes', `elements[${i}]`, undefined);
    const e = elements[i];
    if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
      const s = e as ElementSpec;
      if (s.timeoutMs !== undefined || s.expiresMs !== undefined) hasTimeout = true;
      if (s.expiresMs !== undefined) hasExpires = true;
      if (s.comment !== undefined) hasComment = true;
    }
    if (i % (SLICE * 16) === SLICE * 16 - 1) yield;
  }
  const perElem = interval && !concat ? 2 : 1;
  const count = n * perElem;
  const keys = new Uint8Array(count * layout.len);
  const keyEnds = interval && concat ? new Uint8Array(count * layout.len) : undefined;
  // Only interval ends carry a flag: without them the column is left out (the addon's uniform path).
  const flags = interval && !concat ? new Uint32Array(count) : undefined;
  const timeouts = hasTimeout ? new Float64Array(count) : undefined;
  const expirations = hasExpires ? new Float64Array(count) : undefined;
  const comments = hasComment ? new Array<Uint8Array | null>(count).fill(null) : undefined;
  const isVerdictMap = set.map === 'verdict';
  const dataType = set.map !== undefined && set.map !== 'verdict' ? KEY_TYPES[set.map] : undefined;
  const verdicts = isVerdictMap ? new Int32Array(count) : undefined;
  const chains = isVerdictMap ? new Array<string | null>(count).fill(null) : undefined;
  const data = dataType ? new Uint8Array(count * dataType.len) : undefined;
  // Plain keys of a plain set (the bulk case): no per-element objects or field strings.
  const plain = !interval && !concat && dataType === undefined && !isVerdictMap ? (types[0] as KeyType) : undefined;
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (i % SLICE === SLICE - 1) yield;
    const e = elements[i];
    if (plain !== undefined && (typeof e === 'string' || typeof e === 'number')) {
      try {
        putKey(plain, e, keys, w * layout.len, '');
      } catch {
        // The same refusal again, now with its field named (built only on this path).
        putKey(plain, e, keys, w * layout.len, `elements[${i}].key`);
      }
      w += 1;
      continue;
    }
    const s = specOf(e as ElementInput);
    const field = `elements[${i}]`;
    const parts = Array.isArray(s.key) ? (s.key as readonly KeyValue[]) : [s.key as KeyValue];
    if (parts.length !== types.length) throw expected(`a key of ${types.length} part(s) (${types.join(' . ')})`, `${field}.key`, s.key);
    if (s.timeoutMs !== undefined && !(Number.isInteger(s.timeoutMs) && s.timeoutMs > 0)) throw expected('a positive integer of milliseconds', `${field}.timeoutMs`, s.timeoutMs);
    checkComment(s.comment, `${field}.comment`);
    const base = w;
    if (interval && !concat) {
      const [lo, hi] = intervalOf(types[0] as KeyType, parts[0] as KeyValue, layout.len, `${field}.key`);
      keys.set(lo, w * layout.len);
      const end = new Uint8Array(hi);
      if (increment(end)) {
        keys.set(end, (w + 1) * layout.len);
        flags![w + 1] = SET_ELEM_F.intervalEnd;
        w += 2;
      } else {
        // A range reaching the top of the address space is sent as a start element only.
        w += 1;
      }
    } else {
      let o = 0;
      types.forEach((t, k) => {
        const len = KEY_TYPES[t].len;
        if (keyEnds) {
          const [lo, hi] = intervalOf(t, parts[k] as KeyValue, len, `${field}.key[${k}]`);
          keys.set(lo, w * layout.len + o);
          keyEnds.set(hi, w * layout.len + o);
        } else {
          putKey(t, parts[k] as KeyValue, keys, w * layout.len + o, types.length > 1 ? `${field}.key[${k}]` : `${field}.key`);
        }
        o += concat ? Math.ceil(len / 4) * 4 : len;
      });
      w += 1;
    }
    if (timeouts && s.timeoutMs !== undefined) timeouts[base] = s.timeoutMs;
    if (expirations && s.expiresMs !== undefined) expirations[base] = s.expiresMs;
    if (comments && s.comment !== undefined) comments[base] = encodeUdata([[UDATA_COMMENT, commentValue(s.comment)]]);
    if (isVerdictMap && verdicts && chains) {
      const v = parseVerdict(s.value, `${field}.value`);
      verdicts[base] = v.code;
      chains[base] = v.chain;
      if (w - base === 2) verdicts[base + 1] = v.code;
    } else if (dataType && data && set.map !== undefined && set.map !== 'verdict') {
      if (s.value === undefined) throw expected(`a ${set.map} value`, `${field}.value`, s.value);
      putKey(set.map, s.value, data, base * dataType.len, `${field}.value`);
    } else if (s.value !== undefined) {
      throw expected('no value (the set is not a map)', `${field}.value`, s.value);
    }
  }
  const used = w;
  const slice = <T extends { subarray(a: number, b: number): T }>(a: T, per: number): T => a.subarray(0, used * per);
  return {
    object: 'elements',
    verb,
    family: familyNumber(set.table.family),
    table: set.table.name,
    set: set.name,
    count: used,
    keyLen: layout.len,
    keys: slice(keys, layout.len),
    ...(keyEnds ? { keyEnds: slice(keyEnds, layout.len) } : {}),
    ...(flags ? { flags: slice(flags, 1) } : {}),
    ...(timeouts ? { timeoutsMs: slice(timeouts, 1) } : {}),
    ...(expirations ? { expirationsMs: slice(expirations, 1) } : {}),
    ...(comments ? { userdata: comments.slice(0, used) } : {}),
    ...(verdicts && chains ? { verdicts: slice(verdicts, 1), chains: chains.slice(0, used) } : {}),
    ...(data && dataType ? { data: slice(data, dataType.len), dataLen: dataType.len } : {}),
  };
}

export function elementsDesc(set: SetSpec, elements: readonly ElementInput[], verb: ElementsDesc['verb']): ElementsDesc {
  const steps = elementsDescSteps(set, elements, verb);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * elementsDesc in slices: gives the event loop a turn whenever `sliceMs` of work has passed, so
 * a million-element load does not stall the process (same result, same errors).
 */
export async function elementsDescAsync(set: SetSpec, elements: readonly ElementInput[], verb: ElementsDesc['verb'], sliceMs = 4): Promise<ElementsDesc> {
  const steps = elementsDescSteps(set, elements, verb);
  let since = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}

export interface ElementInfo {
  /** The key: a value, a `lo-hi` range or CIDR for interval sets, an array for concatenations. */
  readonly key: KeyValue | KeyValue[];
  readonly value?: KeyValue;
  readonly timeoutMs?: number;
  readonly expiresMs?: number;
  readonly comment?: string;
  readonly packets?: bigint;
  readonly bytes?: bigint;
}

function rangeText(type: KeyType, lo: Uint8Array, hiInclusive: Uint8Array): KeyValue {
  if (Buffer.compare(lo, hiInclusive) === 0) return getKey(type, lo);
  if (type === 'ipv4_addr' || type === 'ipv6_addr') {
    // A prefix when lo..hi is exactly one.
    const bits = lo.length * 8;
    let prefix = bits;
    for (let p = 0; p <= bits; p++) {
      let ok = true;
      for (let i = 0; i < lo.length && ok; i++) {
        const b = Math.max(0, Math.min(8, p - i * 8));
        const mask = b === 0 ? 0 : (0xff << (8 - b)) & 0xff;
        ok = ((lo[i] as number) & ~mask & 0xff) === 0 && ((hiInclusive[i] as number) | mask) === 0xff && ((lo[i] as number) & mask) === ((hiInclusive[i] as number) & mask);
      }
      if (ok) {
        prefix = p;
        break;
      }
    }
    if (prefix < bits) return `${getKey(type, lo)}/${prefix}`;
  }
  return `${getKey(type, lo)}-${getKey(type, hiInclusive)}`;
}

/** Decodes a dump of a set's elements into typed entries (intervals rejoined as CIDRs or ranges). */
export function elementsFromData(set: SetSpec, d: ElementsData): ElementInfo[] {
  const types = (typeof set.key === 'string' ? [set.key] : set.key) as KeyType[];
  const len = d.keyLen;
  const interval = set.flags?.includes('interval') ?? false;
  const concat = types.length > 1;
  const at = (i: number) => d.keys.subarray(i * len, (i + 1) * len);
  const extra = (i: number): Omit<ElementInfo, 'key'> => {
    const comment = d.userdata?.[i] ? udataComment(d.userdata[i] ?? undefined) : undefined;
    let value: KeyValue | undefined;
    if (d.verdicts) {
      const code = d.verdicts[i] as number;
      const name = (Object.keys(VERDICT) as VerdictCode[]).find((k) => VERDICT[k] === code) ?? String(code);
      value = d.chains?.[i] ? `${name} ${d.chains[i]}` : name;
    } else if (d.data && d.dataLen && set.map !== undefined && set.map !== 'verdict') {
      value = getKey(set.map, d.data.subarray(i * d.dataLen, (i + 1) * d.dataLen));
    }
    return {
      ...(value !== undefined ? { value } : {}),
      ...(d.timeoutsMs && d.timeoutsMs[i] ? { timeoutMs: d.timeoutsMs[i] as number } : {}),
      ...(d.expirationsMs && d.expirationsMs[i] ? { expiresMs: d.expirationsMs[i] as number } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(d.packets ? { packets: d.packets[i] as bigint, bytes: (d.bytes as BigUint64Array)[i] as bigint } : {}),
    };
  };
  const out: ElementInfo[] = [];
  if (interval && !concat) {
    const type = types[0] as KeyType;
    // Sort starts and ends by key; each start is closed by the next end (exclusive).
    const idx = Array.from({ length: d.count }, (_, i) => i).sort((a, b) => Buffer.compare(at(a), at(b)));
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      if ((d.flags[i] as number) & SET_ELEM_F.intervalEnd) continue;
      const next = idx[k + 1];
      let hi: Uint8Array;
      if (next !== undefined && (d.flags[next] as number) & SET_ELEM_F.intervalEnd) {
        hi = new Uint8Array(at(next));
        for (let j = hi.length - 1; j >= 0; j--) {
          if (hi[j] !== 0) {
            hi[j] = (hi[j] as number) - 1;
            break;
          }
          hi[j] = 0xff;
        }
      } else {
        hi = new Uint8Array(len).fill(0xff); // open interval up to the top of the space
      }
      out.push({ key: rangeText(type, at(i), hi), ...extra(i) });
    }
    return out;
  }
  for (let i = 0; i < d.count; i++) {
    const key = at(i);
    const parts: KeyValue[] = [];
    let o = 0;
    for (const t of types) {
      const l = KEY_TYPES[t].len;
      parts.push(d.keyEnds ? rangeText(t, key.subarray(o, o + l), d.keyEnds.subarray(i * len + o, i * len + o + l)) : getKey(t, key.subarray(o, o + l)));
      o += concat ? Math.ceil(l / 4) * 4 : l;
    }
    out.push({ key: concat ? parts : (parts[0] as KeyValue), ...extra(i) });
  }
  return out;
}
