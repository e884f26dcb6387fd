// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft's datatypes (src/datatype.c, proto.c, meta.c, ct.c, rt.c, fib.c, exthdr.c of nft 1.0.6) as
 * one table: id (NFTA_SET_KEY_TYPE), size, byte order, base type, symbol table; and the value
 * codec every transformation shares: a JSON value as `nft -j` writes it for a type <-> the bytes
 * the kernel holds for it.
 *
 * Values are the parsed JSON: symbol names where nft prints them (`"tcp"`, `"echo-request"`,
 * `["established", "related"]`), numbers otherwise, `true`/`false` for booleans, strings for
 * addresses, interface names, times of day. Integers wider than 53 bits decode as bigint (nft
 * writes them as JSON integers; a bigint-safe JSON parser gives the same).
 *
 * Some of nft's symbol tables come from the system (`/etc/protocols`, `/etc/iproute2/group`,
 * `rt_realms`, `rt_marks`, `/etc/passwd`): they are read lazily, once, as nft reads them, with the
 * standard contents as fallback where a file is missing (`/etc/protocols`).
 */
import { readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { VERDICT } from '../kernel';

/**
 * One nft datatype. `bits` is 0 for variable-length types (integer, string, verdict, ll_addr).
 * `byteorder` is the type's own; where nft leaves it to the expression (integer, bitmask and the
 * 1-byte types it marks BYTEORDER_INVALID) the table says `big`, and callers pass the
 * expression's order (KeyDef.byteorder; payload fields are big endian).
 */
export interface Datatype {
  readonly name: string;
  readonly id: number;
  readonly bits: number;
  readonly byteorder: 'big' | 'host';
  /** Name of the base type (`integer`, `bitmask`, `string`, `ll_addr`). */
  readonly base?: string;
  /** Symbolic constants, name -> value as the type reads (numbers, not wire bytes). */
  readonly symbols?: ReadonlyMap<string, bigint>;
  /** nft's description (`nft describe` prints it). */
  readonly desc?: string;
  /** Ranges of this type print as prefixes (DTYPE_F_PREFIX). */
  readonly prefix?: boolean;
  /** Symbol table printed in hexadecimal (BASE_HEXADECIMAL) rather than decimal. */
  readonly hex?: boolean;
}

/** A JSON value for one datatype, as `nft -j` writes it (bitmasks with several bits are arrays). */
export type DatatypeValue = string | number | boolean | bigint | (string | number)[];

// ---------------------------------------------------------------------------------------------
// Errors

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (v === undefined || v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return Object.prototype.toString.call(v);
  }
}
const typeErr = (what: string, type: string, v: unknown): TypeError =>
  new TypeError(`Expected ${what} for a value of type ${type} but received ${show(v)}`);
const rangeErr = (what: string, type: string, v: unknown): RangeError =>
  new RangeError(`Expected ${what} for a value of type ${type} but received ${show(v)}`);

// ---------------------------------------------------------------------------------------------
// Byte helpers

const HOST_LE = endianness() === 'LE';

/** `value` as `len` bytes in the given byte order (host = this machine's). */
export function uintBytes(value: bigint, len: number, byteorder: 'big' | 'host'): Uint8Array {
  const out = new Uint8Array(len);
  let v = value;
  const le = byteorder === 'host' && HOST_LE;
  for (let i = 0; i < len; i++) {
    const idx = le ? i : len - 1 - i;
    out[idx] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Reads bytes in the given byte order as an unsigned bigint. */
export function bytesUint(bytes: Uint8Array, byteorder: 'big' | 'host'): bigint {
  let v = 0n;
  const le = byteorder === 'host' && HOST_LE;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[le ? bytes.length - 1 - i : i] ?? 0;
    v = (v << 8n) | BigInt(b);
  }
  return v;
}

const num = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

// ---------------------------------------------------------------------------------------------
// System symbol tables (read once, lazily, as nft does at context init)

function readRtTable(path: string): Map<string, bigint> {
  // iproute2 format: `0x10 name` or `16 name`, `#` comments (rt_symbol_table_init)
  const m = new Map<string, bigint>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return m;
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const mm = /^(0x[0-9a-fA-F]+|\d+)\s+(\S+)/.exec(line);
    if (!mm || mm[1] === undefined || mm[2] === undefined) continue;
    const val = BigInt(mm[1]);
    if (val > 0xffffffffn) continue;
    m.set(mm[2], val);
  }
  return m;
}

/** The standard /etc/protocols (netbase), used when the file is missing. */
const NETBASE_PROTOCOLS: readonly (readonly [string, number])[] = [
  ['ip', 0], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['st', 5], ['tcp', 6],
  ['egp', 8], ['igp', 9], ['pup', 12], ['udp', 17], ['hmp', 20], ['xns-idp', 22], ['rdp', 27],
  ['iso-tp4', 29], ['dccp', 33], ['xtp', 36], ['ddp', 37], ['idpr-cmtp', 38], ['ipv6', 41],
  ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45], ['rsvp', 46], ['gre', 47], ['esp', 50], ['ah', 51],
  ['skip', 57], ['ipv6-icmp', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['rspf', 73], ['vmtp', 81],
  ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94], ['etherip', 97], ['encap', 98], ['pim', 103],
  ['ipcomp', 108], ['vrrp', 112], ['l2tp', 115], ['isis', 124], ['sctp', 132], ['fc', 133],
  ['mobility-header', 135], ['udplite', 136], ['mpls-in-ip', 137], ['manet', 138], ['hip', 139],
  ['shim6', 140], ['wesp', 141], ['rohc', 142], ['ethernet', 143],
];

interface Protocols {
  readonly byName: Map<string, number>;
  readonly byNum: Map<number, string>;
}
let protocols: Protocols | undefined;
function loadProtocols(): Protocols {
  if (protocols) return protocols;
  const byName = new Map<string, number>();
  const byNum = new Map<number, string>();
  const add = (name: string, n: number): void => {
    if (n < 0 || n > 255) return;
    if (!byName.has(name)) byName.set(name, n);
    if (!byNum.has(n)) byNum.set(n, name);
  };
  let text: string | undefined;
  try {
    text = readFileSync('/etc/protocols', 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    for (const [n, v] of NETBASE_PROTOCOLS) add(n, v);
  } else {
    // `name number aliases... # comment` (getprotobyname also matches aliases)
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      const parts = line.split(/\s+/);
      const name = parts[0];
      const n = Number(parts[1]);
      if (name === undefined || !Number.isInteger(n)) continue;
      add(name, n);
      for (const alias of parts.slice(2)) if (!byName.has(alias)) byName.set(alias, n);
    }
  }
  protocols = { byName, byNum };
  return protocols;
}

const lazy = <T>(f: () => T): (() => T) => {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
};
const devgroups = lazy(() => readRtTable('/etc/iproute2/group'));
const realms = lazy(() => readRtTable('/etc/iproute2/rt_realms'));
const marks = lazy(() => readRtTable('/etc/iproute2/rt_marks'));

