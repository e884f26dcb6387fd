// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Guide 000 ("Netfilter"): guides.netfilterHardening(), proven with crafted packets, an nmap OS
 * detection run (the guide's threat model: probes with MSS 265) and forwarded traffic through a
 * router namespace. Counters of the rule that decided prove each drop.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { natTopology, pairTopology, type NatTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { guides, logToGroup, presetObjects } from '../../lib/presets';
import type { SetSpec } from '../../lib/model/types';
import { apply, captureNflog, listen, packets, probe, probe1, type NflogRecord } from './util';

assertPrivateNetns();

describe('packets: guide 000, guides.netfilterHardening()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];
  const dst = (): string => topo.addr.server;

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    procs.push(await listen(topo.server, { name: 'srv', tcp: [22, 81] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [80], udp: [53] }));
    await apply(nft, presetObjects(guides.netfilterHardening({ external: topo.serverIf, tcpPorts: [22], outbound: { dns: [topo.addr.client] } })));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('serves the allowed port; a SYN with MSS 536 (the lowest allowed) is answered', () => {
    assert.deepEqual(Object.values(probe1(topo.client, { kind: 'connect', dst: dst(), port: 22 })), ['open', 'srv 22 198.51.100.2']);
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, mss: 536, sport: 42000 });
    assert.deepEqual([r.reply, r.flags], ['tcp', 'SA']);
  });

  it('INPUT default deny: a closed port gets no answer; the packet is logged "INPUT bad " and dropped', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 81, sport: 42001, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'host: log'), 1n);
    assert.equal(await packets(nft, 'host: drop'), 1n);
  });

  it('OUTPUT default deny: only what is allowed leaves (DNS to the resolver); a new connection elsewhere is dropped', async () => {
    const [dns, web] = probe(topo.server, [
      { kind: 'udpsock', dst: topo.addr.client, dport: 53 },
      { kind: 'connect', dst: topo.addr.client, port: 80, timeout: 1 },
    ]);
    assert.deepEqual([dns?.result, dns?.line], ['reply', 'peer 53 198.51.100.1']);
    assert.equal(web?.result, 'timeout');
    assert.ok((await packets(nft, 'outbound: drop')) >= 1n);
  });

  it('PREROUTING: INVALID dropped (a FIN out of nowhere)', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, flags: 'F', sport: 42002, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: invalid'), 1n);
  });

  it('PREROUTING: NEW TCP without a bare SYN dropped (ACK, SYN+PSH, SYN+URG)', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'A', sport: 42003, timeout: 0.7 },
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SP', sport: 42004, timeout: 0.7 },
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SU', sport: 42005, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none', 'none']);
    assert.equal(await packets(nft, 'sanity: new tcp without syn'), 3n);
  });

  it('PREROUTING: a SYN with an MSS below 536 or without the MSS option dropped', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, mss: 535, sport: 42006, timeout: 0.7 },
      { kind: 'tcp', dst: dst(), dport: 22, mss: null, sport: 42007, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none']);
    assert.equal(await packets(nft, 'sanity: small mss'), 1n);
    assert.equal(await packets(nft, 'sanity: syn without mss'), 1n);
  });

  it('PREROUTING: TCP and UDP from source port 0 dropped', async () => {
    probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, sport: 0, timeout: 0.5 },
      { kind: 'udp', dst: dst(), dport: 53, sport: 0, timeout: 0.5 },
    ]);
    assert.equal(await packets(nft, 'sanity: tcp source port 0'), 1n);
    assert.equal(await packets(nft, 'sanity: udp source port 0'), 1n);
  });

  it('PREROUTING: blocklist sources dropped on the external interface only', async () => {
    const set: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'blocklist4', key: 'ipv4_addr', flags: ['interval'] };
    await nft.commit(nft.transaction().addElements(set, ['198.51.100.0/30']));
    try {
      assert.equal(probe1(topo.client, { kind: 'connect', dst: dst(), port: 22, timeout: 1 }).result, 'timeout');
      assert.ok((await packets(nft, 'sanity: blocklist4')) >= 1n);
      assert.equal(probe1(topo.server, { kind: 'connect', dst: dst(), port: 22 }).result, 'open', 'loopback from a listed address passes');
    } finally {
      await nft.commit(nft.transaction().deleteElements(set, ['198.51.100.0/30']));
    }
  });

  it('PREROUTING: blocklist6 sources dropped on the external interface (IPv6 works otherwise: neighbour discovery passes both ways)', async () => {
    assert.equal(probe1(topo.client, { kind: 'connect', dst: topo.addr.server6, port: 22 }).result, 'open');
    assert.ok((await packets(nft, 'outbound: nd')) >= 1n, 'the neighbour advertisement left through the output policy');
    const set: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'blocklist6', key: 'ipv6_addr', flags: ['interval'] };
    await nft.commit(nft.transaction().addElements(set, ['2001:db8:1::/126']));
    try {
      assert.equal(probe1(topo.client, { kind: 'connect', dst: topo.addr.server6, port: 22, timeout: 1 }).result, 'timeout');
      assert.ok((await packets(nft, 'sanity: blocklist6')) >= 1n);
    } finally {
      await nft.commit(nft.transaction().deleteElements(set, ['2001:db8:1::/126']));
    }
  });

  it("nmap OS detection (-O): its MSS 265 probes are dropped by the small-MSS rule while the SYN scan still finds port 22 open", async () => {
    const before = await packets(nft, 'sanity: small mss');
    const out = topo.client.exec(['nmap', '-n', '-Pn', '-O', '--max-retries', '1', '-p', '22,81', dst()]);
    assert.match(out, /22\/tcp\s+open/);
    const after = await packets(nft, 'sanity: small mss');
    assert.ok(after - before >= 6n, `small-MSS drops during the scan: ${String(after - before)}\n${out}`);
    assert.doesNotMatch(out, /OS details:/, 'nmap names no OS');
  });
});

