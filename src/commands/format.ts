// Text renderers for the `!heap` look-alike commands. Column order, widths and hex style
// copy real WinDbg output: the seeds quoted in docs/seeds.md (000/001: -s, -stat, -flt; 003/004:
// -x, -srch) and public transcripts of the modern x86/x64 layouts where a seed has only one width.
// "§" below is docs/heap-structures.md.
// Every renderer returns lines ending in "\n". Choices not backed by a sample say so.

import { HeapSummary, PageHeapSummary, SegmentHeapSummary } from "../analysis/summary";
import { SizeStatistics, StatGroupBy } from "../analysis/stat";
import { Reference } from "../analysis/find";
import { PatternHit } from "../analysis/search";
import {
  BLOCK_KINDS,
  BlockTable,
  HeapWalk,
  KIND_BACKEND,
  KIND_LFH,
  KIND_VIRTUAL_ALLOC,
  STATE_FREE,
  STATE_FREED,
  STATE_INTERNAL,
} from "../heap/records";
import { hex, hex0x, hexAddress, padHex, signedHex } from "../util/hex";
import { SymbolName } from "../stacks/symbolizer";
import { Change, StackChange } from "../analysis/snapshot";
import { FLAG_BUSY, FLAG_EXTRA_PRESENT, FLAG_FILL_PATTERN, FLAG_INTERNAL, FLAG_SETTABLE } from "../walkers/nt/entry";

type PointerSize = 4 | 8;

// ---------------------------------------------------------------------------------------
// !heap -s

/** A 64-bit value as two dwords: numbers are exact only below 2^53 and the x64 key is random. */
export interface Dwords64 {
  high: number;
  low: number;
}

export interface SummaryTableOptions {
  pointerSize: PointerSize;
  /** ntdll!RtlpLFHKey; the "LFH Key" line is printed only when given. */
  lfhKey?: number | Dwords64;
}

/**
 * The fragmentation lines under a row print only past a threshold (§3.1: unknown). These
 * thresholds are INFERRED to fit every sample table (seeds 000 and 001, §3.1, and four
 * public x86/x64 transcripts):
 *  - "External fragmentation" prints from 10 % (printed values: 13–93 %; seed 000 prints it
 *    for heaps with as few as 27 free blocks and 189 KiB free, so no size condition shows).
 *  - "Virtual address fragmentation" prints from 10 % when at least 32 MiB is reserved but
 *    uncommitted. Printed: 34 % with 42.8 MiB uncommitted (seed 000), 84 % with 643 MiB
 *    (§3.1). Not printed: 55–81 % with under 18 MiB (seed 000, transcripts) and 20 % with
 *    16 MiB (seed 001, heap 00d40000).
 */
const FRAGMENTATION_PERCENT_THRESHOLD = 10;
const VA_FRAGMENTATION_MIN_UNCOMMITTED_BYTES = 32 * 1024 * 1024;

/** The banner of seeds 000/001 ("NT HEAP STATS BELOW", preceded by two empty lines). */
const STARS = "*".repeat(120);
const SUMMARY_HEADER_1 = "  Heap     Flags   Reserv  Commit  Virt   Free  List   UCR  Virt  Lock  Fast ";
const SUMMARY_HEADER_2 = "                    (k)     (k)    (k)     (k) length      blocks cont. heap ";

/**
 * `!heap -s` for all heaps. x64 shifts the header right by 8 and widens the rule to 85
 * (public x64 transcripts). "Termination on corruption" is not printed: nothing here
 * knows it (its ntdll variable is UNVERIFIED, §3.1).
 */
export function formatHeapSummaryTable(summaries: HeapSummary[], options: SummaryTableOptions): string {
  const widen = " ".repeat(options.pointerSize * 2 - 8);
  const rule = "-".repeat(77 + widen.length);
  const lines = ["", "", STARS, " ".repeat(46) + "NT HEAP STATS BELOW", STARS];
  if (options.lfhKey !== undefined) lines.push("LFH Key                   : 0x" + lfhKeyDigits(options.lfhKey, options.pointerSize));
  lines.push(widen + SUMMARY_HEADER_1, widen + SUMMARY_HEADER_2, rule);
  for (let i = 0; i < summaries.length; i++) {
    lines.push(summaryRow(summaries[i], options.pointerSize));
    appendFragmentationLines(summaries[i], lines);
  }
  lines.push(rule);
  return joinLines(lines);
}

