// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The renderer's tricky printers, on JSON as `nft -j list ruleset` (nft 1.0.6) printed it and
 * the text `nft list ruleset` printed for the same ruleset (captured from nft; the whole-ruleset
 * comparison against a live nft is test/kernel/nft-render.test.ts).
 */
import assert from 'node:assert/strict';
import {
  byteUnit,
  formatScalar,
  formatTime,
  renderDocument,
  renderExpr,
  renderPriority,
  renderRule,
  renderSetElements,
  renderStatement,
} from '../../lib/nft/render';
import type { JRule, JSet, JSetElem, JStatement, NftDocument } from '../../lib/nft/schema';

describe('nft render: element lists wrap as nft wraps them', () => {
  const set = (type: string | string[], elem: JSetElem[]): JSet => ({ family: 'inet', table: 't', name: 's', type, elem });

  it('ipv4_addr: two elements per line', () => {
    assert.equal(
      renderSetElements(set('ipv4_addr', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'])),
      '{ 10.0.0.1, 10.0.0.2,\n\t\t\t     10.0.0.3, 10.0.0.4,\n\t\t\t     10.0.0.5 }',
    );
  });
  it('inet_service: five elements per line', () => {
    assert.equal(
      renderSetElements(set('inet_service', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
      '{ 1, 2, 3, 4, 5,\n\t\t\t     6, 7, 8, 9, 10,\n\t\t\t     11, 12 }',
    );
  });
  it('ipv6_addr, ifname and concatenations: one element per line', () => {
    assert.equal(renderSetElements(set('ipv6_addr', ['::1', '::2'])), '{ ::1,\n\t\t\t     ::2 }');
    assert.equal(renderSetElements(set('ifname', ['dummy*', 'eth0'])), '{ "dummy*",\n\t\t\t     "eth0" }');
    assert.equal(
      renderSetElements(set(['ipv4_addr', 'inet_service'], [{ concat: ['1.1.1.1', 22] }, { concat: ['1.1.1.2', 23] }])),
      '{ 1.1.1.1 . 22,\n\t\t\t     1.1.1.2 . 23 }',
    );
  });
  it('maps: key type formats keys, data type formats data', () => {
    const m: JSet = { family: 'inet', table: 't', name: 'mm', type: 'mark', map: 'verdict', elem: [[1, { accept: null }], [16, { drop: null }]] };
    assert.equal(renderSetElements(m), '{ 0x00000001 : accept, 0x00000010 : drop }');
  });
  it('element timeout, expires and comment', () => {
    const s = set('ipv4_addr', [{ elem: { val: '1.2.3.4', timeout: 3600, expires: 3599, comment: 'x y' } }]);
    assert.equal(renderSetElements(s), '{ 1.2.3.4 timeout 1h expires 59m59s comment "x y" }');
  });
  it('anonymous sets stay on one line', () => {
    assert.equal(renderExpr({ set: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] }), '{ 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4 }');
  });
});

describe('nft render: quoting', () => {
  const match = (left: unknown, right: unknown, op = '=='): string =>
    renderStatement({ match: { op, left, right } } as JStatement);

  it('interface names are quoted, wildcards and escapes kept as nft -j gives them', () => {
    assert.equal(match({ meta: { key: 'iifname' } }, { set: ['eth*', 'lo'] }), 'iifname { "eth*", "lo" }');
    assert.equal(match({ meta: { key: 'oifname' } }, 'dummy\\*'), 'oifname "dummy\\*"');
    assert.equal(match({ meta: { key: 'iif' } }, 'lo'), 'iif "lo"');
  });
  it('symbols and addresses are not quoted; set references never', () => {
    assert.equal(match({ ct: { key: 'state' } }, ['established', 'related'], 'in'), 'ct state established,related');
    assert.equal(match({ meta: { key: 'iifname' } }, '@ifs'), 'iifname @ifs');
    assert.equal(match({ payload: { protocol: 'ip', field: 'saddr' } }, { prefix: { addr: '10.0.0.0', len: 8 } }), 'ip saddr 10.0.0.0/8');
  });
  it('rule comments and device-group names are quoted, group numbers are not', () => {
    const rule: JRule = { family: 'inet', table: 't', chain: 'c', comment: 'hello world', expr: [{ accept: null }] };
    assert.equal(renderRule(rule), 'accept comment "hello world"');
    assert.equal(match({ meta: { key: 'iifgroup' } }, { set: ['default', 11] }), 'iifgroup { "default", 11 }');
  });
  it('object map data are quoted object names', () => {
    const m: JSet = { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: 'counter', elem: [['192.168.2.2', 'user124']] };
    assert.equal(renderSetElements(m), '{ 192.168.2.2 : "user124" }');
  });
});

describe('nft render: priorities', () => {
  it('standard names with offsets within 10', () => {
    assert.equal(renderPriority(0, 'inet', 'input'), 'filter');
    assert.equal(renderPriority(-145, 'inet', 'prerouting'), 'mangle + 5');
    assert.equal(renderPriority(97, 'inet', 'postrouting'), 'srcnat - 3');
    assert.equal(renderPriority(-11, 'ip', 'input'), '-11');
  });
  it('names only where nft allows them for the family and hook', () => {
    assert.equal(renderPriority(-100, 'ip', 'prerouting'), 'dstnat');
    assert.equal(renderPriority(-100, 'ip', 'input'), '-100');
    assert.equal(renderPriority(-150, 'netdev', 'ingress'), '-150');
    assert.equal(renderPriority(0, 'arp', 'input'), 'filter');
  });
  it('bridge has its own table', () => {
    assert.equal(renderPriority(-200, 'bridge', 'input'), 'filter');
    assert.equal(renderPriority(-190, 'bridge', 'input'), 'filter + 10');
    assert.equal(renderPriority(100, 'bridge', 'output'), 'out');
    assert.equal(renderPriority(100, 'bridge', 'input'), '100');
    assert.equal(renderPriority(300, 'bridge', 'postrouting'), 'srcnat');
  });
});

describe('nft render: units', () => {
  it('times as nft prints them', () => {
    assert.equal(formatTime(3600), '1h');
    assert.equal(formatTime(90061), '1d1h1m1s');
    assert.equal(formatTime(431999), '4d23h59m59s');
    assert.equal(formatScalar(67, 'time'), '1m7s');
  });
  it('bytes in the largest exact unit', () => {
    assert.deepEqual(byteUnit(10 * 1024 * 1024), { value: 10n, unit: 'mbytes' });
    assert.deepEqual(byteUnit(1536), { value: 1536n, unit: 'bytes' });
    assert.deepEqual(byteUnit(0), { value: 0n, unit: 'bytes' });
  });
  it('limit, quota and counter statements', () => {
    assert.equal(renderStatement({ limit: { rate: 10, burst: 6, per: 'second' } }), 'limit rate 10/second burst 6 packets');
    assert.equal(renderStatement({ limit: { rate: 10, burst: 5, per: 'minute' } }), 'limit rate 10/minute');
    assert.equal(
      renderStatement({ limit: { rate: 1, burst: 512, per: 'second', inv: true, rate_unit: 'mbytes', burst_unit: 'kbytes' } }),
      'limit rate over 1 mbytes/second burst 512 kbytes',
    );
    assert.equal(renderStatement({ quota: { val: 10, val_unit: 'mbytes', inv: true, used: 0, used_unit: 'bytes' } }), 'quota over 10 mbytes');
    assert.equal(renderStatement({ quota: { val: 10, val_unit: 'mbytes', used: 512, used_unit: 'kbytes' } }), 'quota 10 mbytes used 512 kbytes');
    assert.equal(renderStatement({ counter: { packets: 2n ** 63n, bytes: 7n } }), 'counter packets 9223372036854775808 bytes 7');
    assert.equal(renderStatement({ counter: 'cnt1' }), 'counter name "cnt1"');
    // Listings of this package give 64-bit values as bigint.
    assert.equal(renderStatement({ quota: { val: 10, val_unit: 'mbytes', used: 0n, used_unit: 'bytes' } } as never), 'quota 10 mbytes');
    assert.equal(
      renderDocument({ nftables: [{ quota: { family: 'ip', table: 'x', name: 'q', bytes: 1048576n, used: 0n, inv: false } }] } as never),
      'table ip x {\n\tquota q {\n\t\t1 mbytes\n\t}\n}\n',
    );
  });
  it('marks, flags and raw payloads in hex; ranges numerically', () => {
    assert.equal(renderStatement({ match: { op: '==', left: { meta: { key: 'mark' } }, right: 16 } }), 'meta mark 0x00000010');
    assert.equal(renderStatement({ match: { op: '==', left: { payload: { base: 'th', offset: 160, len: 32 } }, right: 41118720 } }), '@th,160,32 0x2736c00');
    assert.equal(renderStatement({ match: { op: '==', left: { ct: { key: 'expiration' } }, right: { range: [60, 3600] } } }), 'ct expiration 60s-3600s');
    assert.equal(
      renderStatement({ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'flags' } }, right: 'syn' } }),
      'tcp flags == syn',
    );
    assert.equal(
      renderStatement({
        match: { op: '!=', left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, ['fin', 'syn', 'rst', 'ack']] }, right: 'syn' },
      }),
      'tcp flags != syn / fin,syn,rst,ack',
    );
  });
});

