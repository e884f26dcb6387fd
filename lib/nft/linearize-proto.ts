// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What the linearizer needs to know about protocols beyond the field table (lib/nft/fields.ts):
 * how each header is selected by the layer below (for the dependencies nft 1.0.6 inserts), which
 * headers carry a checksum the kernel must fix on a payload write (nft's proto.c checksum_key and
 * pseudo-header fields), and the TCP option and IPv6 extension header layouts (tcpopt.c, exthdr.c).
 */

import { IPPROTO } from './fields';

export type Base = 'll' | 'nh' | 'th' | 'ih';

export const BASE_NUM: Readonly<Record<Base, number>> = { ll: 0, nh: 1, th: 2, ih: 3 };

/** Network protocols by ethertype (proto_eth / proto_netdev links). */
export const ETHERTYPE: Readonly<Record<string, number>> = { ip: 0x0800, ip6: 0x86dd, arp: 0x0806, vlan: 0x8100 };
/** NFPROTO of the network protocols (proto_inet links). */
export const NFPROTO_OF: Readonly<Record<string, number>> = { ip: 2, ip6: 10 };
/** Transport protocols by IP protocol number (fields.ts's table, one definition). */
export const L4PROTO: Readonly<Record<string, number>> = IPPROTO;
/** Transport protocols that nft selects with `meta l4proto` alone in mixed tables (proto_inet_service). */
export const INET_SERVICE = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'esp', 'ah', 'comp']);
/** Transport protocols that belong to one network protocol. */
export const L4_NETWORK: Readonly<Record<string, string>> = { icmp: 'ip', igmp: 'ip', icmpv6: 'ip6' };
/** The base each protocol's header lives at. */
export const PROTO_BASE: Readonly<Record<string, Base>> = {
  ether: 'll',
  vlan: 'll',
  arp: 'nh',
  ip: 'nh',
  ip6: 'nh',
  icmp: 'th',
  igmp: 'th',
  icmpv6: 'th',
  tcp: 'th',
  udp: 'th',
  udplite: 'th',
  sctp: 'th',
  dccp: 'th',
  esp: 'th',
  ah: 'th',
  comp: 'th',
  th: 'th',
};

/** Header checksum a payload write must update: [NFT_PAYLOAD_CSUM_* type, offset in bytes]. */
export const CHECKSUM: Readonly<Record<string, readonly [number, number]>> = {
  ip: [1, 10],
  icmp: [1, 2],
  igmp: [1, 2],
  icmpv6: [1, 2],
  tcp: [1, 16],
  udp: [1, 6],
  udplite: [1, 6],
  sctp: [2, 8],
};
/** Fields in the transport checksum's pseudo-header (NFT_PAYLOAD_L4CSUM_PSEUDOHDR on write). */
export const PSEUDOHDR = new Set(['ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr']);

