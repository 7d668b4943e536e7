// Snapshots of a process's busy blocks and the difference of two: UMDH's job, inside the debugger.
// A snapshot counts busy blocks per (allocation stack, C++ type, requested size). Stacks are kept
// as WinDbg names their frames (module!symbol+0xoffset), never as addresses, so that snapshots of
// two dumps of one program compare whatever ASLR did to its modules. The file format (version 1)
// is docs/snapshot-format.md; reading one checks every field and every bound it states.
// Pure: the command layer gives the names, the clock and the file text.
import { STATE_BUSY } from "../heap/records";
import { GroupSource } from "./groups";
import { NoStackReason, StackResult } from "../stacks/trace";

export const SNAPSHOT_FORMAT = "dxheap-snapshot";
export const SNAPSHOT_VERSION = 1;
/** Groups a snapshot keeps (and a file may hold); the blocks of any further group are only counted. */
export const MAX_SNAPSHOT_GROUPS = 1000000;
/** Characters a snapshot file may hold: the text is parsed whole, and engines cap a string near 2^29 characters. */
export const MAX_SNAPSHOT_CHARS = 256 * 1024 * 1024;
const MAX_FRAMES = 1024;
const MAX_TEXT = 4096;
const MAX_NAME = 256;
/** Stands for "no stack" and "no type" in keys: frame and type names hold no control character. */
const NO_STACK = "\u0001";

/** The busy blocks that share an allocation stack (or none), a type (or none) and a requested size. */
export interface SnapshotGroup {
  /** Frames innermost first, as WinDbg names them; null when the blocks have no allocation stack. */
  stack: string[] | null;
  /** Why there is no stack (src/stacks/trace.ts NoStackReason), when stack is null. */
  noStackReason?: string;
  /** The C++ class the blocks' vftable pointer names, or null. */
  type: string | null;
  /** Requested bytes of each block. */
  size: number;
  count: number;
  /** count * size. */
  bytes: number;
}

export interface SnapshotHeader {
  name: string;
  /** When the snapshot was taken, ISO 8601. */
  takenAt: string;
  process: { name: string; id: number };
  pointerSize: 4 | 8;
  /** Whether the process records allocation stacks (+ust, or page heap). */
  stacks: boolean;
}

export interface Snapshot extends SnapshotHeader {
  /** Largest bytes first. */
  groups: SnapshotGroup[];
  /** Busy blocks left out because MAX_SNAPSHOT_GROUPS groups were already kept. */
  omitted?: { blocks: number; bytes: number };
}

/** The snapshot of every busy block of `sources`; `frameName` names a return address as WinDbg does. */
export function takeSnapshot(header: SnapshotHeader, sources: GroupSource[], frameName: (address: number) => string, maxGroups = MAX_SNAPSHOT_GROUPS): Snapshot {
  // The trace reader hands out one result per trace and per reason, and one frames array per
  // record (several traces may name one record): names are made once per frames array, and a
  // result's key is looked up once.
  type Named = { key: string; names: string[] | null; reason: NoStackReason | undefined };
  const named = new Map<number[], Named>();
  const stacks = new Map<StackResult, Named>();
  // Stack key, then type (NO_STACK for none), then size: maps in maps, so nothing is built per block.
  const groups = new Map<string, Map<string, Map<number, SnapshotGroup>>>();
  const list: SnapshotGroup[] = [];
  let omittedBlocks = 0;
  let omittedBytes = 0;
  for (let s = 0; s < sources.length; s++) {
    const source = sources[s];
    const blocks = source.walk.blocks;
    for (let row = 0; row < blocks.count; row++) {
      if (blocks.state[row] !== STATE_BUSY) continue;
      const result = source.stack(row);
      let stack = stacks.get(result);
      if (!stack) {
        if ("frames" in result) {
          stack = named.get(result.frames);
          if (!stack) {
            const names = result.frames.map(frameName);
            stack = { key: names.join("\n"), names, reason: undefined };
            named.set(result.frames, stack);
          }
        } else {
          stack = { key: NO_STACK + "\u0000" + result.reason, names: null, reason: result.reason };
        }
        stacks.set(result, stack);
      }
      const typeName = source.typeName(row);
      const type = typeName === undefined ? null : typeName;
      const size = blocks.userSize[row];
      let byType = groups.get(stack.key);
      if (!byType) groups.set(stack.key, (byType = new Map()));
      let bySize = byType.get(type === null ? NO_STACK : type);
      if (!bySize) byType.set(type === null ? NO_STACK : type, (bySize = new Map()));
      let group = bySize.get(size);
      if (!group) {
        if (list.length >= maxGroups) {
          omittedBlocks++;
          omittedBytes += size;
          continue;
        }
        group = stack.names ? { stack: stack.names, type, size, count: 0, bytes: 0 } : { stack: null, noStackReason: stack.reason, type, size, count: 0, bytes: 0 };
        bySize.set(size, group);
        list.push(group);
      }
      group.count++;
      group.bytes += size;
    }
  }
  list.sort((a, b) => b.bytes - a.bytes || b.count - a.count);
  const snapshot: Snapshot = { name: header.name, takenAt: header.takenAt, process: header.process, pointerSize: header.pointerSize, stacks: header.stacks, groups: list };
  if (omittedBlocks > 0) snapshot.omitted = { blocks: omittedBlocks, bytes: omittedBytes };
  return snapshot;
}

