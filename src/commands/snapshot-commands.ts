// !heapsnap and !heapdiff: UMDH's job inside the debugger. A snapshot counts the busy blocks per
// allocation stack, type and requested size (src/analysis/snapshot.ts); it is kept script-wide
// (src/analysis/snapshot-store.ts) and may be saved as a file (docs/snapshot-format.md), which
// another session, on another dump of the program, compares with its own process.
//
// Arguments are dx values (docs/jsprovider.md §1.16), so names and paths are quoted strings, and
// several go in parentheses: !heapsnap ("before", "C:\\snaps\\before.json"). One rule tells a
// file from a snapshot name: a string ending in .json or holding \ or / is a file.
import { Change, Snapshot, diffSnapshots, MAX_SNAPSHOT_CHARS, MAX_SNAPSHOT_GROUPS, parseSnapshot, snapshotLines, snapshotTotals, takeSnapshot } from "../analysis/snapshot";
import { defaultSnapshotName, recordDiff, storedSnapshot, storedSnapshots, storeSnapshot, MAX_STORED_SNAPSHOTS } from "../analysis/snapshot-store";
import { readTextFile, writeTextFile } from "../host/files";
import { groupSources } from "../model/groups";
import { SnapshotDiffModel, SnapshotModel } from "../model/snapshot";
import { hex0x } from "../util/hex";
import { optional, text } from "./args";
import { CommandContext, command, printText } from "./context";
import { changeText, formatChangeRows, formatStackChange } from "./format";
import { RowLimit } from "./output";

/** The process as it is now, as a snapshot argument of !heapdiff. */
export const CURRENT = "current";
const MAX_NAME = 256;
const DEFAULT_MAX_ROWS = 20;
const NONE_CHANGED = "    none changed\n";

/** A snapshot argument names a file when it ends in .json or holds a path separator; otherwise a stored snapshot (or "current"). */
export function isSnapshotFile(argument: string): boolean {
  return /\.json$/i.test(argument) || /[\\/]/.test(argument);
}

/**
 * !heapsnap [name] [, file] — a snapshot of the current process's busy blocks, kept in the store
 * as `name` (snap1, snap2, … by default); with a file (given alone, or after the name), also
 * written there as JSON, replacing the file.
 */
export const heapsnap = command("heapsnap", 2, (first?: unknown, second?: unknown): SnapshotModel => {
  const what = "a snapshot name or a file (a path ending in .json)";
  let name: string | undefined;
  let file: string | undefined;
  if (first !== undefined) {
    const argument = text("heapsnap", what, first);
    if (isSnapshotFile(argument) && second === undefined) file = argument;
    else name = snapshotName(argument);
  }
  if (second !== undefined) {
    file = text("heapsnap", "a file (a path ending in .json)", second);
    if (!isSnapshotFile(file)) throw new Error(`heapsnap: expected a file (a path ending in .json, or holding \\ or /), got "${file}"`);
  }
  const context = new CommandContext();
  const snapshot = snapshotOf(context, name !== undefined ? name : defaultSnapshotName());
  if (file !== undefined) saveSnapshot(file, snapshot);
  const kept = storeSnapshot(snapshot);
  const totals = snapshotTotals(snapshot);
  let summary = `Snapshot ${snapshot.name} of ${processText(snapshot)}: ${hex0x(totals.blocks)} busy blocks, ${hex0x(totals.bytes)} bytes, `;
  summary += `in ${hex0x(snapshot.groups.length)} groups by allocation stack, type and size. `;
  summary += snapshot.stacks
    ? "The process records allocation stacks."
    : "The process records no allocation stacks (turn them on with gflags /i <program>.exe +ust and run it again): its blocks compare by type and size only.";
  if (snapshot.omitted) summary += ` ${hex0x(snapshot.omitted.blocks)} busy blocks in further groups were only counted: a snapshot keeps ${MAX_SNAPSHOT_GROUPS} groups at most.`;
  if (file !== undefined) summary += ` Saved to ${file}.`;
  if (kept.replaced) summary += ` It replaces the earlier snapshot ${snapshot.name}.`;
  if (kept.dropped !== undefined) summary += ` The store keeps ${MAX_STORED_SNAPSHOTS} snapshots: ${kept.dropped}, the oldest, was dropped.`;
  summary += ` Compare two with !heapdiff.\n`;
  context.print(summary);
  return new SnapshotModel(snapshot, file);
});