/**
 * The segment heaps' table after the NT one. WinDbg prints segment heaps in a table of their own
 * on Windows 10+ whose columns are UNVERIFIED (docs/heap-structures.md §3.1 "Segment heaps"):
 * these are a choice, from the counters a segment heap keeps (sizes in decimal KiB, like -s).
 */
export function formatSegmentHeapSummaryTable(summaries: SegmentHeapSummary[], pointerSize: PointerSize): string {
  const widen = " ".repeat(pointerSize * 2 - 8);
  const rule = "-".repeat(86 + widen.length);
  const lines = ["", STARS, " ".repeat(45) + "SEGMENT HEAP STATS BELOW", STARS];
  lines.push(widen + "  Heap     Flags   Reserv  Commit  Free    VS free LFH free Large   Large Segments");
  lines.push(widen + "                    (k)     (k)    (k)      (k)      (k)   (k)  blocks          ");
  lines.push(rule);
  for (let i = 0; i < summaries.length; i++) {
    const s = summaries[i];
    lines.push(
      hexAddress(s.heapAddress, pointerSize) + " " + padHex(s.flags, 8) +
        padLeft(String(kib(s.reservedBytes)), 8) + padLeft(String(kib(s.committedBytes)), 7) +
        padLeft(String(kib(s.freeCommittedBytes)), 7) + padLeft(String(kib(s.vsFreeBytes)), 9) +
        padLeft(String(kib(s.lfhFreeCommittedBytes)), 9) + padLeft(String(kib(s.largeCommittedBytes)), 6) +
        padLeft(String(s.largeBlockCount), 8) + "  " + s.segmentsPerContext.join("+"),
    );
  }
  lines.push(rule);
  return joinLines(lines);
}

/**
 * !heaps for page heaps (gflags +hpa): our own table in !heap -s's style (WinDbg's !heap -s prints
 * page heaps differently; no sample of it is quoted in docs/seeds.md).
 */
export function formatPageHeapTable(summaries: PageHeapSummary[], pointerSize: PointerSize): string {
  const widen = " ".repeat(pointerSize * 2 - 8);
  const rule = "-".repeat(79 + 2 * widen.length);
  const lines = ["", STARS, " ".repeat(46) + "PAGE HEAP STATS BELOW", STARS];
  lines.push(widen + "  Heap     Flags   Full-page  Bytes (k)  Freed  Bytes (k)  Light  Bytes (k)  " + widen + "NormalHeap");
  lines.push(rule);
  for (let i = 0; i < summaries.length; i++) {
    const s = summaries[i];
    lines.push(
      hexAddress(s.heapAddress, pointerSize) + " " + padHex(s.flags, 8) +
        padLeft(String(s.fullPageBusy), 11) + padLeft(String(kib(s.fullPageBusyBytes)), 11) +
        padLeft(String(s.freed), 7) + padLeft(String(kib(s.freedBytes)), 11) +
        padLeft(String(s.lightBusy), 7) + padLeft(String(kib(s.lightBusyBytes)), 11) + "  " +
        (s.normalHeap ? hexAddress(s.normalHeap, pointerSize) : "-"),
    );
  }
  lines.push(rule);
  return joinLines(lines);
}

function lfhKeyDigits(key: number | Dwords64, pointerSize: PointerSize): string {
  if (typeof key === "number") return padHex(key, pointerSize * 2);
  return padHex(key.high, 8) + padHex(key.low, 8);
}

