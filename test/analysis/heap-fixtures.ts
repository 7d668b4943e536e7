// Hand-built heap walks and a byte-array Memory for the analysis tests (no host involved).

import {
  BlockTableBuilder,
  HeapWalk,
  KIND_BACKEND,
  KIND_LFH,
  KIND_VIRTUAL_ALLOC,
  NONE,
  SegmentRecord,
  STATE_BUSY,
  STATE_FREE,
  STATE_INTERNAL,
} from "../../src/heap/records";
import { Memory, MemoryRun, UnreadableMemoryError } from "../../src/host/memory-types";

/** One row of a hand-built walk; container is the row index of the block holding it. */
export interface RowSpec {
  address: number;
  userAddress: number;
  size: number;
  userSize: number;
  previousSize: number;
  state: number;
  kind: number;
  flags: number;
  segment: number;
  container: number;
}

export interface WalkSpec {
  address: number;
  flags?: number;
  granularity?: number;
  lfh?: boolean;
  segments?: SegmentRecord[];
  rows: Partial<RowSpec>[];
  virtualBlockCount?: number;
  lockCollisions?: number;
  totalMemoryLargeUCR?: number;
}

export function makeWalk(spec: WalkSpec): HeapWalk {
  const blocks = new BlockTableBuilder();
  for (const partial of spec.rows) {
    const row: RowSpec = {
      address: 0, userAddress: 0, size: 0, userSize: 0, previousSize: 0, state: STATE_BUSY, kind: KIND_BACKEND,
      flags: 0, segment: 0, container: NONE, ...partial,
    };
    blocks.push(row.address, row.userAddress, row.size, row.userSize, row.state, row.kind, row.segment, row.container, row.previousSize, row.flags);
  }
  return {
    address: spec.address,
    type: "NT",
    flags: spec.flags ?? 0x1002,
    granularity: spec.granularity ?? 8,
    segments: spec.segments ?? [],
    blocks: blocks.seal(),
    virtualBlockCount: spec.virtualBlockCount ?? 0,
    counters: { lockContention: spec.lockCollisions ?? 0, largeUncommittedBytes: spec.totalMemoryLargeUCR ?? 0, frontEnd: spec.lfh ? "LFH" : "" },
    findings: [],
  };
}

export function segment(address: number, reservedBytes: number, committedBytes: number, ucrCount: number): SegmentRecord {
  const uncommittedRanges = [];
  for (let i = 0; i < ucrCount; i++) uncommittedRanges.push({ address: address + committedBytes + i * 0x1000, size: 0x1000 });
  return {
    address,
    baseAddress: address,
    firstEntry: address + 0x588,
    lastValidEntry: address + reservedBytes,
    committedBytes,
    reservedBytes,
    uncommittedRanges,
  };
}

/**
 * The x86 heap most tests use (granularity 8), rows by index:
 *  0 busy 0x30 @00500608 | 1 free 0x100 | 2 Internal UserBlocks container [00500740, 00500b40)
 *  3 LFH busy 0x18 @00500768 | 4 LFH free | 5 LFH busy 0x18 @005007a8
 *  6 busy 0x24 @00500b48 (busy extra fill) | 7 free 0x1000 (the largest)
 *  8 busy 0x30 @01000048 (segment 1) | 9 free 0x200 (segment 1)
 * 10 VirtualAlloc busy 0x100000 @02000028, its BusyBlock header at 02000020.
 */
