// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Tables, chains, sets and named objects: validation, conversion to native descriptors, and
 * decoding of dumps back into the model.
 */
import {
  CONCAT_TYPE_BITS,
  DATATYPE,
  INET_HOOKS,
  NETDEV_HOOKS,
  ARP_HOOKS,
  LIMITS,
  NFPROTO,
  NFT_DATA_VERDICT,
  OBJECT_TYPE,
  SET_F,
  TABLE_F,
  VERDICT,
  familyName,
  type Family,
  type Hook,
} from '../kernel';
import type { ChainDesc, ObjectData, ObjectDesc, SetDesc, TableDesc } from '../native';
import { commentUdata, encodeUdata, udataComment, u32Value, commentValue, UDATA_SET, type UdataEntry } from '../udata';
import { checkComment, checkFamily, checkHook, checkIfname, checkInt, checkName, checkOneOf, expected, tooLarge } from '../validate';
import type { Chain, KeyType, ObjectSpec, SetFlag, SetSpec, Table, TableRef } from './types';

/** Byte order nft records for a key type (1 host, 2 big endian), used to print elements. */
export const KEY_TYPES: Readonly<Record<KeyType, { readonly len: number; readonly id: number; readonly byteorder: 1 | 2 }>> = {
  ipv4_addr: { len: 4, id: DATATYPE.ipv4_addr, byteorder: 2 },
  ipv6_addr: { len: 16, id: DATATYPE.ipv6_addr, byteorder: 2 },
  inet_service: { len: 2, id: DATATYPE.inet_service, byteorder: 2 },
  inet_proto: { len: 1, id: DATATYPE.inet_proto, byteorder: 2 },
  ifname: { len: 16, id: DATATYPE.ifname, byteorder: 1 },
  mark: { len: 4, id: DATATYPE.mark, byteorder: 1 },
  ether_addr: { len: 6, id: DATATYPE.ether_addr, byteorder: 2 },
};
const KEY_TYPE_NAMES = Object.keys(KEY_TYPES) as KeyType[];

export const familyNumber = (f: Family): number => NFPROTO[f];

export function checkTableRef(t: unknown, field: string): TableRef {
  if (typeof t !== 'object' || t === null) throw expected('a table reference { family, name }', field, t);
  const r = t as TableRef;
  checkFamily(r.family, `${field}.family`);
  checkName(r.name, `${field}.name`);
  return r;
}

export function checkTable(t: Table): void {
  if (typeof t !== 'object' || t === null) throw expected('a table { family, name }', 'table', t);
  checkTableRef(t, 'table');
  checkComment(t.comment, 'table.comment');
  if (t.persist && !t.owner) throw expected('owner: true together with persist', 'table.persist', t.persist);
}

export function tableFlags(t: Table): number {
  return (t.dormant ? TABLE_F.dormant : 0) | (t.owner ? TABLE_F.owner : 0) | (t.persist ? TABLE_F.persist : 0);
}

export function tableDesc(t: Table, verb: TableDesc['verb']): TableDesc {
  checkTable(t);
  const userdata = commentUdata(t.comment);
  return {
    object: 'table',
    verb,
    family: familyNumber(t.family),
    name: t.name,
    // Flags are always sent on add so that clearing "dormant" takes effect (omitting keeps them).
    ...(verb === 'add' || verb === 'create' ? { flags: tableFlags(t) } : {}),
    ...(userdata ? { userdata } : {}),
  };
}


function hookNumber(family: Family, hook: Hook): number {
  if (family === 'netdev') return NETDEV_HOOKS[hook as keyof typeof NETDEV_HOOKS];
  if (family === 'arp') return ARP_HOOKS[hook as keyof typeof ARP_HOOKS];
  return INET_HOOKS[hook as keyof typeof INET_HOOKS];
}


