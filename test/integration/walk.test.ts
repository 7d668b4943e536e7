// The NT heap walk against the writer's truth, block by block, on every test image:
// x64 Windows 7, 8.1, 10 1809, 10 2004, 11 21H2 and a 24H2-style image whose PEB lists only the
// first heap; x86 Windows 7 and 10.
import { buildImage } from "../writers/images";
import { BlockTruth, HeapTruth } from "../writers/types";
import { big, blockOf, byAddress, load } from "./harness";

const IMAGES: ["x86" | "x64", number][] = [
  ["x64", 7601],
  ["x64", 9600],
  ["x64", 17763],
  ["x64", 19041],
  ["x64", 22000],
  ["x64", 26100],
  ["x86", 7601],
  ["x86", 19041],
];

describe.each(IMAGES)("%s build %d", (arch, build) => {
  const image = buildImage(arch, build);
  const session = load(image);
  const heaps: any[] = [...session.process.Heaps];
  const ntHeaps = image.truth.heaps.filter((h) => h.type === "NT");

  it("lists every heap with its type, flags and where it is listed", () => {
    const seen = heaps.map((h) => ({ address: big(h.Address), type: h.Type, flags: Number(h.Flags), listedIn: [...h.ListedIn].sort() }));
    const expected = image.truth.heaps.map((h) => ({ address: h.address, type: h.type, flags: h.flags, listedIn: [...h.listedIn].sort() }));
    expect(seen).toEqual(expected);
  });

  it("has images worth testing: several NT heaps, segments, UCRs, LFH, VirtualAlloc'd blocks", () => {
    expect(ntHeaps.length).toBeGreaterThanOrEqual(2);
    const all = ntHeaps.flatMap((h) => h.blocks);
    expect(ntHeaps.some((h) => h.segments.length > 1)).toBe(true);
    expect(ntHeaps.some((h) => h.segments.some((s) => s.uncommittedRanges.length > 0))).toBe(true);
    expect(all.some((b) => b.kind === "LFH" && b.state === "Busy")).toBe(true);
    expect(all.some((b) => b.kind === "LFH" && b.state === "Free")).toBe(true);
    expect(all.some((b) => b.kind === "VirtualAlloc")).toBe(true);
    expect(all.some((b) => b.kind === "Backend" && b.state === "Free")).toBe(true);
    // UnusedBytes escapes: 0x40, an extended entry before the user data (user = entry + 3 granules) ...
    const granularity = BigInt(ntHeaps[0].granularity);
    expect(all.some((b) => b.kind === "Backend" && b.userAddress - b.address === 3n * granularity)).toBe(true);
    // ... and, on x64, 0x3F: at least 0x3F unused bytes, counted after the block.
    if (arch === "x64") {
      expect(all.some((b) => b.kind === "Backend" && b.state === "Busy" && b.userAddress - b.address === granularity && b.size - b.userSize >= 0x3f)).toBe(true);
    }
  });

  for (const truthIndex of [0, 1, 2, 3]) {
    it(`walks NT heap #${truthIndex} exactly as the writer placed it`, () => {
      const truth: HeapTruth | undefined = ntHeaps[truthIndex];
      if (!truth) return;
      const heap = heaps.find((h) => big(h.Address) === truth.address);
      expect(heap).toBeDefined();
      expect(Number(heap.Granularity)).toBe(truth.granularity);
      expect([...heap.Findings].map((f: any) => String(f.Message))).toEqual([]);
      const segments = [...heap.Segments].map((s: any) => ({
        address: big(s.Address),
        firstEntry: big(s.FirstEntry),
        lastValidEntry: big(s.LastValidEntry),
        committedBytes: Number(s.CommittedBytes),
        uncommittedRanges: [...s.UncommittedRanges].map((r: any) => ({ address: big(r.Address), size: Number(r.Size) })),
      }));
      expect(segments).toEqual(
        truth.segments.map((s) => ({
          address: s.address,
          firstEntry: s.firstEntry,
          lastValidEntry: s.lastValidEntry,
          committedBytes: s.committedBytes,
          uncommittedRanges: s.uncommittedRanges,
        })),
      );
      const walked: BlockTruth[] = [...heap.Blocks].map(blockOf).sort(byAddress);
      const expected = [...truth.blocks].sort(byAddress);
      expect(walked.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(walked[i]).toEqual(expected[i]);
    });
  }

  it("creates no typed object per block and reads memory per structure, never per block", () => {
    session.resetCounters();
    let blocks = 0;
    for (const heap of session.process.Heaps) {
      if (heap.Type !== "NT") continue;
      for (const _ of heap.Blocks) blocks++;
    }
    expect(blocks).toBe(ntHeaps.reduce((n, h) => n + h.blocks.length, 0));
    expect(session.counters.typedObjectsCreated).toBeLessThanOrEqual(2);
    // Reads: a few per heap, per segment and its uncommitted ranges, per VirtualAlloc'd block and
    // per LFH container; the blocks of a committed run come from one large read.
    const structures = image.truth.heaps.reduce((n, h) => {
      const ranges = h.segments.reduce((r, s) => r + s.uncommittedRanges.length, 0);
      const virtualBlocks = h.blocks.filter((b) => b.kind === "VirtualAlloc").length;
      const containers = h.blocks.filter((b) => b.state === "Internal" && b.kind === "Backend").length;
      return n + 8 + 4 * h.segments.length + 3 * ranges + 3 * virtualBlocks + 2 * containers;
    }, 8);
    expect(session.counters.memoryReads).toBeLessThanOrEqual(structures);
    expect(session.counters.memoryReads).toBeLessThan(blocks / 2);
  });
});
