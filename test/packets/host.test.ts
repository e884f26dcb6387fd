// SPDX-License-Identifier: GPL-2.0-or-later
/** hostFirewall(): the stateful single host, proven with packets from a client namespace. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { hostFirewall, presetObjects } from '../../lib/presets';
import { apply, listen, packets, probe, probe1, until } from './util';

assertPrivateNetns();

describe('packets: hostFirewall()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;

  before(async () => {
    topo = pairTopology();
    topo.client.exec(['ip', 'addr', 'add', '198.51.100.3/24', 'dev', 'eth0']);
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22, 81, 5432], udp: [53, 54, 137, 546] });
    await apply(
      nft,
      presetObjects(
        hostFirewall({
          tcpPorts: [22],
          udpPorts: [53],
          ping: { rate: 1, per: 'second', burst: 2 },
          quietUdpPorts: ['137-138'],
          trusted: [{ protocol: 'tcp', ports: [5432], sources: ['198.51.100.3'], logPrefix: 'db near hit: ' }],
        }),
      ),
    );
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('accepts an open TCP port and counts its replies as established', async () => {
    const before = await packets(nft, 'host: established');
    const r = probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 22 });
    assert.equal(r.result, 'open');
    assert.equal(r.line, 'srv 22 198.51.100.2');
    assert.ok((await packets(nft, 'host: established')) > before);
  });

  it('answers a closed TCP port with a reset, a closed UDP port with ICMP port unreachable, another protocol with ICMP protocol unreachable', async () => {
    const [tcp, udp, other] = probe(topo.client, [
      { kind: 'tcp', dst: topo.addr.server, dport: 81 },
      { kind: 'udp', dst: topo.addr.server, dport: 54 },
      { kind: 'ip', dst: topo.addr.server, proto: 253 },
    ]);
    assert.deepEqual([tcp?.reply, tcp?.flags], ['tcp', 'RA']);
    assert.deepEqual([udp?.reply, udp?.type, udp?.code], ['icmp', 3, 3]);
    assert.deepEqual([other?.reply, other?.type, other?.code], ['icmp', 3, 2]);
    assert.equal(await packets(nft, 'host: reject tcp'), 1n);
    assert.equal(await packets(nft, 'host: reject udp'), 1n);
    assert.equal(await packets(nft, 'host: reject other v4'), 1n);
  });

  it('accepts loopback traffic to any port, even closed ones in tcp_in', async () => {
    const r = probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 81 });
    assert.deepEqual([r.result, r.line], ['open', 'srv 81 127.0.0.1']);
    assert.ok((await packets(nft, 'host: loopback')) >= 1n);
  });

  it('drops what conntrack calls invalid (a FIN out of nowhere) without an answer', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: topo.addr.server, dport: 22, flags: 'F', sport: 45000, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'host: invalid'), 1n);
  });

  it('accepts the open UDP port (udp_in chain)', () => {
    const r = probe1(topo.client, { kind: 'udpsock', dst: topo.addr.server, dport: 53 });
    assert.deepEqual([r.result, r.line], ['reply', 'srv 53 198.51.100.2']);
  });

  it('drops NetBIOS noise without an answer (quietUdpPorts)', async () => {
    const r = probe1(topo.client, { kind: 'udp', dst: topo.addr.server, dport: 137, timeout: 1 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'host: quiet'), 1n);
  });

  it('rate-limits ping: 10 echo requests at once get at most the burst answered, the rest dropped unanswered; later pings are answered again', async () => {
    const burst = probe1(topo.client, { kind: 'icmp', dst: topo.addr.server, count: 10, timeout: 1 });
    assert.ok(burst.count !== undefined && burst.count >= 1 && burst.count <= 4, `answers: ${String(burst.count)}`);
    assert.equal(await packets(nft, 'host: ping'), BigInt(burst.count ?? 0));
    assert.equal(await packets(nft, 'host: ping excess'), BigInt(10 - (burst.count ?? 0)));
    await until('a ping is answered again after the bucket refills', () => probe1(topo.client, { kind: 'icmp', dst: topo.addr.server, timeout: 0.5 }).reply === 'icmp');
  });

  it('rate-limits ping sent as ping sends it (one ICMP id, ascending sequence): only the burst is answered although every request after the first is ESTABLISHED', async () => {
    // Whatever the bucket holds now (at most its burst of 2, plus a refill during the flood), the
    // limit must stop the flood; before the fix all 10 were answered.
    const ping = await packets(nft, 'host: ping');
    const excess = await packets(nft, 'host: ping excess');
    const flood = probe1(topo.client, { kind: 'icmp', dst: topo.addr.server, count: 10, sameId: true, timeout: 1 });
    assert.ok(flood.count !== undefined && flood.count <= 3, `answers: ${String(flood.count)}`);
    assert.equal((await packets(nft, 'host: ping')) - ping, BigInt(flood.count ?? 0));
    assert.equal((await packets(nft, 'host: ping excess')) - excess, BigInt(10 - (flood.count ?? 0)));
  });

  it('serves a trusted-origin port only to trusted sources; others are near hits, logged and dropped', async () => {
    const other = probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 5432, timeout: 1 });
    assert.equal(other.result, 'timeout');
    assert.ok((await packets(nft, 'host: near hit 0')) >= 1n);
    const trusted = probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 5432, src: '198.51.100.3' });
    assert.deepEqual([trusted.result, trusted.line], ['open', 'srv 5432 198.51.100.3']);
    assert.equal(await packets(nft, 'host: trusted 0 v4'), 1n);
  });

  it('IPv6: neighbour discovery and echo accepted, other protocols rejected with ICMPv6 admin-prohibited', async () => {
    const [ping, other] = probe(topo.client, [
      { kind: 'icmp', dst: topo.addr.server6 },
      { kind: 'ip', dst: topo.addr.server6, proto: 50 } // ESP: nf_reject6 sends no error for payloads whose checksum it cannot verify,
    ]);
    assert.deepEqual([ping?.reply, ping?.type], ['icmpv6', 129]);
    assert.deepEqual([other?.reply, other?.type, other?.code], ['icmpv6', 1, 1]);
    assert.ok((await packets(nft, 'host: nd')) >= 1n);
    assert.equal(await packets(nft, 'host: reject other v6'), 1n);
  });

  it('IPv6: accepts DHCPv6 replies between link-local addresses only', async () => {
    const ll = /inet6 (fe80::[0-9a-f:]+)\//.exec(topo.server.exec(['ip', '-6', 'addr', 'show', 'dev', 'ext0', 'scope', 'link']))?.[1];
    assert.ok(ll, 'server link-local address');
    const [linkLocal, global] = probe(topo.client, [
      { kind: 'udpsock', dst: ll, dport: 546, sport: 547, iface: 'eth0' },
      { kind: 'udp', dst: topo.addr.server6, dport: 546, sport: 547 },
    ]);
    assert.deepEqual([linkLocal?.result, linkLocal?.line?.split(' ').slice(0, 2)], ['reply', ['srv', '546']]);
    assert.equal(await packets(nft, 'host: dhcpv6 client'), 1n);
    assert.deepEqual([global?.reply, global?.type, global?.code], ['icmpv6', 1, 4]);
  });
});