/** Widths measured on the whitespace-exact rows of seed 001; sizes in decimal KiB, Lock cont. in hex. */
function summaryRow(s: HeapSummary, pointerSize: PointerSize): string {
  return (
    hexAddress(s.heapAddress, pointerSize) +
    " " +
    padHex(s.flags, 8) +
    padLeft(String(kib(s.reservedBytes)), 8) +
    padLeft(String(kib(s.committedBytes)), 7) +
    padLeft(String(kib(s.virtualBytes)), 7) +
    padLeft(String(kib(s.freeBytes)), 7) +
    padLeft(String(s.freeBlockCount), 6) +
    padLeft(String(s.uncommittedRangeCount), 6) +
    padLeft(String(s.virtualBlockCount), 5) +
    padLeft(hex(s.lockContention), 7) +
    padLeft(s.fastHeap, 6)
  );
}

function appendFragmentationLines(s: HeapSummary, lines: string[]): void {
  if (s.externalFragmentation >= FRAGMENTATION_PERCENT_THRESHOLD) {
    lines.push(`    External fragmentation  ${s.externalFragmentation} % (${s.freeBlockCount} free blocks)`);
  }
  const uncommitted = s.reservedBytes - s.committedBytes;
  if (
    s.virtualAddressFragmentation >= FRAGMENTATION_PERCENT_THRESHOLD &&
    uncommitted >= VA_FRAGMENTATION_MIN_UNCOMMITTED_BYTES
  ) {
    // "uncommited" is WinDbg's spelling.
    lines.push(
      `    Virtual address fragmentation  ${s.virtualAddressFragmentation} % (${s.uncommittedRangeCount} uncommited ranges)`,
    );
  }
}

function kib(bytes: number): number {
  return Math.floor(bytes / 1024);
}

// ---------------------------------------------------------------------------------------
// !heap -stat -h

/** Only TOTSIZE is seen in real output; ALLOCATIONSIZE and BLOCKCOUNT are UNVERIFIED (§3.2). */
const GROUP_BY_LABELS: { [K in StatGroupBy]: string } = { A: "ALLOCATIONSIZE", B: "BLOCKCOUNT", S: "TOTSIZE" };

/** `!heap -stat -h HEAP`, as in seed 001 (whitespace-exact): sizes in hex, percent to 2 decimals. */
export function formatSizeStatistics(
  heapAddress: number,
  groupBy: StatGroupBy,
  maxRows: number,
  stats: SizeStatistics,
  pointerSize: PointerSize,
): string {
  const lines = [
    " heap @ " + hexAddress(heapAddress, pointerSize),
    "group-by: " + GROUP_BY_LABELS[groupBy] + " max-display: " + maxRows,
    "    size     #blocks     total     ( %) (percent of total busy bytes)",
  ];
  for (let i = 0; i < stats.rows.length; i++) {
    const row = stats.rows[i];
    // The seeds' percentages fit printf("%.2f") rounding and not truncation.
    lines.push(`    ${hex(row.size)} ${hex(row.count)} - ${hex(row.total)}  (${row.percent.toFixed(2)})`);
  }
  return joinLines(lines);
}

// ---------------------------------------------------------------------------------------
// !heap -flt

/**
 * One heap's part of `!heap -flt` (seed 001, whitespace-exact; x64 widths from public
 * transcripts): "_HEAP @" with the address unpadded, then, when rows match, the header and
 * one line per row. Size and Prev are in granules, UserSize is at least 5 hex digits.
 */
export function formatBlockRows(walk: HeapWalk, rows: number[], pointerSize: PointerSize): string {
  const lines = ["    _HEAP @ " + hex(walk.address)];
  if (rows.length > 0) {
    const digits = pointerSize * 2;
    lines.push(
      padLeft("HEAP_ENTRY", 8 + digits) + " Size Prev Flags" + padLeft("UserPtr", digits + 3) + " UserSize - state",
    );
  }
  const blocks = walk.blocks;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    lines.push(
      "        " +
        hexAddress(blocks.address[row], pointerSize) +
        " " +
        padHex(granules(walk, blocks.size[row]), 4) +
        " " +
        padHex(granules(walk, blocks.previousSize[row]), 4) +
        "  [" +
        padHex(entryFlagsColumn(blocks.flags[row]), 2) +
        "]   " +
        hexAddress(blocks.userAddress[row], pointerSize) +
        "    " +
        padHex(blocks.userSize[row], 5) +
        " - " +
        entryStateText(blocks, row),
    );
  }
  return joinLines(lines);
}

