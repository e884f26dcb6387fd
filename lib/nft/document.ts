// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft JSON documents in and out: parsing (bigint-safe), validation with errors that name the
 * JSON path, and export as text `nft -j -f` loads. The parser is lossless-json: integers beyond
 * 2^53 (64-bit counters) come back as bigint, every other number as a number; on output bigints
 * are written as exact integer literals.
 */
import { isSafeNumber, parse as losslessParse, stringify as losslessStringify } from 'lossless-json';
import { show } from '../validate';
import type { JRule, JStatement, NftCommand, NftDocument, NftFamily, NftItem, NftObject, NftObjectKind, NftVerb } from './schema';
import { NFT_OBJECT_KINDS } from './schema';
import { nft106Object, type SetLookup } from './nft106';

export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];
export const NFT_VERBS: readonly NftVerb[] = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'reset'];

/** The metainfo nft 1.0.6 prints first in every listing; our listings print the same. */
export const NFT_METAINFO = { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } as const;
/** Highest json_schema_version this package understands (nft 1.0.6's). */
export const JSON_SCHEMA_VERSION = 1;

/** Deepest nesting a document may have (expressions nest; a bound keeps validation off the stack limit). */
const MAX_DEPTH = 64;

const STATEMENT_KEYS: ReadonlySet<string> = new Set([
  'accept', 'drop', 'continue', 'return', 'jump', 'goto', 'match', 'counter', 'mangle', 'quota', 'limit', 'last',
  'flow', 'fwd', 'notrack', 'dup', 'snat', 'dnat', 'masquerade', 'redirect', 'reject', 'set', 'map', 'log',
  'ct helper', 'ct timeout', 'ct expectation', 'secmark', 'meter', 'queue', 'vmap', 'ct count', 'tproxy',
  'synproxy', 'reset', 'xt', 'raw',
]);

const EXPR_KEYS: ReadonlySet<string> = new Set([
  'set', 'map', 'concat', 'prefix', 'range', '&', '|', '^', '<<', '>>', 'elem', 'payload', 'exthdr', 'tcp option',
  'ip option', 'sctp chunk', 'meta', 'rt', 'ct', 'ipsec', 'numgen', 'jhash', 'symhash', 'fib', 'socket', 'osf',
  'accept', 'drop', 'continue', 'return', 'jump', 'goto',
]);

/** Statements an element (and a set's `stmt` template) can hold, merged into `{ elem: {...} }`. */
const ELEM_STATEMENT_KEYS: ReadonlySet<string> = new Set(['counter', 'quota', 'limit', 'last', 'ct count']);

const SET_STMT_OPS: readonly string[] = ['add', 'update', 'delete'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(what: string, path: string, got: unknown): never {
  throw new TypeError(`Expected ${what} for ${path} but received ${show(got)}`);
}

/** The only key of a one-key object, or a TypeError naming the path. */
function soleKey(v: unknown, what: string, path: string): string {
  if (!isObj(v)) fail(what, path, v);
  const keys = Object.keys(v);
  if (keys.length !== 1) fail(`${what} (an object with exactly one key)`, path, v);
  return keys[0] as string;
}

function str(o: Record<string, unknown>, k: string, path: string, optional = false): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'string') fail('a string', `${path}.${k}`, v);
  if (v.includes('\0')) fail('a string without NUL characters', `${path}.${k}`, v);
}

function name(o: Record<string, unknown>, k: string, path: string, optional = false): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > 255 || v.includes('\0')) {
    fail('a name of 1-255 bytes without NUL', `${path}.${k}`, v);
  }
}

function int(o: Record<string, unknown>, k: string, path: string, min: number, max: number | bigint, optional = true): void {
  const v = o[k];
  if (v === undefined && optional) return;
  const ok = (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= Number(max)) || (typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max));
  if (!ok) fail(`an integer ${min}-${max}`, `${path}.${k}`, v);
}

/**
 * A duration in seconds: an integer as nft prints it, or (package extension, for the
 * millisecond timeouts nft's text form has, `timeout 1s500ms`) a number of seconds with at
 * most millisecond precision. Listings give whole seconds, as nft does.
 */
