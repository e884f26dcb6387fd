// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Guide 002 ("Simple stateful firewall", Arch wiki): guides.simpleStateful(), proven with
 * packets: the single machine between two namespaces (one client address per test that may land
 * a source on a port-scan list), then the NAT gateway in a router namespace.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { natTopology, pairTopology, type NatTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { guides, logToGroup, presetObjects } from '../../lib/presets';
import { apply, captureNflog, listen, packets, probe, probe1, until } from './util';

assertPrivateNetns();

describe('packets: guide 002, guides.simpleStateful() (single machine)', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];
  const S = (): string => topo.addr.server;

  before(async () => {
    topo = pairTopology();
    for (const a of ['198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7', '198.51.100.8']) topo.client.exec(['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    nft = await Nftables.open({ netns: topo.server.path });
    procs.push(await listen(topo.server, { name: 'srv', tcp: [22, 80, 81], udp: [53, 54, 546] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [8080] }));
    await apply(nft, presetObjects(guides.simpleStateful({ tcpPorts: [22, 80], udpPorts: [53] })));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('the TCP and UDP chains open the listed ports; replies pass as RELATED,ESTABLISHED', async () => {
    const [tcp, udp] = probe(topo.client, [
      { kind: 'connect', dst: S(), port: 80 },
      { kind: 'udpsock', dst: S(), dport: 53 },
    ]);
    assert.deepEqual([tcp?.result, udp?.result], ['open', 'reply']);
    assert.equal(await packets(nft, 'host: open tcp'), 1n);
    assert.equal(await packets(nft, 'host: open udp'), 1n);
    assert.ok((await packets(nft, 'host: established')) >= 1n);
  });

  it('OUTPUT policy accept: the machine opens connections anywhere', () => {
    assert.equal(probe1(topo.server, { kind: 'connect', dst: topo.addr.client, port: 8080 }).result, 'open');
  });

  it('loopback accepted; INVALID dropped', async () => {
    assert.equal(probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 81 }).result, 'open');
    const r = probe1(topo.client, { kind: 'tcp', dst: S(), dport: 22, flags: 'F', sport: 45000, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'host: invalid'), 1n);
  });

  it('new echo requests accepted, over IPv4 and IPv6', async () => {
    const [v4, v6] = probe(topo.client, [
      { kind: 'icmp', dst: S() },
      { kind: 'icmp', dst: topo.addr.server6 },
    ]);
    assert.deepEqual([v4?.type, v6?.type], [0, 129]);
    assert.equal(await packets(nft, 'host: ping'), 1n);
    assert.equal(await packets(nft, 'host: ping6'), 1n);
  });

  it('Bruteforce attacks: the 4th new SSH connection within 10 s is logged and dropped', async () => {
    const rs = probe(topo.client, [1, 2, 3, 4].map(() => ({ kind: 'connect' as const, dst: S(), port: 22, src: '198.51.100.5', timeout: 1 })));
    assert.deepEqual(rs.map((r) => r.result), ['open', 'open', 'open', 'timeout']);
    assert.ok((await packets(nft, 'host: brute force short v4')) >= 1n);
  });

  it('Bruteforce attacks, the long window: 4 new SSH connections per 30 minutes, whatever the short window allows', async () => {
    // Crafted SYNs, one per source port (a socket's retransmitted SYN could spend a second token).
    let sport = 45100;
    const syn = (): string => probe1(topo.client, { kind: 'tcp', dst: S(), dport: 22, src: '198.51.100.7', sport: sport++, timeout: 0.7 }).flags ?? 'none';
    const first = probe1(topo.client, { kind: 'tcp', dst: S(), dport: 22, src: '198.51.100.7', sport, count: 3, timeout: 0.7 });
    sport += 3;
    assert.deepEqual([first.flags, first.count], ['SA', 3]);
    const long0 = await packets(nft, 'host: brute force long v4');
    // The short window (3 per 10 s) refills one token every 3.3 s: the 4th connection passes...
    await until('the short window lets a 4th connection through', () => syn() === 'SA', 15000, 500);
    assert.equal(await packets(nft, 'host: brute force long v4'), long0, 'the long window allowed the 4th');
    // ...and the 5th, allowed by the short window once it refills again, is dropped by the long one.
    await until('the long window drops a connection', async () => syn() === 'none' && (await packets(nft, 'host: brute force long v4')) > long0, 15000, 1100);
  });

  it('IPv6: DHCPv6 replies (udp 547 -> 546) accepted between link-local addresses only', async () => {
    const ll = /inet6 (fe80::[0-9a-f:]+)\//.exec(topo.server.exec(['ip', '-6', 'addr', 'show', 'dev', topo.serverIf, 'scope', 'link']))?.[1];
    assert.ok(ll, 'server link-local address');
    const [linkLocal, global] = probe(topo.client, [
      { kind: 'udpsock', dst: ll, dport: 546, sport: 547, iface: topo.clientIf },
      { kind: 'udp', dst: topo.addr.server6, dport: 546, sport: 547 },
    ]);
    assert.deepEqual([linkLocal?.result, linkLocal?.line?.split(' ').slice(0, 2)], ['reply', ['srv', '546']]);
    assert.equal(await packets(nft, 'host: dhcpv6 client'), 1n);
    assert.deepEqual([global?.reply, global?.type, global?.code], ['icmpv6', 1, 1], 'a global source goes the UDP chain way: admin-prohibited');
  });

  it('SYN scans: a closed port gets a reset, then the source is on TCP-PORTSCAN and an open port answers with a reset too', async () => {
    const [closed, open] = probe(topo.client, [
      { kind: 'tcp', dst: S(), dport: 81, src: '198.51.100.3', sport: 45010 },
      { kind: 'tcp', dst: S(), dport: 80, src: '198.51.100.3', sport: 45011 },
    ]);
    assert.deepEqual([closed?.flags, open?.flags], ['RA', 'RA']);
    assert.equal(await packets(nft, 'host: trap tcp v4'), 1n);
    assert.equal(await packets(nft, 'host: trapped tcp v4'), 1n);
  });

  it('UDP scans: a closed port gets ICMP port unreachable, then an open port too', async () => {
    const [closed, open] = probe(topo.client, [
      { kind: 'udp', dst: S(), dport: 54, src: '198.51.100.4', sport: 45020 },
      { kind: 'udp', dst: S(), dport: 53, src: '198.51.100.4', sport: 45021 },
    ]);
    assert.deepEqual([closed?.type, closed?.code, open?.type, open?.code], [3, 3, 3, 3]);
    assert.equal(await packets(nft, 'host: trapped udp v4'), 1n);
  });

  it('other protocols: ICMP protocol unreachable (IPv4), ICMPv6 admin-prohibited (IPv6)', async () => {
    const [v4, v6] = probe(topo.client, [
      { kind: 'ip', dst: S(), proto: 253 },
      { kind: 'ip', dst: topo.addr.server6, proto: 50 },
    ]);
    assert.deepEqual([v4?.type, v4?.code, v6?.type, v6?.code], [3, 2, 1, 1]);
  });

  it('IPv6: a closed UDP port is rejected with ICMPv6 admin-prohibited (the guide ip6tables file)', async () => {
    const r = probe1(topo.client, { kind: 'udp', dst: topo.addr.server6, dport: 54, sport: 45030 });
    assert.deepEqual([r.reply, r.type, r.code], ['icmpv6', 1, 1]);
  });

  it('IPv6: ICMPv6 from link-local sources accepted regardless of state (an echo between link-local addresses)', async () => {
    const ll = (n: typeof topo.client, dev: string): string | undefined => /inet6 (fe80::[0-9a-f:]+)\//.exec(n.exec(['ip', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link']))?.[1];
    const [src, dst] = [ll(topo.client, topo.clientIf), ll(topo.server, topo.serverIf)];
    assert.ok(src && dst, 'link-local addresses');
    const r = probe1(topo.client, { kind: 'ping', dst, src, iface: topo.clientIf });
    assert.equal(await packets(nft, 'host: icmpv6 from link-local'), 1n);
    assert.deepEqual([r.reply, r.type], ['icmpv6', 129]);
  });

  it('ACK scans: a lone ACK is answered with a reset (not a SYN, so never in the TCP chain)', async () => {
    const before = await packets(nft, 'host: new tcp');
    const r = probe1(topo.client, { kind: 'tcp', dst: S(), dport: 80, flags: 'A', src: '198.51.100.6', sport: 45040 });
    assert.deepEqual([r.reply, r.flags], ['tcp', 'R']);
    assert.equal(await packets(nft, 'host: new tcp'), before, 'the ACK never jumped to the TCP chain');
  });

  it('log line (read from an nflog group with logToGroup): the dropped brute-force attempt is logged "iptables deny: "', async () => {
    await apply(nft, presetObjects(logToGroup(guides.simpleStateful({ tcpPorts: [22, 80], udpPorts: [53] }), 5)));
    const cap = await captureNflog(topo.server, 5);
    const r = probe1(topo.client, { kind: 'tcp', dst: S(), dport: 22, src: '198.51.100.8', sport: 45200, count: 4, timeout: 0.7 });
    const recs = await cap.stop();
    assert.equal(r.count, 3);
    assert.deepEqual(recs.map((x) => [x.prefix, x.protocol]), [['iptables deny: ', 6]]);
  });
});

describe('packets: guide 002, guides.simpleStateful() NAT gateway (fw-interfaces / fw-open)', function () {
  let topo: NatTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];

  before(async () => {
    topo = natTopology();
    topo.wanHost.exec(['ip', 'route', 'add', '10.77.0.0/24', 'via', topo.addr.routerWan]);
    nft = await Nftables.open({ netns: topo.router.path });
    procs.push(await listen(topo.lanHost, { name: 'lan', tcp: [22, 80] }));
    procs.push(await listen(topo.wanHost, { name: 'wan', tcp: [80] }));
    await apply(
      nft,
      presetObjects(
        guides.simpleStateful({
          nat: { wan: topo.wanIf, lans: [{ iface: topo.lanIf, subnet: '10.77.0.0/24' }], forwards: [{ port: 22, to: topo.addr.lanHost }, { port: 8000, to: topo.addr.lanHost, toPort: 80 }] },
        }),
      ),
    );
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('fw-interfaces: LAN machines reach the internet, masqueraded behind the WAN address', async () => {
    const r = probe1(topo.lanHost, { kind: 'connect', dst: topo.addr.wanHost, port: 80 });
    assert.deepEqual([r.result, r.line], ['open', 'wan 80 203.0.113.1']);
    assert.ok((await packets(nft, 'nat: interface 0')) >= 1n);
    assert.equal(await packets(nft, 'nat: masquerade v4'), 1n);
  });

  it('fw-open: SSH on the WAN goes to 192.168.0.5 (here the LAN host); port 8000 to its port 80', async () => {
    const [ssh, web] = probe(topo.wanHost, [
      { kind: 'connect', dst: topo.addr.routerWan, port: 22 },
      { kind: 'connect', dst: topo.addr.routerWan, port: 8000 },
    ]);
    assert.deepEqual([ssh?.line, web?.line], ['lan 22 203.0.113.2', 'lan 80 203.0.113.2']);
    assert.ok((await packets(nft, 'nat: port forward 0 open')) >= 1n);
    assert.ok((await packets(nft, 'nat: port forward 1 open')) >= 1n);
  });

  it('fw-open matches destination and port only (no ct status dnat), as the guide: a WAN host routed to the LAN reaches the opened port directly', () => {
    const r = probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.lanHost, port: 80 });
    assert.deepEqual([r.result, r.line], ['open', 'lan 80 203.0.113.2']);
  });

  it('the remaining forwarded packets are rejected with ICMP host unreachable', async () => {
    const r = probe1(topo.wanHost, { kind: 'tcp', dst: topo.addr.lanHost, dport: 23, sport: 45100 });
    assert.deepEqual([r.reply, r.type, r.code], ['icmp', 3, 1]);
    assert.equal(await packets(nft, 'nat: forward reject'), 1n);
  });
});
