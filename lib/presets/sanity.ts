// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Early sanity filtering before routing (the "mangle PREROUTING" rules of the DDoS guides) and
 * anti-spoofing: drop what no legitimate peer sends before conntrack-heavy rules see it.
 */
import { counter, drop, fibRpfMissing, iifname, ipDaddr, ipSaddr, ipTtl, ip6Hoplimit, limit, log, lookup, ctState, tcpFlags, tcpMss, tcpOption, tcpSport, udpSport, TCP_FLAGS_ALL } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { LogLevel } from '../rule/statement';
import { flagOrObject, optBool, optionsOf, stringList } from './check';
import { rangeError } from '../rule/errors';
import { DEFAULT_TABLE, PresetBuilder, type Preset, type RateOption } from './preset';

/** Sources never valid on a public interface ("tight server"): RFC 1918, link-local, multicast, 240/5, 0/8, limited broadcast. */
export const BOGON_SOURCES_V4: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/5',
  '255.255.255.255',
];

/** Destinations guide 004 drops on input: multicast, 240/5, 0/8, 239.255.255.0/24, limited broadcast. */
export const BOGON_DESTINATIONS_V4: readonly string[] = ['0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/5', '255.255.255.255'];

export interface SanityOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** Name of the prerouting chain (type filter, hook prerouting, priority mangle). @default 'sanity' */
  readonly chain?: string;
  /** Name of the forward chain at priority mangle holding the TTL rule. @default 'sanity_forward' */
  readonly forwardChain?: string;
  /** Drop SYN+FIN and SYN+RST. @default true */
  readonly badFlags?: boolean;
  /** Drop packets conntrack marks invalid. @default true */
  readonly dropInvalid?: boolean;
  /** Drop new TCP connections that do not start with a bare SYN. @default true */
  readonly newWithoutSyn?: boolean;
  /** Drop SYNs whose MSS option is below this (nmap's OS-detection probes use 265); false disables. @default 536 */
  readonly minMss?: number | false;
  /** Drop TCP and UDP with source port 0. @default true */
  readonly sourcePortZero?: boolean;
  /**
   * Drop sources found in the blocklist sets, on these (external) interfaces only. The preset
   * creates the interval sets; fill them with the Blocklist class or tx.addElements().
   * @default false
   */
  readonly blocklist?: { readonly interfaces: readonly string[]; /** @default 'blocklist4' */ readonly set4?: string; /** @default 'blocklist6' */ readonly set6?: string } | false;
  /** Reverse-path filter: drop packets whose source is not routed back through the interface they came in on. @default false */
  readonly rpfilter?: boolean;
  /**
   * "Tight server": drop bogon sources (and destinations) arriving on these public interfaces.
   * @default false; sources default to BOGON_SOURCES_V4, destinations to none (BOGON_DESTINATIONS_V4 is guide 004's list).
   */
  readonly bogons?: { readonly interfaces: readonly string[]; readonly sources?: readonly string[]; readonly destinations?: readonly string[] } | false;
  /** Forwarded traffic with TTL (or hop limit) below this is logged with a rate limit, then dropped; false disables. @default 5 */
  readonly minTtl?: number | false;
  /** Apply the TTL rules only to packets arriving on these (external) interfaces (guide 000: `-i eth7`). @default all */
  readonly ttlInterfaces?: readonly string[];
  /** Rate limit of the TTL log lines. @default { rate: 6, per: 'minute', burst: 5 } */
  readonly ttlLog?: RateOption & { /** @default 'ttl too low: ' */ readonly prefix?: string; /** @default 'warn' */ readonly level?: LogLevel };
}

/**
 * Sanity filtering before routing: one prerouting chain at priority mangle (-150, after
 * conntrack) and one forward chain at the same priority. Every rule has a counter and a
 * comment naming it (`sanity: …`), so its hits can be read with Nftables#counters().
 * @example tx.addAll(presetObjects(sanityFilter({ blocklist: { interfaces: ['eth0'] }, rpfilter: true })))
 */
