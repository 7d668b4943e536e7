// Ordering rows that are already nearly in order. Walks list blocks in address order, except
// VirtualAlloc'd blocks listed after the segments and heaps that interleave in memory: a few
// ascending runs. Merging those runs costs O(n log runs) comparisons, where a general sort of
// hundreds of thousands of rows costs O(n log n) calls of its comparator.

/**
 * The positions 0..n-1 in ascending `keys` order; equal keys by `rank` (lower first), then by
 * position. `rank` may be omitted (all equal).
 */
export function orderByKey(keys: ArrayLike<number>, rank?: ArrayLike<number>): Int32Array {
  const n = keys.length;
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const precedes = (a: number, b: number): boolean =>
    keys[a] < keys[b] || (keys[a] === keys[b] && rank !== undefined && rank[a] < rank[b]);
  // Run boundaries: a run ends where the next position must come before the one ahead of it.
  let bounds: number[] = [0];
  for (let i = 1; i < n; i++) if (precedes(i, i - 1)) bounds.push(i);
  bounds.push(n);
  let spare = new Int32Array(n);
  while (bounds.length > 2) {
    const merged: number[] = [0];
    for (let r = 0; r + 1 < bounds.length; r += 2) {
      const start = bounds[r];
      const middle = bounds[r + 1];
      const end = r + 2 < bounds.length ? bounds[r + 2] : middle;
      // Runs cover consecutive positions, so taking the left one on a tie keeps position order.
      let left = start, right = middle, out = start;
      while (left < middle && right < end) spare[out++] = precedes(order[right], order[left]) ? order[right++] : order[left++];
      while (left < middle) spare[out++] = order[left++];
      while (right < end) spare[out++] = order[right++];
      merged.push(end);
    }
    bounds = merged;
    const swap = order;
    order = spare;
    spare = swap;
  }
  return order;
}
