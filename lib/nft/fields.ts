// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Where every matchable thing lives, as nft 1.0.6 defines it (src/proto.c, meta.c, ct.c, rt.c,
 * socket.c, osf.c, fib.c, exthdr.c, tcpopt.c, ipopt.c, sctp_chunk.c, numgen.c, hash.c, xfrm.c):
 * protocol header fields with their bit offsets, lengths and datatypes; how each protocol is
 * selected by the layer below (for dependency insertion and removal); meta, ct, rt, socket, fib,
 * numgen, hash and xfrm keys; extension headers, TCP/IP options and SCTP chunks.
 *
 * Offsets and lengths are in bits, as nft keeps them: a field that is not byte aligned (ip
 * version, ip6 flowlabel, tcp doff) is loaded as whole bytes and then masked and shifted.
 * Linearize, delinearize, render and the element codecs all read these tables: a new field is
 * one row.
 */

/** A protocol header field (`{ "payload": { "protocol": "tcp", "field": "dport" } }`). */
export interface PayloadField {
  readonly protocol: string;
  readonly field: string;
  /** Payload base: link layer, network, transport header, inner (payload data). */
  readonly base: 'll' | 'nh' | 'th' | 'ih';
  /** Bits from the start of the base. */
  readonly offset: number;
  /** Length in bits. */
  readonly len: number;
  /** Datatype name (lib/nft/datatypes.ts). */
  readonly type: string;
}

/** A protocol header as nft describes it (struct proto_desc). */
export interface ProtocolDef {
  readonly name: string;
  readonly base: 'll' | 'nh' | 'th';
  /** Fields in nft's template order. */
  readonly fields: readonly PayloadField[];
  /** The field of this header that names the next protocol (ether type, ip protocol…). */
  readonly protocolKey?: string;
  /** Upper-layer protocols selected through protocolKey: protocol name -> value. */
  readonly upper?: ReadonlyMap<string, number>;
  /** Header length in bits, where nft stacks the next header on the same base (ether, vlan). */
  readonly length?: number;
  /** Checksum field and type (NFT_PAYLOAD_CSUM_INET = 1, SCTP = 2) for payload mangling. */
  readonly checksum?: { readonly field: string; readonly type: 'inet' | 'sctp' };
  /** Fields of the pseudo header that feed the transport checksum (ip/ip6). */
  readonly pseudoHeader?: readonly string[];
}

type FieldRow = readonly [field: string, offset: number, len: number, type: string];

function proto(
  name: string,
  base: ProtocolDef['base'],
  rows: readonly FieldRow[],
  extra: Omit<ProtocolDef, 'name' | 'base' | 'fields'> = {},
): ProtocolDef {
  return { name, base, fields: rows.map(([field, offset, len, type]) => ({ protocol: name, field, base, offset, len, type })), ...extra };
}

/** IPPROTO_* numbers nft links transport protocols with. */
export const IPPROTO = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  dccp: 33,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  comp: 108,
  sctp: 132,
  udplite: 136,
} as const;

/** ETH_P_* values nft links network protocols with. */
export const ETH_P = { ip: 0x0800, arp: 0x0806, ip6: 0x86dd, vlan: 0x8100, '8021ad': 0x88a8 } as const;

const links = (entries: readonly (readonly [string, number])[]): ReadonlyMap<string, number> => new Map(entries);
/** The upper layers of AH, IPComp and the inet-service pseudo protocol (proto_ah.protocols). */
const L4_AFTER_EXT = links([
  ['esp', IPPROTO.esp], ['ah', IPPROTO.ah], ['comp', IPPROTO.comp], ['udp', IPPROTO.udp], ['udplite', IPPROTO.udplite],
  ['tcp', IPPROTO.tcp], ['dccp', IPPROTO.dccp], ['sctp', IPPROTO.sctp],
]);
const L4_ALL = links([
  ['icmp', IPPROTO.icmp], ['igmp', IPPROTO.igmp], ['icmpv6', IPPROTO.icmpv6], ['esp', IPPROTO.esp], ['ah', IPPROTO.ah],
  ['comp', IPPROTO.comp], ['udp', IPPROTO.udp], ['udplite', IPPROTO.udplite], ['tcp', IPPROTO.tcp], ['dccp', IPPROTO.dccp],
  ['sctp', IPPROTO.sctp],
]);
const L3_LINKS = links([['ip', ETH_P.ip], ['arp', ETH_P.arp], ['ip6', ETH_P.ip6], ['vlan', ETH_P.vlan]]);