describe('nft render: documents', () => {
  it('a whole listing, tables in order, blank lines between blocks', () => {
    const doc: NftDocument = {
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { table: { family: 'inet', name: 't', handle: 1 } },
        { chain: { family: 'inet', table: 't', name: 'd', handle: 2, type: 'nat', hook: 'postrouting', prio: 97, policy: 'accept' } },
        { counter: { family: 'inet', table: 't', name: 'c1', handle: 3, packets: 0, bytes: 0 } },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'd',
            handle: 13,
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } },
              { snat: { family: 'ip6', addr: '::2', port: { range: [80, 90] } } },
            ],
          },
        },
        { table: { family: 'bridge', name: 'b', handle: 2 } },
        { chain: { family: 'bridge', table: 'b', name: 'c', handle: 1 } },
      ],
    };
    assert.equal(
      renderDocument(doc),
      'table inet t {\n\tcounter c1 {\n\t\tpackets 0 bytes 0\n\t}\n\n\tchain d {\n' +
        '\t\ttype nat hook postrouting priority srcnat - 3; policy accept;\n' +
        '\t\ttcp dport 22 snat ip6 to [::2]:80-90\n\t}\n}\n' +
        'table bridge b {\n\tchain c {\n\t}\n}\n',
    );
  });
  it('chain bindings printed from the text nft -j gives for them', () => {
    const rule: JRule = { family: 'ip', table: 'f', chain: 'c', expr: ['jump {\n\t\t\taccept\n\t\t}'] };
    assert.equal(renderRule(rule), 'jump {\n\t\t\taccept\n\t\t}');
  });
  it('never throws on what it does not know', () => {
    assert.equal(renderExpr({ bogus: 1 } as never), '<unknown: {"bogus":1}>');
    assert.equal(renderStatement({ nope: { x: 1n } } as never), '<unknown: {"nope":{"x":"1"}}>');
    assert.equal(renderDocument({ nftables: [{ foo: {} } as never, { table: { family: 'ip', name: 'x' } }] }), 'table ip x {\n}\n');
  });
});

