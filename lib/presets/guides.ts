// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * One composition per guide of ../shared/guides (see docs/presets/): each is built from the
 * presets and their options only, so what it creates is what a user gets from those options.
 * Every rule has a counter and a comment naming the guide line it translates.
 */
import { accept, counter, ctState, ctStatus, daddr, dnat, drop, icmpType, iifname, jump, l4proto, limit, log, oifname, saddr, tcpDport, tcpFlags, tcpSport, udpDport, udpSport } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { JStatement as Statement } from '../nft/schema';
import { objectList, optBool, optionsOf, port, portList, str, stringList } from './check';
import { hostFirewall } from './host';
import { loggingChains } from './logging';
import { natGateway } from './nat';
import { outboundPolicy, type OutboundOptions } from './outbound';
import { composePresets, DEFAULT_TABLE, PresetBuilder, type Preset } from './preset';
import { sanityFilter } from './sanity';

// ---------------------------------------------------------------------------------------------
// 003: "iptables rules that every Linux user should have"

export interface LogChainsGuideOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** The interfaces that connect the machine to the network (the guide's `wlan0`); new inbound packets on them are logged and dropped. */
  readonly interfaces: readonly string[];
  /** The two letters of the log prefixes (`[OY-A]:`). @default 'OY' */
  readonly tag?: string;
}

/**
 * Guide 003: LOG_AND_ACCEPT / LOG_AND_DROP / LOG_AND_REJECT (log new and related at level debug
 * with `[XX-A]:` / `[XX-D]:` / `[XX-R]:`, then the verdict), new inbound on the external
 * interfaces to LOG_AND_DROP, every new outbound to LOG_AND_ACCEPT. Policies stay accept.
 * @example guides.logChains({ interfaces: ['wlan0'] })
 */
export function logChains(options: LogChainsGuideOptions): Preset {
  const o = optionsOf(options ?? null, 'guides.logChains() options');
  const interfaces = stringList(o.interfaces, 'guides.logChains() interfaces', { nonEmpty: true });
  const tag = o.tag === undefined ? 'OY' : str(o.tag, 'guides.logChains() tag');
  return loggingChains({
    ...(options.table ? { table: options.table } : {}),
    rate: false,
    accept: { name: 'LOG_AND_ACCEPT', prefix: `[${tag}-A]:`, level: 'debug' },
    drop: { name: 'LOG_AND_DROP', prefix: `[${tag}-D]:`, level: 'debug' },
    reject: { name: 'LOG_AND_REJECT', prefix: `[${tag}-R]:`, level: 'debug', tcpReset: false },
    attach: { input: { target: 'drop', interfaces }, output: { target: 'accept' } },
  });
}

// ---------------------------------------------------------------------------------------------
// 000: "Netfilter"

export interface NetfilterHardeningOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** The external interface (the guide's `eth7`): blocklist and TTL filter apply there only. */
  readonly external: string;
  /** TCP ports served (the guide's "..." in INPUT). @default [] */
  readonly tcpPorts?: readonly (number | string)[];
  /** UDP ports served. @default [] */
  readonly udpPorts?: readonly (number | string)[];
  /** What the host may open outbound (default deny out). @default nothing */
  readonly outbound?: Omit<OutboundOptions, 'table'>;
  /**
   * The early sanity rules in PREROUTING (mangle priority). false leaves them out; INPUT's own
   * "TCP INPUT without SYN" rule then does that job for local traffic, as the guide's INPUT
   * section does. @default true
   */
  readonly prerouting?: boolean;
}

/**
 * Guide 000: deny in, out and forward; the mangle-PREROUTING sanity rules (invalid, new TCP
 * without a bare SYN, SYN with a missing or small MSS, source port 0, blocklist sets on the
 * external interface); on FORWARD from the external interface, TTL below 5 logged (4/s,
 * `TTL too short `) and dropped; INPUT: loopback, invalid, established, new TCP without SYN
 * logged (`TCP INPUT without SYN `) and dropped, the served ports, then everything else logged
 * (`INPUT bad `, 4/s) and dropped silently.
 * @example guides.netfilterHardening({ external: 'eth7', tcpPorts: [22], outbound: { dns: ['192.0.2.53'] } })
 */
