// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The stateful single host (Arch Linux wiki "Simple stateful firewall"), with the guides'
 * additions as options: port-scan traps, SSH brute-force limits, trusted-origin services,
 * noise suppression, IPv6 essentials.
 */
import {
  accept,
  counter,
  ctState,
  drop,
  icmpType,
  icmpv6Type,
  iifname,
  ip6Hoplimit,
  ip6Saddr,
  ip6Daddr,
  jump,
  l4proto,
  limit,
  log,
  lookup,
  nfproto,
  reject,
  saddr,
  setAdd,
  setUpdate,
  tcpDport,
  tcpFlags,
  udpDport,
  udpSport,
  TCP_FLAGS_ALL,
} from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { Field, LogLevel } from '../rule/statement';
import type { JStatement as Statement } from '../nft/schema';
import { flagOrObject, optionsOf, optOneOf, optStr, portList, stringList, objectList } from './check';
import { DEFAULT_TABLE, PresetBuilder, windowRate, type Preset, type RateOption } from './preset';

/** A port, a `"lo-hi"` range. */
export type PortValue = number | string;

/** A service reachable only from trusted sources. */
export interface TrustedService {
  readonly protocol: 'tcp' | 'udp';
  readonly ports: readonly PortValue[];
  /** Trusted subnets or single hosts (IPv4 and/or IPv6). */
  readonly sources: readonly string[];
  /** Prefix of the log line for attempts from elsewhere ("near hits"). @default 'near hit: ' */
  readonly logPrefix?: string;
}

export interface BruteForceOptions {
  /** TCP ports protected. @default [22] */
  readonly ports?: readonly PortValue[];
  /** First window: at most `count` new connections per `seconds` per source. @default { count: 3, seconds: 10 } */
  readonly short?: { readonly count: number; readonly seconds: number };
  /** Second window. @default { count: 4, seconds: 1800 } */
  readonly long?: { readonly count: number; readonly seconds: number };
  /** @default 'brute force: ' */
  readonly logPrefix?: string;
}

export interface HostFirewallOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** TCP ports open to everyone (in the `tcp_in` chain). @default [] */
  readonly tcpPorts?: readonly PortValue[];
  /** UDP ports open to everyone (in the `udp_in` chain). @default [] */
  readonly udpPorts?: readonly PortValue[];
  /** Accept ICMP/ICMPv6 echo requests; a RateOption rate-limits them (the excess is dropped). @default true */
  readonly ping?: boolean | PingOption;
  /**
   * Port-scan trap: a source that hits a closed TCP (or UDP) port is answered as if every port
   * were closed (TCP reset / ICMP port unreachable) until it stops for `timeoutMs`.
   * @default false
   */
  readonly trap?: boolean | { /** @default 60000 */ readonly timeoutMs?: number };
  /** Brute-force limit on new connections per source; excess logged and dropped. @default false */
  readonly bruteForce?: boolean | BruteForceOptions;
  /** Services reachable only from trusted sources. @default [] */
  readonly trusted?: readonly TrustedService[];
  /** UDP ports dropped without logging before anything else (NetBIOS noise). @default [] (e.g. ['137-138']) */
  readonly quietUdpPorts?: readonly PortValue[];
  /** IPv6 essentials: neighbour discovery, DHCPv6 client, ICMPv6 admin-prohibited as the last reject. @default true */
  readonly ipv6?:
    | boolean
    | {
        /** Accept DHCPv6 replies (udp 547 -> 546 between link-local addresses). @default true */
        readonly dhcpv6Client?: boolean;
        /** Accept all ICMPv6 from link-local sources, whatever its state (guide 002's `-s fe80::/10 -p ipv6-icmp`). @default false */
        readonly linkLocalIcmp?: boolean;
      };
  /** Names of the two jump chains (guide 002: `TCP` and `UDP`). @default { tcp: 'tcp_in', udp: 'udp_in' } */
  readonly chains?: { readonly tcp?: string; readonly udp?: string };
  /** Forward chain policy (the host does not route). @default 'drop' */
  readonly forward?: 'accept' | 'drop';
  /**
   * What happens to what no rule accepted: `'reject'` answers like a closed port (TCP reset,
   * ICMP port unreachable for UDP, protocol unreachable / admin-prohibited for the rest);
   * `'drop'` sends nothing (guides 000, 001, 004); an object picks the ICMP types per family.
   * @default 'reject'
   */
  readonly closed?: 'reject' | 'drop' | ClosedRejectTypes;
  /**
   * New TCP that does not open with a bare SYN: logged (under `rate`) with this prefix and dropped
   * in the input chain (guide 000's `TCP INPUT without SYN `; sanityFilter drops them earlier).
   * @default false
   */
  readonly newWithoutSyn?: { readonly logPrefix?: string; readonly rate?: RateOption } | false;
  /** Log what reaches the final verdicts, one prefix per protocol (guide 001: `tcp.in.dropped `). @default false */
  readonly logDropped?: DropLogOptions | false;
}

