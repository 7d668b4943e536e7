// A read-only list as dx wants one (docs/jsprovider.md §1.14): iterable, with each item labelled
// by its index, and indexable (`Heaps[2]`, `Blocks[100]`) through the indexable concept. Items
// are made only when asked for, so a million-block heap costs nothing until it is read.

export abstract class IndexedList<T> {
  /** How many items; may do the work the list is lazy about. */
  protected abstract itemCount(): number;
  /** Item `index` (0 ≤ index < itemCount()). */
  protected abstract itemAt(index: number): T;

  *[Symbol.iterator](): Iterator<host.indexedValue> {
    const n = this.itemCount();
    // Looked up once, not per item: the global `host` may be a slow lookup (a vm context's is).
    const IndexedValue = host.indexedValue;
    for (let i = 0; i < n; i++) yield new IndexedValue(this.itemAt(i), [i]);
  }

  /** How many items (for dxheap's own code; dx counts with .Count()). */
  count(): number {
    return this.itemCount();
  }

  getDimensionality(): number {
    return 1;
  }

  getValueAt(index: unknown): T {
    const i = Number(index);
    const n = this.itemCount();
    if (!(Math.floor(i) === i && i >= 0 && i < n)) throw new RangeError(`index ${String(index)} is outside [0, ${n})`);
    return this.itemAt(i);
  }
}