function seconds(o: Record<string, unknown>, k: string, path: string): void {
  const v = o[k];
  if (v === undefined) return;
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER / 1000 && Number.isInteger(Math.round(v * 1000)) && Math.abs(v * 1000 - Math.round(v * 1000)) < 1e-6;
  if (!ok) fail('a number of seconds 0 or more (whole milliseconds at most)', `${path}.${k}`, v);
}

function family(o: Record<string, unknown>, path: string): void {
  const v = o.family;
  if (typeof v !== 'string' || !(NFT_FAMILIES as readonly string[]).includes(v)) fail(`a family (${NFT_FAMILIES.join(', ')})`, `${path}.family`, v);
}

const U64 = 2n ** 64n - 1n;

/** Checks an expression's shape: immediates, lists and one-key objects of known kinds, recursively. */
export function validateExpr(v: unknown, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) fail(`expressions nested at most ${MAX_DEPTH} deep`, path, '…');
  if (typeof v === 'string') {
    if (v.includes('\0')) fail('a string without NUL characters', path, v);
    return;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('a finite number', path, v);
    return;
  }
  if (typeof v === 'bigint' || typeof v === 'boolean') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) validateExpr(v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  const key = soleKey(v, 'an expression (a string, number, boolean, array or a one-key object such as { payload: … })', path);
  if (!EXPR_KEYS.has(key)) fail(`an expression kind (${[...EXPR_KEYS].join(', ')})`, `${path} key`, key);
  const body = (v as Record<string, unknown>)[key];
  const p = `${path}.${key}`;
  switch (key) {
    case 'concat':
      if (!Array.isArray(body)) fail('an array of expressions', p, body);
      return validateExpr(body, p, depth + 1);
    case 'set':
      return validateExpr(body, p, depth + 1);
    case 'range':
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>':
      if (!Array.isArray(body) || body.length !== 2) fail('an array of exactly two expressions', p, body);
      return validateExpr(body, p, depth + 1);
    case 'prefix':
      if (!isObj(body)) fail('{ addr, len }', p, body);
      validateExpr(body.addr, `${p}.addr`, depth + 1);
      return int(body, 'len', p, 0, 128, false);
    case 'map':
      if (!isObj(body)) fail('{ key, data }', p, body);
      validateExpr(body.key, `${p}.key`, depth + 1);
      return validateExpr(body.data, `${p}.data`, depth + 1);
    case 'elem':
      if (!isObj(body)) fail('{ val, timeout?, expires?, comment?, <statements>? }', p, body);
      validateExpr(body.val, `${p}.val`, depth + 1);
      seconds(body, 'timeout', p);
      seconds(body, 'expires', p);
      str(body, 'comment', p, true);
      // The element's statements, merged in as keys (all of them, in order).
      for (const k of Object.keys(body)) {
        if (k === 'val' || k === 'timeout' || k === 'expires' || k === 'comment') continue;
        if (!ELEM_STATEMENT_KEYS.has(k)) fail(`an element field (val, timeout, expires, comment) or statement (${[...ELEM_STATEMENT_KEYS].join(', ')})`, `${p}.${k}`, body[k]);
        validateStatement({ [k]: body[k] }, `${p}.${k}`, depth + 1);
      }
      return;
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
    case 'jump':
    case 'goto':
      return validateVerdict(key, body, p);
    case 'jhash':
      if (!isObj(body)) fail('{ mod, expr, offset?, seed? }', p, body);
      if (body.expr !== undefined) validateExpr(body.expr, `${p}.expr`, depth + 1);
      return;
    default:
      // payload, exthdr, tcp option, meta, ct, … : objects of plain fields.
      if (!isObj(body)) fail(`the fields of a ${key} expression (an object)`, p, body);
      for (const [k, x] of Object.entries(body)) {
        if (typeof x === 'object' && x !== null) validateExpr(x, `${p}.${k}`, depth + 1);
        else if (typeof x === 'string' && x.includes('\0')) fail('a string without NUL characters', `${p}.${k}`, x);
      }
  }
}

/**
 * A verdict (as a statement or a map value): `null` for accept/drop/continue/return (and
 * notrack), `{ target }` for jump/goto. As a statement, jump/goto may be a chain binding
 * `{ target, rules: [[statement…]…] }` (`jump { … }`; package extension).
 */
