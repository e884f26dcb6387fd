// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Shared input checks for tables, chains, sets and objects. Every message has one form:
 * `Expected <what> for <field> but received <value>`. Rule statements have their own checks
 * in rule/validate.ts, in the same form.
 */
import { FAMILIES, LIMITS, type Family, type Hook } from './kernel';
import { checkExprLimits } from './expr/validate';
import type { DumpRequest, OpDesc } from './native';

export function show(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  // Bounded: cyclic, huge or sparse input must not hang or throw while an error is described.
  if (Array.isArray(v)) {
    if (depth > 2) return `an array of ${v.length}`;
    const head = Array.from({ length: Math.min(v.length, 10) }, (_, i) => (i in v ? show(v[i], depth + 1) : '<empty>'));
    return `[${head.join(', ')}${v.length > 10 ? `, … (${v.length} items)` : ''}]`;
  }
  if (typeof v === 'object') {
    let name = 'object';
    try {
      name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      if (name !== 'Object' || depth > 2) return `a ${name}`;
      const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
      return text.length > 300 ? `${text.slice(0, 300)}…` : text;
    } catch {
      return `a ${name}`; // cyclic, or a getter that throws
    }
  }
  return String(v);
}

export function expected(what: string, field: string, received: unknown): TypeError {
  return new TypeError(`Expected ${what} for ${field} but received ${show(received)}`);
}
export function expectedRange(what: string, field: string, received: unknown): RangeError {
  return new RangeError(`Expected ${what} for ${field} but received ${show(received)}`);
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

/** Table, chain, set and object names: what the kernel takes (1-255 bytes) and nft can print unquoted. */
export function checkName(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > 255 || !NAME_RE.test(v)) {
    throw expected('a name of 1-255 characters (letters, digits, _ . - /, not starting with a digit)', field, v);
  }
  return v;
}

export function checkFamily(v: unknown, field: string): Family {
  if (typeof v !== 'string' || !(FAMILIES as string[]).includes(v)) throw expected(`a family (${FAMILIES.join(', ')})`, field, v);
  return v as Family;
}

export function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw expected(`an integer ${min}-${max}`, field, v);
  if (v < min || v > max) throw expectedRange(`an integer ${min}-${max}`, field, v);
  return v;
}

export function checkComment(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  // The comment TLV holds at most 255 bytes including the NUL; nft caps comments at 128 chars.
  if (typeof v !== 'string' || v.includes('"') || v.includes('\0') || Buffer.byteLength(v) > 128) {
    throw expected('a comment of at most 128 bytes without double quotes', field, v);
  }
  return v;
}

/** Interface names: 1-15 bytes (IFNAMSIZ - 1). */
export function checkIfname(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > 15 || /[\0"\s]/.test(v)) {
    throw expected('an interface name of 1-15 bytes', field, v);
  }
  return v;
}

const HOOKS_BY_FAMILY: Record<Family, readonly Hook[]> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  arp: ['input', 'output'],
  netdev: ['ingress', 'egress'],
};

export function checkHook(family: Family, v: unknown, field: string): Hook {
  const hooks = HOOKS_BY_FAMILY[family];
  if (typeof v !== 'string' || !(hooks as readonly string[]).includes(v)) {
    throw expected(`a hook of the ${family} family (${hooks.join(', ')})`, field, v);
  }
  return v as Hook;
}

export function checkOneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw expected(`one of ${allowed.join(', ')}`, field, v);
  return v as T;
}

/** A RangeError in the house form, with the received value described (not printed) by `received`. */
export function tooLarge(what: string, field: string, received: string): RangeError {
  return new RangeError(`Expected ${what} for ${field} but received ${received}`);
}

const bytesOf = (s: string): number => (s.length * 3 <= 255 ? s.length : Buffer.byteLength(s));

/** A name or name reference: at most 255 bytes (NFT_NAME_MAXLEN incl. the NUL). Non-strings are left to the addon. */
export function checkNameLength(v: unknown, field: string): void {
  if (typeof v !== 'string') return;
  const n = bytesOf(v);
  if (n > LIMITS.name) throw tooLarge(`a name of at most ${LIMITS.name} bytes`, field, `a string of ${n} bytes`);
}

function checkUserdata(v: unknown, field: string, max: number = LIMITS.userdata): void {
  if (v instanceof Uint8Array && v.length > max) {
    throw tooLarge(`at most ${max} bytes of userdata`, field, `a Uint8Array of ${v.length} bytes`);
  }
}

