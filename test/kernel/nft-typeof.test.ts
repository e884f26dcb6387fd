// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * typeof sets and maps against nft 1.0.6 as the oracle (lib/nft/set-udata.ts and the typeof parts
 * of lib/nft/objects.ts and lib/nft/render.ts). For each declaration below, loaded with `nft -f`:
 *
 * 1. the listing holds `{ "typeof": expr }` as `type` (and as `map` for a map's data), and its
 *    nft106 projection deep-equals the set in `nft -j list ruleset` (1.0.6's datatype names);
 *    sets declared by names (`n_*`) list names, and nft's empty concat typeof is written for them;
 * 2. committing the listed set through the package sends what nft sent: NFTA_SET_USERDATA byte
 *    for byte, and the key/data type, length and flags the kernel holds;
 * 3. the render of the listing equals `nft list ruleset`; after flush, the committed listing
 *    lists as the original.
 */
import assert from 'node:assert/strict';
import { binding, type DumpReply, type ElementsData, type OpDesc, type SetData } from '../../lib/native';
import { objectOps, setFromData, toNft106, FAMILY } from '../../lib/nft/objects';
import { decodeElements } from '../../lib/nft/elements';
import { renderDocument } from '../../lib/nft/render';
import { buildSetUdata, parseSetUdata, typeofLayout } from '../../lib/nft/set-udata';
import type { NftObject } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const RULESET = `table inet t {
	set a { typeof ip saddr; }
	set b { typeof vlan id; elements = { 2, 3, 103 }; }
	set c { typeof ct zone; }
	set d { typeof ip dscp; elements = { cs1, af21 }; }
	set e { typeof frag frag-off; }
	set f { typeof ip option ra value; }
	set g { typeof tcp option maxseg size; }
	set h { typeof sctp chunk init num-inbound-streams; }
	set i { typeof iifname . ip saddr . ipsec in reqid; elements = { "eth0" . 10.1.1.2 . 42 }; }
	set j { typeof ether saddr . vlan id; }
	set k { typeof meta ibrpvid; }
	set l { typeof hbh hdrlength; }
	set m { typeof osf name; elements = { "Linux" }; }
	set n { typeof ip daddr . @ih,32,32; elements = { 1.1.1.1 . 0x14, 2.2.2.2 . 0x1e }; }
	set o { typeof tcp option window count; }
	set p { typeof ip saddr . iif; }
	set q { typeof fib daddr oif; }
	set r { typeof rt classid; }
	set s { typeof socket mark; }
	set u { typeof meta l4proto . th dport; }
	set v { typeof ip6 daddr . tcp option sack1 left; }
	map m1 { typeof ip saddr . meta mark : verdict; elements = { 1.2.3.4 . 0x1 : accept }; }
	map m2 { typeof ip saddr : meta mark; }
	map m3 { typeof ct bytes : meta priority; }
	map m4 { typeof osf name : ct mark; }
	map m5 { typeof ipsec in reqid . iif : verdict; }
	map m6 { typeof udp length . @ih,32,32 : verdict; elements = { 20-80 . 0x14 : accept }; flags interval; }
	map m7 { typeof numgen inc mod 2 : ip daddr; }
	map m8 { typeof numgen inc mod 2 : ip daddr . tcp dport; }
	map m9 { typeof ip saddr . ip daddr : meta mark; }
	map m10 { typeof iifname : ct zone; }
	map m11 { typeof ip daddr . tcp dport : ip daddr . tcp dport; }
	map m12 { typeof ip saddr : ip daddr; flags interval; elements = { 10.0.0.0/8 : 1.2.3.4 }; }
	map m13 { typeof ip saddr . ct original proto-dst : ip daddr . tcp dport; }
	map m15 { typeof vlan id : meta mark; }
	map m16 { typeof ip saddr : interval ip daddr; flags interval; elements = { 10.0.0.0/8 : 1.2.3.4-1.2.3.8 }; }
	set n_t1 { type ipv4_addr . inet_service; flags interval; }
	map n_d3 { type ipv4_addr : ipv4_addr . inet_service; }
	map n_d4 { type ipv4_addr . inet_service : verdict; }
	map n_d6 { type ipv4_addr : interval ipv4_addr . inet_service; flags interval; }
}
`;

type Sock = ReturnType<ReturnType<typeof binding>['openSocket']>;

function dump(sock: Sock, req: Parameters<ReturnType<typeof binding>['dumpSync']>[1]): DumpReply['items'] {
  const r = binding().dumpSync(sock, req);
  if ('errno' in r) throw new Error(`dump ${req.what} failed: errno ${r.errno} ${r.message ?? ''}`);
  return r.items;
}

/** The table's sets and maps as the package lists them, elements included. */
function listSets(sock: Sock): { data: SetData; item: NftObject }[] {
  const sets = dump(sock, { what: 'sets', family: FAMILY.inet }) as SetData[];
  return sets.map((d) => {
    const { set } = setFromData(d);
    const elem = decodeElements(set, dump(sock, { what: 'elements', family: d.family, table: d.table, set: d.name }) as ElementsData);
    const body = elem.length > 0 ? { ...set, elem } : set;
    return { data: d, item: (set.map !== undefined ? { map: body } : { set: body }) as unknown as NftObject };
  });
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('hex');
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))) as unknown;