/** ICMP types of the final rejects, per family (guide 002's IPv6 file: UDP and other protocols get `admin-prohibited`). */
export interface ClosedRejectTypes {
  /** @default 'port-unreachable' */
  readonly udp4?: string;
  /** @default 'port-unreachable' */
  readonly udp6?: string;
  /** @default 'prot-unreachable' */
  readonly other4?: string;
  /** @default 'admin-prohibited' */
  readonly other6?: string;
}

/** Log lines before the final verdicts of a chain: one rule per protocol given. */
export interface DropLogOptions {
  readonly tcp?: string;
  readonly udp?: string;
  /** Any other protocol. */
  readonly other?: string;
  /** Every packet, whatever its protocol (guide 000: `INPUT bad `); logged after the per-protocol lines. */
  readonly all?: string;
  /** Rate limit of the log lines; false: every packet (as the guides do). @default false */
  readonly rate?: RateOption | false;
  /** @default 'warn' (the kernel's default, iptables' level 4) */
  readonly level?: LogLevel;
}

const byFamily = (addrs: readonly string[]) => ({ v4: addrs.filter((a) => !a.includes(':')), v6: addrs.filter((a) => a.includes(':')) });
const SADDR: Record<'v4' | 'v6', Field> = { v4: 'ip saddr', v6: 'ip6 saddr' };

/**
 * A stateful single host: input and forward default deny, loopback and established/related
 * accepted, invalid dropped; new TCP (bare SYN) goes through `tcp_in`, new UDP through `udp_in`;
 * what no rule accepts is rejected like a closed port: UDP with ICMP port unreachable, TCP with
 * a reset, other IPv4 protocols with ICMP protocol unreachable, other IPv6 with ICMPv6
 * admin-prohibited. Rules carry a counter and a `host: …` comment.
 * @example hostFirewall({ tcpPorts: [22, 443], ping: { rate: 5, per: 'second' }, trap: true })
 */