// ---------------------------------------------------------------------------------------
// !heap -x [-v]

/**
 * `!heap -x` for one block: the modern layout with the Unused column and a rule (public
 * x86 and x64 transcripts; seeds 003/004 show an older one without them). Size, PrevSize
 * and Unused in bytes. LFH rows print PrevSize "-" (§6c.6) and, in the Segment column, the
 * UserBlocks container (WinDbg prints the owning _HEAP_SUBSEGMENT, which the walk does not
 * record); VirtualAlloc rows print Segment 0 (a choice). With `references` (-v), the
 * "Search VM" line follows: the range is [entry, entry + size − 1], each hit "loc (value),"
 * as in seeds 003/004 (separating several hits by a space is a choice).
 */
export function formatFoundBlock(walk: HeapWalk, row: number, pointerSize: PointerSize, references?: Reference[]): string {
  const blocks = walk.blocks;
  const lines = [...blockTableHeader(pointerSize), blockTableRow(walk, row, pointerSize)];
  if (references) {
    const start = blocks.address[row];
    const hits: string[] = [];
    for (let i = 0; i < references.length; i++) {
      hits.push(hexAddress(references[i].location, pointerSize) + " (" + hexAddress(references[i].value, pointerSize) + "),");
    }
    lines.push(
      "",
      "Search VM for address range " +
        hexAddress(start, pointerSize) +
        " - " +
        hexAddress(start + blocks.size[row] - 1, pointerSize) +
        " : " +
        hits.join(" "),
    );
  }
  return joinLines(lines);
}

/** The column header and rule of -x and -l rows. */
export function blockTableHeader(pointerSize: PointerSize): string[] {
  const digits = pointerSize * 2;
  return [
    padRight("Entry", digits + 2) + padRight("User", digits + 2) + padRight("Heap", digits + 2) + padRight("Segment", digits) +
      padLeft("Size", 10) + padLeft("PrevSize", 10) + "  Unused    Flags",
    "-".repeat(45 + 4 * digits),
  ];
}

/** One -x / -l row: Entry, User, Heap, Segment, Size, PrevSize, Unused, Flags. */
export function blockTableRow(walk: HeapWalk, row: number, pointerSize: PointerSize): string {
  const blocks = walk.blocks;
  return (
    hexAddress(blocks.address[row], pointerSize) + "  " + hexAddress(blocks.userAddress[row], pointerSize) + "  " +
    hexAddress(walk.address, pointerSize) + "  " + hexAddress(segmentColumn(walk, row), pointerSize) +
    padLeft(hex(blocks.size[row]), 10) +
    (blocks.kind[row] === KIND_LFH ? "      -   " : padLeft(hex(blocks.previousSize[row]), 10)) +
    padLeft(hex(unusedBytes(blocks, row)), 10) + "  " + flagWords(blocks, row)
  );
}

function segmentColumn(walk: HeapWalk, row: number): number {
  const blocks = walk.blocks;
  if (blocks.kind[row] === KIND_LFH) return blocks.userAddress[blocks.container[row]];
  const segment = walk.segments[blocks.segment[row]];
  return segment ? segment.address : 0;
}

function unusedBytes(blocks: BlockTable, row: number): number {
  return blocks.state[row] === STATE_FREE ? 0 : Math.max(0, blocks.size[row] - blocks.userSize[row]);
}

/**
 * The Flags words of `!heap -x` / `-l`, each followed by a space as in the transcripts
 * ("busy ", "busy extra fill ", "LFH;busy "); "internal" is preceded by a second space
 * ("busy extra fill  internal"). "VirtualAlloc" and "LFH;free" are choices; "user_flag"
 * (any settable flag) is from seeds 003/004.
 */
