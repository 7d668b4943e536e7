// A target's user-mode address space as the writers build it: sparse 4 KiB pages inside 64 KiB
// reservations (the allocation granularity of VirtualAlloc), little-endian.
import type { AddressSpace, Arch } from "./types";

const PAGE = 0x1000n;
const PAGE_BYTES = 0x1000;
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
  /** Committed pages by page number (a number: pages of a 2^47-byte range are exact in a double, and number keys hash fast). */
  private readonly pages = new Map<number, Uint8Array>();
  private readonly dropped = new Set<number>();
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
    for (let page = Number(first / PAGE); page < Number(end / PAGE); page++) {
      if (!this.pages.has(page)) this.pages.set(page, new Uint8Array(PAGE_BYTES));
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
      this.dropped.add(Number(page / PAGE));
    }
  }

  write(addr: bigint, bytes: Uint8Array): void {
    // Addresses are below 2^47: exact as numbers, which large images write millions of times.
    const start = Number(addr);
    let done = 0;
    while (done < bytes.length) {
      const at = start + done;
      const inPage = at % PAGE_BYTES;
      const chunk = Math.min(bytes.length - done, PAGE_BYTES - inPage);
      const page = this.pageAt(at);
      if (chunk === 1) page[inPage] = bytes[done];
      else page.set(bytes.subarray(done, done + chunk), inPage);
      done += chunk;
    }
  }

  read(addr: bigint, length: number): Uint8Array {
    const start = Number(addr);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = start + done;
      const inPage = at % PAGE_BYTES;
      const chunk = Math.min(length - done, PAGE_BYTES - inPage);
      out.set(this.pageAt(at).subarray(inPage, inPage + chunk), done);
      done += chunk;
    }
    return out;
  }

  u8(addr: bigint, v: number): void {
    this.writeSmall(addr, v, 1);
  }
  u16(addr: bigint, v: number): void {
    this.writeSmall(addr, v, 2);
  }
  u32(addr: bigint, v: number): void {
    this.writeSmall(addr, v, 4);
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
    const kept = [...this.pages.keys()].filter((page) => !this.dropped.has(page)).sort((a, b) => a - b);
    const ranges: MemoryRange[] = [];
    let runStart = 0;
    for (let i = 1; i <= kept.length; i++) {
      if (i < kept.length && kept[i] === kept[i - 1] + 1) continue;
      const data = new Uint8Array((i - runStart) * PAGE_BYTES);
      for (let j = runStart; j < i; j++) data.set(this.pages.get(kept[j])!, (j - runStart) * PAGE_BYTES);
      ranges.push({ start: BigInt(kept[runStart]) * PAGE, data });
      runStart = i;
    }
    return ranges;
  }

  private page(addr: bigint): Uint8Array {
    return this.pageAt(Number(addr));
  }

  private pageAt(address: number): Uint8Array {
    const page = this.pages.get(Math.floor(address / PAGE_BYTES));
    if (!page) throw new Error(`${hex(BigInt(address))} is not committed`);
    return page;
  }

  /** u8/u16/u32 without BigInt: the same checks as writeInteger, in numbers. */
  private writeSmall(addr: bigint, v: number, size: 1 | 2 | 4): void {
    const limit = size === 4 ? 0x1_0000_0000 : 1 << (8 * size);
    let value = v;
    if (!Number.isInteger(value)) throw new RangeError(`The number ${v} cannot be converted to a BigInt because it is not an integer`);
    if (value < 0 && value >= -limit / 2) value += limit;
    if (value < 0 || value >= limit) throw new Error(`${value.toString(16)} does not fit in ${size} bytes (at ${hex(addr)})`);
    const start = Number(addr);
    const inPage = start % PAGE_BYTES;
    if (inPage + size > PAGE_BYTES) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
      this.write(addr, bytes);
      return;
    }
    const page = this.pageAt(start);
    for (let i = 0; i < size; i++) page[inPage + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }

  private writeInteger(addr: bigint, value: bigint, size: number): void {
    const limit = 1n << BigInt(8 * size);
    // Negative values within the signed range are stored as two's complement: JS bit operators
    // (the writers' XORs) yield signed 32-bit numbers.
    if (value < 0n && value >= -(limit >> 1n)) value += limit;
    if (value < 0n || value >= limit) {
      throw new Error(`${value.toString(16)} does not fit in ${size} bytes (at ${hex(addr)})`);
    }
    // Two 32-bit halves: BigInt shifts per byte cost more than the rest of a large image's writing.
    const low = Number(value & 0xffff_ffffn);
    const high = Number(value >> 32n);
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i < 4 ? low >>> (8 * i) : high >>> (8 * (i - 4))) & 0xff;
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