export interface OptField {
  readonly offset: number /* bits */;
  readonly len: number /* bits */;
  /** Datatype (integer when absent). */
  readonly type?: string;
}
export interface OptDef {
  readonly kind: number;
  readonly fields: Readonly<Record<string, OptField>>;
}
const kl = { kind: { offset: 0, len: 8 }, length: { offset: 8, len: 8 } };
/** TCP options (tcpopt.c). */
export const TCP_OPTIONS: Readonly<Record<string, OptDef>> = {
  eol: { kind: 0, fields: { kind: kl.kind } },
  nop: { kind: 1, fields: { kind: kl.kind } },
  maxseg: { kind: 2, fields: { ...kl, size: { offset: 16, len: 16 } } },
  window: { kind: 3, fields: { ...kl, count: { offset: 16, len: 8 } } },
  'sack-perm': { kind: 4, fields: kl },
  sack: { kind: 5, fields: { ...kl, left: { offset: 16, len: 32 }, right: { offset: 48, len: 32 } } },
  sack0: { kind: 5, fields: { ...kl, left: { offset: 16, len: 32 }, right: { offset: 48, len: 32 } } },
  sack1: { kind: 5, fields: { ...kl, left: { offset: 80, len: 32 }, right: { offset: 112, len: 32 } } },
  sack2: { kind: 5, fields: { ...kl, left: { offset: 144, len: 32 }, right: { offset: 176, len: 32 } } },
  sack3: { kind: 5, fields: { ...kl, left: { offset: 208, len: 32 }, right: { offset: 240, len: 32 } } },
  timestamp: { kind: 8, fields: { ...kl, tsval: { offset: 16, len: 32 }, tsecr: { offset: 48, len: 32 } } },
  fastopen: { kind: 34, fields: kl },
  md5sig: { kind: 19, fields: kl },
  mptcp: { kind: 30, fields: { ...kl, subtype: { offset: 16, len: 4 } } },
};
/** IPv4 options (ipopt.c). */
export const IP_OPTIONS: Readonly<Record<string, OptDef>> = {
  lsrr: { kind: 131, fields: { type: { offset: 0, len: 8 }, length: { offset: 8, len: 8 }, ptr: { offset: 16, len: 8 }, addr: { offset: 24, len: 32, type: 'ipv4_addr' } } },
  rr: { kind: 7, fields: { type: { offset: 0, len: 8 }, length: { offset: 8, len: 8 }, ptr: { offset: 16, len: 8 }, addr: { offset: 24, len: 32, type: 'ipv4_addr' } } },
  ssrr: { kind: 137, fields: { type: { offset: 0, len: 8 }, length: { offset: 8, len: 8 }, ptr: { offset: 16, len: 8 }, addr: { offset: 24, len: 32, type: 'ipv4_addr' } } },
  ra: { kind: 148, fields: { type: { offset: 0, len: 8 }, length: { offset: 8, len: 8 }, value: { offset: 16, len: 16 } } },
};
/** IPv6 extension headers (exthdr.c): header type and fields. */
export const IPV6_EXTHDRS: Readonly<Record<string, OptDef>> = {
  hbh: { kind: 0, fields: { nexthdr: { offset: 0, len: 8, type: 'inet_proto' }, hdrlength: { offset: 8, len: 8 } } },
  rt: { kind: 43, fields: { nexthdr: { offset: 0, len: 8, type: 'inet_proto' }, hdrlength: { offset: 8, len: 8 }, type: { offset: 16, len: 8 }, seg_left: { offset: 24, len: 8 } } },
  rt0: { kind: 43, fields: { reserved: { offset: 32, len: 32 }, addr: { offset: 64, len: 128, type: 'ipv6_addr' } } },
  srh: { kind: 43, fields: { last_entry: { offset: 32, len: 8 }, flags: { offset: 40, len: 8 }, tag: { offset: 48, len: 16 }, sid: { offset: 64, len: 128, type: 'ipv6_addr' } } },
  frag: {
    kind: 44,
    fields: {
      nexthdr: { offset: 0, len: 8, type: 'inet_proto' },
      reserved: { offset: 8, len: 8 },
      'frag-off': { offset: 16, len: 13 },
      reserved2: { offset: 29, len: 2 },
      more_fragments: { offset: 31, len: 1 },
      id: { offset: 32, len: 32 },
    },
  },
  dst: { kind: 60, fields: { nexthdr: { offset: 0, len: 8, type: 'inet_proto' }, hdrlength: { offset: 8, len: 8 } } },
  mh: { kind: 135, fields: { nexthdr: { offset: 0, len: 8, type: 'inet_proto' }, hdrlength: { offset: 8, len: 8 }, type: { offset: 16, len: 8, type: 'mh_type' }, reserved: { offset: 24, len: 8 }, checksum: { offset: 32, len: 16 } } },
};

