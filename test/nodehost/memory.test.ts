import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { Int64, int64Constructor } from "../../nodehost/int64";
import type { TargetData } from "../../nodehost/target";
import { TestMemory } from "./targets";

const Int64Of = int64Constructor();

// Two adjacent regions [0x10000, 0x12000), a gap, then [0x20000, 0x21000).
function target(): TargetData {
  const memory = new TestMemory().map(0x10000n, 0x1000).map(0x11000n, 0x1000).map(0x20000n, 0x1000);
  memory.bytes(0x10000n, [0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0x80, 0x7f]);
  memory.u64(0x10008n, 0xffff_ffff_ffff_fff0n);
  memory.u64(0x10010n, 0x1d0_7ffe_0000n);
  memory.bytes(0x10ffcn, [0xaa, 0xbb, 0xcc, 0xdd]);
  memory.bytes(0x11000n, [0x11, 0x22, 0x33, 0x44]);
  memory.bytes(0x20ffen, [0x5a, 0xa5]);
  return { arch: "x64", pointerSize: 8, processId: 1, processName: "t.exe", peb: 0n, modules: [], threads: [], regions: memory.regions };
}

function phase2Host(options: HostOptions = {}): { host: any; runtime: HostRuntime } {
  const runtime = new HostRuntime(target(), NODE_REALM, options);
  runtime.phase = 2;
  return { host: runtime.host, runtime };
}

describe("host.memory.readMemoryValues", () => {
  it("reads bytes inside a region (default element size 1, unsigned)", () => {
    const { host } = phase2Host();
    const bytes = host.memory.readMemoryValues(Int64Of(0x10000), 8);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0x80, 0x7f]);
  });

  it("accepts a number as the location", () => {
    const { host } = phase2Host();
    expect([...host.memory.readMemoryValues(0x10004, 2)]).toEqual([0xff, 0xfe]);
  });

  it("reads 2- and 4-byte elements little-endian, unsigned or signed", () => {
    const { host } = phase2Host();
    const u16 = host.memory.readMemoryValues(0x10000, 4, 2);
    expect(u16).toBeInstanceOf(Uint16Array);
    expect([...u16]).toEqual([0x0201, 0x0403, 0xfeff, 0x7f80]);
    const i16 = host.memory.readMemoryValues(0x10000, 4, 2, true);
    expect(i16).toBeInstanceOf(Int16Array);
    expect([...i16]).toEqual([0x0201, 0x0403, -257, 0x7f80]);
    const u32 = host.memory.readMemoryValues(0x10000, 2, 4);
    expect(u32).toBeInstanceOf(Uint32Array);
    expect([...u32]).toEqual([0x04030201, 0x7f80feff]);
    const i32 = host.memory.readMemoryValues(0x10004, 1, 4, true);
    expect(i32).toBeInstanceOf(Int32Array);
    expect(i32[0]).toBe(0x7f80feff | 0);
    const i8 = host.memory.readMemoryValues(0x10004, 4, 1, true);
    expect(i8).toBeInstanceOf(Int8Array);
    expect([...i8]).toEqual([-1, -2, -128, 127]);
  });

  it("reads 8-byte elements as an array of Int64, exact beyond 2^53", () => {
    const { host } = phase2Host();
    const values = host.memory.readMemoryValues(0x10008, 2, 8);
    expect(Array.isArray(values)).toBe(true);
    expect(values[0]).toBeInstanceOf(Int64);
    expect(values[0].toString(16)).toBe("fffffffffffffff0");
    expect(values[1]).toBe(Int64Of(0x7ffe0000, 0x1d0));
    const signed = host.memory.readMemoryValues(0x10008, 1, 8, true);
    expect(signed[0].asNumber()).toBe(-16);
  });

  it("reads across two adjacent regions", () => {
    const { host } = phase2Host();
    expect([...host.memory.readMemoryValues(0x10ffc, 8)]).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44]);
    expect(host.memory.readMemoryValues(0x10ffe, 1, 4)[0]).toBe(0x2211ddcc);
  });

  it("throws with the address when a read runs across a gap", () => {
    const { host } = phase2Host();
    expect(() => host.memory.readMemoryValues(0x20ffe, 4)).toThrow("Unable to read memory at Address 0x20ffe");
    expect(() => host.memory.readMemoryValues(0x11ffc, 8)).toThrow("Unable to read memory at Address 0x11ffc");
    expect([...host.memory.readMemoryValues(0x20ffe, 2)]).toEqual([0x5a, 0xa5]);
  });

  it("throws with the address for unmapped memory", () => {
    const { host } = phase2Host();
    expect(() => host.memory.readMemoryValues(Int64Of(0xdeadbeef), 1, 8)).toThrow("Unable to read memory at Address 0xdeadbeef");
    expect(() => host.memory.readMemoryValues(Int64Of(0, 0x80000000), 1)).toThrow("Unable to read memory at Address 0x8000000000000000");
  });

  it("rejects element sizes other than 1, 2, 4, 8", () => {
    const { host } = phase2Host();
    expect(() => host.memory.readMemoryValues(0x10000, 1, 3)).toThrow(RangeError);
  });

  it("counts host calls, reads and bytes", () => {
    const { host, runtime } = phase2Host();
    host.memory.readMemoryValues(0x10000, 4, 2);
    host.memory.readMemoryValues(0x10000, 3);
    expect(() => host.memory.readMemoryValues(0x5000, 1)).toThrow();
    expect(runtime.counters).toEqual({ hostCalls: 3, memoryReads: 3, bytesRead: 11, typedObjectsCreated: 0, symbolLookups: 0 });
  });

  it("is a phase-2 member: it throws while the script initializes", () => {
    const runtime = new HostRuntime(target(), NODE_REALM);
    const host = runtime.host as any;
    expect(() => host.memory).toThrow("host.memory is not available yet");
    expect(() => host.currentProcess).toThrow("host.currentProcess is not available yet");
    expect(host.Int64(1).toString(16)).toBe("1");
    runtime.phase = 2;
    expect(host.memory.readMemoryValues(0x10000, 1)[0]).toBe(1);
  });
});

