// SPDX-License-Identifier: GPL-2.0-or-later
/** sanityFilter(): crafted packets (bad flags, small MSS, port 0, spoofed and bogon sources, blocklist). */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { composePresets, hostFirewall, presetObjects, sanityFilter } from '../../lib/presets';
import type { SetSpec } from '../../lib/model/types';
import { apply, listen, packets, probe, probe1 } from './util';

assertPrivateNetns();

describe('packets: sanityFilter()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;
  const blocklist4: SetSpec = { table: { family: 'inet', name: 'fw' }, name: 'blocklist4', key: 'ipv4_addr', flags: ['interval'] };

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22], udp: [53] });
    // A route back to 10.0.0.0/8 through the external interface, so rpfilter lets such sources pass
    // and only the bogon rule can stop them.
    topo.server.exec(['ip', 'route', 'add', '10.0.0.0/8', 'dev', 'ext0']);
    await apply(
      nft,
      presetObjects(
        composePresets(
          sanityFilter({ rpfilter: true, bogons: { interfaces: ['ext0'] }, blocklist: { interfaces: ['ext0'] } }),
          hostFirewall({ tcpPorts: [22], udpPorts: [53] }),
        ),
      ),
    );
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  const dst = () => topo.addr.server;

  it('a normal SYN (MSS 1460) is answered with SYN+ACK', () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, mss: 1460, sport: 41000 });
    assert.deepEqual([r.reply, r.flags], ['tcp', 'SA']);
  });

  it('drops SYN+FIN and SYN+RST', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SF', sport: 41001, timeout: 0.7 },
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SR', sport: 41002, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none']);
    assert.equal(await packets(nft, 'sanity: syn+fin'), 1n);
    assert.equal(await packets(nft, 'sanity: syn+rst'), 1n);
  });

  it('drops a new TCP connection that does not start with a bare SYN (an ACK out of nowhere)', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, flags: 'A', sport: 41003, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: new tcp without syn'), 1n);
  });

  it('drops a new connection opened with SYN+PSH or SYN+URG (all six flags compared, as `! --tcp-flags ALL SYN`)', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SP', sport: 41010, timeout: 0.7 },
      { kind: 'tcp', dst: dst(), dport: 22, flags: 'SU', sport: 41011, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none']);
    assert.equal(await packets(nft, 'sanity: new tcp without syn'), 3n, 'with the ACK of the test before');
  });

  it('drops a SYN without the MSS option (tcpmss ! --mss 536:65535 matches a missing option)', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, mss: null, sport: 41012, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: syn without mss'), 1n);
  });

  it("drops a SYN with nmap's OS-detection MSS (265)", async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, mss: 265, sport: 41004, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: small mss'), 1n);
  });

  it('drops TCP and UDP from source port 0', async () => {
    const rs = probe(topo.client, [
      { kind: 'tcp', dst: dst(), dport: 22, sport: 0, timeout: 0.7 },
      { kind: 'udp', dst: dst(), dport: 53, sport: 0, timeout: 0.7 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none']);
    assert.equal(await packets(nft, 'sanity: tcp source port 0'), 1n);
    assert.equal(await packets(nft, 'sanity: udp source port 0'), 1n);
  });

  it('reverse-path filter: drops a source not routed back through the incoming interface', async () => {
    const r = probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, src: '192.0.2.99', sport: 41005, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: rpfilter'), 1n);
  });

  it('reverse-path filter also covers IPv6 (spoofed 2001:db8:99::1)', async () => {
    const before = await packets(nft, 'sanity: rpfilter');
    const r = probe1(topo.client, { kind: 'tcp', dst: topo.addr.server6, dport: 22, src: '2001:db8:99::1', sport: 41007, timeout: 0.7 });
    assert.equal(r.reply, 'none');
    assert.equal(await packets(nft, 'sanity: rpfilter'), before + 1n);
    const ok = probe1(topo.client, { kind: 'connect', dst: topo.addr.server6, port: 22 });
    assert.equal(ok.result, 'open', 'the real IPv6 source passes');
  });

  it('tight server: drops RFC 1918 sources on the public interface', async () => {
    probe1(topo.client, { kind: 'tcp', dst: dst(), dport: 22, src: '10.1.2.3', sport: 41006, timeout: 0.7 });
    assert.equal(await packets(nft, 'sanity: bogon source'), 1n);
    assert.equal(await packets(nft, 'sanity: rpfilter'), 2n, 'the source passed the rpfilter (route exists)');
  });

  it('blocklist: drops listed sources on the external interface only', async () => {
    assert.equal(probe1(topo.client, { kind: 'connect', dst: dst(), port: 22 }).result, 'open');
    // The client, and the server's own address (whose traffic to itself runs over lo).
    await nft.commit(nft.transaction().addElements(blocklist4, ['198.51.100.0/30']));
    assert.equal(probe1(topo.client, { kind: 'connect', dst: dst(), port: 22, timeout: 1 }).result, 'timeout');
    assert.ok((await packets(nft, 'sanity: blocklist4')) >= 1n);
    assert.equal(probe1(topo.server, { kind: 'connect', dst: dst(), port: 22 }).result, 'open', 'loopback traffic from a listed address is not filtered');
    await nft.commit(nft.transaction().deleteElements(blocklist4, ['198.51.100.0/30']));
    assert.equal(probe1(topo.client, { kind: 'connect', dst: dst(), port: 22 }).result, 'open');
  });
});