export function netfilterHardening(options: NetfilterHardeningOptions): Preset {
  const o = optionsOf(options ?? null, 'guides.netfilterHardening() options');
  const external = str(o.external, 'guides.netfilterHardening() external');
  portList(o.tcpPorts, 'guides.netfilterHardening() tcpPorts');
  portList(o.udpPorts, 'guides.netfilterHardening() udpPorts');
  const table = options.table ? { table: options.table } : {};
  const fourPerSecond = { rate: 4, per: 'second' as const };
  const early = optBool(o.prerouting, 'guides.netfilterHardening() prerouting') ?? true;
  const ttl = { minTtl: 5, ttlInterfaces: [external], ttlLog: { ...fourPerSecond, prefix: 'TTL too short ' } };
  return composePresets(
    early
      ? sanityFilter({ ...table, badFlags: false, blocklist: { interfaces: [external] }, ...ttl })
      : sanityFilter({ ...table, badFlags: false, dropInvalid: false, newWithoutSyn: false, minMss: false, sourcePortZero: false, ...ttl }),
    hostFirewall({
      ...table,
      tcpPorts: options.tcpPorts ?? [],
      udpPorts: options.udpPorts ?? [],
      ping: false,
      closed: 'drop',
      newWithoutSyn: { logPrefix: 'TCP INPUT without SYN ', rate: fourPerSecond },
      logDropped: { all: 'INPUT bad ', rate: fourPerSecond },
    }),
    outboundPolicy({ ...table, log: false, icmp: false, ...optionsOf(options.outbound, 'guides.netfilterHardening() outbound') }),
  );
}

// ---------------------------------------------------------------------------------------------
// 004: '"tight" iptables firewall for servers'

/** Guide 004's anti-spoof sources (`-s … -j DROP`), in the guide's order. */
export const TIGHT_BOGON_SOURCES: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/5', '0.0.0.0/8', '1.1.1.1'];
/** Guide 004's anti-spoof destinations (`-d … -j DROP`). */
export const TIGHT_BOGON_DESTINATIONS: readonly string[] = ['224.0.0.0/4', '240.0.0.0/5', '0.0.0.0/8', '1.1.1.1', '239.255.255.0/24', '255.255.255.255'];

export interface TightServerOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** OURIP: our IPv4 address; every rule is tied to it (no outbound spoofing). */
  readonly ourIp: string;
  /** SSHIPS: the only sources allowed to SSH in. @default [] */
  readonly sshSources?: readonly string[];
  /** SSH: our SSH port. @default 22 (the guide uses 122) */
  readonly sshPort?: number;
  /** DNSIPS: DNS servers (udp and tcp 53). @default [] */
  readonly dnsServers?: readonly string[];
  /** NTPIPS: NTP servers (udp 123). @default [] */
  readonly ntpServers?: readonly string[];
  /** REPOIPS: distribution repositories (tcp 80 only). @default [] */
  readonly repositories?: readonly string[];
  /** WEBALLOWED: web servers we connect to (tcp 80 only). @default [] */
  readonly webAllowed?: readonly string[];
  /** OTHERIP: hosts we may SSH out to (tcp 22). @default [] */
  readonly sshOut?: readonly string[];
  /** Mail out to any host on tcp 25 (alerts, or we are a mail server). @default false */
  readonly mailOut?: boolean;
  /** MAILOUT: the smart host(s) we send mail through (tcp 25). @default [] */
  readonly mailRelay?: readonly string[];
  /** MAILIN: servers allowed to deliver mail to us (tcp 25 in). @default [] */
  readonly mailIn?: readonly string[];
  /** SERVICES: TCP ports served to anyone. @default [80, 443] */
  readonly services?: readonly number[];
  /** Drop the anti-spoof lists. @default true */
  readonly antiSpoof?: boolean;
}

/**
 * Guide 004: policy drop on input, output and forward with nothing logged; anti-spoof sources
 * and destinations; invalid dropped on all three; loopback; per-peer rules for DNS, NTP,
 * repositories, web servers, SSH in (from SSHIPS to our SSH port) and out (to OTHERIP), mail out
 * and in; the served ports; echo request and reply rate-limited to 1/s both ways; destination
 * unreachable both ways; a final counted drop on each chain. Each allowed direction opens with
 * `ct state established,new` and its return admits `ct state established` only, as the guide.
 * @example guides.tightServer({ ourIp: '203.0.113.10', sshSources: ['198.51.100.7'], sshPort: 122, dnsServers: ['192.0.2.53'] })
 */