describe('typeof sets and maps: userdata, listing, render and commit against nft 1.0.6', function () {
  this.timeout(120000);
  let sock: Sock;
  before(() => {
    sock = binding().openSocket({});
    nftFlush();
    nftLoad(RULESET);
  });
  after(() => {
    binding().closeSocket(sock);
    nftFlush();
  });

  it('every set lists as { typeof }, and its nft106 projection equals nft -j', () => {
    const theirs = (JSON.parse(nft(['-j', 'list', 'ruleset'])) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
    const ours = listSets(sock);
    assert.ok(ours.length >= 30);
    for (const { item } of ours) {
      const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
      const declared = !String(body.name).startsWith('n_');
      assert.equal(typeof body.type === 'object' && body.type !== null && 'typeof' in body.type, declared, `${String(body.name)}: type is { typeof }`);
      const nftSet = theirs.find((x) => x[kind]?.name === body.name)?.[kind];
      assert.ok(nftSet, `nft lists ${String(body.name)}`);
      const p = Object.values(toNft106(item))[0] as Record<string, unknown>;
      assert.deepEqual({ type: p.type, map: p.map }, { type: nftSet.type, map: nftSet.map }, String(body.name));
    }
  });

  it('committing a listed set sends nft\'s userdata byte for byte, and its key/data layout', () => {
    let id = 1;
    for (const { data, item } of listSets(sock)) {
      const ops = objectOps(item, 'add', { nextSetId: () => id++ });
      const op = ops[0] as OpDesc & Record<string, unknown>;
      assert.equal(hex(op.userdata as Uint8Array), hex(data.userdata), `${data.name} userdata`);
      assert.equal(op.keyType, data.keyType, `${data.name} key type`);
      assert.equal(op.keyLen, data.keyLen, `${data.name} key length`);
      assert.equal(op.dataType, data.dataType, `${data.name} data type`);
      assert.equal(op.dataLen, data.dataLen, `${data.name} data length`);
      assert.equal(op.flags, data.flags, `${data.name} flags`);
    }
  });

  it('renders as nft list ruleset, and the committed listing lists as the original', async () => {
    const original = nftList();
    const items: NftObject[] = [{ table: { family: 'inet', name: 't' } } as NftObject, ...listSets(sock).map((x) => x.item)];
    assert.equal(renderDocument(items), original);
    nftFlush();
    let id = 1;
    const ops = items.flatMap((o) => objectOps(o, 'add', { nextSetId: () => id++ }));
    const ack = await binding().commit(sock, { ops });
    assert.deepEqual(plain(ack.failures), []);
    assert.equal(nftList(), original);
  });

  it('a key whose length does not match, or a map without data typeof, lists with datatype names (as nft)', () => {
    const ud = buildSetUdata({ keyByteorder: 2, map: 'data', dataByteorder: 1, keyTypeof: { payload: { protocol: 'ip', field: 'saddr' } } });
    const base = { family: FAMILY.inet, table: 't', name: 'x', handle: 1n, keyType: 7, keyLen: 4, exprs: [] } as unknown as SetData;
    const m = setFromData({ ...base, flags: 0x8, dataType: 19, dataLen: 4, userdata: ud } as SetData).set as unknown as Record<string, unknown>;
    assert.deepEqual([m.type, m.map], ['ipv4_addr', 'mark']);
    const s = setFromData({ ...base, keyLen: 8, flags: 0, userdata: buildSetUdata({ keyByteorder: 2, map: 'none', keyTypeof: { payload: { protocol: 'ip', field: 'saddr' } } }) } as SetData).set;
    assert.equal(s.type, 'ipv4_addr');
    assert.deepEqual(parseSetUdata(ud).keyTypeof, { payload: { protocol: 'ip', field: 'saddr' } });
  });

  it('typeofLayout: 1.0.6 names stop at a field of type invalid; unknown kinds are refused', () => {
    const l = typeofLayout({ concat: [{ payload: { protocol: 'ip', field: 'saddr' } }, { ct: { key: 'proto-dst', dir: 'original' } }] }, 'typeof');
    assert.deepEqual([l.id, l.len, l.names], [7 << 6, 8, ['ipv4_addr']]);
    assert.throws(() => typeofLayout({ counter: null } as never, 'set.type.typeof'), /set\.type\.typeof/);
  });
});