function readIdFile(path: string): Map<string, bigint> {
  const m = new Map<string, bigint>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] && f[2] !== undefined && /^\d+$/.test(f[2])) m.set(f[0], BigInt(f[2]));
    }
  } catch {
    /* no names: numbers only */
  }
  return m;
}
/** Service names (getaddrinfo over /etc/services): name or alias -> port, first entry wins. */
const services = lazy(() => {
  const m = new Map<string, bigint>();
  try {
    for (const raw of readFileSync('/etc/services', 'utf8').split('\n')) {
      const parts = raw.replace(/#.*/, '').trim().split(/\s+/);
      const pp = /^(\d+)\/\w+$/.exec(parts[1] ?? '');
      if (!parts[0] || !pp || pp[1] === undefined) continue;
      for (const n of [parts[0], ...parts.slice(2)]) if (!m.has(n)) m.set(n, BigInt(pp[1]));
    }
  } catch {
    /* numbers only */
  }
  return m;
});
const users = lazy(() => readIdFile('/etc/passwd'));
const groups = lazy(() => readIdFile('/etc/group'));

/**
 * Interface index <-> name, for `iif`/`oif` values (nft calls if_indextoname/if_nametoindex in the
 * network namespace it runs in). Without a resolver, indexes print as decimal strings and only
 * numeric values are accepted.
 */
export interface InterfaceResolver {
  indexToName(index: number): string | undefined;
  nameToIndex(name: string): number | undefined;
}
let ifResolver: InterfaceResolver | undefined;
/** Installs (or removes, with undefined) the interface index resolver used by `iface_index`. */
export function setInterfaceResolver(r: InterfaceResolver | undefined): void {
  ifResolver = r;
}

// ---------------------------------------------------------------------------------------------
// The table

type Kind =
  | 'integer'
  | 'bitmask'
  | 'string'
  | 'verdict'
  | 'lladdr'
  | 'ipv4'
  | 'ipv6'
  | 'inet_proto'
  | 'symbolic'
  | 'mark'
  | 'realm'
  | 'devgroup'
  | 'ifindex'
  | 'classid'
  | 'uid'
  | 'gid'
  | 'time'
  | 'date'
  | 'hour'
  | 'boolean'
  | 'ct_label'
  | 'cgroupv2';

interface Spec extends Datatype {
  readonly kind: Kind;
}

const sym = (entries: readonly (readonly [string, number])[]): ReadonlyMap<string, bigint> =>
  new Map(entries.map(([k, v]) => [k, BigInt(v)]));

export const ICMP_TYPE_SYMBOLS = sym([
  ['echo-reply', 0], ['destination-unreachable', 3], ['source-quench', 4], ['redirect', 5],
  ['echo-request', 8], ['router-advertisement', 9], ['router-solicitation', 10], ['time-exceeded', 11],
  ['parameter-problem', 12], ['timestamp-request', 13], ['timestamp-reply', 14], ['info-request', 15],
  ['info-reply', 16], ['address-mask-request', 17], ['address-mask-reply', 18],
]);
export const ICMPV6_TYPE_SYMBOLS = sym([
  ['destination-unreachable', 1], ['packet-too-big', 2], ['time-exceeded', 3], ['parameter-problem', 4],
  ['echo-request', 128], ['echo-reply', 129], ['mld-listener-query', 130], ['mld-listener-report', 131],
  ['mld-listener-done', 132], ['mld-listener-reduction', 132], ['nd-router-solicit', 133],
  ['nd-router-advert', 134], ['nd-neighbor-solicit', 135], ['nd-neighbor-advert', 136], ['nd-redirect', 137],
  ['router-renumbering', 138], ['ind-neighbor-solicit', 141], ['ind-neighbor-advert', 142],
  ['mld2-listener-report', 143],
]);

const T = (
  name: string,
  id: number,
  kind: Kind,
  bits: number,
  byteorder: 'big' | 'host',
  desc: string,
  extra: { base?: string; symbols?: ReadonlyMap<string, bigint>; prefix?: boolean; hex?: boolean } = {},
): Spec => ({ name, id, kind, bits, byteorder, desc, ...extra });

const I = { base: 'integer' } as const;
const B = { base: 'bitmask' } as const;

/** Every datatype of nft 1.0.6, by id (include/datatype.h enum datatypes). */
const SPECS: readonly Spec[] = [
  // TYPE_INVALID: ct saddr/daddr/proto-src/proto-dst before the protocol context fixes their type
  T('invalid', 0, 'integer', 0, 'big', 'invalid'),
  T('verdict', 1, 'verdict', 0, 'host', 'netfilter verdict'),
  T('nf_proto', 2, 'symbolic', 8, 'host', 'netfilter protocol', { ...I, symbols: sym([['ipv4', 2], ['ipv6', 10]]) }),
  T('bitmask', 3, 'integer', 0, 'big', 'bitmask', I),
  T('integer', 4, 'integer', 0, 'big', 'integer'),
  T('string', 5, 'string', 0, 'host', 'string'),
  T('ll_addr', 6, 'lladdr', 0, 'big', 'link layer address', I),
  T('ipv4_addr', 7, 'ipv4', 32, 'big', 'IPv4 address', { ...I, prefix: true }),
  T('ipv6_addr', 8, 'ipv6', 128, 'big', 'IPv6 address', { ...I, prefix: true }),
  T('ether_addr', 9, 'lladdr', 48, 'big', 'Ethernet address', { base: 'll_addr' }),
  T('ether_type', 10, 'symbolic', 16, 'big', 'Ethernet protocol', {
    ...I,
    hex: true,
    symbols: sym([['ip', 0x0800], ['arp', 0x0806], ['ip6', 0x86dd], ['8021q', 0x8100], ['8021ad', 0x88a8], ['vlan', 0x8100]]),
  }),
  T('arp_op', 11, 'symbolic', 16, 'big', 'ARP operation', {
    ...I,
    hex: true,
    symbols: sym([['request', 1], ['reply', 2], ['rrequest', 3], ['rreply', 4], ['inrequest', 8], ['inreply', 9], ['nak', 10]]),
  }),
  T('inet_proto', 12, 'inet_proto', 8, 'big', 'Internet protocol', I),
  T('inet_service', 13, 'integer', 16, 'big', 'internet network service', I),
  T('icmp_type', 14, 'symbolic', 8, 'big', 'ICMP type', { ...I, symbols: ICMP_TYPE_SYMBOLS }),
  T('tcp_flag', 15, 'bitmask', 8, 'big', 'TCP flag', {
    ...B,
    hex: true,
    symbols: sym([['fin', 0x01], ['syn', 0x02], ['rst', 0x04], ['psh', 0x08], ['ack', 0x10], ['urg', 0x20], ['ecn', 0x40], ['cwr', 0x80]]),
  }),
  T('dccp_pkttype', 16, 'symbolic', 4, 'big', 'DCCP packet type', {
    ...I,
    hex: true,
    symbols: sym([
      ['request', 0], ['response', 1], ['data', 2], ['ack', 3], ['dataack', 4], ['closereq', 5], ['close', 6],
      ['reset', 7], ['sync', 8], ['syncack', 9],
    ]),
  }),
  T('mh_type', 17, 'symbolic', 8, 'big', 'Mobility Header Type', {
    ...I,
    symbols: sym([
      ['binding-refresh-request', 0], ['home-test-init', 1], ['careof-test-init', 2], ['home-test', 3],
      ['careof-test', 4], ['binding-update', 5], ['binding-acknowledgement', 6], ['binding-error', 7],
      ['fast-binding-update', 8], ['fast-binding-acknowledgement', 9], ['fast-binding-advertisement', 10],
      ['experimental-mobility-header', 11], ['home-agent-switch-message', 12],
    ]),
  }),
  T('time', 18, 'time', 32, 'host', 'relative time', I),
  T('mark', 19, 'mark', 32, 'host', 'packet mark', { ...I, prefix: true }),
  T('iface_index', 20, 'ifindex', 32, 'host', 'network interface index', I),
  T('iface_type', 21, 'symbolic', 16, 'host', 'network interface type', {
    ...I,
    hex: true,
    symbols: sym([['ether', 1], ['ppp', 512], ['ipip', 768], ['ipip6', 769], ['loopback', 772], ['sit', 776], ['ipgre', 778]]),
  }),
  T('realm', 22, 'realm', 32, 'host', 'routing realm', { ...I, prefix: true }),
  T('classid', 23, 'classid', 32, 'host', 'TC classid', I),
  T('uid', 24, 'uid', 32, 'host', 'user ID', I),
  T('gid', 25, 'gid', 32, 'host', 'group ID', I),
  T('ct_state', 26, 'bitmask', 32, 'host', 'conntrack state', {
    ...B,
    hex: true,
    symbols: sym([['invalid', 1], ['new', 8], ['established', 2], ['related', 4], ['untracked', 64]]),
  }),
  T('ct_dir', 27, 'symbolic', 8, 'big', 'conntrack direction', { ...I, symbols: sym([['original', 0], ['reply', 1]]) }),
  T('ct_status', 28, 'bitmask', 32, 'host', 'conntrack status', {
    ...B,
    hex: true,
    symbols: sym([
      ['expected', 1], ['seen-reply', 2], ['assured', 4], ['confirmed', 8], ['snat', 16], ['dnat', 32], ['dying', 512],
    ]),
  }),
  T('icmpv6_type', 29, 'symbolic', 8, 'big', 'ICMPv6 type', { ...I, symbols: ICMPV6_TYPE_SYMBOLS }),
  T('ct_label', 30, 'ct_label', 128, 'host', 'conntrack label', B),
  T('pkt_type', 31, 'symbolic', 8, 'host', 'packet type', {
    ...I,
    symbols: sym([['host', 0], ['unicast', 0], ['broadcast', 1], ['multicast', 2], ['other', 3]]),
  }),
  T('icmp_code', 32, 'symbolic', 8, 'big', 'icmp code', {
    ...I,
    symbols: sym([
      ['net-unreachable', 0], ['host-unreachable', 1], ['prot-unreachable', 2], ['port-unreachable', 3],
      ['net-prohibited', 9], ['host-prohibited', 10], ['admin-prohibited', 13], ['frag-needed', 4],
    ]),
  }),
  T('icmpv6_code', 33, 'symbolic', 8, 'big', 'icmpv6 code', {
    ...I,
    symbols: sym([
      ['no-route', 0], ['admin-prohibited', 1], ['addr-unreachable', 3], ['port-unreachable', 4],
      ['policy-fail', 5], ['reject-route', 6],
    ]),
  }),
  T('icmpx_code', 34, 'symbolic', 8, 'big', 'icmpx code', {
    ...I,
    symbols: sym([['port-unreachable', 1], ['admin-prohibited', 3], ['no-route', 0], ['host-unreachable', 2]]),
  }),
  T('devgroup', 35, 'devgroup', 32, 'host', 'devgroup name', { ...I, prefix: true }),
  T('dscp', 36, 'symbolic', 6, 'big', 'Differentiated Services Code Point', {
    ...I,
    hex: true,
    symbols: sym([
      ['cs0', 0x00], ['cs1', 0x08], ['cs2', 0x10], ['cs3', 0x18], ['cs4', 0x20], ['cs5', 0x28], ['cs6', 0x30],
      ['cs7', 0x38], ['df', 0x00], ['be', 0x00], ['lephb', 0x01], ['af11', 0x0a], ['af12', 0x0c], ['af13', 0x0e],
      ['af21', 0x12], ['af22', 0x14], ['af23', 0x16], ['af31', 0x1a], ['af32', 0x1c], ['af33', 0x1e],
      ['af41', 0x22], ['af42', 0x24], ['af43', 0x26], ['va', 0x2c], ['ef', 0x2e],
    ]),
  }),
  T('ecn', 37, 'symbolic', 2, 'big', 'Explicit Congestion Notification', {
    ...I,
    hex: true,
    symbols: sym([['not-ect', 0], ['ect1', 1], ['ect0', 2], ['ce', 3]]),
  }),
  T('fib_addrtype', 38, 'symbolic', 32, 'host', 'fib address type', {
    ...I,
    symbols: sym([
      ['unspec', 0], ['unicast', 1], ['local', 2], ['broadcast', 3], ['anycast', 4], ['multicast', 5],
      ['blackhole', 6], ['unreachable', 7], ['prohibit', 8],
    ]),
  }),
  T('boolean', 39, 'boolean', 1, 'big', 'boolean type', { ...I, symbols: sym([['exists', 1], ['missing', 0]]) }),
  T('ct_event', 40, 'bitmask', 32, 'host', 'conntrack event bits', {
    ...B,
    hex: true,
    symbols: sym([
      ['new', 1 << 0], ['related', 1 << 1], ['destroy', 1 << 2], ['reply', 1 << 3], ['assured', 1 << 4],
      ['protoinfo', 1 << 5], ['helper', 1 << 6], ['mark', 1 << 7], ['seqadj', 1 << 8], ['secmark', 1 << 9],
      ['label', 1 << 10],
    ]),
  }),
  T('ifname', 41, 'string', 128, 'host', 'network interface name', { base: 'string' }),
  T('igmp_type', 42, 'symbolic', 8, 'big', 'IGMP type', {
    ...I,
    symbols: sym([
      ['membership-query', 0x11], ['membership-report-v1', 0x12], ['membership-report-v2', 0x16],
      ['membership-report-v3', 0x22], ['leave-group', 0x17],
    ]),
  }),
  // TYPE_TIME_DATE is also named "time" in nft; by name, "time" finds the relative time type (18).
  T('time', 43, 'date', 64, 'host', 'Relative time of packet reception', I),
  T('hour', 44, 'hour', 32, 'host', 'Hour of day of packet reception', I),
  T('day', 45, 'symbolic', 8, 'host', 'Day of week of packet reception', {
    ...I,
    symbols: sym([['Sunday', 0], ['Monday', 1], ['Tuesday', 2], ['Wednesday', 3], ['Thursday', 4], ['Friday', 5], ['Saturday', 6]]),
  }),
  T('cgroupsv2', 46, 'cgroupv2', 64, 'host', 'cgroupsv2 path', I),
];

const BY_ID = new Map<number, Spec>();
const BY_NAME = new Map<string, Spec>();
for (const s of SPECS) {
  BY_ID.set(s.id, s);
  if (!BY_NAME.has(s.name)) BY_NAME.set(s.name, s);
}
/** Other spellings accepted by datatype(): libnftnl/kernel.ts names and the date type. */
const ALIASES: Readonly<Record<string, string | number>> = {
  ifindex: 'iface_index',
  iftype: 'iface_type',
  pkttype: 'pkt_type',
  icmp6_type: 'icmpv6_type',
  fib_addr: 'fib_addrtype',
  cgroupv2: 'cgroupsv2',
  lladdr: 'll_addr',
  date: 43,
  time_day: 'day',
  time_hour: 'hour',
};

/** All datatypes, in id order. */
export const DATATYPES: readonly Datatype[] = SPECS;

/** Looks a datatype up by nft name (`ipv4_addr`), id (7) or alias (`ifindex`, `pkttype`, `date`). */
export function datatype(nameOrId: string | number): Datatype | undefined {
  return spec(nameOrId);
}

function spec(nameOrId: string | number | Datatype): Spec | undefined {
  if (typeof nameOrId === 'object') return BY_ID.get(nameOrId.id) ?? undefined;
  if (typeof nameOrId === 'number') return BY_ID.get(nameOrId);
  const s = BY_NAME.get(nameOrId);
  if (s) return s;
  const a = ALIASES[nameOrId];
  return a === undefined ? undefined : typeof a === 'number' ? BY_ID.get(a) : BY_NAME.get(a);
}

function mustSpec(type: Datatype | string): Spec {
  const s = spec(type);
  if (!s) throw new TypeError(`Expected an nft datatype name (ipv4_addr, inet_service, …) but received ${show(typeof type === 'string' ? type : type.name)}`);
  return s;
}

/** Bytes a value of this type occupies in a register (0 if variable). */
export function datatypeLen(t: Datatype): number {
  return Math.ceil(t.bits / 8);
}

// ---------------------------------------------------------------------------------------------
// Concatenations

/** Bits per field when nft packs a concatenated key type (TYPE_BITS in datatype.h). */
export const CONCAT_TYPE_BITS = 6;

/** A key or data type, maybe a concatenation, as a set/lookup needs it (NFTA_SET_KEY_TYPE etc.). */
export interface TypeLayout {
  readonly types: readonly Datatype[];
  readonly id: number;
  /** Total bytes: each field rounded up to 4 bytes (netlink_padded_len), except a single field. */
  readonly len: number;
  /** Bytes of each field, before 4-byte padding. */
  readonly fields: readonly number[];
}

/**
 * The layout of a key type: one datatype name, a concatenation (`"ipv4_addr . inet_service"` or
 * `["ipv4_addr", "inet_service"]`). The id of a concatenation is each field's id shifted left by 6
 * bits per following field (concat_type_alloc), e.g. ipv4_addr . inet_service = 7 << 6 | 13.
 * @throws TypeError for unknown names or variable-length types in a concatenation.
 */
export function typeLayout(type: string | readonly string[]): TypeLayout {
  const names = typeof type === 'string' ? type.split(' . ').map((s) => s.trim()) : [...type];
  if (names.length === 0) throw new TypeError('Expected at least one datatype name for a key type but received []');
  const types = names.map((n) => {
    if (typeof n !== 'string') throw new TypeError(`Expected a datatype name in a key type but received ${show(n)}`);
    return mustSpec(n);
  });
  if (types.length === 1) {
    const t = types[0] as Spec;
    const l = datatypeLen(t);
    return { types, id: t.id, len: l, fields: [l] };
  }
  let id = 0;
  let len = 0;
  const fields: number[] = [];
  for (const t of types) {
    const l = datatypeLen(t);
    if (l === 0) throw new TypeError(`Expected fixed-size datatypes in a concatenation but received ${t.name} (variable length) in ${show(names.join(' . '))}`);
    id = (id << CONCAT_TYPE_BITS) | t.id;
    fields.push(l);
    len += Math.ceil(l / 4) * 4;
  }
  if (types.length * CONCAT_TYPE_BITS > 32) throw new RangeError(`Expected at most 5 fields in a concatenation but received ${types.length}`);
  return { types, id: id >>> 0, len, fields };
}

/** Splits a concatenated type id into its datatypes (concat_type_alloc). Unknown ids give undefined. */
export function concatTypes(id: number): Datatype[] | undefined {
  if (id <= 0x3f) {
    const s = BY_ID.get(id);
    return s ? [s] : undefined;
  }
  const out: Datatype[] = [];
  let v = id >>> 0;
  while (v !== 0) {
    const s = BY_ID.get(v & 0x3f);
    if (!s) return undefined;
    out.unshift(s);
    v >>>= CONCAT_TYPE_BITS;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding

function toBigInt(value: unknown, t: Spec): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw typeErr('an integer', t.name, value);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(value.trim())) {
    const s = value.trim();
    // strtoull base 0: 0x hex, leading 0 octal, decimal
    if (s.startsWith('0x')) return BigInt(s);
    if (s.length > 1 && s.startsWith('0')) return BigInt(`0o${s.slice(1)}`);
    return BigInt(s);
  }
  return undefined;
}

function checkRange(v: bigint, bits: number, t: Spec, orig: unknown): bigint {
  if (v < 0n) throw rangeErr(`a non-negative value`, t.name, orig);
  if (bits > 0 && v >> BigInt(bits) !== 0n) throw rangeErr(`a value that fits in ${bits} bits (0-${(1n << BigInt(bits)) - 1n})`, t.name, orig);
  return v;
}

function symbolValue(t: Spec, v: string): bigint | undefined {
  return t.symbols?.get(v);
}

const IFNAMSIZ = 16;

/**
 * Strings as nft's evaluator takes them (expr_evaluate_string): NUL padded to the field, `\\*`
 * a literal star (backslashes are dropped, xstrunescape). A trailing unescaped `*` is a
 * wildcard only where the expression allows one: callers check ifnameWildcard() first (which
 * gives the prefix bytes nft compares); here it is encoded as a character.
 */
function stringBytes(value: unknown, t: Spec, len: number): Uint8Array {
  if (typeof value !== 'string') throw typeErr('a string', t.name, value);
  if (value === '') throw typeErr('a non-empty string', t.name, value);
  const text = value.endsWith('\\*') ? value.replace(/\\/g, '') : value;
  const raw = Buffer.from(text, 'utf8');
  if (raw.includes(0)) throw typeErr('a string without NUL bytes', t.name, value);
  const size = len > 0 ? len : raw.length + 1;
  if (raw.length + 1 > size) throw rangeErr(`a string of at most ${size - 1} bytes`, t.name, value);
  const out = new Uint8Array(size);
  out.set(raw);
  return out;
}

function parseLladdr(value: unknown, t: Spec): Uint8Array {
  if (typeof value !== 'string') throw typeErr('a link layer address like "00:11:22:33:44:55"', t.name, value);
  const parts = value.split(/[:-]/);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw typeErr('a link layer address like "00:11:22:33:44:55"', t.name, value);
    out.push(parseInt(p, 16));
  }
  return Uint8Array.from(out);
}

