// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What listJson() costs against listRuleset() on the same ruleset, in the same run: loads RULES
 * rules (default 10,000; a mix of port, address, set and counter matches) with `nft -f` into a
 * namespace of its own, then times each listing (median of ROUNDS, default 5, after a warm-up).
 *   bash scripts/corpus.sh is not needed; run inside a private netns:
 *   unshare -n bash -c 'ip link set lo up; NFTJS_PRIVATE_NETNS=1 node --require tsx/cjs test/corpus/list-cost.ts [RULES] [ROUNDS]'
 */
import { execFileSync } from 'node:child_process';
import { assertPrivateNetns } from '../helpers/netns';
import { Nftables } from '../../lib/nftables';

assertPrivateNetns();

const rules = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 5);

function ruleset(n: number): string {
  const lines = ['table inet bench {', '  set allowed { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.0.0/16 } }', '  chain input {', '    type filter hook input priority 0; policy accept;'];
  for (let i = 0; i < n; i++) {
    switch (i % 4) {
      case 0:
        lines.push(`    tcp dport ${1 + (i % 65000)} counter accept`);
        break;
      case 1:
        lines.push(`    ip saddr 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} drop`);
        break;
      case 2:
        lines.push(`    ip saddr @allowed udp dport ${1 + (i % 65000)} accept comment "rule ${i}"`);
        break;
      default:
        lines.push(`    ct state established,related counter accept`);
    }
  }
  lines.push('  }', '}');
  return `${lines.join('\n')}\n`;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(xs);
}

async function main(): Promise<void> {
  execFileSync('nft', ['flush', 'ruleset']);
  execFileSync('nft', ['-f', '-'], { input: ruleset(rules) });
  const nft = await Nftables.open();
  try {
    const doc = await nft.listJson();
    const listed = doc.nftables.filter((i) => 'rule' in i).length;
    const report = await nft.listJsonReport();
    const old = await time(() => nft.listRuleset());
    const json = await time(() => nft.listJson());
    console.log(`rules loaded: ${rules}, listed by listJson: ${listed}, undecoded: ${report.undecoded.length}`);
    console.log(`listRuleset(): ${old.toFixed(1)} ms (median of ${rounds})`);
    console.log(`listJson():    ${json.toFixed(1)} ms (median of ${rounds})`);
    console.log(`ratio listJson/listRuleset: ${(json / old).toFixed(2)}`);
  } finally {
    await nft.close();
    execFileSync('nft', ['flush', 'ruleset']);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
