// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Value codecs, one per nft datatype the builder uses: how a value written as nft text
 * (`10.0.0.1`, `tcp`, `echo-request`, `0x00000010`, `"eth0"`) becomes expression bytes, and back.
 */
import ipaddr from 'ipaddr.js';
import { CT_STATE, DATATYPE } from '../kernel';
import { readU32Host, readUintBE, u32Host, uintBE } from './bytes';
import { rangeError, typeError } from './errors';
import type { Scalar } from './statement';

export interface Codec {
  /** nft datatype id (NFTA_SET_KEY_TYPE of anonymous sets). */
  readonly id: number;
  /** Length in bytes in a register. */
  readonly len: number;
  /** Host-endian values (meta/ct) cannot be compared with ranges or < >. */
  readonly host: boolean;
  /** For error messages: "a port 0-65535". */
  readonly what: string;
  /** Address types: bit length (prefixes allowed). */
  readonly bits?: number;
  encode(v: Scalar, where: string): Uint8Array;
  /** Canonical value of bytes (names for known symbols). */
  decode(b: Uint8Array): Scalar;
  /** nft text of a canonical value. */
  text(v: Scalar): string;
}

function integerCodec(id: number, len: number, what: string, max = 2 ** (len * 8) - 1): Codec {
  return {
    id,
    len,
    host: false,
    what,
    encode(v, where) {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(what, where, v);
      if (v < 0 || v > max) throw rangeError(what, where, v);
      return uintBE(v, len);
    },
    decode: (b) => readUintBE(b),
    text: (v) => String(v),
  };
}

function hostCodec(id: number, what: string, text: (v: Scalar) => string): Codec {
  return {
    id,
    len: 4,
    host: true,
    what,
    encode(v, where) {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(what, where, v);
      if (v < 0 || v > 0xffffffff) throw rangeError(what, where, v);
      return u32Host(v);
    },
    decode: (b) => readU32Host(b),
    text,
  };
}

/** A datatype whose values have names (`tcp`, `echo-request`); numbers are accepted too. */
function symbolCodec(id: number, len: number, what: string, names: Readonly<Record<string, number>>, host = false, aliases: Readonly<Record<string, number>> = {}): Codec {
  const byNum = new Map<number, string>();
  for (const [k, n] of Object.entries(names)) if (!byNum.has(n)) byNum.set(n, k);
  const max = host ? 0xffffffff : 2 ** (len * 8) - 1;
  const toNum = (v: Scalar, where: string): number => {
    if (typeof v === 'string') {
      const n = names[v] ?? aliases[v];
      if (n === undefined) throw typeError(what, where, v);
      return n;
    }
    if (!Number.isInteger(v)) throw typeError(what, where, v);
    if (v < 0 || v > max) throw rangeError(what, where, v);
    return v;
  };
  return {
    id,
    len,
    host,
    what,
    encode: (v, where) => (host ? u32Host(toNum(v, where)) : uintBE(toNum(v, where), len)),
    decode(b) {
      const n = host ? readU32Host(b) : readUintBE(b);
      return byNum.get(n) ?? n;
    },
    text: (v) => String(v),
  };
}

/**
 * Dotted-quad IPv4 ("10.0.0.1": four decimal parts 0-255, no leading zeros) parsed by hand:
 * what ipaddr.js's isValidFourPartDecimal accepts, at a tenth of its cost; null otherwise.
 */
function fastIPv4(v: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0, n = 0, digits = 0;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[part++] = n;
      n = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && n === 0) return null; // leading zero
      n = n * 10 + (c - 48);
      if (n > 255) return null;
      digits++;
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}

function addrCodec(version: 4 | 6): Codec {
  const len = version === 4 ? 4 : 16;
  const what = version === 4 ? 'an IPv4 address' : 'an IPv6 address';
  return {
    id: version === 4 ? DATATYPE.ipv4_addr : DATATYPE.ipv6_addr,
    len,
    host: false,
    what,
    bits: len * 8,
    encode(v, where) {
      if (typeof v !== 'string') throw typeError(what, where, v);
      const fast = version === 4 ? fastIPv4(v) : null;
      if (fast) return fast;
      const ok = version === 4 ? ipaddr.IPv4.isValidFourPartDecimal(v) : ipaddr.IPv6.isValid(v) && !v.includes('%');
      if (!ok) throw typeError(what, where, v);
      return Uint8Array.from(ipaddr.parse(v).toByteArray());
    },
    decode(b) {
      const a = ipaddr.fromByteArray(Array.from(b));
      if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return `::ffff:${(a as ipaddr.IPv6).toIPv4Address().toString()}`;
      return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
    },
    text: (v) => String(v),
  };
}

