// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Guide 004 ('"tight" iptables firewall for servers'): guides.tightServer(), proven with packets.
 * The server is 198.51.100.1 (OURIP); the client namespace holds the peers, one address each:
 * .2 DNS, NTP, repository and SSH source; .3 an allowed web server; .4 OTHERIP (SSH out) and
 * MAILIN; .5 a stranger allowed nothing.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { natTopology, pairTopology, type NatTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { guides, presetObjects } from '../../lib/presets';
import { apply, listen, packets, probe, probe1, until } from './util';

assertPrivateNetns();

const US = '198.51.100.1';
const PEER = '198.51.100.2';
const WEB = '198.51.100.3';
const OTHER = '198.51.100.4';
const STRANGER = '198.51.100.5';

describe('packets: guide 004, guides.tightServer()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];

  before(async () => {
    topo = pairTopology();
    for (const a of [WEB, OTHER, STRANGER]) topo.client.exec(['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    nft = await Nftables.open({ netns: topo.server.path });
    procs.push(await listen(topo.server, { name: 'srv', tcp: [22, 25, 80, 122, 443, 8080] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [22, 25, 53, 80, 443, 587], udp: [53] }));
    await apply(
      nft,
      presetObjects(
        guides.tightServer({
          ourIp: US,
          sshSources: [PEER],
          sshPort: 122,
          dnsServers: [PEER],
          ntpServers: [PEER],
          repositories: [PEER],
          webAllowed: [WEB],
          sshOut: [OTHER],
          mailOut: true,
          mailIn: [OTHER],
        }),
      ),
    );
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  const out = (dst: string, port: number) => ({ kind: 'connect' as const, dst, port, src: US, timeout: 1 });
  const inn = (src: string, port: number) => ({ kind: 'connect' as const, dst: US, port, src, timeout: 1 });

  it('anti-spoof: RFC 1918, link-local, 1.1.1.1 sources dropped, each by its own rule', async () => {
    const srcs = ['10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.1.1', '1.1.1.1'];
    probe(topo.client, srcs.map((src, i) => ({ kind: 'tcp' as const, dst: US, dport: 80, src, sport: 43000 + i, timeout: 0.3 })));
    for (const [i, net] of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '1.1.1.1'].entries()) {
      assert.equal(await packets(nft, `tight: spoofed source ${net}`), 1n, `${srcs[i] ?? ''}`);
    }
  });

  it('anti-spoof: limited broadcast and multicast destinations dropped', async () => {
    probe(topo.client, [
      { kind: 'udpsock', dst: '255.255.255.255', dport: 9, iface: 'eth0', broadcast: true, timeout: 0.3 },
      { kind: 'udpsock', dst: '224.0.0.1', dport: 9, iface: 'eth0', timeout: 0.3 },
    ]);
    assert.equal(await packets(nft, 'tight: bogon destination 255.255.255.255'), 1n);
    assert.equal(await packets(nft, 'tight: bogon destination 224.0.0.0/4'), 1n);
  });

  it('INVALID dropped (a FIN out of nowhere to a served port)', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: US, dport: 80, flags: 'F', sport: 43100, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'tight: invalid in'), 1n);
  });

  it('localhost connections are always allowed', async () => {
    assert.equal(probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 8080 }).result, 'open');
    assert.ok((await packets(nft, 'tight: loopback in')) >= 1n);
    assert.ok((await packets(nft, 'tight: loopback out')) >= 1n);
  });

  it('DNS to the trusted server over UDP and TCP; not to another server', async () => {
    const [udp, tcp, other] = probe(topo.server, [
      { kind: 'udpsock', dst: PEER, dport: 53, src: US },
      { kind: 'connect', dst: PEER, port: 53, src: US },
      { kind: 'udpsock', dst: STRANGER, dport: 53, src: US, timeout: 1 },
    ]);
    // A local socket whose packet the output chain drops gets EPERM from sendmsg().
    assert.deepEqual([udp?.result, tcp?.result, other?.result], ['reply', 'open', 'errno 1']);
    assert.equal(await packets(nft, 'tight: dns udp reply'), 1n);
    assert.ok((await packets(nft, 'tight: dns tcp reply')) >= 1n);
  });

  it('NTP to the allowed server; its ICMP destination unreachable (nothing listens on 123) is accepted', async () => {
    // A real socket (crafted packets leave through a packet socket, past the output hook).
    const r = probe1(topo.server, { kind: 'udpsock', dst: PEER, dport: 123, sport: 43200, src: US });
    assert.equal(r.result, 'refused', 'the ICMP port unreachable reached the socket');
    assert.equal(await packets(nft, 'tight: ntp out'), 1n);
    assert.equal(await packets(nft, 'tight: unreachable in'), 1n);
  });

  it('HTTP to the repository and the allowed web servers only (not HTTPS, not other hosts)', async () => {
    const [repo, repoTls, web, stranger] = probe(topo.server, [out(PEER, 80), out(PEER, 443), out(WEB, 80), out(STRANGER, 80)]);
    assert.deepEqual([repo?.result, repoTls?.result, web?.result, stranger?.result], ['open', 'timeout', 'open', 'timeout']);
    assert.ok((await packets(nft, 'tight: repository reply')) >= 1n);
    assert.ok((await packets(nft, 'tight: web reply')) >= 1n);
  });

  it('SSH in on the non-standard port from SSHIPS only; port 22 closed to everyone; no answer to others', async () => {
    const [ok, stranger, std] = probe(topo.client, [inn(PEER, 122), inn(STRANGER, 122), inn(PEER, 22)]);
    assert.deepEqual([ok?.result, ok?.line, stranger?.result, std?.result], ['open', 'srv 122 198.51.100.2', 'timeout', 'timeout']);
    assert.ok((await packets(nft, 'tight: ssh in reply')) >= 1n);
  });

  it('SSH out to OTHERIP only', async () => {
    const [other, peer] = probe(topo.server, [out(OTHER, 22), out(PEER, 22)]);
    assert.deepEqual([other?.result, peer?.result], ['open', 'timeout']);
  });

  it('mail out to any host on 25 only (587 stays closed)', async () => {
    const [mail, submission] = probe(topo.server, [out(STRANGER, 25), out(STRANGER, 587)]);
    assert.deepEqual([mail?.result, submission?.result], ['open', 'timeout']);
  });

  it('mail in from MAILIN only', async () => {
    const [ok, stranger] = probe(topo.client, [inn(OTHER, 25), inn(STRANGER, 25)]);
    assert.deepEqual([ok?.result, stranger?.result], ['open', 'timeout']);
    assert.ok((await packets(nft, 'tight: mail in reply')) >= 1n);
  });

  it('SERVICES (80, 443) from anywhere; other ports dropped silently (no reset)', async () => {
    const [http, https, closed] = probe(topo.client, [inn(STRANGER, 80), inn(STRANGER, 443), inn(STRANGER, 8080)]);
    assert.deepEqual([http?.result, https?.result, closed?.result], ['open', 'open', 'timeout']);
    const raw = probe1(topo.client, { kind: 'tcp', dst: US, dport: 8080, sport: 43300, timeout: 0.7 });
    assert.equal(raw.reply, 'none');
    assert.ok((await packets(nft, 'tight: drop in')) >= 2n);
  });

  it('ping in limited to 1/s (burst 5) as ping sends it (one id, ascending sequence), the excess dropped', async () => {
    const flood = probe1(topo.client, { kind: 'icmp', dst: US, count: 10, sameId: true, timeout: 1 });
    assert.ok(flood.count !== undefined && flood.count >= 1 && flood.count <= 5, `answers: ${String(flood.count)}`);
    assert.ok((await packets(nft, 'tight: ping in')) <= 6n);
    assert.ok((await packets(nft, 'tight: drop in')) >= BigInt(10 - 6));
    await until('a later ping is answered', () => probe1(topo.client, { kind: 'icmp', dst: US, timeout: 0.5 }).reply === 'icmp');
  });

  it('ping out, from our address, and its reply', async () => {
    await until('the ping-out bucket holds a token', () => probe1(topo.server, { kind: 'ping', dst: PEER, src: US, timeout: 0.5 }).reply === 'icmp');
    assert.ok((await packets(nft, 'tight: ping out')) >= 1n);
    assert.ok((await packets(nft, 'tight: ping out reply')) >= 1n);
  });

  it('destination unreachable out: a late DNS answer to a closed socket gets its port unreachable out', async () => {
    const q = probe1(topo.server, { kind: 'udpsock', dst: PEER, dport: 53, sport: 43400, src: US });
    assert.equal(q.result, 'reply');
    const r = probe1(topo.client, { kind: 'udp', dst: US, dport: 43400, sport: 53, src: PEER });
    assert.deepEqual([r.reply, r.type, r.code], ['icmp', 3, 3]);
    assert.equal(await packets(nft, 'tight: unreachable out'), 1n);
  });
});