export function tightServer(options: TightServerOptions): Preset {
  const o = optionsOf(options ?? null, 'guides.tightServer() options');
  const ourIp = str(o.ourIp, 'guides.tightServer() ourIp');
  if (ourIp.includes(':') || ourIp.includes('/')) throw new TypeError(`Expected an IPv4 address for guides.tightServer() ourIp but received ${JSON.stringify(ourIp)}`);
  const list = (k: string): string[] => stringList(o[k], `guides.tightServer() ${k}`);
  const ssh = o.sshPort === undefined ? 22 : port(o.sshPort, 'guides.tightServer() sshPort');
  const services = o.services === undefined ? [80, 443] : portList(o.services, 'guides.tightServer() services');
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const input = b.chain('input', { type: 'filter', hook: 'input', priority: PRIORITY.filter, policy: 'drop' });
  const fwd = b.chain('forward', { type: 'filter', hook: 'forward', priority: PRIORITY.filter, policy: 'drop' });
  const output = b.chain('output', { type: 'filter', hook: 'output', priority: PRIORITY.filter, policy: 'drop' });
  const us = saddr(ourIp);
  const toUs = daddr(ourIp);
  const opening = ctState('established', 'new');
  const returning = ctState('established');

  if (o.antiSpoof !== false) {
    for (const a of TIGHT_BOGON_SOURCES) b.rule(input, `tight: spoofed source ${a}`, saddr(a), counter(), drop());
    for (const a of TIGHT_BOGON_DESTINATIONS) b.rule(input, `tight: bogon destination ${a}`, daddr(a), counter(), drop());
  }
  b.rule(input, 'tight: invalid in', ctState('invalid'), counter(), drop());
  b.rule(fwd, 'tight: invalid forward', ctState('invalid'), counter(), drop());
  b.rule(output, 'tight: invalid out', ctState('invalid'), counter(), drop());
  b.rule(input, 'tight: loopback in', iifname('lo'), counter(), accept());
  b.rule(output, 'tight: loopback out', oifname('lo'), counter(), accept());

  /** We open to `peers` on `dport`; they answer from it. */
  const outTo = (name: string, peers: readonly string[] | undefined, proto: 'tcp' | 'udp', dport: number): void => {
    if (peers !== undefined && peers.length === 0) return;
    const peerOut: Statement[] = peers ? [daddr([...peers])] : [];
    const peerIn: Statement[] = peers ? [saddr([...peers])] : [];
    const [d, s] = proto === 'tcp' ? [tcpDport(dport), tcpSport(dport)] : [udpDport(dport), udpSport(dport)];
    b.rule(output, `tight: ${name} out`, us, ...peerOut, d, opening, counter(), accept());
    b.rule(input, `tight: ${name} reply`, toUs, ...peerIn, s, returning, counter(), accept());
  };
  outTo('dns udp', list('dnsServers'), 'udp', 53);
  outTo('dns tcp', list('dnsServers'), 'tcp', 53);
  outTo('ntp', list('ntpServers'), 'udp', 123);
  outTo('repository', list('repositories'), 'tcp', 80);
  outTo('web', list('webAllowed'), 'tcp', 80);

  const sshSources = list('sshSources');
  if (sshSources.length > 0) {
    b.rule(input, 'tight: ssh in', saddr(sshSources), toUs, tcpDport(ssh), opening, counter(), accept());
    b.rule(output, 'tight: ssh in reply', daddr(sshSources), us, tcpSport(ssh), returning, counter(), accept());
  }
  outTo('ssh', list('sshOut'), 'tcp', 22);
  if (o.mailOut === true) outTo('mail', undefined, 'tcp', 25);
  outTo('mail relay', list('mailRelay'), 'tcp', 25);
  const mailIn = list('mailIn');
  if (mailIn.length > 0) {
    b.rule(input, 'tight: mail in', toUs, tcpDport(25), saddr(mailIn), counter(), accept());
    // Not in the guide, whose OUTPUT would drop the answers of these connections (see the docs).
    b.rule(output, 'tight: mail in reply', us, daddr(mailIn), tcpSport(25), returning, counter(), accept());
  }
  if (services.length > 0) {
    b.rule(input, 'tight: services', tcpDport(services), toUs, opening, counter(), accept());
    b.rule(output, 'tight: services reply', tcpSport(services), us, returning, counter(), accept());
  }

  const perSecond = limit({ rate: 1, per: 'second' });
  b.rule(input, 'tight: ping in', icmpType('echo-request'), toUs, perSecond, counter(), accept());
  b.rule(output, 'tight: ping in reply', us, icmpType('echo-reply'), perSecond, counter(), accept());
  b.rule(output, 'tight: ping out', us, icmpType('echo-request'), perSecond, counter(), accept());
  b.rule(input, 'tight: ping out reply', icmpType('echo-reply'), toUs, perSecond, counter(), accept());
  b.rule(input, 'tight: unreachable in', icmpType('destination-unreachable'), toUs, counter(), accept());
  b.rule(output, 'tight: unreachable out', us, icmpType('destination-unreachable'), counter(), accept());

  b.final(input, 'tight: drop in', counter(), drop());
  b.final(output, 'tight: drop out', counter(), drop());
  b.final(fwd, 'tight: drop forward', counter(), drop());
  return b.build();
}

