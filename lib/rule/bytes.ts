// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Byte helpers for expression data. Packet fields are big-endian; meta and ct values (marks,
 * ifindexes, conntrack state bits) are host-endian u32, as the kernel stores them in registers.
 */

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A u32 in host byte order (meta mark, ct state, iif). */
export function u32Host(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, HOST_LE);
  return b;
}

/** Reads a host-order u32 (shorter data is zero-extended). */
export function readU32Host(b: Uint8Array): number {
  const c = new Uint8Array(4);
  c.set(b.subarray(0, 4));
  return new DataView(c.buffer).getUint32(0, HOST_LE);
}

/** An unsigned integer as `len` big-endian bytes. */
export function uintBE(n: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    b[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return b;
}

/** Reads big-endian bytes as a number (up to 6 bytes are exact). */
export function readUintBE(b: Uint8Array): number {
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Big-endian comparison of equal-length byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Adds 1 to a big-endian byte string; returns undefined on overflow (all ones). */
export function incrementBytes(a: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(a);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i] = (out[i] ?? 0) + 1;
      return out;
    }
    out[i] = 0;
  }
  return undefined;
}

/** Subtracts 1 from a big-endian byte string (wrapping). */
export function decrementBytes(a: Uint8Array): Uint8Array {
  const out = Uint8Array.from(a);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0) {
      out[i] = (out[i] ?? 0) - 1;
      return out;
    }
    out[i] = 0xff;
  }
  return out;
}

/** A netmask of `bits` leading ones over `len` bytes. */
export function prefixMask(bits: number, len: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const left = bits - i * 8;
    m[i] = left >= 8 ? 0xff : left <= 0 ? 0 : (0xff << (8 - left)) & 0xff;
  }
  return m;
}

/** The prefix length if [lo, hi] is exactly one CIDR block, else undefined. */
export function rangeToPrefix(lo: Uint8Array, hi: Uint8Array): number | undefined {
  const bits = lo.length * 8;
  for (let p = 0; p <= bits; p++) {
    const m = prefixMask(p, lo.length);
    if (lo.every((x, i) => (x & ~(m[i] ?? 0) & 0xff) === 0) && hi.every((x, i) => x === ((lo[i] ?? 0) | (~(m[i] ?? 0) & 0xff)))) return p;
  }
  return undefined;
}

/** Lowercase hex of the bytes, for raw renderings. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
