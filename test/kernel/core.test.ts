// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Nftables, isNftError, renderRuleset, toJsonText, type Chain, type NftItem, type ObjectSpec, type SetSpec, type Table } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const fw: Table = { family: 'inet', name: 'fw' };
const input: Chain = { table: fw, name: 'input', base: { type: 'filter', hook: 'input', priority: 0, policy: 'drop' } };

describe('Nftables connection: tables, chains, sets, objects against nft', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });

  /** The oracle: nft -f of the rendered text lists exactly as what the library committed. */
  async function assertOracle(model: { tables: Table[]; chains?: Chain[]; sets?: SetSpec[]; objects?: ObjectSpec[] }): Promise<string> {
    const text = renderRuleset(model);
    nftLoad(text);
    const expected = nftList();
    nftFlush();
    const tx = nft.transaction();
    for (const t of model.tables) tx.add(t);
    for (const o of model.objects ?? []) tx.add(o);
    for (const s of model.sets ?? []) tx.add(s);
    for (const c of model.chains ?? []) tx.add(c);
    await tx.commit();
    assert.equal(nftList(), expected);
    return expected;
  }

  it('commits tables and base/regular chains of every kind exactly as nft -f does', async () => {
    const nat: Table = { family: 'ip', name: 'nat', comment: 'gateway' };
    await assertOracle({
      tables: [fw, nat, { family: 'ip6', name: 'six', dormant: true }],
      chains: [
        input,
        { table: fw, name: 'forward', base: { type: 'filter', hook: 'forward', priority: 10, policy: 'drop' }, comment: 'fwd' },
        { table: fw, name: 'pre', base: { type: 'filter', hook: 'prerouting', priority: -150 } },
        { table: fw, name: 'raw', base: { type: 'filter', hook: 'prerouting', priority: -300 } },
        { table: fw, name: 'out', base: { type: 'route', hook: 'output', priority: -150 } },
        { table: fw, name: 'tcp_in' },
        { table: fw, name: 'ing', base: { type: 'filter', hook: 'ingress', priority: 0, devices: ['lo'] } },
        { table: nat, name: 'postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 } },
        { table: nat, name: 'prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 } },
      ],
    });
  });

  it('commits sets and maps of every key type and flag exactly as nft -f does', async () => {
    await assertOracle({
      tables: [fw],
      sets: [
        { table: fw, name: 'v4', key: 'ipv4_addr' },
        { table: fw, name: 'v6', key: 'ipv6_addr', flags: ['interval'], comment: 'six' },
        { table: fw, name: 'ports', key: 'inet_service', size: 100 },
        { table: fw, name: 'protos', key: 'inet_proto' },
        { table: fw, name: 'ifs', key: 'ifname' },
        { table: fw, name: 'marks', key: 'mark', policy: 'memory', size: 10 },
        { table: fw, name: 'macs', key: 'ether_addr' },
        { table: fw, name: 'bans', key: 'ipv4_addr', timeoutMs: 3600000, flags: ['dynamic'] },
        { table: fw, name: 'pairs', key: ['ipv4_addr', 'inet_service'], flags: ['timeout'] },
        { table: fw, name: 'ranges', key: ['ipv4_addr', 'inet_service'], flags: ['interval'] },
        { table: fw, name: 'cidrs', key: 'ipv4_addr', flags: ['interval'], autoMerge: true },
        { table: fw, name: 'counted', key: 'ipv4_addr', counter: true },
        { table: fw, name: 'verdicts', key: 'inet_service', map: 'verdict' },
        { table: fw, name: 'marker', key: 'ifname', map: 'mark' },
      ],
    });
  });

  it('commits named counter, quota and limit objects exactly as nft -f does', async () => {
    await assertOracle({
      tables: [fw],
      objects: [
        { table: fw, name: 'c1', type: 'counter', packets: 5n, bytes: 300n, comment: 'x' },
        { table: fw, name: 'q1', type: 'quota', bytes: 100n * 1024n * 1024n, over: true },
        { table: fw, name: 'l1', type: 'limit', rate: 10, per: 'minute', burst: 3, over: true },
        { table: fw, name: 'l2', type: 'limit', rate: 1024 * 1024, per: 'second', unit: 'bytes' },
      ],
    });
  });

  it('lists tables, chains, sets and objects in nft\'s JSON model, as nft -j lists them', async () => {
    const sets: SetSpec[] = [
      { table: fw, name: 'v4', key: 'ipv4_addr', flags: ['interval'], comment: 'c' },
      { table: fw, name: 'bans', key: 'ipv4_addr', timeoutMs: 600000, size: 1000 },
      { table: fw, name: 'pairs', key: ['ipv4_addr', 'inet_service'] },
    ];
    const counter: ObjectSpec = { table: fw, name: 'c1', type: 'counter', packets: 0n, bytes: 0n };
    await nft.transaction().add(fw).add(input).add(counter).addAll(sets).commit();
    const oracle = (JSON.parse(execFileSync('nft', ['-j', 'list', 'ruleset'], { encoding: 'utf8' })) as { nftables: Record<string, unknown>[] }).nftables;
    const ofKind = (k: string): unknown[] => oracle.filter((i) => k in i).map((i) => i[k]);
    // ours as nft 1.0.6 writes them (bigint counters as numbers)
    const asNft = (items: readonly NftItem[]): Record<string, unknown>[] => (JSON.parse(toJsonText({ nftables: items }, { nft106: true })) as { nftables: Record<string, unknown>[] }).nftables;
    assert.deepEqual(asNft((await nft.listTables()).map((table) => ({ table }))).map((i) => i['table']), ofKind('table'));
    assert.deepEqual(asNft((await nft.listChains()).map((chain) => ({ chain }))).map((i) => i['chain']), ofKind('chain'));
    assert.deepEqual(asNft((await nft.listSets()).map((set) => ({ set }))).map((i) => i['set']), ofKind('set'));
    assert.deepEqual(asNft(await nft.listObjects()).map((i) => i['counter']), ofKind('counter'));
    assert.deepEqual((await nft.listSets()).find((s) => s.name === 'bans'), { family: 'inet', table: 'fw', name: 'bans', type: 'ipv4_addr', handle: (await nft.listSets()).find((s) => s.name === 'bans')?.handle, flags: ['timeout'], timeout: 600, size: 1000 });
    // the whole ruleset in one document, in nft's order
    const kinds = (await nft.listRuleset()).nftables.map((i) => Object.keys(i)[0]);
    assert.deepEqual(kinds, ['metainfo', 'table', 'counter', 'set', 'set', 'set', 'chain']);
  });

  it('adds, lists and deletes typed elements, including intervals and maps', async () => {
    const cidrs: SetSpec = { table: fw, name: 'cidrs', key: 'ipv4_addr', flags: ['interval'] };
    const vmap: SetSpec = { table: fw, name: 'vmap', key: 'inet_service', map: 'verdict' };
    const tcp: Chain = { table: fw, name: 'tcp_in' };
    await nft
      .transaction()
      .add(fw)
      .add(tcp)
      .add(cidrs)
      .add(vmap)
      .addElements(cidrs, ['10.0.0.0/8', '192.168.1.1', '172.16.0.0-172.16.0.9', '255.255.255.0/24'])
      .addElements(vmap, [{ key: 22, value: 'jump tcp_in' }, { key: 80, value: 'accept' }])
      .commit();
    assert.deepEqual((await nft.listElements(cidrs)).map((e) => e.key).sort(), ['10.0.0.0/8', '172.16.0.0-172.16.0.9', '192.168.1.1', '255.255.255.0/24']);
    assert.deepEqual(
      (await nft.listElements(vmap)).map((e) => [e.key, e.value]).sort(),
      [
        [22, 'jump tcp_in'],
        [80, 'accept'],
      ],
    );
    assert.match(nftList(), /elements = \{ 10\.0\.0\.0\/8, 172\.16\.0\.0-172\.16\.0\.9,\s+192\.168\.1\.1, 255\.255\.255\.0\/24 \}/);
    await nft.transaction().deleteElements(cidrs, ['10.0.0.0/8']).commit();
    assert.deepEqual((await nft.listElements(cidrs)).map((e) => e.key).sort(), ['172.16.0.0-172.16.0.9', '192.168.1.1', '255.255.255.0/24']);
  });

  it('commitSync() and the generation id', async () => {
    const g0 = await nft.generation();
    const r = nft.transaction().add(fw).add(input).commitSync();
    assert.ok(r.batchBytes > 0 && r.messages === 4);
    assert.equal(await nft.generation(), g0 + 1);
    assert.match(nftList(), /chain input/);
  });

  it('flush and delete of tables, chains and sets', async () => {
    const s: SetSpec = { table: fw, name: 's', key: 'ipv4_addr' };
    await nft.transaction().add(fw).add(input).add(s).addElements(s, ['1.2.3.4']).commit();
    await nft.transaction().flush(s).commit();
    assert.deepEqual(await nft.listElements(s), []);
    await nft.transaction().delete(input).commit();
    assert.deepEqual((await nft.listChains({ family: 'inet', table: 'fw' })).length, 0);
    await nft.transaction().delete(fw).commit();
    assert.equal(nftList(), '');
    await nft.transaction().destroy(fw).commit(); // destroy of an absent table is not an error
  });
});

