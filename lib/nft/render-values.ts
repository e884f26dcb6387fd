// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Value printing for the text renderer: how `nft list ruleset` (nft 1.0.6) prints a constant
 * that `nft -j` gave as a JSON number, string or boolean. The JSON already carries symbol names;
 * what it loses is the datatype's print format (`meta mark 0x00000001`, quoted interface names,
 * `exists`), so the renderer infers the datatype of the expression a value is compared with or
 * stored under and formats the value the way the datatype's print callback would
 * (src/datatype.c, src/meta.c, src/ct.c, src/proto.c).
 */

/** A datatype name as nft -j writes it in a set's `type` (or inferred from an expression). */
export type TypeName = string;

/** Datatypes whose values nft prints in double quotes (string_type / ifindex_type print). */
const QUOTED = new Set([
  'string',
  'ifname',
  'iface_index',
  // Object maps: the data are object names, printed as quoted strings.
  'counter',
  'quota',
  'limit',
  'ct helper',
  'ct timeout',
  'ct expectation',
  'synproxy',
  'secmark',
  // Dates and clock times (meta time/day/hour).
  'date',
  'day',
  'hour',
]);

/** Types printed through an rt_symbol table (`/etc/iproute2/…`): names quoted, numbers bare. */
const QUOTED_SYMBOLS = new Set(['devgroup', 'realm', 'mark']);

/** Integer datatypes with a `basefmt` (hexadecimal) and the zero-padded width nft prints. */
const HEX: ReadonlyMap<string, number> = new Map([
  ['mark', 8],
  ['ether_type', 4],
  ['dscp', 2],
  ['ecn', 1],
  ['ct_state', 0],
  ['ct_status', 0],
  ['ct_event', 0],
  ['hex', 0],
  ['tcp_flag', 0],
  ['bitmask', 0],
]);

/** Bitmask datatypes (basetype bitmask): `==` is printed before a single value of these types. */
export const BITMASK_TYPES = new Set(['ct_state', 'ct_status', 'ct_event', 'ct_label', 'tcp_flag']);

/**
 * Element separator of a named set's `elements = { … }` list (calculate_delim in
 * src/expression.c): some key types put 5 or 2 elements on a line, all others one per line.
 */
export function elementsPerLine(keyType: TypeName | readonly TypeName[]): number {
  if (typeof keyType !== 'string') return keyType.length === 1 && keyType[0] !== undefined ? elementsPerLine(keyType[0]) : 1;
  switch (keyType) {
    case 'nf_proto':
    case 'integer':
    case 'arp_op':
    case 'inet_proto':
    case 'inet_service':
    case 'tcp_flag':
    case 'dccp_pkttype':
    case 'mark':
    case 'iface_index':
    case 'classid':
    case 'uid':
    case 'gid':
    case 'ct_dir':
      return 5;
    case 'ipv4_addr':
    case 'ct_state':
    case 'ct_status':
    case 'pkttype':
      return 2;
    default:
      return 1;
  }
}

/** Prints a time value given in seconds (JSON) as nft's time_print does (`1d2h3m4s`). */
export function formatTime(seconds: number | bigint): string {
  let ms = BigInt(seconds) * 1000n;
  const parts: string[] = [];
  const units: Array<[bigint, string]> = [
    [86400000n, 'd'],
    [3600000n, 'h'],
    [60000n, 'm'],
    [1000n, 's'],
  ];
  for (const [size, unit] of units) {
    const n = ms / size;
    ms %= size;
    if (n > 0n) parts.push(`${n}${unit}`);
  }
  if (ms > 0n) parts.push(`${ms}ms`);
  return parts.join('');
}

/** Splits a byte count into nft's largest exact unit (get_rate in src/statement.c). */
export function byteUnit(bytes: number | bigint): { value: bigint; unit: 'bytes' | 'kbytes' | 'mbytes' } {
  let v = BigInt(bytes);
  if (v === 0n) return { value: 0n, unit: 'bytes' };
  const units = ['bytes', 'kbytes', 'mbytes'] as const;
  let i = 0;
  while (i < units.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return { value: v, unit: units[i] ?? 'bytes' };
}

/** Quotes a string as nft prints string values and comments (no escaping: nft prints raw). */
export function quote(s: string): string {
  return `"${s}"`;
}

/** Formats one JSON scalar as a constant of `type` (undefined: as nft prints a bare value). */
export function formatScalar(v: string | number | bigint | boolean, type: TypeName | undefined): string {
  // boolean_type's symbols: nft -j writes true/false where the text says exists/missing.
  if (typeof v === 'boolean') return v ? 'exists' : 'missing';
  if (typeof v === 'string') {
    if (type === undefined || v === '*' || v.startsWith('@')) return v;
    // An interface index nft could not name prints as its number.
    if (type === 'iface_index' && /^[0-9]+$/.test(v)) return v;
    if (QUOTED.has(type)) return quote(v);
    if (QUOTED_SYMBOLS.has(type) && !/^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) return quote(v);
    return v;
  }
  if (type === 'time') return formatTime(v);
  const width = type === undefined ? undefined : HEX.get(type);
  if (width !== undefined) {
    const n = BigInt(v);
    if (n < 0n) return n.toString();
    return `0x${n.toString(16).padStart(width, '0')}`;
  }
  return typeof v === 'bigint' ? v.toString() : String(v);
}

/** True for a present, non-zero JSON number (number or bigint, as listings give 64-bit values). */
export function nonZero(v: unknown): boolean {
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v !== '' && v !== '0';
  return false;
}
