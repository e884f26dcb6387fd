// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft's userdata TLVs (libnftnl udata.h): { u8 type, u8 len, value }. The kernel stores them
 * opaquely; nft uses them for comments and for how to print set keys.
 */

/** NFTNL_UDATA_*_COMMENT for tables, chains, rules, objects and set elements. */
export const UDATA_COMMENT = 0;
/** NFTNL_UDATA_SET_* types. */
export const UDATA_SET = { keyByteorder: 0, dataByteorder: 1, mergeElements: 2, keyTypeof: 3, dataTypeof: 4, expr: 5, dataInterval: 6, comment: 7 } as const;
/** NFTNL_UDATA_SET_ELEM_FLAGS and NFTNL_SET_ELEM_F_INTERVAL_OPEN. */
export const UDATA_SET_ELEM_FLAGS = 1;
export const SET_ELEM_F_INTERVAL_OPEN = 0x1;

export type UdataEntry = readonly [type: number, value: Uint8Array];

export function encodeUdata(entries: readonly UdataEntry[]): Uint8Array {
  const total = entries.reduce((n, [, v]) => n + 2 + v.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const [type, value] of entries) {
    if (value.length > 255) throw new RangeError(`Expected userdata of at most 255 bytes but received ${value.length}`);
    out[o] = type;
    out[o + 1] = value.length;
    out.set(value, o + 2);
    o += 2 + value.length;
  }
  return out;
}

export function decodeUdata(buf: Uint8Array | undefined): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (buf === undefined) return out;
  let o = 0;
  while (o + 2 <= buf.length) {
    const type = buf[o] as number;
    const len = buf[o + 1] as number;
    if (o + 2 + len > buf.length) break;
    out.set(type, buf.subarray(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return out;
}

/** A comment as nft stores it: NUL-terminated text. */
export const commentValue = (text: string): Uint8Array => Buffer.from(`${text}\0`, 'utf8');
export const u32Value = (v: number): Uint8Array => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v); // nft writes udata integers in host byte order
  return b;
};

export function commentUdata(comment: string | undefined, type = UDATA_COMMENT): Uint8Array | undefined {
  return comment === undefined ? undefined : encodeUdata([[type, commentValue(comment)]]);
}

export function udataComment(buf: Uint8Array | undefined, type = UDATA_COMMENT): string | undefined {
  const v = decodeUdata(buf).get(type);
  if (v === undefined) return undefined;
  const end = v.indexOf(0);
  return Buffer.from(v.subarray(0, end < 0 ? v.length : end)).toString('utf8');
}