export function checkChain(c: Chain): void {
  if (typeof c !== 'object' || c === null) throw expected('a chain { table, name }', 'chain', c);
  checkTableRef(c.table, 'chain.table');
  checkName(c.name, 'chain.name');
  checkComment(c.comment, 'chain.comment');
  if (c.base === undefined) return;
  const b = c.base;
  if (typeof b !== 'object' || b === null) throw expected('a base chain description { type, hook, priority }', 'chain.base', b);
  if (b.devices !== undefined && !Array.isArray(b.devices)) throw expected('an array of interface names', 'chain.base.devices', b.devices);
  const family = c.table.family;
  checkOneOf(b.type, ['filter', 'nat', 'route'] as const, 'chain.base.type');
  checkHook(family, b.hook, 'chain.base.hook');
  checkInt(b.priority, 'chain.base.priority', -0x80000000, 0x7fffffff);
  if (b.policy !== undefined) checkOneOf(b.policy, ['accept', 'drop'] as const, 'chain.base.policy');
  if (b.type === 'nat' && !['prerouting', 'input', 'output', 'postrouting'].includes(b.hook)) {
    throw expected('a nat chain hook (prerouting, input, output, postrouting)', 'chain.base.hook', b.hook);
  }
  if (b.type === 'route' && (b.hook !== 'output' || !['ip', 'ip6', 'inet'].includes(family))) {
    throw expected('hook output in an ip, ip6 or inet table for a route chain', 'chain.base.hook', b.hook);
  }
  const needsDevice = family === 'netdev' || (family === 'inet' && b.hook === 'ingress');
  if (needsDevice) {
    if (!b.devices || b.devices.length === 0) throw expected(`at least one device for a ${family} ${b.hook} chain`, 'chain.base.devices', b.devices);
    if (b.devices.length > LIMITS.chainDevices) throw tooLarge(`at most ${LIMITS.chainDevices} devices per chain`, 'chain.base.devices', `${b.devices.length} devices`);
    if (family === 'inet' && b.devices.length !== 1) throw expected('exactly one device for an inet ingress chain', 'chain.base.devices', b.devices);
  } else if (b.devices !== undefined && b.devices.length > 0) {
    throw expected(`no devices for a ${family} ${b.hook} chain`, 'chain.base.devices', b.devices);
  }
  b.devices?.forEach((d, i) => checkIfname(d, `chain.base.devices[${i}]`));
}

export function chainDesc(c: Chain, verb: ChainDesc['verb']): ChainDesc {
  checkChain(c);
  const common = { object: 'chain' as const, verb, family: familyNumber(c.table.family), table: c.table.name, name: c.name };
  if (verb !== 'add' && verb !== 'create') return common;
  const userdata = commentUdata(c.comment);
  const b = c.base;
  return {
    ...common,
    ...(b
      ? {
          type: b.type,
          hooknum: hookNumber(c.table.family, b.hook),
          priority: b.priority,
          policy: VERDICT[b.policy ?? 'accept'],
          ...(b.devices && b.devices.length > 0 ? { devices: b.devices } : {}),
        }
      : {}),
    ...(userdata ? { userdata } : {}),
  };
}


const SET_FLAGS: readonly SetFlag[] = ['constant', 'interval', 'timeout', 'dynamic'];

/** Key layout of a set: length in bytes, nft datatype id, concat field lengths. */
export function keyLayout(key: KeyType | readonly KeyType[], field = 'set.key'): { len: number; id: number; fields: number[]; byteorder?: 1 | 2 } {
  const parts = typeof key === 'string' ? [key] : key;
  if (!Array.isArray(parts) || parts.length === 0) throw expected(`a key type (${KEY_TYPE_NAMES.join(', ')}) or an array of them`, field, key);
  parts.forEach((p, i) => checkOneOf(p, KEY_TYPE_NAMES, parts.length > 1 ? `${field}[${i}]` : field));
  if (parts.length === 1) {
    const k = KEY_TYPES[parts[0] as KeyType];
    return { len: k.len, id: k.id, fields: [k.len], byteorder: k.byteorder };
  }
  // Concatenations: each field padded to 4 bytes (register granularity); types packed 6 bits each.
  let id = 0;
  let len = 0;
  const fields: number[] = [];
  for (const p of parts as KeyType[]) {
    const k = KEY_TYPES[p];
    id = (id << CONCAT_TYPE_BITS) | k.id;
    len += Math.ceil(k.len / 4) * 4;
    fields.push(k.len);
  }
  return { len, id, fields };
}

