// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Tables, chains, sets, maps, elements and named objects in nft's JSON model, in and out: what
 * listTables/listChains/listSets/listObjects/listElements return equals `nft -j list ruleset`
 * (written as nft 1.0.6 writes it) for rulesets loaded by `nft -f`, whatever they hold; a
 * listed object goes back into a transaction unchanged (add, delete, flush); a transaction of
 * JSON objects lists as the same text loaded by `nft -f`; a bad object is refused with its path
 * and changes nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Nftables, safeApply, guides, hostFirewall, modelDocument, presetDocument, presetObjects, renderRuleset, toJsonText, type JSet, type NftItem, type Preset } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { connectionPerTest, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

/** A ruleset of objects outside the typed shorthand: typeof and concatenated keys, maps of marks and verdicts, ct helpers, secmark-free objects, a bound chain. */
const RULESET = `table inet j {
	ct helper ftp21 {
		type "ftp" protocol tcp
		l3proto inet
	}

	counter hits {
		comment "c"
	}

	quota q1 {
		over 2 mbytes used 0 bytes
	}

	set marks {
		typeof meta mark
		elements = { 0x00000001, 0x00000010 }
	}

	set pairs {
		type ipv4_addr . inet_service
		flags interval
		elements = { 10.0.0.0/8 . 22-25, 192.168.1.1 . 80 }
	}

	map m {
		type ifname : mark
		elements = { "lo" : 0x00000002 }
	}

	map v {
		type inet_service : verdict
		elements = { 22 : accept, 23 : drop }
	}

	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport vmap @v
		meta mark @marks counter name "hits"
		tcp dport 80 counter accept
		jump {
			ip saddr 10.0.0.1 accept
		}
	}
}
`;

interface Oracle {
  readonly items: Record<string, unknown>[];
  of(kind: string): unknown[];
}
function oracle(): Oracle {
  const items = (JSON.parse(execFileSync('nft', ['-j', 'list', 'ruleset'], { encoding: 'utf8' })) as { nftables: Record<string, unknown>[] }).nftables;
  return { items, of: (k) => items.filter((i) => k in i).map((i) => i[k]) };
}
/** Ours as nft 1.0.6 writes them (bigint as numbers, its lossy forms). */
const asNft = (items: readonly NftItem[]): Record<string, unknown>[] => (JSON.parse(toJsonText({ nftables: items }, { nft106: true })) as { nftables: Record<string, unknown>[] }).nftables;

describe("tables, chains, sets and objects in nft's JSON model", () => {
  const conn = connectionPerTest();
  let nft: Nftables;
  beforeEach(() => {
    nft = conn();
  });

  it('the listings equal nft -j list ruleset for objects of every kind nft -f loaded', async () => {
    nftLoad(RULESET);
    const o = oracle();
    assert.deepEqual(asNft((await nft.listTables()).map((table) => ({ table }))), o.of('table').map((table) => ({ table })));
    assert.deepEqual(asNft((await nft.listChains()).map((chain) => ({ chain }))), o.of('chain').map((chain) => ({ chain })));
    // listSets leaves the elements out; nft -j lists them with the set
    const sets = await nft.listSets();
    const strip = (x: unknown): unknown => {
      const { elem: _e, ...rest } = x as Record<string, unknown>;
      return rest;
    };
    const want = o.items.filter((i) => 'set' in i || 'map' in i).map((i) => ('set' in i ? { set: strip(i['set']) } : { map: strip(i['map']) }));
    assert.deepEqual(asNft(sets.map((s) => (s.map !== undefined ? { map: s } : { set: s }))), want);
    assert.deepEqual(
      sets.map((s) => s.name),
      ['marks', 'pairs', 'm', 'v'],
      'sets outside the typed shorthand are listed (typeof, concatenations, maps of any data)',
    );
    const objects = await nft.listObjects();
    assert.deepEqual(asNft(objects), o.items.filter((i) => 'ct helper' in i || 'counter' in i || 'quota' in i));
    // elements, decoded with the kernel's declaration of each set
    for (const s of sets) {
      const listed = o.items.find((i) => ((i['set'] ?? i['map']) as { name?: string } | undefined)?.name === s.name);
      const elem = ((listed?.['set'] ?? listed?.['map']) as { elem?: unknown[] }).elem;
      const ours = await nft.listElements(s);
      const projected = asNft([s.map !== undefined ? { map: { ...s, elem: ours } } : { set: { ...s, elem: ours } }])[0]!;
      assert.deepEqual(((projected['set'] ?? projected['map']) as { elem?: unknown[] }).elem, elem, `elements of ${s.name}`);
    }
  });

  it('a listed object goes back into a transaction unchanged: delete, then add, lists as before', async () => {
    nftLoad(RULESET);
    const before = nftList();
    const tables = await nft.listTables();
    const chains = await nft.listChains();
    const sets = await nft.listSets();
    const objects = await nft.listObjects();
    const rules = await nft.listRules();
    const elements = await Promise.all(sets.map((s) => nft.listElements(s)));
    // delete everything of the table through the listed objects, then rebuild from them
    const del = nft.transaction();
    for (const r of rules) del.delete(r);
    for (const c of chains) del.delete(c);
    for (const s of sets) del.delete(s);
    for (const x of objects) del.delete(x);
    await del.commit();
    assert.doesNotMatch(nftList(), /chain input|set marks|ct helper/);
    const add = nft.transaction();
    for (const x of objects) add.add(x);
    sets.forEach((s, i) => add.add(s).addElements(s, elements[i]!));
    for (const c of chains) add.add(c);
    for (const r of rules) add.add(r);
    await add.commit();
    assert.equal(nftList(), before);
    // and the table itself
    await nft.transaction().delete(tables[0]!).commit();
    assert.equal(nftList(), '');
  });

  it('JSON.stringify writes every listing (bigint counters as numbers)', async () => {
    nftLoad(RULESET);
    const rules = await nft.listRules();
    assert.ok(rules.some((r) => JSON.stringify(r.expr, (_k, v: unknown) => (typeof v === 'bigint' ? 'BIG' : v)).includes('BIG')), 'the listing holds bigint counters');
    const text = JSON.stringify(rules);
    assert.doesNotMatch(text, /BIG/);
    assert.deepEqual(JSON.parse(text), JSON.parse(toJsonText({ nftables: rules.map((rule) => ({ rule })) })).nftables.map((i: { rule: unknown }) => i.rule));
    assert.match(JSON.stringify(await nft.listObjects()), /"counter":\{"family":"inet","name":"hits","table":"j","handle":\d+,"comment":"c","packets":0,"bytes":0\}/);
    assert.match(JSON.stringify(await nft.listRuleset()), /"packets":0/);
  });

  it('listings filtered by table give that table\'s objects only (the kernel\'s chain dump does not filter)', async () => {
    nftLoad('table inet a {\n\tchain x {\n\t}\n}\ntable inet b {\n\tcounter c {\n\t}\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain y {\n\t}\n}\ntable ip a {\n\tchain z {\n\t}\n}\n');
    const names = (xs: readonly { family: string; table: string; name: string }[]): string[] => xs.map((x) => `${x.family} ${x.table} ${x.name}`);
    assert.deepEqual(names(await nft.listChains({ family: 'inet', table: 'a' })), ['inet a x']);
    assert.deepEqual(names(await nft.listChains({ table: 'a' })), ['inet a x', 'ip a z']);
    assert.deepEqual(names(await nft.listSets({ family: 'inet', table: 'a' })), []);
    assert.deepEqual(await nft.listObjects({ family: 'inet', table: 'a' }), []);
    assert.deepEqual(names(await nft.listSets({ family: 'inet', table: 'b' })), ['inet b s']);
    // a rule for a chain that exists only in another table: the error names the missing chain
    await assert.rejects(nft.transaction().add({ family: 'inet', table: 'a', chain: 'y', expr: [{ accept: null }] }).commit(), /chain y does not exist in table inet a; nothing was applied/);
  });

  it('flush takes a listed chain and a listed set', async () => {
    nftLoad(RULESET);
    const [chain] = await nft.listChains();
    const pairs = (await nft.listSets()).find((s) => s.name === 'pairs')!;
    await nft.transaction().flush(chain!).flush(pairs).commit();
    assert.deepEqual(await nft.listRules(), []);
    assert.deepEqual(await nft.listElements(pairs), []);
  });

  it('a transaction of JSON objects lists as the same text loaded by nft -f', async () => {
    nftLoad(RULESET);
    const want = nftList();
    const doc = await nft.listRuleset();
    nftFlush();
    const tx = nft.transaction();
    for (const item of doc.nftables) {
      if ('metainfo' in item) continue;
      const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
      if (kind === 'set' || kind === 'map') {
        const { elem, ...set } = body as unknown as JSet;
        tx.add({ [kind]: set } as never);
        if (elem) tx.addElements(set as JSet, elem);
      } else tx.add(kind === 'rule' || kind === 'table' || kind === 'chain' ? (body as never) : (item as never));
    }
    await tx.commit();
    assert.equal(nftList(), want);
  });

  const presets: [string, () => Preset][] = [
    ['hostFirewall', () => hostFirewall({ tcpPorts: [22, 443], udpPorts: [53], bruteForce: true, trusted: [{ protocol: 'tcp', ports: [5432], sources: ['192.168.1.0/24', 'fd00::/8'] }] })],
    ['guides.serverHardening', () => guides.serverHardening({ friendly: ['10.137.0.0/24', 'fd00::/8'], publicTcp: [8443], honeypot: { to: '172.17.0.4', port: 8022 } })],
    ['guides.tightServer', () => guides.tightServer({ ourIp: '203.0.113.10', sshSources: ['198.51.100.7'], dnsServers: ['192.0.2.53'] })],
  ];
  for (const [name, make] of presets) {
    it(`${name}: presetDocument commits through commitJson as presetObjects through a transaction, and renders as nft lists it`, async () => {
      const p = make();
      await nft.transaction().addAll(presetObjects(p)).commit();
      const viaTx = nftList();
      nftFlush();
      await nft.commitJson(presetDocument(p));
      assert.equal(nftList(), viaTx);
      nftFlush();
      nftLoad(renderRuleset(p));
      assert.equal(nftList(), viaTx);
      // the shorthand's JSON is what the listing gives back (handles and counters aside)
      const listed = asNft((await nft.listRuleset()).nftables.filter((i) => !('metainfo' in i) && !('rule' in i)));
      const unhandled = (items: Record<string, unknown>[]): unknown[] => items.map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, Object.fromEntries(Object.entries(v as object).filter(([f]) => f !== 'handle'))])));
      assert.deepEqual(unhandled(asNft(modelDocument([...p.tables, ...p.sets, ...p.chains]).nftables)), unhandled(listed));
    });
  }

  it('safeApply takes a candidate in nft\'s JSON model (a listing of the same objects)', async () => {
    const p = hostFirewall({ tcpPorts: [22], bruteForce: true });
    await nft.transaction().addAll(presetObjects(p)).commit();
    const want = nftList();
    // the candidate as listed: bare tables, chains, sets and rules of nft's JSON model
    const objects = (await nft.listRuleset()).nftables.flatMap((i) => ('metainfo' in i ? [] : [Object.values(i)[0] as never]));
    nftFlush();
    const trial = await safeApply(objects, { deadlineMs: 30000 });
    assert.equal(trial.state, 'trial');
    assert.match(nftList(), /table inet fw__trial/);
    await trial.confirm();
    assert.equal(nftList().replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0'), want);
  });

  it('a bad JSON object is refused with its path, and nothing is sent', async () => {
    nftLoad('table inet j {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n}\n');
    const before = nftList();
    const s = (await nft.listSets())[0]!;
    const bad: [() => unknown, RegExp][] = [
      [() => nft.transaction().add({ family: 'inet', table: 'j', name: 'c', type: 'filter', hook: 'sideways', prio: 0 } as never), /hook/],
      [() => nft.transaction().add({ family: 'inet', table: 'j', name: 't2', type: 'no_such_type' } as never), /set\.type/],
      [() => nft.transaction().addElements(s, ['10.0.0.300']), /elements\[0\]|10\.0\.0\.300/],
      [() => nft.transaction().add({ counter: { family: 'inet', table: 'j', name: 'c', packets: -1 } } as never), /counter\.packets/],
    ];
    for (const [fn, re] of bad) assert.throws(fn, (e: unknown) => e instanceof TypeError || e instanceof RangeError ? (assert.match((e as Error).message, re), true) : false);
    assert.equal(nftList(), before);
  });
});
