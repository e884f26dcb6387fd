// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The renderer against nft itself, on nftables' own test dumps (../shared/corpus, read at test
 * time). For every dump, in a network namespace of its own (nested inside this test's private
 * one): `nft -f DUMP` (a refusal is a skip, with nft's reason), then
 * renderDocument(JSON.parse(`nft -j list ruleset`)) must equal `nft list ruleset`.
 *
 * Some dumps cannot pass: nft 1.0.6's JSON leaves out what its text prints (typeof, `flags
 * dynamic`, auto-merge, table/chain comments, chain devices, all but the first statement of a
 * set element, table flag names). Those are listed with the reason in
 * test/corpus/render-known-failures.txt; the test fails only on a dump outside that list.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderDocument } from '../../lib/nft/render';
import type { NftDocument } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';

assertPrivateNetns();

const ROOT = resolve(__dirname, '../..');
const CORPUS = resolve(ROOT, '../shared/corpus/nftables-shell-dumps');
const KNOWN = join(ROOT, 'test/corpus/render-known-failures.txt');
const FOLDERS = ['v1.0.6', 'head'] as const;
const PARALLEL = 4;
const SEPARATOR = '\n#--- nftjs render test: text listing follows ---#\n';

function dumpsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dumpsUnder(p));
    else if (name.endsWith('.nft')) out.push(p);
  }
  return out;
}

/** `path<TAB>reason` lines; `#` starts a comment. */
function knownFailures(): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(KNOWN)) return m;
  for (const line of readFileSync(KNOWN, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [path = '', ...reason] = t.split('\t');
    m.set(path, reason.join('\t'));
  }
  return m;
}

type Outcome =
  | { kind: 'skip'; reason: string }
  | { kind: 'pass' }
  | { kind: 'fail'; reason: string };

/** Loads one dump in a fresh network namespace; returns nft's JSON and text listings. */
function loadAndList(file: string): Promise<{ ok: true; json: string; text: string } | { ok: false; reason: string }> {
  const script = `ip link set lo up && nft -f "$1" && nft -j list ruleset && printf '%s' "$2" && nft list ruleset`;
  return new Promise((done) => {
    execFile('unshare', ['-n', 'sh', '-c', script, 'sh', file, SEPARATOR], { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const lines = String(stderr).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning:'));
        done({ ok: false, reason: (lines[0] ?? err.message).split(file).join('DUMP').slice(0, 200) });
        return;
      }
      const at = stdout.indexOf(SEPARATOR);
      if (at < 0) {
        done({ ok: false, reason: 'no listing' });
        return;
      }
      done({ ok: true, json: stdout.slice(0, at), text: stdout.slice(at + SEPARATOR.length) });
    });
  });
}

function firstDifference(want: string, got: string): string {
  const w = want.split('\n');
  const g = got.split('\n');
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    if (w[i] !== g[i]) return `line ${i + 1}: nft ${JSON.stringify(w[i] ?? '')} / render ${JSON.stringify(g[i] ?? '')}`;
  }
  return 'equal';
}

async function check(file: string): Promise<Outcome> {
  const listed = await loadAndList(file);
  if (!listed.ok) return { kind: 'skip', reason: listed.reason };
  let got: string;
  try {
    got = renderDocument(JSON.parse(listed.json) as NftDocument);
  } catch (err) {
    return { kind: 'fail', reason: `renderDocument threw: ${(err as Error).message}` };
  }
  return got === listed.text ? { kind: 'pass' } : { kind: 'fail', reason: firstDifference(listed.text, got) };
}

async function runAll(files: readonly string[]): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++];
      if (f === undefined) break;
      results.set(f, await check(f));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

const corpusPresent = existsSync(CORPUS);

/**
 * Statements the corpus dumps use rarely or never, one rule each (`family table chain|rule`).
 * Added one by one, so a rule this kernel refuses (queue, tproxy, …) is skipped (and printed)
 * without hiding the others.
 */
const BASE_DECL = `table inet r {
	chain c { type filter hook input priority 0; }
	chain n { type nat hook postrouting priority srcnat; }
	chain p { type nat hook prerouting priority dstnat; }
	chain f { type filter hook forward priority 0; }
}`;

