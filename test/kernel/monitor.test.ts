// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Monitor, Nftables, accept, tcpDport, type MonitorEvent, type MonitorTransaction, type Table } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nft as nftCli, nftFlush, nftLoad } from '../helpers/nft';

assertPrivateNetns();

/** The next `n` events of the monitor. */
async function take(m: Monitor, n: number): Promise<MonitorEvent[]> {
  const out: MonitorEvent[] = [];
  const it = m[Symbol.asyncIterator]();
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const summary = (t: MonitorTransaction) => t.changes.map((c) => ('op' in c ? `${c.op} ${c.kind}` : c.kind));

describe('monitor(): ruleset events from anyone in the namespace', () => {
  let nft: Nftables;
  let m: Monitor | undefined;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    m?.close();
    m = undefined;
    await nft.close();
  });

  it('decodes a transaction made by nft into the model, with the committer pid and name', async () => {
    m = await nft.monitor();
    nftLoad('table inet t {\n  set s { type ipv4_addr; elements = { 1.2.3.4, 5.6.7.8 }; }\n  chain c {\n    type filter hook input priority 0;\n    ip saddr @s tcp dport 22 counter accept comment "ssh"\n  }\n}\n');
    const [ev] = await take(m, 1);
    assert.ok(ev?.type === 'transaction');
    assert.equal(ev.process, 'nft');
    assert.ok(ev.pid > 0 && ev.pid !== process.pid);
    assert.equal(ev.generation, await nft.generation());
    assert.deepEqual(summary(ev), ['add table', 'add chain', 'add set', 'add elements', 'add elements', 'add rule']);
    const [table, chain, set, e1, e2, rule] = ev.changes;
    assert.ok(table?.kind === 'table' && chain?.kind === 'chain' && set?.kind === 'set' && rule?.kind === 'rule');
    assert.deepEqual(table.table, { family: 'inet', name: 't', handle: table.table.handle });
    assert.deepEqual(chain.chain, { family: 'inet', table: 't', name: 'c', handle: chain.chain.handle, type: 'filter', hook: 'input', prio: 0, policy: 'accept' });
    assert.deepEqual(set.set, { family: 'inet', table: 't', name: 's', type: 'ipv4_addr', handle: set.set.handle });
    assert.ok(e1?.kind === 'elements' && e2?.kind === 'elements');
    assert.deepEqual([e1.elem, e2.elem], [['1.2.3.4'], ['5.6.7.8']]);
    // the same objects as the listings give them
    assert.deepEqual(table.table, (await nft.listTables())[0]);
    assert.deepEqual(chain.chain, (await nft.listChains())[0]);
    assert.deepEqual(set.set, (await nft.listSets())[0]);
    // nft's JSON rule, its set lookup typed by the set of the same transaction
    assert.deepEqual(rule.rule, {
      family: 'inet',
      table: 't',
      chain: 'c',
      handle: rule.rule.handle,
      comment: 'ssh',
      expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@s' } }, tcpDport(22), { counter: { packets: 0n, bytes: 0n } }, accept()],
    });
    assert.deepEqual(rule.rule, (await nft.listRules({ family: 'inet', table: 't', chain: 'c' }))[0]);
    // Deleting the table: every object goes, in the kernel's order.
    nftCli(['delete', 'table', 'inet', 't']);
    const [del] = await take(m, 1);
    assert.ok(del?.type === 'transaction');
    assert.deepEqual(summary(del), ['delete rule', 'delete set', 'delete chain', 'delete table']);
  });

  it('sees a second connection’s commits (with its port id) and its own', async () => {
    m = await nft.monitor();
    const other = await Nftables.open();
    try {
      const t: Table = { family: 'ip', name: 'by_other' };
      await other.transaction().add(t).add({ table: t, name: 'x' }).commit();
      await nft.transaction().add({ family: 'ip6', name: 'mine' }).commit();
      const [a, b] = await take(m, 2);
      assert.ok(a?.type === 'transaction' && b?.type === 'transaction');
      assert.equal(a.portId, other.portId);
      // The kernel names the committing thread (task_pid_nr): here a libuv worker of this process.
      assert.ok(existsSync(`/proc/self/task/${a.pid}`));
      assert.deepEqual(summary(a), ['add table', 'add chain']);
      assert.equal(b.portId, nft.portId);
      assert.ok(b.changes[0]?.kind === 'table' && b.changes[0].table.name === 'mine');
      assert.equal(b.generation, a.generation + 1);
    } finally {
      await other.close();
    }
  });

  it('rules with inline sets decode as listRules() decodes them (the anonymous set travels in the same transaction)', async () => {
    m = await nft.monitor();
    nftLoad('table inet t {\n  chain c {\n    tcp dport { 22, 80 } accept\n  }\n}\n');
    const [ev] = await take(m, 1);
    assert.ok(ev?.type === 'transaction');
    const rule = ev.changes.find((c) => c.kind === 'rule');
    assert.ok(rule?.kind === 'rule');
    const listed = await nft.listRules({ family: 'inet', table: 't', chain: 'c' });
    assert.deepEqual(rule.rule, listed[0]);
    assert.deepEqual(rule.rule.expr?.[0], tcpDport({ set: [22, 80] }));
  });

  it('also works as an EventEmitter', async () => {
    m = await nft.monitor();
    const got = new Promise<MonitorTransaction>((resolve) => m?.once('transaction', resolve));
    nftCli(['add', 'table', 'inet', 'emitted']);
    const t = await got;
    assert.ok(t.changes[0]?.kind === 'table' && t.changes[0].table.name === 'emitted');
  });

  it('reports lost events when the socket buffer overflows, and keeps going', async () => {
    m = Monitor.open({ rcvbufBytes: 4096 });
    // nft runs while this process is blocked, so nothing is read until it is done: 2,000
    // element events overflow a 4 KiB buffer.
    const elements = Array.from({ length: 2000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ');
    nftLoad(`table ip big {\n  set s { type ipv4_addr; elements = { ${elements} }; }\n}\n`);
    const first = await take(m, 1);
    assert.deepEqual(first, [{ type: 'lost', reason: 'kernel' }]);
    // Events after the overflow are delivered again.
    let ev: MonitorEvent | undefined;
    nftCli(['add', 'table', 'ip', 'after']);
    const it = m[Symbol.asyncIterator]();
    for (;;) {
      const r = await it.next();
      assert.ok(!r.done);
      ev = r.value;
      if (ev.type === 'transaction' && ev.changes.some((c) => c.kind === 'table' && c.table.name === 'after')) break;
    }
    assert.ok(ev.type === 'transaction');
  });

  it('close() ends a pending iteration and stops the subscription', async () => {
    const mon = await nft.monitor();
    const pending = mon[Symbol.asyncIterator]().next();
    mon.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(mon.closed, true);
    mon.close(); // idempotent
    nftCli(['add', 'table', 'inet', 'late']);
    assert.deepEqual(await mon[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });

  it('breaking out of for await closes the monitor', async () => {
    const mon = await nft.monitor();
    nftCli(['add', 'table', 'inet', 'one']);
    for await (const ev of mon) {
      assert.equal(ev.type, 'transaction');
      break;
    }
    assert.equal(mon.closed, true);
  });

  it('a worker thread terminated with its monitor open closes it cleanly (no crash, no hang)', async () => {
    const root = join(__dirname, '..', '..');
    const code = `
      const { parentPort } = require('node:worker_threads');
      const b = require(${JSON.stringify(join(root, 'node_modules', 'node-gyp-build'))})(${JSON.stringify(root)});
      globalThis.keep = b.monitorOpen({}, (events) => parentPort.postMessage(events.map((e) => e.kind)));
      parentPort.postMessage('ready');`;
    const w = new Worker(code, { eval: true });
    const kinds = await new Promise<string[]>((resolve, reject) => {
      w.on('error', reject);
      w.on('message', (msg: unknown) => {
        if (msg === 'ready') nftCli(['add', 'table', 'inet', 'from_main']);
        else resolve(msg as string[]);
      });
    });
    assert.deepEqual(kinds, ['table', 'gen']);
    // Terminated while idle or while running: either way it must end, without a crash.
    assert.ok([0, 1].includes(await w.terminate()));
  });

  it('decodes packet traces of rules with meta nftrace set 1 (trace: true)', async () => {
    nftLoad('table inet tr {\n  chain out {\n    type filter hook output priority 0;\n    udp dport 40009 meta nftrace set 1\n    udp dport 40009 counter accept comment "traced"\n  }\n}\n');
    const handle = (await nft.ruleCounters({ family: 'inet', table: 'tr' })).byName('traced')?.handle;
    m = Monitor.open({ trace: true });
    const s = createSocket('udp4');
    await new Promise<void>((res, rej) => s.send(Buffer.from('x'), 40009, '127.0.0.1', (e) => (e ? rej(e) : res())));
    s.close();
    const traces: MonitorEvent[] = [];
    for await (const ev of m) {
      if (ev.type !== 'trace') continue;
      traces.push(ev);
      if (ev.traceType === 'rule' && ev.handle === handle) break;
    }
    const last = traces.at(-1);
    assert.ok(last?.type === 'trace');
    assert.equal(last.table, 'tr');
    assert.equal(last.chain, 'out');
    assert.equal(last.family, 'inet');
    assert.equal(last.verdict, 'accept');
    assert.ok(traces.every((x) => x.type === 'trace' && x.id === last.id));
  });
});
