// SPDX-License-Identifier: GPL-2.0-or-later
/** hostFirewall({ trap, bruteForce }): dynamic sets with timeouts, shown to trigger and to expire. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { hostFirewall, presetObjects } from '../../lib/presets';
import type { SetSpec } from '../../lib/model/types';
import { apply, listen, packets, probe, probe1, until } from './util';

assertPrivateNetns();

describe('packets: port-scan trap and brute-force limit', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;
  const TRAP_MS = 1500;

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22, 80], udp: [53] });
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('trap: after a closed TCP port, every port answers with a reset until the source stays away for the timeout', async () => {
    await apply(nft, presetObjects(hostFirewall({ tcpPorts: [80], udpPorts: [53], trap: { timeoutMs: TRAP_MS } })));
    const dst = topo.addr.server;
    assert.equal(probe1(topo.client, { kind: 'connect', dst, port: 80 }).result, 'open');
    const [closed, open] = probe(topo.client, [
      { kind: 'tcp', dst, dport: 81 },
      { kind: 'tcp', dst, dport: 80, sport: 40010 },
    ]);
    assert.deepEqual([closed?.reply, closed?.flags], ['tcp', 'RA']);
    assert.deepEqual([open?.reply, open?.flags], ['tcp', 'RA'], 'the open port answers like a closed one');
    assert.equal(await packets(nft, 'host: trap tcp v4'), 1n);
    assert.equal(await packets(nft, 'host: trapped tcp v4'), 1n);
    const set: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'tcp_scan4', key: 'ipv4_addr' };
    assert.deepEqual((await nft.listElements(set)).map((e) => e.key), [topo.addr.client]);
    // Expiry: wait (without knocking, which would restart the clock) until the kernel drops the element.
    await until('the trap element expires', async () => (await nft.listElements(set)).length === 0, TRAP_MS + 10000);
    assert.equal(probe1(topo.client, { kind: 'connect', dst, port: 80 }).result, 'open');
  });

  it('trap: after a closed UDP port, open UDP ports answer with ICMP port unreachable until the timeout', async () => {
    await apply(nft, presetObjects(hostFirewall({ tcpPorts: [80], udpPorts: [53], trap: { timeoutMs: TRAP_MS } })));
    const dst = topo.addr.server;
    assert.equal(probe1(topo.client, { kind: 'udpsock', dst, dport: 53 }).result, 'reply');
    const closed = probe1(topo.client, { kind: 'udp', dst, dport: 54 });
    assert.deepEqual([closed.reply, closed.type, closed.code], ['icmp', 3, 3]);
    assert.equal(probe1(topo.client, { kind: 'udpsock', dst, dport: 53, sport: 40020 }).result, 'refused');
    assert.equal(await packets(nft, 'host: trapped udp v4'), 1n);
    const set: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'udp_scan4', key: 'ipv4_addr' };
    await until('the trap element expires', async () => (await nft.listElements(set)).length === 0, TRAP_MS + 10000);
    assert.equal(probe1(topo.client, { kind: 'udpsock', dst, dport: 53, sport: 40021 }).result, 'reply');
  });

  it('brute force: the 4th new SSH connection inside the short window is logged and dropped; the limit refills; the long window caps the total, then refills', async () => {
    // Test windows: 3 per 3 s (one token per second), 4 per 40 s (one token per 10 s).
    await apply(nft, presetObjects(hostFirewall({ tcpPorts: [22], bruteForce: { ports: [22], short: { count: 3, seconds: 3 }, long: { count: 4, seconds: 40 } } })));
    const dst = topo.addr.server;
    // New connections are crafted SYNs, each from a fresh source port, answered with SYN+ACK or
    // not at all. Not connect(): a socket retransmits a dropped SYN after 1 s, and on a loaded
    // machine the retransmission can pass the refilled short window and spend a long-window token.
    let sport = 46000;
    const attempt = (): string => probe1(topo.client, { kind: 'tcp', dst, dport: 22, sport: sport++, timeout: 0.7 }).flags ?? 'none';
    // Four SYNs back to back, well inside one token's time: the short window answers three.
    const first = probe1(topo.client, { kind: 'tcp', dst, dport: 22, sport, count: 4, timeout: 0.7 });
    sport += 4;
    assert.deepEqual([first.flags, first.count], ['SA', 3]);
    assert.equal(await packets(nft, 'host: brute force short v4'), 1n);
    assert.equal(await packets(nft, 'host: brute force long v4'), 0n);
    // Short bucket refills (1 token/s): the 4th connection of the long window gets through.
    await until('a new connection passes the short window again', () => attempt() === 'SA', 10000, 200);
    // The long window (4) is now used up: the next ones are dropped by it even when the short one allows them.
    await until('the long window drops a connection', async () => attempt() === 'none' && (await packets(nft, 'host: brute force long v4')) >= 1n, 10000, 1100);
    // And it expires too: one token every 10 s.
    await until('the long window lets a connection through again', () => attempt() === 'SA', 20000, 1100);
  });
});
