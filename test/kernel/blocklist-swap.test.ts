// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Blocklist.replace(entries, { swap: true }) (issue 11 item 9): a fresh set filled in chunks,
 * then one transaction re-points the rules and deletes the old set. Checked against nft:
 * the rules reference the new set afterwards (counters and comments kept), the old set is gone,
 * the referenced set is complete at every moment of the fill, a refused switch leaves nothing
 * behind, and a process killed mid-way leaves an unreferenced leftover that the next open removes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Nftables, type Table } from '../../lib';
import { Blocklist, type BlocklistProgress } from '../../lib/blocklist';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

const t4: Table = { family: 'ip', name: 'sw' };
const ip = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const list = (base: number, n: number): string[] => Array.from({ length: n }, (_, i) => ip((base + i) >>> 0));

interface JsonRuleset {
  nftables: Array<{ rule?: { chain: string; handle: number; comment?: string; expr: unknown[] }; set?: { name: string; elem?: unknown[] } }>;
}
const ruleset = (): JsonRuleset => JSON.parse(nft(['-j', 'list', 'ruleset'])) as JsonRuleset;
/** Set names the rules of table sw reference (`@name` in nft's text). */
const referenced = (): string[] => [...nft(['list', 'table', 'ip', 'sw']).matchAll(/@([A-Za-z0-9_]+)/g)].map((m) => m[1]!).sort();
const setNames = (): string[] => ruleset().nftables.flatMap((x) => (x.set ? [x.set.name] : [])).sort();
const setSize = (name: string): number => {
  const s = (JSON.parse(nft(['-j', 'list', 'set', 'ip', 'sw', name])) as JsonRuleset).nftables.find((x) => x.set)!.set!;
  return (s.elem ?? []).length;
};

function rules(): void {
  nft(['-f', '-'], [
    'add chain ip sw input { type filter hook input priority 0; policy accept; }',
    'add rule ip sw input ip saddr @ban counter packets 7 bytes 700 drop comment "banned sources"',
    'add rule ip sw input ip daddr @ban counter accept',
    'add chain ip sw output { type filter hook output priority 0; policy accept; }',
    'add rule ip sw output tcp dport 22 ip daddr @ban counter reject',
    '',
  ].join('\n'));
}