// ---------------------------------------------------------------------------------------------
// 001: "Server Hardening with iptables" (mineos-node)

export interface ServerHardeningOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** FRIENDLY: the trusted subnets or hosts (the guide's 10.137.0.0/24). */
  readonly friendly: readonly string[];
  /** STDIN ports sent to FRIENDLY: served to friendly sources only ("sshd standard port"). @default [22] */
  readonly friendlyTcp?: readonly (number | string)[];
  /** STDIN ports served to anyone ("mineos webui"). @default [] */
  readonly publicTcp?: readonly (number | string)[];
  /** ICMP in from friendly sources only. @default true */
  readonly friendlyIcmp?: boolean;
  /** MALICIOUS: ports dropped without logging, TCP and UDP ("[unwanted netbios]"). @default [138] */
  readonly quietPorts?: readonly (number | string)[];
  /** STDOUT: what the host may open. @default { dns: true, http: true, https: true, icmp: true } */
  readonly stdout?: { readonly dns?: boolean; readonly http?: boolean; readonly https?: boolean; readonly icmp?: boolean };
  /** REDIRECTING HOSTILE TRAFFIC: SSH from non-friendly sources DNATed to a honeypot on another host. @default false */
  readonly honeypot?: { readonly to: string; readonly port: number; /** @default 22 */ readonly sshPort?: number } | false;
}

/**
 * Guide 001: policies drop; INPUT accepts established/related, then MALICIOUS (invalid,
 * SYN+FIN, SYN+RST, quiet ports), then STDIN (friendly ports and ICMP to FRIENDLY, public ports
 * accepted), then logs `tcp.in.dropped ` / `udp.in.dropped `; FRIENDLY accepts the friendly
 * sources and logs the rest as `udp.in.foreign ` / `tcp.in.foreign ` before dropping it;
 * OUTPUT accepts established/related, then STDOUT (DNS, HTTP, HTTPS, ICMP, loopback), then logs
 * `udp.out.dropped ` / `tcp.out.dropped `; optional honeypot DNAT to another host.
 * @example guides.serverHardening({ friendly: ['10.137.0.0/24'], publicTcp: [8443], honeypot: { to: '172.17.0.4', port: 8022 } })
 */
