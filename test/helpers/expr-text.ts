// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Prints generic expressions the way `nft --debug=netlink` (libnftnl's snprintf) does, e.g.
 * `[ payload load 2b @ transport header + 2 => reg 1 ]`. Used to
 * compare compiled rules with nft's own output in tests.
 */
import type { DecodedExpr } from '../../lib/expr/registry';
import { CT_KEY, FIB_F, META_KEY, VERDICT } from '../../lib/kernel';

/**
 * The registry names libnftnl's NFTNL_EXPR_{LIMIT,REJECT,NAT,EXTHDR}_TYPE attribute `type`, which
 * collides with the expression discriminant `type`. Until the registry renames it, the builder
 * writes and reads it under these keys.
 */
const TYPE_ATTR = { limit: 'limitType', reject: 'rejectType', nat: 'natType', exthdr: 'exthdrType' } as const;

/** Reads an attribute of a decoded expression, whatever its type. */
function attr(e: DecodedExpr, name: string): unknown {
  return (e as unknown as Record<string, unknown>)[name];
}
const num = (e: DecodedExpr, name: string): number | undefined => {
  const v = attr(e, name);
  return typeof v === 'number' ? v : undefined;
};
const big = (e: DecodedExpr, name: string): bigint | undefined => {
  const v = attr(e, name);
  return typeof v === 'bigint' ? v : undefined;
};
const bytes = (e: DecodedExpr, name: string): Uint8Array | undefined => {
  const v = attr(e, name);
  return v instanceof Uint8Array ? v : undefined;
};
const str = (e: DecodedExpr, name: string): string | undefined => {
  const v = attr(e, name);
  return typeof v === 'string' ? v : undefined;
};

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const nameOf = (table: Readonly<Record<string, number>>, n: number | undefined): string =>
  Object.keys(table).find((k) => table[k] === n) ?? String(n);

/** Data as libnftnl prints it: 32-bit words read in host order, `0x%08x` each. */
export function dataWords(b: Uint8Array | undefined): string {
  if (!b) return '';
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 4) {
    const w = new Uint8Array(4);
    w.set(b.subarray(i, i + 4));
    out.push(`0x${new DataView(w.buffer).getUint32(0, HOST_LE).toString(16).padStart(8, '0')}`);
  }
  return out.join(' ');
}

const CMP_NAMES = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];
const BASES = ['link', 'network', 'transport', 'inner'];
const EXTHDR_OPS = ['ipv6', 'tcpopt', 'ipv4', 'sctp', 'dccp'];
const FIB_RESULTS = ['unspec', 'oif', 'oifname', 'type'];
const UNITS: Readonly<Record<string, string>> = { '1': 'second', '60': 'minute', '3600': 'hour', '86400': 'day', '604800': 'week' };
const LOG_FLAG_WORDS: readonly [number, string][] = [
  [0x01, 'tcpseq'],
  [0x02, 'tcpopt'],
  [0x04, 'ipopt'],
  [0x08, 'uid'],
  [0x20, 'macdecode'],
];

function verdictText(code: number | undefined, chain: string | undefined): string {
  const name = nameOf(VERDICT, code);
  return chain !== undefined ? `${name} -> ${chain}` : name;
}