/** Parses nft's relative time syntax ("1d2h3m4s5ms", or plain seconds). Returns milliseconds. */
export function parseTimeString(s: string): bigint | undefined {
  if (/^\d+$/.test(s)) return BigInt(s) * 1000n;
  const re = /(\d+)(ms|d|h|m|s)/y;
  let pos = 0;
  let ms = 0n;
  const seen = new Set<string>();
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m || m[1] === undefined || m[2] === undefined) return undefined;
    if (seen.has(m[2])) return undefined;
    seen.add(m[2]);
    const n = BigInt(m[1]);
    ms += n * ({ d: 86400000n, h: 3600000n, m: 60000n, s: 1000n, ms: 1n } as const)[m[2] as 'd' | 'h' | 'm' | 's' | 'ms'];
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : ms;
}

/** Seconds east of UTC of the local time zone at a moment (tm_gmtoff). */
const gmtoff = (epochSeconds: number): number => -new Date(epochSeconds * 1000).getTimezoneOffset() * 60;

function encodeDate(value: unknown, t: Spec): bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value) * 1000000000n;
  if (typeof value !== 'string') throw typeErr('a date "YYYY-MM-DD HH:MM:SS" or seconds since the epoch', t.name, value);
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/.exec(value);
  if (m) {
    const ts = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000;
    return BigInt(ts - gmtoff(ts)) * 1000000000n;
  }
  if (/^\d+$/.test(value)) return BigInt(value) * 1000000000n;
  throw typeErr('a date "YYYY-MM-DD HH:MM:SS" or seconds since the epoch', t.name, value);
}

