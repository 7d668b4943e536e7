// The snapshots !heapsnap took, script-wide (not per process: a session may compare two processes,
// or a target before and after it ran), oldest first, and the last diff !heapdiff made.
// uninitializeScript clears it all.
import { Snapshot, SnapshotDiff } from "./snapshot";

/** Snapshots kept; taking one more drops the oldest. */
export const MAX_STORED_SNAPSHOTS = 32;

const stored: Snapshot[] = [];
let taken = 0;
let latestDiff: SnapshotDiff | undefined;

/** The name a snapshot gets when none is given: snap1, snap2, … (one not in the store). */
export function defaultSnapshotName(): string {
  let n = taken + 1;
  while (storedSnapshot(`snap${n}`)) n++;
  return `snap${n}`;
}

/** Keeps a snapshot as the newest; what it replaced (same name) and what it pushed out (the oldest). */
export function storeSnapshot(snapshot: Snapshot): { replaced: boolean; dropped: string | undefined } {
  const at = indexOf(snapshot.name);
  if (at >= 0) stored.splice(at, 1);
  stored.push(snapshot);
  taken++;
  const dropped = stored.length > MAX_STORED_SNAPSHOTS ? stored.shift()!.name : undefined;
  return { replaced: at >= 0, dropped };
}

export function storedSnapshot(name: string): Snapshot | undefined {
  const at = indexOf(name);
  return at >= 0 ? stored[at] : undefined;
}

/** Every stored snapshot, oldest first. */
export function storedSnapshots(): Snapshot[] {
  return stored.slice();
}

export function recordDiff(diff: SnapshotDiff): void {
  latestDiff = diff;
}

/** The most recent diff !heapdiff computed, or undefined. */
export function lastDiff(): SnapshotDiff | undefined {
  return latestDiff;
}

/** Forgets every snapshot and the last diff (uninitializeScript). */
export function clearSnapshots(): void {
  stored.length = 0;
  taken = 0;
  latestDiff = undefined;
}

function indexOf(name: string): number {
  for (let i = 0; i < stored.length; i++) if (stored[i].name === name) return i;
  return -1;
}
