// SPDX-License-Identifier: GPL-2.0-or-later
/** Header field matches: addresses, ports, protocols, TTL/hop limit, ICMP types, TCP flags and MSS. */
import { typeError } from '../rule/errors';
import type { FlagsStatement, MatchOp, MatchStatement, TcpOptionName, TcpOptionStatement } from '../rule/statement';
import { match, type ValueInput } from './value';

function addrFamily(v: ValueInput, where: string): 'ip' | 'ip6' {
  const first = Array.isArray(v) ? v[0] : typeof v === 'object' && v !== null && 'set' in v ? v.set[0] : v;
  const s = typeof first === 'object' && first !== null && 'range' in first ? first.range[0] : first;
  if (typeof s !== 'string') throw typeError('an IPv4 or IPv6 address, CIDR, range or array of them', where, v);
  return s.includes(':') ? 'ip6' : 'ip';
}

/**
 * `ip saddr …` or `ip6 saddr …`, chosen by the address: `saddr('10.0.0.0/8')`,
 * `saddr(['10.0.0.1', '192.168.0.0/16'])`, `saddr('10.0.0.1-10.0.0.9', '!=')`.
 */
export const saddr = (v: ValueInput, op?: MatchOp): MatchStatement => match(`${addrFamily(v, 'saddr')} saddr`, v, op);
/** `ip daddr …` or `ip6 daddr …`, chosen by the address. */
export const daddr = (v: ValueInput, op?: MatchOp): MatchStatement => match(`${addrFamily(v, 'daddr')} daddr`, v, op);
/** `ip saddr …` */
export const ipSaddr = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip saddr', v, op);
/** `ip daddr …` */
export const ipDaddr = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip daddr', v, op);
/** `ip6 saddr …` */
export const ip6Saddr = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip6 saddr', v, op);
/** `ip6 daddr …` */
export const ip6Daddr = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip6 daddr', v, op);
/** `tcp dport 22`, `tcp dport { 22, 80 }` (array), `tcp dport 1000-2000` ("1000-2000"). */
export const tcpDport = (v: ValueInput, op?: MatchOp): MatchStatement => match('tcp dport', v, op);
/** `tcp sport …` */
export const tcpSport = (v: ValueInput, op?: MatchOp): MatchStatement => match('tcp sport', v, op);
/** `udp dport …` */
export const udpDport = (v: ValueInput, op?: MatchOp): MatchStatement => match('udp dport', v, op);
/** `udp sport …` */
export const udpSport = (v: ValueInput, op?: MatchOp): MatchStatement => match('udp sport', v, op);
/** `th dport …` (any transport protocol with ports; pair it with `l4proto([...])`). */
export const thDport = (v: ValueInput, op?: MatchOp): MatchStatement => match('th dport', v, op);
/** `th sport …` */
export const thSport = (v: ValueInput, op?: MatchOp): MatchStatement => match('th sport', v, op);
/** `meta l4proto tcp`, `meta l4proto { tcp, udp }`. */
export const l4proto = (v: ValueInput, op?: MatchOp): MatchStatement => match('meta l4proto', v, op);
/** `ip protocol …` */
export const ipProtocol = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip protocol', v, op);
/** `ip6 nexthdr …` */
export const ip6Nexthdr = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip6 nexthdr', v, op);
/** `meta nfproto ipv4|ipv6` */
export const nfproto = (v: ValueInput, op?: MatchOp): MatchStatement => match('meta nfproto', v, op);
/** `ip ttl < 5`: `ipTtl(5, '<')`. */
export const ipTtl = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip ttl', v, op);
/** `ip6 hoplimit 255` */
export const ip6Hoplimit = (v: ValueInput, op?: MatchOp): MatchStatement => match('ip6 hoplimit', v, op);
/** `icmp type echo-request`, `icmp type { echo-reply, echo-request }`. */
export const icmpType = (v: ValueInput, op?: MatchOp): MatchStatement => match('icmp type', v, op);
/** `icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }` */
export const icmpv6Type = (v: ValueInput, op?: MatchOp): MatchStatement => match('icmpv6 type', v, op);
/** `tcp option maxseg size < 536`: `tcpMss(536, '<')`, or a range `tcpMss('1-500')`. */
export const tcpMss = (v: ValueInput, op?: MatchOp): MatchStatement => match('tcp option maxseg size', v, op);

/**
 * TCP flags. `tcpFlags(['syn'])` = `tcp flags syn` (any of);
 * `tcpFlags(['syn'], { mask: ['fin', 'syn', 'rst', 'ack'] })` = `tcp flags & (fin|syn|rst|ack) == syn`;
 * `tcpFlags(['syn'], { op: '==' })` = `tcp flags == syn`.
 */
export function tcpFlags(values: readonly string[], options: { op?: '==' | '!='; mask?: readonly string[] } = {}): FlagsStatement {
  return {
    kind: 'flags',
    field: 'tcp flags',
    ...(options.op !== undefined && !(options.mask && options.op === '==') ? { op: options.op } : {}),
    values: [...values],
    ...(options.mask !== undefined ? { mask: [...options.mask] } : {}),
  };
}

/** Every TCP flag: iptables' `ALL` (FIN,SYN,RST,PSH,ACK,URG; ECE and CWR are left out, as iptables does). */
export const TCP_FLAGS_ALL: readonly string[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'];

/**
 * `tcp option maxseg missing`, `tcp option timestamp exists`: whether a TCP option is present
 * (`tcp option maxseg size < 536` does not match a SYN without the option; this does).
 */
export const tcpOption = (option: TcpOptionName, value: 'missing' | 'exists'): TcpOptionStatement => ({ kind: 'tcpOption', option, value });