const BASE_RULES = `
c|log group 2 snaplen 100 queue-threshold 10
c|log flags tcp sequence,options flags skuid
c|log prefix "x" level emerg flags ip options
c|ct count over 5
c|meta l4proto tcp reject with icmpx host-unreachable
c|meta l4proto tcp reject with tcp reset
c|reject
c|meta nfproto ipv6 reject with icmpv6 admin-prohibited
c|jhash ip saddr mod 4 seed 0xdead offset 10 vmap { 0 : accept, 1 : drop }
c|symhash mod 2 offset 100 == 101 accept
c|meta nfproto ipv4 notrack
c|ip saddr 10.0.0.0-10.0.0.255 accept
c|meta mark set ct mark
c|ct mark set meta mark & 0xff | 0x100
c|ip dscp set af21
c|ip ttl 1-10 ip ttl set 64
c|fib saddr . iif oif missing drop
c|fib daddr type local accept
c|osf ttl skip name "Linux" accept
c|socket transparent 1 accept
c|numgen random mod 10 offset 5 < 7 accept
c|ipsec in reqid 3 accept
c|meta cpu 1-3 meta iiftype loopback meta pkttype host accept
c|ct state established,related ct direction original ct status dnat accept
c|tcp flags & (fin | syn | rst | ack) == syn accept
c|tcp flags syn / syn,ack accept
c|ct expiration 1m-1h ct label 3 accept
c|icmpv6 code 3-66 accept
c|meta protocol ip6 meta l4proto { tcp, udp } th dport 53 accept
c|iifgroup { "default", 11 } meta rtclassid "cosmos" accept
f|tcp flags syn tcp option maxseg size set rt mtu
f|tcp flags syn tcp option maxseg size set 1360
c|tcp option 6 exists reset tcp option 123
c|limit rate over 1 mbytes/second burst 512 kbytes quota over 10 mbytes used 1 kbytes counter
c|meta l4proto tcp tproxy ip to 1.1.1.1:80
c|queue flags bypass,fanout to 1-4
n|oifname "lo" masquerade random,persistent
n|ip saddr 10.1.0.0/16 tcp dport 1 snat ip to 1.2.3.4-1.2.3.8:1000-2000 fully-random
n|ip6 saddr ::1 snat ip6 prefix to ::/64
p|tcp dport 80 redirect to :8080
p|ip daddr 1.1.1.1 dnat ip to ip saddr map { 10.0.0.1 : 2.2.2.2 }
p|tcp dport 81 dnat ip to 1.1.1.1:8080
p|ip daddr 1.1.1.2 tcp dport 82 dnat ip to 2.2.2.2:8000-8100
`
  .trim()
  .split('\n')
  .map((l) => `inet r ${l}`);

/** Named objects, sets and maps of every kind (nft -f), then rules that use them. */
const OBJECTS_DECL = `table inet o {
	counter c1 { comment "cnt" }
	quota q1 { over 1 kbytes used 512 bytes }
	limit l1 { rate over 1024 bytes/second burst 512 bytes }
	ct helper h1 { type "ftp" protocol tcp; l3proto ip; }
	ct timeout t1 { protocol tcp; l3proto ip; policy = { established : 120, close : 10 }; }
	ct expectation e1 { protocol tcp; dport 2121; timeout 1m; size 12; l3proto ip; }
	synproxy sp1 { mss 1460; wscale 7; timestamp sack-perm; }
	set s1 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9, 172.16.0.1 } }
	set s2 { type ipv4_addr . inet_service; counter; elements = { 1.1.1.1 . 22, 2.2.2.2 . 80 } }
	set s3 { type ipv6_addr; size 128; policy memory; timeout 1h; gc-interval 30s; comment "six"; }
	set s4 { type ether_addr; elements = { 00:11:22:33:44:55 comment "mac" } }
	set s5 { type ipv4_addr; counter; elements = { 3.3.3.3 counter packets 1 bytes 2, 4.4.4.4 counter packets 3 bytes 4 } }
	map m1 { type ipv4_addr : verdict; elements = { 1.1.1.1 : goto c2, * : drop } }
	map m2 { type inet_service : counter; elements = { 22 : "c1" } }
	map m3 { type ipv4_addr : ipv4_addr . inet_service; flags interval; elements = { 10.0.0.0/24 : 1.1.1.1 . 80 } }
	map m4 { type mark : ifname; elements = { 0x1 : "lo" } }
	chain c1 {
		type filter hook input priority filter - 5; policy drop;
	}
	chain c2 {
		tcp dport 22 jump {
			udp dport 53 accept
			accept
		}
	}
	chain n {
		type nat hook prerouting priority dstnat;
	}
}
table bridge b {
	chain c {
		type filter hook prerouting priority dstnat + 1;
	}
}
table arp a {
	chain c {
		type filter hook input priority filter; policy accept;
	}
}`;

