// SPDX-License-Identifier: GPL-2.0-or-later
/** safeApply(): trial, confirm, rollback at the deadline, and what happens when the process dies or hangs. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { assertPrivateNetns } from '../helpers/netns';
import { pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { hostFirewall, presetObjects } from '../../lib/presets';
import { GATE_COMMENT, GATE_SET, safeApply } from '../../lib/safe-apply';
import { apply, listen, probe, until } from './util';

assertPrivateNetns();

describe('packets: safeApply()', function () {
  let topo: PairTopology;
  let nft: Nftables;
  let srv: ChildProcess;
  let child: ChildProcess | undefined;
  let sport = 44000;

  /** Which of ports 22 and 80 accept a connection from the client. */
  const reachable = (): string => {
    const rs = probe(topo.client, [22, 80].map((port) => ({ kind: 'connect' as const, dst: topo.addr.server, port, timeout: 0.5 })));
    return [22, 80].filter((_, i) => rs[i]?.result === 'open').join(',');
  };
  const tables = async () => (await nft.listTables()).map((t) => `${t.name}${[t.flags ?? []].flat().includes('owner') ? ' (owned)' : ''}`).sort();
  const gateLeft = async () => (await nft.listRules({ family: 'inet', table: 'fw' })).filter((r) => r.comment === GATE_COMMENT).length;

  before(async () => {
    topo = pairTopology();
    nft = await Nftables.open({ netns: topo.server.path });
    srv = await listen(topo.server, { name: 'srv', tcp: [22, 80] });
  });
  beforeEach(async () => {
    // The live ruleset: only SSH.
    await apply(nft, presetObjects(hostFirewall({ tcpPorts: [22] })));
    sport += 10;
  });
  afterEach(async () => {
    if (!child) return;
    child.kill('SIGKILL');
    child = undefined;
    await until('the killed trial owner is gone', async () => !(await tables()).some((t) => t.endsWith('(owned)')), 5000, 50);
  });
  after(async () => {
    srv?.kill('SIGKILL');
    await nft?.close();
    topo?.destroy();
  });

  it('puts the candidate in charge during the trial and rolls back atomically at the deadline', async () => {
    assert.equal(reachable(), '22');
    const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 1500 });
    assert.equal(trial.state, 'trial');
    assert.deepEqual(await tables(), ['fw', 'fw__trial (owned)']);
    assert.equal(reachable(), '80');
    assert.equal(await trial.settled, 'rolled-back');
    assert.deepEqual(await tables(), ['fw']);
    assert.equal(await gateLeft(), 0);
    assert.equal(reachable(), '22');
  });

  it('confirm() makes the candidate the live table, unowned, without gates', async () => {
    const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 5000 });
    await trial.confirm();
    assert.equal(trial.state, 'confirmed');
    assert.deepEqual(await tables(), ['fw']);
    assert.equal(await gateLeft(), 0);
    assert.equal((await nft.listSets({ family: 'inet', table: 'fw' })).filter((s) => s.name === GATE_SET).length, 0);
    assert.equal(reachable(), '80');
    await assert.rejects(trial.confirm(), /already confirmed/);
  });

  it('rollback() can be called early; confirm() after the deadline is refused', async () => {
    const a = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 5000 });
    await a.rollback();
    assert.equal(reachable(), '22');
    const b = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 300 });
    await until('the deadline passes', () => Date.now() > b.deadline, 5000, 50);
    await assert.rejects(b.confirm(), /deadline passed/);
    assert.equal(b.state, 'rolled-back');
    assert.equal(reachable(), '22');
  });

  /** Starts the child's trial; resolves with the child, the trial's deadline and the child's later output. */
  function startChild(mode: 'wait' | 'hang', deadlineMs: number, hangMs = 0, leaseMs?: number): Promise<{ child: ChildProcess; deadline: number; output: () => string }> {
    const args = [topo.server.path, String(deadlineMs), mode, String(hangMs), ...(leaseMs !== undefined ? [String(leaseMs)] : [])];
    const c = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'tools', 'safe-apply-child.ts'), ...args], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    let out = '';
    return new Promise((resolve, reject) => {
      let err = '';
      c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      c.stdout?.on('data', (d: Buffer) => {
        const first = out === '';
        out += d.toString();
        if (first) resolve({ child: c, deadline: Number(/^started (\d+)/.exec(out)?.[1]), output: () => out });
      });
      c.once('exit', (code) => reject(new Error(`child exited ${String(code)}: ${err}`)));
    });
  }

  it('a process killed before confirming: its trial table vanishes at once, the previous ruleset is back within the lease, long before the deadline', async () => {
    // Deadline 60 s, lease 1 s: before the lease existed the old table stayed open for the whole minute.
    const { child: c, deadline } = await startChild('wait', 60000, 0, 1000);
    assert.ok(Number.isFinite(deadline), 'the child reports its deadline');
    assert.deepEqual(await tables(), ['fw', 'fw__trial (owned)']);
    assert.equal(reachable(), '80');
    c.kill('SIGKILL');
    await until('the kernel deletes the owned trial table', async () => (await tables()).length === 1, 5000, 50);
    await until('the previous ruleset decides again', () => reachable() === '22', 10000, 100);
    assert.ok(Date.now() < deadline - 40000, 'the previous ruleset decided again within the lease, not at the deadline');
    // The next safe apply removes the leftover gate rules.
    assert.ok((await gateLeft()) > 0);
    const next = await safeApply(presetObjects(hostFirewall({ tcpPorts: [22] })), { netns: topo.server.path, deadlineMs: 5000 });
    await next.confirm();
    assert.equal(await gateLeft(), 0);
  });

  it('a hung process (alive, event loop blocked): the previous ruleset decides within the lease; once it runs again it rolls back', async () => {
    const { deadline, output } = await startChild('hang', 60000, 6000, 1000);
    assert.equal(reachable(), '80');
    await until('the previous ruleset decides while the trial table still exists', async () => reachable() === '22' && (await tables()).includes('fw__trial (owned)'), 5500, 100);
    assert.ok(Date.now() < deadline - 40000, 'the previous ruleset decided again within the lease, not at the deadline');
    // The child resumes, finds its lease lapsed and rolls back instead of re-opening the gates.
    await until('the resumed child rolls back', () => output().includes('rolled back'), 15000, 100);
    assert.match(output(), /resumed\nrolled back: the trial's lease lapsed: this process did not renew its gates for \d+ ms \(lease 1000 ms\), so the previous ruleset had taken over; rolled back\n/);
    await until('the trial table is gone', async () => (await tables()).length === 1, 5000, 50);
    assert.deepEqual(await tables(), ['fw']);
    assert.equal(await gateLeft(), 0);
    assert.equal(reachable(), '22');
  });

  it('the gates are renewed every third of the lease, never carry more than the lease, and a deadline above 2^31-1 ms does not roll back early', async () => {
    const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 2 ** 31 + 1000, leaseMs: 600 });
    const gate = { table: { family: 'inet' as const, name: 'fw' }, name: GATE_SET, key: 'mark' as const, flags: ['timeout' as const] };
    const left = async (): Promise<number> => {
      const els = await nft.listElements(gate);
      assert.equal(els.length, 1);
      assert.equal(els[0]?.timeoutMs, 600);
      return els[0]?.expiresMs ?? -1;
    };
    // A renewal shows as the time left going up again; see two of them.
    let renewals = 0;
    let last = await left();
    assert.ok(last > 0 && last <= 600, `time left ${last} is within the lease`);
    await until('two renewals', async () => {
      const now = await left();
      assert.ok(now > 0 && now <= 600, `time left ${now} is within the lease`);
      if (now > last) renewals++;
      last = now;
      return renewals >= 2;
    }, 10000, 50);
    assert.equal(trial.state, 'trial');
    assert.equal(reachable(), '80');
    await trial.rollback();
    assert.equal(reachable(), '22');
  });

  it('refuses deadlines and leases it cannot keep, before touching anything', async () => {
    const objs = presetObjects(hostFirewall({ tcpPorts: [80] }));
    await assert.rejects(safeApply(objs, { netns: topo.server.path, deadlineMs: 2 ** 53 }), { name: 'RangeError', message: 'Expected a positive integer of milliseconds for deadlineMs but received 9007199254740992' });
    await assert.rejects(safeApply(objs, { netns: topo.server.path, deadlineMs: 0 }), { name: 'RangeError', message: 'Expected a positive integer of milliseconds for deadlineMs but received 0' });
    await assert.rejects(safeApply(objs, { netns: topo.server.path, leaseMs: 100 }), { name: 'RangeError', message: 'Expected an integer of at least 300 milliseconds for leaseMs but received 100' });
    assert.deepEqual(await tables(), ['fw']);
  });

  it('with no previous table, rolling back leaves no table', async () => {
    await nft.commit(nft.transaction().delete({ family: 'inet', name: 'fw' }));
    const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), { netns: topo.server.path, deadlineMs: 5000 });
    assert.equal(reachable(), '80');
    await trial.rollback();
    assert.deepEqual(await tables(), []);
    assert.equal(reachable(), '22,80');
  });
});