function encodeHour(value: unknown, t: Spec): bigint {
  let secs: number;
  if (typeof value === 'number') secs = value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) secs = Number(value);
  else if (typeof value === 'string') {
    const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(value);
    if (m) secs = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
    else {
      const ms = parseTimeString(value);
      if (ms === undefined) throw typeErr('an hour "HH:MM" or "HH:MM:SS"', t.name, value);
      secs = Number(ms / 1000n);
    }
    const off = gmtoff(Math.floor(Date.now() / 1000));
    secs = secs >= off ? (secs - off) % 86400 : 86400 - off + secs;
    return BigInt(secs);
  } else throw typeErr('an hour "HH:MM" or "HH:MM:SS"', t.name, value);
  if (!Number.isInteger(secs) || secs < 0) throw typeErr('an hour "HH:MM" or "HH:MM:SS"', t.name, value);
  return BigInt(secs);
}

function encodeClassid(value: unknown, t: Spec): bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
  if (typeof value !== 'string') throw typeErr('a classid "major:minor", "root" or "none"', t.name, value);
  if (value === 'root') return 0xffffffffn;
  if (value === 'none') return 0n;
  const m = /^([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(value);
  if (m && m[1] !== undefined) {
    const maj = BigInt(`0x${m[1]}`) & 0xffffn;
    const min = m[2] ? BigInt(`0x${m[2]}`) & 0xffffn : 0n;
    return (maj << 16n) | min;
  }
  const n = toBigInt(value, t);
  if (n !== undefined) return n;
  throw typeErr('a classid "major:minor", "root" or "none"', t.name, value);
}

function lookupName(table: ReadonlyMap<string, bigint>, value: unknown, t: Spec, what: string): bigint {
  if (typeof value === 'string') {
    const v = table.get(value);
    if (v !== undefined) return v;
  }
  const n = toBigInt(value, t);
  if (n === undefined) throw typeErr(what, t.name, value);
  return n;
}

/** The numeric value of a JSON value for a scalar (non-string, non-address) type. */
function scalarValue(t: Spec, value: unknown, bits: number): bigint {
  switch (t.kind) {
    case 'integer': {
      const n = toBigInt(value, t);
      if (n !== undefined) return n;
      // inet_service: service names as nft resolves them (/etc/services)
      const port = t.name === 'inet_service' && typeof value === 'string' ? services().get(value) : undefined;
      if (port !== undefined) return port;
      throw typeErr(t.name === 'inet_service' ? 'a port number or service name' : 'an integer', t.name, value);
    }
    case 'symbolic': {
      if (typeof value === 'string') {
        const v = symbolValue(t, value);
        if (v !== undefined) return v;
      }
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr(`one of ${[...(t.symbols?.keys() ?? [])].join(', ')} or a number`, t.name, value);
      return n;
    }
    case 'bitmask': {
      const one = (x: unknown): bigint => {
        if (typeof x === 'string') {
          const v = symbolValue(t, x);
          if (v !== undefined) return v;
        }
        const n = toBigInt(x, t);
        if (n === undefined) throw typeErr(`flags (${[...(t.symbols?.keys() ?? [])].join(', ')}) or a number`, t.name, x);
        return n;
      };
      const any = (x: unknown): bigint => {
        if (Array.isArray(x)) return x.reduce<bigint>((acc, y) => acc | any(y), 0n);
        // {"|": [a, b]}: nft's JSON for an OR of flags
        if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
          const or = (x as Record<string, unknown>)['|'];
          if (Object.keys(x).length === 1 && Array.isArray(or)) return or.reduce<bigint>((acc, y) => acc | any(y), 0n);
        }
        return one(x);
      };
      return any(value);
    }
    case 'inet_proto': {
      if (typeof value === 'string') {
        const n = loadProtocols().byName.get(value);
        if (n !== undefined) return BigInt(n);
      }
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr('a protocol name from /etc/protocols or a number 0-255', t.name, value);
      return n;
    }
    case 'mark':
      return lookupName(marks(), value, t, 'a mark number');
    case 'realm':
      return lookupName(realms(), value, t, 'a realm name from /etc/iproute2/rt_realms or a number');
    case 'devgroup':
      return lookupName(devgroups(), value, t, 'a device group name from /etc/iproute2/group or a number');
    case 'uid':
      return lookupName(users(), value, t, 'a user name or uid');
    case 'gid':
      return lookupName(groups(), value, t, 'a group name or gid');
    case 'ifindex': {
      if (typeof value === 'string' && toBigInt(value, t) === undefined) {
        const idx = ifResolver?.nameToIndex(value);
        if (idx === undefined) throw typeErr('an existing interface name or an interface index', t.name, value);
        return BigInt(idx);
      }
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr('an interface name or index', t.name, value);
      return n;
    }
    case 'classid':
      return encodeClassid(value, t);
    case 'time': {
      // JSON carries seconds (time_type_json); strings use nft's "1h30m" syntax. Kernel: ms.
      if (typeof value === 'string') {
        const ms = parseTimeString(value);
        if (ms === undefined) throw typeErr('a time like 30 (seconds) or "1h30m"', t.name, value);
        return ms;
      }
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr('a time like 30 (seconds) or "1h30m"', t.name, value);
      return n * 1000n;
    }
    case 'date':
      return encodeDate(value, t);
    case 'hour':
      return encodeHour(value, t);
    case 'boolean': {
      if (value === true || value === 'exists') return 1n;
      if (value === false || value === 'missing') return 0n;
      const n = toBigInt(value, t);
      if (n === 0n || n === 1n) return n;
      throw typeErr('true, false, "exists" or "missing"', t.name, value);
    }
    case 'ct_label': {
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr('a label bit number 0-127', t.name, value);
      if (n > 127n) throw rangeErr('a label bit number 0-127', t.name, value);
      return 1n << n;
    }
    case 'cgroupv2': {
      if (typeof value === 'string' && toBigInt(value, t) === undefined) {
        try {
          return statSync(`/sys/fs/cgroup/${value}`, { bigint: true }).ino;
        } catch {
          throw typeErr('an existing cgroupv2 path (relative to /sys/fs/cgroup) or an inode number', t.name, value);
        }
      }
      const n = toBigInt(value, t);
      if (n === undefined) throw typeErr('a cgroupv2 path or inode number', t.name, value);
      return n;
    }
    default:
      throw typeErr('a scalar value', t.name, value);
  }
}

