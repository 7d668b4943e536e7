// Hostile dumps, and healthy ones asked hostile questions: every command is bounded in reads,
// memory and output, and corruption is reported, never silently absorbed. Each case here was a
// failure once; bounds are asserted through host counters, not clocks.
import { buildImage } from "../writers/images";
import { writeNtHeap } from "../writers/ntheap";
import { ProcessImageBuilder } from "../writers/process";
import { AddressSpace, HeapTruth, Layout } from "../writers/types";
import { big, blockOf, load } from "./harness";

const LFH_KEY = 0x2b3c4d5e;

/** One process with one NT heap (3 segments, LFH, two VirtualAlloc'd blocks), damaged before the dump is written. */
function damaged(arch: "x86" | "x64", damage: (space: AddressSpace, layout: Layout, heap: HeapTruth) => void, build = 19041) {
  const process = new ProcessImageBuilder({ arch, build, globals: { lfhKey: LFH_KEY, segmentHeapKey: 0n, segmentLfhKey: 0n } });
  const heap = writeNtHeap(process.space, process.layout, { lfhKey: LFH_KEY }, {
    seed: 5, flags: 0x1002, segments: 3, blocksPerSegment: 40, lfh: true, virtualAllocs: [0x12000, 0x30000], escapes: arch === "x64",
  });
  damage(process.space, process.layout, heap);
  process.addHeap(heap.address, ["PEB"]);
  return { session: load(process.build()), heap, layout: process.layout };
}

function findings(session: ReturnType<typeof load>) {
  const heap = session.process.Heaps.getValueAt(0);
  return [...heap.Findings].map((f: any) => ({ kind: String(f.Kind), address: big(f.Address), message: String(f.Message) }));
}

describe.each(["x64", "x86"] as const)("%s: unbounded results", (arch) => {
  const image = buildImage(arch, 19041);

  it("!heapsearch (0, 1) prints its first rows and a count of the rest; its dx result is lazy", () => {
    // Zeroes in a VirtualAlloc'd block's data: hundreds of thousands of one-byte matches.
    const { session } = damaged(arch, (space, _layout, heap) => {
      const big = heap.blocks.filter((b) => b.kind === "VirtualAlloc").sort((a, b) => b.userSize - a.userSize)[0];
      space.write(big.userAddress, new Uint8Array(big.userSize));
    });
    const { value, output } = session.alias("heapsearch", 0, 1);
    const lines = output.split("\n");
    expect(lines.length).toBeLessThan(3 * 2000 + 20);
    const note = lines.find((l) => l.startsWith("... "))!;
    expect(note).toMatch(/^\.\.\. \d+ more matches; use dx @\$heapsearch\(0x0, 1\) to query them all$/);
    const more = Number(/\d+/.exec(note)![0]);
    expect(more).toBeGreaterThan(10000);
    // .Take(10) reads only what ten hits need; the full result is recomputed only when iterated.
    session.resetCounters();
    const ten = [...(value as any).Take(10)];
    expect(ten.length).toBe(10);
    expect(session.counters.bytesRead).toBeLessThanOrEqual(1 << 20);
    expect(String(value)).toBe(`${more + 2000} matches`);
  });

  it("!heapfilter over every size prints at most 2000 rows, its dx result holds them all", () => {
    const session = load(image);
    const { value, output } = session.alias("heapfilter", 0, 0x100000);
    const busy = image.truth.heaps.filter((h) => h.type === "NT").flatMap((h) => h.blocks).filter((b) => b.state === "Busy" && b.userSize < 0x100000);
    expect((value as any).Count()).toBe(busy.length);
    const rows = output.split("\n").filter((l) => /^ {8}[0-9a-f]{8,16} /.test(l));
    expect(rows.length).toBe(Math.min(2000, busy.length));
  });
});
