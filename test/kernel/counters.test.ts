// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import {
  Nftables,
  RuleCounters,
  accept,
  counter,
  counterName,
  ipProtocol,
  lookup,
  quotaName,
  ratesBetween,
  udpDport,
  type Chain,
  type JStatement,
  type JsonRule,
  type ObjectSpec,
  type SetSpec,
  type Table,
} from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nft as nftCli, nftFlush } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'inet', name: 'cnt' };
const out: Chain = { table: t, name: 'out', base: { type: 'filter', hook: 'output', priority: 0, policy: 'accept' } };
const other: Chain = { table: t, name: 'other' };
const ports: SetSpec = { table: t, name: 'ports', key: 'inet_service', counter: true };
const objc: ObjectSpec = { table: t, name: 'objc', type: 'counter' };
const q: ObjectSpec = { table: t, name: 'q', type: 'quota', bytes: 1000000n };
const rule = (chain: string, expr: JStatement[], comment?: string): JsonRule => ({ family: t.family, table: t.name, chain, expr, ...(comment !== undefined ? { comment } : {}) });

/** Sends `count` UDP datagrams of `payload` bytes to 127.0.0.1:port and waits until each left. */
async function send(port: number, count: number, payload: number): Promise<void> {
  const s = createSocket('udp4');
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((res, rej) => s.send(Buffer.alloc(payload, 0x61), port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    }
  } finally {
    s.close();
  }
}

