// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Guide 003 ("iptables rules that every Linux user should have"): guides.logChains(), proven with
 * packets between namespaces. Log lines of a non-initial namespace do not reach the kernel log
 * (nf_log_all_netns is a host setting, left alone): the counters of the log rules prove them, and
 * the last test reads the prefixes from an nflog group (logToGroup).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { addRules, guides, logToGroup, presetObjects, type Preset } from '../../lib/presets';
import { counter, jump, tcpDport } from '../../lib/match';
import { apply, captureNflog, listen, packets, probe1 } from './util';

assertPrivateNetns();

describe('packets: guide 003, guides.logChains()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  const procs: ChildProcess[] = [];
  let preset: Preset;

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    procs.push(await listen(topo.server, { name: 'srv', tcp: [22, 81] }));
    procs.push(await listen(topo.client, { name: 'peer', tcp: [80] }));
    // "Converting existing rules": a rule whose target was REJECT now jumps to LOG_AND_REJECT.
    preset = addRules(guides.logChains({ interfaces: [topo.serverIf] }), 'input', { expr: [tcpDport(81), counter(), jump('LOG_AND_REJECT')], comment: 'user: port 81' });
    await apply(nft, presetObjects(preset));
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('creates the three chains with the guide prefixes at level debug (7)', () => {
    const text = topo.server.exec(['nft', 'list', 'table', 'inet', 'fw']);
    for (const [chain, prefix, verdict] of [['LOG_AND_ACCEPT', '[OY-A]:', 'accept'], ['LOG_AND_DROP', '[OY-D]:', 'drop'], ['LOG_AND_REJECT', '[OY-R]:', 'reject']] as const) {
      const block = text.slice(text.indexOf(`chain ${chain} {`), text.indexOf('}', text.indexOf(`chain ${chain} {`)));
      assert.match(block, new RegExp(`\\n\\t\\tct state related,new counter packets \\d+ bytes \\d+ log prefix "${prefix.replace('[', '\\[')}" level debug comment`));
      assert.match(block, new RegExp(`\\n\\t\\tcounter packets \\d+ bytes \\d+ ${verdict} comment`));
    }
  });

  it('Step 2: a new inbound connection on the external interface is logged [OY-D] and dropped, without an answer', async () => {
    const r = probe1(topo.client, { kind: 'connect', dst: topo.addr.server, port: 22, timeout: 1 });
    assert.equal(r.result, 'timeout');
    assert.ok((await packets(nft, 'log: input new to drop')) >= 1n);
    assert.equal(await packets(nft, 'log: drop'), await packets(nft, 'log: dropped'));
    assert.ok((await packets(nft, 'log: drop')) >= 1n);
  });

  it('Step 3: every new outbound connection is logged [OY-A] and accepted; its replies are not dropped (only NEW,RELATED is matched)', async () => {
    const dropped = await packets(nft, 'log: dropped');
    const r = probe1(topo.server, { kind: 'connect', dst: topo.addr.client, port: 80 });
    assert.deepEqual([r.result, r.line], ['open', 'peer 80 198.51.100.1']);
    assert.ok((await packets(nft, 'log: output new to accept')) >= 1n);
    assert.ok((await packets(nft, 'log: accept')) >= 1n);
    assert.equal(await packets(nft, 'log: dropped'), dropped, 'no reply was dropped');
  });

  it('Step 2: internal traffic (loopback, other interfaces) stays untouched', async () => {
    const dropped = await packets(nft, 'log: dropped');
    const r = probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 22 });
    assert.deepEqual([r.result, r.line], ['open', 'srv 22 127.0.0.1']);
    assert.equal(await packets(nft, 'log: dropped'), dropped);
  });

  it('converted targets: LOG_AND_REJECT logs [OY-R] and rejects as iptables REJECT (ICMP port unreachable)', async () => {
    const r = probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 81 });
    assert.equal(r.result, 'refused');
    assert.equal(await packets(nft, 'user: port 81'), 1n);
    assert.equal(await packets(nft, 'log: reject'), 1n);
    assert.equal(await packets(nft, 'log: rejected'), 1n);
  });

  it('the log lines themselves (nflog group): [OY-D]: for a new inbound connection, [OY-A]: for each new outbound one (loopback included), [OY-R]: for the converted REJECT', async () => {
    await apply(nft, presetObjects(logToGroup(preset, 5)));
    const cap = await captureNflog(topo.server, 5);
    const inbound = probe1(topo.client, { kind: 'tcp', dst: topo.addr.server, dport: 22, sport: 47000, timeout: 0.5 });
    const outbound = probe1(topo.server, { kind: 'connect', dst: topo.addr.client, port: 80 });
    const rejected = probe1(topo.server, { kind: 'connect', dst: '127.0.0.1', port: 81 });
    const recs = await cap.stop();
    assert.deepEqual([inbound.reply, outbound.result, rejected.result], ['none', 'open', 'refused']);
    const count = (prefix: string): number => recs.filter((r) => r.prefix === prefix && r.protocol === 6).length;
    // The guide's OUTPUT rule has no interface: the loopback connection is a new outbound one too.
    assert.deepEqual([count('[OY-D]:'), count('[OY-A]:'), count('[OY-R]:')], [1, 2, 1]);
    // And so is the ICMP port unreachable of the reject, RELATED to the rejected connection.
    assert.equal(recs.filter((r) => r.prefix === '[OY-A]:' && r.protocol === 1).length, 1);
    assert.equal(recs.length, 5, recs.map((r) => `${r.prefix}${String(r.protocol)}`).join(', '));
  });
});
