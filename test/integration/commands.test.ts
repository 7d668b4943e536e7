// The ! commands against the writer's truth, on x64 and x86 images with NT heaps and a segment
// heap: every number they return is recomputed here from the blocks the writer placed and the
// dump's raw memory. The commands treat every heap kind alike.
import { ScriptSession } from "../../nodehost/session";
import { TargetData } from "../../nodehost/target";
import { buildImage } from "../writers/images";
import { SEARCH_PATTERN_U32, SEARCH_PATTERN_U64 } from "../writers/ntheap";
import { BlockTruth, HeapTruth } from "../writers/types";
import { BUNDLE, big, blockOf, byAddress, pointersInto, readTarget, targetOf } from "./harness";
import { ScriptSession as Session } from "../../nodehost/session";

const pad = (value: bigint | number, digits: number) => value.toString(16).padStart(digits, "0");
const busy = (heap: HeapTruth) => heap.blocks.filter((b) => b.state === "Busy");

describe.each([["x64", 19041], ["x86", 19041], ["x64", 7601]] as const)("%s build %d", (arch, build) => {
  const image = buildImage(arch, build);
  const target: TargetData = targetOf(image);
  const session: ScriptSession = Session.load(BUNDLE, target);
  const ntHeaps = image.truth.heaps.filter((h) => h.type === "NT");
  const segmentHeaps = image.truth.heaps.filter((h) => h.type === "Segment");
  /** Every heap the commands walk, whatever its kind. */
  const walked = image.truth.heaps;
  const digits = target.pointerSize * 2;
  const heapByAddress = (address: bigint) => ntHeaps.find((h) => h.address === address)!;

  it("!heaps: one row per NT heap, with the totals of the writer's blocks, then the segment heaps'", () => {
    const { value, output } = session.alias("heaps");
    const all = [...(value as any[])];
    expect(all.map((r) => big(r.Heap))).toEqual([...ntHeaps, ...segmentHeaps].map((h) => h.address));
    const rows = all.slice(0, ntHeaps.length);
    for (const row of all.slice(ntHeaps.length)) {
      const heap = segmentHeaps.find((h) => h.address === big(row.Heap))!;
      const s = heap.segmentHeap!;
      expect({
        reserved: row.ReservedBytes, committed: row.CommittedBytes, free: row.FreeCommittedBytes, vsFree: row.VsFreeBytes,
        largeReserved: row.LargeReservedBytes, largeCommitted: row.LargeCommittedBytes, busyBlocks: row.BusyBlocks, busyBytes: row.BusyBytes,
      }).toEqual({
        reserved: s.reservedBytes, committed: s.committedBytes, free: s.freeCommittedBytes, vsFree: s.vsFreeCommittedBytes,
        largeReserved: s.largeReservedBytes, largeCommitted: s.largeCommittedBytes,
        busyBlocks: busy(heap).length, busyBytes: busy(heap).reduce((n, b) => n + b.userSize, 0),
      });
      expect(output).toMatch(new RegExp(`^${pad(heap.address, digits)} ${pad(heap.flags, 8)} +${Math.floor(s.reservedBytes / 1024)} +${Math.floor(s.committedBytes / 1024)} `, "m"));
    }
    expect(output.includes("SEGMENT HEAP STATS BELOW")).toBe(segmentHeaps.length > 0);
    for (const row of rows) {
      const heap = heapByAddress(big(row.Heap));
      const free = heap.blocks.filter((b) => b.kind === "Backend" && b.state === "Free");
      const reserved = heap.segments.reduce((n, s) => n + Number(s.lastValidEntry - s.baseAddress), 0);
      const committed = heap.segments.reduce((n, s) => n + s.committedBytes, 0);
      expect({
        flags: row.Flags, reserved: row.ReservedBytes, committed: row.CommittedBytes, freeBlocks: row.FreeBlocks,
        freeBytes: row.FreeBytes, ucr: row.UncommittedRanges, virtualBlocks: row.VirtualBlocks, fast: row.FastHeap,
        busyBlocks: row.BusyBlocks, busyBytes: row.BusyBytes,
      }).toEqual({
        flags: heap.flags, reserved, committed, freeBlocks: free.length,
        freeBytes: free.reduce((n, b) => n + b.size, 0),
        ucr: heap.segments.reduce((n, s) => n + s.uncommittedRanges.length, 0),
        virtualBlocks: heap.blocks.filter((b) => b.kind === "VirtualAlloc").length,
        fast: heap.lfh ? "LFH" : "",
        busyBlocks: busy(heap).length, busyBytes: busy(heap).reduce((n, b) => n + b.userSize, 0),
      });
      // The text row: Heap, Flags, Reserv (k), Commit (k), ... as !heap -s prints them.
      const line = new RegExp(`^${pad(heap.address, digits)} ${pad(heap.flags, 8)} +${Math.floor(reserved / 1024)} +${Math.floor(committed / 1024)} `, "m");
      expect(output).toMatch(line);
    }
  });

  it("!heapstat heap: busy blocks grouped by requested size, by total, with percentages", () => {
    const heap = ntHeaps[0];
    const { value, output } = session.alias("heapstat", session.int64(heap.address));
    const [stats] = value as any[];
    const bySize = new Map<number, number>();
    for (const b of busy(heap)) bySize.set(b.userSize, (bySize.get(b.userSize) ?? 0) + 1);
    const total = busy(heap).reduce((n, b) => n + b.userSize, 0);
    const expected = [...bySize].map(([size, count]) => ({ size, count, total: size * count }))
      .sort((a, b) => b.total - a.total || b.size - a.size).slice(0, 20);
    const rows = [...stats.Rows].map((r: any) => ({ size: r.Size, count: r.Count, total: r.TotalBytes }));
    expect(rows).toEqual(expected);
    expect(stats.BusyBytes).toBe(total);
    expect(output).toContain(`heap @ ${pad(heap.address, digits)}`);
    const top = expected[0];
    expect(output).toContain(`    ${top.size.toString(16)} ${top.count.toString(16)} - ${top.total.toString(16)}  (${((top.total * 100) / total).toFixed(2)})`);
  });

  it("!heapstat with no heap covers every heap; B orders by count, max cuts the rows", () => {
    const all = session.alias("heapstat").value as any[];
    expect(all.map((s) => big(s.Heap))).toEqual(walked.map((h) => h.address));
    const [byCount] = session.alias("heapstat", session.int64(ntHeaps[0].address), "B", 3).value as any[];
    const counts = [...byCount.Rows].map((r: any) => r.Count);
    expect(counts.length).toBe(3);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it("!heapfilter size and [min, max): exactly the busy blocks of those requested sizes, in every heap", () => {
    const all = walked.flatMap(busy);
    const size = all.map((b) => b.userSize).find((s) => all.filter((b) => b.userSize === s).length > 1) ?? all[0].userSize;
    const exact = [...(session.alias("heapfilter", size).value as any)].map(blockOf).sort(byAddress);
    expect(exact).toEqual(all.filter((b) => b.userSize === size).sort(byAddress));

    const sizes = [...new Set(all.map((b) => b.userSize))].sort((a, b) => a - b);
    const min = sizes[1];
    const max = sizes[5];
    const range = [...(session.alias("heapfilter", min, max).value as any)].map(blockOf).sort(byAddress);
    expect(range).toEqual(all.filter((b) => b.userSize >= min && b.userSize < max).sort(byAddress));
    expect(range.some((b) => b.userSize === min)).toBe(true);
    expect(range.some((b) => b.userSize === max)).toBe(false);
  });

  it("!heapfind address: the block holding it, of every kind, and its offset", () => {
    const blocks = walked.flatMap((h) => h.blocks);
    const kinds = ["Backend", "LFH", "VirtualAlloc", ...(segmentHeaps.length > 0 ? ["VS", "Large", "PageRange"] : [])];
    for (const kind of kinds) {
      const block = blocks.find((b) => b.kind === kind && b.state === "Busy" && b.userSize > 8)!;
      const { value, output } = session.alias("heapfind", session.int64(block.userAddress + 5n));
      const found = value as any;
      expect(blockOf(found.Block)).toEqual(block);
      expect(found.Offset).toBe(Number(block.userAddress - block.address) + 5);
      expect(output).toContain(pad(block.address, digits));
    }
    expect(session.alias("heapfind", 0x1000).value).toBeNull();
  });

  it("!heapfind address, true: every pointer in the process into the block, the planted ones included", () => {
    const reference = image.truth.references[1];
    const block = ntHeaps.flatMap((h) => h.blocks).find((b: BlockTruth) => b.kind !== "LFH" && reference.value >= b.address && reference.value < b.address + BigInt(b.size))!;
    const { value, output } = session.alias("heapfind", session.int64(reference.value), true);
    const references = [...(value as any).References].map((r: any) => ({ location: big(r.Location), value: big(r.Value) }));
    expect(references).toEqual(pointersInto(target, block.address, block.address + BigInt(block.size)));
    expect(references).toContainEqual(reference);
    expect(output).toContain(`Search VM for address range ${pad(block.address, digits)}`);
  });

  it("!heapsearch: every aligned occurrence of a 4-byte and a pointer-sized pattern in busy user data", () => {
    const expectHits = (pattern: bigint, width: number) => {
      const little = new Uint8Array(8);
      new DataView(little.buffer).setBigUint64(0, pattern, true);
      const bytes = little.subarray(0, width);
      const hits: bigint[] = [];
      for (const b of walked.flatMap(busy)) {
        const first = (b.userAddress + BigInt(width) - 1n) / BigInt(width) * BigInt(width);
        for (let at = first; at + BigInt(width) <= b.userAddress + BigInt(b.userSize); at += BigInt(width)) {
          const data = readTarget(target, at, width);
          if (data && data.every((x, i) => x === bytes[i])) hits.push(at);
        }
      }
      return hits.sort((a, b) => (a < b ? -1 : 1));
    };
    const u32 = [...(session.alias("heapsearch", SEARCH_PATTERN_U32, 4).value as any)];
    const expected32 = expectHits(BigInt(SEARCH_PATTERN_U32), 4);
    expect(expected32.length).toBeGreaterThan(0);
    expect(u32.map((h) => big(h.Location)).sort((a, b) => (a < b ? -1 : 1))).toEqual(expected32);
    if (target.pointerSize === 8) {
      const u64 = [...(session.alias("heapsearch", session.int64(SEARCH_PATTERN_U64)).value as any)];
      const expected64 = expectHits(SEARCH_PATTERN_U64, 8);
      expect(expected64.length).toBeGreaterThan(0);
      expect(u64.map((h) => big(h.Location)).sort((a, b) => (a < b ? -1 : 1))).toEqual(expected64);
    }
  });

  it("bad arguments get a one-line error saying what was expected, printed, never thrown", () => {
    const error = (name: string, ...args: unknown[]) => {
      const { value, output } = session.alias(name, ...args);
      expect(value).toBeUndefined();
      expect(output.split("\n")).toEqual([expect.stringMatching(/^Error: /), ""]);
      expect(output).not.toMatch(/line \d+ col/);
      return output.trim();
    };
    expect(error("heapfilter")).toBe("Error: heapfilter: expected a size");
    expect(error("heapfilter", 0x100, 0x80)).toMatch(/upper bound .* must be above the size/);
    expect(error("heapstat", 0, "X")).toBe('Error: heapstat: expected a grouping ("A", "B", "S"), got "X"');
    expect(error("heapstat", 0x1234)).toMatch(/0x1234 is not a heap of this process/);
    expect(error("heapsearch", 0x1ffff, 2)).toMatch(/does not fit in 2 bytes/);
    expect(error("heapsearch", 1, 3)).toMatch(/width of 1, 2, 4 or 8, got 3/);
    expect(error("heapfind", "somewhere")).toBe('Error: heapfind: expected an address (a non-negative number or 64-bit value), got "somewhere"');
    expect(error("heapfind", -1)).toBe("Error: heapfind: expected an address (a non-negative number or 64-bit value), got -1");
    expect(error("heapfind", 0x1000, "true")).toBe('Error: heapfind: expected whether to search the process for pointers into the block (true or false), got "true"');
    expect(error("heapfilter", 0x10, 0x20, 0x30)).toBe("Error: heapfilter: expected at most 2 arguments, got 3");
    expect(error("heaps", 1)).toBe("Error: heaps: expected at most 0 arguments, got 1");
  });
});