/**
 * A JSON value (as nft -j writes it for that type) -> bytes in the kernel's layout for the type.
 * @param bits the expression's length in bits where it differs from the type's (integer fields,
 *   sub-byte fields, strings in a 16-byte register); the result has ceil(bits / 8) bytes and the
 *   value is not shifted (payload bit-fields are shifted by the linearizer).
 * @param byteorder the expression's byte order where the type leaves it open (integer):
 *   payload fields are big endian, meta/ct integers host.
 * @throws TypeError for a value of the wrong kind, RangeError for one that does not fit.
 */
export function encodeValue(type: Datatype | string, value: unknown, bits?: number, byteorder?: 'big' | 'host'): Uint8Array {
  const t = mustSpec(type);
  const nbits = bits ?? t.bits;
  if (!Number.isInteger(nbits) || nbits < 0) throw new RangeError(`Expected a bit length >= 0 for a value of type ${t.name} but received ${show(bits)}`);
  const len = Math.ceil(nbits / 8);
  const order = byteorder ?? t.byteorder;
  switch (t.kind) {
    case 'string':
      return stringBytes(value, t, len);
    case 'ipv4': {
      const b = typeof value === 'string' ? parseIpv4(value) : undefined;
      if (!b) throw typeErr('an IPv4 address', t.name, value);
      if (len !== 0 && len !== 4) throw rangeErr('a 32-bit field', t.name, value);
      return b;
    }
    case 'ipv6': {
      const b = typeof value === 'string' ? parseIpv6(value) : undefined;
      if (!b) throw typeErr('an IPv6 address', t.name, value);
      if (len !== 0 && len !== 16) throw rangeErr('a 128-bit field', t.name, value);
      return b;
    }
    case 'lladdr': {
      const b = parseLladdr(value, t);
      if (len !== 0 && b.length !== len) throw rangeErr(`an address of ${len} bytes`, t.name, value);
      return b;
    }
    case 'verdict':
      throw typeErr('a byte value (verdicts travel as NFTA_DATA_VERDICT: use encodeVerdict)', t.name, value);
    default: {
      if (len === 0) throw new RangeError(`Expected a bit length for a value of type ${t.name} (variable size) but received none`);
      // fast path: a plain number for a type whose numbers are the raw value, up to 32 bits
      if (typeof value === 'number' && RAW_NUMBER_KINDS.has(t.kind) && len <= 4 && Number.isInteger(value) && value >= 0) {
        const max = nbits === 1 ? 255 : 2 ** nbits - 1;
        if (value <= max) return smallBytes(value, len, order);
      }
      const v = checkRange(scalarValue(t, value, nbits), nbits === 1 ? 8 : nbits, t, value);
      return uintBytes(v, len, order);
    }
  }
}