const IFNAMSIZ = 16;
/** Interface names: 16 bytes NUL padded; a trailing `*` makes a prefix match (no NUL). */
const ifnameCodec: Codec = {
  id: DATATYPE.ifname,
  len: IFNAMSIZ,
  host: false,
  what: 'an interface name of 1-15 bytes',
  encode(v, where) {
    const what = 'an interface name of 1-15 bytes';
    if (typeof v !== 'string' || v.includes('\0') || v.includes('"')) throw typeError(what, where, v);
    const wildcard = v.endsWith('*') && !v.endsWith('\\*');
    const name = wildcard ? v.slice(0, -1) : v;
    const raw = Buffer.from(name);
    if (raw.length < (wildcard ? 1 : 1) || raw.length > IFNAMSIZ - 1) throw rangeError(what, where, v);
    if (wildcard) return Uint8Array.from(raw);
    const out = new Uint8Array(IFNAMSIZ);
    out.set(raw);
    return out;
  },
  decode(b) {
    const end = b.indexOf(0);
    const s = Buffer.from(end < 0 ? b : b.subarray(0, end)).toString();
    return end < 0 && b.length < IFNAMSIZ ? `${s}*` : s;
  },
  text: (v) => JSON.stringify(String(v)),
};

const hex32 = (v: Scalar): string => (typeof v === 'number' ? `0x${v.toString(16).padStart(8, '0')}` : String(v));

export const INET_PROTO: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  'ipv6-icmp': 58,
  esp: 50,
  ah: 51,
  gre: 47,
  sctp: 132,
  dccp: 33,
  udplite: 136,
};

export const ICMP_TYPE: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

export const ICMPV6_TYPE: Readonly<Record<string, number>> = {
  'destination-unreachable': 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  'echo-reply': 129,
  'mld-listener-query': 130,
  'mld-listener-report': 131,
  'mld-listener-done': 132,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'router-renumbering': 138,
  'ind-neighbor-solicit': 141,
  'ind-neighbor-advert': 142,
  'mld2-listener-report': 143,
};

/** RTN_* address types as `fib ... type` returns them. */
export const FIB_ADDRTYPE: Readonly<Record<string, number>> = {
  unspec: 0,
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};

export const CODECS = {
  ipv4: addrCodec(4),
  ipv6: addrCodec(6),
  port: integerCodec(DATATYPE.inet_service, 2, 'a port 0-65535'),
  u8: integerCodec(DATATYPE.integer, 1, 'an integer 0-255'),
  u16: integerCodec(DATATYPE.integer, 2, 'an integer 0-65535'),
  inetProto: symbolCodec(DATATYPE.inet_proto, 1, 'a protocol name (tcp, udp, icmp…) or number 0-255', INET_PROTO, false, { icmpv6: 58 }),
  nfProto: symbolCodec(DATATYPE.nf_proto, 1, '"ipv4" or "ipv6"', { ipv4: 2, ipv6: 10 }),
  etherType: symbolCodec(DATATYPE.ether_type, 2, 'an ether type (ip, ip6, arp, vlan) or number 0-65535', { ip: 0x0800, ip6: 0x86dd, arp: 0x0806, vlan: 0x8100 }),
  pktType: symbolCodec(DATATYPE.pkt_type, 1, 'a packet type (host, broadcast, multicast, other)', { host: 0, broadcast: 1, multicast: 2, other: 3 }),
  icmpType: symbolCodec(DATATYPE.icmp_type, 1, 'an ICMP type name or number 0-255', ICMP_TYPE),
  icmpv6Type: symbolCodec(DATATYPE.icmp6_type, 1, 'an ICMPv6 type name or number 0-255', ICMPV6_TYPE),
  ctDir: symbolCodec(DATATYPE.ct_dir, 1, '"original" or "reply"', { original: 0, reply: 1 }),
  ifname: ifnameCodec,
  ifindex: hostCodec(DATATYPE.iface_index, 'an interface index 1-4294967295', (v) => String(v)),
  mark: hostCodec(DATATYPE.mark, 'a mark 0-4294967295', hex32),
  fibAddrType: symbolCodec(DATATYPE.fib_addr, 4, 'an address type (local, unicast, broadcast…)', FIB_ADDRTYPE, true),
} as const satisfies Record<string, Codec>;

/** Bitmask types for the flags statement: name -> bit. */
export const FLAG_BITS = {
  'ct state': CT_STATE,
  'ct status': { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 },
  'tcp flags': { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80 },
} as const satisfies Record<string, Record<string, number>>;