describe('nft render: statements and objects this kernel cannot load (formats of src/statement.c, src/rule.c)', () => {
  it('queue', () => {
    assert.equal(renderStatement({ queue: null }), 'queue to 0');
    assert.equal(renderStatement({ queue: { num: 2 } }), 'queue to 2');
    assert.equal(renderStatement({ queue: { num: { range: [1, 4] }, flags: ['bypass', 'fanout'] } }), 'queue flags bypass,fanout to 1-4');
  });
  it('tproxy, dup, fwd', () => {
    assert.equal(renderStatement({ tproxy: { family: 'ip', addr: '1.1.1.1', port: 80 } }), 'tproxy ip to 1.1.1.1:80');
    assert.equal(renderStatement({ tproxy: { family: 'ip6', addr: '::1', port: 80 } }), 'tproxy ip6 to [::1]:80');
    assert.equal(renderStatement({ tproxy: { port: 80 } }), 'tproxy to :80');
    assert.equal(renderStatement({ dup: { addr: '1.2.3.4', dev: 'lo' } }), 'dup to 1.2.3.4 device "lo"');
    assert.equal(renderStatement({ dup: { addr: 'lo' } }, { family: 'netdev' }), 'dup to "lo"');
    assert.equal(renderStatement({ fwd: { dev: 'lo' } }), 'fwd to "lo"');
    assert.equal(renderStatement({ fwd: { family: 'ip', addr: '1.2.3.4', dev: 'lo' } }), 'fwd ip to 1.2.3.4 device "lo"');
  });
  it('object references and flow offload', () => {
    assert.equal(renderStatement({ 'ct helper': 'ftp-standard' }), 'ct helper set "ftp-standard"');
    assert.equal(renderStatement({ secmark: 'sshtag' }), 'meta secmark set "sshtag"');
    assert.equal(renderStatement({ synproxy: 'https-synproxy' }), 'synproxy name "https-synproxy"');
    assert.equal(renderStatement({ synproxy: { mss: 1460, wscale: 7, flags: ['timestamp', 'sack-perm'] } }), 'synproxy mss 1460 wscale 7 timestamp sack-perm');
    assert.equal(renderStatement({ flow: { op: 'add', flowtable: '@ft' } }), 'flow add @ft');
  });
  it('flowtables and named objects', () => {
    const doc: NftDocument = {
      nftables: [
        { table: { family: 'inet', name: 't' } },
        { secmark: { family: 'inet', table: 't', name: 'sm', context: 'system_u:object_r:ssh_server_packet_t:s0' } },
        { 'ct helper': { family: 'inet', table: 't', name: 'h', type: 'ftp', protocol: 'tcp', l3proto: 'inet' } },
        { 'ct timeout': { family: 'inet', table: 't', name: 'to', protocol: 'tcp', l3proto: 'inet', policy: { established: 100, close: 4 } } },
        { 'ct expectation': { family: 'inet', table: 't', name: 'e', protocol: 'tcp', dport: 22, timeout: 3000, size: 8, l3proto: 'inet' } },
        { synproxy: { family: 'inet', table: 't', name: 'sp', mss: 1460, wscale: 7, flags: ['timestamp'] } },
        { quota: { family: 'inet', table: 't', name: 'q', bytes: 25 * 1024 * 1024, used: 0, inv: false } },
        { limit: { family: 'inet', table: 't', name: 'l', rate: 400, per: 'minute' } },
        { flowtable: { family: 'inet', table: 't', name: 'ft', hook: 'ingress', prio: 0, dev: ['lo', 'eth0'] } },
      ],
    };
    assert.equal(
      renderDocument(doc),
      [
        'table inet t {',
        '\tsecmark sm {\n\t\t"system_u:object_r:ssh_server_packet_t:s0"\n\t}\n',
        '\tct helper h {\n\t\ttype "ftp" protocol tcp\n\t\tl3proto inet\n\t}\n',
        '\tct timeout to {\n\t\tprotocol tcp\n\t\tl3proto inet\n\t\tpolicy = { established : 100, close : 4 }\n\t}\n',
        '\tct expectation e {\n\t\tprotocol tcp\n\t\tdport 22\n\t\ttimeout 3s\n\t\tsize 8\n\t\tl3proto inet\n\t}\n',
        '\tsynproxy sp {\n\t\tmss 1460\n\t\twscale 7\n\t\ttimestamp \n\t}\n',
        '\tquota q {\n\t\t25 mbytes\n\t}\n',
        '\tlimit l {\n\t\trate 400/minute\n\t}\n',
        '\tflowtable ft {\n\t\thook ingress priority filter\n\t\tdevices = { eth0, lo }\n\t}',
        '}\n',
      ].join('\n'),
    );
  });
});

describe('nft render: command documents', () => {
  it('add commands render as the ruleset they build, elements in their set', () => {
    const doc: NftDocument = {
      nftables: [
        { add: { table: { family: 'ip', name: 'x' } } },
        { add: { set: { family: 'ip', table: 'x', name: 's', type: 'inet_service' } } },
        { add: { element: { family: 'ip', table: 'x', name: 's', elem: [22, 80] } } },
        { add: { chain: { family: 'ip', table: 'x', name: 'c' } } },
        { add: { rule: { family: 'ip', table: 'x', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: '@s' } }, { drop: null }] } } },
      ],
    };
    assert.equal(
      renderDocument(doc),
      'table ip x {\n\tset s {\n\t\ttype inet_service\n\t\telements = { 22, 80 }\n\t}\n\n\tchain c {\n\t\ttcp dport @s drop\n\t}\n}\n',
    );
  });
});
