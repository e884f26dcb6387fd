// SPDX-License-Identifier: GPL-2.0-or-later
/** natGateway() and the TTL rule of sanityFilter(): a router namespace between a LAN and a WAN. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { natTopology, type NatTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { composePresets, natGateway, presetObjects, sanityFilter } from '../../lib/presets';
import type { SetSpec } from '../../lib/model/types';
import { apply, listen, packets, probe1 } from './util';

assertPrivateNetns();

describe('packets: natGateway()', function () {
  let topo: NatTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];
  const trusted: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'ssh_trusted4', key: 'ipv4_addr', flags: ['interval'] };

  before(async () => {
    topo = natTopology();
    nft = await Nftables.open({ netns: topo.router.path });
    procs.push(await listen(topo.lanHost, { name: 'lan', tcp: [80] }));
    procs.push(await listen(topo.wanHost, { name: 'wan', tcp: [80], udp: [53] }));
    procs.push(await listen(topo.router, { name: 'router', tcp: [22, 2222] }));
    const gw = natGateway({
      lan: ['lan0'],
      wan: 'wan0',
      lanSubnets: ['10.77.0.0/24'],
      forwards: [{ port: 8000, to: topo.addr.lanHost, toPort: 80 }],
      honeypot: { port: 22, toPort: 2222 },
    });
    await apply(nft, presetObjects(composePresets(sanityFilter({ minTtl: 5, ttlLog: { rate: 1, per: 'minute', burst: 2 } }), gw)));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('masquerades the LAN: the WAN server sees the router address', async () => {
    const r = probe1(topo.lanHost, { kind: 'connect', dst: topo.addr.wanHost, port: 80 });
    assert.deepEqual([r.result, r.line], ['open', `wan 80 ${topo.addr.routerWan}`]);
    assert.equal(await packets(nft, 'nat: masquerade v4'), 1n);
    assert.equal(await packets(nft, 'nat: lan to wan'), 1n);
  });

  it('forwards WAN port 8000 to the LAN host port 80 (DNAT + forward accept)', async () => {
    const r = probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.routerWan, port: 8000 });
    assert.deepEqual([r.result, r.line], ['open', `lan 80 ${topo.addr.wanHost}`]);
    assert.equal(await packets(nft, 'nat: port forward 0'), 1n);
    assert.equal(await packets(nft, 'nat: port forward 0 accept'), 1n);
  });

  it('forward default deny: the WAN cannot reach the LAN host directly', () => {
    topo.wanHost.exec(['ip', 'route', 'add', '10.77.0.0/24', 'via', topo.addr.routerWan]);
    try {
      assert.equal(probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.lanHost, port: 80, timeout: 1 }).result, 'timeout');
    } finally {
      topo.wanHost.exec(['ip', 'route', 'del', '10.77.0.0/24']);
    }
  });

  it('redirects SSH from untrusted sources to the honeypot port, trusted ones reach the real service', async () => {
    const untrusted = probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.routerWan, port: 22 });
    assert.equal(untrusted.line, `router 2222 ${topo.addr.wanHost}`);
    assert.equal(await packets(nft, 'nat: ssh honeypot'), 1n);
    await nft.commit(nft.transaction().addElements(trusted, [topo.addr.wanHost]));
    const ok = probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.routerWan, port: 22 });
    assert.equal(ok.line, `router 22 ${topo.addr.wanHost}`);
  });

  it('drops forwarded packets with TTL below 5, logging under a rate limit; a normal TTL passes', async () => {
    // TTL is decremented before the forward hook: sent 4 -> seen 3 (dropped), sent 6 -> seen 5.
    for (let i = 0; i < 5; i++) {
      const r = probe1(topo.lanHost, { kind: 'udp', dst: topo.addr.wanHost, dport: 53, ttl: 4, sport: 42000 + i, timeout: 0.3 });
      assert.equal(r.reply, 'none');
    }
    assert.equal(await packets(nft, 'sanity: ttl drop'), 5n);
    assert.equal(await packets(nft, 'sanity: ttl log'), 2n, 'log lines capped by the burst');
    const r = probe1(topo.lanHost, { kind: 'udpsock', dst: topo.addr.wanHost, dport: 53 });
    assert.equal(r.result, 'reply');
  });

  it('honeypot on another host: untrusted SSH is DNATed to the LAN honeypot (to, toPort) and forwarded', async () => {
    await nft.commit(nft.transaction().deleteElements(trusted, [topo.addr.wanHost]));
    const hp = await listen(topo.lanHost, { name: 'hp', tcp: [8022] });
    try {
      await apply(nft, presetObjects(natGateway({ lan: ['lan0'], wan: 'wan0', lanSubnets: ['10.77.0.0/24'], honeypot: { toPort: 8022, to: topo.addr.lanHost } })));
      const r = probe1(topo.wanHost, { kind: 'connect', dst: topo.addr.routerWan, port: 22 });
      assert.deepEqual([r.result, r.line], ['open', `hp 8022 ${topo.addr.wanHost}`]);
      assert.equal(await packets(nft, 'nat: ssh honeypot'), 1n);
      assert.ok((await packets(nft, 'nat: ssh honeypot accept')) >= 1n);
    } finally {
      hp.kill('SIGKILL');
    }
  });
});
