// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Network namespace topologies for packet tests: a client and a server joined by a veth pair,
 * or a LAN host, a NAT router and a WAN host. Names are unique per test run; destroy() removes
 * every namespace (and with it every veth end and process-free socket) it created.
 *
 * The links are quiet (see QUIET_IPV6): apart from the MLD reports for the addresses configured
 * here, which leave within some 50 ms of the links coming up, the kernel sends nothing on them by
 * itself, so rule counters move only with the packets a test sends.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from './netns';

let seq = 0;
const run = (args: readonly string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** One namespace of a topology. */
export class Node {
  constructor(readonly name: string) {}
  /** Path for Nftables.open({ netns }). */
  get path(): string {
    return `/run/netns/${this.name}`;
  }
  /** Runs a command in the namespace; returns stdout (throws with stderr on failure). */
  exec(args: readonly string[], input?: string): string {
    try {
      return execFileSync('ip', ['netns', 'exec', this.name, ...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60000 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`[${this.name}] ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
    }
  }
  /** Starts a long-running command in the namespace. */
  spawn(args: readonly string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

export interface PairTopology {
  readonly client: Node;
  readonly server: Node;
  /** Interface names inside each namespace. */
  readonly clientIf: string;
  readonly serverIf: string;
  readonly addr: { readonly client: string; readonly server: string; readonly client6: string; readonly server6: string };
  destroy(): void;
}

export interface NatTopology {
  readonly lanHost: Node;
  readonly router: Node;
  readonly wanHost: Node;
  readonly lanIf: string;
  readonly wanIf: string;
  readonly addr: { readonly lanHost: string; readonly routerLan: string; readonly routerWan: string; readonly wanHost: string };
  /** With `natTopology({ ipv6: true })`: the IPv6 addresses (LAN 2001:db8:77::/64, WAN 2001:db8:113::/64). */
  readonly addr6?: { readonly lanHost: string; readonly routerLan: string; readonly routerWan: string; readonly wanHost: string };
  destroy(): void;
}

function prefix(): string {
  seq += 1;
  return `nftt${process.pid % 100000}x${seq}`;
}

/**
 * IPv6 settings of every namespace, written to `all` and `default` before any veth end moves in
 * (a device entering a namespace gets a fresh copy of its `default`). Left at the kernel's
 * defaults, each end sends by itself, at moments no test controls, packets that its own output
 * chains and the peer's prerouting chains count (the peer's input does not see them: it has not
 * joined ff02::2 or ff02::16):
 * - DAD: a neighbour solicitation from :: for each new address (RFC 4862 5.4);
 * - router solicitations at link up and, with no router answering, again after about 4, 12,
 *   28, 60 s... for ever (router_solicitations -1: RFC 7559 backoff);
 * - MLDv2 reports to ff02::16 for the solicited-node groups, repeated up to 1 s later (RFC 3810
 *   robustness). They cannot be switched off short of disabling IPv6, but with an interval of 0
 *   the repeats follow at once (measured: 6 per end, the last 20-50 ms after pairTopology()
 *   returns, before the suites here have started their listeners and committed a ruleset;
 *   presets-oracle, which commits at once, lists without counter values).
 */
const QUIET_IPV6: Readonly<Record<string, number>> = {
  accept_dad: 0,
  dad_transmits: 0,
  router_solicitations: 0,
  mldv1_unsolicited_report_interval: 0,
  mldv2_unsolicited_report_interval: 0,
};

/** `sh -c` script writing these per-namespace IPv6 settings to conf/all and conf/default. */
function ipv6Settings(settings: Readonly<Record<string, number>>): string {
  return Object.entries(settings)
    .flatMap(([key, value]) => ['all', 'default'].map((conf) => `echo ${value} > /proc/sys/net/ipv6/conf/${conf}/${key}`))
    .join(' && ');
}

/** Creates one namespace per role; `ipv6: false` disables IPv6 in them (no link-local address, no ND, no MLD). */
function makeNodes(base: string, roles: readonly string[], options: { ipv6: boolean }): Node[] {
  assertPrivateNetns();
  const nodes: Node[] = [];
  try {
    for (const r of roles) {
      const n = new Node(`${base}-${r}`);
      run(['ip', 'netns', 'add', n.name]);
      nodes.push(n);
      n.exec(['ip', 'link', 'set', 'lo', 'up']);
      // /proc/sys/net shows the namespace of the writing process (no dependency on procps' sysctl).
      n.exec(['sh', '-c', ipv6Settings(options.ipv6 ? QUIET_IPV6 : { disable_ipv6: 1 })]);
    }
  } catch (err) {
    destroyNodes(nodes);
    throw err;
  }
  return nodes;
}

function destroyNodes(nodes: readonly Node[]): void {
  for (const n of nodes) {
    try {
      // Kill what still runs inside, then delete the namespace (its veth ends go with it).
      const pids = run(['ip', 'netns', 'pids', n.name]).split('\n').filter(Boolean);
      for (const p of pids) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      run(['ip', 'netns', 'del', n.name]);
    } catch {
      /* already removed */
    }
  }
}

/** Links two namespaces with a veth pair named ifA (in a) and ifB (in b). */
function link(a: Node, ifA: string, b: Node, ifB: string, tmp: string): void {
  run(['ip', 'link', 'add', `${tmp}a`, 'type', 'veth', 'peer', 'name', `${tmp}b`]);
  run(['ip', 'link', 'set', `${tmp}a`, 'netns', a.name]);
  run(['ip', 'link', 'set', `${tmp}b`, 'netns', b.name]);
  a.exec(['ip', 'link', 'set', `${tmp}a`, 'name', ifA]);
  b.exec(['ip', 'link', 'set', `${tmp}b`, 'name', ifB]);
  a.exec(['ip', 'link', 'set', ifA, 'up']);
  b.exec(['ip', 'link', 'set', ifB, 'up']);
}

/**
 * client (198.51.100.2, 2001:db8:1::2, interface `eth0`) <-> server (198.51.100.1,
 * 2001:db8:1::1, interface `ext0`). Documentation prefixes, so no bogon rule matches them.
 */
export function pairTopology(): PairTopology {
  const base = prefix();
  const [client, server] = makeNodes(base, ['c', 's'], { ipv6: true }) as [Node, Node];
  const nodes = [client, server];
  try {
    link(client, 'eth0', server, 'ext0', `${base}v`);
    client.exec(['ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
    server.exec(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'ext0']);
    client.exec(['ip', '-6', 'addr', 'add', '2001:db8:1::2/64', 'dev', 'eth0', 'nodad']);
    server.exec(['ip', '-6', 'addr', 'add', '2001:db8:1::1/64', 'dev', 'ext0', 'nodad']);
  } catch (err) {
    destroyNodes(nodes);
    throw err;
  }
  return {
    client,
    server,
    clientIf: 'eth0',
    serverIf: 'ext0',
    addr: { client: '198.51.100.2', server: '198.51.100.1', client6: '2001:db8:1::2', server6: '2001:db8:1::1' },
    destroy: () => destroyNodes(nodes),
  };
}

/**
 * lanHost (10.77.0.2) <-lan0/eth0-> router (10.77.0.1 | 203.0.113.1) <-wan0/eth0-> wanHost
 * (203.0.113.2). The LAN host routes by default through the router; the WAN host has no route
 * to the LAN, so only NAT can connect them. Forwarding is enabled in the router. IPv4 only by
 * default: IPv6 is disabled in all three namespaces, so the links carry no IPv6 at all. With
 * `ipv6: true` the links also carry IPv6 (quiet settings as in pairTopology), routed and forwarded
 * by the router: LAN 2001:db8:77::/64, WAN 2001:db8:113::/64, both hosts routed through it.
 */
export function natTopology(options: { readonly ipv6?: boolean } = {}): NatTopology {
  const base = prefix();
  const v6 = options.ipv6 === true;
  const [lanHost, router, wanHost] = makeNodes(base, ['l', 'r', 'w'], { ipv6: v6 }) as [Node, Node, Node];
  const nodes = [lanHost, router, wanHost];
  try {
    link(lanHost, 'eth0', router, 'lan0', `${base}l`);
    link(wanHost, 'eth0', router, 'wan0', `${base}w`);
    lanHost.exec(['ip', 'addr', 'add', '10.77.0.2/24', 'dev', 'eth0']);
    router.exec(['ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'lan0']);
    router.exec(['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'wan0']);
    wanHost.exec(['ip', 'addr', 'add', '203.0.113.2/24', 'dev', 'eth0']);
    lanHost.exec(['ip', 'route', 'add', 'default', 'via', '10.77.0.1']);
    router.exec(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    if (v6) {
      lanHost.exec(['ip', '-6', 'addr', 'add', '2001:db8:77::2/64', 'dev', 'eth0', 'nodad']);
      router.exec(['ip', '-6', 'addr', 'add', '2001:db8:77::1/64', 'dev', 'lan0', 'nodad']);
      router.exec(['ip', '-6', 'addr', 'add', '2001:db8:113::1/64', 'dev', 'wan0', 'nodad']);
      wanHost.exec(['ip', '-6', 'addr', 'add', '2001:db8:113::2/64', 'dev', 'eth0', 'nodad']);
      lanHost.exec(['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:77::1']);
      wanHost.exec(['ip', '-6', 'route', 'add', '2001:db8:77::/64', 'via', '2001:db8:113::1']);
      router.exec(['sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding']);
    }
  } catch (err) {
    destroyNodes(nodes);
    throw err;
  }
  return {
    lanHost,
    router,
    wanHost,
    lanIf: 'lan0',
    wanIf: 'wan0',
    addr: { lanHost: '10.77.0.2', routerLan: '10.77.0.1', routerWan: '203.0.113.1', wanHost: '203.0.113.2' },
    ...(v6 ? { addr6: { lanHost: '2001:db8:77::2', routerLan: '2001:db8:77::1', routerWan: '2001:db8:113::1', wanHost: '2001:db8:113::2' } } : {}),
    destroy: () => destroyNodes(nodes),
  };
}
