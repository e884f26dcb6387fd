// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Where each matchable field lives (payload offset, meta/ct key, TCP option), its datatype, and
 * the protocol it depends on. compile, decode and render all read this one table.
 */
import { CT_KEY, EXTHDR_OP, META_KEY, PAYLOAD_BASE } from '../kernel';
import { CODECS, type Codec } from './datatypes';
import type { Field, FlagField } from './statement';

export type Load =
  | { readonly kind: 'payload'; readonly base: number; readonly offset: number }
  | { readonly kind: 'meta'; readonly key: number }
  | { readonly kind: 'ct'; readonly key: number }
  | { readonly kind: 'exthdr'; readonly op: number; readonly type: number; readonly offset: number };

export type NetProto = 'ip' | 'ip6';

export interface FieldSpec {
  readonly load: Load;
  readonly codec: Codec;
  /** Network protocol the field needs (nft adds `meta nfproto`/`meta protocol` where unknown). */
  readonly net?: NetProto;
  /** Transport protocol number the field needs (nft adds `meta l4proto` where unknown). */
  readonly l4?: number;
}

const NH = PAYLOAD_BASE.network;
const TH = PAYLOAD_BASE.transport;
const pl = (base: number, offset: number): Load => ({ kind: 'payload', base, offset });
const TCP = 6;
const UDP = 17;

export const FIELDS: Readonly<Record<Field, FieldSpec>> = {
  'ip saddr': { load: pl(NH, 12), codec: CODECS.ipv4, net: 'ip' },
  'ip daddr': { load: pl(NH, 16), codec: CODECS.ipv4, net: 'ip' },
  'ip protocol': { load: pl(NH, 9), codec: CODECS.inetProto, net: 'ip' },
  'ip ttl': { load: pl(NH, 8), codec: CODECS.u8, net: 'ip' },
  'ip6 saddr': { load: pl(NH, 8), codec: CODECS.ipv6, net: 'ip6' },
  'ip6 daddr': { load: pl(NH, 24), codec: CODECS.ipv6, net: 'ip6' },
  'ip6 nexthdr': { load: pl(NH, 6), codec: CODECS.inetProto, net: 'ip6' },
  'ip6 hoplimit': { load: pl(NH, 7), codec: CODECS.u8, net: 'ip6' },
  'tcp sport': { load: pl(TH, 0), codec: CODECS.port, l4: TCP },
  'tcp dport': { load: pl(TH, 2), codec: CODECS.port, l4: TCP },
  'udp sport': { load: pl(TH, 0), codec: CODECS.port, l4: UDP },
  'udp dport': { load: pl(TH, 2), codec: CODECS.port, l4: UDP },
  'th sport': { load: pl(TH, 0), codec: CODECS.port },
  'th dport': { load: pl(TH, 2), codec: CODECS.port },
  'icmp type': { load: pl(TH, 0), codec: CODECS.icmpType, net: 'ip', l4: 1 },
  'icmpv6 type': { load: pl(TH, 0), codec: CODECS.icmpv6Type, net: 'ip6', l4: 58 },
  // nft 1.0.6 adds no `meta l4proto tcp` dependency for TCP options (verified with --debug=netlink).
  'tcp option maxseg size': { load: { kind: 'exthdr', op: EXTHDR_OP.tcpopt, type: 2, offset: 2 }, codec: CODECS.u16 },
  'meta l4proto': { load: { kind: 'meta', key: META_KEY.l4proto }, codec: CODECS.inetProto },
  'meta nfproto': { load: { kind: 'meta', key: META_KEY.nfproto }, codec: CODECS.nfProto },
  'meta protocol': { load: { kind: 'meta', key: META_KEY.protocol }, codec: CODECS.etherType },
  'meta pkttype': { load: { kind: 'meta', key: META_KEY.pkttype }, codec: CODECS.pktType },
  'meta mark': { load: { kind: 'meta', key: META_KEY.mark }, codec: CODECS.mark },
  iif: { load: { kind: 'meta', key: META_KEY.iif }, codec: CODECS.ifindex },
  oif: { load: { kind: 'meta', key: META_KEY.oif }, codec: CODECS.ifindex },
  iifname: { load: { kind: 'meta', key: META_KEY.iifname }, codec: CODECS.ifname },
  oifname: { load: { kind: 'meta', key: META_KEY.oifname }, codec: CODECS.ifname },
  'ct direction': { load: { kind: 'ct', key: CT_KEY.direction }, codec: CODECS.ctDir },
  'ct mark': { load: { kind: 'ct', key: CT_KEY.mark }, codec: CODECS.mark },
};

export const FIELD_NAMES = Object.keys(FIELDS) as Field[];

export interface FlagFieldSpec {
  readonly load: Load;
  /** Register length in bytes. */
  readonly len: number;
  readonly host: boolean;
  readonly l4?: number;
}

export const FLAG_FIELDS: Readonly<Record<FlagField, FlagFieldSpec>> = {
  'ct state': { load: { kind: 'ct', key: CT_KEY.state }, len: 4, host: true },
  'ct status': { load: { kind: 'ct', key: CT_KEY.status }, len: 4, host: true },
  'tcp flags': { load: pl(TH, 13), len: 1, host: false, l4: TCP },
};

/** Transport protocol names for messages: 6 -> "tcp". */
export const L4_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };
/** Payload fields of each protocol, by protocol context, for decoding (merged) payload loads. */
export function payloadFields(base: number, net: NetProto | undefined, l4: number | undefined): Field[] {
  return FIELD_NAMES.filter((f) => {
    const s = FIELDS[f];
    if (s.load.kind !== 'payload' || s.load.base !== base) return false;
    if (base === NH) return s.net === net;
    if (l4 === undefined) return s.l4 === undefined;
    return s.l4 === l4;
  });
}