describe('packets: guide 000, INPUT rules without the PREROUTING ones (prerouting: false)', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;
  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22] });
    await apply(nft, presetObjects(guides.netfilterHardening({ external: topo.serverIf, tcpPorts: [22], prerouting: false })));
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('INPUT: NEW TCP without SYN logged "TCP INPUT without SYN " and dropped; INVALID dropped in INPUT', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: topo.addr.server, dport: 22, flags: 'SP', sport: 42100, timeout: 0.7 },
      { kind: 'tcp', dst: topo.addr.server, dport: 22, flags: 'F', sport: 42101, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none']);
    assert.equal(await packets(nft, 'host: new tcp without syn log'), 1n);
    assert.equal(await packets(nft, 'host: new tcp without syn'), 1n);
    assert.equal(await packets(nft, 'host: invalid'), 1n);
  });

  it('INPUT: loopback accepted; established replies accepted', async () => {
    assert.equal(probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 22 }).result, 'open');
    assert.ok((await packets(nft, 'host: loopback')) >= 1n);
    assert.equal(probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 22 }).result, 'open');
    assert.ok((await packets(nft, 'host: established')) >= 1n);
  });
});

describe('packets: guide 000, FORWARD (router namespace)', function () {
  let topo: NatTopology;
  let nft: Nftables;
  let lan: ChildProcess;
  before(async () => {
    topo = natTopology();
    topo.wanHost.exec(['ip', 'route', 'add', '10.77.0.0/24', 'via', topo.addr.routerWan]);
    nft = await Nftables.open({ netns: topo.router.path });
    lan = await listen(topo.lanHost, { name: 'lan', tcp: [22], udp: [53] });
    await apply(nft, presetObjects(guides.netfilterHardening({ external: topo.wanIf })));
  });
  after(async () => {
    lan?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('TTL below 5 arriving on the external interface: logged "TTL too short " (4/s) and dropped', async () => {
    const r = probe1(topo.wanHost, { kind: 'udp', dst: topo.addr.lanHost, dport: 53, ttl: 4, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: ttl log'), 1n);
    assert.equal(await packets(nft, 'sanity: ttl drop'), 1n);
  });

  it('the TTL filter applies to the external interface only: a LAN packet with TTL 4 is not counted by it', async () => {
    probe1(topo.lanHost, { kind: 'udp', dst: topo.addr.wanHost, dport: 53, ttl: 4, timeout: 0.5 });
    assert.equal(await packets(nft, 'sanity: ttl drop'), 1n);
  });

  it('FORWARD default deny: other forwarded traffic (TTL 64 from the WAN, a LAN host going out) is not passed', async () => {
    const [fromWan] = probe(topo.wanHost, [{ kind: 'udpsock', dst: topo.addr.lanHost, dport: 53, timeout: 1 }]);
    assert.equal(fromWan?.result, 'timeout');
    assert.equal(probe1(topo.lanHost, { kind: 'connect', dst: topo.addr.wanHost, port: 22, timeout: 1 }).result, 'timeout');
    assert.equal(await packets(nft, 'sanity: ttl drop'), 1n, 'not a TTL drop');
    assert.equal(await packets(nft, 'host: forward established'), 0n);
  });
});

/** The records of one prefix, as [family, protocol] pairs. */
const logged = (recs: readonly NflogRecord[], prefix: string): [number, number | undefined][] => recs.filter((r) => r.prefix === prefix).map((r) => [r.family, r.protocol]);

describe('packets: guide 000, log lines read from an nflog group (logToGroup)', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;
  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22] });
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('INPUT: everything else is logged with the prefix "INPUT bad "', async () => {
    await apply(nft, presetObjects(logToGroup(guides.netfilterHardening({ external: topo.serverIf, tcpPorts: [22] }), 5)));
    const cap = await captureNflog(topo.server, 5);
    probe(topo.client, [
      { kind: 'tcp', dst: topo.addr.server, dport: 81, sport: 42200, timeout: 0.5 },
      { kind: 'udp', dst: topo.addr.server, dport: 5000, sport: 42201, timeout: 0.5 },
    ]);
    const recs = await cap.stop();
    assert.deepEqual(logged(recs, 'INPUT bad '), [[2, 6], [2, 17]]);
  });

  it('INPUT (prerouting: false): NEW TCP without SYN is logged with the prefix "TCP INPUT without SYN "', async () => {
    await apply(nft, presetObjects(logToGroup(guides.netfilterHardening({ external: topo.serverIf, tcpPorts: [22], prerouting: false }), 5)));
    const cap = await captureNflog(topo.server, 5);
    probe1(topo.client, { kind: 'tcp', dst: topo.addr.server, dport: 22, flags: 'SP', sport: 42202, timeout: 0.5 });
    const recs = await cap.stop();
    assert.deepEqual(logged(recs, 'TCP INPUT without SYN '), [[2, 6]]);
    assert.deepEqual(logged(recs, 'INPUT bad '), [], 'dropped by its own rule, before the catch-all log');
  });
});