const ETHER_HDR_BITS = 14 * 8;
const VLAN_HDR_BITS = 4 * 8;

/** Every protocol header of nft 1.0.6 (proto_definitions). */
export const PROTOCOLS: readonly ProtocolDef[] = [
  proto('ether', 'll', [
    ['daddr', 0, 48, 'ether_addr'],
    ['saddr', 48, 48, 'ether_addr'],
    ['type', 96, 16, 'ether_type'],
  ], { protocolKey: 'type', upper: L3_LINKS, length: ETHER_HDR_BITS }),
  // Offsets as nft emits them for one tag after an Ethernet header (the ll offset of the stacked
  // header is added: `vlan id` is 2 bytes at link header + 14).
  proto('vlan', 'll', [
    ['pcp', ETHER_HDR_BITS + 0, 3, 'integer'],
    ['dei', ETHER_HDR_BITS + 3, 1, 'integer'],
    ['cfi', ETHER_HDR_BITS + 3, 1, 'integer'],
    ['id', ETHER_HDR_BITS + 4, 12, 'integer'],
    ['type', ETHER_HDR_BITS + 16, 16, 'ether_type'],
  ], { protocolKey: 'type', upper: links([['ip', ETH_P.ip], ['arp', ETH_P.arp], ['ip6', ETH_P.ip6], ['vlan', ETH_P.vlan]]), length: VLAN_HDR_BITS }),
  proto('arp', 'nh', [
    ['htype', 0, 16, 'integer'],
    ['ptype', 16, 16, 'ether_type'],
    ['hlen', 32, 8, 'integer'],
    ['plen', 40, 8, 'integer'],
    ['operation', 48, 16, 'arp_op'],
    ['saddr ether', 64, 48, 'ether_addr'],
    ['saddr ip', 112, 32, 'ipv4_addr'],
    ['daddr ether', 144, 48, 'ether_addr'],
    ['daddr ip', 192, 32, 'ipv4_addr'],
  ]),
  proto('ip', 'nh', [
    ['version', 0, 4, 'integer'],
    ['hdrlength', 4, 4, 'integer'],
    ['dscp', 8, 6, 'dscp'],
    ['ecn', 14, 2, 'ecn'],
    ['length', 16, 16, 'integer'],
    ['id', 32, 16, 'integer'],
    ['frag-off', 48, 16, 'integer'],
    ['ttl', 64, 8, 'integer'],
    ['protocol', 72, 8, 'inet_proto'],
    ['checksum', 80, 16, 'integer'],
    ['saddr', 96, 32, 'ipv4_addr'],
    ['daddr', 128, 32, 'ipv4_addr'],
  ], { protocolKey: 'protocol', upper: L4_ALL, checksum: { field: 'checksum', type: 'inet' }, pseudoHeader: ['saddr', 'daddr', 'protocol', 'length'] }),
  proto('icmp', 'th', [
    ['type', 0, 8, 'icmp_type'],
    ['code', 8, 8, 'icmp_code'],
    ['checksum', 16, 16, 'integer'],
    ['id', 32, 16, 'integer'],
    ['sequence', 48, 16, 'integer'],
    ['gateway', 32, 32, 'integer'],
    ['mtu', 48, 16, 'integer'],
  ], { protocolKey: 'type', checksum: { field: 'checksum', type: 'inet' } }),
  proto('igmp', 'th', [
    ['type', 0, 8, 'igmp_type'],
    ['mrt', 8, 8, 'integer'],
    ['checksum', 16, 16, 'integer'],
    ['group', 32, 32, 'integer'],
  ], { checksum: { field: 'checksum', type: 'inet' } }),
  proto('ip6', 'nh', [
    ['version', 0, 4, 'integer'],
    ['dscp', 4, 6, 'dscp'],
    ['ecn', 10, 2, 'ecn'],
    ['flowlabel', 12, 20, 'integer'],
    ['length', 32, 16, 'integer'],
    ['nexthdr', 48, 8, 'inet_proto'],
    ['hoplimit', 56, 8, 'integer'],
    ['saddr', 64, 128, 'ipv6_addr'],
    ['daddr', 192, 128, 'ipv6_addr'],
  ], { protocolKey: 'nexthdr', upper: L4_ALL, pseudoHeader: ['saddr', 'daddr', 'nexthdr', 'length'] }),
  proto('icmpv6', 'th', [
    ['type', 0, 8, 'icmpv6_type'],
    ['code', 8, 8, 'icmpv6_code'],
    ['checksum', 16, 16, 'integer'],
    ['parameter-problem', 32, 32, 'integer'],
    ['mtu', 32, 32, 'integer'],
    ['id', 32, 16, 'integer'],
    ['sequence', 48, 16, 'integer'],
    ['max-delay', 32, 16, 'integer'],
  ], { protocolKey: 'type', checksum: { field: 'checksum', type: 'inet' } }),
  proto('tcp', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
    ['sequence', 32, 32, 'integer'],
    ['ackseq', 64, 32, 'integer'],
    ['doff', 96, 4, 'integer'],
    ['reserved', 100, 4, 'integer'],
    ['flags', 104, 8, 'tcp_flag'],
    ['window', 112, 16, 'integer'],
    ['checksum', 128, 16, 'integer'],
    ['urgptr', 144, 16, 'integer'],
  ], { checksum: { field: 'checksum', type: 'inet' } }),
  proto('udp', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
    ['length', 32, 16, 'integer'],
    ['checksum', 48, 16, 'integer'],
  ], { checksum: { field: 'checksum', type: 'inet' } }),
  proto('udplite', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
    ['csumcov', 32, 16, 'integer'],
    ['checksum', 48, 16, 'integer'],
  ]),
  proto('dccp', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
    ['type', 67, 4, 'dccp_pkttype'],
  ]),
  proto('sctp', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
    ['vtag', 32, 32, 'integer'],
    ['checksum', 64, 32, 'integer'],
  ], { checksum: { field: 'checksum', type: 'sctp' } }),
  proto('ah', 'th', [
    ['nexthdr', 0, 8, 'inet_proto'],
    ['hdrlength', 8, 8, 'integer'],
    ['reserved', 16, 16, 'integer'],
    ['spi', 32, 32, 'integer'],
    ['sequence', 64, 32, 'integer'],
  ], { protocolKey: 'nexthdr', upper: L4_AFTER_EXT }),
  proto('esp', 'th', [
    ['spi', 0, 32, 'integer'],
    ['sequence', 32, 32, 'integer'],
  ]),
  proto('comp', 'th', [
    ['nexthdr', 0, 8, 'inet_proto'],
    ['flags', 8, 8, 'bitmask'],
    ['cpi', 16, 16, 'integer'],
  ], { protocolKey: 'nexthdr', upper: L4_AFTER_EXT }),
  // The dummy transport header: fields common to udp/tcp/dccp/sctp, no dependency.
  proto('th', 'th', [
    ['sport', 0, 16, 'inet_service'],
    ['dport', 16, 16, 'inet_service'],
  ]),
];

