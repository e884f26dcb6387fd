// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Turns blocklist input (text, arrays, iterables, streams of lines, packed bytes) into packed
 * range tables, one per address family. Text is scanned byte by byte: no string, array or
 * object is created per line. Every bad entry is reported with its line (text) or index
 * (arrays, packed input); nothing is returned unless the whole input is valid.
 */
import { formatWords, lastHostBits, parseEntryBytes, parseErrorReason, parseV4, scratch } from './address';
import { RangeTable } from './ranges';

/**
 * Entries already packed as network-order keys: `keys` holds `count` addresses of 4 (IPv4)
 * or 16 (IPv6) bytes each; `prefixes` optionally gives each one's prefix length.
 */
export interface PackedEntries {
  readonly family: 'ipv4' | 'ipv6';
  readonly keys: Uint8Array;
  readonly prefixes?: Uint8Array;
}

/**
 * What the blocklist accepts as entries:
 * - a string: text, one entry per line (`#` starts a comment, blank lines are skipped);
 * - a `Uint8Array`/`Buffer`: the same text as bytes (e.g. a file read whole);
 * - an iterable of strings (an array): one entry per item, reported by index;
 * - an async iterable of strings or byte chunks (a `Readable` of a file): text, by line;
 * - {@link PackedEntries}.
 */
export type EntrySource = string | Uint8Array | Iterable<string> | AsyncIterable<string | Uint8Array> | PackedEntries;

/** One bad entry: where it is and why it was refused. */
export interface EntryProblem {
  /** 1-based line number (text input). */
  readonly line?: number;
  /** 0-based index (arrays, packed input). */
  readonly index?: number;
  /** The offending text (truncated to 80 characters). */
  readonly entry: string;
  readonly reason: string;
}

/**
 * Thrown when input holds invalid entries. Nothing was sent to the kernel. `problems`
 * lists up to `maxProblems` of them (the first in the message).
 */
export class BlocklistEntryError extends TypeError {
  override readonly name = 'BlocklistEntryError' as const;
  constructor(
    readonly problems: readonly EntryProblem[],
    /** Total number of invalid entries seen (may exceed problems.length). */
    readonly total: number,
  ) {
    const p = problems[0];
    const where = p === undefined ? '' : p.line !== undefined ? `line ${p.line}` : `index ${p.index ?? 0}`;
    super(
      p === undefined
        ? 'Invalid blocklist entries'
        : `Invalid blocklist entry at ${where}: ${JSON.stringify(p.entry)} (${p.reason})` +
            (total > 1 ? `; ${total - 1} more invalid entr${total === 2 ? 'y' : 'ies'}` : '') +
            '. Nothing was applied.',
    );
  }
}

/** Options for {@link parseEntries}. */
export interface ParseOptions {
  /** Refuse prefixes and ranges (hash layouts hold single addresses). @default false */
  readonly singlesOnly?: boolean;
  /** Which families are allowed (a set in an `ip` table takes IPv4 only). @default both */
  readonly families?: { readonly ipv4: boolean; readonly ipv6: boolean };
  /** Refuse `10.0.0.1/8` (host bits set) instead of clearing them as nft does. @default false */
  readonly strictPrefixes?: boolean;
  /** Stop collecting problems after this many. @default 100 */
  readonly maxProblems?: number;
  /** Called every 65,536 entries and at the end with the number parsed so far. */
  readonly onParsed?: (entries: number) => void;
}

/** Parsed input: one table per family (rows in input order, not yet normalized). */
export interface ParsedEntries {
  readonly v4: RangeTable;
  readonly v6: RangeTable;
  /** Entries read (valid ones). */
  readonly entries: number;
}

const PROGRESS_EVERY = 65536;

/** Collects parsed rows and problems. */
class Collector {
  readonly v4: RangeTable;
  readonly v6: RangeTable;
  readonly problems: EntryProblem[] = [];
  bad = 0;
  entries = 0;
  private readonly maxProblems: number;
  private readonly singles: boolean;
  readonly strict: boolean;
  private readonly allow4: boolean;
  private readonly allow6: boolean;
  private readonly onParsed: ((n: number) => void) | undefined;

