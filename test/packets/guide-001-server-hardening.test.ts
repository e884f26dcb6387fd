// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Guide 001 ("Server Hardening with iptables"): guides.serverHardening(), proven with packets.
 * The hardened server is the router namespace (203.0.113.1 on its WAN side); the WAN host holds a
 * friendly address (203.0.113.20) and a stranger's (203.0.113.2); the LAN host (10.77.0.2) is
 * the honeypot listening on 8022.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { natTopology, type NatTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { guides, logToGroup, presetObjects, type ServerHardeningOptions } from '../../lib/presets';
import { apply, captureNflog, listen, packets, probe, probe1 } from './util';

assertPrivateNetns();

const SERVER = '203.0.113.1';
const FRIEND = '203.0.113.20';
const STRANGER = '203.0.113.2';

describe('packets: guide 001, guides.serverHardening()', function () {
  let topo: NatTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];
  const opts = (honeypot: boolean): ServerHardeningOptions => ({ friendly: [`${FRIEND}/32`], publicTcp: [8443], ...(honeypot ? { honeypot: { to: '10.77.0.2', port: 8022 } } : {}) });

  before(async () => {
    topo = natTopology();
    topo.wanHost.exec(['ip', 'addr', 'add', `${FRIEND}/24`, 'dev', 'eth0']);
    nft = await Nftables.open({ netns: topo.router.path });
    procs.push(await listen(topo.router, { name: 'srv', tcp: [22, 138, 8443], udp: [138, 5000] }));
    procs.push(await listen(topo.lanHost, { name: 'hp', tcp: [8022] }));
    procs.push(await listen(topo.wanHost, { name: 'net', tcp: [80, 443, 8080], udp: [53, 5353] }));
    await apply(nft, presetObjects(guides.serverHardening(opts(true))));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  const from = (src: string, port: number) => ({ kind: 'connect' as const, dst: SERVER, port, src, timeout: 1 });

  it('ALLOW SSH: INPUT -> MALICIOUS -> STDIN -> FRIENDLY -> ACCEPT for the friendly source', async () => {
    const r = probe1(topo.wanHost, from(FRIEND, 22));
    assert.deepEqual([r.result, r.line], ['open', `srv 22 ${FRIEND}`]);
    assert.ok((await packets(nft, '[known-friendly network]')) >= 1n);
    assert.ok((await packets(nft, 'INPUT related,established')) >= 1n);
    assert.ok((await packets(nft, 'OUTPUT related,established')) >= 1n);
  });

  it('REDIRECTING HOSTILE TRAFFIC: SSH from elsewhere is DNATed to the honeypot on another host and port', async () => {
    const r = probe1(topo.wanHost, from(STRANGER, 22));
    assert.deepEqual([r.result, r.line], ['open', `hp 8022 ${STRANGER}`]);
    assert.equal(await packets(nft, 'honeypot'), 1n);
    assert.ok((await packets(nft, 'honeypot forward')) >= 1n);
  });

  it('DESIGNING NEW RULES: the public port (mineos webui) is served to anyone', async () => {
    assert.deepEqual(Object.values(probe1(topo.wanHost, from(STRANGER, 8443))), ['open', `srv 8443 ${STRANGER}`]);
  });

  it('LOG ALL UNIDENTIFIED TRAFFIC: a silent TCP or UDP port is logged tcp.in.dropped / udp.in.dropped and dropped (no answer)', async () => {
    const [tcp, udp] = probe(topo.wanHost, [
      { kind: 'tcp', dst: SERVER, dport: 9999, src: STRANGER, sport: 44000, timeout: 0.7 },
      { kind: 'udp', dst: SERVER, dport: 5000, src: STRANGER, sport: 44001, timeout: 0.7 },
    ]);
    assert.deepEqual([tcp?.reply, udp?.reply], ['none', 'none']);
    assert.equal(await packets(nft, 'tcp.in.dropped'), 1n);
    assert.equal(await packets(nft, 'udp.in.dropped'), 1n);
    assert.equal(await packets(nft, 'INPUT drop'), 2n);
  });

  it('ALLOW ICMP: friendly-inbound only; a stranger is dropped in FRIENDLY', async () => {
    const [friend, stranger] = probe(topo.wanHost, [
      { kind: 'icmp', dst: SERVER, src: FRIEND },
      { kind: 'icmp', dst: SERVER, src: STRANGER, timeout: 0.7 },
    ]);
    assert.deepEqual([friend?.reply, friend?.type, stranger?.reply], ['icmp', 0, 'none']);
    assert.equal(await packets(nft, 'FRIENDLY drop'), 1n);
  });

  it('GET RID OF TRASH-PACKETS: invalid, SYN+FIN and SYN+RST dropped in MALICIOUS (conntrack already calls the two patterns invalid)', async () => {
    const rs = probe(topo.wanHost, [
      { kind: 'tcp', dst: SERVER, dport: 8443, flags: 'F', src: STRANGER, sport: 44010, timeout: 0.5 },
      { kind: 'tcp', dst: SERVER, dport: 8443, flags: 'SF', src: STRANGER, sport: 44011, timeout: 0.5 },
      { kind: 'tcp', dst: SERVER, dport: 8443, flags: 'SR', src: STRANGER, sport: 44012, timeout: 0.5 },
    ]);
    assert.deepEqual(rs.map((r) => r.reply), ['none', 'none', 'none']);
    const invalid = await packets(nft, 'MALICIOUS invalid');
    const patterns = (await packets(nft, '[malicious packet patterns] fin,syn')) + (await packets(nft, '[malicious packet patterns] syn,rst'));
    assert.equal(invalid + patterns, 3n);
  });

  it('[unwanted netbios]: TCP and UDP 138 dropped without a log line', async () => {
    const dropped = (await packets(nft, 'tcp.in.dropped')) + (await packets(nft, 'udp.in.dropped'));
    probe(topo.wanHost, [
      { kind: 'tcp', dst: SERVER, dport: 138, src: STRANGER, sport: 44020, timeout: 0.5 },
      { kind: 'udp', dst: SERVER, dport: 138, src: STRANGER, sport: 138, timeout: 0.5 },
    ]);
    assert.equal(await packets(nft, '[unwanted netbios] tcp'), 1n);
    assert.equal(await packets(nft, '[unwanted netbios] udp'), 1n);
    assert.equal((await packets(nft, 'tcp.in.dropped')) + (await packets(nft, 'udp.in.dropped')), dropped);
  });

  it('STDOUT: DNS, HTTP, HTTPS and ICMP out; anything else logged tcp.out.dropped / udp.out.dropped and dropped', async () => {
    const [dns, http, https, other, udp] = probe(topo.router, [
      { kind: 'udpsock', dst: STRANGER, dport: 53 },
      { kind: 'connect', dst: STRANGER, port: 80 },
      { kind: 'connect', dst: STRANGER, port: 443 },
      { kind: 'connect', dst: STRANGER, port: 8080, timeout: 1 },
      { kind: 'udpsock', dst: STRANGER, dport: 5353, timeout: 0.5 },
    ]);
    assert.deepEqual([dns?.result, http?.result, https?.result], ['reply', 'open', 'open']);
    // A local socket whose packet the output chain drops gets EPERM (connect retries until its timeout).
    assert.ok(other?.result === 'timeout' || other?.result === 'errno 1', String(other?.result));
    assert.equal(udp?.result, 'errno 1');
    assert.ok((await packets(nft, 'tcp.out.dropped')) >= 1n);
    assert.equal(await packets(nft, 'udp.out.dropped'), 1n);
    assert.equal(probe1(topo.router, { kind: 'ping', dst: STRANGER }).reply, 'icmp');
    assert.ok((await packets(nft, 'allow outbound icmp')) >= 1n);
  });

  it('ALLOW LOCAL LOOPBACK INTERFACE', async () => {
    assert.equal(probe1(topo.router, { kind: 'connect', dst: '127.0.0.1', port: 22 }).result, 'open');
    assert.ok((await packets(nft, 'Permit loopback traffic')) >= 1n);
  });

  it('LOGGING NEAR-HITS (no honeypot): SSH from elsewhere is logged tcp.in.foreign and dropped', async () => {
    await apply(nft, presetObjects(guides.serverHardening(opts(false))));
    const r = probe1(topo.wanHost, from(STRANGER, 22));
    assert.equal(r.result, 'timeout');
    assert.ok((await packets(nft, 'tcp.in.foreign')) >= 1n);
    assert.equal(await packets(nft, 'tcp.in.foreign'), await packets(nft, 'FRIENDLY drop'));
  });

  it('log lines (read from an nflog group with logToGroup): tcp.in.dropped, udp.in.dropped, tcp.in.foreign, tcp.out.dropped, udp.out.dropped; netbios unlogged', async () => {
    await apply(nft, presetObjects(logToGroup(guides.serverHardening(opts(false)), 5)));
    const cap = await captureNflog(topo.router, 5);
    probe(topo.wanHost, [
      { kind: 'tcp', dst: SERVER, dport: 9999, src: STRANGER, sport: 44100, timeout: 0.3 },
      { kind: 'udp', dst: SERVER, dport: 5000, src: STRANGER, sport: 44101, timeout: 0.3 },
      { kind: 'tcp', dst: SERVER, dport: 22, src: STRANGER, sport: 44102, timeout: 0.3 },
      { kind: 'tcp', dst: SERVER, dport: 138, src: STRANGER, sport: 44103, timeout: 0.3 },
      { kind: 'udp', dst: SERVER, dport: 138, src: STRANGER, sport: 138, timeout: 0.3 },
    ]);
    probe(topo.router, [
      { kind: 'connect', dst: STRANGER, port: 8080, timeout: 0.3 },
      { kind: 'udpsock', dst: STRANGER, dport: 5353, timeout: 0.3 },
    ]);
    const recs = await cap.stop();
    const by = (prefix: string): number[] => recs.filter((r) => r.prefix === prefix).map((r) => r.protocol ?? -1);
    assert.deepEqual(by('tcp.in.dropped '), [6], 'port 9999 only: the tcp/138 probe is dropped unlogged in MALICIOUS');
    assert.deepEqual(by('udp.in.dropped '), [17], 'port 5000 only: udp/138 unlogged');
    assert.deepEqual(by('tcp.in.foreign '), [6]);
    assert.ok(by('tcp.out.dropped ').length >= 1 && by('tcp.out.dropped ').every((p) => p === 6), 'tcp.out.dropped (connect retries its SYN)');
    assert.deepEqual(by('udp.out.dropped '), [17]);
    assert.deepEqual([...new Set(recs.map((r) => r.prefix))].sort(), ['tcp.in.dropped ', 'tcp.in.foreign ', 'tcp.out.dropped ', 'udp.in.dropped ', 'udp.out.dropped ']);
  });
});