export function hostFirewall(options: HostFirewallOptions = {}): Preset {
  checkHostOptions(options);
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const v6 = options.ipv6 ?? true;
  const input = b.chain('input', { type: 'filter', hook: 'input', priority: PRIORITY.filter, policy: 'drop' });
  const tcpIn = b.chain(options.chains?.tcp ?? 'tcp_in');
  const udpIn = b.chain(options.chains?.udp ?? 'udp_in');

  b.rule(input, 'host: loopback', iifname('lo'), counter(), accept());
  // A rate-limited ping is decided before the established rule: every echo request after the
  // first with the same ICMP id (what `ping` sends) belongs to an established conntrack entry,
  // so behind `ct state established` the limit would see only the first one.
  const ping = options.ping ?? true;
  const pingLimited = typeof ping === 'object';
  if (pingLimited) pingRules(b, input, ping, v6);
  b.rule(input, 'host: established', ctState('established', 'related'), counter(), accept());
  b.rule(input, 'host: invalid', ctState('invalid'), counter(), drop());

  if (options.quietUdpPorts && options.quietUdpPorts.length > 0) {
    b.rule(input, 'host: quiet', udpDport([...options.quietUdpPorts]), counter(), drop());
  }

  if (v6) {
    // Neighbour discovery is untracked by conntrack: accept it explicitly. NS/NA must come with
    // hop limit 255 (RFC 4861 7.1.1); router adverts only from link-local sources.
    b.rule(input, 'host: nd', icmpv6Type(['nd-neighbor-solicit', 'nd-neighbor-advert']), ip6Hoplimit(255), counter(), accept());
    b.rule(input, 'host: nd from link-local', ip6Saddr('fe80::/10'), icmpv6Type(['nd-router-advert', 'nd-redirect']), ip6Hoplimit(255), counter(), accept());
    if (typeof v6 === 'object' && v6.linkLocalIcmp) b.rule(input, 'host: icmpv6 from link-local', ip6Saddr('fe80::/10'), l4proto('ipv6-icmp'), counter(), accept());
    if (typeof v6 === 'boolean' || (v6.dhcpv6Client ?? true)) {
      b.rule(input, 'host: dhcpv6 client', ip6Saddr('fe80::/10'), ip6Daddr('fe80::/10'), udpSport(547), udpDport(546), counter(), accept());
    }
  }

  if (!pingLimited && ping) pingRules(b, input, ping, v6);

  const nws = options.newWithoutSyn;
  if (nws) {
    const notSyn = tcpFlags(['syn'], { op: '!=', mask: TCP_FLAGS_ALL });
    if (nws.logPrefix !== undefined) {
      const lim = nws.rate ? [limit({ rate: nws.rate.rate, per: nws.rate.per, burst: nws.rate.burst ?? 5 })] : [];
      b.rule(input, 'host: new tcp without syn log', notSyn, ctState('new'), ...lim, counter(), log({ prefix: nws.logPrefix }));
    }
    b.rule(input, 'host: new tcp without syn', notSyn, ctState('new'), counter(), drop());
  }

  const bf = options.bruteForce;
  if (bf) {
    const o = typeof bf === 'object' ? bf : {};
    const ports = [...(o.ports ?? [22])];
    const stages = [['short', o.short ?? { count: 3, seconds: 10 }], ['long', o.long ?? { count: 4, seconds: 1800 }]] as const;
    for (const [stage, w] of stages) {
      const r = windowRate(w.count, w.seconds);
      for (const fam of ['v4', 'v6'] as const) {
        const set = b.set({
          name: `bruteforce_${stage}${fam === 'v4' ? '4' : '6'}`,
          key: fam === 'v4' ? 'ipv4_addr' : 'ipv6_addr',
          flags: ['dynamic', 'timeout'],
          size: 65535,
        });
        // The element lives as long as its window: the token bucket state goes with it.
        const timeoutMs = Math.ceil(w.seconds * 1000);
        b.rule(
          input,
          `host: brute force ${stage} ${fam}`,
          tcpDport(ports),
          ctState('new'),
          setUpdate(set, SADDR[fam], { timeoutMs, stmts: [limit({ rate: r.rate, per: r.per, burst: r.burst, over: true })] }),
          counter(),
          log({ prefix: o.logPrefix ?? 'brute force: ', level: 'warn' }),
          drop(),
        );
      }
    }
  }

  for (const [i, t] of (options.trusted ?? []).entries()) {
    const port = t.protocol === 'tcp' ? tcpDport([...t.ports]) : udpDport([...t.ports]);
    const { v4, v6: s6 } = byFamily(t.sources);
    if (v4.length > 0) b.rule(input, `host: trusted ${i} v4`, port, saddr(v4), counter(), accept());
    if (s6.length > 0) b.rule(input, `host: trusted ${i} v6`, port, saddr(s6), counter(), accept());
    b.rule(input, `host: near hit ${i}`, port, ctState('new'), counter(), log({ prefix: t.logPrefix ?? 'near hit: ', level: 'info' }), drop());
  }

  b.rule(input, 'host: new tcp', ctState('new'), tcpFlags(['syn'], { mask: ['fin', 'syn', 'rst', 'ack'] }), counter(), jump(tcpIn));
  b.rule(input, 'host: new udp', ctState('new'), l4proto('udp'), counter(), jump(udpIn));

  const trap = options.trap ?? false;
  const trapMs = typeof trap === 'object' ? (trap.timeoutMs ?? 60000) : 60000;
  const trapSets: Record<string, string> = {};
  if (trap) {
    for (const proto of ['tcp', 'udp'] as const) {
      for (const fam of ['v4', 'v6'] as const) {
        trapSets[`${proto}${fam}`] = b.set({
          name: `${proto}_scan${fam === 'v4' ? '4' : '6'}`,
          key: fam === 'v4' ? 'ipv4_addr' : 'ipv6_addr',
          flags: ['dynamic', 'timeout'],
          size: 65535,
        });
      }
    }
    // Trapped sources are answered as if every port were closed; each try restarts the clock.
    for (const fam of ['v4', 'v6'] as const) {
      const tcpSet = trapSets[`tcp${fam}`] as string;
      const udpSet = trapSets[`udp${fam}`] as string;
      b.rule(tcpIn, `host: trapped tcp ${fam}`, l4proto('tcp'), lookup(SADDR[fam], tcpSet), setUpdate(tcpSet, SADDR[fam], { timeoutMs: trapMs }), counter(), reject({ tcpReset: true }));
      b.rule(udpIn, `host: trapped udp ${fam}`, lookup(SADDR[fam], udpSet), setUpdate(udpSet, SADDR[fam], { timeoutMs: trapMs }), counter(), ...udpReject(fam, options.closed));
    }
  }
  if (options.tcpPorts && options.tcpPorts.length > 0) b.rule(tcpIn, 'host: open tcp', tcpDport([...options.tcpPorts]), counter(), accept());
  if (options.udpPorts && options.udpPorts.length > 0) b.rule(udpIn, 'host: open udp', udpDport([...options.udpPorts]), counter(), accept());

  if (trap) {
    for (const fam of ['v4', 'v6'] as const) {
      b.final(input, `host: trap tcp ${fam}`, l4proto('tcp'), ctState('new'), setAdd(trapSets[`tcp${fam}`] as string, SADDR[fam], { timeoutMs: trapMs }), counter(), reject({ tcpReset: true }));
      b.final(input, `host: trap udp ${fam}`, l4proto('udp'), ctState('new'), setAdd(trapSets[`udp${fam}`] as string, SADDR[fam], { timeoutMs: trapMs }), counter(), ...udpReject(fam, options.closed));
    }
  }
  finalRules(b, input, 'host', options.closed ?? 'reject', options.logDropped ?? false, v6 !== false);

  b.chain('forward', { type: 'filter', hook: 'forward', priority: PRIORITY.filter, policy: options.forward ?? 'drop' });
  b.rule('forward', 'host: forward established', ctState('established', 'related'), counter(), accept());
  b.rule('forward', 'host: forward invalid', ctState('invalid'), counter(), drop());
  return b.build();
}