/** Busy blocks and bytes a snapshot counts (its omitted blocks not included). */
export function snapshotTotals(snapshot: Snapshot): { blocks: number; bytes: number } {
  let blocks = 0;
  let bytes = 0;
  for (let i = 0; i < snapshot.groups.length; i++) {
    blocks += snapshot.groups[i].count;
    bytes += snapshot.groups[i].bytes;
  }
  return { blocks, bytes };
}

// ---------------------------------------------------------------------------------------------
// The file: JSON, a group per line, ASCII only (the data model's text writer writes ASCII by default).

/** The snapshot as the lines of its file (docs/snapshot-format.md). */
export function snapshotLines(snapshot: Snapshot): string[] {
  const header: { [field: string]: unknown } = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    name: snapshot.name,
    takenAt: snapshot.takenAt,
    process: { name: snapshot.process.name, id: snapshot.process.id },
    pointerSize: snapshot.pointerSize,
    stacks: snapshot.stacks,
  };
  if (snapshot.omitted) header.omitted = snapshot.omitted;
  const head = asciiJson(header);
  const lines = [head.slice(0, -1) + ',"groups":['];
  const groups = snapshot.groups;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    const fields: { [field: string]: unknown } = { stack: g.stack };
    if (g.stack === null && g.noStackReason !== undefined) fields.noStackReason = g.noStackReason;
    fields.type = g.type;
    fields.size = g.size;
    fields.count = g.count;
    fields.bytes = g.bytes;
    lines.push(asciiJson(fields) + (i + 1 < groups.length ? "," : ""));
  }
  lines.push("]}");
  return lines;
}

/** JSON with every character outside printable ASCII escaped (\uXXXX), which every JSON reader reads back. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4));
}

/**
 * The snapshot a file's text holds; throws a one-line Error saying what is wrong: not JSON (a
 * truncated file is that too), another format or version, a missing, unknown or bad field, a
 * bound passed.
 */