export function serverHardening(options: ServerHardeningOptions): Preset {
  const o = optionsOf(options ?? null, 'guides.serverHardening() options');
  const friendly = stringList(o.friendly, 'guides.serverHardening() friendly', { nonEmpty: true });
  const friendlyTcp = o.friendlyTcp === undefined ? [22] : portList(o.friendlyTcp, 'guides.serverHardening() friendlyTcp');
  const publicTcp = portList(o.publicTcp, 'guides.serverHardening() publicTcp');
  const quiet = o.quietPorts === undefined ? [138] : portList(o.quietPorts, 'guides.serverHardening() quietPorts');
  const so = optionsOf(o.stdout, 'guides.serverHardening() stdout');
  for (const k of ['dns', 'http', 'https', 'icmp']) optBool(so[k], `guides.serverHardening() stdout.${k}`);
  const hp = o.honeypot === undefined || o.honeypot === false ? false : optionsOf(o.honeypot, 'guides.serverHardening() honeypot');
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const MALICIOUS = b.chain('MALICIOUS');
  const FRIENDLY = b.chain('FRIENDLY');
  const STDIN = b.chain('STDIN');
  const STDOUT = b.chain('STDOUT');
  const input = b.chain('input', { type: 'filter', hook: 'input', priority: PRIORITY.filter, policy: 'drop' });
  const fwd = b.chain('forward', { type: 'filter', hook: 'forward', priority: PRIORITY.filter, policy: 'drop' });
  const output = b.chain('output', { type: 'filter', hook: 'output', priority: PRIORITY.filter, policy: 'drop' });

  b.rule(input, 'INPUT related,established', ctState('established', 'related'), counter(), accept());
  b.rule(input, 'INPUT to MALICIOUS', counter(), jump(MALICIOUS));
  b.rule(input, 'INPUT to STDIN', counter(), jump(STDIN));
  b.final(input, 'tcp.in.dropped', l4proto('tcp'), counter(), log({ prefix: 'tcp.in.dropped ' }));
  b.rule(input, 'udp.in.dropped', l4proto('udp'), counter(), log({ prefix: 'udp.in.dropped ' }));
  b.rule(input, 'INPUT drop', counter(), drop());

  b.rule(output, 'OUTPUT related,established', ctState('established', 'related'), counter(), accept());
  b.rule(output, 'OUTPUT to STDOUT', counter(), jump(STDOUT));
  b.final(output, 'udp.out.dropped', l4proto('udp'), counter(), log({ prefix: 'udp.out.dropped ' }));
  b.rule(output, 'tcp.out.dropped', l4proto('tcp'), counter(), log({ prefix: 'tcp.out.dropped ' }));
  b.rule(output, 'OUTPUT drop', counter(), drop());

  for (const [i, set] of splitFamilies(friendly).entries()) b.rule(FRIENDLY, `[known-friendly network]${i ? ' v6' : ''}`, saddr(set), counter(), accept());
  b.final(FRIENDLY, 'udp.in.foreign', l4proto('udp'), counter(), log({ prefix: 'udp.in.foreign ' }));
  b.rule(FRIENDLY, 'tcp.in.foreign', l4proto('tcp'), counter(), log({ prefix: 'tcp.in.foreign ' }));
  b.rule(FRIENDLY, 'FRIENDLY drop', counter(), drop());

  b.rule(MALICIOUS, 'MALICIOUS invalid', ctState('invalid'), counter(), drop());
  b.rule(MALICIOUS, '[malicious packet patterns] fin,syn', tcpFlags(['fin', 'syn'], { mask: ['fin', 'syn'] }), counter(), drop());
  b.rule(MALICIOUS, '[malicious packet patterns] syn,rst', tcpFlags(['syn', 'rst'], { mask: ['syn', 'rst'] }), counter(), drop());
  if (quiet.length > 0) {
    b.rule(MALICIOUS, '[unwanted netbios] tcp', tcpDport(quiet), counter(), drop());
    b.rule(MALICIOUS, '[unwanted netbios] udp', udpDport(quiet), counter(), drop());
  }

  // Not in the guide, whose INPUT drops loopback traffic (see the docs).
  b.rule(STDIN, 'Permit loopback traffic in', iifname('lo'), counter(), accept());
  if (friendlyTcp.length > 0) b.rule(STDIN, 'sshd standard port', tcpDport(friendlyTcp), counter(), jump(FRIENDLY));
  if (o.friendlyIcmp !== false) b.rule(STDIN, 'icmp to FRIENDLY', l4proto('icmp'), counter(), jump(FRIENDLY));
  if (publicTcp.length > 0) b.rule(STDIN, 'mineos webui', tcpDport(publicTcp), counter(), accept());

  if (so.dns !== false) b.rule(STDOUT, 'allow outbound dns', udpDport(53), counter(), accept());
  if (so.http !== false) b.rule(STDOUT, 'allow outbound http', tcpDport(80), counter(), accept());
  if (so.https !== false) b.rule(STDOUT, 'allow outbound https', tcpDport(443), counter(), accept());
  if (so.icmp !== false) b.rule(STDOUT, 'allow outbound icmp', l4proto('icmp'), counter(), accept());
  b.rule(STDOUT, 'Permit loopback traffic', oifname('lo'), counter(), accept());

  if (hp) {
    const to = str(hp.to, 'guides.serverHardening() honeypot.to');
    const hport = port(hp.port, 'guides.serverHardening() honeypot.port');
    const ssh = hp.sshPort === undefined ? 22 : port(hp.sshPort, 'guides.serverHardening() honeypot.sshPort');
    const pre = b.chain('nat_prerouting', { type: 'nat', hook: 'prerouting', priority: PRIORITY.dstnat, policy: 'accept' });
    const v4 = friendly.filter((a) => !a.includes(':'));
    b.rule(pre, 'honeypot', ...(v4.length ? [saddr(v4, '!=')] : []), tcpDport(ssh), counter(), dnat({ addr: to, port: hport }));
    // The forward path the guide leaves to docker's own rules (see the docs).
    b.rule(fwd, 'honeypot forward established', ctState('established', 'related'), counter(), accept());
    b.rule(fwd, 'honeypot forward', daddr(to), tcpDport(hport), ctStatus('dnat'), counter(), accept());
  }
  return b.build();
}