describe('Blocklist swap replace (fresh set filled in chunks, then one switch)', function () {
  this.timeout(180_000);
  let conn: Nftables;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
  });
  afterEach(async () => {
    await conn.close();
  });

  it('re-points every rule at the fresh set, deletes the old one, keeps counters and comments; the next swap goes back', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban' });
    await bl.add(list(0x0a000000, 1000));
    rules();
    const r = await bl.replace(list(0x0b000000, 50_000), { swap: true, maxElementsPerTransaction: 8192 });
    assert.equal(r.added, 50_000);
    assert.equal(r.removed, 1000);
    assert.equal(r.atomic, true);
    assert.equal(r.transactions, 1 + Math.ceil(50_000 / 8192) + 1);
    assert.equal(bl.sets.ipv4!.name, 'ban_swap');
    assert.deepEqual(setNames(), ['ban_swap']);
    assert.deepEqual(referenced(), ['ban_swap', 'ban_swap', 'ban_swap']);
    assert.equal(setSize('ban_swap'), 50_000);
    const text = nft(['list', 'table', 'ip', 'sw']);
    assert.match(text, /ip saddr @ban_swap counter packets 7 bytes 700 drop comment "banned sources"/);
    assert.match(text, /tcp dport 22 ip daddr @ban_swap counter packets 0 bytes 0 reject/);
    assert.ok(bl.has('11.0.0.1') && !bl.has('10.0.0.1'));
    // the copy follows the live set: single updates go there
    await bl.add('192.0.2.1');
    assert.equal(setSize('ban_swap'), 50_001);
    const back = await bl.replace(list(0x0c000000, 3000), { swap: true });
    assert.equal(back.transactions, 3);
    assert.equal(bl.sets.ipv4!.name, 'ban');
    assert.deepEqual(setNames(), ['ban']);
    assert.deepEqual(referenced(), ['ban', 'ban', 'ban']);
    assert.equal(setSize('ban'), 3000);
    // a new Blocklist (another process, a restart) finds the live name
    await bl.replace(list(0x0d000000, 10), { swap: true });
    const again = await Blocklist.open(conn, { table: t4, name: 'ban' });
    assert.equal(again.sets.ipv4!.name, 'ban_swap');
    assert.equal(again.size, 10);
  });

  it('the referenced set is complete at every moment of the fill (nft lists the ruleset after each chunk)', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban' });
    await bl.add(list(0x0a000000, 3000));
    rules();
    // One nft listing is one consistent view: which set the rule references, and what that set holds.
    const look = (): { set: string; count: number } => {
      const j = ruleset();
      const rule = j.nftables.find((x) => x.rule?.chain === 'input')!.rule!;
      const set = /"right": "@([A-Za-z0-9_]+)"/.exec(JSON.stringify(rule.expr, null, 1))![1]!;
      return { set, count: (j.nftables.find((x) => x.set?.name === set)!.set!.elem ?? []).length };
    };
    const views: Array<{ set: string; count: number }> = [];
    const onProgress = (p: BlocklistProgress): void => {
      if (p.phase === 'acknowledged') views.push(look());
    };
    await bl.replace(list(0x0b000000, 12_000), { swap: true, maxElementsPerTransaction: 1024, onProgress });
    const after = look();
    assert.ok(views.length >= 10, `read after ${views.length} chunks`);
    for (const v of views) assert.deepEqual(v, { set: 'ban', count: 3000 }, 'during the fill the rule references the old, whole set');
    assert.deepEqual(after, { set: 'ban_swap', count: 12_000 });
  });

  it('interval layout, both families: the switch is one transaction for both sets; nft\'s element layout', async () => {
    const inet: Table = { family: 'inet', name: 'sw6' };
    const bl = await Blocklist.open(conn, { table: inet, name: 'nets', layout: 'interval', timeoutMs: 3_600_000 });
    await bl.add(['10.0.0.0/8', '2001:db8::/32']);
    nft(['-f', '-'], 'add chain inet sw6 c { type filter hook input priority 0; }\nadd rule inet sw6 c ip saddr @nets_v4 drop\nadd rule inet sw6 c ip6 saddr @nets_v6 drop\n');
    const cidrs = Array.from({ length: 5000 }, (_, i) => `${ip((0x14000000 + i * 256) >>> 0)}/24`);
    const r = await bl.replace([...cidrs, '2001:db8:1::/48'], { swap: true, maxElementsPerTransaction: 1000 });
    assert.equal(r.atomic, true);
    const text = nft(['list', 'table', 'inet', 'sw6']);
    assert.match(text, /ip saddr @nets_v4_swap drop/);
    assert.match(text, /ip6 saddr @nets_v6_swap drop/);
    assert.doesNotMatch(text, /set nets_v4 \{|set nets_v6 \{/);
    assert.match(text, /expires 59m/);
    // same elements as nft writes for the same list into a fresh set
    nft(['-f', '-'], `add set inet sw6 ref { type ipv4_addr; flags interval,timeout; auto-merge; timeout 1h; }\nadd element inet sw6 ref { ${cidrs.join(', ')} }\n`);
    const layout = (set: string): string[] => [...nft(['--debug=netlink', 'list', 'set', 'inet', 'sw6', set]).matchAll(/element ((?:[0-9a-f]{8} ?)+) : (\d+) \[end\]/g)].map((m) => `${m[1]!.trim()}:${m[2]}`).sort();
    assert.deepEqual(layout('nets_v4_swap'), layout('ref'));
    assert.equal(bl.size, 2, 'the /24s merge into one range, plus the /48');
  });

  it('text bytes: the fill starts while the rest is parsed; duplicates are fine; an invalid line refuses the whole swap', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban', timeoutMs: 600_000 });
    await bl.add(list(0x0a000000, 500));
    rules();
    const lines = [...list(0x0b000000, 9000), '11.0.0.1', '# a comment', '', ...list(0x0b010000, 1000)];
    const bad = Buffer.from([...lines.slice(0, 7000), '11.0.0.300', ...lines.slice(7000)].join('\n') + '\n');
    const before = nft(['list', 'ruleset']);
    await assert.rejects(bl.replace(bad, { swap: true, maxElementsPerTransaction: 1000 }), /line 7001: "11\.0\.0\.300".*Nothing was applied/);
    assert.equal(nft(['list', 'ruleset']).replace(/expires \S+/g, ''), before.replace(/expires \S+/g, ''), 'old set, rules and nothing else');
    assert.deepEqual(setNames(), ['ban']);
    const r = await bl.replace(Buffer.from(lines.join('\n')), { swap: true, maxElementsPerTransaction: 1000 });
    assert.equal(r.added, 10_000);
    assert.equal(r.removed, 500);
    assert.equal(r.atomic, true);
    assert.deepEqual(setNames(), ['ban_swap']);
    assert.deepEqual(referenced(), ['ban_swap', 'ban_swap', 'ban_swap']);
    assert.equal(setSize('ban_swap'), 10_000);
    assert.match(nft(['list', 'set', 'ip', 'sw', 'ban_swap']), /11\.0\.0\.1 expires 9m5\d/);
    assert.equal(bl.size, 10_000);
  });

  it('text bytes: a chunk the kernel refuses mid-fill (the set\'s size is full) leaves the old set, the rules and nothing else', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban', size: 5000 });
    await bl.add(list(0x0a000000, 100));
    rules();
    const before = nft(['list', 'ruleset']);
    const text = Buffer.from(list(0x0b000000, 12_000).join('\n') + '\n');
    const acked: number[] = [];
    const err = await bl.replace(text, { swap: true, maxElementsPerTransaction: 1000, onProgress: (p) => void (p.phase === 'acknowledged' && acked.push(p.entries)) }).catch((e: unknown) => e);
    assert.equal((err as { code?: string }).code, 'ENFILE');
    assert.ok(acked.length >= 1 && acked.at(-1)! <= 5000, `chunks acknowledged before the refusal: ${acked.join(', ')}`);
    assert.equal(nft(['list', 'ruleset']), before);
    assert.deepEqual(setNames(), ['ban']);
    assert.equal(bl.sets.ipv4!.name, 'ban');
    assert.equal(bl.size, 100);
    // and the next swap works
    const r = await bl.replace(Buffer.from(list(0x0c000000, 4000).join('\n')), { swap: true, maxElementsPerTransaction: 1000 });
    assert.equal(r.added, 4000);
    assert.deepEqual(setNames(), ['ban_swap']);
    assert.deepEqual(referenced(), ['ban_swap', 'ban_swap', 'ban_swap']);
  });

  it('a rule it cannot re-point (it also uses an anonymous set): refused, the fresh set removed, nothing changed', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban' });
    await bl.add(list(0x0a000000, 100));
    nft(['-f', '-'], 'add chain ip sw input { type filter hook input priority 0; }\nadd rule ip sw input ip saddr @ban tcp dport { 22, 80 } drop\n');
    const before = nft(['list', 'ruleset']);
    await assert.rejects(bl.replace(list(0x0b000000, 5000), { swap: true }), /uses __set0 \(bound to the rule.*nothing was switched/);
    assert.equal(nft(['list', 'ruleset']), before);
    assert.equal(bl.sets.ipv4!.name, 'ban');
    assert.equal(bl.size, 100);
  });

  it('a process killed during the fill leaves the old set referenced and whole; the next open deletes the half-filled leftover', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'ban' });
    await bl.add(list(0x0a000000, 5000));
    rules();
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'blocklist-swap-child.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    // the child prints a line after each committed chunk; kill it after the third
    await new Promise<void>((resolve, reject) => {
      let lines = 0;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (s: string) => {
        lines += s.split('\n').filter((x) => x === 'chunk').length;
        if (lines >= 3 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} before it was killed`))));
    });
    await new Promise((r) => child.once('close', r));
    assert.deepEqual(setNames(), ['ban', 'ban_swap'], 'the half-filled fresh set was left behind');
    assert.ok(setSize('ban_swap') > 0 && setSize('ban_swap') < 400_000);
    assert.deepEqual(referenced(), ['ban', 'ban', 'ban']);
    assert.equal(setSize('ban'), 5000);
    const reopened = await Blocklist.open(conn, { table: t4, name: 'ban' });
    assert.deepEqual(setNames(), ['ban']);
    assert.equal(reopened.sets.ipv4!.name, 'ban');
    assert.equal(reopened.size, 5000);
    // and a swap from there works
    await reopened.replace(list(0x0c000000, 100), { swap: true });
    assert.deepEqual(setNames(), ['ban_swap']);
  });
});
