// Bad memory never takes the extension down: a corrupted header or an unreadable page ends
// that segment's walk with a finding naming the address, a looping list is cut, and the rest
// of the heap is still walked.
import { corruptHeader, dropPage, writeNtHeap } from "../writers/ntheap";
import { ProcessImageBuilder } from "../writers/process";
import { AddressSpace, HeapTruth, Layout } from "../writers/types";
import { big, blockOf, byAddress, load } from "./harness";

/** One process with one three-segment heap (LFH and VirtualAlloc'd blocks), damaged by `damage` before the dump is written. */
function damagedImage(arch: "x86" | "x64", damage: (space: AddressSpace, layout: Layout, heap: HeapTruth) => HeapTruth) {
  const lfhKey = 0x3c5a96e1;
  const process = new ProcessImageBuilder({ arch, build: 19041, globals: { lfhKey, segmentHeapKey: 0n, segmentLfhKey: 0n } });
  const heap = writeNtHeap(process.space, process.layout, { lfhKey }, {
    seed: 7, flags: 0x1002, segments: 3, blocksPerSegment: 40, lfh: true, virtualAllocs: [0x12000], escapes: arch === "x64",
  });
  const expected = damage(process.space, process.layout, heap);
  process.addHeap(heap.address, ["PEB"]);
  return { image: process.build(), heap, expected };
}

function walked(image: { dump: Uint8Array; ntdllIsf: object }) {
  const session = load(image);
  const summaryText = session.alias("heaps").output;
  const [heap] = [...session.process.Heaps];
  if (!heap) return { blocks: [], findings: [], summaryText }; // its signature was damaged: !heaps warns
  return {
    blocks: [...heap.Blocks].map(blockOf).sort(byAddress),
    findings: [...heap.Findings].map((f: any) => ({ kind: String(f.Kind), address: big(f.Address), message: String(f.Message) })),
    summaryText,
  };
}

describe.each(["x64", "x86"] as const)("%s", (arch) => {
  it("a header with a bad checksum ends its segment's walk with a finding; other segments and VirtualAlloc'd blocks are still listed", () => {
    let corrupted = 0n;
    const { image, heap, expected } = damagedImage(arch, (space, layout, heap) => {
      const result = corruptHeader(space, layout, heap, 1, 6);
      corrupted = result.address;
      return result.expected;
    });
    const result = walked(image);
    expect(result.blocks).toEqual([...expected.blocks].sort(byAddress));
    expect(result.blocks.length).toBeLessThan(heap.blocks.length);
    expect(result.blocks.some((b) => b.kind === "VirtualAlloc")).toBe(true);
    expect(result.blocks.some((b) => b.address > heap.segments[2].baseAddress)).toBe(true);
    expect(result.findings).toEqual([
      { kind: "Corruption", address: corrupted, message: `corrupted heap entry at 0x${corrupted.toString(16)}: header checksum mismatch` },
    ]);
    expect(result.summaryText).toContain(`WARNING: Corruption: corrupted heap entry at 0x${corrupted.toString(16)}`);
  });

  it("an unreadable page ends its segment's walk with a finding naming the page; the rest is still walked", () => {
    // Pick a block whose page no earlier block reaches into, so every header before the page is whole.
    for (let ordinal = 8; ordinal < 40; ordinal++) {
      let page = 0n;
      let damaged: ReturnType<typeof damagedImage>;
      try {
        damaged = damagedImage(arch, (space, layout, heap) => {
          const result = dropPage(space, layout, heap, 1, ordinal);
          page = result.address;
          return result.expected;
        });
      } catch (e) {
        if (/holds the segment header/.test(String(e))) continue;
        throw e;
      }
      const { image, heap, expected } = damaged;
      const straddles = heap.blocks.some((b) => b.kind === "Backend" && b.address < page && b.address + BigInt(b.size) > page);
      if (straddles || !expected.blocks.some((b) => b.address > page)) continue;
      const result = walked(image);
      expect(result.blocks).toEqual([...expected.blocks].sort(byAddress));
      expect(result.blocks.some((b) => b.address > heap.segments[2].baseAddress)).toBe(true);
      expect(result.findings.map((f) => [f.kind, f.address])).toEqual([["Unreadable", page]]);
      expect(result.findings[0].message).toContain(`0x${page.toString(16)}`);
      return;
    }
    throw new Error("no block starts a page in segment 1: the image changed");
  });

  it("a segment list that loops back is cut, reported, and the segments before the loop are walked", () => {
    let looped = 0n;
    const { image, heap } = damagedImage(arch, (space, layout, heap) => {
      // Segment 1's Flink points back at segment 1 itself: a cycle that never returns to the head.
      const entry = heap.segments[1].address + BigInt(layout.off("_HEAP_SEGMENT", "SegmentListEntry"));
      space.ptr(entry, entry);
      looped = entry;
      return heap;
    });
    const result = walked(image);
    const third = heap.segments[2];
    const expected = heap.blocks.filter((b) => !(third.baseAddress <= b.address && b.address < third.lastValidEntry));
    expect(expected.length).toBeLessThan(heap.blocks.length);
    expect(result.blocks).toEqual([...expected].sort(byAddress));
    expect(result.findings.length).toBe(1);
    expect(result.findings[0].kind).toBe("Corruption");
    expect(result.findings[0].address).toBe(looped);
  });
});

describe("random damage", () => {
  // Flip bytes anywhere in a heap's structures, 40 times over: every walk must end, list no
  // block outside the heap's memory, and report instead of throwing.
  it.each(["x64", "x86"] as const)("%s: walks of randomly damaged heaps end and never throw", (arch) => {
    let state = 0x9e3779b9;
    const random = (n: number) => {
      state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return state % n;
    };
    let reported = 0;
    for (let round = 0; round < 40; round++) {
      const { image, heap } = damagedImage(arch, (space, _layout, heap) => {
        // Damage lands in headers and lists: the heap header, segment starts, and block headers.
        const targets = [heap.address, ...heap.segments.map((s) => s.firstEntry), ...heap.blocks.map((b) => b.address)];
        for (let flips = 0; flips < 1 + random(6); flips++) {
          const at = targets[random(targets.length)] + BigInt(random(0x40));
          try {
            space.u8(at, space.read(at, 1)[0] ^ (1 + random(255)));
          } catch (e) {
            // an address the image does not hold: nothing to damage there
          }
        }
        return heap;
      });
      const result = walked(image);
      const extents = [
        ...heap.segments.map((s) => [s.baseAddress, s.lastValidEntry]),
        ...heap.blocks.filter((b) => b.kind === "VirtualAlloc").map((b) => [b.address, b.address + BigInt(b.size)]),
      ];
      for (const block of result.blocks) {
        expect(extents.some(([start, end]) => block.address >= start && block.address < end)).toBe(true);
      }
      reported += result.findings.length + (result.summaryText.match(/WARNING/g) ?? []).length;
    }
    expect(reported).toBeGreaterThan(0);
  });
});