const PROTO_BY_NAME = new Map<string, ProtocolDef>(PROTOCOLS.map((p) => [p.name, p]));
const FIELD_BY_NAME = new Map<string, PayloadField>();
for (const p of PROTOCOLS) for (const f of p.fields) FIELD_BY_NAME.set(`${p.name} ${f.field}`, f);

/** A protocol header definition by name (`ether`, `ip`, `tcp`, `th`…). */
export function protocol(name: string): ProtocolDef | undefined {
  return PROTO_BY_NAME.get(name);
}

/** A header field by protocol and field name (`ip`, `saddr`; `arp`, `saddr ip`). */
export function payloadField(protocol: string, field: string): PayloadField | undefined {
  return FIELD_BY_NAME.get(`${protocol} ${field}`);
}

/**
 * The field of a protocol at a bit offset and length, for reading payload loads back (the
 * first in nft's template order when several share the place: icmp `id` before `gateway`).
 */
export function payloadFieldAt(protocol: string, base: PayloadField['base'], offsetBits: number, lenBits: number): PayloadField | undefined {
  const p = PROTO_BY_NAME.get(protocol);
  if (!p) return undefined;
  return p.fields.find((f) => f.base === base && f.offset === offsetBits && f.len === lenBits);
}

/** Fields of a protocol that overlap a bit range (for splitting merged payload loads). */
export function payloadFieldsIn(protocol: string, base: PayloadField['base'], offsetBits: number, lenBits: number): PayloadField[] {
  const p = PROTO_BY_NAME.get(protocol);
  if (!p) return [];
  return p.fields.filter((f) => f.base === base && f.offset >= offsetBits && f.offset + f.len <= offsetBits + lenBits);
}