/**
 * !heapdiff [a [, b [, max]]] — what changed from snapshot a to snapshot b, UMDH's diff: per
 * allocation stack, then per type and per size, largest byte growth first, at most max rows each
 * (20). a and b are stored snapshots, files, or "current" (the process now). With no argument:
 * the last two snapshots taken (or the only one and the current process); with a alone, b is the
 * current process.
 */
export const heapdiff = command("heapdiff", 3, (first?: unknown, second?: unknown, maxRows?: unknown): SnapshotDiffModel => {
  const max = optional("heapdiff", "a row count", maxRows, DEFAULT_MAX_ROWS);
  if (max < 1) throw new Error(`heapdiff: expected a row count of at least 1, got ${max}`);
  const what = 'a snapshot name, a file (a path ending in .json) or "current"';
  let names: string[];
  if (first === undefined) {
    const all = storedSnapshots();
    if (all.length === 0) throw new Error("heapdiff: expected two snapshots to compare: none was taken yet (take one with !heapsnap, or name files)");
    names = all.length === 1 ? [all[0].name, CURRENT] : [all[all.length - 2].name, all[all.length - 1].name];
  } else {
    names = [text("heapdiff", what, first), second === undefined ? CURRENT : text("heapdiff", what, second)];
  }
  let context: CommandContext | undefined;
  let current: Snapshot | undefined;
  const resolve = (argument: string): { snapshot: Snapshot; file: string | undefined } => {
    if (argument === CURRENT) {
      if (!context) context = new CommandContext();
      if (!current) current = snapshotOf(context, CURRENT);
      return { snapshot: current, file: undefined };
    }
    if (isSnapshotFile(argument)) return { snapshot: loadSnapshot(argument), file: argument };
    const stored = storedSnapshot(argument);
    if (!stored) {
      const taken = storedSnapshots().map((s) => s.name);
      const file = "a file (a path ending in .json, or holding \\ or /)";
      if (taken.length === 0) throw new Error(`heapdiff: expected ${file} or "${CURRENT}", got "${argument}": no snapshot was taken yet`);
      throw new Error(`heapdiff: expected a snapshot taken (${taken.join(", ")}), ${file} or "${CURRENT}", got "${argument}"`);
    }
    return { snapshot: stored, file: undefined };
  };
  const before = resolve(names[0]);
  const after = resolve(names[1]);
  const diff = diffSnapshots(before.snapshot, after.snapshot);
  recordDiff(diff);

  const query = `dx @$heapdiff(${names.map((n) => JSON.stringify(n)).join(", ")})`;
  let out = `Comparing ${snapshotText(before.snapshot, before.file)} with ${snapshotText(after.snapshot, after.file)}:\n`;
  out += changeText(diff.total) + "\n";
  out += notes(before.snapshot, after.snapshot);
  if (diff.byStack.length === 0 && diff.byType.length === 0 && diff.bySize.length === 0) {
    out += "No busy block changed.\n";
  } else {
    // Blocks may change type but not stack (or size): a section may be empty when another is not.
    out += "\nBy allocation stack, largest growth first:\n" + (diff.byStack.length === 0 ? NONE_CHANGED : "");
    const stacks = new RowLimit(max);
    for (let i = 0; i < diff.byStack.length; i++) if (stacks.take()) out += formatStackChange(diff.byStack[i]);
    out += stacks.note("stacks", `${query}.ByStack`);
    const types = diff.byType.map((c) => ({ change: c, key: c.type === null ? "(no type)" : c.type }));
    out += "\nBy type, largest growth first:\n" + changeTable(types, "type", max, `${query}.ByType`);
    const sizes = diff.bySize.map((c) => ({ change: c, key: hex0x(c.size) }));
    out += "\nBy size, largest growth first:\n" + changeTable(sizes, "size", max, `${query}.BySize`);
  }
  if (context) context.print(out);
  else printText(out);
  return new SnapshotDiffModel(diff, new SnapshotModel(before.snapshot, before.file), new SnapshotModel(after.snapshot, after.file));
});

