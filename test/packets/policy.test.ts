// SPDX-License-Identifier: GPL-2.0-or-later
/** outboundPolicy() and loggingChains(), proven with packets. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { composePresets, hostFirewall, loggingChains, outboundPolicy, presetObjects, type Preset } from '../../lib/presets';
import { jump, tcpDport } from '../../lib/match';
import { apply, listen, packets, probe, probe1 } from './util';

assertPrivateNetns();

describe('packets: outboundPolicy() and loggingChains()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    procs.push(await listen(topo.server, { name: 'srv', tcp: [22, 81, 82, 83] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [80, 443, 8080, 25], udp: [53, 54] }));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('per-peer outbound ports: only the listed ports to the listed hosts', async () => {
    topo.client.exec(['ip', 'addr', 'add', '198.51.100.9/24', 'dev', 'eth0']);
    await apply(nft, presetObjects(outboundPolicy({ allow: [{ to: [topo.addr.client], tcp: [80] }], log: false })));
    const [ok, otherPort, otherHost] = probe(topo.server, [
      { kind: 'connect', dst: topo.addr.client, port: 80 },
      { kind: 'connect', dst: topo.addr.client, port: 443, timeout: 1 },
      { kind: 'connect', dst: '198.51.100.9', port: 80, timeout: 1 },
    ]);
    assert.deepEqual([ok?.result, otherPort?.result, otherHost?.result], ['open', 'timeout', 'timeout']);
    assert.equal(await packets(nft, 'outbound: allow 0'), 1n);
    assert.ok((await packets(nft, 'outbound: drop')) >= 2n);
  });

  it('output default deny: only the allowed services and peers are reachable, replies to inbound connections still flow', async () => {
    await apply(
      nft,
      presetObjects(composePresets(hostFirewall({ tcpPorts: [22] }), outboundPolicy({ dns: [topo.addr.client], web: true, log: { rate: 1, per: 'minute', burst: 1 } }))),
    );
    const c = topo.addr.client;
    const [web, tls, other, mail] = probe(topo.server, [
      { kind: 'connect', dst: c, port: 80 },
      { kind: 'connect', dst: c, port: 443 },
      { kind: 'connect', dst: c, port: 8080, timeout: 1 },
      { kind: 'connect', dst: c, port: 25, timeout: 1 },
    ]);
    assert.deepEqual([web?.result, tls?.result], ['open', 'open']);
    assert.notEqual(other?.result, 'open');
    assert.notEqual(mail?.result, 'open');
    assert.ok((await packets(nft, 'outbound: drop')) >= 2n);
    assert.equal(await packets(nft, 'outbound: log'), 1n, 'one log line: the burst');
    assert.equal(probe1(topo.server, { kind: 'udpsock', dst: c, dport: 53 }).result, 'reply', 'DNS to the resolver');
    assert.notEqual(probe1(topo.server, { kind: 'udpsock', dst: c, dport: 54, timeout: 1 }).result, 'reply');
    // Inbound SSH works: its replies leave through the established rule.
    assert.equal(probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 22 }).result, 'open');
    assert.ok((await packets(nft, 'outbound: established')) >= 1n);
  });

  it('named peers are reachable on any port', async () => {
    await apply(nft, presetObjects(composePresets(hostFirewall(), outboundPolicy({ peers: [topo.addr.client] }))));
    assert.equal(probe1(topo.server, { kind: 'connect', dst: topo.addr.client, port: 8080 }).result, 'open');
    assert.equal(await packets(nft, 'outbound: peer'), 1n);
  });

  it('log chains: log-and-accept, log-and-drop, log-and-reject; only new connections logged; logging rate-limited', async () => {
    const t = { family: 'inet' as const, name: 'fw' };
    const mine: Preset = {
      tables: [],
      sets: [],
      chains: [],
      rules: [
        { family: t.family, table: t.name, chain: 'tcp_in', expr: [tcpDport(81), jump('log_accept')] },
        { family: t.family, table: t.name, chain: 'tcp_in', expr: [tcpDport(82), jump('log_drop')] },
        { family: t.family, table: t.name, chain: 'tcp_in', expr: [tcpDport(83), jump('log_reject')] },
      ],
    };
    await apply(nft, presetObjects(composePresets(hostFirewall(), loggingChains({ rate: { rate: 1, per: 'minute', burst: 2 } }), mine)));
    const s = topo.addr.server;
    const acc = probe1(topo.client, { kind: 'connect', dst: s, port: 81 });
    assert.deepEqual([acc.result, acc.line], ['open', 'srv 81 198.51.100.2']);
    // The connection exchanged several packets; only its first (new) was logged, the rest
    // were accepted as established before reaching the chain.
    assert.equal(await packets(nft, 'log: accept'), 1n);
    assert.equal(await packets(nft, 'log: accepted'), 1n);
    // One crafted SYN, not connect(): a socket retransmits its SYN after the initial RTO of 1 s,
    // so a connect() that outlived its timeout on a loaded machine would be counted twice.
    assert.equal(probe1(topo.client, { kind: 'tcp', dst: s, dport: 82, sport: 43000, timeout: 0.7 }).reply, 'none');
    assert.equal(await packets(nft, 'log: drop'), 1n);
    assert.equal(await packets(nft, 'log: dropped'), 1n);
    const rs = probe(topo.client, [1, 2, 3, 4].map((i) => ({ kind: 'tcp' as const, dst: s, dport: 83, sport: 43000 + i })));
    assert.deepEqual(rs.map((r) => r.flags), ['RA', 'RA', 'RA', 'RA']);
    assert.equal(await packets(nft, 'log: rejected tcp'), 4n);
    assert.equal(await packets(nft, 'log: reject'), 2n, 'log lines capped by the burst');
  });
});