export function checkSet(s: SetSpec): void {
  if (typeof s !== 'object' || s === null) throw expected('a set { table, name, key }', 'set', s);
  checkTableRef(s.table, 'set.table');
  if (s.flags !== undefined && !Array.isArray(s.flags)) throw expected('an array of set flags', 'set.flags', s.flags);
  checkName(s.name, 'set.name');
  keyLayout(s.key);
  if (s.map !== undefined && s.map !== 'verdict') checkOneOf(s.map, KEY_TYPE_NAMES, 'set.map');
  s.flags?.forEach((f, i) => checkOneOf(f, SET_FLAGS, `set.flags[${i}]`));
  if (s.timeoutMs !== undefined) checkInt(s.timeoutMs, 'set.timeoutMs', 1, Number.MAX_SAFE_INTEGER);
  if (s.size !== undefined) checkInt(s.size, 'set.size', 1, 0xffffffff);
  if (s.gcIntervalMs !== undefined) checkInt(s.gcIntervalMs, 'set.gcIntervalMs', 1, 0xffffffff);
  if (s.policy !== undefined) checkOneOf(s.policy, ['performance', 'memory'] as const, 'set.policy');
  checkComment(s.comment, 'set.comment');
  if (s.autoMerge && !s.flags?.includes('interval')) throw expected("the 'interval' flag together with autoMerge", 'set.autoMerge', s.autoMerge);
}

export function setFlagBits(s: SetSpec): number {
  const f = new Set(s.flags ?? []);
  let bits = 0;
  if (f.has('constant')) bits |= SET_F.constant;
  if (f.has('interval')) bits |= SET_F.interval;
  if (f.has('timeout') || s.timeoutMs !== undefined) bits |= SET_F.timeout;
  if (f.has('dynamic')) bits |= SET_F.eval;
  if (s.map !== undefined) bits |= SET_F.map;
  const concat = typeof s.key !== 'string' && s.key.length > 1;
  if (concat && f.has('interval')) bits |= SET_F.concat;
  return bits;
}

export function setDesc(s: SetSpec, verb: SetDesc['verb'], id?: number): SetDesc {
  checkSet(s);
  const common = { object: 'set' as const, verb, family: familyNumber(s.table.family), table: s.table.name, name: s.name };
  if (verb !== 'add' && verb !== 'create') return common;
  const key = keyLayout(s.key);
  const flags = setFlagBits(s);
  const ud: UdataEntry[] = [];
  if (key.byteorder !== undefined) ud.push([UDATA_SET.keyByteorder, u32Value(key.byteorder)]);
  let data: { dataType: number; dataLen?: number } | undefined;
  if (s.map === 'verdict') {
    data = { dataType: NFT_DATA_VERDICT };
  } else if (s.map !== undefined) {
    const d = KEY_TYPES[s.map];
    data = { dataType: d.id, dataLen: d.len };
    ud.push([UDATA_SET.dataByteorder, u32Value(d.byteorder)]);
  }
  if (s.autoMerge) ud.push([UDATA_SET.mergeElements, u32Value(1)]);
  if (s.comment !== undefined) ud.push([UDATA_SET.comment, commentValue(s.comment)]);
  const concat = key.fields.length > 1 && (flags & SET_F.interval) !== 0;
  return {
    ...common,
    ...(id !== undefined ? { id } : {}),
    flags,
    keyType: key.id,
    keyLen: key.len,
    ...(data ?? {}),
    ...(s.size !== undefined ? { size: s.size } : {}),
    ...(s.timeoutMs !== undefined ? { timeoutMs: BigInt(s.timeoutMs) } : {}),
    ...(s.gcIntervalMs !== undefined ? { gcIntervalMs: s.gcIntervalMs } : {}),
    ...(s.policy !== undefined ? { policy: s.policy === 'memory' ? 1 : 0 } : {}),
    ...(concat ? { concat: key.fields } : {}),
    ...(s.counter ? { exprs: [{ type: 'counter' as const }] } : {}),
    ...(ud.length > 0 ? { userdata: encodeUdata(ud) } : {}),
  };
}