export function parseSnapshot(text: string): Snapshot {
  if (text.length > MAX_SNAPSHOT_CHARS) throw new Error(`it holds ${text.length} characters, more than the ${MAX_SNAPSHOT_CHARS} a snapshot file may`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${oneLine((e as Error).message)}); a file cut short reads so too`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error(`not a dxheap snapshot: the JSON is ${shown(data)}, not an object`);
  const root = data as Fields;
  if (root.format !== SNAPSHOT_FORMAT) throw new Error(`not a dxheap snapshot: its format is ${shown(root.format)}, not "${SNAPSHOT_FORMAT}"`);
  if (root.version !== SNAPSHOT_VERSION) throw new Error(`version ${shown(root.version)} is not supported (this dxheap reads version ${SNAPSHOT_VERSION})`);
  known(root, "", ["format", "version", "name", "takenAt", "process", "pointerSize", "stacks", "groups", "omitted"]);
  const owner = object(root.process, "process");
  known(owner, "process.", ["name", "id"]);
  const pointerSize = root.pointerSize;
  if (pointerSize !== 4 && pointerSize !== 8) throw bad("pointerSize", "4 or 8", pointerSize);
  if (typeof root.stacks !== "boolean") throw bad("stacks", "true or false", root.stacks);
  const takenAt = text1(root.takenAt, "takenAt", MAX_NAME);
  if (isNaN(Date.parse(takenAt))) throw bad("takenAt", "an ISO 8601 time", takenAt);
  const snapshot: Snapshot = {
    name: text1(root.name, "name", MAX_NAME),
    takenAt,
    process: { name: text1(owner.name, "process.name", MAX_TEXT), id: count(owner.id, "process.id", 0) },
    pointerSize,
    stacks: root.stacks,
    groups: [],
  };
  if (root.omitted !== undefined) {
    const omitted = object(root.omitted, "omitted");
    known(omitted, "omitted.", ["blocks", "bytes"]);
    snapshot.omitted = { blocks: count(omitted.blocks, "omitted.blocks", 1), bytes: count(omitted.bytes, "omitted.bytes", 0) };
  }
  if (!Array.isArray(root.groups)) throw bad("groups", "an array", root.groups);
  if (root.groups.length > MAX_SNAPSHOT_GROUPS) throw new Error(`it holds ${root.groups.length} groups, more than the ${MAX_SNAPSHOT_GROUPS} a snapshot may`);
  const seen = new Map<string, number>();
  for (let i = 0; i < root.groups.length; i++) {
    const at = `groups[${i}]`;
    const g = object(root.groups[i], at);
    known(g, at + ".", ["stack", "noStackReason", "type", "size", "count", "bytes"]);
    let stack: string[] | null = null;
    if (g.stack !== null) {
      if (!Array.isArray(g.stack) || g.stack.length === 0 || g.stack.length > MAX_FRAMES) throw bad(`${at}.stack`, `null or 1 to ${MAX_FRAMES} frames`, g.stack);
      stack = g.stack.map((frame, f) => symbolText(frame, `${at}.stack[${f}]`));
    }
    const group: SnapshotGroup = { stack, type: g.type === null ? null : symbolText(g.type, `${at}.type`), size: count(g.size, `${at}.size`, 0), count: count(g.count, `${at}.count`, 1), bytes: count(g.bytes, `${at}.bytes`, 0) };
    if (g.noStackReason !== undefined) {
      if (stack !== null) throw new Error(`bad field ${at}.noStackReason: a group with a stack has no reason to lack one`);
      group.noStackReason = text1(g.noStackReason, `${at}.noStackReason`, MAX_NAME);
    }
    if (group.bytes !== group.count * group.size) throw bad(`${at}.bytes`, `count * size = ${group.count * group.size}`, g.bytes);
    const key = groupKey(stack, group.type, group.size) + "\u0000" + (group.noStackReason || "");
    if (seen.has(key)) throw new Error(`bad field ${at}: the same stack, type and size as groups[${seen.get(key)}]`);
    seen.set(key, i);
    snapshot.groups.push(group);
  }
  return snapshot;
}

type Fields = { [field: string]: unknown };

function object(value: unknown, what: string): Fields {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad(what, "an object", value);
  return value as Fields;
}

function known(value: Fields, prefix: string, fields: string[]): void {
  for (const field of Object.keys(value)) if (fields.indexOf(field) < 0) throw new Error(`unknown field ${prefix}${field}`);
  for (let i = 0; i < fields.length; i++) {
    const optional = fields[i] === "omitted" || fields[i] === "noStackReason";
    if (!optional && !(fields[i] in value)) throw new Error(`missing field ${prefix}${fields[i]}`);
  }
}

function text1(value: unknown, field: string, max: number): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) throw bad(field, `a string of 1 to ${max} characters`, value);
  return value;
}

/** A frame or type name: no control character (frames are joined by line ends in keys). */
function symbolText(value: unknown, field: string): string {
  const text = text1(value, field, MAX_TEXT);
  if (/[\u0000-\u001f]/.test(text)) throw bad(field, "a name without control characters", value);
  return text;
}

function count(value: unknown, field: string, min: number): number {
  if (typeof value !== "number" || Math.floor(value) !== value || value < min || value > 9007199254740991) {
    throw bad(field, min === 0 ? "a non-negative integer" : `an integer of at least ${min}`, value);
  }
  return value;
}

function bad(field: string, expected: string, got: unknown): Error {
  return new Error(`bad field ${field}: expected ${expected}, got ${shown(got)}`);
}

/** A JSON value as an error message shows it: short, on one line. */
function shown(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------------------------------------
// The difference of two snapshots.

/** Blocks and bytes before and after. */
export interface Change {
  countBefore: number;
  countAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** One exact group (stack, type, size) in either snapshot; blocks without a stack are one stack, whatever the reason. */
export interface GroupChange extends Change {
  stack: string[] | null;
  type: string | null;
  size: number;
  /** Why the blocks have no stack, in either snapshot (empty when they have one). */
  noStackReasons: string[];
}

/** An allocation stack's blocks, of every type and size. */
export interface StackChange extends Change {
  stack: string[] | null;
  noStackReasons: string[];
  /** The types and requested sizes whose blocks changed, ascending (at most 64 of each). */
  types: (string | null)[];
  sizes: number[];
}

export interface TypeChange extends Change {
  type: string | null;
  sizes: number[];
}

export interface SizeChange extends Change {
  size: number;
}

export interface SnapshotDiff {
  before: Snapshot;
  after: Snapshot;
  total: Change;
  /** Every group of either snapshot, unchanged ones too, by groupKey. */
  groups: Map<string, GroupChange>;
  /** The stacks, types and sizes that changed, largest byte growth first (shrinkage last). */
  byStack: StackChange[];
  byType: TypeChange[];
  bySize: SizeChange[];
}

const MAX_LISTED = 64;

/** What changed from `before` to `after`. */
export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const groups = new Map<string, GroupChange>();
  const add = (snapshot: Snapshot, isAfter: boolean) => {
    for (let i = 0; i < snapshot.groups.length; i++) {
      const g = snapshot.groups[i];
      const key = groupKey(g.stack, g.type, g.size);
      let change = groups.get(key);
      if (!change) {
        change = { stack: g.stack, type: g.type, size: g.size, noStackReasons: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 };
        groups.set(key, change);
      }
      if (g.noStackReason !== undefined && change.noStackReasons.indexOf(g.noStackReason) < 0) change.noStackReasons.push(g.noStackReason);
      if (isAfter) {
        change.countAfter += g.count;
        change.bytesAfter += g.bytes;
      } else {
        change.countBefore += g.count;
        change.bytesBefore += g.bytes;
      }
    }
  };
  add(before, false);
  add(after, true);

  const total: Change = { countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 };
  const stacks = new Map<string, StackChange>();
  const types = new Map<string, TypeChange>();
  const sizes = new Map<number, SizeChange>();
  groups.forEach((g) => {
    accumulate(total, g);
    const changed = g.countBefore !== g.countAfter || g.bytesBefore !== g.bytesAfter;
    const stackKey = g.stack === null ? NO_STACK : g.stack.join("\n");
    let stack = stacks.get(stackKey);
    if (!stack) stacks.set(stackKey, (stack = { stack: g.stack, noStackReasons: [], types: [], sizes: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
    accumulate(stack, g);
    for (let i = 0; i < g.noStackReasons.length; i++) listOnce(stack.noStackReasons, g.noStackReasons[i]);
    if (changed) {
      listOnce(stack.types, g.type);
      listOnce(stack.sizes, g.size);
    }
    const typeKey = g.type === null ? "" : "=" + g.type;
    let type = types.get(typeKey);
    if (!type) types.set(typeKey, (type = { type: g.type, sizes: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
    accumulate(type, g);
    if (changed) listOnce(type.sizes, g.size);
    let size = sizes.get(g.size);
    if (!size) sizes.set(g.size, (size = { size: g.size, countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
    accumulate(size, g);
  });
  const byStack = changedRows(stacks);
  for (let i = 0; i < byStack.length; i++) {
    byStack[i].types.sort(byTypeName);
    byStack[i].sizes.sort((a, b) => a - b);
    byStack[i].noStackReasons.sort();
  }
  const byType = changedRows(types);
  for (let i = 0; i < byType.length; i++) byType[i].sizes.sort((a, b) => a - b);
  return { before, after, total, groups, byStack, byType, bySize: changedRows(sizes) };
}

/** The change of one exact group (stack, type, size) from diff.before to diff.after; undefined when neither snapshot has it. */
export function growthOf(diff: SnapshotDiff, stack: string[] | null, type: string | null, size: number): { count: number; bytes: number } | undefined {
  const change = diff.groups.get(groupKey(stack, type, size));
  return change && { count: change.countAfter - change.countBefore, bytes: change.bytesAfter - change.bytesBefore };
}

/** A group's identity in a diff: frames joined by line ends (no frame holds one), or none; the type or none; the size. */
export function groupKey(stack: string[] | null, type: string | null, size: number): string {
  return keyOf(stack === null ? NO_STACK : stack.join("\n"), type, size);
}

function keyOf(stackKey: string, type: string | null, size: number): string {
  return `${stackKey}\u0000${type === null ? NO_STACK : type}\u0000${size}`;
}

function accumulate(into: Change, from: Change): void {
  into.countBefore += from.countBefore;
  into.countAfter += from.countAfter;
  into.bytesBefore += from.bytesBefore;
  into.bytesAfter += from.bytesAfter;
}

function listOnce<T>(list: T[], value: T): void {
  if (list.length < MAX_LISTED && list.indexOf(value) < 0) list.push(value);
}

function byTypeName(a: string | null, b: string | null): number {
  return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;
}

/** The rows that changed, the largest byte growth first, then the largest count growth; ties keep their order. */
function changedRows<K, R extends Change>(rows: Map<K, R>): R[] {
  const out: R[] = [];
  rows.forEach((row) => {
    if (row.countBefore !== row.countAfter || row.bytesBefore !== row.bytesAfter) out.push(row);
  });
  return out.sort((a, b) => b.bytesAfter - b.bytesBefore - (a.bytesAfter - a.bytesBefore) || b.countAfter - b.countBefore - (a.countAfter - a.countBefore));
}
