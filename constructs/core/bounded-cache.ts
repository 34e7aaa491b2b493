/**
 * Values kept by key for the life of the process, for pure functions that a synth calls again
 * and again with the same inputs. Emptied when full: the keys can come from user data (names,
 * patterns, scripts), and a long-lived process (tests, the benchmark) synthesizes many apps.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number) {}

  /** The value kept for `key`, or `make()`'s, kept. */
  get(key: K, make: () => V): V {
    const kept = this.entries.get(key);
    if (kept !== undefined || this.entries.has(key)) return kept as V;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const made = make();
    this.entries.set(key, made);
    return made;
  }
}
