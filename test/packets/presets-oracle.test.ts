// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The presets' rendered nft text is what nft itself loads and lists: for each preset, load
 * renderRuleset(preset) with `nft -f` in a fresh namespace and list it (A); commit the same
 * preset through the library in another fresh namespace and list it (B); A must equal B.
 * Both are listed without counter values, which traffic on the links may move at any time.
 */
import assert from 'node:assert/strict';
import { assertPrivateNetns } from '../helpers/netns';
import { Node, pairTopology, type PairTopology } from '../helpers/topology';
import { Nftables } from '../../lib/nftables';
import { renderRuleset } from '../../lib/render/ruleset';
import { composePresets, hostFirewall, loggingChains, natGateway, outboundPolicy, presetObjects, sanityFilter, type Preset } from '../../lib/presets';

assertPrivateNetns();

const CASES: [string, () => Preset][] = [
  ['sanityFilter (all options)', () => sanityFilter({ rpfilter: true, bogons: { interfaces: ['eth0'] }, blocklist: { interfaces: ['eth0'] } })],
  [
    'hostFirewall (all options)',
    () =>
      hostFirewall({
        tcpPorts: [22, 443],
        udpPorts: [53],
        ping: { rate: 5, per: 'second' },
        trap: true,
        bruteForce: true,
        quietUdpPorts: ['137-138'],
        trusted: [{ protocol: 'tcp', ports: [5432], sources: ['192.168.1.0/24', 'fd00::/8'] }],
      }),
  ],
  ['outboundPolicy', () => outboundPolicy({ dns: ['192.0.2.53', '2001:db8::53'], ntp: true, web: true, mailRelay: ['192.0.2.25'], repositories: ['198.51.100.80'], peers: ['203.0.113.9'] })],
  ['loggingChains', () => loggingChains()],
  ['natGateway', () => natGateway({ lan: ['eth1'], wan: 'eth0', lanSubnets: ['192.168.1.0/24'], forwards: [{ port: 8000, to: '192.168.1.10', toPort: 80 }], honeypot: { toPort: 2222 } })],
  ['composed host', () => composePresets(sanityFilter(), hostFirewall({ tcpPorts: [22] }), outboundPolicy({ web: true }), loggingChains())],
];

describe('presets: rendered text equals what nft lists', function () {
  let topo: PairTopology;
  before(() => {
    topo = pairTopology();
  });
  after(() => topo?.destroy());

  // Stateless listing (-s): the namespaces have live veth links, and IPv6 neighbour discovery
  // or MLD packets they emit at random moments would otherwise move the output chain's counters
  // on one side only.
  const list = (n: Node) => n.exec(['nft', '-s', 'list', 'ruleset']);

  for (const [name, make] of CASES) {
    it(name, async () => {
      const preset = make();
      // A: nft -f of the rendered text, in the client namespace.
      topo.client.exec(['nft', 'flush', 'ruleset']);
      topo.client.exec(['nft', '-f', '-'], renderRuleset(preset));
      const a = list(topo.client);
      // B: the library's commit, in the server namespace.
      topo.server.exec(['nft', 'flush', 'ruleset']);
      const nft = await Nftables.open({ netns: topo.server.path });
      try {
        await nft.commit(nft.transaction().addAll(presetObjects(preset)));
      } finally {
        await nft.close();
      }
      assert.equal(list(topo.server), a);
    });
  }
});