/** Kinds whose JSON numbers are the kernel value itself (not seconds, not label bits). */
const RAW_NUMBER_KINDS: ReadonlySet<Kind> = new Set<Kind>([
  'integer', 'bitmask', 'symbolic', 'inet_proto', 'mark', 'realm', 'devgroup', 'uid', 'gid', 'ifindex', 'classid', 'hour', 'cgroupv2',
]);

/** A number below 2^32 as len (<= 4) bytes. */
function smallBytes(v: number, len: number, order: 'big' | 'host'): Uint8Array {
  const out = new Uint8Array(len);
  const le = order === 'host' && HOST_LE;
  let x = v;
  for (let i = 0; i < len; i++) {
    out[le ? i : len - 1 - i] = x & 0xff;
    x = Math.floor(x / 256);
  }
  return out;
}

/** Dotted-quad IPv4 (four decimal parts 0-255, as the old codec and nft's numeric form). */
function parseIpv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let acc = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = acc;
      acc = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      acc = acc * 10 + (c - 48);
      if (++digits > 3 || acc > 255) return undefined;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function firstName(symbols: ReadonlyMap<string, bigint> | undefined, v: bigint): string | undefined {
  if (!symbols) return undefined;
  for (const [k, x] of symbols) if (x === v) return k;
  return undefined;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** integer_type_json: a number if it fits an unsigned long, else a "0x…" string. */
function integerJson(v: bigint): number | bigint | string {
  if (v > 0xffffffffffffffffn) return hex(v);
  return num(v);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * expr_postprocess_string: a value ending in NUL is a string (a trailing literal `*` printed as
 * `\\*`); bytes without a final NUL are a wildcard prefix, printed with `*`.
 */
function decodeStringBytes(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) return `${Buffer.from(bytes).toString('utf8')}*`;
  const end = bytes.indexOf(0);
  const str = Buffer.from(bytes.subarray(0, end)).toString('utf8');
  return str.endsWith('*') ? `${str.slice(0, -1)}\\*` : str;
}

/**
 * An IPv6 address as glibc's inet_ntop prints it (getnameinfo NI_NUMERICHOST): the longest run
 * of two or more zero groups (the first on a tie) as `::`, lowercase hex, and a dotted quad for
 * IPv4-compatible (`::1.2.3.4`) and IPv4-mapped (`::ffff:1.2.3.4`) addresses.
 */
function ipv6Text(bytes: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += (w[i] as number).toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Parses an IPv6 address (RFC 4291 text: `::`, 1-4 hex digits per group, dotted-quad tail). */
function parseIpv6(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 2 || n > 45) return undefined;
  const words = new Uint16Array(8);
  let count = 0; // groups written
  let gap = -1; // index in words where "::" sits
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return undefined;
    gap = 0;
    i = 2;
    if (i === n) return new Uint8Array(16);
  }
  while (i < n) {
    if (count === 8) return undefined;
    // a dotted-quad tail takes the last two groups
    let j = i;
    let acc = 0;
    let digits = 0;
    while (j < n) {
      const c = s.charCodeAt(j);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      acc = acc * 16 + h;
      digits++;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      if (count > 6) return undefined;
      const v4 = parseIpv4(s.slice(i));
      if (!v4) return undefined;
      words[count++] = ((v4[0] as number) << 8) | (v4[1] as number);
      words[count++] = ((v4[2] as number) << 8) | (v4[3] as number);
      i = n;
      break;
    }
    if (digits === 0 || digits > 4) return undefined;
    words[count++] = acc;
    if (j === n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) !== 58) return undefined;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap !== -1) return undefined;
      gap = count;
      i = j + 2;
      if (i === n) break;
    } else {
      i = j + 1;
      if (i === n) return undefined; // trailing single colon
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return undefined;
  const out = new Uint8Array(16);
  const tail = gap === -1 ? 0 : count - gap;
  for (let k = 0; k < count; k++) {
    const pos = gap !== -1 && k >= gap ? 8 - tail + (k - gap) : k;
    out[pos * 2] = (words[k] as number) >> 8;
    out[pos * 2 + 1] = (words[k] as number) & 0xff;
  }
  return out;
}