describe("readMemoryValues' contract", () => {
  it("gives exactly as many elements as asked, of every size, none for a count of 0", () => {
    const { host } = phase2Host();
    for (const size of [1, 2, 4, 8]) {
      for (const count of [0, 1, 3, 0x80]) expect(host.memory.readMemoryValues(0x10000, count, size)).toHaveLength(count);
    }
    expect(host.memory.readMemoryValues(Int64Of(0x10000), Int64Of(5), 2)).toHaveLength(5);
  });

  it("refuses a count that is not an integer with a TypeError, one out of range with a RangeError", () => {
    const { host } = phase2Host();
    for (const count of [1.5, "4", undefined, null, {}]) expect(() => host.memory.readMemoryValues(0x10000, count)).toThrow(TypeError);
    for (const count of [-1, 0x1_0000_0000, Int64Of(0, 1)]) expect(() => host.memory.readMemoryValues(0x10000, count)).toThrow(RangeError);
  });

  it("refuses an element size other than 1, 2, 4, 8 (numbers) with a RangeError, a non-boolean isSigned with a TypeError", () => {
    const { host } = phase2Host();
    for (const size of [0, 3, 16, "4", Int64Of(8)]) expect(() => host.memory.readMemoryValues(0x10000, 1, size)).toThrow(RangeError);
    for (const signed of [1, "true", null]) expect(() => host.memory.readMemoryValues(0x10000, 1, 4, signed)).toThrow(TypeError);
  });

  it("refuses a location that is no address: TypeError for other types, RangeError for numbers that are no address", () => {
    const { host } = phase2Host();
    for (const location of ["0x10000", null, undefined, {}, [0x10000]]) expect(() => host.memory.readMemoryValues(location, 1)).toThrow(TypeError);
    for (const location of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => host.memory.readMemoryValues(location, 1)).toThrow(RangeError);
  });

  it("reports unreadable memory with a plain Error, never a TypeError or RangeError, and checks before allocating", () => {
    const { host } = phase2Host();
    let caught: unknown;
    try {
      host.memory.readMemoryValues(0x30000, 0xffff_ffff, 8); // 32 GiB of unmapped memory
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(TypeError);
    expect(caught).not.toBeInstanceOf(RangeError);
    expect((caught as Error).message).toBe("Unable to read memory at Address 0x30000");
  });

  it("words unreadable memory as the session says, so the extension cannot depend on the text", () => {
    const { host } = phase2Host({ unreadableMemoryMessage: (address) => `Memory access error at ${address.toString(16)}h` });
    expect(() => host.memory.readMemoryValues(0x20ffe, 4)).toThrow(/^Memory access error at 20ffeh$/);
  });
});

describe("the access log", () => {
  it("is off by default", () => {
    expect(phase2Host().runtime.accessLog).toBeUndefined();
  });

  it("records every read's address and length in order, unreadable ones included", () => {
    const { host, runtime } = phase2Host({ logAccesses: true });
    host.memory.readMemoryValues(0x10000, 4, 2);
    expect(() => host.memory.readMemoryValues(0x20ffe, 4)).toThrow();
    host.memory.readMemoryValues(Int64Of(0x10ffc), 1, 8);
    expect(runtime.accessLog).toEqual({
      reads: [
        { address: 0x10000n, length: 8 },
        { address: 0x20ffen, length: 4 },
        { address: 0x10ffcn, length: 8 },
      ],
      symbolLookups: [],
    });
  });
});

describe("debugLog", () => {
  it("concatenates its arguments with no separator and no newline", () => {
    const { host, runtime } = phase2Host();
    host.diagnostics.debugLog("a", 1, Int64Of(0x10), "\n");
    host.diagnostics.debugLog("b");
    expect(runtime.log).toBe("a10x10\nb");
  });
});