/** The echo-request rules: accept (from the given sources, under the limit), drop the excess. */
function pingRules(b: PresetBuilder, input: string, ping: true | PingOption, v6: HostFirewallOptions['ipv6']): void {
  const o = ping === true ? {} : ping;
  const lim = o.rate !== undefined ? [limit({ rate: o.rate, per: o.per ?? 'second', burst: o.burst ?? 5 })] : [];
  const src = byFamily(o.sources ?? []);
  const limited = lim.length > 0 || src.v4.length + src.v6.length > 0;
  if (!o.sources || src.v4.length > 0) b.rule(input, 'host: ping', icmpType('echo-request'), ...(src.v4.length ? [saddr(src.v4)] : []), ...lim, counter(), accept());
  if (v6 && (!o.sources || src.v6.length > 0)) b.rule(input, 'host: ping6', icmpv6Type('echo-request'), ...(src.v6.length ? [saddr(src.v6)] : []), ...lim, counter(), accept());
  if (limited) {
    // Over the limit or from elsewhere: dropped silently (not answered as an unknown protocol).
    b.rule(input, 'host: ping excess', icmpType('echo-request'), counter(), drop());
    if (v6) b.rule(input, 'host: ping6 excess', icmpv6Type('echo-request'), counter(), drop());
  }
}

/**
 * The end of an input-like chain: optional per-protocol log lines, then reject like a closed
 * port or drop silently. The first of these rules is the chain's insertion point.
 */