describe('Nftables failures: clear errors, nothing applied', () => {
  let nft: Nftables;
  before(async () => {
    nft = await Nftables.open();
  });
  after(async () => {
    await nft.close();
  });
  beforeEach(() => {
    nftFlush();
    nftLoad('table inet fw {\n set s { type ipv4_addr; elements = { 1.2.3.4 }; }\n chain input { type filter hook input priority 0; }\n}\n');
  });

  async function failing(build: (tx: ReturnType<Nftables['transaction']>) => unknown): Promise<Error & { code?: string; index?: number }> {
    const before = nftList();
    const tx = nft.transaction();
    build(tx);
    const err = await tx.commit().then(
      () => assert.fail('expected the commit to fail'),
      (e: unknown) => e as Error & { code?: string; index?: number },
    );
    assert.ok(isNftError(err), String(err));
    assert.equal(nftList(), before, 'a failed transaction must leave the ruleset exactly as it was');
    return err;
  }

  it('a chain in a missing table names the table (ENOENT) and rolls back earlier operations', async () => {
    const err = await failing((tx) => tx.add({ family: 'inet', name: 'other' }).add({ table: { family: 'ip', name: 'nope' }, name: 'c' }));
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.index, 1);
    assert.equal(err.message, 'add chain ip nope c (op 1): table ip nope does not exist; nothing was applied');
  });

  it('elements for a missing set name the set', async () => {
    const err = await failing((tx) => tx.addElements({ table: fw, name: 'missing', key: 'ipv4_addr' }, ['10.0.0.1']));
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.message, 'add element inet fw missing (op 0): set @missing does not exist in table inet fw; nothing was applied');
  });

  it('commits queued without awaiting reach the kernel in order, each with its own result; a dump queued among them reads what the commits before it left', async () => {
    // The connection hands a commit to its I/O thread while the one before is still in the
    // kernel: results, their order, refusals and their diagnosis must be as if each waited.
    await nft.commit(nft.transaction().add(fw).add({ table: fw, name: 's', key: 'ipv4_addr' }));
    const s: SetSpec = { table: fw, name: 's', key: 'ipv4_addr' };
    const calls: Promise<unknown>[] = [];
    const outcome: string[] = [];
    for (let i = 0; i < 40; i++) {
      let tx = nft.transaction().addElements(s, [`10.0.${i}.1`]);
      // Every 10th refers to a chain that does not exist: refused, and its error names it.
      if (i % 10 === 7) tx = tx.add({ table: fw, name: `c${i}`, base: { type: 'filter', hook: 'input', priority: 0 } }).add({ family: 'inet', table: 'fw', chain: `nochain${i}`, expr: [{ accept: null }] });
      calls.push(
        tx.commit().then(
          () => outcome.push(`${i}:ok`),
          (e: Error & { code?: string }) => outcome.push(`${i}:${e.code}:${e.message}`),
        ),
      );
      if (i === 20) calls.push(nft.listElements(s).then((els) => outcome.push(`dump:${els.filter((e) => String(e.key).startsWith('10.0.')).length}`)));
    }
    await Promise.all(calls);
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      expected.push(i % 10 === 7 ? `${i}:ENOENT:add rule inet fw nochain${i} (op 2): chain nochain${i} does not exist in table inet fw; nothing was applied` : `${i}:ok`);
      if (i === 20) expected.push('dump:19'); // 0..20 without 7 and 17
    }
    assert.deepEqual(outcome, expected);
    assert.equal((await nft.listElements(s)).filter((e) => String(e.key).startsWith('10.0.')).length, 36);
    assert.deepEqual((await nft.listChains({ family: 'inet', table: 'fw' })).filter((c) => /^c\d/.test(c.name)), []);
  });

  it('close() finishes commits queued on the I/O thread, then closes', async () => {
    const s: SetSpec = { table: fw, name: 's', key: 'ipv4_addr' };
    const own = await Nftables.open();
    await own.commit(own.transaction().add(fw).add(s));
    const done = Array.from({ length: 20 }, (_, i) => own.commit(own.transaction().addElements(s, [`10.1.${i}.1`])));
    await own.close();
    assert.equal((await Promise.all(done)).length, 20);
    assert.equal(nftList().match(/10\.1\.\d+\.1/g)?.length, 20);
  });

  it('a duplicate element with exclusive add is EEXIST', async () => {
    const err = await failing((tx) => tx.addElements({ table: fw, name: 's', key: 'ipv4_addr' }, ['1.2.3.4'], { exclusive: true }));
    assert.equal(err.code, 'EEXIST');
    assert.match(err.message, /^create element inet fw s \(op 0\): it already exists/);
  });

  it('every failure of a batch is reported, each naming its operation', async () => {
    const err = (await failing((tx) =>
      tx
        .add({ table: { family: 'ip', name: 'nope' }, name: 'c' })
        .add({ table: fw, name: 'ok' })
        .create({ family: 'inet', name: 'fw' }),
    )) as Error & { failures?: Array<{ index: number; code: string; message: string }> };
    assert.deepEqual(
      err.failures?.map((f) => [f.index, f.code, f.message]),
      [
        [0, 'ENOENT', 'add chain ip nope c (op 0): table ip nope does not exist'],
        [2, 'EEXIST', 'create table inet fw (op 2): it already exists (or, for elements, overlaps an existing interval)'],
      ],
    );
    assert.match(err.message, /\(\+1 more failure\)$/);
    assert.deepEqual((await nft.listChains({ family: 'inet', table: 'fw' })).map((c) => c.name), ['input']);
  });

  it('deleting a set used by a rule is EBUSY', async () => {
    nftLoad('add rule inet fw input ip saddr @s drop\n');
    const err = await failing((tx) => tx.delete({ table: fw, name: 's', key: 'ipv4_addr' }));
    assert.equal(err.code, 'EBUSY');
    assert.equal(err.message, 'delete set inet fw s (op 0): it is in use (referenced by a rule or a jump, or not empty); nothing was applied');
  });

  it('bad input is a TypeError before anything reaches the kernel', () => {
    const tx = nft.transaction();
    assert.throws(() => tx.add({ family: 'inet', name: '9bad' }), { name: 'TypeError', message: /^Expected a name of 1-255 characters .* for table.name but received "9bad"$/ });
    assert.throws(() => tx.add({ family: 'inet6' as 'inet', name: 'x' }), { message: 'Expected a family (inet, ip, arp, netdev, bridge, ip6) for table.family but received "inet6"' });
    assert.throws(() => tx.add({ table: fw, name: 'c', base: { type: 'nat', hook: 'forward', priority: 0 } }), {
      message: 'Expected a nat chain hook (prerouting, input, output, postrouting) for chain.base.hook but received "forward"',
    });
    assert.throws(() => tx.add({ table: fw, name: 'c', base: { type: 'filter', hook: 'input', priority: 2 ** 31 } }), { name: 'RangeError' });
    assert.throws(() => tx.add({ table: fw, name: 's2', key: 'ipv5_addr' as 'ipv4_addr' }), { message: /^Expected one of ipv4_addr, ipv6_addr, .* for set.key but received "ipv5_addr"$/ });
    assert.throws(() => tx.addElements({ table: fw, name: 's', key: 'ipv4_addr' }, ['10.0.0.300']), { message: 'Expected an IPv4 address for elements[0].key but received "10.0.0.300"' });
    assert.throws(() => tx.addElements({ table: fw, name: 's', key: 'ipv4_addr', flags: ['interval'] }, ['10.0.0.1/8']), {
      message: 'Expected a CIDR with no host bits set for elements[0].key but received "10.0.0.1/8"',
    });
    assert.equal(tx.size, 0);
  });

  it('dumps of missing objects reject with NftError ENOENT', async () => {
    await assert.rejects(nft.listElements({ table: fw, name: 'zzz', key: 'ipv4_addr' }), { name: 'NftError', code: 'ENOENT', message: 'list elements inet fw: set zzz does not exist in table inet fw' });
  });
});

describe('Nftables in another network namespace', () => {
  const name = `nftjs-test-${process.pid}`;
  before(() => {
    execFileSync('ip', ['netns', 'add', name]);
  });
  after(() => {
    execFileSync('ip', ['netns', 'del', name]);
  });

  it('opens a connection into /run/netns/NAME and writes only there', async () => {
    nftFlush();
    const nft = await Nftables.open({ netns: `/run/netns/${name}` });
    await nft.transaction().add({ family: 'inet', name: 'remote' }).commit();
    assert.deepEqual((await nft.listTables()).map((t) => t.name), ['remote']);
    await nft.close();
    assert.equal(nftList(), '', 'the current namespace is untouched');
    const there = execFileSync('ip', ['netns', 'exec', name, 'nft', 'list', 'tables'], { encoding: 'utf8' });
    assert.equal(there, 'table inet remote\n');
  });

  it('a missing namespace path is ENOENT with a clear message', async () => {
    await assert.rejects(Nftables.open({ netns: '/run/netns/does-not-exist' }), { code: 'ENOENT', message: /^open \/run\/netns\/does-not-exist: No such file or directory: no such network namespace$/ });
  });
});