export const RT_KEYS: Readonly<Record<string, { key: number; type: string; bits: number; order: 'big' | 'host' }>> = {
  classid: { key: 0, type: 'realm', bits: 32, order: 'host' },
  nexthop: { key: 1, type: 'ipv4_addr', bits: 32, order: 'big' },
  mtu: { key: 3, type: 'integer', bits: 16, order: 'host' },
  ipsec: { key: 4, type: 'boolean', bits: 1, order: 'host' },
};
export const SOCKET_KEYS: Readonly<Record<string, { key: number; type: string; bits: number; order: 'big' | 'host' }>> = {
  transparent: { key: 0, type: 'integer', bits: 1, order: 'host' },
  mark: { key: 1, type: 'mark', bits: 32, order: 'host' },
  wildcard: { key: 2, type: 'integer', bits: 1, order: 'host' },
  cgroupv2: { key: 3, type: 'cgroupsv2', bits: 64, order: 'host' },
};
export const FIB_RESULT: Readonly<Record<string, { key: number; type: string; bits: number; order: 'big' | 'host' }>> = {
  oif: { key: 1, type: 'iface_index', bits: 32, order: 'host' },
  oifname: { key: 2, type: 'ifname', bits: 128, order: 'host' },
  type: { key: 3, type: 'fib_addrtype', bits: 32, order: 'host' },
};
export const FIB_FLAGS: Readonly<Record<string, number>> = { saddr: 1, daddr: 2, mark: 4, iif: 8, oif: 16 };
export const LOG_LEVEL: Readonly<Record<string, number>> = { emerg: 0, alert: 1, crit: 2, err: 3, warn: 4, notice: 5, info: 6, debug: 7, audit: 8 };
export const LOG_FLAGS: Readonly<Record<string, number>> = { 'tcp sequence': 1, 'tcp options': 2, 'ip options': 4, skuid: 8, ether: 0x20, all: 0x2f };
export const NAT_FLAGS: Readonly<Record<string, number>> = { random: 0x4, persistent: 0x8, 'fully-random': 0x10, netmap: 0x40 };
export const TIME_UNIT: Readonly<Record<string, bigint>> = { second: 1n, minute: 60n, hour: 3600n, day: 86400n, week: 604800n };
export const BYTE_UNIT: Readonly<Record<string, bigint>> = { bytes: 1n, kbytes: 1024n, mbytes: 1024n * 1024n, gbytes: 1024n ** 3n };
export const QUEUE_FLAGS: Readonly<Record<string, number>> = { bypass: 1, fanout: 2 };
export const SYNPROXY_FLAGS: Readonly<Record<string, number>> = { timestamp: 0x8, 'sack-perm': 0x4 };
/** NFT_OBJECT_* of the named-object references. */
export const OBJREF_TYPE: Readonly<Record<string, number>> = {
  counter: 1,
  quota: 2,
  'ct helper': 3,
  limit: 4,
  'ct timeout': 7,
  secmark: 8,
  'ct expectation': 9,
  synproxy: 10,
};

const chunkCommon = { type: { offset: 0, len: 8 }, flags: { offset: 8, len: 8 }, length: { offset: 16, len: 16 } };
const chunk = (kind: number, extra: Readonly<Record<string, OptField>> = {}): OptDef => ({ kind, fields: { ...chunkCommon, ...extra } });
const initFields = {
  'init-tag': { offset: 32, len: 32 },
  'a-rwnd': { offset: 64, len: 32 },
  'num-outbound-streams': { offset: 96, len: 16 },
  'num-inbound-streams': { offset: 112, len: 16 },
  'initial-tsn': { offset: 128, len: 32 },
};
/** SCTP chunks (sctp_chunk.c): chunk type and fields. */
export const SCTP_CHUNKS: Readonly<Record<string, OptDef>> = {
  data: chunk(0, { tsn: { offset: 32, len: 32 }, stream: { offset: 64, len: 16 }, ssn: { offset: 80, len: 16 }, ppid: { offset: 96, len: 32 } }),
  init: chunk(1, initFields),
  'init-ack': chunk(2, initFields),
  sack: chunk(3, {
    'cum-tsn-ack': { offset: 32, len: 32 },
    'a-rwnd': { offset: 64, len: 32 },
    'num-gap-ack-blocks': { offset: 96, len: 16 },
    'num-dup-tsns': { offset: 112, len: 16 },
  }),
  heartbeat: chunk(4),
  'heartbeat-ack': chunk(5),
  abort: chunk(6),
  shutdown: chunk(7, { 'cum-tsn-ack': { offset: 32, len: 32 } }),
  'shutdown-ack': chunk(8),
  error: chunk(9),
  'cookie-echo': chunk(10),
  'cookie-ack': chunk(11),
  ecne: chunk(12, { 'lowest-tsn': { offset: 32, len: 32 } }),
  cwr: chunk(13, { 'lowest-tsn': { offset: 32, len: 32 } }),
  'shutdown-complete': chunk(14),
  'asconf-ack': chunk(128, { seqno: { offset: 32, len: 32 } }),
  'forward-tsn': chunk(192, { 'new-cum-tsn': { offset: 32, len: 32 } }),
  asconf: chunk(193, { seqno: { offset: 32, len: 32 } }),
};