/** Too large a key/data length (the addon refuses zero and non-integers with a TypeError). */
function checkLen(v: unknown, field: string, min: number, max: number): void {
  if (typeof v === 'number' && v > max) throw expectedRange(`a length of ${min}-${max} bytes`, field, v);
}

/**
 * Checks a native descriptor against the kernel's and netlink's size limits (LIMITS) before it
 * is queued: names, userdata, devices, expressions per rule/set/element, key and data lengths.
 * Throws a RangeError naming `field`. Types are the addon's to check (it throws TypeErrors);
 * this only reads what it can size.
 */
export function checkOpDesc(op: OpDesc, field: string): void {
  if (typeof op !== 'object' || op === null) return;
  const o = op as unknown as Record<string, unknown>;
  for (const k of ['table', 'name', 'chain', 'set', 'type'] as const) if (k in o) checkNameLength(o[k], `${field}.${k}`);
  switch (op.object) {
    case 'table':
    case 'obj':
      checkUserdata(o['userdata'], `${field}.userdata`);
      return;
    case 'chain': {
      checkUserdata(o['userdata'], `${field}.userdata`);
      const devices = o['devices'];
      if (!Array.isArray(devices)) return;
      if (devices.length > LIMITS.chainDevices) {
        throw tooLarge(`at most ${LIMITS.chainDevices} devices per chain`, `${field}.devices`, `${devices.length} devices`);
      }
      devices.forEach((d, i) => {
        if (typeof d === 'string' && bytesOf(d) > LIMITS.ifname) {
          throw tooLarge(`an interface name of at most ${LIMITS.ifname} bytes`, `${field}.devices[${i}]`, `a string of ${bytesOf(d)} bytes`);
        }
      });
      return;
    }
    case 'rule':
      checkUserdata(o['userdata'], `${field}.userdata`);
      checkExprLimits(o['exprs'], `${field}.exprs`, LIMITS.ruleExprs, 'a rule');
      return;
    case 'set': {
      checkUserdata(o['userdata'], `${field}.userdata`);
      checkLen(o['keyLen'], `${field}.keyLen`, 1, LIMITS.data);
      checkLen(o['dataLen'], `${field}.dataLen`, 0, LIMITS.data);
      const concat = o['concat'];
      if (Array.isArray(concat) && concat.length > LIMITS.concatFields) {
        throw tooLarge(`at most ${LIMITS.concatFields} concatenated fields`, `${field}.concat`, `${concat.length} fields`);
      }
      checkExprLimits(o['exprs'], `${field}.exprs`, LIMITS.setExprs, 'a set element');
      return;
    }
    case 'elements': {
      checkLen(o['keyLen'], `${field}.keyLen`, 1, LIMITS.data);
      checkLen(o['dataLen'], `${field}.dataLen`, 1, LIMITS.data);
      checkExprLimits(o['exprs'], `${field}.exprs`, LIMITS.setExprs, 'a set element');
      for (const k of ['chains', 'objrefs'] as const) {
        const col = o[k];
        if (!Array.isArray(col)) continue;
        for (let i = 0; i < col.length; i++) checkNameLength(col[i], `${field}.${k}[${i}]`);
      }
      const ud = o['userdata'];
      if (Array.isArray(ud)) for (let i = 0; i < ud.length; i++) checkUserdata(ud[i], `${field}.userdata[${i}]`, LIMITS.elementUserdata);
      return;
    }
    default:
      return;
  }
}

/** Checks a dump request's names and keys against the limits of one netlink request. */
export function checkDumpRequest(req: DumpRequest, field = 'request'): void {
  if (typeof req !== 'object' || req === null) return;
  const o = req as unknown as Record<string, unknown>;
  for (const k of ['table', 'chain', 'set'] as const) checkNameLength(o[k], `${field}.${k}`);
  const keys = o['keys'];
  if (!(keys instanceof Uint8Array)) return;
  const keyLen = o['keyLen'];
  if (typeof keyLen !== 'number' || !Number.isInteger(keyLen) || keyLen < 1 || keyLen > LIMITS.data) {
    throw expectedRange(`a key length of 1-${LIMITS.data} bytes`, `${field}.keyLen`, keyLen);
  }
  if (keys.length % keyLen !== 0) {
    throw tooLarge(`packed keys of ${keyLen} bytes each`, `${field}.keys`, `a Uint8Array of ${keys.length} bytes`);
  }
  if (keys.length / keyLen > LIMITS.getKeys) {
    throw tooLarge(`at most ${LIMITS.getKeys} keys per request`, `${field}.keys`, `${keys.length / keyLen} keys of ${keyLen} bytes`);
  }
}