/** One expression, libnftnl style, without the surrounding brackets. */
export function exprText(e: DecodedExpr): string {
  if ('unknown' in e) return `${e.type} (unknown)`;
  const n = (k: string): number | undefined => num(e, k);
  // A string switch: the registry's `type` attribute of limit/reject/nat/exthdr collides with the discriminant.
  const type: string = e.type;
  switch (type) {
    case 'meta':
      return `meta load ${nameOf(META_KEY, n('key'))} => reg ${n('dreg')}`;
    case 'ct':
      return `ct load ${nameOf(CT_KEY, n('key'))} => reg ${n('dreg')}`;
    case 'payload':
      return `payload load ${n('len')}b @ ${BASES[n('base') ?? 0]} header + ${n('offset')}${(n('flags') ?? 0) & 1 ? ' present' : ''} => reg ${n('dreg')}`;
    case 'exthdr':
      return `exthdr load ${EXTHDR_OPS[n('op') ?? 0]} ${n('len')}b @ ${n(TYPE_ATTR.exthdr)} + ${n('offset')}${(n('flags') ?? 0) & 1 ? ' present' : ''} => reg ${n('dreg')}`;
    case 'cmp':
      return `cmp ${CMP_NAMES[n('op') ?? 0]} reg ${n('sreg')} ${dataWords(bytes(e, 'data'))}`;
    case 'range':
      return `range ${CMP_NAMES[n('op') ?? 0]} reg ${n('sreg')} ${dataWords(bytes(e, 'fromData'))} ${dataWords(bytes(e, 'toData'))}`;
    case 'bitwise':
      return `bitwise reg ${n('dreg')} = ( reg ${n('sreg')} & ${dataWords(bytes(e, 'mask'))} ) ^ ${dataWords(bytes(e, 'xor'))}`;
    case 'lookup': {
      const flags = n('flags');
      const dreg = n('dreg');
      return `lookup reg ${n('sreg')} set ${str(e, 'set')}${dreg !== undefined ? ` dreg ${dreg}` : ''}${flags ? ` 0x${flags.toString(16)}` : ''}`;
    }
    case 'immediate':
      return n('dreg') === 0 ? `immediate reg 0 ${verdictText(n('verdict'), str(e, 'chain'))}` : `immediate reg ${n('dreg')} ${dataWords(bytes(e, 'data'))}`;
    case 'counter':
      return `counter pkts ${big(e, 'packets') ?? 0n} bytes ${big(e, 'bytes') ?? 0n}`;
    case 'limit':
      return `limit rate ${big(e, 'rate')}/${UNITS[String(big(e, 'unit'))] ?? big(e, 'unit')} burst ${n('burst') ?? 0} type ${n(TYPE_ATTR.limit) === 1 ? 'bytes' : 'packets'} flags 0x${(n('flags') ?? 0).toString(16)}`;
    case 'connlimit':
      return `connlimit count ${n('count')} flags ${n('flags') ?? 0}`;
    case 'quota':
      return `quota bytes ${big(e, 'bytes')} consumed ${big(e, 'consumed') ?? 0n} flags ${n('flags') ?? 0}`;
    case 'objref':
      return `objref type ${n('immType')} name ${str(e, 'immName')}`;
    case 'reject':
      return `reject type ${n(TYPE_ATTR.reject)} code ${n('code')}`;
    case 'fib': {
      const f = n('flags') ?? 0;
      const parts = (['saddr', 'daddr', 'mark', 'iif', 'oif'] as const).filter((k) => f & FIB_F[k]);
      return `fib ${parts.join(' . ')} ${FIB_RESULTS[n('result') ?? 0]}${f & FIB_F.present ? ' present' : ''} => reg ${n('dreg')}`;
    }
    case 'log': {
      const p: string[] = [];
      const prefix = str(e, 'prefix');
      if (prefix !== undefined) p.push(`prefix ${prefix}`);
      if (n('group') !== undefined) p.push(`group ${n('group')} snaplen ${n('snaplen') ?? 0} qthreshold ${n('qthreshold') ?? 0}`);
      if (n('level') !== undefined) p.push(`level ${n('level')}`);
      const flags = n('flags') ?? 0;
      for (const [bit, w] of LOG_FLAG_WORDS) if (flags & bit) p.push(w);
      return ['log', ...p].join(' ');
    }
    case 'nat': {
      const p = [`nat ${n(TYPE_ATTR.nat) === 1 ? 'dnat' : 'snat'} ${n('family') === 10 ? 'ip6' : 'ip'}`];
      const regs: [string, string][] = [
        ['regAddrMin', 'addr_min'],
        ['regAddrMax', 'addr_max'],
        ['regProtoMin', 'proto_min'],
        ['regProtoMax', 'proto_max'],
      ];
      for (const [k, w] of regs) if (n(k) !== undefined) p.push(`${w} reg ${n(k)}`);
      if (n('flags') !== undefined) p.push(`flags 0x${(n('flags') ?? 0).toString(16)}`);
      return p.join(' ');
    }
    case 'masq':
    case 'redir': {
      const p: string[] = [type];
      if (n('regProtoMin') !== undefined) p.push(`proto_min reg ${n('regProtoMin')}`);
      if (n('regProtoMax') !== undefined) p.push(`proto_max reg ${n('regProtoMax')}`);
      if (n('flags') !== undefined) p.push(`flags 0x${(n('flags') ?? 0).toString(16)}`);
      return p.join(' ');
    }
    case 'dynset': {
      const ops = ['add', 'update', 'delete'];
      const timeout = big(e, 'timeout');
      const inner = attr(e, 'exprs');
      const nested = Array.isArray(inner) && inner.length ? ` expr [ ${(inner as DecodedExpr[]).map(exprText).join(' ] [ ')} ]` : '';
      return `dynset ${ops[n('op') ?? 0]} reg_key ${n('sregKey')} set ${str(e, 'set')}${timeout !== undefined ? ` timeout ${timeout}ms` : ''}${nested}`;
    }
    case 'queue': {
      const total = n('total') ?? 1;
      const lo = n('num') ?? 0;
      const flags = n('flags') ?? 0;
      return `queue num ${lo}${total > 1 ? `-${lo + total - 1}` : ''}${flags & 1 ? ' bypass' : ''}${flags & 2 ? ' fanout' : ''}`;
    }
    case 'notrack':
      return 'notrack';
    default:
      return `${type} ${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? dataWords(v) : v))}`;
  }
}

/** All expressions, one `[ … ]` line each, as nft --debug=netlink prints a rule. */
export function exprsText(exprs: readonly DecodedExpr[]): string[] {
  return exprs.map((e) => `[ ${exprText(e)} ]`);
}
