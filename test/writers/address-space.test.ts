import { SparseAddressSpace } from "./address-space";

describe("SparseAddressSpace", () => {
  test("reservations are fresh, 64 KiB-aligned, apart, and in the user range of each architecture", () => {
    for (const arch of ["x86", "x64"] as const) {
      const space = new SparseAddressSpace(arch);
      const first = space.reserve(0x1000);
      const second = space.reserve(0x23000);
      const third = space.reserve(0x10000);
      for (const base of [first, second, third]) expect(base % 0x10000n).toBe(0n);
      expect(second).toBeGreaterThanOrEqual(first + 0x10000n);
      expect(third).toBeGreaterThanOrEqual(second + 0x30000n);
      expect(third).toBeLessThan(arch === "x86" ? 0x7ffe0000n : 1n << 47n);
    }
    expect(new SparseAddressSpace("x64").reserve(0x1000)).toBeGreaterThanOrEqual(0x1d000000000n);
  });

  test("reserveAt refuses overlaps, misalignment and addresses outside the user range", () => {
    const space = new SparseAddressSpace("x86");
    space.reserveAt(0x77a60000n, 0x1a0000);
    expect(() => space.reserveAt(0x77b00000n, 0x1000)).toThrow(/overlaps/);
    expect(() => space.reserveAt(0x00401000n, 0x1000)).toThrow(/aligned/);
    expect(() => space.reserveAt(0x7ffe0000n, 0x1000)).toThrow(/user range/);
  });

  test("only committed pages can be written and read; commits are zero-filled", () => {
    const space = new SparseAddressSpace("x64");
    const base = space.reserve(0x10000);
    expect(() => space.u32(base, 1)).toThrow(/not committed/);
    expect(() => space.commit(base + 0x10000n, 0x1000)).toThrow(/outside/);
    space.commit(base + 0x1800n, 0x1000); // pages 1 and 2
    expect(space.read(base + 0x1000n, 0x2000)).toEqual(new Uint8Array(0x2000));
    expect(() => space.read(base, 4)).toThrow(/not committed/);
    expect(() => space.read(base + 0x2ffen, 4)).toThrow(/not committed/);
  });

  test("little-endian integers, pointer-sized writes, values across a page boundary", () => {
    const space = new SparseAddressSpace("x86");
    const base = space.allocate(0x2000);
    space.u16(base, 0xbeef);
    expect([...space.read(base, 2)]).toEqual([0xef, 0xbe]);
    space.u32(base + 0xffen, 0x11223344); // straddles pages 0 and 1
    expect(space.readU32(base + 0xffen)).toBe(0x11223344);
    expect([...space.read(base + 0x1000n, 2)]).toEqual([0x22, 0x11]);
    space.ptr(base + 0x10n, 0x7ffdf000n);
    expect(space.readPtr(base + 0x10n)).toBe(0x7ffdf000n);
    expect([...space.read(base + 0x14n, 4)]).toEqual([0, 0, 0, 0]); // 4-byte pointers
    expect(() => space.ptr(base, 0x1_0000_0000n)).toThrow(/does not fit/);
    space.u32(base + 0x20n, 0xf0e0d0c0 ^ 0x1234); // a negative JS number: two's complement
    expect(space.readU32(base + 0x20n)).toBe((0xf0e0d0c0 ^ 0x1234) >>> 0);
    space.u64(base + 0x28n, 0x0102030405060708n);
    expect([...space.read(base + 0x28n, 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  test("allocate commits the whole 64 KiB-rounded reservation", () => {
    const space = new SparseAddressSpace("x64");
    const base = space.allocate(0x1234);
    space.u8(base + 0xffffn, 1);
    expect(space.toMemoryRanges()).toEqual([{ start: base, data: expect.any(Uint8Array) }]);
    expect(space.toMemoryRanges()[0].data.length).toBe(0x10000);
  });

  test("memory ranges: sorted runs of adjacent committed pages, dropped pages left out", () => {
    const space = new SparseAddressSpace("x64");
    const low = space.reserve(0x10000);
    const high = space.reserve(0x10000);
    space.commit(high, 0x3000);
    space.commit(low + 0x2000n, 0x4000); // pages 2..5
    space.u8(low + 0x2000n, 0xaa);
    space.u8(high + 0x2fffn, 0xbb);
    space.drop(low + 0x3000n, 0x2000); // pages 3 and 4
    expect(() => space.drop(low, 0x1000)).toThrow(/not committed/);

    const ranges = space.toMemoryRanges();
    expect(ranges.map((r) => [r.start, r.data.length])).toEqual([
      [low + 0x2000n, 0x1000],
      [low + 0x5000n, 0x1000],
      [high, 0x3000],
    ]);
    expect(ranges[0].data[0]).toBe(0xaa);
    expect(ranges[2].data[0x2fff]).toBe(0xbb);
    // Dropped pages stay readable to the writers; only the dump leaves them out.
    expect(space.read(low + 0x3000n, 1)).toEqual(new Uint8Array(1));
  });
});
