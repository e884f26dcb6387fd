// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The protocol context of delinearization (nft's struct proto_ctx, src/proto.c): which protocol
 * each header base holds at a point of a rule, how a protocol-key match selects the protocol of
 * the base above, and the family's starting point. Used to name raw payload loads
 * (`payload load 2b @ transport + 2` is `tcp dport` only after `meta l4proto tcp`) and to remove
 * the dependencies nft inserted (src/payload.c payload_dependency_kill).
 */

/** nft's header bases (enum proto_bases): the kernel's NFT_PAYLOAD_*_HEADER + 1. */
export const BASE = { invalid: 0, ll: 1, nh: 2, th: 3, ih: 4 } as const;
export type BaseNum = (typeof BASE)[keyof typeof BASE];
export const BASE_NAMES = ['', 'll', 'nh', 'th', 'ih'] as const;

/** The base each protocol lives at. `inet` and `netdev` are nft's pseudo link layers. */
export const PROTO_BASE: Readonly<Record<string, BaseNum>> = {
  inet: 1, netdev: 1, ether: 1, vlan: 1,
  ip: 2, ip6: 2, arp: 2,
  tcp: 3, udp: 3, udplite: 3, sctp: 3, dccp: 3, icmp: 3, icmpv6: 3, igmp: 3, ah: 3, esp: 3, comp: 3,
  gre: 3, th: 3,
};

const L4: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'], [2, 'igmp'], [6, 'tcp'], [17, 'udp'], [33, 'dccp'], [47, 'gre'], [50, 'esp'], [51, 'ah'],
  [58, 'icmpv6'], [108, 'comp'], [132, 'sctp'], [136, 'udplite'],
]);
const ETHER: ReadonlyMap<number, string> = new Map([
  [0x0800, 'ip'], [0x86dd, 'ip6'], [0x0806, 'arp'], [0x8100, 'vlan'], [0x88a8, 'vlan'],
]);
const NFPROTO: ReadonlyMap<number, string> = new Map([[2, 'ip'], [10, 'ip6']]);

/** A protocol-key selector: the protocol a value of this key selects (undefined: none known). */
export interface ProtoKey {
  /** The base whose protocol the match selects. */
  readonly upper: BaseNum;
  readonly select: (value: number) => string | undefined;
}

/** Protocol-key payload fields (`protocol.field`) and what they select. */
export const PAYLOAD_PROTO_KEYS: Readonly<Record<string, ProtoKey>> = {
  'ether.type': { upper: 2, select: (v) => ETHER.get(v) },
  'vlan.type': { upper: 2, select: (v) => ETHER.get(v) },
  'ip.protocol': { upper: 3, select: (v) => L4.get(v) },
  'ip6.nexthdr': { upper: 3, select: (v) => L4.get(v) },
};

/** Protocol-key meta keys: nfproto (inet), protocol (netdev, bridge), l4proto. */
export const META_PROTO_KEYS: Readonly<Record<string, ProtoKey & { readonly base: BaseNum }>> = {
  nfproto: { base: 1, upper: 2, select: (v) => NFPROTO.get(v) },
  protocol: { base: 1, upper: 2, select: (v) => ETHER.get(v) },
  l4proto: { base: 2, upper: 3, select: (v) => L4.get(v) },
};

export const NFPROTO_NUM: Readonly<Record<string, number>> = { ip: 2, ip6: 10, inet: 1, arp: 3, bridge: 7, netdev: 5 };

/** The protocol context at the start of a rule of `family` (proto_ctx_init). */
export function initialProtocols(family: string): (string | undefined)[] {
  const p: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  switch (family) {
    case 'ip': p[2] = 'ip'; break;
    case 'ip6': p[2] = 'ip6'; break;
    case 'inet': p[1] = 'inet'; break;
    case 'arp': p[2] = 'arp'; break;
    case 'bridge': p[1] = 'ether'; break;
    case 'netdev': p[1] = 'netdev'; break;
    default: break;
  }
  return p;
}
