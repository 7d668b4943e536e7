// How analyses see target memory. src/host/memory.ts implements it over host.memory;
// pure-logic tests implement it over a byte array.

/** A run of bytes that could be read. */
export interface MemoryRun {
  address: number;
  bytes: Uint8Array;
}

export interface Memory {
  readonly pointerSize: 4 | 8;
  /** Reads [address, address + length); throws UnreadableMemoryError when any byte is unreadable. */
  read(address: number, length: number): Uint8Array;
  /** The readable parts of [address, address + length), in address order. Never throws for unreadable memory. */
  readRuns(address: number, length: number): MemoryRun[];
  /** The longest readable start of [address, address + length): walkers stop where memory does. */
  readPrefix(address: number, length: number): Uint8Array;
  /** Told the bytes of each read that returned some, when set (src/host/progress.ts sets it). */
  onRead?: (bytes: number) => void;
}

/** A committed region of the process (from !address in WinDbg; from the dump in nodehost). */
export interface MemoryRegion {
  base: number;
  size: number;
}

export class UnreadableMemoryError extends Error {
  constructor(readonly address: number, readonly length: number) {
    super(`Unable to read memory at 0x${address.toString(16)} (0x${length.toString(16)} bytes)`);
  }
}
