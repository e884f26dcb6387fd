// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Preset and guide options: wrong shapes fail with a TypeError/RangeError in the house format
 * (never a JavaScript error such as "Cannot use 'in' operator" or "… is not iterable"); tcpOption
 * validation; composition keeps shared rules once; addRules() inserts before the final verdicts.
 */
import assert from 'node:assert/strict';
import * as m from '../../lib/match';
import { renderRule } from '../../lib/nft/render';
import type { JStatement } from '../../lib/nft/schema';
import { addRules, composePresets, guides, hostFirewall, loggingChains, natGateway, sanityFilter } from '../../lib/presets';

const bad = (v: unknown): never => v as never;

const CASES: [string, () => unknown, ErrorConstructor | RangeErrorConstructor, string][] = [
  ['hostFirewall options not an object', () => hostFirewall(bad('x')), TypeError, 'Expected an options object for hostFirewall() options but received "x"'],
  ['hostFirewall tcpPorts not an array', () => hostFirewall({ tcpPorts: bad(22) }), TypeError, 'Expected an array of ports (numbers or "lo-hi" strings) for hostFirewall() tcpPorts but received 22'],
  ['hostFirewall port out of range', () => hostFirewall({ udpPorts: [70000] }), RangeError, 'Expected a port of 0-65535 for hostFirewall() udpPorts[0] but received 70000'],
  ['hostFirewall ping not an object', () => hostFirewall({ ping: bad('fast') }), TypeError, 'Expected true, false or an options object for hostFirewall() ping but received "fast"'],
  ['hostFirewall ping.sources a string', () => hostFirewall({ ping: { sources: bad('10.0.0.0/8') } }), TypeError, 'Expected an array of strings for hostFirewall() ping.sources but received "10.0.0.0/8"'],
  ['hostFirewall trusted not an array', () => hostFirewall({ trusted: bad({ protocol: 'tcp' }) }), TypeError, 'Expected an array of objects for hostFirewall() trusted but received {"protocol":"tcp"}'],
  ['hostFirewall trusted sources missing', () => hostFirewall({ trusted: [bad({ protocol: 'tcp', ports: [1] })] }), TypeError, 'Expected an array of strings for hostFirewall() trusted[0].sources but received undefined'],
  ['hostFirewall closed', () => hostFirewall({ closed: bad('silent') }), TypeError, 'Expected one of reject, drop for hostFirewall() closed but received "silent"'],
  ['sanityFilter minMss', () => sanityFilter({ minMss: 0 }), RangeError, 'Expected false or an integer MSS of 1-65535 for sanityFilter() minMss but received 0'],
  ['sanityFilter blocklist interfaces', () => sanityFilter({ blocklist: bad({ interfaces: 'eth0' }) }), TypeError, 'Expected an array of strings for sanityFilter() blocklist.interfaces but received "eth0"'],
  ['sanityFilter bogons interfaces empty', () => sanityFilter({ bogons: { interfaces: [] } }), RangeError, 'Expected a non-empty array of strings for sanityFilter() bogons.interfaces but received []'],
  ['loggingChains chains', () => loggingChains({ chains: [bad('log')] }), TypeError, 'Expected one of accept, drop, reject for loggingChains() chains[0] but received "log"'],
  ['loggingChains attach to a missing chain', () => loggingChains({ chains: ['drop'], attach: { output: { target: 'accept' } } }), TypeError, 'Expected one of the chains created (drop) for loggingChains() attach.output.target but received "accept"'],
  ['guides.logChains without options', () => guides.logChains(bad(undefined)), TypeError, 'Expected an options object for guides.logChains() options but received null'],
  ['guides.logChains interfaces', () => guides.logChains({ interfaces: bad('wlan0') }), TypeError, 'Expected an array of strings for guides.logChains() interfaces but received "wlan0"'],
  ['guides.netfilterHardening external', () => guides.netfilterHardening(bad({})), TypeError, 'Expected a non-empty string for guides.netfilterHardening() external but received undefined'],
  ['guides.tightServer ourIp v6', () => guides.tightServer({ ourIp: '2001:db8::1' }), TypeError, 'Expected an IPv4 address for guides.tightServer() ourIp but received "2001:db8::1"'],
  ['guides.tightServer sshPort', () => guides.tightServer({ ourIp: '192.0.2.1', sshPort: 0 }), RangeError, 'Expected a port of 1-65535 for guides.tightServer() sshPort but received 0'],
  ['guides.tightServer dnsServers', () => guides.tightServer({ ourIp: '192.0.2.1', dnsServers: bad('192.0.2.53') }), TypeError, 'Expected an array of strings for guides.tightServer() dnsServers but received "192.0.2.53"'],
  ['guides.serverHardening friendly', () => guides.serverHardening({ friendly: [] }), RangeError, 'Expected a non-empty array of strings for guides.serverHardening() friendly but received []'],
  ['guides.serverHardening honeypot port', () => guides.serverHardening({ friendly: ['10.0.0.0/8'], honeypot: { to: '172.17.0.4', port: bad('8022') } }), TypeError, 'Expected an integer port for guides.serverHardening() honeypot.port but received "8022"'],
  ['composePresets non-preset', () => composePresets(hostFirewall(), bad(null)), TypeError, 'Expected a preset ({ tables, sets, chains, rules }) for composePresets() argument 1 but received null'],
  ['addRules unknown chain', () => addRules(loggingChains({ chains: ['drop'] }), 'input', { expr: [] }), TypeError, 'Expected the name of a chain of the preset (log_drop) for addRules() chain but received "input"'],
  ['addRules rule without statements', () => addRules(hostFirewall(), 'input', bad({ comment: 'x' })), TypeError, 'Expected a rule { expr: [statements], comment? } for addRules() rules[0] but received {"comment":"x"}'],
  ['tcpOption unknown option', () => m.tcpOption(bad('mss'), 'missing'), TypeError, 'Expected a TCP option name (eol, nop, maxseg, window, sack-perm, sack, timestamp) for tcpOption() option but received "mss"'],
  ['tcpOption bad value', () => m.tcpOption('maxseg', bad('absent')), TypeError, 'Expected "missing" or "exists" for tcpOption() value but received "absent"'],
];