export function sampleWalkX86(): HeapWalk {
  const container = 2; // the row of the UserBlocks container
  return makeWalk({
    address: 0x00500000,
    flags: 0x1002,
    lfh: true,
    segments: [segment(0x00500000, 0x100000, 0x40000, 1), segment(0x01000000, 0x200000, 0x10000, 2)],
    virtualBlockCount: 1,
    lockCollisions: 0x5a,
    totalMemoryLargeUCR: 0x1b000,
    rows: [
      { address: 0x00500600, userAddress: 0x00500608, size: 0x40, userSize: 0x30, previousSize: 0x588, flags: 0x01 },
      { address: 0x00500640, userAddress: 0x00500648, size: 0x100, previousSize: 0x40, state: STATE_FREE },
      {
        address: 0x00500740, userAddress: 0x00500748, size: 0x400, userSize: 0x3f8, previousSize: 0x100,
        state: STATE_INTERNAL, flags: 0x09,
      },
      { address: 0x00500760, userAddress: 0x00500768, size: 0x20, userSize: 0x18, kind: KIND_LFH, flags: 0x01, container },
      { address: 0x00500780, userAddress: 0x00500788, size: 0x20, state: STATE_FREE, kind: KIND_LFH, container },
      { address: 0x005007a0, userAddress: 0x005007a8, size: 0x20, userSize: 0x18, kind: KIND_LFH, flags: 0x01, container },
      { address: 0x00500b40, userAddress: 0x00500b48, size: 0x30, userSize: 0x24, previousSize: 0x400, flags: 0x07 },
      { address: 0x00500b70, userAddress: 0x00500b78, size: 0x1000, previousSize: 0x30, state: STATE_FREE },
      { address: 0x01000040, userAddress: 0x01000048, size: 0x80, userSize: 0x30, segment: 1, flags: 0x01 },
      { address: 0x010000c0, userAddress: 0x010000c8, size: 0x200, previousSize: 0x80, segment: 1, state: STATE_FREE },
      {
        address: 0x02000020, userAddress: 0x02000028, size: 0x101000, userSize: 0x100000,
        kind: KIND_VIRTUAL_ALLOC, flags: 0x09, segment: -1,
      },
    ],
  });
}

/** Readable bytes at fixed addresses, minus unreadable holes; counts readRuns calls. */
export class ArrayMemory implements Memory {
  readRunsCalls = 0;
  /** readPrefix calls (the scanner's probes). */
  probes = 0;
  private readonly areas: { base: number; bytes: Uint8Array }[] = [];

  constructor(readonly pointerSize: 4 | 8, private readonly holes: { start: number; end: number }[] = []) {}

  /** Zero-filled bytes for [base, base + size). */
  addArea(base: number, size: number): this {
    this.areas.push({ base, bytes: new Uint8Array(size) });
    return this;
  }

  write(address: number, bytes: ArrayLike<number>): this {
    const area = this.areas.find((a) => address >= a.base && address + bytes.length <= a.base + a.bytes.length);
    if (!area) throw new Error(`no area holds ${address.toString(16)}`);
    area.bytes.set(Array.from(bytes), address - area.base);
    return this;
  }

  writeU32(address: number, value: number): this {
    return this.write(address, [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]);
  }

  writeU64(address: number, value: number): this {
    this.writeU32(address, value % 4294967296);
    return this.writeU32(address + 4, Math.floor(value / 4294967296));
  }

  read(address: number, length: number): Uint8Array {
    const runs = this.runsOf(address, length);
    if (runs.length !== 1 || runs[0].address !== address || runs[0].bytes.length !== length) {
      throw new UnreadableMemoryError(address, length);
    }
    return runs[0].bytes;
  }

  readRuns(address: number, length: number): MemoryRun[] {
    this.readRunsCalls++;
    return this.runsOf(address, length);
  }

  readPrefix(address: number, length: number): Uint8Array {
    this.probes++;
    const first = this.runsOf(address, length)[0];
    return first && first.address === address ? first.bytes : new Uint8Array(0);
  }

  private runsOf(address: number, length: number): MemoryRun[] {
    const end = address + length;
    const runs: MemoryRun[] = [];
    for (const area of [...this.areas].sort((a, b) => a.base - b.base)) {
      let from = Math.max(address, area.base);
      const to = Math.min(end, area.base + area.bytes.length);
      for (const hole of [...this.holes].sort((a, b) => a.start - b.start)) {
        if (hole.end <= from || hole.start >= to) continue;
        if (hole.start > from) runs.push(this.run(area, from, hole.start));
        from = Math.max(from, hole.end);
      }
      if (from < to) runs.push(this.run(area, from, to));
    }
    return runs;
  }

  private run(area: { base: number; bytes: Uint8Array }, from: number, to: number): MemoryRun {
    return { address: from, bytes: area.bytes.subarray(from - area.base, to - area.base) };
  }
}