function validateVerdict(key: string, body: unknown, p: string, statement = false, depth = 0): void {
  if (key === 'jump' || key === 'goto') {
    if (!isObj(body)) fail(statement ? '{ target } or a chain binding { target, rules }' : '{ target }', p, body);
    name(body, 'target', p);
    if (body.rules === undefined) return;
    if (!statement) fail('no rules (a chain binding is a statement, not a value)', `${p}.rules`, body.rules);
    if (!Array.isArray(body.rules)) fail('an array of rules, each an array of statements or { expr, comment } (the bound chain)', `${p}.rules`, body.rules);
    body.rules.forEach((r: unknown, i: number) => {
      // a bound rule: its statements, or { expr, comment } (a rule with a comment)
      let stmts = r;
      let at = `${p}.rules[${i}]`;
      if (isObj(r)) {
        if (Object.keys(r).some((k) => k !== 'expr' && k !== 'comment')) fail('a rule of the bound chain: an array of statements or { expr, comment }', at, r);
        str(r, 'comment', at, true);
        stmts = r.expr;
        at = `${at}.expr`;
      }
      if (!Array.isArray(stmts) || stmts.length === 0) fail('a non-empty array of statements (a rule of the bound chain)', at, stmts);
      stmts.forEach((st: unknown, j: number) => validateStatement(st, `${at}[${j}]`, depth + 1));
    });
    return;
  }
  if (body !== null) fail('null', p, body);
}