/** PAYLOAD_BASE numbers (NFT_PAYLOAD_*_HEADER) by nft's token. */
export const PAYLOAD_BASES = { ll: 0, nh: 1, th: 2, ih: 3 } as const;
/** Payload base token by kernel number. */
export const payloadBaseName = (n: number): PayloadField['base'] | undefined => (['ll', 'nh', 'th', 'ih'] as const)[n];

// ---------------------------------------------------------------------------------------------
// How each protocol is selected by the layer below

/**
 * The protocol each table family starts from (hook_proto_desc): bridge at the link layer with
 * Ethernet, netdev and inet with pseudo protocols selected by `meta protocol` / `meta nfproto`,
 * ip/ip6/arp at the network layer.
 */
export const FAMILY_BASE: Readonly<Record<string, { readonly base: 'll' | 'nh'; readonly protocol: string }>> = {
  bridge: { base: 'll', protocol: 'ether' },
  netdev: { base: 'll', protocol: 'netdev' },
  inet: { base: 'll', protocol: 'inet' },
  ip: { base: 'nh', protocol: 'ip' },
  ip6: { base: 'nh', protocol: 'ip6' },
  arp: { base: 'nh', protocol: 'arp' },
};

/**
 * Pseudo protocols whose upper layer is chosen by a meta key instead of a header field:
 * inet (`meta nfproto ipv4|ipv6`), netdev (`meta protocol ip|ip6|arp|vlan`), inet-service
 * (`meta l4proto`, when ip/ip6 is known but the transport header is chosen): proto_inet,
 * proto_netdev, proto_inet_service and the [0] meta templates of proto_ip / proto_ip6.
 */
export const META_SELECTORS: Readonly<Record<string, { readonly key: string; readonly upper: ReadonlyMap<string, number> }>> = {
  inet: { key: 'nfproto', upper: links([['ip', 2], ['ip6', 10]]) },
  netdev: { key: 'protocol', upper: L3_LINKS },
  'inet-service': { key: 'l4proto', upper: L4_ALL },
  ip: { key: 'l4proto', upper: L4_ALL },
  ip6: { key: 'l4proto', upper: L4_ALL },
};

/** ARPHRD type that selects the Ethernet header on netdev (proto_dev_desc: `meta iiftype ether`). */
export const DEV_PROTO = { ether: 1 } as const;

/**
 * The value that selects `upper` in `lower` (proto_find_num), or undefined: e.g.
 * (`ip`, `tcp`) -> 6, (`ether`, `ip6`) -> 0x86dd, (`inet`, `ip`) -> 2 (NFPROTO_IPV4).
 */