function flagWords(blocks: BlockTable, row: number): string {
  const state = blocks.state[row];
  const kind = blocks.kind[row];
  const busyOrFree = state === STATE_FREE ? "free " : state === STATE_FREED ? "freed " : "busy ";
  if (kind === KIND_LFH) return "LFH;" + busyOrFree;
  // Segment-heap blocks have no _HEAP_ENTRY flags: their kind (a choice, like the words above).
  if (kind !== KIND_BACKEND && kind !== KIND_VIRTUAL_ALLOC) return `${BLOCK_KINDS[kind]};${busyOrFree}${state === STATE_INTERNAL ? " internal " : ""}`;
  const flags = blocks.flags[row];
  let words = busyOrFree;
  if (flags & FLAG_EXTRA_PRESENT) words += "extra ";
  if (flags & FLAG_FILL_PATTERN) words += "fill ";
  if (kind === KIND_VIRTUAL_ALLOC) words += "VirtualAlloc ";
  else if (state === STATE_INTERNAL || flags & FLAG_INTERNAL) words += " internal ";
  if (flags & FLAG_SETTABLE) words += "user_flag ";
  return words;
}

// ---------------------------------------------------------------------------------------
// !heap -srch

/**
 * `!heap -srch`, as in seed 004 (whitespace-exact): for every hit the "_HEAP @" and header
 * lines again, the entry in upper-case hex with Size/Prev in granules, and, when given, the
 * symbol of the pattern value (every hit holds the same value, so one symbol serves all).
 * UserSize is printed with the pointer's width of digits (8 in the sample; 16 on x64 is a choice).
 */
export function formatSearchHits(walk: HeapWalk, hits: PatternHit[], pointerSize: PointerSize, patternSymbol?: string): string {
  const blocks = walk.blocks;
  const lines: string[] = [];
  for (let i = 0; i < hits.length; i++) {
    const row = hits[i].row;
    lines.push(
      "    _HEAP @ " + upperAddress(walk.address, pointerSize),
      "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state",
      "        " +
        upperAddress(blocks.address[row], pointerSize) +
        ": " +
        upperHex(granules(walk, blocks.size[row]), 4) +
        " : " +
        upperHex(granules(walk, blocks.previousSize[row]), 4) +
        " [" +
        upperHex(entryFlagsColumn(blocks.flags[row]), 2) +
        "] - " +
        upperAddress(blocks.userAddress[row], pointerSize) +
        " (" +
        upperAddress(blocks.userSize[row], pointerSize) +
        ") - " +
        entryStateText(blocks, row),
    );
    if (patternSymbol) lines.push("          " + patternSymbol);
  }
  return joinLines(lines);
}

// ---------------------------------------------------------------------------------------
// Shared pieces

/**
 * The Flags column of -flt / -srch rows. Every modern sample prints [00] for busy blocks,
 * backend and VirtualAlloc alike (seeds 000/001, §6c.7), so the bits the state column
 * spells out (busy, VirtualAlloc/internal) are left out here. INFERRED; the XP-era samples
 * printed the raw byte ([01] in seed 004's -srch, [07] in §3.3's -flt legend).
 */
function entryFlagsColumn(flags: number): number {
  return flags & ~(FLAG_BUSY | FLAG_INTERNAL);
}

/**
 * "(busy)", "(busy VirtualAlloc)" (seed 000), "(free)"; "(busy LFH)", "(busy internal)", the
 * segment heap's "(busy VS)", "(busy Large)", "(busy PageRange)" and the page heap's "(busy PageHeap)",
 * "(freed PageHeap)" are choices.
 */
function entryStateText(blocks: BlockTable, row: number): string {
  let text = blocks.state[row] === STATE_FREE ? "(free" : blocks.state[row] === STATE_FREED ? "(freed" : "(busy";
  const kind = blocks.kind[row];
  if (kind === KIND_BACKEND) {
    if (blocks.state[row] === STATE_INTERNAL) text += " internal";
  } else {
    text += " " + BLOCK_KINDS[kind];
    if (blocks.state[row] === STATE_INTERNAL) text += " internal";
  }
  return text + ")";
}

function granules(walk: HeapWalk, bytes: number): number {
  return Math.floor(bytes / walk.granularity);
}

function upperAddress(value: number, pointerSize: PointerSize): string {
  return hexAddress(value, pointerSize).toUpperCase();
}

function upperHex(value: number, width: number): string {
  return padHex(value, width).toUpperCase();
}