/** A set/map `type` or `map`: a datatype name, an array of them, or `{ typeof: expr }`. */
function validateSetType(v: unknown, path: string): void {
  if (typeof v === 'string' && v !== '') return;
  if (Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string' && t !== '')) return;
  if (isObj(v) && Object.keys(v).length === 1 && 'typeof' in v) return validateExpr(v.typeof, `${path}.typeof`, 1);
  fail('a datatype name or an array of them (a concatenation), or { typeof: <expression> }', path, v);
}

/** Checks a statement's shape (one-key object of a known kind; its expressions recursively). */
export function validateStatement(v: unknown, path: string, depth = 0): void {
  if (depth > MAX_DEPTH) fail(`statements nested at most ${MAX_DEPTH} deep`, path, '…');
  if (typeof v === 'string') {
    fail('a statement object (nft printed this statement as text, which nft -j -f cannot load either)', path, v);
  }
  const key = soleKey(v, 'a statement (a one-key object such as { match: … } or { accept: null })', path);
  if (!STATEMENT_KEYS.has(key)) fail(`a statement kind (${[...STATEMENT_KEYS].join(', ')})`, `${path} key`, key);
  const body = (v as Record<string, unknown>)[key];
  const p = `${path}.${key}`;
  switch (key) {
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
    case 'notrack':
    case 'jump':
    case 'goto':
      return validateVerdict(key, body, p, true, depth);
    case 'last':
      if (body === null) return;
      if (!isObj(body) || Object.keys(body).some((k) => k !== 'used')) fail('null or { used } (milliseconds since the last match)', p, body);
      return int(body, 'used', p, 0, Number.MAX_SAFE_INTEGER);
    case 'match':
      if (!isObj(body)) fail('{ op, left, right }', p, body);
      str(body, 'op', p);
      validateExpr(body.left, `${p}.left`, depth + 1);
      return validateExpr(body.right, `${p}.right`, depth + 1);
    case 'counter':
      if (body === null || typeof body === 'string') return;
      if (isObj(body) && !('map' in body)) {
        int(body, 'packets', p, 0, U64);
        return int(body, 'bytes', p, 0, U64);
      }
      return validateExpr(body, p, depth + 1);
    case 'meter':
      if (!isObj(body)) fail('{ name, key, stmt }', p, body);
      validateExpr(body.key, `${p}.key`, depth + 1);
      return validateStatement(body.stmt, `${p}.stmt`, depth + 1);
    case 'set':
    case 'map':
      if (!isObj(body)) fail(key === 'set' ? '{ op, elem, set }' : '{ op, elem, data, map }', p, body);
      if (typeof body.op !== 'string' || !SET_STMT_OPS.includes(body.op)) fail(`an operation (${SET_STMT_OPS.join(', ')})`, `${p}.op`, body.op);
      if (typeof body[key] !== 'string' || !/^@.+/.test(body[key] as string)) fail(`a ${key} reference "@name"`, `${p}.${key}`, body[key]);
      validateExpr(body.elem, `${p}.elem`, depth + 1);
      if (key === 'map') validateExpr(body.data, `${p}.data`, depth + 1);
      if (body.stmt !== undefined) {
        if (!Array.isArray(body.stmt)) fail('an array of statements', `${p}.stmt`, body.stmt);
        body.stmt.forEach((s: unknown, i: number) => validateStatement(s, `${p}.stmt[${i}]`, depth + 1));
      }
      return;
    case 'raw':
      if (!isObj(body) || !Array.isArray(body.exprs)) fail('{ exprs: [...] } (kernel expressions)', p, body);
      return;
    default:
      if (body === null) return;
      // Object references through a map: { counter: { map: { key, data } } }, { limit: { map: … } }.
      if (isObj(body) && Object.keys(body).length === 1 && 'map' in body) {
        return validateExpr(body, p, depth + 1);
      }
      if (isObj(body)) {
        for (const [k, x] of Object.entries(body)) {
          if (typeof x === 'object' && x !== null) validateExpr(x, `${p}.${k}`, depth + 1);
          else if (typeof x === 'string' && x.includes('\0')) fail('a string without NUL characters', `${p}.${k}`, x);
        }
        return;
      }
      return validateExpr(body, p, depth + 1);
  }
}

function validateElems(v: unknown, path: string): void {
  validateExpr(v, path, 1);
}

/** Which fields identify an object for each verb (nft's rules). */
function validateObject(kind: NftObjectKind, body: unknown, verb: NftVerb, path: string): void {
  if (!isObj(body)) fail(`the fields of a ${kind} (an object)`, path, body);
  const del = verb === 'delete' || verb === 'destroy';
  family(body, path);
  if (kind === 'table') {
    if (del && body.name === undefined) return int(body, 'handle', path, 0, Number.MAX_SAFE_INTEGER, false);
    name(body, 'name', path);
    int(body, 'handle', path, 0, Number.MAX_SAFE_INTEGER);
    return str(body, 'comment', path, true);
  }
  name(body, 'table', path);
  int(body, 'handle', path, 0, Number.MAX_SAFE_INTEGER);
  str(body, 'comment', path, true);
  switch (kind) {
    case 'rule': {
      name(body, 'chain', path);
      int(body, 'index', path, 0, 0xffffffff);
      if (del || verb === 'replace') int(body, 'handle', path, 1, Number.MAX_SAFE_INTEGER, false);
      if (del) return;
      if (verb === 'create') fail('a command other than create (nft has no create for rules)', path, verb);
      if (!Array.isArray(body.expr)) fail('an array of statements', `${path}.expr`, body.expr);
      body.expr.forEach((s: unknown, i: number) => validateStatement(s, `${path}.expr[${i}]`));
      return;
    }
    case 'element':
      name(body, 'name', path);
      if (body.elem === undefined) fail('the elements (an expression or an array of them)', `${path}.elem`, body.elem);
      return validateElems(body.elem, `${path}.elem`);
    case 'chain':
      if (del && body.name === undefined) return int(body, 'handle', path, 1, Number.MAX_SAFE_INTEGER, false);
      name(body, 'name', path);
      str(body, 'type', path, true);
      str(body, 'hook', path, true);
      int(body, 'prio', path, -0x80000000, 0x7fffffff);
      str(body, 'policy', path, true);
      if (body.dev !== undefined && typeof body.dev !== 'string' && !(Array.isArray(body.dev) && body.dev.every((d) => typeof d === 'string'))) {
        fail('a device name or an array of them', `${path}.dev`, body.dev);
      }
      if (body.hook !== undefined && (body.type === undefined || body.prio === undefined)) {
        fail('type and prio together with hook (a base chain)', `${path}`, body);
      }
      return;
    case 'set':
    case 'map':
      if (del && body.name === undefined) return int(body, 'handle', path, 1, Number.MAX_SAFE_INTEGER, false);
      name(body, 'name', path);
      if (del || verb === 'flush' || verb === 'reset') return;
      validateSetType(body.type, `${path}.type`);
      if (kind === 'map' && body.map === undefined) fail('the data type of the map', `${path}.map`, body.map);
      if (body.map !== undefined) validateSetType(body.map, `${path}.map`);
      if (body['auto-merge'] !== undefined && typeof body['auto-merge'] !== 'boolean') fail('a boolean', `${path}.auto-merge`, body['auto-merge']);
      if (body.flags !== undefined && !(Array.isArray(body.flags) && body.flags.every((f) => typeof f === 'string'))) {
        fail('an array of set flags (constant, interval, timeout, dynamic)', `${path}.flags`, body.flags);
      }
      int(body, 'timeout', path, 0, Number.MAX_SAFE_INTEGER);
      int(body, 'gc-interval', path, 0, Number.MAX_SAFE_INTEGER);
      int(body, 'size', path, 0, 0xffffffff);
      if (body.elem !== undefined) validateElems(body.elem, `${path}.elem`);
      if (body.stmt !== undefined) {
        if (!Array.isArray(body.stmt)) fail('an array of statements', `${path}.stmt`, body.stmt);
        body.stmt.forEach((s: unknown, i: number) => validateStatement(s, `${path}.stmt[${i}]`));
      }
      return;
    case 'counter':
      if (!(del && body.name === undefined)) name(body, 'name', path);
      int(body, 'packets', path, 0, U64);
      return int(body, 'bytes', path, 0, U64);
    case 'quota':
      if (!(del && body.name === undefined)) name(body, 'name', path);
      int(body, 'bytes', path, 0, U64);
      return int(body, 'used', path, 0, U64);
    default:
      // flowtable, limit, ct helper/timeout/expectation, synproxy, secmark: objects.ts checks the details.
      if (!(del && body.name === undefined)) name(body, 'name', path);
  }
}

const OBJECT_KIND_SET: ReadonlySet<string> = new Set(NFT_OBJECT_KINDS);

/** Validates one command's argument (an NftObject, or `{ ruleset }` / `{ counters }` where allowed). */
function validateCommand(verb: NftVerb, arg: unknown, path: string): void {
  const kind = soleKey(arg, `the object of a ${verb} command (e.g. { table: { family, name } })`, path);
  const p = `${path}.${kind}`;
  const body = (arg as Record<string, unknown>)[kind];
  if (kind === 'ruleset' && verb === 'flush') {
    if (body !== null && !(isObj(body) && (body.family === undefined || (NFT_FAMILIES as readonly unknown[]).includes(body.family)))) fail('null or { family }', p, body);
    return;
  }
  if ((kind === 'counters' || kind === 'quotas') && verb === 'reset') {
    if (body !== null && !isObj(body)) fail('null or { family, table }', p, body);
    if (isObj(body)) {
      if (body.family !== undefined) family(body, p);
      name(body, 'table', p, true);
    }
    return;
  }
  if (!OBJECT_KIND_SET.has(kind)) fail(`an object kind (${NFT_OBJECT_KINDS.join(', ')})`, `${path} key`, kind);
  if ((verb === 'insert' || verb === 'replace') && kind !== 'rule') fail(`a rule (nft's ${verb} takes rules only)`, `${path} key`, kind);
  if (verb === 'flush' && !['table', 'chain', 'set', 'map', 'ruleset'].includes(kind)) fail('table, chain, set, map or ruleset (what flush empties)', `${path} key`, kind);
  if (verb === 'reset' && !['counter', 'quota'].includes(kind)) fail('counter, quota, counters or quotas (what reset zeroes)', `${path} key`, kind);
  validateObject(kind as NftObjectKind, body, verb, p);
}

/**
 * Checks that `value` is an nft JSON document (listing output or commands) and returns it typed.
 * @throws TypeError naming the JSON path of the first problem, e.g. `nftables[3].add.rule.expr[0]`.
 */
export function validateDocument(value: unknown): NftDocument {
  if (!isObj(value) || !Array.isArray(value.nftables)) fail('a document { "nftables": [ … ] }', 'document', value);
  const items: unknown[] = value.nftables;
  items.forEach((item, i) => {
    const path = `nftables[${i}]`;
    const key = soleKey(item, 'a metainfo, a ruleset object or a command (an object with one key)', path);
    const body = (item as Record<string, unknown>)[key];
    if (key === 'metainfo') {
      if (!isObj(body)) fail('{ version, release_name, json_schema_version }', `${path}.metainfo`, body);
      int(body, 'json_schema_version', `${path}.metainfo`, 0, JSON_SCHEMA_VERSION);
      return;
    }
    if ((NFT_VERBS as readonly string[]).includes(key)) return validateCommand(key as NftVerb, body, `${path}.${key}`);
    if (OBJECT_KIND_SET.has(key)) return validateObject(key as NftObjectKind, body, 'add', `${path}.${key}`);
    fail(`metainfo, a command (${NFT_VERBS.join(', ')}) or an object kind (${NFT_OBJECT_KINDS.join(', ')})`, `${path} key`, key);
  });
  return value as unknown as NftDocument;
}

/** lossless-json number parser: safe numbers as number, other integers as bigint (exact). */
function parseNumber(text: string): number | bigint {
  if (isSafeNumber(text)) return Number(text);
  if (/^-?\d+$/.test(text)) return BigInt(text);
  return Number(text);
}

/**
 * Parses the text of an nft JSON document (what `nft -j list ruleset` prints, or commands for
 * `nft -j -f`) and validates it. Integers above 2^53 (64-bit counters) come back as bigint.
 * @example
 * const doc = parseJsonDocument(fs.readFileSync('ruleset.json', 'utf8'));
 * await nft.commitJson(doc);
 * @throws SyntaxError for text that is not JSON (with the position); TypeError naming the JSON
 *   path for JSON that is not an nft document.
 */
export function parseJsonDocument(text: string): NftDocument {
  if (typeof text !== 'string') fail('the text of a JSON document (a string)', 'text', text);
  let value: unknown;
  try {
    value = losslessParse(text, undefined, parseNumber);
  } catch (e) {
    throw new SyntaxError(`Invalid JSON document: ${(e as Error).message}`);
  }
  return withToJSON(validateDocument(value));
}

/** Where a document holds a statement nft -j -f cannot load (package raw statements). */
function rawRuleLabel(rule: JRule): string {
  return `rule ${rule.family} ${rule.table} ${rule.chain}${rule.handle !== undefined ? ` handle ${rule.handle}` : ''}`;
}

const isRawStatement = (s: JStatement): boolean => typeof s === 'object' && s !== null && 'raw' in s;

export interface JsonTextOptions {
  /** Spaces of indentation (nft -j prints none). @default undefined (one line) */
  readonly indent?: number;
  /**
   * Write the package's `raw` statements (expressions it could not decode) instead of refusing.
   * Such a document re-commits through this package but `nft -j -f` rejects it. @default false
   */
  readonly allowRaw?: boolean;
  /**
   * Project the lossless model to exactly what nft 1.0.6 prints (lib/nft/nft106.ts): `{ typeof }`
   * types become datatype names; the `dynamic` flag, `auto-merge`, table/chain comments, chain
   * devices and flowtable flags are dropped; elements keep only their first statement; map
   * statements, `last` and chain bindings become nft's text strings. The result deep-equals
   * `nft -j list ruleset`, but is lossy: `nft -j -f` cannot load those text statements, and
   * nothing can restore what was dropped. @default false
   */
  readonly nft106?: boolean;
}

/** An item as nft 1.0.6 prints it (bare objects and command arguments; metainfo as it is). */
function exactItem(item: NftItem, sets: SetLookup): NftItem {
  const key = Object.keys(item)[0] as string;
  if (key === 'metainfo') return item;
  const body = (item as Record<string, unknown>)[key];
  if ((NFT_VERBS as readonly string[]).includes(key)) {
    if (!isObj(body) || !OBJECT_KIND_SET.has(Object.keys(body)[0] as string)) return item;
    return { [key]: nft106Object(body as unknown as NftObject, sets) } as unknown as NftItem;
  }
  return OBJECT_KIND_SET.has(key) ? nft106Object(item as NftObject, sets) : item;
}

/** The rules of a document item (bare, or under a command). */
function itemRule(item: NftItem): JRule | undefined {
  const key = Object.keys(item)[0];
  const body = key !== undefined ? (item as Record<string, unknown>)[key] : undefined;
  if (key === 'rule') return body as JRule;
  if (key !== undefined && (NFT_VERBS as readonly string[]).includes(key) && isObj(body) && isObj(body.rule)) return body.rule as unknown as JRule;
  return undefined;
}

/**
 * Writes a document as JSON text that `nft -j -f` loads. Never throws on bigint: 64-bit
 * counters are written as exact integer literals.
 * @throws TypeError naming the rule when it holds expressions this package could not decode
 *   (`raw` statements), unless `allowRaw`.
 */
export function toJsonText(doc: NftDocument, options: JsonTextOptions = {}): string {
  if (!isObj(doc) || !Array.isArray(doc.nftables)) fail('a document { "nftables": [ … ] }', 'doc', doc);
  if (!options.allowRaw) {
    doc.nftables.forEach((item, i) => {
      const rule = itemRule(item);
      if (rule?.expr?.some(isRawStatement)) {
        throw new TypeError(
          `${rawRuleLabel(rule)} (nftables[${i}]) holds kernel expressions this package could not decode (a raw statement); nft -j -f cannot load it. Pass { allowRaw: true } to write it anyway`,
        );
      }
    });
  }
  const replacer = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? Array.from(v) : v);
  // A fresh wrapper: the document's own toJSON (for plain JSON.stringify) must not apply here.
  let items = doc.nftables;
  if (options.nft106) {
    // the document's sets and maps by family, table and name: map statements print their data in its type
    const byName = new Map<string, Record<string, unknown>>();
    for (const item of doc.nftables) {
      const o = (item as { set?: unknown; map?: unknown }).set ?? (item as { map?: unknown }).map;
      if (isObj(o)) byName.set(`${String(o.family)}\0${String(o.table)}\0${String(o.name)}`, o);
    }
    const sets: SetLookup = (f, t, n) => byName.get(`${f}\0${t}\0${n}`);
    items = doc.nftables.map((item) => exactItem(item, sets));
  }
  const text = losslessStringify({ nftables: items }, replacer, options.indent);
  if (text === undefined) fail('a document that serializes to JSON', 'doc', doc);
  return text;
}