describe('packets: guide 004, the rest of the anti-spoof rules, mail relay, no new connections from the served ports', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];

  before(async () => {
    topo = pairTopology();
    for (const a of [WEB, STRANGER]) topo.client.exec(['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    // Two of the guide's bogon destinations made local to the server, so that packets to them
    // reach its input hook (a router would forward them instead); the client routes them to it.
    for (const a of ['240.0.0.1', '1.1.1.1']) {
      topo.server.exec(['ip', 'addr', 'add', `${a}/32`, 'dev', 'ext0']);
      topo.client.exec(['ip', 'route', 'add', `${a}/32`, 'dev', 'eth0']);
    }
    nft = await Nftables.open({ netns: topo.server.path });
    // No listener on the served ports here: the last test binds its own sockets to them.
    procs.push(await listen(topo.server, { name: 'srv', tcp: [8080] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [25, 443, 8080] }));
    await apply(nft, presetObjects(guides.tightServer({ ourIp: US, mailRelay: [WEB] })));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('sources 240.0.0.0/5 and 0.0.0.0/8 dropped by their rules; a 224.0.0.0/4 source never reaches the input hook (Linux drops multicast sources as martians)', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: US, dport: 8080, src: '240.0.0.9', sport: 43500, timeout: 0.3 },
      { kind: 'tcp', dst: US, dport: 8080, src: '224.0.0.9', sport: 43501, timeout: 0.3 },
      { kind: 'tcp', dst: US, dport: 8080, src: '0.0.0.9', sport: 43502, timeout: 0.3 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none', 'none']);
    assert.equal(await packets(nft, 'tight: spoofed source 240.0.0.0/5'), 1n);
    assert.equal(await packets(nft, 'tight: spoofed source 0.0.0.0/8'), 1n);
    assert.equal(await packets(nft, 'tight: spoofed source 224.0.0.0/4'), 0n, 'a multicast source is a martian: routing drops it first');
    assert.equal(await packets(nft, 'tight: drop in'), 0n, 'nothing else saw them');
  });

  it('destinations 240.0.0.0/5 and 1.1.1.1 dropped by their rules', async () => {
    const [classE, one] = probe(topo.client, [
      { kind: 'connect', dst: '240.0.0.1', port: 8080, timeout: 1 },
      { kind: 'connect', dst: '1.1.1.1', port: 8080, timeout: 1 },
    ]);
    assert.deepEqual([classE?.result, one?.result], ['timeout', 'timeout']);
    assert.ok((await packets(nft, 'tight: bogon destination 240.0.0.0/5')) >= 1n);
    assert.ok((await packets(nft, 'tight: bogon destination 1.1.1.1')) >= 1n);
    // The same port on our own address is closed too, but by the final drop, not a bogon rule.
    assert.equal(probe1(topo.client, { kind: 'connect', dst: US, port: 8080, timeout: 0.5 }).result, 'timeout');
    assert.ok((await packets(nft, 'tight: drop in')) >= 1n);
  });

  it('mail relay (MAILOUT): mail out to the relay only', async () => {
    const [relay, other] = probe(topo.server, [
      { kind: 'connect', dst: WEB, port: 25, src: US, timeout: 1 },
      { kind: 'connect', dst: STRANGER, port: 25, src: US, timeout: 1 },
    ]);
    assert.deepEqual([relay?.result, relay?.line, other?.result], ['open', `peer 25 ${US}`, 'timeout']);
    assert.ok((await packets(nft, 'tight: mail relay out')) >= 1n);
    assert.ok((await packets(nft, 'tight: mail relay reply')) >= 1n);
  });

  it('no new outbound connection from the served ports 80 and 443 (their output rule admits established only)', async () => {
    const before = await packets(nft, 'tight: services reply');
    const [from80, from443] = probe(topo.server, [
      { kind: 'connect', dst: STRANGER, port: 443, src: US, sport: 80, timeout: 1 },
      { kind: 'connect', dst: STRANGER, port: 8080, src: US, sport: 443, timeout: 1 },
    ]);
    assert.deepEqual([from80?.result, from443?.result], ['timeout', 'timeout']);
    assert.equal(await packets(nft, 'tight: services reply'), before);
    assert.ok((await packets(nft, 'tight: drop out')) >= 2n);
  });
});

describe('packets: guide 004, FORWARD (the server as a router)', function () {
  let topo: NatTopology;
  let nft: Nftables;
  let wan: ChildProcess;
  before(async () => {
    topo = natTopology();
    topo.wanHost.exec(['ip', 'route', 'add', '10.77.0.0/24', 'via', topo.addr.routerWan]);
    nft = await Nftables.open({ netns: topo.router.path });
    wan = await listen(topo.wanHost, { name: 'wan', tcp: [22] });
    await apply(nft, presetObjects(guides.tightServer({ ourIp: topo.addr.routerWan })));
  });
  after(async () => {
    wan?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('-P FORWARD DROP: nothing is forwarded, either way; INVALID forwarded packets dropped by their own rule', async () => {
    assert.equal(probe1(topo.lanHost, { kind: 'connect', dst: topo.addr.wanHost, port: 22, timeout: 1 }).result, 'timeout');
    assert.equal(probe1(topo.wanHost, { kind: 'udpsock', dst: topo.addr.lanHost, dport: 53, timeout: 0.5 }).result, 'timeout');
    assert.ok((await packets(nft, 'tight: drop forward')) >= 2n);
    probe1(topo.lanHost, { kind: 'tcp', dst: topo.addr.wanHost, dport: 22, flags: 'F', sport: 43600, timeout: 0.5 });
    assert.equal(await packets(nft, 'tight: invalid forward'), 1n);
  });
});
