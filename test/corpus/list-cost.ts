// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What listing costs, in the same run: loads RULES rules (default 10,000; a mix of port, address,
 * set and counter matches) with `nft -f` into a namespace of its own, then times listRuleset()
 * (nft's JSON document), listRules() and, as the peer, `nft -j list ruleset` run as a subprocess
 * (median of ROUNDS, default 5, after a warm-up). bench/run.ts W9 parses the lines it prints.
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
    const doc = await nft.listRuleset();
    const listed = doc.nftables.filter((i) => 'rule' in i).length;
    const report = await nft.listJsonReport();
    if (listed !== rules || report.undecoded.length > 0) throw new Error(`listed ${listed} of ${rules} rules, ${report.undecoded.length} undecoded`);
    if ((await nft.listRules()).length !== rules) throw new Error('listRules() does not list every rule');
    const ruleset = await time(() => nft.listRuleset());
    const ruleList = await time(() => nft.listRules());
    const peer = await time(() => Promise.resolve(execFileSync('nft', ['-j', 'list', 'ruleset'], { maxBuffer: 1 << 30 })));
    console.log(`rules loaded: ${rules}, listed: ${listed}, undecoded: ${report.undecoded.length}`);
    console.log(`listRuleset(): ${ruleset.toFixed(1)} ms (median of ${rounds})`);
    console.log(`listRules():   ${ruleList.toFixed(1)} ms (median of ${rounds})`);
    console.log(`nft -j list ruleset: ${peer.toFixed(1)} ms (median of ${rounds})`);
    console.log(`ratio nft -j / listRuleset: ${(peer / ruleset).toFixed(2)}`);
  } finally {
    await nft.close();
    execFileSync('nft', ['flush', 'ruleset']);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
