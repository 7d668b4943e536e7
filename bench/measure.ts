// One image, measured in a process of its own (so that one image's memory never shows in
// another's figures), through the Node host as WinDbg would run dxheap: the limit (every committed
// byte read once through the host), the floor (bench/floor.ts), the walk, the commands on a walked
// heap and the iteration of every block object. Each time is the best of `repeat` runs, the walk
// and each command in a fresh session (so each pays what a first use pays). Prints one JSON
// object (Measurement) on stdout. Run by bench/run.ts: node --expose-gc --import tsx bench/measure.ts JSON.
import * as fs from "fs";
import * as path from "path";
import * as v8 from "v8";
import { loadTarget } from "../nodehost/load";
import { ScriptSession } from "../nodehost/session";
import type { TargetData } from "../nodehost/target";
import { FloorRows, floorDecode, floorScan } from "./floor";

const BUNDLE = path.join(__dirname, "..", "dist", "dxheap.js");
const LIMIT_SCRIPT = path.join(__dirname, "limit.js");

export interface MeasureRequest {
  dumpPath: string;
  /** Blocks the writer placed. */
  blocks: number;
  repeat: number;
}

export interface Measurement {
  blocks: number;
  committedBytes: number;
  limitMs: number;
  floorMs: number;
  /** The floor's decode through 4 MiB copies, writing a row per block (bench/floor.ts): a walk with nothing more to do. */
  minimalWalkMs: number;
  walkMs: number;
  /** The walk's own host reads (each address and length, in order) replayed through the same host, with no decoding. */
  walkReadsMs: number;
  walk: { reads: number; bytes: number; hostCalls: number; typedObjects: number; findings: number };
  /** Peak resident memory the first walk added, and what it keeps once collected. */
  peakBytes: number;
  retainedBytes: number;
  /** Bytes of the largest committed run of the heaps and of the sealed block tables. */
  largestRunBytes: number;
  heapstatMs: number;
  heapfindMs: number;
  referencesMs: number;
  /**
   * rawReadMs: what the scan read, merged, read once through the host; scanFloorMs: a minimal scan
   * of the same bytes through 4 MiB copies (bench/floor.ts floorScan).
   */
  leaks: { ms: number; rawReadMs: number; scanFloorMs: number; scannedBytes: number; reads: number; bytes: number };
  triageMs: number | undefined;
  iterate: { ms: number; blocks: number; hostCalls: number; typedObjects: number };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => { throw new Error("run with --expose-gc"); });