const OBJECTS_RULES = `
inet o c1|ip saddr @s1 counter name "c1" quota name "q1" limit name "l1" accept
inet o c1|ip saddr . tcp dport @s2 accept
inet o c1|ip saddr vmap @m1
inet o c1|counter name tcp dport map @m2
inet o c1|ct helper set "h1"
inet o c1|ct timeout set "t1"
inet o c1|ct expectation set "e1"
inet o c1|tcp dport 443 synproxy name "sp1"
inet o c1|ip6 nexthdr ipv6-icmp icmpv6 type { echo-request, nd-neighbor-solicit } accept
inet o c1|icmp type echo-request icmp code 0 accept
inet o c1|exthdr frag exists accept
inet o c1|sctp chunk data exists accept
inet o c1|sctp dport 5060 accept
inet o c1|dccp type request accept
inet o c1|ah spi 100 accept
inet o c1|esp spi 200 accept
inet o c1|ip frag-off & 0x1fff != 0 drop
inet o c1|ip option rr exists drop
inet o c1|udp length 20-30 accept
inet o c1|udplite checksum 0 accept
inet o c1|ct original ip6 saddr ::1 accept
inet o c1|ct zone set 2
inet o c1|ct event set new,destroy
inet o c1|meta priority set 1:2
inet o c1|jump c2
inet o c2|ether saddr @s4 accept
inet o c2|meta l4proto tcp ip dscp cs1 ip ecn ce accept
inet o c2|iifname "ab\\*" oifname "wg*" iif "lo" accept
inet o c2|return
bridge b c|ether type arp arp operation request arp saddr ip 1.2.3.4 accept
arp a c|arp htype 1 arp ptype ip arp daddr ip 1.1.1.1 drop
`
  .trim()
  .split('\n');

function loadRuleset(decl: string, rules: readonly string[]): Promise<{ json: string; text: string; refused: string[] }> {
  const lines = [
    'ip link set lo up',
    `nft -f - <<'EOF'\n${decl}\nEOF`,
    // One `nft add rule` per line; a refused one prints its rule on stderr.
    `while IFS='|' read -r where rule; do nft add rule $where "$rule" 2>/dev/null || echo "$rule" >&2; done <<'EOF'\n${rules.join('\n')}\nEOF`,
    'nft -j list ruleset',
    `printf '%s' '${SEPARATOR}'`,
    'nft list ruleset',
  ];
  return new Promise((done, fail) => {
    execFile('unshare', ['-n', 'sh', '-c', lines.join('\n')], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return fail(err);
      const at = stdout.indexOf(SEPARATOR);
      if (at < 0) return fail(new Error('no listing'));
      const refused = String(stderr)
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('warning:'));
      done({ json: stdout.slice(0, at), text: stdout.slice(at + SEPARATOR.length), refused });
    });
  });
}

describe('nft render: renderDocument(nft -j list ruleset) equals nft list ruleset on the corpus', function () {
  this.timeout(300000);
  const known = knownFailures();

  for (const [name, decl, rules] of [
    ['statements the dumps rarely use', BASE_DECL, BASE_RULES],
    ['named objects, sets and maps of every kind, and rules using them', OBJECTS_DECL, OBJECTS_RULES],
  ] as const) {
    it(`hand-written: ${name} render as nft lists them`, async () => {
      const { json, text, refused } = await loadRuleset(decl, rules);
      for (const r of refused) process.stdout.write(`        skip (refused by this kernel) ${r}\n`);
      assert.ok(refused.length < rules.length / 2, `most rules load: refused ${refused.length}`);
      assert.equal(renderDocument(JSON.parse(json) as NftDocument), text);
    });
  }

  for (const folder of FOLDERS) {
    it(`${folder}: every loadable dump renders as nft lists it (or is a known failure)`, async function () {
      const dir = join(CORPUS, folder);
      if (!corpusPresent || !existsSync(dir)) this.skip();
      const files = dumpsUnder(dir);
      const results = await runAll(files);
      let pass = 0;
      let knownFail = 0;
      const skips: string[] = [];
      const unexpected: string[] = [];
      const fixed: string[] = [];
      for (const f of files) {
        const key = relative(CORPUS, f);
        const r = results.get(f);
        if (!r) continue;
        if (r.kind === 'skip') skips.push(`${key}: ${r.reason}`);
        else if (r.kind === 'pass') {
          pass++;
          if (known.has(key)) fixed.push(key);
        } else if (known.has(key)) knownFail++;
        else unexpected.push(`${key}: ${r.reason}`);
      }
      const loaded = files.length - skips.length;
      process.stdout.write(
        `      ${folder}: ${pass}/${loaded} loadable dumps render equal (${((100 * pass) / Math.max(loaded, 1)).toFixed(1)}%), ` +
          `${knownFail} known failures, ${skips.length} skipped (nft refused)\n`,
      );
      for (const s of skips) process.stdout.write(`        skip ${s}\n`);
      for (const f of fixed) process.stdout.write(`        now passes (remove from ${relative(ROOT, KNOWN)}): ${f}\n`);
      assert.deepEqual(unexpected, [], `dumps that render differently from nft and are not known failures:\n${unexpected.join('\n')}`);
    });
  }
});
