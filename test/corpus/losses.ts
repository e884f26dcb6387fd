// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What nft 1.0.6's JSON loses (corpus check d). When the package's commit of nft's JSON lists,
 * in nft's JSON, exactly as the original (`nft -j list ruleset` deep-equal, handles aside), it
 * committed everything that document holds; its text can still differ from the original where
 * the kernel holds what nft 1.0.6's JSON does not print. This names each such difference, line
 * by line (a line diff of the two `nft list ruleset` texts), by the loss that explains it:
 * - the set flag `dynamic` (set_print_json prints constant, interval and timeout only);
 * - a netdev/ingress chain's `device`/`devices` (chain_print_json prints no dev);
 * - `typeof` declarations (printed as their datatype names: `typeof ip daddr` → `ipv4_addr`);
 * - element statements after the first (set_elem_expr_json: "only one statement per element");
 * - a table's single flag (table_flags_json frees the flag's string before printing it);
 * - table and chain comments, `auto-merge`, flowtable flags (not printed).
 * A difference none of these explains is not classified (the check then fails).
 */

/** Line diff (LCS): the original's lines missing from the result, and the result's lines not in the original, paired by hunk. */
interface Hunk {
  readonly removed: string[];
  readonly added: string[];
}

function hunks(original: readonly string[], result: readonly string[]): Hunk[] {
  const n = original.length;
  const m = result.length;
  // LCS lengths from the end (Uint32 rows keep memory at n*m*4 bytes; dumps are a few thousand lines)
  const w = m + 1;
  const L = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * w + j] = original[i] === result[j] ? (L[(i + 1) * w + j + 1] as number) + 1 : Math.max(L[(i + 1) * w + j] as number, L[i * w + j + 1] as number);
    }
  }
  const out: Hunk[] = [];
  let cur: Hunk | undefined;
  let i = 0;
  let j = 0;
  const open = (): Hunk => (cur ??= { removed: [], added: [] });
  const close = (): void => {
    if (cur) out.push(cur);
    cur = undefined;
  };
  while (i < n || j < m) {
    if (i < n && j < m && original[i] === result[j]) {
      close();
      i++;
      j++;
    } else if (j < m && (i === n || (L[i * w + j + 1] as number) >= (L[(i + 1) * w + j] as number))) {
      open().added.push(result[j++] as string);
    } else {
      open().removed.push(original[i++] as string);
    }
  }
  close();
  return out;
}

const tokens = (s: string): string[] => s.trim().split(/\s+/);

/** Whether b's tokens are a subsequence of a's (b is a with words left out). */
function subsequence(a: readonly string[], b: readonly string[]): boolean {
  let k = 0;
  for (const t of a) if (k < b.length && t === b[k]) k++;
  return k === b.length;
}

/** The loss that explains one original line `o` becoming `r` (undefined: `o` is gone). */
function explainPair(o: string, r: string | undefined): string | undefined {
  const t = o.trim();
  if (r === undefined) {
    if (/^flags dynamic$/.test(t) && o.startsWith('\t\tflags')) return 'the set flag dynamic';
    if (/^flags \S+$/.test(t) && o.startsWith('\tflags')) return "the table's single flag (nft 1.0.6 prints freed memory)";
    if (/^comment ".*"$/.test(t) && (o.startsWith('\tcomment') || o.startsWith('\t\tcomment'))) return 'a table or chain comment';
    if (t === 'auto-merge') return 'auto-merge';
    if (/^flags [a-z,]+$/.test(t) && o.startsWith('\t\tflags')) return 'flowtable flags';
    return undefined;
  }
  if (/^flags /.test(t) && r.trim() === t.replace(/(?<=[ ,])dynamic,|,dynamic(?=$)/, '')) return 'the set flag dynamic';
  if (/ hook \S+ /.test(t) && r === o.replace(/ device "[^"]*"| devices = \{ [^}]* \}/, '')) return "the chain's device";
  if (t.startsWith('typeof ') && r.trim().startsWith('type ')) return 'the typeof declaration (printed as datatype names)';
  if (r.trim() !== t && subsequence(tokens(o), tokens(r))) return 'element statements after the first';
  return undefined;
}

/**
 * Explains every difference between the original text and the result: the losses (distinct, in
 * order), or undefined when a difference is not one of them.
 */
export function explainLosses(originalText: string, resultText: string): { losses: string[]; first: string } | undefined {
  const losses: string[] = [];
  let first = '';
  for (const raw of hunks(originalText.split('\n'), resultText.split('\n'))) {
    // a lost table flag takes the blank line nft prints after it along
    const removed = raw.removed.filter((l, k) => !(l === '' && k > 0 && /^\tflags \S+$/.test(raw.removed[k - 1] as string)));
    const h: Hunk = { removed, added: raw.added };
    // pair lines that changed (same count) in order; otherwise removed lines must be explained alone
    if (h.added.length > 0 && h.added.length !== h.removed.length) {
      // lines gone, others changed: try to pair each added line with a removed one, in order
      let k = 0;
      for (const a of h.added) {
        while (k < h.removed.length && explainPair(h.removed[k] as string, a) === undefined) {
          const why = explainPair(h.removed[k] as string, undefined);
          if (why === undefined) return undefined;
          if (!losses.includes(why)) losses.push(why);
          first ||= `${JSON.stringify(h.removed[k])} missing`;
          k++;
        }
        if (k === h.removed.length) return undefined;
        const why = explainPair(h.removed[k] as string, a) as string;
        if (!losses.includes(why)) losses.push(why);
        first ||= `${JSON.stringify(h.removed[k])} lists as ${JSON.stringify(a)}`;
        k++;
      }
      for (; k < h.removed.length; k++) {
        const why = explainPair(h.removed[k] as string, undefined);
        if (why === undefined) return undefined;
        if (!losses.includes(why)) losses.push(why);
      }
      continue;
    }
    for (let k = 0; k < h.removed.length; k++) {
      const o = h.removed[k] as string;
      const r = h.added[k];
      const why = explainPair(o, r);
      if (why === undefined) return undefined;
      if (!losses.includes(why)) losses.push(why);
      first ||= r === undefined ? `${JSON.stringify(o)} missing` : `${JSON.stringify(o)} lists as ${JSON.stringify(r)}`;
    }
  }
  return { losses, first };
}

/** Lines of `a` (as a multiset) that `b` lacks. */
export function missingLines(a: string, b: string): string[] {
  const have = new Map<string, number>();
  for (const l of b.split('\n')) have.set(l, (have.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of a.split('\n')) {
    const c = have.get(l) ?? 0;
    if (c > 0) have.set(l, c - 1);
    else out.push(l);
  }
  return out;
}
