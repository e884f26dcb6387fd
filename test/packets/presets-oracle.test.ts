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
import { composePresets, guides, hostFirewall, loggingChains, natGateway, outboundPolicy, presetObjects, sanityFilter, type Preset } from '../../lib/presets';

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
  ['hostFirewall (closed: drop types, logDropped, ping sources)', () => hostFirewall({ closed: { udp6: 'admin-prohibited' }, logDropped: { tcp: 'tcp.in.dropped ', udp: 'udp.in.dropped ', other: 'other ', all: 'all ' }, ping: { sources: ['10.137.0.0/24', 'fd00::/8'] }, newWithoutSyn: { logPrefix: 'x ' } })],
  ['hostFirewall (closed: drop)', () => hostFirewall({ closed: 'drop', ping: { rate: 1, sources: ['10.0.0.0/8'] } })],
  ['sanityFilter (bogon destinations, ttl interfaces)', () => sanityFilter({ bogons: { interfaces: ['eth0'], destinations: ['224.0.0.0/4', '255.255.255.255'] }, ttlInterfaces: ['eth0', 'eth1'] })],
  ['guides.logChains (003)', () => guides.logChains({ interfaces: ['wlan0'] })],
  ['guides.netfilterHardening (000)', () => guides.netfilterHardening({ external: 'eth7', tcpPorts: [22], outbound: { dns: ['192.0.2.53'] } })],
  [
    'guides.tightServer (004)',
    () =>
      guides.tightServer({
        ourIp: '203.0.113.10',
        sshSources: ['198.51.100.7', '198.51.100.8'],
        sshPort: 122,
        dnsServers: ['192.0.2.53', '192.0.2.54'],
        ntpServers: ['192.0.2.123'],
        repositories: ['192.0.2.80'],
        webAllowed: ['192.0.2.81'],
        sshOut: ['192.0.2.22'],
        mailOut: true,
        mailRelay: ['192.0.2.25'],
        mailIn: ['192.0.2.26'],
      }),
  ],
  ['guides.serverHardening (001)', () => guides.serverHardening({ friendly: ['10.137.0.0/24', 'fd00::/8'], publicTcp: [8443], honeypot: { to: '172.17.0.4', port: 8022 } })],
  ['guides.simpleStateful (002)', () => guides.simpleStateful({ tcpPorts: [22, 80], udpPorts: [53] })],
  [
    'guides.simpleStateful (002) with the NAT gateway',
    () =>
      guides.simpleStateful({
        tcpPorts: [22],
        nat: { wan: 'ppp0', lans: [{ iface: 'eth0', subnet: '192.168.0.0/24' }, { iface: 'eth1', subnet: '10.3.0.0/16' }], forwards: [{ port: 22, to: '192.168.0.5' }, { port: 8000, to: '192.168.0.6', toPort: 80 }] },
      }),
  ],
  ['outboundPolicy (per-peer ports)', () => outboundPolicy({ allow: [{ to: ['192.0.2.80', '2001:db8::80'], tcp: [80] }, { to: ['192.0.2.123'], udp: [123] }, { to: ['192.0.2.9'] }] })],
  ['natGateway (honeypot on another host)', () => natGateway({ lan: ['eth1'], wan: 'eth0', lanSubnets: ['192.168.1.0/24'], honeypot: { to: '192.168.1.99', toPort: 8022 } })],
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
