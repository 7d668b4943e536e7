// A target's user-mode address space as the writers build it: sparse 4 KiB pages inside 64 KiB
// reservations (the allocation granularity of VirtualAlloc), little-endian.
import type { AddressSpace, Arch } from "./types";

const PAGE = 0x1000n;
const ALLOCATION_GRANULARITY = 0x10000n;

/** Where fresh reservations start and where the user range ends. */
const USER_RANGE: Record<Arch, { firstReservation: bigint; end: bigint }> = {
  // Below 0x7FFE0000 (the last user-mode 64 KiB of a 32-bit process), above the exe at 0x400000.
  x86: { firstReservation: 0x0060_0000n, end: 0x7ffe_0000n },
  // A realistic heap range; every address stays below 2^47.
  x64: { firstReservation: 0x1d0_0000_0000n, end: 1n << 47n },
};

const roundUp = (value: bigint, unit: bigint) => ((value + unit - 1n) / unit) * unit;
const roundDown = (value: bigint, unit: bigint) => (value / unit) * unit;

export interface MemoryRange {
  start: bigint;
  data: Uint8Array;
}

export class SparseAddressSpace implements AddressSpace {
  readonly pointerSize: 4 | 8;
  private readonly reservations: { base: bigint; end: bigint }[] = [];
  /** Committed pages by page number. */
  private readonly pages = new Map<bigint, Uint8Array>();
  private readonly dropped = new Set<bigint>();
  private nextReservation: bigint;

  constructor(readonly arch: Arch) {
    this.pointerSize = arch === "x64" ? 8 : 4;
    this.nextReservation = USER_RANGE[arch].firstReservation;
  }

  reserve(size: number): bigint {
    const base = this.nextReservation;
    this.reserveAt(base, size);
    // One free 64 KiB granule after each reservation, so reads past its end find nothing.
    this.nextReservation = roundUp(base + BigInt(size), ALLOCATION_GRANULARITY) + ALLOCATION_GRANULARITY;
    return base;
  }

  /** Reserves at a chosen 64 KiB-aligned address (module images); it must not overlap another reservation. */
  reserveAt(base: bigint, size: number): void {
    if (size <= 0) throw new Error(`reservation of ${size} bytes`);
    if (base % ALLOCATION_GRANULARITY !== 0n) throw new Error(`reservation at ${hex(base)} is not 64 KiB-aligned`);
    const end = base + roundUp(BigInt(size), ALLOCATION_GRANULARITY);
    if (end > USER_RANGE[this.arch].end) throw new Error(`reservation ${hex(base)}-${hex(end)} leaves the user range`);
    if (this.reservations.some((r) => base < r.end && r.base < end)) {
      throw new Error(`reservation ${hex(base)}-${hex(end)} overlaps another one`);
    }
    this.reservations.push({ base, end });
  }

  commit(addr: bigint, size: number): void {
    const first = roundDown(addr, PAGE);
    const end = roundUp(addr + BigInt(size), PAGE);
    if (!this.reservations.some((r) => r.base <= first && end <= r.end)) {
      throw new Error(`commit ${hex(addr)}+${size.toString(16)} is outside every reservation`);
    }
    for (let page = first; page < end; page += PAGE) {
      if (!this.pages.has(page / PAGE)) this.pages.set(page / PAGE, new Uint8Array(Number(PAGE)));
    }
  }

  allocate(size: number): bigint {
    const base = this.reserve(size);
    this.commit(base, Number(roundUp(BigInt(size), ALLOCATION_GRANULARITY)));
    return base;
  }

  drop(addr: bigint, size: number): void {
    for (let page = roundDown(addr, PAGE); page < addr + BigInt(size); page += PAGE) {
      this.page(page); // must be committed
      this.dropped.add(page / PAGE);
    }
  }

  write(addr: bigint, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const at = addr + BigInt(done);
      const inPage = Number(at % PAGE);
      const chunk = Math.min(bytes.length - done, Number(PAGE) - inPage);
      this.page(at).set(bytes.subarray(done, done + chunk), inPage);
      done += chunk;
    }
  }

  read(addr: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = addr + BigInt(done);
      const inPage = Number(at % PAGE);
      const chunk = Math.min(length - done, Number(PAGE) - inPage);
      out.set(this.page(at).subarray(inPage, inPage + chunk), done);
      done += chunk;
    }
    return out;
  }

  u8(addr: bigint, v: number): void {
    this.writeInteger(addr, BigInt(v), 1);
  }
  u16(addr: bigint, v: number): void {
    this.writeInteger(addr, BigInt(v), 2);
  }
  u32(addr: bigint, v: number): void {
    this.writeInteger(addr, BigInt(v), 4);
  }
  u64(addr: bigint, v: bigint): void {
    this.writeInteger(addr, v, 8);
  }
  ptr(addr: bigint, v: bigint): void {
    this.writeInteger(addr, v, this.pointerSize);
  }

  readU32(addr: bigint): number {
    return Number(this.readInteger(addr, 4));
  }
  readPtr(addr: bigint): bigint {
    return this.readInteger(addr, this.pointerSize);
  }

  /** Committed, non-dropped pages as sorted runs of adjacent pages: the dump's memory. */
  toMemoryRanges(): MemoryRange[] {
    const kept = [...this.pages.keys()].filter((page) => !this.dropped.has(page)).sort((a, b) => (a < b ? -1 : 1));
    const ranges: MemoryRange[] = [];
    let runStart = 0;
    for (let i = 1; i <= kept.length; i++) {
      if (i < kept.length && kept[i] === kept[i - 1] + 1n) continue;
      const run = kept.slice(runStart, i);
      const data = new Uint8Array(run.length * Number(PAGE));
      run.forEach((page, j) => data.set(this.pages.get(page)!, j * Number(PAGE)));
      ranges.push({ start: run[0] * PAGE, data });
      runStart = i;
    }
    return ranges;
  }

  private page(addr: bigint): Uint8Array {
    const page = this.pages.get(addr / PAGE);
    if (!page) throw new Error(`${hex(addr)} is not committed`);
    return page;
  }

  private writeInteger(addr: bigint, value: bigint, size: number): void {
    const limit = 1n << BigInt(8 * size);
    // Negative values within the signed range are stored as two's complement: JS bit operators
    // (the writers' XORs) yield signed 32-bit numbers.
    if (value < 0n && value >= -(limit >> 1n)) value += limit;
    if (value < 0n || value >= limit) {
      throw new Error(`${value.toString(16)} does not fit in ${size} bytes (at ${hex(addr)})`);
    }
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
    this.write(addr, bytes);
  }

  private readInteger(addr: bigint, size: number): bigint {
    const bytes = this.read(addr, size);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }
}

function hex(value: bigint): string {
  return "0x" + value.toString(16);
}