describe('packets: guide 000, FORWARD over IPv4 and IPv6 (router namespace, TTL and hop limit)', function () {
  let topo: NatTopology;
  let nft: Nftables;
  before(async () => {
    topo = natTopology({ ipv6: true });
    topo.wanHost.exec(['ip', 'route', 'add', '10.77.0.0/24', 'via', topo.addr.routerWan]);
    nft = await Nftables.open({ netns: topo.router.path });
    await apply(nft, presetObjects(logToGroup(guides.netfilterHardening({ external: topo.wanIf }), 6)));
  });
  after(async () => {
    await nft?.close();
    topo?.destroy();
  });

  it('a TTL or hop limit below 5 arriving on the external interface is logged "TTL too short " and dropped; hop limit 5 is not', async () => {
    const six = topo.addr6?.lanHost as string;
    const cap = await captureNflog(topo.router, 6);
    const [v4, v6, ok6] = probe(topo.wanHost, [
      { kind: 'udp', dst: topo.addr.lanHost, dport: 53, ttl: 4, timeout: 0.5 },
      { kind: 'udp', dst: six, dport: 53, ttl: 4, timeout: 0.5 },
      { kind: 'udp', dst: six, dport: 53, ttl: 5, timeout: 0.5 },
    ]);
    const recs = await cap.stop();
    assert.deepEqual([v4?.reply, v6?.reply, ok6?.reply], ['none', 'none', 'none'], 'the last one is dropped by the FORWARD policy instead');
    assert.deepEqual(logged(recs, 'TTL too short '), [[2, 17], [10, 17]]);
    assert.equal(await packets(nft, 'sanity: ttl drop'), 1n);
    assert.equal(await packets(nft, 'sanity: hoplimit log'), 1n);
    assert.equal(await packets(nft, 'sanity: hoplimit drop'), 1n);
  });

  it('the hop-limit filter applies to the external interface only', async () => {
    probe1(topo.lanHost, { kind: 'udp', dst: topo.addr6?.wanHost as string, dport: 53, ttl: 4, timeout: 0.5 });
    assert.equal(await packets(nft, 'sanity: hoplimit drop'), 1n);
  });
});