describe('counters: rule counters in one dump, named objects, per-element counters, reset', () => {
  let nft: Nftables;
  const listeners: Socket[] = [];
  before(async () => {
    // Listeners, so that no ICMP port-unreachable error comes back to the sender.
    for (const port of [40001, 40002]) {
      const l = createSocket('udp4');
      await new Promise<void>((res) => l.bind(port, '127.0.0.1', res));
      listeners.push(l);
    }
  });
  after(() => {
    for (const l of listeners) l.close();
  });
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
    await nft
      .transaction()
      .addAll([t, out, other, ports, objc, q])
      .addElements(ports, [40001, 40002])
      .addAll([
        rule('out', [udpDport(40001), counter()], 'udp-a'),
        rule('out', [udpDport(40002), counter()], 'udp-b'),
        rule('out', [ipProtocol('icmp'), accept()], 'no-counter'),
        rule('out', [udpDport(40001), counterName('objc')]),
        rule('out', [udpDport(40002), quotaName('q')]),
        rule('out', [lookup('udp dport', 'ports')], 'per-element'),
        rule('out', [counter()]),
        rule('other', [counter({ packets: 7n, bytes: 700n })], 'preset'),
      ])
      .commit();
  });
  afterEach(async () => {
    await nft.close();
  });

  it('counts real packets exactly, keyed by handle and by comment; rules without a counter are left out', async () => {
    await send(40001, 5, 100); // 5 x (20 IP + 8 UDP + 100)
    await send(40002, 3, 10); // 3 x 38
    const c = await nft.ruleCounters({ family: 'inet', table: 'cnt', chain: 'out' });
    assert.ok(c instanceof RuleCounters);
    assert.equal(c.size, 3);
    assert.deepEqual(
      [...c].map((r) => [r.comment, r.packets, r.bytes]),
      [
        ['udp-a', 5n, 640n],
        ['udp-b', 3n, 114n],
        [undefined, 8n, 754n],
      ],
    );
    // Handles agree with the full listing.
    const listed = await nft.listRules({ family: 'inet', table: 'cnt', chain: 'out' });
    const a = listed.find((r) => r.comment === 'udp-a');
    assert.ok(a?.handle !== undefined);
    assert.equal(c.byHandle(a.handle, t)?.comment, 'udp-a');
    assert.equal(c.byHandle(BigInt(a.handle))?.packets, 5n);
    assert.equal(c.byName('udp-b')?.bytes, 114n);
    assert.equal(c.byName('no-counter'), undefined);
    assert.equal(c.indexOfName('nope'), -1);
    assert.deepEqual(c.at(0).table, t);
    assert.equal(c.at(0).chain, 'out');
    assert.deepEqual(c.total(), { packets: 16n, bytes: 1508n });
    assert.ok(c.packets instanceof BigUint64Array && c.handles.length === 3);
    // A table or the whole ruleset: the other chain's preset counter too.
    const all = await nft.counters();
    assert.deepEqual(
      all.map((r) => [r.chain, r.comment, r.packets]),
      [
        ['out', 'udp-a', 5n],
        ['out', 'udp-b', 3n],
        ['out', undefined, 8n],
        ['other', 'preset', 7n],
      ],
    );
    // Same numbers as nft prints.
    assert.match(nftCli(['list', 'chain', 'inet', 'cnt', 'out']), /udp dport 40001 counter packets 5 bytes 640 comment "udp-a"/);
  });

  it('reset: true reads and zeroes atomically; the next read starts from zero', async () => {
    await send(40001, 2, 50);
    const first = await nft.ruleCounters({ family: 'inet', table: 'cnt', reset: true });
    assert.equal(first.byName('udp-a')?.packets, 2n);
    assert.equal(first.byName('udp-a')?.bytes, 156n);
    assert.equal(first.byName('preset')?.packets, 7n);
    const second = await nft.ruleCounters({ family: 'inet', table: 'cnt' });
    assert.deepEqual(
      [...second].map((r) => [r.packets, r.bytes]),
      [
        [0n, 0n],
        [0n, 0n],
        [0n, 0n],
        [0n, 0n],
      ],
    );
    await send(40001, 1, 1);
    assert.equal((await nft.ruleCounters({ family: 'inet', table: 'cnt' })).byName('udp-a')?.packets, 1n);
  });

  it('named counter and quota objects, read and reset', async () => {
    await send(40001, 4, 100);
    await send(40002, 2, 100);
    assert.deepEqual(await nft.objectCounters({ family: 'inet', table: 'cnt' }), [
      { type: 'counter', table: t, name: 'objc', packets: 4n, bytes: 512n },
      { type: 'quota', table: t, name: 'q', bytes: 1000000n, used: 256n },
    ]);
    await nft.objectCounters({ family: 'inet', table: 'cnt', reset: true });
    assert.deepEqual(await nft.objectCounters({ family: 'inet', table: 'cnt' }), [
      { type: 'counter', table: t, name: 'objc', packets: 0n, bytes: 0n },
      { type: 'quota', table: t, name: 'q', bytes: 1000000n, used: 0n },
    ]);
  });

  it('per-element set counters, read and reset', async () => {
    await send(40001, 3, 100);
    await send(40002, 1, 100);
    const sorted = (x: Array<{ key: unknown; packets: bigint; bytes: bigint }>) => x.map((e) => [e.key, e.packets, e.bytes]).sort((l, r) => Number(l[0]) - Number(r[0]));
    assert.deepEqual(sorted(await nft.setCounters(ports, { reset: true })), [
      [40001, 3n, 384n],
      [40002, 1n, 128n],
    ]);
    assert.deepEqual(sorted(await nft.setCounters(ports)), [
      [40001, 0n, 0n],
      [40002, 0n, 0n],
    ]);
  });

  it('rates between two readings: deltas of the packets sent in between', async () => {
    const before = await nft.ruleCounters({ family: 'inet', table: 'cnt', chain: 'out' });
    await send(40001, 6, 100);
    const next = await nft.ruleCounters({ family: 'inet', table: 'cnt', chain: 'out' });
    const s = ratesBetween(before, next);
    const a = s.rules.find((r) => r.comment === 'udp-a');
    assert.ok(a);
    assert.equal(a.deltaPackets, 6n);
    assert.equal(a.deltaBytes, 768n);
    assert.equal(a.packetsPerSec, 6 / (s.elapsedMs / 1000));
    assert.equal(s.rules.find((r) => r.comment === 'udp-b')?.deltaPackets, 0n);
    // The sampler yields readings with the first one at zero rates and stops on abort.
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const sample of nft.counterRates({ family: 'inet', table: 'cnt' }, { intervalMs: 1, signal: ac.signal })) {
      seen.push(sample.rules.length);
      if (seen.length === 1) assert.ok(sample.rules.every((r) => r.packetsPerSec === 0 && r.deltaPackets === 0n));
      if (seen.length === 3) ac.abort();
    }
    assert.deepEqual(seen, [4, 4, 4]);
  });

  it('a missing table or chain reads as no rules (as listRules does); bad filters throw before anything is sent', async () => {
    assert.equal((await nft.ruleCounters({ family: 'inet', table: 'missing' })).size, 0);
    assert.equal((await nft.ruleCounters({ family: 'inet', table: 'cnt', chain: 'missing' })).size, 0);
    assert.throws(() => nft.ruleCounters({ chain: 'out' }), { name: 'TypeError', message: 'Expected a table together with chain for table but received undefined' });
    assert.throws(() => nft.ruleCounters({ table: '9bad' }), TypeError);
  });
});