function padLeft(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

function padRight(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function joinLines(lines: string[]): string {
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------
// Allocation stacks: !heapstack, !heapstacks, !heaptypes

/**
 * Stack lines as `!heap -p -a` prints a +ust or page-heap trace: the return address, then
 * module!function+0xoffset with the offset as wide as a pointer (public transcripts of -p -a; the
 * address without leading zeros is a choice).
 */
export function formatStackLines(frames: number[], names: (address: number) => SymbolName, pointerSize: PointerSize, indent = "        "): string {
  const lines: string[] = [];
  for (let i = 0; i < frames.length; i++) {
    const name = names(frames[i]);
    const where = name.module
      ? `${name.module.name}${name.symbol ? "!" + name.symbol : ""}+0x${padHex(name.offset, pointerSize * 2)}`
      : hex(frames[i]);
    lines.push(`${indent}${hex(frames[i])} ${where}`);
  }
  return joinLines(lines);
}

/** One group of !heapstacks: its count, bytes and sizes, then its stack or why it has none. */
export function formatStackGroup(count: number, bytes: number, sizes: number[], stackText: string): string {
  const shown = sizes.slice(0, 8).map((s) => "0x" + hex(s)).join(", ") + (sizes.length > 8 ? ", ..." : "");
  const text = stackText.replace(/\n$/, "");
  return `0x${hex(count)} blocks, 0x${hex(bytes)} bytes (sizes ${shown})${text.indexOf("\n") >= 0 || /^\s/.test(text) ? ":\n" + text : ": " + text}\n`;
}

/** !heaptypes: count, bytes and the class (or "size 0x…") per line. */
export function formatTypeRows(rows: { count: number; bytes: number; key: string }[]): string {
  const lines = ["     count        bytes  type"];
  for (let i = 0; i < rows.length; i++) {
    lines.push(padLeft("0x" + hex(rows[i].count), 10) + padLeft("0x" + hex(rows[i].bytes), 13) + "  " + rows[i].key);
  }
  return joinLines(lines);
}

// ---------------------------------------------------------------------------------------
// Snapshot differences: !heapdiff. UMDH's diff shows each trace's growth as
// "+ bytes (new - old) count allocs" over its frames; these rows say the same in dxheap's words.

/** A changed allocation stack: the change of its blocks and bytes (before -> after), its sizes and types, then its frames. */
export function formatStackChange(change: StackChange): string {
  const sizes = change.sizes.slice(0, 8).map(hex0x).join(", ") + (change.sizes.length > 8 ? ", ..." : "");
  const typed = change.types.filter((t) => t !== null) as string[];
  const types = typed.length === 0 ? "" : `, types ${typed.slice(0, 4).join(", ")}${typed.length > 4 ? ", ..." : ""}`;
  const head = `${changeText(change)}, sizes ${sizes}${types}`;
  if (!change.stack) return `${head}: no stack (${change.noStackReasons.join(", ")})\n`;
  return `${head}:\n` + joinLines(change.stack.map((frame) => "        " + frame));
}

/** Changed types or sizes, a line each: blocks and bytes gained, blocks before and after, the type or size. */
export function formatChangeRows(rows: { change: Change; key: string }[], keyTitle: string): string {
  const lines = ["    blocks        bytes    before     after  " + keyTitle];
  for (let i = 0; i < rows.length; i++) {
    const c = rows[i].change;
    lines.push(padLeft(signedHex(c.countAfter - c.countBefore), 10) + padLeft(signedHex(c.bytesAfter - c.bytesBefore), 13) + padLeft(hex0x(c.countBefore), 10) + padLeft(hex0x(c.countAfter), 10) + "  " + rows[i].key);
  }
  return joinLines(lines);
}

/** "+0x258 blocks (0x960 -> 0xbb8), +0xa8c0 bytes (0x2a300 -> 0x34bc0)". */
export function changeText(change: Change): string {
  return `${signedHex(change.countAfter - change.countBefore)} blocks (${hex0x(change.countBefore)} -> ${hex0x(change.countAfter)}), ` +
    `${signedHex(change.bytesAfter - change.bytesBefore)} bytes (${hex0x(change.bytesBefore)} -> ${hex0x(change.bytesAfter)})`;
}
