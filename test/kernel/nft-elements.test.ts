// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Sets, maps and their elements through the JSON model against nft 1.0.6 (lib/nft/elements.ts,
 * the set parts of lib/nft/objects.ts, anonymous sets in lib/nft/build.ts): each ruleset is loaded
 * with `nft -f`; the package's listing (projected to nft 1.0.6) deep-equals `nft -j list ruleset`,
 * its render equals `nft list ruleset`, and after `nft flush ruleset` the listing committed
 * through the package lists as the original. Where the kernel's element layout matters, the
 * elements the kernel holds (`nft --debug=netlink list ruleset`) are compared too.
 */
import assert from 'node:assert/strict';
import { Nftables, parseJsonDocument, renderDocument, toJsonText } from '../../lib';
import { encodeElements, encodeElementsSized, type JSetExt } from '../../lib/nft/elements';
import type { JSetElem } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';
import { nft as nftCmd, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

/** The set and element lines of `nft --debug=netlink list ruleset`: what the kernel holds. */
function kernelElements(): string[] {
  return nftCmd(['--debug=netlink', 'list', 'ruleset'])
    .split('\n')
    .filter((l) => /^\s*element /.test(l) || / @__?\w/.test(l))
    .map((l) => l.trim())
    .sort(); // a hash backend lists in an order of its own
}

describe('JSON model: sets, maps and elements', function () {
  this.timeout(120000);
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });
  after(() => nftFlush());

  /** (a) listing = nft -j, (b) render = nft list, (c) commit of the listing lists the same. */
  async function roundTrip(text: string, opts: { kernel?: boolean } = {}): Promise<void> {
    nftLoad(text);
    const original = nftList();
    const held = opts.kernel ? kernelElements() : [];
    const doc = await nft.listJson();
    assert.deepEqual(parseJsonDocument(toJsonText(doc, { nft106: true })), parseJsonDocument(nftCmd(['-j', 'list', 'ruleset'])), '(a) listing');
    assert.equal(renderDocument(doc), original, '(b) render');
    nftFlush();
    await nft.commitJson(doc);
    assert.equal(nftList(), original, '(c) committed listing');
    if (opts.kernel) assert.deepEqual(kernelElements(), held, 'the kernel holds the same elements');
  }

  it('anonymous interval maps: adjacent prefixes and ranges list as nft lists them, and commit without extra end elements', async () => {
    await roundTrip(
      `table ip x {
	chain y {
		type nat hook postrouting priority srcnat; policy accept;
		snat ip prefix to ip saddr map { 10.141.11.0/24 : 192.168.2.0/24, 10.141.12.0/24 : 192.168.3.0/24, 10.141.13.0/24 : 192.168.4.0/24 }
		tcp dport vmap { 1 : accept, 2-3 : drop, 4 : accept }
		ip saddr vmap { 10.0.0.0/24 : accept, 10.0.1.0/24 : drop, 10.0.3.0/24 : accept }
	}
}
table ip6 x {
	chain y {
		type nat hook postrouting priority srcnat; policy accept;
		snat ip6 prefix to ip6 saddr map { 2001:db8:1111::/64 : 2001:db8:2222::/64 }
	}
}
`,
      { kernel: true },
    );
  });

  it('numgen maps with ranges (integer keys sized by the expression) and sub-byte vmap keys commit', async () => {
    await roundTrip(
      `table inet statelessnat {
	chain prerouting {
		type filter hook prerouting priority dstnat; policy accept;
		ip daddr set numgen inc mod 16 map { 0-7 : 10.0.1.1, 8-15 : 10.0.1.2 }
	}

	chain t3 {
	}

	chain t4 {
	}

	chain y {
		ip version vmap { 4 : jump t3, 6 : jump t4 }
	}
}
`,
      { kernel: true },
    );
  });

  it('an anonymous set drops the end element equal to the next start, a named set keeps it; descriptor sizes as nft counts them', () => {
    const set: JSetExt = { family: 'ip', table: 't', name: 's', type: 'inet_service', flags: ['interval'] };
    const elems: JSetElem[] = [1, { range: [2, 3] }, 4];
    const named = encodeElements(set, elems, 'add', { family: 2, table: 't', set: 's' });
    assert.deepEqual(Array.from(named.flags ?? []), [1, 0, 1, 0, 1, 0, 1]);
    const anon = encodeElementsSized(set, elems, 'add', { family: 2, table: 't', set: '__map%d', anonymous: true });
    assert.deepEqual(Array.from(anon.desc.flags ?? []), [1, 0, 0, 0, 1]);
    assert.equal(Buffer.from(anon.desc.keys).toString('hex'), '00000001000200040005');
    // set_to_intervals: twice the intervals, plus the zero end element.
    assert.equal(anon.size, 7);
    const open = encodeElementsSized(set, [{ range: [0, 7] }, { range: [8, 65535] }], 'add', { family: 2, table: 't', set: '__map%d', anonymous: true });
    assert.equal(open.desc.count, 2);
    assert.equal(open.size, 4);
  });

  it('every statement of an element lists, renders and commits (limit … counter …)', async () => {
    await roundTrip(`table ip x {
	set y {
		type ipv4_addr
		size 65535
		flags dynamic
		limit rate 1/second counter
		elements = { 1.1.1.1 limit rate 1/second counter packets 0 bytes 0, 4.4.4.4 limit rate 1/second counter packets 0 bytes 0 }
	}

	chain c {
		update @y { ip saddr limit rate 1/second counter }
	}
}
`);
    const doc = await nft.listJson();
    const set = doc.nftables.find((i) => 'set' in i) as unknown as { set: { elem: { elem: Record<string, unknown> }[] } };
    assert.deepEqual(Object.keys(set.set.elem[0]?.elem ?? {}), ['val', 'limit', 'counter']);
    // nft 1.0.6 prints only the first.
    const projected = JSON.parse(toJsonText(doc, { nft106: true })) as { nftables: { set?: { elem: { elem: Record<string, unknown> }[] } }[] };
    assert.deepEqual(Object.keys(projected.nftables.find((i) => i.set)?.set?.elem[0]?.elem ?? {}), ['val', 'limit']);
  });

  it('flags dynamic,timeout with a default timeout renders both flags', async () => {
    await roundTrip(`table inet filter {
	set ssh_meter {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 30d
	}

	set t {
		type ipv4_addr
		timeout 1h
	}

	chain test {
		add @ssh_meter { ip saddr timeout 30d }
	}
}
`);
  });

  it("a set with a ct count template commits from nft 1.0.6's JSON, which leaves out its dynamic flag", async () => {
    nftLoad('table ip x {\n set new-connlimit {\n type ipv4_addr\n size 65535\n flags dynamic\n ct count over 20\n }\n}\n');
    const original = nftList();
    const theirs = parseJsonDocument(nftCmd(['-j', 'list', 'ruleset']));
    nftFlush();
    await nft.commitJson(theirs);
    assert.equal(nftList(), original);
  });

  it('chain devices render sorted by name, as nft lists them', async () => {
    nftLoad('table netdev t {\n chain c {\n type filter hook ingress devices = { lo, "foo*" } priority filter; policy accept;\n }\n}\n');
    const original = nftList();
    assert.match(original, /devices = \{ "?foo\*"?, "?lo"? \}/);
    assert.equal(renderDocument(await nft.listJson()), original);
  });

  it('bitmask sets keep nft\'s listing order after a commit (ties of the lowest flag), and constant sets get nft\'s size', async () => {
    await roundTrip(
      `table ip test {
	set tcp_good_flags {
		type tcp_flag
		flags constant
		elements = { fin | psh | ack | urg, fin | psh | ack, fin | ack | urg, fin | ack, syn | psh | ack | urg,
			     syn | psh | ack, syn | ack | urg, syn | ack, syn, rst | psh | ack | urg,
			     rst | psh | ack, rst | ack | urg, rst | ack, rst, psh | ack | urg,
			     psh | ack, ack | urg, ack }
	}

	chain c {
		tcp flags & (fin | syn | rst | ack | urg) == { fin | ack | urg, fin | ack, fin, syn | ack, syn, rst | ack, rst, ack | urg, ack }
	}
}
`,
      { kernel: true },
    );
  });
});