function main(): void {
  const request = JSON.parse(process.argv[2]) as MeasureRequest;
  const target = loadTarget(request.dumpPath);
  const types = target.modules.find((m) => m.name.toLowerCase() === "ntdll.dll")?.types;
  if (!types) throw new Error(`no ntdll types beside ${request.dumpPath}`);
  const committedBytes = target.regions.reduce((sum, r) => sum + r.bytes.length, 0);

  // The first walk, in a process that has done nothing else yet: its peak and what it keeps.
  gc();
  const first = ScriptSession.load(BUNDLE, target, { logAccesses: true });
  const heaps: any[] = [...first.process.Heaps];
  gc();
  gc();
  const before = memory();
  resetPeak();
  first.resetCounters();
  let start = performance.now();
  for (const heap of heaps) void heap.Segments;
  let walkMs = performance.now() - start;
  const peakBytes = peakResident() - before.resident;
  gc();
  gc();
  const retainedBytes = memory().used - before.used;
  const c = first.counters;
  let blocks = 0;
  let findings = 0;
  let largestRunBytes = 0;
  for (const heap of heaps) {
    blocks += (first.scriptObject(heap.Blocks) as { count(): number }).count();
    findings += [...heap.Findings].length;
    for (const segment of heap.Segments) largestRunBytes = Math.max(largestRunBytes, largestRun(segment));
  }
  const walk = { reads: c.memoryReads, bytes: c.bytesRead, hostCalls: c.hostCalls, typedObjects: c.typedObjectsCreated, findings };
  // Every read of the walk, as the walk made it: what the walk costs before it decodes anything.
  const walkReads = first.accessLog!.reads.flatMap((r) => [Number(r.address), r.length]);
  if (blocks !== request.blocks) throw new Error(`the walk found ${blocks} blocks; the writer placed ${request.blocks}`);

  const floor = floorDecode(target, types);
  if (floor.blocks !== request.blocks) throw new Error(`the floor decoder found ${floor.blocks} blocks; the writer placed ${request.blocks}`);
  let floorMs = Infinity;
  let minimalWalkMs = Infinity;
  let limitMs = Infinity;
  let walkReadsMs = Infinity;
  const reader = ScriptSession.load(LIMIT_SCRIPT, target);

  // The walk again, and each command on a walked heap, each round in a fresh session.
  const address = probeAddress(first, heaps);
  let heapstatMs = Infinity, heapfindMs = Infinity, referencesMs = Infinity, triageMs: number | undefined;
  let leaks = { ms: Infinity, rawReadMs: Infinity, scanFloorMs: Infinity, scannedBytes: 0, reads: 0, bytes: 0 };
  const span = heapSpan(first, heaps);
  let iterate = { ms: Infinity, blocks: 0, hostCalls: 0, typedObjects: 0 };
  // Each round measures the limit and the floor next to the walk: a busy machine slows all alike.
  for (let i = 0; i < request.repeat; i++) {
    gc();
    limitMs = Math.min(limitMs, timed(() => readOnce(reader, target)));
    floorMs = Math.min(floorMs, timed(() => floorDecode(target, types)));
    gc();
    minimalWalkMs = Math.min(minimalWalkMs, timed(() => floorDecode(target, types, new FloorRows(blocks))));
    gc();
    walkReadsMs = Math.min(walkReadsMs, timed(() => reader.alias("replay", walkReads)));
    gc();
    const session = ScriptSession.load(BUNDLE, target, { logAccesses: true });
    const list: any[] = [...session.process.Heaps];
    start = performance.now();
    for (const heap of list) void heap.Segments;
    walkMs = Math.min(walkMs, performance.now() - start);
    heapstatMs = Math.min(heapstatMs, timed(() => session.alias("heapstat")));
    heapfindMs = Math.min(heapfindMs, timed(() => session.alias("heapfind", address)));
    referencesMs = Math.min(referencesMs, timed(() => session.alias("heapfind", address, true)));
    session.resetCounters();
    const leakMs = timed(() => session.alias("heapleaks"));
    if (leakMs < leaks.ms) {
      const log = session.accessLog!;
      const ranges = merged(log.reads.map((r) => ({ base: Number(r.address), size: r.length })));
      const scannedBytes = ranges.reduce((sum, r) => sum + r.size, 0);
      leaks = { ms: leakMs, rawReadMs: Infinity, scanFloorMs: Infinity, scannedBytes, reads: session.counters.memoryReads, bytes: session.counters.bytesRead };
      for (let k = 0; k < request.repeat; k++) {
        leaks.rawReadMs = Math.min(leaks.rawReadMs, timed(() => readRanges(reader, ranges)));
        leaks.scanFloorMs = Math.min(leaks.scanFloorMs, timed(() => floorScan(target, ranges, span.low, span.high)));
      }
    }
    if (session.aliasNames.includes("heaptriage")) triageMs = Math.min(triageMs ?? Infinity, timed(() => session.alias("heaptriage")));
    session.resetCounters();
    const it = iterateBlocks(session, list);
    if (it.ms < iterate.ms) iterate = { ...it, hostCalls: session.counters.hostCalls, typedObjects: session.counters.typedObjectsCreated };
  }
  const result: Measurement = {
    blocks, committedBytes, limitMs, floorMs, minimalWalkMs, walkMs, walkReadsMs, walk, peakBytes, retainedBytes, largestRunBytes,
    heapstatMs, heapfindMs, referencesMs, leaks, triageMs, iterate,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

function timed(action: () => unknown): number {
  const start = performance.now();
  action();
  return performance.now() - start;
}

/** Every committed byte of the dump, read once through the host (bench/limit.js): the limit. */
function readOnce(reader: ScriptSession, target: TargetData): void {
  readRanges(reader, target.regions.map((r) => ({ base: Number(r.base), size: r.bytes.length })));
}

function readRanges(reader: ScriptSession, ranges: { base: number; size: number }[]): void {
  reader.alias("readall", ranges.flatMap((r) => [r.base, r.size]));
}

function merged(ranges: { base: number; size: number }[]): { base: number; size: number }[] {
  const sorted = ranges.filter((r) => r.size > 0).sort((a, b) => a.base - b.base);
  const out: { base: number; size: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.base <= last.base + last.size) last.size = Math.max(last.size, r.base + r.size - last.base);
    else out.push({ ...r });
  }
  return out;
}

/** Every block object of every heap, script-side, with the properties a listing shows. */
function iterateBlocks(session: ScriptSession, heaps: any[]): { ms: number; blocks: number } {
  const collections = heaps.map((heap) => session.scriptObject(heap.Blocks) as Iterable<{ value: Record<string, unknown> }>);
  gc();
  let blocks = 0;
  let sink = 0;
  const start = performance.now();
  for (const collection of collections) {
    for (const item of collection) {
      const b = item.value;
      if (b.Address !== b.UserAddress && b.Size !== b.UserSize && b.State !== b.Kind) sink++;
      blocks++;
    }
  }
  const ms = performance.now() - start;
  if (sink < 0) throw new Error("unreachable");
  return { ms, blocks };
}

/** The heaps' span, from their blocks: the range a scanned word must fall in to be looked up. */
function heapSpan(session: ScriptSession, heaps: any[]): { low: number; high: number } {
  let low = Infinity;
  let high = 0;
  for (const heap of heaps) {
    for (const item of session.scriptObject(heap.Blocks) as Iterable<{ value: Record<string, unknown> }>) {
      const address = Number(item.value.Address);
      low = Math.min(low, address);
      high = Math.max(high, address + Number(item.value.Size));
    }
  }
  return { low, high };
}

/** A busy LFH block's user address in the middle of the large heap: !heapfind's address. */
function probeAddress(session: ScriptSession, heaps: any[]): number {
  const heap = heaps[heaps.length - 1];
  const blocks = session.scriptObject(heap.Blocks) as { count(): number; getValueAt(i: number): Record<string, unknown> };
  for (let i = Math.floor(blocks.count() / 2); i < blocks.count(); i++) {
    const b = blocks.getValueAt(i);
    if (b.State === "Busy" && b.Kind === "LFH") return Number(b.UserAddress) + 8;
  }
  throw new Error("no busy LFH block");
}

function largestRun(segment: any): number {
  let largest = 0;
  let start = Number(segment.FirstEntry);
  for (const range of segment.UncommittedRanges) {
    largest = Math.max(largest, Number(range.Address) - start);
    start = Number(range.Address) + Number(range.Size);
  }
  return Math.max(largest, Number(segment.LastValidEntry) - start);
}

/**
 * Resident memory, and what the script's data uses: the V8 heap but for compiled code (a walk's
 * code is the same for any heap size) and array buffers (the block tables).
 */
function memory(): { resident: number; used: number } {
  const usage = process.memoryUsage();
  let code = 0;
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name.startsWith("code")) code += space.space_used_size;
  return { resident: residentFromProc("VmRSS") ?? usage.rss, used: usage.heapUsed - code + usage.arrayBuffers };
}

/** Linux: clear_refs 5 resets VmHWM, the peak resident set, to the current one (proc(5)). */
function resetPeak(): void {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Elsewhere the peak is the process's since it started.
  }
}

function peakResident(): number {
  return residentFromProc("VmHWM") ?? process.resourceUsage().maxRSS * 1024;
}

function residentFromProc(field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

main();
