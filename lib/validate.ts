// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Shared input checks for tables, chains, sets and objects. Every message has one form:
 * `Expected <what> for <field> but received <value>`. Rule statements have their own checks
 * in rule/validate.ts, in the same form.
 */
import { FAMILIES, type Family, type Hook } from './kernel';

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