  constructor(o: ParseOptions) {
    this.maxProblems = o.maxProblems ?? 100;
    this.singles = o.singlesOnly ?? false;
    // Single addresses only: one key array per table (hi is lo).
    this.v4 = new RangeTable(1, 1024, false, this.singles);
    this.v6 = new RangeTable(4, 16, false, this.singles);
    this.strict = o.strictPrefixes ?? false;
    this.allow4 = o.families?.ipv4 ?? true;
    this.allow6 = o.families?.ipv6 ?? true;
    this.onParsed = o.onParsed;
  }

  /** Parses b[s..e) (a raw line or item): trims, strips comments, skips blanks. */
  line(b: Uint8Array | string, s: number, e: number, line: number, index: number, isItem: boolean): void {
    const isStr = typeof b === 'string';
    // strip comment
    for (let i = s; i < e; i++) {
      if ((isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!) === 35) {
        e = i;
        break;
      }
    }
    // trim (space, tab, CR, LF)
    while (s < e) {
      const c = isStr ? (b as string).charCodeAt(s) : (b as Uint8Array)[s]!;
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      s++;
    }
    while (e > s) {
      const c = isStr ? (b as string).charCodeAt(e - 1) : (b as Uint8Array)[e - 1]!;
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      e--;
    }
    if (s === e) {
      if (isItem) this.problem(b, s, e, line, index, 'empty entry');
      return;
    }
    const f = parseEntryBytes(b, s, e);
    if (f < 0) return this.problem(b, s, e, line, index, parseErrorReason(f));
    this.accept(f, b, s, e, line, index);
  }

  /**
   * A raw line of text bytes. A plain dotted quad (the bulk of feeds) is stored at once: no
   * comment scan, trim or family dispatch. Anything else (spaces, CR, a comment, a prefix, an
   * error) takes {@link line}, which gives the same result for a plain quad.
   */
  lineBytes(b: Uint8Array, s: number, e: number, line: number): void {
    if (this.allow4) {
      const v = parseV4(b, s, e, false);
      if (v >= 0) {
        this.v4.pushV4(v);
        if (++this.entries % PROGRESS_EVERY === 0 && this.onParsed) this.onParsed(this.entries);
        return;
      }
    }
    this.line(b, s, e, line, -1, false);
  }

  /** Validates the family/shape of the entry in `scratch` and stores it. */
  accept(f: number, b: Uint8Array | string | null, s: number, e: number, line: number, index: number, packedLen = -1): void {
    const W = f === 4 ? 1 : 4;
    // Packed input has no text: show the key as it was given.
    const text = b === null ? `${formatWords(scratch, 0, W)}/${packedLen}` : undefined;
    if (f === 4 && !this.allow4) return this.problem(b, s, e, line, index, 'IPv4 entry, but the set holds IPv6 only', text);
    if (f === 6 && !this.allow6) return this.problem(b, s, e, line, index, 'IPv6 entry, but the set holds IPv4 only', text);
    if (this.strict && lastHostBits && b !== null) return this.problem(b, s, e, line, index, 'prefix has host bits set');
    if (this.singles) {
      for (let w = 0; w < W; w++) {
        if (scratch[w] !== scratch[4 + w]) {
          return this.problem(b, s, e, line, index, 'a prefix or range, but the set holds single addresses (use the interval layout)', text);
        }
      }
    }
    (f === 4 ? this.v4 : this.v6).push(scratch, 0, scratch, 4);
    if (++this.entries % PROGRESS_EVERY === 0 && this.onParsed) this.onParsed(this.entries);
  }

  problem(b: Uint8Array | string | null, s: number, e: number, line: number, index: number, reason: string, given?: string): void {
    this.bad++;
    if (this.problems.length >= this.maxProblems) return;
    let text = given ?? '';
    if (given !== undefined) {
      // already formatted
    } else if (typeof b === 'string') text = b.slice(s, Math.min(e, s + 80));
    else if (b) text = Buffer.from(b.buffer, b.byteOffset + s, Math.min(e - s, 80)).toString('utf8');
    this.problems.push(line > 0 ? { line, entry: text, reason } : { index, entry: text, reason });
  }

