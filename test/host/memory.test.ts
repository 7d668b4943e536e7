// The one memory reader (src/host/memory.ts) over a stand-in for host.memory: only a read the host
// refused is unreadable memory; a mistake in dxheap's own arguments propagates.
import { HostMemory } from "../../src/host/memory";
import { UnreadableMemoryError } from "../../src/host/memory-types";
import { Int64 } from "../../nodehost/int64";

type Reader = (address: number, length: number) => Uint8Array;

function withHost(read: Reader, test: () => void): void {
  const global = globalThis as { host?: unknown };
  global.host = {
    Int64: (low: number, high: number) => Int64.construct(low, high),
    memory: { readMemoryValues: (location: Int64, length: number) => read(Number(Int64.bigintOf(location)), length) },
  };
  try {
    test();
  } finally {
    delete global.host;
  }
}

/** Bytes of [0x10000, 0x14000) readable, the rest refused with the plain Error the host throws. */
const mapped: Reader = (address, length) => {
  if (address < 0x10000 || address + length > 0x14000) throw new Error(`Unable to read memory at Address 0x${address.toString(16)}`);
  return new Uint8Array(length).fill(0xab);
};

describe("HostMemory", () => {
  it("turns a refused read into UnreadableMemoryError and reads the readable start of a range", () => {
    withHost(mapped, () => {
      const memory = new HostMemory(8);
      expect(memory.read(0x10000, 0x100).length).toBe(0x100);
      expect(() => memory.read(0x13f00, 0x200)).toThrow(UnreadableMemoryError);
      expect(memory.readPrefix(0x12000, 0x8000).length).toBe(0x2000);
      expect(memory.readRuns(0xf000, 0x6000).map((r) => [r.address, r.bytes.length])).toEqual([[0x10000, 0x4000]]);
    });
  });

  it("lets a TypeError or RangeError from the host (a bad argument) propagate from every kind of read", () => {
    for (const error of [new TypeError("readMemoryValues: the element count must be a non-negative integer"), new RangeError("bad element size")]) {
      withHost(() => { throw error; }, () => {
        const memory = new HostMemory(4);
        expect(() => memory.read(0x10000, 8)).toThrow(error);
        expect(() => memory.readPrefix(0x10000, 0x3000)).toThrow(error);
        expect(() => memory.readRuns(0x10000, 0x3000)).toThrow(error);
      });
    }
  });

  it("serves small reads from whole pages read once, and says how much each read returned", () => {
    const calls: [number, number][] = [];
    withHost((address, length) => {
      calls.push([address, length]);
      return mapped(address, length);
    }, () => {
      const memory = new HostMemory(8);
      const told: number[] = [];
      memory.onRead = (bytes) => told.push(bytes);
      expect(memory.read(0x10010, 8)).toEqual(new Uint8Array(8).fill(0xab));
      memory.read(0x10ff8, 8);
      memory.read(0x10100, 0x200);
      expect(calls).toEqual([[0x10000, 0x1000]]);
      expect(told).toEqual([0x1000]);
      // A read across two pages is read as asked; a page not readable whole is remembered as such.
      memory.read(0x10ffc, 8);
      expect(() => memory.read(0xfff8, 4)).toThrow(UnreadableMemoryError);
      expect(() => memory.read(0xfff8, 4)).toThrow(UnreadableMemoryError);
      expect(calls.slice(1)).toEqual([[0x10ffc, 8], [0xf000, 0x1000], [0xfff8, 4], [0xfff8, 4]]);
      // A probe of one unreadable byte costs one read.
      calls.length = 0;
      expect(memory.readPrefix(0x20000, 1).length).toBe(0);
      expect(calls).toEqual([[0x20000, 1]]);
    });
  });

  it("treats an answer shorter than asked as unreadable past its end", () => {
    withHost((_, length) => new Uint8Array(Math.min(length, 0x10)), () => {
      const memory = new HostMemory(8);
      expect(() => memory.read(0x10000, 0x20)).toThrow(UnreadableMemoryError);
      try {
        memory.read(0x10000, 0x20);
      } catch (e) {
        expect((e as UnreadableMemoryError).address).toBe(0x10010);
      }
    });
  });
});