describe('preset options: house-format errors', () => {
  for (const [name, fn, cls, message] of CASES) {
    it(name, () => {
      assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof cls, `${name}: ${String(e)}`);
        assert.equal((e as Error).message, message);
        return true;
      });
    });
  }
});

describe('preset composition', () => {
  const text = (s: readonly JStatement[] | undefined): string => renderRule({ family: 'inet', table: 'fw', chain: 'c', expr: s ?? [] });

  it('hostFirewall + natGateway: the shared forward rules (established, invalid) are kept once', () => {
    const p = composePresets(hostFirewall(), natGateway({ lan: ['eth1'], wan: 'eth0', lanSubnets: ['192.168.1.0/24'] }));
    const fwd = p.rules.filter((r) => r.chain === 'forward').map((r) => text(r.expr));
    assert.equal(fwd.filter((t) => t.startsWith('ct state established,related')).length, 1);
    assert.equal(fwd.filter((t) => t.startsWith('ct state invalid')).length, 1);
    assert.equal(fwd.length, 3);
  });

  it('addRules(): inserted just before the final verdicts of the chain, also after composing', () => {
    const p = addRules(composePresets(hostFirewall({ logDropped: { tcp: 'tcp.in.dropped ' } }), loggingChains()), 'input', { expr: [m.tcpDport(8443), m.counter(), m.accept()], comment: 'webui' });
    const input = p.rules.filter((r) => r.chain === 'input').map((r) => r.comment);
    const at = input.indexOf('webui');
    assert.deepEqual(input.slice(at - 1, at + 3), ['host: new udp', 'webui', 'host: log tcp', 'host: reject udp']);
  });

  it('jump rules carry a counter', () => {
    const jumps = hostFirewall().rules.filter((x) => (x.expr ?? []).some((s) => typeof s === 'object' && 'jump' in s));
    assert.ok(jumps.length > 0);
    for (const r of jumps) assert.ok((r.expr ?? []).some((s) => typeof s === 'object' && 'counter' in s), r.comment);
  });
});