  finish(): ParsedEntries {
    if (this.bad > 0) throw new BlocklistEntryError(this.problems, this.bad);
    if (this.onParsed) this.onParsed(this.entries);
    return { v4: this.v4, v6: this.v6, entries: this.entries };
  }
}

/** Scans text (string or bytes) line by line from `lineNo`; returns the start of an unfinished last line. */
function scanText(c: Collector, b: Uint8Array | string, lineNo: number, final: boolean): { rest: number; lines: number } {
  const isStr = typeof b === 'string';
  const n = b.length;
  let s = 0;
  let lines = 0;
  if (isStr) {
    const str = b as string;
    for (let nl = str.indexOf('\n'); nl >= 0; nl = str.indexOf('\n', s)) {
      c.line(str, s, nl, lineNo + lines, -1, false);
      lines++;
      s = nl + 1;
    }
  } else {
    const bytes = b as Uint8Array;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, s)) {
      c.lineBytes(bytes, s, nl, lineNo + lines);
      lines++;
      s = nl + 1;
    }
  }
  if (final && s < n) {
    c.line(b, s, n, lineNo + lines, -1, false);
    lines++;
    s = n;
  }
  return { rest: s, lines };
}

function isPacked(x: unknown): x is PackedEntries {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'keys' in x && 'family' in x;
}

function parsePacked(c: Collector, p: PackedEntries): void {
  const W = p.family === 'ipv4' ? 1 : p.family === 'ipv6' ? 4 : 0;
  if (W === 0) throw new TypeError(`Expected family 'ipv4' or 'ipv6' for packed entries but received ${JSON.stringify(p.family)}`);
  const keyLen = W * 4;
  if (!(p.keys instanceof Uint8Array) || p.keys.length % keyLen !== 0) {
    throw new TypeError(`Expected packed ${p.family} keys as a Uint8Array of a multiple of ${keyLen} bytes`);
  }
  const n = p.keys.length / keyLen;
  if (p.prefixes !== undefined && p.prefixes.length !== n) {
    throw new TypeError(`Expected one prefix length per packed key (${n}) but received ${p.prefixes.length}`);
  }
  const k = p.keys;
  const table = W === 1 ? c.v4 : c.v6;
  table.reserve(n);
  for (let i = 0; i < n; i++) {
    const o = i * keyLen;
    for (let w = 0; w < W; w++) {
      scratch[w] = ((k[o + 4 * w]! << 24) | (k[o + 4 * w + 1]! << 16) | (k[o + 4 * w + 2]! << 8) | k[o + 4 * w + 3]!) >>> 0;
    }
    const len = p.prefixes ? p.prefixes[i]! : W * 32;
    if (len > W * 32) {
      c.problem(null, 0, 0, 0, i, `prefix length ${len} out of range`, `key ${i}/${len}`);
      continue;
    }
    let host = false;
    for (let w = 0; w < W; w++) {
      const bitsHere = Math.max(0, Math.min(32, len - 32 * w));
      const mask = bitsHere === 0 ? 0 : bitsHere === 32 ? 0xffffffff : (0xffffffff << (32 - bitsHere)) >>> 0;
      const v = scratch[w]!;
      if (((v & mask) >>> 0) !== v) host = true;
      scratch[w] = (v & mask) >>> 0;
      scratch[4 + w] = (v | ~mask) >>> 0;
    }
    if (host && c.strict) {
      c.problem(null, 0, 0, 0, i, 'prefix has host bits set', `${formatWords(scratch, 0, W)}/${len}`);
      continue;
    }
    c.accept(W === 1 ? 4 : 6, null, 0, 0, 0, i, len);
  }
}

/** Sources that can be parsed synchronously (everything but async iterables). */
export type SyncEntrySource = string | Uint8Array | Iterable<string> | PackedEntries;

/**
 * Parses a synchronous {@link EntrySource}. Throws {@link BlocklistEntryError} (naming lines
 * or indexes) if any entry is invalid.
 */
