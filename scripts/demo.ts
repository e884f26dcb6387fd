// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The demo behind `npm run demo` (scripts/demo.sh runs it in a throwaway network namespace):
 * a hardened host from the presets, a blocklist set, one atomic commit, some loopback traffic,
 * then the live rules with their counters as nft text.
 */
import { readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { Nftables } from '../lib/nftables';
import { composePresets, hostFirewall, loggingChains, outboundPolicy, presetObjects, sanityFilter } from '../lib/presets';
import { renderRuleset } from '../lib/render/ruleset';
import type { SetSpec } from '../lib/model/types';

function assertThrowaway(): void {
  let host: string | undefined;
  try {
    host = readlinkSync('/proc/1/ns/net');
  } catch {
    host = undefined;
  }
  if (process.env.NFTJS_DEMO_NETNS !== '1' || (host !== undefined && host === readlinkSync('/proc/self/ns/net'))) {
    throw new Error('The demo changes the firewall: run it with `npm run demo`, which starts it in a private network namespace');
  }
}

/** Opens and closes a TCP connection to a local port (refused or accepted, both count). */
const knock = (port: number) =>
  new Promise<void>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => s.end());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });

async function main(): Promise<void> {
  assertThrowaway();
  const ruleset = composePresets(
    sanityFilter({ blocklist: { interfaces: ['eth0'] }, rpfilter: true, bogons: { interfaces: ['eth0'] } }),
    hostFirewall({
      tcpPorts: [22, 443],
      ping: { rate: 5, per: 'second' },
      trap: true,
      bruteForce: true,
      quietUdpPorts: ['137-138'],
      trusted: [{ protocol: 'tcp', ports: [5432], sources: ['192.0.2.0/24'] }],
    }),
    outboundPolicy({ dns: ['192.0.2.53'], ntp: true, web: true }),
    loggingChains(),
  );
  const blocklist4 = ruleset.sets.find((s) => s.name === 'blocklist4') as SetSpec;
  const blocklist6 = ruleset.sets.find((s) => s.name === 'blocklist6') as SetSpec;

  const nft = await Nftables.open();
  try {
    const tx = nft.transaction().addAll(presetObjects(ruleset));
    tx.addElements(blocklist4, ['198.51.100.0/24', '203.0.113.7']).addElements(blocklist6, ['2001:db8:bad::/48']);
    const t0 = process.hrtime.bigint();
    const r = await nft.commit(tx);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`Committed ${ruleset.rules.length} rules, ${ruleset.chains.length} chains and ${ruleset.sets.length} sets in one transaction (${r.messages} netlink messages, ${r.batchBytes} bytes, ${ms.toFixed(1)} ms).\n`);

    for (const port of [22, 23, 443]) await knock(port);

    const live = await nft.listRuleset({ family: 'inet', table: 'fw' });
    console.log(renderRuleset(live));
    const hits = (await nft.counters({ table: 'fw' })).filter((c) => c.packets > 0n);
    console.log('Rules that saw packets (loopback connections to ports 22, 23, 443):');
    for (const c of hits) console.log(`  ${c.chain.padEnd(10)} ${String(c.packets).padStart(4)} packets  ${c.comment ?? `handle ${c.handle}`}`);
  } finally {
    await nft.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
