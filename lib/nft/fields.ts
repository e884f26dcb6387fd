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
import { datatype, protocolName } from './datatypes';

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
  /**
   * ICMP/ICMPv6 fields that exist only for some message types (icmp_dep in proto.c): nft adds
   * `icmp type <t>` (one type) or `icmp type { echo-request, echo-reply }` (two) before them.
   */
  readonly icmpDep?: readonly string[];
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

type FieldRow = readonly [field: string, offset: number, len: number, type: string, icmpDep?: readonly string[]];

function proto(
  name: string,
  base: ProtocolDef['base'],
  rows: readonly FieldRow[],
  extra: Omit<ProtocolDef, 'name' | 'base' | 'fields'> = {},
): ProtocolDef {
  return { name, base, fields: rows.map(([field, offset, len, type, icmpDep]) => ({ protocol: name, field, base, offset, len, type, ...(icmpDep ? { icmpDep } : {}) })), ...extra };
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

/** NFT_PAYLOAD_CSUM_* (payload statements: which checksum the kernel fixes up) by ProtocolDef.checksum.type. */
export const PAYLOAD_CSUM = { none: 0, inet: 1, sctp: 2 } as const;
/** NFT_PAYLOAD_L4CSUM_PSEUDOHDR: also update the transport checksum (mangling a pseudoHeader field). */
export const PAYLOAD_L4CSUM_PSEUDOHDR = 1;

/**
 * Every protocol header of nft 1.0.6 (proto_definitions). gre, geneve, vxlan and the inner
 * header matches came after 1.0.6 and are not here.
 */
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
    ['id', 32, 16, 'integer', ['echo-request', 'echo-reply']],
    ['sequence', 48, 16, 'integer', ['echo-request', 'echo-reply']],
    ['gateway', 32, 32, 'integer', ['redirect']],
    ['mtu', 48, 16, 'integer', ['destination-unreachable']],
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
    ['parameter-problem', 32, 32, 'integer', ['parameter-problem']],
    ['mtu', 32, 32, 'integer', ['packet-too-big']],
    ['id', 32, 16, 'integer', ['echo-request', 'echo-reply']],
    ['sequence', 48, 16, 'integer', ['echo-request', 'echo-reply']],
    ['max-delay', 32, 16, 'integer', ['mld-listener-query']],
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
 * The field of a protocol at a bit offset and length, for reading payload loads back: the first
 * in nft's template order when several share the place (icmp `id` before `gateway`), skipping
 * ICMP fields whose message type disagrees with `icmpType`, the type an earlier
 * `icmp type`/`icmpv6 type` match in the rule fixed (payload_expr_complete).
 */
export function payloadFieldAt(protocol: string, base: PayloadField['base'], offsetBits: number, lenBits: number, icmpType?: string | number): PayloadField | undefined {
  const p = PROTO_BY_NAME.get(protocol);
  if (!p) return undefined;
  const ctx = icmpType === undefined ? undefined : icmpTypeNumber(protocol, icmpType);
  return p.fields.find((f) => {
    if (f.base !== base || f.offset !== offsetBits || f.len !== lenBits) return false;
    if (ctx === undefined || !f.icmpDep) return true;
    return icmpTypeNumber(protocol, f.icmpDep[0] as string) === ctx;
  });
}

function icmpTypeNumber(protocol: string, t: string | number): number | undefined {
  if (typeof t === 'number') return t;
  const d = datatype(protocol === 'icmpv6' ? 'icmpv6_type' : 'icmp_type');
  const v = d?.symbols?.get(t);
  return v === undefined ? undefined : Number(v);
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
  return TRANSPORT_BY_NUMBER.get(n);
}
/** IPPROTO by number (the first name of a number wins). */
const TRANSPORT_BY_NUMBER = new Map<number, string>();
for (const [k, v] of Object.entries(IPPROTO) as [string, number][]) if (!TRANSPORT_BY_NUMBER.has(v)) TRANSPORT_BY_NUMBER.set(v, k);

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
  /**
   * The type the protocol context gives a key nft declares `invalid` (ct_expr_update_type):
   * `inet_service` for ct proto-src/proto-dst, `ipv4_addr|ipv6_addr` by network protocol for
   * ct saddr/daddr (length 4 or 16 bytes then).
   */
  readonly contextType?: string;
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
 * from the protocol context (see contextType): `type` is `invalid` as in nft, `len` the largest
 * size; `ip saddr` etc. are the family-specific keys (NFT_CT_SRC_IP…).
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
  { ...key('saddr', 8, 'invalid', 128, 'big'), contextType: 'ipv4_addr|ipv6_addr' },
  { ...key('daddr', 9, 'invalid', 128, 'big'), contextType: 'ipv4_addr|ipv6_addr' },
  key('protocol', 10, 'inet_proto', 8, 'big'),
  { ...key('proto-src', 11, 'invalid', 16, 'big'), contextType: 'inet_service' },
  { ...key('proto-dst', 12, 'invalid', 16, 'big'), contextType: 'inet_service' },
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

/**
 * Conntrack keys that carry a direction (`ct original saddr`, JSON `"dir": "original"`); bytes,
 * packets, avgpkt and zone may also go without one. nft's grammar takes `ct original l3proto`
 * and `ct original protocol` too but sends no direction for them (they list as `ct l3proto`,
 * `ct protocol`), so they are not here.
 */
export const CT_DIR_KEYS: ReadonlySet<string> = new Set([
  'saddr', 'daddr', 'proto-src', 'proto-dst', 'packets', 'bytes', 'avgpkt', 'zone',
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
  key('transparent', 0, 'integer', 8, 'host'),
  key('mark', 1, 'mark', 32, 'host'),
  key('wildcard', 2, 'integer', 8, 'host'),
  key('cgroupv2', 3, 'cgroupsv2', 64, 'host'),
];

/** NFT_FIB_RESULT_*: what `fib` returns (JSON `result`), its datatype and length. */
export const FIB_RESULTS: readonly KeyDef[] = [
  key('oif', 1, 'iface_index', 32, 'host'),
  key('oifname', 2, 'string', IFNAMSIZ_BITS, 'host'),
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
  // reqid is host-endian (xfrm.c XFRM_TEMPLATE_HE), spi big-endian
  key('reqid', 5, 'integer', 32, 'host'),
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

// ---------------------------------------------------------------------------------------------
// Extension headers: IPv6 extension headers, TCP options, IP options, SCTP chunks

/** NFT_EXTHDR_OP_* by the JSON expression that uses it. */
export const EXTHDR_OPS = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3 } as const;
export type ExthdrOp = keyof typeof EXTHDR_OPS;

/** The JSON expression name of each exthdr op. */
export const EXTHDR_JSON: Readonly<Record<ExthdrOp, string>> = {
  ipv6: 'exthdr',
  tcpopt: 'tcp option',
  ipv4: 'ip option',
  sctp: 'sctp chunk',
};

/** A field of an extension header / option / chunk. Offsets and lengths in bits from its start. */
export interface ExthdrField {
  readonly op: ExthdrOp;
  /** JSON `name`: `frag`, `maxseg`, `sack1`, `rr`, `data`. */
  readonly name: string;
  /** NFTA_EXTHDR_TYPE: IPv6 next-header value, TCP option kind, IP option type, SCTP chunk type. */
  readonly type: number;
  /** JSON `field`. */
  readonly field: string;
  readonly offset: number;
  readonly len: number;
  /** Datatype name. */
  readonly datatype: string;
}

/** One extension header / option / chunk kind. */
export interface ExthdrDef {
  readonly op: ExthdrOp;
  readonly name: string;
  readonly type: number;
  readonly fields: readonly ExthdrField[];
}

type XRow = readonly [field: string, offset: number, len: number, datatype?: string];
const xdef = (op: ExthdrOp, name: string, type: number, rows: readonly XRow[]): ExthdrDef => ({
  op,
  name,
  type,
  fields: rows.map(([field, offset, len, dt]) => ({ op, name, type, field, offset, len, datatype: dt ?? 'integer' })),
});

/** IPv6 next-header values of the extension headers. */
export const IPV6_EXTHDR_TYPE = { hbh: 0, rt: 43, frag: 44, dst: 60, mh: 135 } as const;

/**
 * IPv6 extension headers (exthdr_definitions). rt0, rt2 and srh share type 43 with rt: nft reads
 * a type-43 field back as rt, then srh, rt0, rt2 (so `rt0 addr[1]` lists as `srh sid[1]`), and
 * its JSON parser wants `"offset": 0` next to an rt0 field (json_parse_exthdr_expr).
 */
export const IPV6_EXTHDRS: readonly ExthdrDef[] = [
  xdef('ipv6', 'hbh', 0, [['nexthdr', 0, 8, 'inet_proto'], ['hdrlength', 8, 8]]),
  xdef('ipv6', 'rt', 43, [['nexthdr', 0, 8, 'inet_proto'], ['hdrlength', 8, 8], ['type', 16, 8], ['seg-left', 24, 8]]),
  xdef('ipv6', 'rt0', 43, [['reserved', 32, 8], ['addr[1]', 64, 128, 'ipv6_addr'], ['addr[2]', 192, 128, 'ipv6_addr']]),
  xdef('ipv6', 'rt2', 43, []),
  xdef('ipv6', 'srh', 43, [
    ['last-entry', 32, 8], ['flags', 40, 8], ['tag', 48, 16], ['sid[1]', 64, 128, 'ipv6_addr'], ['sid[2]', 192, 128, 'ipv6_addr'],
  ]),
  xdef('ipv6', 'frag', 44, [
    ['nexthdr', 0, 8, 'inet_proto'], ['reserved', 8, 8], ['frag-off', 16, 13], ['reserved2', 29, 2],
    ['more-fragments', 31, 1], ['id', 32, 32],
  ]),
  xdef('ipv6', 'dst', 60, [['nexthdr', 0, 8, 'inet_proto'], ['hdrlength', 8, 8]]),
  xdef('ipv6', 'mh', 135, [
    ['nexthdr', 0, 8, 'inet_proto'], ['hdrlength', 8, 8], ['type', 16, 8, 'mh_type'], ['reserved', 24, 8], ['checksum', 32, 16],
  ]),
];

/**
 * TCP options (tcpopt_protocols). SACK blocks 1-3 are JSON names `sack1`…`sack3` (nft names the
 * option by offset / 64, and accepts `sack0` for `sack` on input).
 */
export const TCP_OPTIONS: readonly ExthdrDef[] = [
  xdef('tcpopt', 'eol', 0, [['kind', 0, 8]]),
  xdef('tcpopt', 'nop', 1, [['kind', 0, 8]]),
  xdef('tcpopt', 'maxseg', 2, [['kind', 0, 8], ['length', 8, 8], ['size', 16, 16]]),
  xdef('tcpopt', 'window', 3, [['kind', 0, 8], ['length', 8, 8], ['count', 16, 8]]),
  xdef('tcpopt', 'sack-perm', 4, [['kind', 0, 8], ['length', 8, 8]]),
  xdef('tcpopt', 'sack', 5, [['kind', 0, 8], ['length', 8, 8], ['left', 16, 32], ['right', 48, 32]]),
  xdef('tcpopt', 'sack1', 5, [['left', 80, 32], ['right', 112, 32]]),
  xdef('tcpopt', 'sack2', 5, [['left', 144, 32], ['right', 176, 32]]),
  xdef('tcpopt', 'sack3', 5, [['left', 208, 32], ['right', 240, 32]]),
  xdef('tcpopt', 'timestamp', 8, [['kind', 0, 8], ['length', 8, 8], ['tsval', 16, 32], ['tsecr', 48, 32]]),
  xdef('tcpopt', 'md5sig', 19, [['kind', 0, 8], ['length', 8, 8]]),
  xdef('tcpopt', 'mptcp', 30, [['kind', 0, 8], ['length', 8, 8], ['subtype', 16, 4]]),
  xdef('tcpopt', 'fastopen', 34, [['kind', 0, 8], ['length', 8, 8]]),
];

/** IP options (ipopt_protocols). */
export const IP_OPTIONS: readonly ExthdrDef[] = [
  xdef('ipv4', 'lsrr', 131, [['type', 0, 8], ['length', 8, 8], ['ptr', 16, 8], ['addr', 24, 32]]),
  xdef('ipv4', 'rr', 7, [['type', 0, 8], ['length', 8, 8], ['ptr', 16, 8], ['addr', 24, 32]]),
  xdef('ipv4', 'ssrr', 137, [['type', 0, 8], ['length', 8, 8], ['ptr', 16, 8], ['addr', 24, 32]]),
  xdef('ipv4', 'ra', 148, [['type', 0, 8], ['length', 8, 8], ['value', 16, 16]]),
];

const SCTP_COMMON: readonly XRow[] = [['type', 0, 8], ['flags', 8, 8], ['length', 16, 16]];
const SCTP_INIT: readonly XRow[] = [
  ...SCTP_COMMON, ['init-tag', 32, 32], ['a-rwnd', 64, 32], ['num-outbound-streams', 96, 16],
  ['num-inbound-streams', 112, 16], ['initial-tsn', 128, 32],
];

/** SCTP chunks (sctp_chunk_protocols). */
export const SCTP_CHUNKS: readonly ExthdrDef[] = [
  xdef('sctp', 'data', 0, [...SCTP_COMMON, ['tsn', 32, 32], ['stream', 64, 16], ['ssn', 80, 16], ['ppid', 96, 32]]),
  xdef('sctp', 'init', 1, SCTP_INIT),
  xdef('sctp', 'init-ack', 2, SCTP_INIT),
  xdef('sctp', 'sack', 3, [...SCTP_COMMON, ['cum-tsn-ack', 32, 32], ['a-rwnd', 64, 32], ['num-gap-ack-blocks', 96, 16], ['num-dup-tsns', 112, 16]]),
  xdef('sctp', 'heartbeat', 4, SCTP_COMMON),
  xdef('sctp', 'heartbeat-ack', 5, SCTP_COMMON),
  xdef('sctp', 'abort', 6, SCTP_COMMON),
  xdef('sctp', 'shutdown', 7, [...SCTP_COMMON, ['cum-tsn-ack', 32, 32]]),
  xdef('sctp', 'shutdown-ack', 8, SCTP_COMMON),
  xdef('sctp', 'error', 9, SCTP_COMMON),
  xdef('sctp', 'cookie-echo', 10, SCTP_COMMON),
  xdef('sctp', 'cookie-ack', 11, SCTP_COMMON),
  xdef('sctp', 'ecne', 12, [...SCTP_COMMON, ['lowest-tsn', 32, 32]]),
  xdef('sctp', 'cwr', 13, [...SCTP_COMMON, ['lowest-tsn', 32, 32]]),
  xdef('sctp', 'shutdown-complete', 14, SCTP_COMMON),
  xdef('sctp', 'asconf-ack', 128, [...SCTP_COMMON, ['seqno', 32, 32]]),
  xdef('sctp', 'forward-tsn', 192, [...SCTP_COMMON, ['new-cum-tsn', 32, 32]]),
  xdef('sctp', 'asconf', 193, [...SCTP_COMMON, ['seqno', 32, 32]]),
];

const EXTHDR_TABLES: Readonly<Record<ExthdrOp, readonly ExthdrDef[]>> = {
  ipv6: IPV6_EXTHDRS,
  tcpopt: TCP_OPTIONS,
  ipv4: IP_OPTIONS,
  sctp: SCTP_CHUNKS,
};

/** Input-only spellings (`sack0` is `sack`). */
const EXTHDR_ALIASES: Readonly<Record<string, string>> = { sack0: 'sack' };

/** An extension header / option / chunk kind by op and JSON name. */
export function exthdrDef(op: ExthdrOp, name: string): ExthdrDef | undefined {
  const n = op === 'tcpopt' ? (EXTHDR_ALIASES[name] ?? name) : name;
  return EXTHDR_TABLES[op].find((d) => d.name === n);
}

/**
 * A field by op, JSON name and field. For TCP options `sack1 left` etc. resolve to their own
 * rows; `sack1 kind`/`length` resolve to the `sack` rows (one option header for all blocks).
 */
export function exthdrField(op: ExthdrOp, name: string, field: string): ExthdrField | undefined {
  const d = exthdrDef(op, name);
  if (!d) return undefined;
  const f = d.fields.find((x) => x.field === field);
  if (f || op !== 'tcpopt' || d.type !== 5) return f;
  return exthdrDef('tcpopt', 'sack')?.fields.find((x) => x.field === field);
}

/** The primary kind for a type (the one nft names `exists` matches by): first in table order. */
export function exthdrByType(op: ExthdrOp, type: number): ExthdrDef | undefined {
  return EXTHDR_TABLES[op].find((d) => d.type === type);
}

/**
 * The field at an offset and length, as nft reads an exthdr expression back (exthdr_init_raw):
 * the type's own kind first, then for IPv6 routing headers srh, rt0, rt2; for TCP options the
 * SACK block rows.
 */
export function exthdrFieldAt(op: ExthdrOp, type: number, offsetBits: number, lenBits: number): ExthdrField | undefined {
  const order = op === 'ipv6' && type === 43 ? ['rt', 'srh', 'rt0', 'rt2'] : undefined;
  const defs = EXTHDR_TABLES[op].filter((d) => d.type === type);
  if (order) defs.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  for (const d of defs) {
    const f = d.fields.find((x) => x.offset === offsetBits && x.len === lenBits);
    if (f) return f;
  }
  return undefined;
}

/**
 * Dependencies nft 1.0.6 inserts for extension headers (checked with --debug=netlink): IPv6
 * headers need the network protocol ip6, IP options ip; TCP options and SCTP chunks add none.
 */
export const EXTHDR_NEEDS: Readonly<Record<ExthdrOp, string | undefined>> = {
  ipv6: 'ip6',
  ipv4: 'ip',
  tcpopt: undefined,
  sctp: undefined,
};

// ---------------------------------------------------------------------------------------------
// Implicit dependencies nft inserts (payload_gen_dependency, payload_gen_special_dependency,
// payload_gen_icmp_dependency, exthdr_gen_dependency) when the rule holds no match that already
// fixes the lower layer. Given as the JSON matches nft would have written, so linearize can
// emit them like any other match and delinearize can drop exactly these.

/** The left side of a dependency match. */
export type DependencyLeft =
  | { readonly meta: { readonly key: string } }
  | { readonly payload: { readonly protocol: string; readonly field: string } };

/** One implicit dependency: `{ match: { op: "==", left, right } }` as nft -j would print it. */
export interface DependencyMatch {
  readonly match: {
    readonly op: '==';
    readonly left: DependencyLeft;
    readonly right: string | number | { readonly set: readonly (string | number)[] };
  };
}

const dep = (left: DependencyLeft, right: DependencyMatch['match']['right']): DependencyMatch => ({ match: { op: '==', left, right } });
const meta = (key: string): DependencyLeft => ({ meta: { key } });
const pl = (protocol: string, field: string): DependencyLeft => ({ payload: { protocol, field } });

/** nft's JSON name for an IP protocol number (getprotobynumber over /etc/protocols). */
const l4name = (n: number): string | number => protocolName(n) ?? n;

const ETHER_TYPE_NAME: Readonly<Record<string, string>> = { ip: 'ip', ip6: 'ip6', arp: 'arp', vlan: '8021q' };
const NFPROTO_NAME: Readonly<Record<string, string>> = { ip: 'ipv4', ip6: 'ipv6' };

function conflict(a: string, b: string): TypeError {
  return new TypeError(`conflicting protocols specified: ${a} vs. ${b}`);
}

/**
 * The network-layer dependency for `net` in a family. `special` is the path nft takes for
 * ICMP/IGMP/ICMPv6 and extension headers: on bridge it matches `ether type` instead of
 * `meta protocol`.
 */
function networkDependency(family: string, net: string, special: boolean): DependencyMatch[] {
  const fb = FAMILY_BASE[family];
  if (!fb) throw new TypeError(`Expected a table family (ip, ip6, inet, arp, bridge, netdev) but received ${JSON.stringify(family)}`);
  if (fb.base === 'nh') {
    if (fb.protocol === net) return [];
    throw conflict(fb.protocol, net);
  }
  if (family === 'inet') {
    const v = NFPROTO_NAME[net];
    if (!v) throw conflict('inet', net);
    return [dep(meta('nfproto'), v)];
  }
  const et = ETHER_TYPE_NAME[net];
  if (!et) throw conflict(fb.protocol, net);
  if (family === 'bridge' && (special || net === 'arp')) return [dep(pl('ether', 'type'), et)];
  return [dep(meta('protocol'), et)];
}

/**
 * The matches nft 1.0.6 inserts before a payload expression on `protocol` (and `field`, for the
 * ICMP fields that need a message type) when nothing in the rule fixes the lower layers yet:
 * e.g. inet `tcp dport` -> `meta l4proto tcp`; inet `icmp id` -> `meta nfproto ipv4`,
 * `meta l4proto icmp`, `icmp type { echo-request, echo-reply }`; netdev `ether saddr` ->
 * `meta iiftype ether`. Tracking what the rule already establishes (an earlier `ip protocol tcp`
 * makes `meta l4proto tcp` unnecessary) is the caller's job.
 * @throws TypeError naming both protocols where nft reports "conflicting protocols specified".
 */
export function payloadDependencies(family: string, protocolName: string, field?: string): DependencyMatch[] {
  const p = PROTO_BY_NAME.get(protocolName);
  if (!p) throw new TypeError(`Expected a protocol (ether, ip, tcp, …) but received ${JSON.stringify(protocolName)}`);
  const fb = FAMILY_BASE[family];
  if (!fb) throw new TypeError(`Expected a table family (ip, ip6, inet, arp, bridge, netdev) but received ${JSON.stringify(family)}`);
  if (p.name === 'th') return [];
  if (p.base === 'll') {
    const out: DependencyMatch[] = [];
    // below the hook's base: only the device type can be checked (proto_dev_type)
    if (family !== 'bridge') out.push(dep(meta('iiftype'), 'ether'));
    if (p.name === 'vlan') out.push(dep(pl('ether', 'type'), ETHER_TYPE_NAME.vlan as string));
    return out;
  }
  if (p.base === 'nh') return networkDependency(family, p.name, false);
  // transport header
  if (fb.protocol === 'arp') throw conflict('arp', p.name);
  const out: DependencyMatch[] = [];
  if (fb.base === 'll' && (p.name === 'icmp' || p.name === 'igmp' || p.name === 'icmpv6')) {
    out.push(...networkDependency(family, p.name === 'icmpv6' ? 'ip6' : 'ip', true));
  }
  const n = IPPROTO[p.name as keyof typeof IPPROTO];
  out.push(dep(meta('l4proto'), l4name(n)));
  if (field !== undefined) {
    const f = p.fields.find((x) => x.field === field);
    if (!f) throw new TypeError(`Expected a field of ${p.name} (${p.fields.map((x) => x.field).join(', ')}) but received ${JSON.stringify(field)}`);
    if (f.icmpDep) {
      const left = pl(p.name, 'type');
      out.push(f.icmpDep.length === 1 ? dep(left, f.icmpDep[0] as string) : dep(left, { set: [...f.icmpDep] }));
    }
  }
  return out;
}

/**
 * The matches nft inserts before an extension header expression: IPv6 headers need ip6, IP
 * options ip (inet: `meta nfproto`, netdev: `meta protocol`, bridge: `ether type`); TCP options
 * and SCTP chunks add none.
 * @throws TypeError where nft refuses ("cannot use exthdr with ip").
 */
export function exthdrDependencies(family: string, op: ExthdrOp): DependencyMatch[] {
  const need = EXTHDR_NEEDS[op];
  if (need === undefined) return [];
  const fb = FAMILY_BASE[family];
  if (fb && fb.base === 'nh' && fb.protocol !== need) throw new TypeError(`cannot use exthdr with ${fb.protocol}`);
  return networkDependency(family, need, true);
}
