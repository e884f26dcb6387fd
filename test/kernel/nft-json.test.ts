// SPDX-License-Identifier: GPL-2.0-or-later
/** The JSON model's public API against the kernel and nft: listJson, commitJson, addJson, toJsonText. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nftables, isNftError, parseJsonDocument, toJsonText, type NftDocument } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nft as nftCmd, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const RULESET = `table inet fw {
	counter c {
		packets 12345678901234567 bytes 9223372036854775000
	}

	set allowed {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.0/24 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established accept
		iif "lo" accept
		ip saddr @allowed tcp dport { 22, 443 } counter packets 0 bytes 0 accept comment "admin"
		udp dport vmap { 53 : accept, 123 : drop }
		counter name "c"
	}
}
`;

describe('JSON model API (listJson, commitJson, addJson)', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });

  it('listJson equals nft -j list ruleset, with 64-bit counters as exact bigints', async () => {
    nftLoad(RULESET);
    const doc = await nft.listJson();
    const counter = doc.nftables.find((i) => 'counter' in i) as { counter: { packets: unknown; bytes: unknown } };
    assert.equal(counter.counter.packets, 12345678901234567n);
    assert.equal(counter.counter.bytes, 9223372036854775000n);
    assert.deepEqual(parseJsonDocument(toJsonText(doc, { nft106: true })), parseJsonDocument(nftCmd(['-j', 'list', 'ruleset'])));
    assert.doesNotThrow(() => JSON.stringify(doc));
    const report = await nft.listJsonReport();
    assert.deepEqual(report.undecoded, []);
  });

  it('commitJson of a listing restores the ruleset, counters included, in one transaction', async () => {
    nftLoad(RULESET);
    const before = nftList();
    const doc = await nft.listJson();
    nftFlush();
    await nft.commitJson(doc);
    assert.equal(nftList(), before);
  });

  it('nft -j -f loads what toJsonText writes', async () => {
    nftLoad(RULESET);
    const before = nftList();
    const dir = mkdtempSync(join(tmpdir(), 'nftjs-json-'));
    try {
      const file = join(dir, 'ruleset.json');
      writeFileSync(file, toJsonText(await nft.listJson()));
      nftFlush();
      nftCmd(['-j', '-f', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(nftList(), before);
  });

  it('commands: add, insert before a handle, replace, delete by handle, flush ruleset', async () => {
    const doc: NftDocument = {
      nftables: [
        { flush: { ruleset: null } },
        { add: { table: { family: 'ip', name: 't' } } },
        { add: { chain: { family: 'ip', table: 't', name: 'c' } } },
        { add: { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { accept: null }] } } },
      ],
    };
    nftLoad('table inet old {\n\tchain x {\n\t}\n}\n');
    await nft.commitJson(doc);
    const listed = await nft.listJson();
    const rule = listed.nftables.find((i) => 'rule' in i) as { rule: { handle: number } };
    await nft.commitJson({
      nftables: [
        { insert: { rule: { family: 'ip', table: 't', chain: 'c', handle: rule.rule.handle, expr: [{ drop: null }] } } },
        { replace: { rule: { family: 'ip', table: 't', chain: 'c', handle: rule.rule.handle, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 80 } }, { accept: null }] } } },
      ],
    });
    assert.equal(nftList(), 'table ip t {\n\tchain c {\n\t\tdrop\n\t\ttcp dport 80 accept\n\t}\n}\n');
    await nft.commitJson({ nftables: [{ delete: { rule: { family: 'ip', table: 't', chain: 'c', handle: rule.rule.handle } } }] });
    assert.equal(nftList(), 'table ip t {\n\tchain c {\n\t\tdrop\n\t}\n}\n');
  });

  it('an invalid document throws a TypeError naming the JSON path and changes nothing', async () => {
    nftLoad(RULESET);
    const before = nftList();
    const bad = {
      nftables: [
        { add: { table: { family: 'ip', name: 'new' } } },
        { add: { rule: { family: 'inet', table: 'fw', chain: 'input', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { acccept: null }] } } },
      ],
    } as unknown as NftDocument;
    await assert.rejects(nft.commitJson(bad), (e: unknown) => e instanceof TypeError && /nftables\[1\]\.add\.rule\.expr\[1\] key but received "acccept"/.test(e.message));
    assert.equal(nftList(), before);
  });

  it('a kernel refusal names the operation and leaves the ruleset as it was', async () => {
    nftLoad(RULESET);
    const before = nftList();
    const doc: NftDocument = {
      nftables: [
        { add: { table: { family: 'ip', name: 'new' } } },
        { add: { rule: { family: 'inet', table: 'fw', chain: 'nochain', expr: [{ accept: null }] } } },
      ],
    };
    await assert.rejects(nft.commitJson(doc), (e: unknown) => isNftError(e) && e.code === 'ENOENT' && /add rule inet fw nochain/.test(e.message));
    assert.equal(nftList(), before);
  });

  it('Transaction#addJson queues a document with other operations in one batch', async () => {
    const tx = nft.transaction();
    tx.addJson({ nftables: [{ add: { table: { family: 'inet', name: 'a' } } }, { add: { chain: { family: 'inet', table: 'a', name: 'c' } } }] });
    tx.addJson({ nftables: [{ add: { rule: { family: 'inet', table: 'a', chain: 'c', expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: { set: ['tcp', 'udp'] } } }, { counter: null }] } } }] });
    await tx.commit();
    assert.equal(nftList(), 'table inet a {\n\tchain c {\n\t\tmeta l4proto { tcp, udp } counter packets 0 bytes 0\n\t}\n}\n');
  });
});