export function sanityFilter(options: SanityOptions = {}): Preset {
  const o = optionsOf(options, 'sanityFilter() options');
  for (const k of ['badFlags', 'dropInvalid', 'newWithoutSyn', 'sourcePortZero', 'rpfilter']) optBool(o[k], `sanityFilter() ${k}`);
  if (o.minMss !== undefined && o.minMss !== false && (typeof o.minMss !== 'number' || !Number.isInteger(o.minMss) || o.minMss < 1 || o.minMss > 65535)) {
    throw rangeError('false or an integer MSS of 1-65535', 'sanityFilter() minMss', o.minMss);
  }
  if (o.minTtl !== undefined && o.minTtl !== false && (typeof o.minTtl !== 'number' || !Number.isInteger(o.minTtl) || o.minTtl < 1 || o.minTtl > 255)) {
    throw rangeError('false or an integer TTL of 1-255', 'sanityFilter() minTtl', o.minTtl);
  }
  const bl = flagOrObject(o.blocklist, 'sanityFilter() blocklist');
  if (bl) stringList(bl.interfaces, 'sanityFilter() blocklist.interfaces', { nonEmpty: true });
  flagOrObject(o.bogons, 'sanityFilter() bogons');
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const pre = b.chain(options.chain ?? 'sanity', { type: 'filter', hook: 'prerouting', priority: PRIORITY.mangle, policy: 'accept' });
  if (options.badFlags ?? true) {
    // Before the invalid rule: conntrack also calls these invalid, but this names them.
    b.rule(pre, 'sanity: syn+fin', tcpFlags(['fin', 'syn'], { mask: ['fin', 'syn'] }), counter(), drop());
    b.rule(pre, 'sanity: syn+rst', tcpFlags(['syn', 'rst'], { mask: ['syn', 'rst'] }), counter(), drop());
  }
  if (options.dropInvalid ?? true) b.rule(pre, 'sanity: invalid', ctState('invalid'), counter(), drop());
  if (options.newWithoutSyn ?? true) {
    // iptables' `! --tcp-flags ALL SYN`: all six flags compared, so SYN+PSH and SYN+URG are dropped too.
    b.rule(pre, 'sanity: new tcp without syn', tcpFlags(['syn'], { op: '!=', mask: TCP_FLAGS_ALL }), ctState('new', 'related'), counter(), drop());
  }
  const minMss = options.minMss ?? 536;
  if (minMss !== false) {
    // iptables' `--tcp-flags SYN,RST SYN -m tcpmss ! --mss 536:65535` also matches a SYN without
    // the option; nft's `maxseg size < 536` does not (the load breaks), hence two rules.
    b.rule(pre, 'sanity: syn without mss', tcpFlags(['syn'], { mask: ['syn', 'rst'] }), tcpOption('maxseg', 'missing'), counter(), drop());
    b.rule(pre, 'sanity: small mss', tcpFlags(['syn'], { mask: ['syn', 'rst'] }), tcpMss(minMss, '<'), counter(), drop());
  }
  if (options.sourcePortZero ?? true) {
    b.rule(pre, 'sanity: tcp source port 0', tcpSport(0), counter(), drop());
    b.rule(pre, 'sanity: udp source port 0', udpSport(0), counter(), drop());
  }
  if (options.rpfilter) b.rule(pre, 'sanity: rpfilter', fibRpfMissing(['saddr', 'iif']), counter(), drop());
  if (options.bogons) {
    const ifs = stringList(options.bogons.interfaces, 'sanityFilter() bogons.interfaces', { nonEmpty: true });
    const src = options.bogons.sources === undefined ? [...BOGON_SOURCES_V4] : stringList(options.bogons.sources, 'sanityFilter() bogons.sources');
    const dst = stringList(options.bogons.destinations, 'sanityFilter() bogons.destinations');
    if (src.length > 0) b.rule(pre, 'sanity: bogon source', iifname(ifs), ipSaddr(src), counter(), drop());
    if (dst.length > 0) b.rule(pre, 'sanity: bogon destination', iifname(ifs), ipDaddr(dst), counter(), drop());
  }
  if (options.blocklist) {
    const s4 = b.set({ name: options.blocklist.set4 ?? 'blocklist4', key: 'ipv4_addr', flags: ['interval'] });
    const s6 = b.set({ name: options.blocklist.set6 ?? 'blocklist6', key: 'ipv6_addr', flags: ['interval'] });
    const ifs = [...options.blocklist.interfaces];
    b.rule(pre, 'sanity: blocklist4', iifname(ifs), lookup('ip saddr', s4), counter(), drop());
    b.rule(pre, 'sanity: blocklist6', iifname(ifs), lookup('ip6 saddr', s6), counter(), drop());
  }
  const minTtl = options.minTtl ?? 5;
  if (minTtl !== false) {
    const fwd = b.chain(options.forwardChain ?? 'sanity_forward', { type: 'filter', hook: 'forward', priority: PRIORITY.mangle, policy: 'accept' });
    const l = options.ttlLog ?? { rate: 6, per: 'minute' as const, burst: 5 };
    const logStmt = log({ prefix: l.prefix ?? 'ttl too low: ', level: l.level ?? 'warn' });
    const lim = limit({ rate: l.rate, per: l.per, burst: l.burst ?? 5 });
    const ifs = stringList(options.ttlInterfaces, 'sanityFilter() ttlInterfaces');
    const on = ifs.length > 0 ? [iifname(ifs)] : [];
    b.rule(fwd, 'sanity: ttl log', ...on, ipTtl(minTtl, '<'), lim, counter(), logStmt);
    b.rule(fwd, 'sanity: ttl drop', ...on, ipTtl(minTtl, '<'), counter(), drop());
    // IPv4 decrements the TTL after the forward hook (ip_forward_finish), IPv6 the hop limit
    // before it (ip6_forward): "arrived with less than minTtl" is `ip6 hoplimit < minTtl - 1` here.
    // Measured with packets in test/packets/guide-000-netfilter.test.ts.
    const minHop = Math.max(0, minTtl - 1);
    b.rule(fwd, 'sanity: hoplimit log', ...on, ip6Hoplimit(minHop, '<'), lim, counter(), logStmt);
    b.rule(fwd, 'sanity: hoplimit drop', ...on, ip6Hoplimit(minHop, '<'), counter(), drop());
  }
  return b.build();
}