export function parseEntriesSync(src: SyncEntrySource, options: ParseOptions = {}): ParsedEntries {
  const c = new Collector(options);
  if (typeof src === 'string' || src instanceof Uint8Array) {
    scanText(c, src, 1, true);
  } else if (isPacked(src)) {
    parsePacked(c, src);
  } else if (typeof (src as Iterable<string>)[Symbol.iterator] === 'function') {
    let i = 0;
    for (const item of src as Iterable<string>) {
      if (typeof item !== 'string') {
        c.problem(null, 0, 0, 0, i, `expected a string but received ${typeof item}`, String(item));
      } else {
        c.line(item, 0, item.length, 0, i, true);
      }
      i++;
    }
  } else {
    throw new TypeError('Expected blocklist entries as a string, bytes, an iterable, an async iterable or packed keys');
  }
  return c.finish();
}

/**
 * Parses any {@link EntrySource} into packed tables. Throws {@link BlocklistEntryError}
 * (naming lines or indexes) if any entry is invalid; in that case nothing is returned.
 *
 * @example
 * const { v4, v6 } = await parseEntries(fs.createReadStream('feed.txt'));
 */
export async function parseEntries(src: EntrySource, options: ParseOptions = {}): Promise<ParsedEntries> {
  if (typeof src !== 'object' || src instanceof Uint8Array || isPacked(src) || typeof (src as Iterable<string>)[Symbol.iterator] === 'function') {
    return parseEntriesSync(src as SyncEntrySource, options);
  }
  const c = new Collector(options);
  if (typeof (src as AsyncIterable<string | Uint8Array>)[Symbol.asyncIterator] === 'function') {
    let lineNo = 1;
    let carryBytes: Uint8Array | null = null;
    let carryStr = '';
    for await (const chunk of src as AsyncIterable<string | Uint8Array>) {
      if (typeof chunk === 'string') {
        const text = carryStr + chunk;
        const r = scanText(c, text, lineNo, false);
        lineNo += r.lines;
        carryStr = text.slice(r.rest);
      } else if (chunk instanceof Uint8Array) {
        let buf: Uint8Array = chunk;
        if (carryBytes !== null && carryBytes.length > 0) {
          buf = new Uint8Array(carryBytes.length + chunk.length);
          buf.set(carryBytes);
          buf.set(chunk, carryBytes.length);
        }
        const r = scanText(c, buf, lineNo, false);
        lineNo += r.lines;
        carryBytes = buf.slice(r.rest);
      } else {
        throw new TypeError(`Expected stream chunks of strings or bytes but received ${typeof chunk}`);
      }
    }
    if (carryStr.length > 0) scanText(c, carryStr, lineNo, true);
    if (carryBytes !== null && carryBytes.length > 0) scanText(c, carryBytes, lineNo, true);
    return c.finish();
  }
  throw new TypeError('Expected blocklist entries as a string, bytes, an iterable, an async iterable or packed keys');
}

/**
 * Parses text bytes in slices of `sliceLines` lines (the first of `firstSliceLines`). After each slice it awaits `onSlice` with
 * the tables parsed so far (rows are appended in input order; the callback reads what is new)
 * and whether every entry so far was valid. Throws {@link BlocklistEntryError} at the end if
 * any entry was invalid. Lets a caller send the first rows while the rest is being parsed.
 */
export async function parseTextSliced(
  b: Uint8Array,
  options: ParseOptions,
  sliceLines: number,
  onSlice: (v4: RangeTable, v6: RangeTable, valid: boolean) => Promise<void>,
  firstSliceLines = sliceLines,
): Promise<ParsedEntries> {
  const c = new Collector(options);
  let s = 0;
  let lineNo = 1;
  while (s < b.length) {
    let e = s;
    const lines = s === 0 ? firstSliceLines : sliceLines;
    for (let k = 0; k < lines; k++) {
      const nl = b.indexOf(10, e);
      if (nl < 0) {
        e = b.length;
        break;
      }
      e = nl + 1;
    }
    lineNo += scanText(c, b.subarray(s, e), lineNo, e === b.length).lines;
    s = e;
    await onSlice(c.v4, c.v6, c.bad === 0);
  }
  return c.finish();
}

/** Parses a single entry (used by the churn path). Returns the family or throws. */
export function parseSingle(entry: string, options: ParseOptions = {}): ParsedEntries {
  const c = new Collector(options);
  c.line(entry, 0, entry.length, 0, 0, true);
  return c.finish();
}