const splitFamilies = (a: readonly string[]): string[][] => [a.filter((x) => !x.includes(':')), a.filter((x) => x.includes(':'))].filter((x) => x.length > 0);

// ---------------------------------------------------------------------------------------------
// 002: "Simple stateful firewall" (Arch wiki)

export interface SimpleStatefulOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** Ports opened in the TCP chain. @default [] */
  readonly tcpPorts?: readonly (number | string)[];
  /** Ports opened in the UDP chain. @default [] */
  readonly udpPorts?: readonly (number | string)[];
  /** "Tricking port scanners": the TCP-PORTSCAN / UDP-PORTSCAN lists, 60 s. @default true */
  readonly trap?: boolean;
  /** "Bruteforce attacks": the IN_SSH limits (3 per 10 s, 4 per 30 min) on these ports. @default [22]; false disables */
  readonly bruteForce?: readonly (number | string)[] | false;
  /** "Setting up a NAT gateway": omitted for a single machine. */
  readonly nat?: {
    /** The outgoing interface (the guide's `ppp0`). */
    readonly wan: string;
    /** The LAN interfaces and their subnets (`eth0` 192.168.0.0/24, `eth1` 10.3.0.0/16). */
    readonly lans: readonly { readonly iface: string; readonly subnet: string }[];
    /** Port forwards (`--dport 8000 -j DNAT --to 192.168.0.6:80`). @default [] */
    readonly forwards?: readonly { readonly port: number; readonly to: string; readonly toPort?: number; readonly protocol?: 'tcp' | 'udp' }[];
  };
}

/**
 * Guide 002: INPUT policy drop with established/related, loopback, invalid, ping (new echo
 * requests), the SSH brute-force limits, new UDP to the UDP chain and new SYNs to the TCP chain,
 * the port-scan traps, then rejects like Linux (TCP reset, ICMP port unreachable, protocol
 * unreachable; over IPv6 admin-prohibited); IPv6 link-local ICMPv6 and DHCPv6; FORWARD policy
 * drop; OUTPUT accept. With `nat`: FORWARD through fw-interfaces and fw-open, rejected with host
 * unreachable otherwise, masquerade out of the WAN, DNAT port forwards.
 * @example guides.simpleStateful({ tcpPorts: [22, 80, 443], udpPorts: [53], nat: { wan: 'ppp0', lans: [{ iface: 'eth0', subnet: '192.168.0.0/24' }] } })
 */
export function simpleStateful(options: SimpleStatefulOptions = {}): Preset {
  const o = optionsOf(options, 'guides.simpleStateful() options');
  optBool(o.trap, 'guides.simpleStateful() trap');
  const bf = o.bruteForce === false ? false : o.bruteForce === undefined ? [22] : portList(o.bruteForce, 'guides.simpleStateful() bruteForce');
  const table = options.table ? { table: options.table } : {};
  const host = hostFirewall({
    ...table,
    chains: { tcp: 'TCP', udp: 'UDP' },
    tcpPorts: options.tcpPorts ?? [],
    udpPorts: options.udpPorts ?? [],
    trap: options.trap ?? true,
    ...(bf ? { bruteForce: { ports: bf, logPrefix: 'iptables deny: ' } } : {}),
    ipv6: { linkLocalIcmp: true },
    closed: { udp6: 'admin-prohibited' },
  });
  if (o.nat === undefined) return host;
  const n = optionsOf(o.nat, 'guides.simpleStateful() nat');
  const lans = objectList(n.lans, 'guides.simpleStateful() nat.lans');
  lans.forEach((l, i) => {
    str(l.iface, `guides.simpleStateful() nat.lans[${i}].iface`);
    str(l.subnet, `guides.simpleStateful() nat.lans[${i}].subnet`);
  });
  const nat = options.nat as NonNullable<SimpleStatefulOptions['nat']>;
  return composePresets(
    host,
    natGateway({
      ...table,
      wan: nat.wan,
      lan: nat.lans.map((l) => l.iface),
      lanSubnets: nat.lans.map((l) => l.subnet),
      forwards: nat.forwards ?? [],
      guideChains: {},
    }),
  );
}
