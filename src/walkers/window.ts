// A sliding window over a range of target memory: walkers decode headers from large reads
// and move the window forward, so a segment of any size costs one read per window.
import { Memory } from "../host/memory-types";
import { MAX_READ } from "../host/memory";

export class MemoryWindow {
  /** Address of bytes[0]. */
  base = 0;
  bytes: Uint8Array = new Uint8Array(0);
  /** After ensure() returned false: the first address that could not be read. */
  unreadableAt = 0;

  /** end: reads stop here unless a request itself reaches further. */
  constructor(private readonly memory: Memory, private readonly end: number) {}

  /** Takes bytes already read at `base` as the window's. */
  hold(base: number, bytes: Uint8Array): void {
    this.base = base;
    this.bytes = bytes;
  }

  /** Makes [address, address + length) available in bytes; false when part of it is unreadable. */
  ensure(address: number, length: number): boolean {
    if (address >= this.base && address + length <= this.base + this.bytes.length) return true;
    const want = Math.max(length, Math.min(MAX_READ, this.end - address));
    this.base = address;
    this.bytes = this.memory.readPrefix(address, want);
    if (this.bytes.length >= length) return true;
    this.unreadableAt = address + this.bytes.length;
    return false;
  }
}
