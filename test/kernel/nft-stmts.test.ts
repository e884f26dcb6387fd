// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Lossless statements against the kernel and nft 1.0.6: chain bindings (`jump { … }`, the
 * package's `{ jump: { target, rules } }`), the map statement (`update @m { k : v }`), several
 * statements in a set statement, and `last` (which nft 1.0.6 cannot parse: checked against the
 * kernel and nft 1.1.x's printed form).
 */
import assert from 'node:assert/strict';
import { Nftables, toJsonText, type NftDocument } from '../../lib';
import { binding } from '../../lib/native';
import { packBatch } from '../../lib/packed';
import { buildDocument } from '../../lib/nft/build';
import { renderDocument } from '../../lib/nft/render';
import type { JRule } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const BINDINGS = `table ip t {
	chain c {
		type filter hook input priority filter; policy accept;
		tcp dport 22 jump {
			counter packets 0 bytes 0 accept
			ip saddr 1.2.3.4 drop
		}
		goto {
			accept
		}
		ip daddr 10.0.0.1 jump {
			ip saddr { 127.0.0.0/8, 172.23.0.0/16 } counter packets 0 bytes 0 accept
			drop
		}
	}
}
`;

const MAPS = `table ip t {
	map m {
		type ipv4_addr : inet_service
		size 65535
		flags dynamic,timeout
		timeout 1m
	}

	map mk {
		type ipv4_addr : mark
		size 65535
		flags dynamic
	}

	set s {
		type ipv4_addr
		size 65535
		flags dynamic
	}

	set s2 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1h
	}

	chain c {
		type filter hook input priority filter; policy accept;
		update @m { ip saddr : tcp dport }
		update @m { ip saddr timeout 30s : tcp dport }
		add @mk { ip saddr : 0x00000001 }
		add @mk { ip saddr counter : 0x00000002 }
		add @s { ip saddr limit rate 1/second counter }
		update @s2 { ip saddr timeout 10s limit rate over 10/second counter }
	}
}
`;

const rulesOf = (doc: NftDocument): JRule[] => doc.nftables.flatMap((i) => ('rule' in i ? [i.rule] : []));
const nftJson = (): NftDocument => JSON.parse(nft(['-j', 'list', 'ruleset'])) as NftDocument;

/** Netlink messages of a batch: type and top-level attributes (type -> payload bytes). */
interface Msg {
  readonly type: number;
  readonly attrs: Map<number, Buffer>;
}

function parseAttrs(b: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = 0; off + 4 <= b.length; ) {
    const len = b.readUInt16LE(off);
    if (len < 4) break;
    out.set(b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

function parseBatch(bytes: Uint8Array): Msg[] {
  const b = Buffer.from(bytes);
  const out: Msg[] = [];
  for (let off = 0; off + 16 <= b.length; ) {
    const len = b.readUInt32LE(off);
    out.push({ type: b.readUInt16LE(off + 4), attrs: parseAttrs(b.subarray(off + 20, off + len)) });
    off += (len + 3) & ~3;
  }
  return out;
}

/** The messages nft sends, rebuilt from `nft --debug=mnl` (libmnl's dump of every attribute header and data word). */
function nftBatch(text: string): Msg[] {
  const out = nft(['--debug=mnl', '-f', '-'], text).replace(/\x1b\[[0-9;]*m/g, '');
  const msgs: Msg[] = [];
  let type = -1;
  let words: number[] = [];
  let expectType = false;
  const flush = (): void => {
    if (type >= 0) msgs.push({ type, attrs: parseAttrs(Buffer.from(words)) });
    words = [];
  };
  for (const line of out.split('\n')) {
    if (line.includes('| message length |')) {
      flush();
      type = -1;
      expectType = true;
      continue;
    }
    if (expectType && line.includes('|  type | flags  |')) {
      type = Number(/\|\s*(\d+)\s*\|/.exec(line)?.[1] ?? -1);
      expectType = false;
      continue;
    }
    const hdr = /^\|(\d{5})\|([N-])([B-])\|(\d{5})\|/.exec(line);
    if (hdr) {
      const len = Number(hdr[1]);
      const t = Number(hdr[4]) | (hdr[2] === 'N' ? 0x8000 : 0) | (hdr[3] === 'B' ? 0x4000 : 0);
      words.push(len & 0xff, len >> 8, t & 0xff, t >> 8);
      continue;
    }
    const data = /^\| ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2})\s+\|\s+\|\s+data\s+\|/.exec(line);
    if (data) words.push(...data.slice(1, 5).map((h) => parseInt(h as string, 16)));
  }
  flush();
  return msgs;
}

const NEWCHAIN = (10 << 8) | 3;
const NEWRULE = (10 << 8) | 6;
const NFTA_CHAIN_NAME = 3, NFTA_CHAIN_FLAGS = 10, NFTA_CHAIN_ID = 11;
const NFTA_RULE_CHAIN = 2, NFTA_RULE_EXPRESSIONS = 4, NFTA_RULE_CHAIN_ID = 11;

describe('lossless statements (chain bindings, map statement, set statements, last)', () => {
  let lib: Nftables;
  beforeEach(async () => {
    nftFlush();
    lib = await Nftables.open();
  });
  afterEach(async () => {
    await lib?.close();
    nftFlush();
  });

  it('chain bindings list as { jump: { target, rules } }, render as nft, project to nft 1.0.6 JSON, and commit back', async () => {
    nftLoad(BINDINGS);
    const original = nftList();
    const doc = await lib.listJson();
    const rules = rulesOf(doc);
    assert.equal(rules.length, 3);
    const first = rules[0]!.expr![1] as unknown as { jump: { target: string; rules: unknown[][] } };
    assert.match(first.jump.target, /^__chain\d+$/);
    assert.deepEqual(first.jump.rules, [
      [{ counter: { packets: 0n, bytes: 0n } }, { accept: null }],
      [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '1.2.3.4' } }, { drop: null }],
    ]);
    const third = rules[2]!.expr![1] as unknown as { jump: { rules: unknown[][] } };
    assert.equal(third.jump.rules.length, 2);
    // (b) render, (a) the projection to what nft 1.0.6 prints
    assert.equal(renderDocument(doc), original);
    assert.deepEqual(rulesOf(JSON.parse(toJsonText(doc, { nft106: true })) as NftDocument), rulesOf(nftJson()));
    // (c) commit the lossless listing
    nftFlush();
    await lib.commitJson(doc);
    assert.equal(nftList(), original);
  });

  it('a bound chain is sent as nft sends it: no name, NFTA_CHAIN_ID + NFT_CHAIN_BINDING; its rules by NFTA_RULE_CHAIN_ID', async () => {
    const text = 'table ip t {\n\tchain c {\n\t\tjump {\n\t\t\taccept\n\t\t}\n\t}\n}\n';
    const theirs = nftBatch(text).filter((m) => m.type === NEWCHAIN || m.type === NEWRULE);
    const doc: NftDocument = {
      nftables: [
        { table: { family: 'ip', name: 't' } },
        { chain: { family: 'ip', table: 't', name: 'c' } },
        { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ jump: { target: '__chain0', rules: [[{ accept: null }]] } }] } },
      ],
    };
    const built = buildDocument(doc);
    const ours = parseBatch(binding().encode(packBatch(built.ops.map((o) => o.op)))).filter((m) => m.type === NEWCHAIN || m.type === NEWRULE);
    assert.deepEqual(ours.map((m) => m.type), theirs.map((m) => m.type), 'the same messages in the same order');
    const shape = (m: Msg): number[] => [...m.attrs.keys()].sort((a, b) => a - b);
    for (let i = 0; i < ours.length; i++) assert.deepEqual(shape(ours[i]!), shape(theirs[i]!), `message ${i}: the same attributes`);
    const [, boundOurs, boundRule, jumpRule] = ours;
    const [, boundTheirs] = theirs;
    assert.equal(boundOurs!.attrs.get(NFTA_CHAIN_NAME), undefined);
    assert.deepEqual(boundOurs!.attrs.get(NFTA_CHAIN_FLAGS), boundTheirs!.attrs.get(NFTA_CHAIN_FLAGS));
    assert.equal(boundOurs!.attrs.get(NFTA_CHAIN_FLAGS)!.readUInt32BE(0), 4);
    const id = boundOurs!.attrs.get(NFTA_CHAIN_ID)!;
    assert.equal(boundRule!.attrs.get(NFTA_RULE_CHAIN), undefined);
    assert.deepEqual(boundRule!.attrs.get(NFTA_RULE_CHAIN_ID), id);
    assert.deepEqual(boundRule!.attrs.get(NFTA_RULE_EXPRESSIONS), theirs[2]!.attrs.get(NFTA_RULE_EXPRESSIONS));
    // the jump: NFTA_VERDICT_CHAIN_ID with the bound chain's id, the rest byte for byte as nft's
    const jo = jumpRule!.attrs.get(NFTA_RULE_EXPRESSIONS)!;
    const jt = theirs[3]!.attrs.get(NFTA_RULE_EXPRESSIONS)!;
    assert.equal(jo.length, jt.length);
    // NFTA_VERDICT_CHAIN_ID is the last attribute: our id there, nft's id in nft's
    assert.deepEqual(jo.subarray(-4), id);
    assert.deepEqual(jt.subarray(-4), theirs[1]!.attrs.get(NFTA_CHAIN_ID));
    assert.deepEqual(jo.subarray(0, -4), jt.subarray(0, -4));
    // and the kernel takes it (nft --debug=mnl -f loaded the same ruleset)
    nftFlush();
    await lib.commitJson(doc);
    assert.equal(nftList(), text);
  });

  it('map statements (with timeout and statements) and set statements with several statements', async () => {
    nftLoad(MAPS);
    const original = nftList();
    const doc = await lib.listJson();
    const rules = rulesOf(doc);
    assert.deepEqual(rules[1]!.expr!.at(-1), {
      map: { op: 'update', elem: { elem: { val: { payload: { protocol: 'ip', field: 'saddr' } }, timeout: 30 } }, data: { payload: { protocol: 'tcp', field: 'dport' } }, map: '@m' },
    });
    assert.deepEqual(rules[3]!.expr![0], { map: { op: 'add', elem: { payload: { protocol: 'ip', field: 'saddr' } }, data: 2, map: '@mk', stmt: [{ counter: null }] } });
    // the chain as nft prints it (set headers: `flags dynamic,timeout` is lib/nft/render.ts's, not a statement's)
    const chainPart = (t: string): string => t.slice(t.indexOf('\tchain c {'));
    assert.equal(chainPart(renderDocument(doc)), chainPart(original));
    const projected = rulesOf(JSON.parse(toJsonText(doc, { nft106: true })) as NftDocument);
    assert.deepEqual(projected, rulesOf(nftJson()));
    nftFlush();
    await lib.commitJson(doc);
    assert.equal(nftList(), original);
    // nft 1.0.6's own JSON has the set statements with all their statements: it commits as well
    const theirs = nftJson();
    nftFlush();
    nftLoad(MAPS.replace(/\t\tupdate @m[^\n]*\n|\t\tadd @mk[^\n]*\n/g, ''));
    const withoutMaps = nftList();
    const setsOnly: NftDocument = { nftables: theirs.nftables.filter((i) => !('rule' in i) || (i.rule.expr ?? []).every((s) => typeof s !== 'string')) };
    nftFlush();
    await lib.commitJson(setsOnly);
    // (nft 1.0.6's JSON drops the sets' `dynamic` flag: only the chain is comparable)
    assert.equal(chainPart(nftList()), chainPart(withoutMaps));
  });

  it('last: { last: null } and { last: { used } } commit, list back and render as nft 1.1.x prints them', async () => {
    const doc: NftDocument = {
      nftables: [
        { table: { family: 'ip', name: 't' } },
        { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flags: ['dynamic'], size: 65535 } },
        { chain: { family: 'ip', table: 't', name: 'c' } },
        { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ last: null }] } },
        { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ last: { used: 3_600_000 } }, { accept: null }] } },
        { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ set: { op: 'add', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@s', stmt: [{ last: null }, { counter: null }] } }] } },
      ],
    };
    await lib.commitJson(doc);
    const back = rulesOf(await lib.listJson());
    assert.deepEqual(back[0]!.expr, [{ last: null }]);
    const used = (back[1]!.expr![0] as unknown as { last: { used: number } }).last.used;
    // the kernel reports the time since the last match: set an hour ago, read a moment later
    assert.ok(used >= 3_600_000 && used < 3_660_000, `used ${used}`);
    assert.deepEqual(back[2]!.expr, [{ set: { op: 'add', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@s', stmt: [{ last: null }, { counter: null }] } }]);
    const text = renderDocument({ nftables: [{ table: { family: 'ip', name: 't' } }, { chain: { family: 'ip', table: 't', name: 'c' } }, ...back.map((rule) => ({ rule }))] });
    assert.match(text, /\t\tlast used never\n/);
    assert.match(text, /\t\tlast used 1h(\d+s)?(\d+ms)? accept\n/);
    assert.match(text, /\t\tadd @s \{ ip saddr last counter \}\n/);
  });
});