const LIMIT_UNITS = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 } as const;

export function checkObject(o: ObjectSpec): void {
  checkTableRef(o.table, 'object.table');
  checkName(o.name, 'object.name');
  checkComment(o.comment, 'object.comment');
  checkOneOf(o.type, ['counter', 'quota', 'limit'] as const, 'object.type');
  if (o.type === 'quota' && (typeof o.bytes !== 'bigint' || o.bytes < 0n)) throw expected('a non-negative bigint', 'object.bytes', o.bytes);
  if (o.type === 'limit') {
    checkInt(o.rate, 'object.rate', 1, Number.MAX_SAFE_INTEGER);
    checkOneOf(o.per, Object.keys(LIMIT_UNITS) as Array<keyof typeof LIMIT_UNITS>, 'object.per');
    if (o.burst !== undefined) checkInt(o.burst, 'object.burst', 0, 0xffffffff);
  }
}

export function objectDesc(o: ObjectSpec, verb: ObjectDesc['verb']): ObjectDesc {
  checkObject(o);
  const common = { object: 'obj' as const, verb, family: familyNumber(o.table.family), table: o.table.name, name: o.name, objType: OBJECT_TYPE[o.type] };
  if (verb !== 'add' && verb !== 'create') return common;
  let attrs: Record<string, number | bigint>;
  switch (o.type) {
    case 'counter':
      attrs = { packets: o.packets ?? 0n, bytes: o.bytes ?? 0n };
      break;
    case 'quota':
      attrs = { bytes: o.bytes, consumed: o.used ?? 0n, flags: o.over ? 1 : 0 };
      break;
    case 'limit':
      // nft's default burst is 5 packets, 0 bytes.
      attrs = { rate: BigInt(o.rate), unit: BigInt(LIMIT_UNITS[o.per]), burst: o.burst ?? (o.unit === 'bytes' ? 0 : 5), type: o.unit === 'bytes' ? 1 : 0, flags: o.over ? 1 : 0 };
      break;
  }
  const userdata = commentUdata(o.comment);
  return { ...common, attrs, ...(userdata ? { userdata } : {}) };
}

export function objectFromData(d: ObjectData): (ObjectSpec & { readonly handle: bigint }) | undefined {
  const family = familyName(d.family);
  if (!family) return undefined;
  const table = { family, name: d.table };
  const comment = udataComment(d.userdata);
  const c = comment !== undefined ? { comment } : {};
  // Counter, quota and limit attributes are all integers (ObjectAttrValue also has strings/bytes).
  const a = d.attrs as Readonly<Record<string, number | bigint>>;
  if (d.objType === OBJECT_TYPE.counter) {
    return { table, name: d.name, type: 'counter', packets: BigInt(a.packets ?? 0n), bytes: BigInt(a.bytes ?? 0n), ...c, handle: d.handle };
  }
  if (d.objType === OBJECT_TYPE.quota) {
    return { table, name: d.name, type: 'quota', bytes: BigInt(a.bytes ?? 0n), used: BigInt(a.consumed ?? 0n), ...(Number(a.flags) & 1 ? { over: true } : {}), ...c, handle: d.handle };
  }
  if (d.objType === OBJECT_TYPE.limit) {
    const unit = Number(a.unit ?? 1n);
    const per = (Object.keys(LIMIT_UNITS) as Array<keyof typeof LIMIT_UNITS>).find((k) => LIMIT_UNITS[k] === unit) ?? 'second';
    return {
      table,
      name: d.name,
      type: 'limit',
      rate: Number(a.rate ?? 0n),
      per,
      burst: Number(a.burst ?? 0),
      ...(Number(a.type) === 1 ? { unit: 'bytes' as const } : {}),
      ...(Number(a.flags) & 1 ? { over: true } : {}),
      ...c,
      handle: d.handle,
    };
  }
  return undefined;
}