/** The first `max` rows as a table, then what was left out. */
function changeTable(rows: { change: Change; key: string }[], keyTitle: string, max: number, query: string): string {
  if (rows.length === 0) return NONE_CHANGED;
  const limit = new RowLimit(max);
  const shown: { change: Change; key: string }[] = [];
  for (let i = 0; i < rows.length; i++) if (limit.take()) shown.push(rows[i]);
  return formatChangeRows(shown, keyTitle) + limit.note(keyTitle === "type" ? "types" : "sizes", query);
}

/** The busy blocks of the command's process now, named `name`; reuses the process's walks, traces and names. */
function snapshotOf(context: CommandContext, name: string): Snapshot {
  const heaps = context.heaps;
  const symbols = heaps.symbolizer();
  const views = heaps.target.views;
  let stacks = false;
  for (let i = 0; i < views.length; i++) if (heaps.traces(views[i]).tracing) stacks = true;
  const header = { name, takenAt: new Date().toISOString(), process: heaps.target.identity(), pointerSize: context.pointerSize, stacks };
  const sources = groupSources(heaps, context.walkedHeaps().map((h) => h.ref));
  return takeSnapshot(header, sources, (address) => symbols.name(address).text);
}

function snapshotName(argument: string): string {
  if (argument === CURRENT) throw new Error(`heapsnap: expected a snapshot name other than "${CURRENT}", which names the process as it is now`);
  if (argument.length === 0 || argument.length > MAX_NAME || /[\u0000-\u001f]/.test(argument) || isSnapshotFile(argument)) {
    throw new Error(`heapsnap: expected a snapshot name (1 to ${MAX_NAME} printable characters, not ending in .json, without \\ or /), got ${JSON.stringify(argument.slice(0, 60))}`);
  }
  return argument;
}

function saveSnapshot(file: string, snapshot: Snapshot): void {
  const lines = snapshotLines(snapshot);
  let chars = 0;
  for (let i = 0; i < lines.length; i++) chars += lines[i].length + 1;
  if (chars > MAX_SNAPSHOT_CHARS) {
    throw new Error(`heapsnap: the snapshot takes ${chars} characters as JSON, more than the ${MAX_SNAPSHOT_CHARS} a snapshot file may hold: not saved, not kept`);
  }
  try {
    writeTextFile(file, lines);
  } catch (e) {
    throw new Error(`heapsnap: ${(e as Error).message}; the snapshot was not kept`);
  }
}

function loadSnapshot(file: string): Snapshot {
  const content = (() => {
    try {
      return readTextFile(file, MAX_SNAPSHOT_CHARS);
    } catch (e) {
      throw new Error(`heapdiff: ${(e as Error).message}`);
    }
  })();
  try {
    return parseSnapshot(content);
  } catch (e) {
    throw new Error(`heapdiff: ${file} is not a snapshot dxheap reads: ${(e as Error).message}`);
  }
}

function processText(snapshot: Snapshot): string {
  return `${snapshot.process.name}, pid ${hex0x(snapshot.process.id)}`;
}

function snapshotText(snapshot: Snapshot, file: string | undefined): string {
  return `${snapshot.name} (${file !== undefined ? file + "; " : ""}${processText(snapshot)})`;
}

/** What limits the comparison: stacks missing on either side, another program or pointer size, blocks left out. */
function notes(before: Snapshot, after: Snapshot): string {
  let out = "";
  if (!before.stacks && !after.stacks) out += "Note: neither records allocation stacks: compare the types and sizes.\n";
  else if (!before.stacks || !after.stacks) out += `Note: only ${before.stacks ? before.name : after.name} records allocation stacks: its stacks all seem new (or gone); compare the types and sizes.\n`;
  if (before.process.name !== after.process.name) out += `Note: the snapshots are of different programs (${before.process.name}, ${after.process.name}).\n`;
  if (before.pointerSize !== after.pointerSize) out += `Note: the pointer sizes differ (${before.pointerSize}, ${after.pointerSize}): sizes of the same objects differ too.\n`;
  const sides = [before, after];
  for (let i = 0; i < 2; i++) {
    const omitted = sides[i].omitted;
    if (omitted) out += `Note: ${sides[i].name} left out ${hex0x(omitted.blocks)} busy blocks (${hex0x(omitted.bytes)} bytes) past its group limit: they are not compared.\n`;
  }
  return out;
}
