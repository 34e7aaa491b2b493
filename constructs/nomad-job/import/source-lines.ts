/**
 * Line numbers for import errors. `@cdktf/hcl2json` returns the parsed tree without source
 * positions, so a block is found again by a scan of the source: from the line of its parent
 * block, the n-th line that opens a block or attribute with its name (and label), e.g.
 * `task "web" {` or `port = 8080`. Comments are not skipped, so a commented-out line with the
 * same name may be found first; the line is a pointer for the reader, not a parse.
 */
export class SourceLines {
  private readonly lines: readonly string[];

  constructor(source: string) {
    this.lines = source.split("\n");
  }

  /** The 1-based line of the `nth` (0-based) `name ["label"]` at or after line `from`, else `from`. */
  public find(from: number, name: string, label?: string, nth = 0): number {
    return this.lookup(from, name, label, nth) ?? from;
  }

  /** The 1-based line of the first `name "label" {` at or after line `from`, if there is one. */
  public labeledBlock(from: number, name: string, label: string): number | undefined {
    return this.lookup(from, name, label, 0);
  }

  private lookup(from: number, name: string, label: string | undefined, nth: number): number | undefined {
    const labelPattern = label === undefined ? "" : `\\s*"${escapeRegExp(label)}"`;
    const pattern = new RegExp(`^\\s*"?${escapeRegExp(name)}"?${labelPattern}\\s*(=|\\{|"|$)`);
    let seen = 0;
    for (let i = Math.max(from - 1, 0); i < this.lines.length; i++) {
      if (!pattern.test(this.lines[i])) continue;
      if (seen === nth) return i + 1;
      seen++;
    }
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
