// SPDX-License-Identifier: GPL-2.0-or-later
/** Header field matches: addresses, ports, protocols, TTL/hop limit, ICMP types, TCP flags and MSS. */
import { typeError } from '../rule/errors';
import type { MatchOp, TcpOptionName } from '../rule/statement';
import type { JMatchStmt } from '../nft/schema';
import { flagList } from './flags';
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
export const saddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match(`${addrFamily(v, 'saddr')} saddr`, v, op);
/** `ip daddr …` or `ip6 daddr …`, chosen by the address. */
export const daddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match(`${addrFamily(v, 'daddr')} daddr`, v, op);
/** `ip saddr …` */
export const ipSaddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip saddr', v, op);
/** `ip daddr …` */
export const ipDaddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip daddr', v, op);
/** `ip6 saddr …` */
export const ip6Saddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip6 saddr', v, op);
/** `ip6 daddr …` */
export const ip6Daddr = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip6 daddr', v, op);
/** `tcp dport 22`, `tcp dport { 22, 80 }` (array), `tcp dport 1000-2000` ("1000-2000"). */
export const tcpDport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('tcp dport', v, op);
/** `tcp sport …` */
export const tcpSport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('tcp sport', v, op);
/** `udp dport …` */
export const udpDport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('udp dport', v, op);
/** `udp sport …` */
export const udpSport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('udp sport', v, op);
/** `th dport …` (any transport protocol with ports; pair it with `l4proto([...])`). */
export const thDport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('th dport', v, op);
/** `th sport …` */
export const thSport = (v: ValueInput, op?: MatchOp): JMatchStmt => match('th sport', v, op);
/** `meta l4proto tcp`, `meta l4proto { tcp, udp }`. */
export const l4proto = (v: ValueInput, op?: MatchOp): JMatchStmt => match('meta l4proto', v, op);
/** `ip protocol …` */
export const ipProtocol = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip protocol', v, op);
/** `ip6 nexthdr …` */
export const ip6Nexthdr = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip6 nexthdr', v, op);
/** `meta nfproto ipv4|ipv6` */
export const nfproto = (v: ValueInput, op?: MatchOp): JMatchStmt => match('meta nfproto', v, op);
/** `ip ttl < 5`: `ipTtl(5, '<')`. */
export const ipTtl = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip ttl', v, op);
/** `ip6 hoplimit 255` */
export const ip6Hoplimit = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ip6 hoplimit', v, op);
/** `icmp type echo-request`, `icmp type { echo-reply, echo-request }`. */
export const icmpType = (v: ValueInput, op?: MatchOp): JMatchStmt => match('icmp type', v, op);
/** `icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }` */
export const icmpv6Type = (v: ValueInput, op?: MatchOp): JMatchStmt => match('icmpv6 type', v, op);
/** `tcp option maxseg size < 536`: `tcpMss(536, '<')`, or a range `tcpMss('1-500')`. */
export const tcpMss = (v: ValueInput, op?: MatchOp): JMatchStmt => match('tcp option maxseg size', v, op);

/**
 * TCP flags. `tcpFlags(['syn'])` = `tcp flags syn` (any of);
 * `tcpFlags(['syn'], { mask: ['fin', 'syn', 'rst', 'ack'] })` = `tcp flags & (fin|syn|rst|ack) == syn`
 * (nft lists it as `tcp flags syn / fin,syn,rst,ack`); `tcpFlags(['syn'], { op: '==' })` =
 * `tcp flags == syn`; `tcpFlags([], { mask: ['syn', 'rst'] })` = `tcp flags & (syn|rst) == 0`.
 * Flags are listed in bit order, as nft lists them.
 */
export function tcpFlags(values: readonly string[], options: { op?: '==' | '!='; mask?: readonly string[] } = {}): JMatchStmt {
  if (typeof options !== 'object' || options === null) throw typeError('options { op?, mask? }', 'tcpFlags() options', options);
  const op = options.op;
  if (op !== undefined && op !== '==' && op !== '!=') throw typeError('"==" or "!="', 'tcpFlags() op', op);
  const flags = { payload: { protocol: 'tcp', field: 'flags' } };
  if (options.mask === undefined) return { match: { op: op ?? 'in', left: flags, right: flagList('tcp flags', values, 'tcpFlags() values') } };
  const mask = flagList('tcp flags', options.mask, 'tcpFlags() mask');
  const right = values.length === 0 ? 0 : flagList('tcp flags', values, 'tcpFlags() values');
  return { match: { op: op ?? '==', left: { '&': [flags, Array.isArray(mask) ? mask : [mask]] }, right } };
}

/** Every TCP flag: iptables' `ALL` (FIN,SYN,RST,PSH,ACK,URG; ECE and CWR are left out, as iptables does). */
export const TCP_FLAGS_ALL: readonly string[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'];

/**
 * `tcp option maxseg missing`, `tcp option timestamp exists`: whether a TCP option is present
 * (`tcp option maxseg size < 536` does not match a SYN without the option; this does).
 */
export function tcpOption(option: TcpOptionName, value: 'missing' | 'exists'): JMatchStmt {
  if (!TCP_OPTIONS.includes(option)) throw typeError(`a TCP option name (${TCP_OPTIONS.join(', ')})`, 'tcpOption() option', option);
  if (value !== 'missing' && value !== 'exists') throw typeError('"missing" or "exists"', 'tcpOption() value', value);
  return { match: { op: '==', left: { 'tcp option': { name: option } }, right: value === 'exists' } };
}

const TCP_OPTIONS: readonly TcpOptionName[] = ['eol', 'nop', 'maxseg', 'window', 'sack-perm', 'sack', 'timestamp'];