export function protocolNumberIn(lower: string, upper: string): number | undefined {
  const p = PROTO_BY_NAME.get(lower);
  const v = p?.upper?.get(upper);
  if (v !== undefined) return v;
  return META_SELECTORS[lower]?.upper.get(upper);
}

/** The protocol a lower layer selects with a value (proto_find_upper), or undefined. */
export function upperProtocol(lower: string, value: number): string | undefined {
  const m = PROTO_BY_NAME.get(lower)?.upper ?? META_SELECTORS[lower]?.upper;
  if (!m) return undefined;
  for (const [k, v] of m) if (v === value) return k;
  return undefined;
}

/** Transport protocol by IPPROTO number (for `meta l4proto` / `ip protocol` contexts). */
export function transportByNumber(n: number): string | undefined {
  for (const [k, v] of Object.entries(IPPROTO)) if (v === n) return k;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Keyed expressions: meta, ct, rt, socket, fib, numgen, hash, xfrm, osf

/** A key of a keyed expression: nft's JSON name, kernel key number, datatype, register length. */
export interface KeyDef {
  readonly name: string;
  readonly key: number;
  /** Datatype name. */
  readonly type: string;
  /** Bytes the kernel writes into the register (rounded up). */
  readonly len: number;
  /** Length in bits as nft keeps it (nftrace and secpath are 1-bit flags in a byte register). */
  readonly bits?: number;
  /** Byte order of the value in the register. */
  readonly byteorder?: 'big' | 'host';
}

const key = (name: string, k: number, type: string, bits: number, byteorder: 'big' | 'host'): KeyDef => ({
  name,
  key: k,
  type,
  len: Math.ceil(bits / 8),
  bits,
  byteorder,
});

const IFNAMSIZ_BITS = 16 * 8;

/** NFT_META_* keys (meta_templates). `name` is the JSON `meta.key`. */
export const META_KEYS: readonly KeyDef[] = [
  key('length', 0, 'integer', 32, 'host'),
  key('protocol', 1, 'ether_type', 16, 'big'),
  key('priority', 2, 'classid', 32, 'host'),
  key('mark', 3, 'mark', 32, 'host'),
  key('iif', 4, 'iface_index', 32, 'host'),
  key('oif', 5, 'iface_index', 32, 'host'),
  key('iifname', 6, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('oifname', 7, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('iiftype', 8, 'iface_type', 16, 'host'),
  key('oiftype', 9, 'iface_type', 16, 'host'),
  key('skuid', 10, 'uid', 32, 'host'),
  key('skgid', 11, 'gid', 32, 'host'),
  key('nftrace', 12, 'integer', 1, 'host'),
  key('rtclassid', 13, 'realm', 32, 'host'),
  key('secmark', 14, 'integer', 32, 'host'),
  key('nfproto', 15, 'nf_proto', 8, 'host'),
  key('l4proto', 16, 'inet_proto', 8, 'host'),
  key('ibrname', 17, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('obrname', 18, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('pkttype', 19, 'pkt_type', 8, 'host'),
  key('cpu', 20, 'integer', 32, 'host'),
  key('iifgroup', 21, 'devgroup', 32, 'host'),
  key('oifgroup', 22, 'devgroup', 32, 'host'),
  key('cgroup', 23, 'integer', 32, 'host'),
  key('random', 24, 'integer', 32, 'big'),
  key('ipsec', 25, 'boolean', 8, 'host'),
  key('iifkind', 26, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('oifkind', 27, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('ibrpvid', 28, 'integer', 16, 'host'),
  key('ibrvproto', 29, 'ether_type', 16, 'big'),
  key('time', 30, 'date', 64, 'host'),
  key('day', 31, 'day', 8, 'host'),
  key('hour', 32, 'hour', 32, 'host'),
  key('sdif', 33, 'iface_index', 32, 'host'),
  key('sdifname', 34, 'ifname', IFNAMSIZ_BITS, 'host'),
];

/**
 * Meta keys nft prints without `meta` in text (meta_key_is_unqualified): iif, oif, iifname,
 * oifname, iifgroup, oifgroup. JSON always uses `{"meta": {"key": …}}`.
 */
export const META_UNQUALIFIED: ReadonlySet<string> = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);

/**
 * NFT_CT_* keys (ct_templates). `saddr`/`daddr` and `proto-src`/`proto-dst` take their type
 * from the protocol context (ipv4_addr or ipv6_addr, inet_service): `type` is `invalid`,
 * `len` the IPv6 size, and the linearizer picks the real one; `ip saddr` etc. are the
 * family-specific keys (NFT_CT_SRC_IP…).
 */
export const CT_KEYS: readonly KeyDef[] = [
  key('state', 0, 'ct_state', 32, 'host'),
  key('direction', 1, 'ct_dir', 8, 'host'),
  key('status', 2, 'ct_status', 32, 'host'),
  key('mark', 3, 'mark', 32, 'host'),
  key('secmark', 4, 'integer', 32, 'host'),
  key('expiration', 5, 'time', 32, 'host'),
  key('helper', 6, 'string', 16 * 8, 'host'),
  key('l3proto', 7, 'nf_proto', 8, 'host'),
  key('saddr', 8, 'invalid', 128, 'big'),
  key('daddr', 9, 'invalid', 128, 'big'),
  key('protocol', 10, 'inet_proto', 8, 'big'),
  key('proto-src', 11, 'inet_service', 16, 'big'),
  key('proto-dst', 12, 'inet_service', 16, 'big'),
  key('label', 13, 'ct_label', 128, 'host'),
  key('packets', 14, 'integer', 64, 'host'),
  key('bytes', 15, 'integer', 64, 'host'),
  key('avgpkt', 16, 'integer', 64, 'host'),
  key('zone', 17, 'integer', 16, 'host'),
  key('event', 18, 'ct_event', 32, 'host'),
  key('ip saddr', 19, 'ipv4_addr', 32, 'big'),
  key('ip daddr', 20, 'ipv4_addr', 32, 'big'),
  key('ip6 saddr', 21, 'ipv6_addr', 128, 'big'),
  key('ip6 daddr', 22, 'ipv6_addr', 128, 'big'),
  key('id', 23, 'integer', 32, 'big'),
];

/** Conntrack keys that take a direction (`ct original saddr`): ct_key_is_dir-dependent keys. */
export const CT_DIR_KEYS: ReadonlySet<string> = new Set([
  'l3proto', 'saddr', 'daddr', 'protocol', 'proto-src', 'proto-dst', 'packets', 'bytes', 'avgpkt', 'zone',
  'ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr',
]);

/** NFT_RT_* keys (rt_templates); JSON `{"rt": {"key": …, "family"?}}`. */
export const RT_KEYS: readonly KeyDef[] = [
  key('classid', 0, 'realm', 32, 'host'),
  key('nexthop', 1, 'ipv4_addr', 32, 'big'),
  key('nexthop', 2, 'ipv6_addr', 128, 'big'),
  key('mtu', 3, 'integer', 16, 'host'),
  key('ipsec', 4, 'boolean', 8, 'host'),
];

/** NFT_SOCKET_* keys (socket_templates); JSON `{"socket": {"key": …}}`. */
export const SOCKET_KEYS: readonly KeyDef[] = [
  key('transparent', 0, 'integer', 1, 'host'),
  key('mark', 1, 'mark', 32, 'host'),
  key('wildcard', 2, 'integer', 1, 'host'),
  key('cgroupv2', 3, 'cgroupsv2', 64, 'host'),
];

/** NFT_FIB_RESULT_*: what `fib` returns (JSON `result`), its datatype and length. */
export const FIB_RESULTS: readonly KeyDef[] = [
  key('oif', 1, 'iface_index', 32, 'host'),
  key('oifname', 2, 'ifname', IFNAMSIZ_BITS, 'host'),
  key('type', 3, 'fib_addrtype', 32, 'host'),
];
/** NFTA_FIB_F_* flags by JSON name (`fib saddr . iif oif`: flags ["saddr", "iif"]). */
export const FIB_FLAGS = { saddr: 0x1, daddr: 0x2, mark: 0x4, iif: 0x8, oif: 0x10, present: 0x20 } as const;

/** NFT_NG_* numgen modes (JSON `numgen.mode`); the value is a 32-bit host integer. */
export const NUMGEN_MODES = { inc: 0, random: 1 } as const;
/** NFT_HASH_* hash types (JSON `jhash` / `symhash`); the value is a 32-bit host integer. */
export const HASH_TYPES = { jhash: 0, symhash: 1 } as const;
/** numgen and hash results: 32-bit host-order integers. */
export const NUMGEN_HASH_RESULT: { readonly type: 'integer'; readonly len: 4; readonly byteorder: 'host' } = {
  type: 'integer',
  len: 4,
  byteorder: 'host',
};

/** `osf name` / `osf version` (NFTA_OSF_*): a string of NFT_OSF_MAXGENRELEN (16) bytes. */
export const OSF = { len: 16, type: 'string', ttl: { loose: 1, skip: 2 } as Readonly<Record<string, number>>, flags: { version: 1 } } as const;

/**
 * NFT_XFRM_KEY_* (xfrm_templates): `ipsec in|out [spnum N] reqid|spi|saddr|daddr`. `ip`/`ip6`
 * choose the address key by family.
 */
export const XFRM_KEYS: readonly KeyDef[] = [
  key('daddr', 1, 'ipv4_addr', 32, 'big'),
  key('daddr', 2, 'ipv6_addr', 128, 'big'),
  key('saddr', 3, 'ipv4_addr', 32, 'big'),
  key('saddr', 4, 'ipv6_addr', 128, 'big'),
  key('reqid', 5, 'integer', 32, 'big'),
  key('spi', 6, 'integer', 32, 'big'),
];
/** xfrm directions (NFT_XFRM_DIR_*). */
export const XFRM_DIRS = { in: 0, out: 1 } as const;

function keyLookup(table: readonly KeyDef[]): (nameOrKey: string | number) => KeyDef | undefined {
  const byName = new Map<string, KeyDef>();
  const byKey = new Map<number, KeyDef>();
  for (const k of table) {
    if (!byName.has(k.name)) byName.set(k.name, k);
    if (!byKey.has(k.key)) byKey.set(k.key, k);
  }
  return (nameOrKey) => (typeof nameOrKey === 'number' ? byKey.get(nameOrKey) : byName.get(nameOrKey));
}

const metaLookup = keyLookup(META_KEYS);
const ctLookup = keyLookup(CT_KEYS);
const rtLookup = keyLookup(RT_KEYS);
const socketLookup = keyLookup(SOCKET_KEYS);
const fibLookup = keyLookup(FIB_RESULTS);

/** A meta key by JSON name (`mark`, `l4proto`, `iifname`) or NFT_META_* number. */
export function metaKey(nameOrKey: string | number): KeyDef | undefined {
  return metaLookup(nameOrKey);
}
/** A ct key by JSON name (`state`, `original saddr` without the direction: `saddr`) or NFT_CT_* number. */
export function ctKey(nameOrKey: string | number): KeyDef | undefined {
  return ctLookup(nameOrKey);
}
/** An rt key by JSON name or NFT_RT_* number (`nexthop` by name is the IPv4 one; use 2 for IPv6). */
export function rtKey(nameOrKey: string | number): KeyDef | undefined {
  return rtLookup(nameOrKey);
}
/** A socket key by JSON name or NFT_SOCKET_* number. */
export function socketKey(nameOrKey: string | number): KeyDef | undefined {
  return socketLookup(nameOrKey);
}
/** A fib result by JSON name or NFT_FIB_RESULT_* number. */
export function fibResult(nameOrKey: string | number): KeyDef | undefined {
  return fibLookup(nameOrKey);
}
