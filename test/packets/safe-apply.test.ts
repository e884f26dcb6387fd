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
  const tables = async () => (await nft.listTables()).map((t) => `${t.name}${t.owner ? ' (owned)' : ''}`).sort();
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

  /** Starts the child's trial; resolves with the child and the trial's deadline (see safeApply's `deadline`). */
  function startChild(mode: 'wait' | 'hang', deadlineMs: number, hangMs = 0): Promise<{ child: ChildProcess; deadline: number }> {
    const c = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'tools', 'safe-apply-child.ts'), topo.server.path, String(deadlineMs), mode, String(hangMs)], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    return new Promise((resolve, reject) => {
      let err = '';
      c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      c.stdout?.once('data', (d: Buffer) => resolve({ child: c, deadline: Number(/^started (\d+)/.exec(d.toString())?.[1]) }));
      c.once('exit', (code) => reject(new Error(`child exited ${String(code)}: ${err}`)));
    });
  }

  it('a process killed before confirming: its trial table vanishes at once, the previous ruleset is back at the deadline', async () => {
    const { child: c, deadline } = await startChild('wait', 3000);
    assert.ok(Number.isFinite(deadline), 'the child reports its deadline');
    assert.deepEqual(await tables(), ['fw', 'fw__trial (owned)']);
    c.kill('SIGKILL');
    await until('the kernel deletes the owned trial table', async () => (await tables()).length === 1, 5000, 50);
    // Documented window: until the deadline the old table is still gated open (fail-open, not locked out).
    // The gate element expires at `deadline` at the earliest, less a clock tick (the child took
    // `deadline` before the commit that set the element's timeout): a probe that has ended before
    // then ran entirely inside the window.
    const open = reachable();
    if (Date.now() < deadline - 50) assert.equal(open, '22,80');
    await until('the previous ruleset decides again', () => reachable() === '22', 10000, 200);
    // The next safe apply removes the leftover gate rules.
    assert.ok((await gateLeft()) > 0);
    const next = await safeApply(presetObjects(hostFirewall({ tcpPorts: [22] })), { netns: topo.server.path, deadlineMs: 5000 });
    await next.confirm();
    assert.equal(await gateLeft(), 0);
  });

  it('a hung process (alive, event loop blocked): the kernel restores the previous ruleset at the deadline anyway', async () => {
    await startChild('hang', 1500, 8000);
    assert.equal(reachable(), '80');
    await until('the previous ruleset decides while the trial table still exists', async () => reachable() === '22' && (await tables()).includes('fw__trial (owned)'), 7000, 200);
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