/**
 * Gives a document a non-enumerable toJSON so that plain `JSON.stringify` never throws on its
 * bigint counters: safe ones become numbers, larger ones decimal strings (JSON.stringify cannot
 * write exact big integer literals; use toJsonText for that).
 */
/** The JSON.stringify replacer of withToJSON: bigint as numbers (or decimal strings beyond 2^53), bytes as arrays. */
function jsonSafe(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Array.from(v);
  return v;
}

/** A listing's array (listRules, listObjects, listElements) that JSON.stringify can write, as withToJSON does for documents. */
export function arrayWithToJSON<T extends unknown[]>(items: T): T {
  Object.defineProperty(items, 'toJSON', {
    enumerable: false,
    configurable: true,
    writable: true,
    value(this: unknown[]): unknown {
      return JSON.parse(JSON.stringify([...this], jsonSafe));
    },
  });
  return items;
}

export function withToJSON<T extends NftDocument>(doc: T): T {
  if (!Object.prototype.hasOwnProperty.call(doc, 'toJSON')) {
    Object.defineProperty(doc, 'toJSON', {
      enumerable: false,
      configurable: true,
      writable: true,
      value(this: NftDocument): unknown {
        return JSON.parse(JSON.stringify({ nftables: this.nftables }, jsonSafe));
      },
    });
  }
  return doc;
}

/** Splits a document item into its verb (bare objects = add) and object; metainfo gives undefined. */
export function itemCommand(item: NftItem): { verb: NftVerb; object: NftObject | Record<string, unknown> } | undefined {
  const key = Object.keys(item)[0] as string;
  if (key === 'metainfo') return undefined;
  if ((NFT_VERBS as readonly string[]).includes(key)) return { verb: key as NftVerb, object: (item as unknown as Record<string, NftObject>)[key] as NftObject };
  return { verb: 'add', object: item as NftObject };
}

export type { NftCommand };