/**
 * Kernel bytes -> the JSON value nft -j prints for that type: symbol names where nft prints
 * them, numbers otherwise (strings where nft's JSON goes through its text printer: realm,
 * iface_index, classid, hour, date). A bitmask value of several bits gives its flags, lowest
 * first (`["established", "related"]`, as in flag matches); nft prints the same value as
 * `{"|": […]}` in set elements and ct/meta compares (decodeFlagsOr) and as a plain number on
 * payload/exthdr compares (decodeConstant). Strings: bytes without a final NUL are a wildcard
 * prefix (`"eth*"`), a trailing literal star prints as `\\*` (expr_postprocess_string).
 * @param byteorder the expression's byte order where the type leaves it open (integer).
 */
export function decodeValue(type: Datatype | string, bytes: Uint8Array, byteorder?: 'big' | 'host'): DatatypeValue {
  const t = mustSpec(type);
  if (!(bytes instanceof Uint8Array)) throw typeErr('a Uint8Array', t.name, bytes);
  const order = byteorder ?? t.byteorder;
  switch (t.kind) {
    case 'string':
      return decodeStringBytes(bytes);
    case 'ipv4':
      if (bytes.length !== 4) return integerJson(bytesUint(bytes, 'big'));
      return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
    case 'ipv6':
      if (bytes.length !== 16) return integerJson(bytesUint(bytes, 'big'));
      return ipv6Text(bytes);
    case 'lladdr':
      return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
    case 'verdict':
      return integerJson(bytesUint(bytes, 'host'));
    default:
      if (bytes.length <= 4 && (t.kind === 'integer' || t.kind === 'symbolic')) {
        // fast path: small integers and symbols without BigInt
        let v = 0;
        const le = order === 'host' && HOST_LE;
        for (let i = 0; i < bytes.length; i++) v = v * 256 + (bytes[le ? bytes.length - 1 - i : i] as number);
        if (t.kind === 'integer') return v;
        return symbolByNumber(t).get(v) ?? v;
      }
      return decodeScalar(t, bytesUint(bytes, order));
  }
}

const BY_NUMBER = new WeakMap<Spec, Map<number, string>>();
/** number -> first symbol name of a type (the one nft prints). */
function symbolByNumber(t: Spec): Map<number, string> {
  let m = BY_NUMBER.get(t);
  if (!m) {
    m = new Map();
    for (const [k, v] of t.symbols ?? []) if (!m.has(Number(v))) m.set(Number(v), k);
    BY_NUMBER.set(t, m);
  }
  return m;
}

/**
 * A bitmask value split into flags as nft prints the operands of `&`, `ct state
 * established,related` and other flag matches (bitmask_expr_to_binops): one element per set bit,
 * lowest first, each a symbol name or a number; a single bit (or 0) gives the scalar itself.
 * For bitmask types this is decodeValue; for other types, decodeValue.
 */
export function decodeFlags(type: Datatype | string, bytes: Uint8Array, byteorder?: 'big' | 'host'): DatatypeValue {
  return decodeValue(type, bytes, byteorder);
}

/**
 * A constant as nft prints it on the right of a payload or exthdr match (`tcp flags == fin|syn`
 * lists as 3): a symbol when one matches the whole value, else a number; never split.
 */
export function decodeConstant(type: Datatype | string, bytes: Uint8Array, byteorder?: 'big' | 'host'): DatatypeValue {
  const t = mustSpec(type);
  if (t.kind !== 'bitmask') return decodeValue(t, bytes, byteorder);
  if (!(bytes instanceof Uint8Array)) throw typeErr('a Uint8Array', t.name, bytes);
  const v = bytesUint(bytes, byteorder ?? t.byteorder);
  return firstName(t.symbols, v) ?? integerJson(v);
}

/** A bitmask constant as nft's JSON writes an OR of flags: `{"|": [{"|": ["invalid", "established"]}, "new"]}`. */
export type FlagsOr = string | number | { readonly '|': readonly [FlagsOr, FlagsOr] };

/**
 * A bitmask constant as nft prints it on the right of a non-payload match (`ct state ==
 * invalid|new`): bitmask_expr_to_binops turns several bits into a left-nested OR of single
 * flags, lowest bit first. Payload and exthdr matches (`tcp flags == fin|syn`) print the plain
 * constant instead (decodeValue: 3).
 */
export function decodeFlagsOr(type: Datatype | string, bytes: Uint8Array, byteorder?: 'big' | 'host'): FlagsOr {
  const flags = decodeFlags(type, bytes, byteorder);
  if (!Array.isArray(flags)) return flags as string | number;
  let acc: FlagsOr = flags[0] as string | number;
  for (const f of flags.slice(1)) acc = { '|': [acc, f] };
  return acc;
}

/** The JSON value nft prints for a scalar of a type, from its numeric value. */
export function valueToJson(type: Datatype | string, v: bigint): DatatypeValue {
  return decodeScalar(mustSpec(type), v);
}

