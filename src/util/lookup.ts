// "The last value at or below x" in an ascending array of addresses, asked millions of times (the
// leak scan asks once per pointer it finds). A bisection over hundreds of thousands of values
// misses the cache at nearly every step; here the values are cut into clusters of nearby addresses
// (a heap segment's blocks), each with a table of 4 KiB buckets holding the index of the first
// value at or above each bucket, so a look-up reads one bucket and bisects the few values in it.
// Sparse values (blocks gigabytes apart) start new clusters, and the tables are skipped altogether
// when they would outgrow a few entries per value (a hostile spread), leaving plain bisection.

const BUCKET = 4096;
/** Values further apart than this start a new cluster: the gap costs no buckets. */
const CLUSTER_GAP = 1 << 20;
/** Buckets allowed per value (plus a constant): memory stays proportional to the values. */
const BUCKETS_PER_VALUE = 4;

export class AscendingLookup {
  /** Per cluster: its first value, the address of its first bucket, where its buckets start in `first`, its last value's index. */
  private readonly clusterStart: Float64Array;
  private readonly clusterBase: Float64Array;
  private readonly clusterBuckets: Int32Array;
  private readonly clusterLast: Int32Array;
  /** Per bucket: the index of the first value at or above the bucket's address; one more entry ends each cluster. */
  private readonly first: Int32Array;

  /** values: ascending (equal values allowed); kept by reference, not copied. */
  constructor(private readonly values: Float64Array) {
    const n = values.length;
    let clusters = 0;
    let buckets = 0;
    for (let i = 0, start = 0; i < n; i++) {
      if (i + 1 < n && values[i + 1] - values[i] <= CLUSTER_GAP) continue;
      clusters++;
      buckets += bucketsOf(values[start], values[i]) + 1;
      start = i + 1;
    }
    // A hostile spread, or a value that is no number (a damaged table): bisection only.
    if (!(buckets <= BUCKETS_PER_VALUE * n + 4096)) clusters = 0;
    this.clusterStart = new Float64Array(clusters);
    this.clusterBase = new Float64Array(clusters);
    this.clusterBuckets = new Int32Array(clusters);
    this.clusterLast = new Int32Array(clusters);
    this.first = new Int32Array(clusters === 0 ? 0 : buckets);
    let c = 0;
    let at = 0;
    for (let i = 0, start = 0; i < n && clusters > 0; i++) {
      if (i + 1 < n && values[i + 1] - values[i] <= CLUSTER_GAP) continue;
      const base = Math.floor(values[start] / BUCKET) * BUCKET;
      const count = bucketsOf(values[start], values[i]);
      this.clusterStart[c] = values[start];
      this.clusterBase[c] = base;
      this.clusterBuckets[c] = at;
      this.clusterLast[c] = i;
      let k = start;
      for (let b = 0; b < count; b++) {
        const bucketAddress = base + b * BUCKET;
        while (k <= i && values[k] < bucketAddress) k++;
        this.first[at + b] = k;
      }
      this.first[at + count] = i + 1;
      at += count + 1;
      c++;
      start = i + 1;
    }
  }

  /** Index of the last value ≤ x, or -1. */
  lastAtOrBelow(x: number): number {
    const clusters = this.clusterStart.length;
    if (clusters === 0) return bisect(this.values, x, 0, this.values.length - 1);
    const c = bisect(this.clusterStart, x, 0, clusters - 1);
    if (c < 0) return -1;
    const base = this.clusterBase[c];
    const b = Math.floor((x - base) / BUCKET);
    const at = this.clusterBuckets[c] + b;
    // Past the cluster's last bucket (its sentinel ends at `end`): its last value is the answer.
    const end = c + 1 < clusters ? this.clusterBuckets[c + 1] : this.first.length;
    if (at >= end - 1) return this.clusterLast[c];
    const low = this.first[at];
    // Values in [low, first[at + 1]) lie in x's bucket; the one before low is below the bucket.
    return bisect(this.values, x, low, this.first[at + 1] - 1, low - 1);
  }
}

/** Buckets from the one holding `from` to the one holding `to`. */
function bucketsOf(from: number, to: number): number {
  return Math.floor(to / BUCKET) - Math.floor(from / BUCKET) + 1;
}

/** The last index in [low, high] whose value is ≤ x, else `none`. */
function bisect(values: Float64Array, x: number, low: number, high: number, none = -1): number {
  let found = none;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= x) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}
