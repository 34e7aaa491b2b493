/**
 * A line diff (Myers' O(ND) greedy algorithm) and unified-diff hunks, so the review tool
 * shows a jobspec or policy change as the few lines that changed.
 */

export type EditKind = "equal" | "delete" | "insert";

export interface Edit {
  readonly kind: EditKind;
  readonly line: string;
}

/** The shortest edit script turning `before` into `after`, line by line. */
export function diffLines(before: readonly string[], after: readonly string[]): Edit[] {
  const n = before.length;
  const m = after.length;
  const max = n + m;
  const offset = max;
  let v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && before[x] === after[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        v = next;
        break outer;
      }
    }
    v = next;
  }
  return backtrack(trace, before, after, offset);
}

function backtrack(trace: Int32Array[], before: readonly string[], after: readonly string[], offset: number): Edit[] {
  const edits: Edit[] = [];
  let x = before.length;
  let y = after.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ kind: "equal", line: before[--x] });
      y--;
    }
    if (d === 0) break;
    if (x === prevX) edits.push({ kind: "insert", line: after[--y] });
    else edits.push({ kind: "delete", line: before[--x] });
  }
  while (x > 0) edits.push({ kind: "equal", line: before[--x] });
  return edits.reverse();
}

/**
 * A unified diff (`@@ -a,b +c,d @@` hunks with `context` lines around each change) of two
 * texts, without the `---`/`+++` header. Empty when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const edits = diffLines(splitLines(before), splitLines(after));
  const changed = edits.map((e, i) => (e.kind === "equal" ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return "";
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const start = Math.max(0, i - context);
    const end = Math.min(edits.length, i + context + 1);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else hunks.push([start, end]);
  }
  const out: string[] = [];
  for (const [start, end] of hunks) {
    let oldLine = 1;
    let newLine = 1;
    for (const e of edits.slice(0, start)) {
      if (e.kind !== "insert") oldLine++;
      if (e.kind !== "delete") newLine++;
    }
    const body = edits.slice(start, end);
    const oldCount = body.filter((e) => e.kind !== "insert").length;
    const newCount = body.filter((e) => e.kind !== "delete").length;
    out.push(`@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@`);
    for (const e of body) out.push(`${e.kind === "equal" ? " " : e.kind === "delete" ? "-" : "+"}${e.line}`);
  }
  return out.join("\n");
}

/** GNU diff's convention: an empty range names the line before it. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