function decodeScalar(t: Spec, v: bigint): DatatypeValue {
  switch (t.kind) {
    case 'symbolic':
      return firstName(t.symbols, v) ?? integerJson(v);
    case 'bitmask': {
      // several bits: the flags, lowest first (bitmask_expr_to_binops); see decodeFlagsOr and
      // decodeConstant for the other two forms nft prints
      const name = firstName(t.symbols, v);
      if (name !== undefined || v === 0n) return name ?? 0;
      const out: (string | number)[] = [];
      for (let bit = 0n; v >> bit !== 0n; bit++) {
        const b = 1n << bit;
        if ((v & b) !== 0n) out.push(firstName(t.symbols, b) ?? Number(b));
      }
      return out.length === 1 ? (out[0] as string | number) : out;
    }
    case 'inet_proto': {
      const name = loadProtocols().byNum.get(Number(v));
      return name ?? integerJson(v);
    }
    case 'mark':
      return firstName(marks(), v) ?? integerJson(v);
    case 'devgroup':
      return firstName(devgroups(), v) ?? integerJson(v);
    case 'realm':
      // no JSON printer: nft prints the text form, which is a string even when numeric
      return firstName(realms(), v) ?? String(v);
    case 'uid':
    case 'gid':
      return integerJson(v);
    case 'ifindex': {
      const name = ifResolver?.indexToName(Number(v));
      return name ?? String(v);
    }
    case 'classid': {
      if (v === 0xffffffffn) return 'root';
      if (v === 0n) return 'none';
      return `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
    }
    case 'time':
      return integerJson(v / 1000n);
    case 'date': {
      let ts = Number(v / 1000000000n);
      ts += gmtoff(ts);
      const d = new Date(ts * 1000);
      return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    }
    case 'hour': {
      let secs = Number(v);
      secs = (secs + gmtoff(Math.floor(Date.now() / 1000))) % 86400;
      if (secs < 0) secs += 86400;
      const h = Math.floor(secs / 3600);
      const m = Math.floor((secs % 3600) / 60);
      const s = secs % 60;
      return s ? `${pad2(h)}:${pad2(m)}:${pad2(s)}` : `${pad2(h)}:${pad2(m)}`;
    }
    case 'boolean':
      return v !== 0n;
    case 'ct_label': {
      if (v === 0n) return 0;
      let bit = 0;
      while (((v >> BigInt(bit)) & 1n) === 0n) bit++;
      return bit;
    }
    case 'cgroupv2':
      return integerJson(v);
    default:
      return integerJson(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Verdicts

/** Kernel verdict codes (NF_* and NFT_* in netfilter.h / nf_tables.h) by nft's JSON name. */
export const VERDICT_CODE = VERDICT;
export type VerdictName = keyof typeof VERDICT_CODE;

/** A JSON verdict (`{accept: null}`, `{jump: {target: "x"}}`) -> code and chain. */
export function encodeVerdict(v: unknown): { code: number; chain?: string } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeErr('a verdict object like {"accept": null}', 'verdict', v);
  const keys = Object.keys(v);
  const k = keys[0];
  if (keys.length !== 1 || k === undefined || !(k in VERDICT_CODE)) throw typeErr('a verdict object like {"accept": null}', 'verdict', v);
  const code = VERDICT_CODE[k as VerdictName];
  if (k === 'jump' || k === 'goto') {
    const arg = (v as Record<string, unknown>)[k];
    const target = typeof arg === 'object' && arg !== null ? (arg as { target?: unknown }).target : undefined;
    if (typeof target !== 'string' || target === '') throw typeErr(`{"${k}": {"target": "chain"}}`, 'verdict', v);
    return { code, chain: target };
  }
  return { code };
}

/** Kernel verdict code (+ chain) -> the JSON verdict nft prints. */
export function decodeVerdict(code: number, chain?: string): Record<string, null | { target: string }> {
  const c = code | 0;
  if (c === VERDICT_CODE.jump || c === VERDICT_CODE.goto) return { [c === VERDICT_CODE.jump ? 'jump' : 'goto']: { target: chain ?? '' } };
  for (const [k, x] of Object.entries(VERDICT_CODE)) if (x === c) return { [k]: null };
  // NF_VERDICT_MASK: queue numbers live in the upper bits
  const base = c & 0xff;
  if (base === 0) return { drop: null };
  if (base === 1) return { accept: null };
  if (base === 3) return { queue: null };
  if (base === 2) return { stolen: null };
  return { [`unknown verdict value ${code >>> 0}`]: null };
}

// ---------------------------------------------------------------------------------------------
// Helpers for other modules

/** Interface-name wildcard: `"eth*"` matches by prefix; `"eth\*"` is a literal star. */
export function ifnameWildcard(value: string): { prefix: Uint8Array } | undefined {
  if (!value.endsWith('*') || value.endsWith('\\*')) return undefined;
  // expr_evaluate_string: "All-wildcard strings are not supported"
  if (value === '*') throw new TypeError('Expected a string with a prefix before the wildcard (all-wildcard strings are not supported) but received "*"');
  return { prefix: Uint8Array.from(Buffer.from(value.slice(0, -1), 'utf8')) };
}

/** Inet protocol name/number lookups (getprotobyname/getprotobynumber over /etc/protocols). */
export function protocolNumber(name: string): number | undefined {
  return loadProtocols().byName.get(name);
}
export function protocolName(n: number): string | undefined {
  return loadProtocols().byNum.get(n);
}

export const IFNAME_LEN = IFNAMSIZ;

// ---------------------------------------------------------------------------------------------
// Text: how `nft list ruleset` prints a value (datatype print functions)

/** Printf formats of integer values by type (basefmt in nft's datatype definitions). */
const BASEFMT: Readonly<Record<string, (v: bigint) => string>> = {
  mark: (v) => `0x${v.toString(16).padStart(8, '0')}`,
  ether_type: (v) => `0x${v.toString(16).padStart(4, '0')}`,
  dscp: (v) => `0x${v.toString(16).padStart(2, '0')}`,
  ecn: (v) => `0x${v.toString(16).padStart(1, '0')}`,
};

/** Types whose symbolic names nft prints in quotes (symbolic_constant_print with quotes). */
const QUOTED_NAMES: ReadonlySet<Kind> = new Set(['mark', 'devgroup', 'realm', 'ct_label', 'ifindex', 'cgroupv2']);

/** nft's relative time text (time_print): 1d2h3m4s5ms; JSON carries seconds. */
export function timeText(ms: bigint): string {
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86400000n], ['h', 3600000n], ['m', 60000n], ['s', 1000n], ['ms', 1n]] as const) {
    const n = rest / size;
    rest %= size;
    if (n > 0n) out += `${n}${unit}`;
  }
  return out;
}

function numericText(t: Spec, v: bigint): string {
  const f = BASEFMT[t.name];
  if (f) return f(v);
  // bitmask types print in hexadecimal (bitmask_type basefmt "0x%Zx")
  let b: string | undefined = t.base;
  while (b) {
    if (b === 'bitmask') return `0x${v.toString(16)}`;
    b = BY_NAME.get(b)?.base;
  }
  if (t.name === 'bitmask') return `0x${v.toString(16)}`;
  return v.toString(10);
}

/**
 * The text `nft list ruleset` prints for a JSON value of a type: `0x00000010` for mark 16,
 * `"lo"` for iif lo, `1h30m` for ct expiration 5400, `"Monday"` for meta day, names bare where
 * nft prints them bare; flag lists (`["established", "related"]`) as `established,related`
 * and OR forms (`{"|": […]}`) as `invalid | new`.
 * @throws TypeError for a value that is not a JSON value of the type.
 */
export function valueText(type: Datatype | string, value: unknown): string {
  const t = mustSpec(type);
  if (Array.isArray(value)) return value.map((v) => valueText(t, v)).join(',');
  if (typeof value === 'object' && value !== null) {
    const or = (value as Record<string, unknown>)['|'];
    if (Array.isArray(or) && or.length === 2) return `${valueText(t, or[0])} | ${valueText(t, or[1])}`;
    throw typeErr('a value', t.name, value);
  }
  switch (t.kind) {
    case 'string':
      if (typeof value !== 'string') throw typeErr('a string', t.name, value);
      return `"${value}"`;
    case 'ipv4':
    case 'ipv6':
    case 'lladdr':
    case 'classid':
      if (typeof value !== 'string') return numericText(t, scalarValue(t, value, t.bits));
      return value;
    case 'boolean':
      return value === true || value === 'exists' || value === 1 ? 'exists' : 'missing';
    case 'date':
    case 'hour':
      return `"${String(value)}"`;
    case 'time': {
      if (typeof value === 'string') return value;
      return timeText(scalarValue(t, value, 0));
    }
    default:
      break;
  }
  if (typeof value === 'string') {
    // a number the JSON carries as a string (realm "7", iif "77", big integers "0x…")
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(value)) return t.kind === 'integer' ? BigInt(value).toString(10) : numericText(t, BigInt(value));
    const quoted = QUOTED_NAMES.has(t.kind) || t.name === 'day';
    return quoted ? `"${value}"` : value;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (t.kind === 'ct_label') return String(value);
    return numericText(t, BigInt(value));
  }
  throw typeErr('a value', t.name, value);
}