export function finalRules(b: PresetBuilder, chain: string, tag: string, closed: HostFirewallOptions['closed'] & {}, logOpt: DropLogOptions | false, v6: boolean): void {
  if (logOpt) {
    const lim = logOpt.rate ? [limit({ rate: logOpt.rate.rate, per: logOpt.rate.per, burst: logOpt.rate.burst ?? 5 })] : [];
    const level = logOpt.level ? { level: logOpt.level } : {};
    if (logOpt.tcp !== undefined) b.final(chain, `${tag}: log tcp`, l4proto('tcp'), ...lim, counter(), log({ prefix: logOpt.tcp, ...level }));
    if (logOpt.udp !== undefined) b.final(chain, `${tag}: log udp`, l4proto('udp'), ...lim, counter(), log({ prefix: logOpt.udp, ...level }));
    if (logOpt.other !== undefined) b.final(chain, `${tag}: log other`, l4proto(['tcp', 'udp'], '!='), ...lim, counter(), log({ prefix: logOpt.other, ...level }));
    if (logOpt.all !== undefined) b.final(chain, `${tag}: log`, ...lim, counter(), log({ prefix: logOpt.all, ...level }));
  }
  if (closed === 'drop') {
    b.final(chain, `${tag}: drop`, counter(), drop());
    return;
  }
  const t = closed === 'reject' ? {} : closed;
  if (t.udp4 === undefined && t.udp6 === undefined) b.final(chain, `${tag}: reject udp`, l4proto('udp'), counter(), reject());
  else {
    b.final(chain, `${tag}: reject udp v4`, nfproto('ipv4'), l4proto('udp'), counter(), reject({ icmp: t.udp4 ?? 'port-unreachable' }));
    if (v6) b.final(chain, `${tag}: reject udp v6`, nfproto('ipv6'), l4proto('udp'), counter(), reject({ icmpv6: t.udp6 ?? 'port-unreachable' }));
  }
  b.final(chain, `${tag}: reject tcp`, l4proto('tcp'), counter(), reject({ tcpReset: true }));
  b.final(chain, `${tag}: reject other v4`, nfproto('ipv4'), counter(), reject({ icmp: t.other4 ?? 'prot-unreachable' }));
  if (v6) b.final(chain, `${tag}: reject other v6`, nfproto('ipv6'), counter(), reject({ icmpv6: t.other6 ?? 'admin-prohibited' }));
}

/** Echo requests: `true`, or a rate limit and/or the only sources allowed to ping. */
export interface PingOption {
  /** Echo requests per `per` (the excess is dropped). */
  readonly rate?: number;
  /** @default 'second' */
  readonly per?: RateOption['per'];
  /** @default 5 */
  readonly burst?: number;
  /** Only these sources may ping (guide 001: the friendly subnet). @default anyone */
  readonly sources?: readonly string[];
}

function checkHostOptions(options: unknown): void {
  const o = optionsOf(options, 'hostFirewall() options');
  portList(o.tcpPorts, 'hostFirewall() tcpPorts');
  portList(o.udpPorts, 'hostFirewall() udpPorts');
  portList(o.quietUdpPorts, 'hostFirewall() quietUdpPorts');
  const ping = flagOrObject(o.ping, 'hostFirewall() ping');
  if (ping) stringList(ping.sources, 'hostFirewall() ping.sources');
  flagOrObject(o.trap, 'hostFirewall() trap');
  const bf = flagOrObject(o.bruteForce, 'hostFirewall() bruteForce');
  if (bf) portList(bf.ports, 'hostFirewall() bruteForce.ports');
  objectList(o.trusted, 'hostFirewall() trusted').forEach((t, i) => {
    optOneOf(t.protocol ?? null, ['tcp', 'udp'], `hostFirewall() trusted[${i}].protocol`);
    portList(t.ports ?? null, `hostFirewall() trusted[${i}].ports`);
    stringList(t.sources, `hostFirewall() trusted[${i}].sources`, { nonEmpty: true });
  });
  flagOrObject(o.ipv6, 'hostFirewall() ipv6');
  const ch = optionsOf(o.chains, 'hostFirewall() chains');
  optStr(ch.tcp, 'hostFirewall() chains.tcp');
  optStr(ch.udp, 'hostFirewall() chains.udp');
  optOneOf(o.forward, ['accept', 'drop'], 'hostFirewall() forward');
  if (typeof o.closed !== 'object' || o.closed === null) optOneOf(o.closed, ['reject', 'drop'], 'hostFirewall() closed');
  const l = flagOrObject(o.logDropped, 'hostFirewall() logDropped');
  flagOrObject(o.newWithoutSyn, 'hostFirewall() newWithoutSyn');
  if (l) for (const k of ['tcp', 'udp', 'other', 'all']) optStr(l[k], `hostFirewall() logDropped.${k}`);
}

/** The trap's UDP answer: the closed port's (port unreachable unless `closed` gives other types). */
function udpReject(fam: 'v4' | 'v6', closed: HostFirewallOptions['closed']): Statement[] {
  const t = typeof closed === 'object' ? closed : {};
  return [reject(fam === 'v4' ? { icmp: t.udp4 ?? 'port-unreachable' } : { icmpv6: t.udp6 ?? 'port-unreachable' })];
}
