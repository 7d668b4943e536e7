import { buildImage } from "./images";
import { layoutFor, SUPPORTED_BUILDS } from "./layout";

const catalog = (["x64", "x86"] as const).flatMap((arch) => SUPPORTED_BUILDS[arch].map((build) => [arch, build] as const));

describe.each(catalog)("%s %i image", (arch, build) => {
  const { dump, truth, space } = buildImage(arch, build, { seed: 7 });
  const layout = layoutFor(arch, build);
  const off = (type: string, field: string) => BigInt(layout.off(type, field));

  test("stays small", () => {
    expect(dump.length).toBeLessThan(4 * 1024 * 1024);
  });

  test("several NT heaps: the process heap first, segments, LFH and VirtualAlloc'd blocks; a segment heap from 17763", () => {
    const ntHeaps = truth.heaps.filter((heap) => heap.type === "NT");
    expect(ntHeaps.length).toBeGreaterThanOrEqual(3);
    expect(ntHeaps.map((heap) => heap.flags)).toEqual([0x2, ...ntHeaps.slice(1).map(() => 0x1002)]);
    expect(ntHeaps.reduce((n, heap) => n + heap.segments.length, 0)).toBeGreaterThan(ntHeaps.length);
    expect(ntHeaps.some((heap) => heap.lfh)).toBe(true);
    expect(ntHeaps.some((heap) => heap.blocks.some((block) => block.kind === "VirtualAlloc"))).toBe(true);
    const segmentHeaps = truth.heaps.filter((heap) => heap.type === "Segment");
    expect(segmentHeaps.length).toBe(build >= 17763 ? 1 : 0);
    for (const heap of segmentHeaps) expect(space.readU32(heap.address + off("_SEGMENT_HEAP", "Signature"))).toBe(0xddeeddee);
  });

  test("the PEB lists every heap, or on 26100 only the first while the descriptor list has them all", () => {
    const listed = truth.heaps.map((heap) => heap.listedIn);
    if (build >= 26100) {
      expect(listed).toEqual([["ProcessHeap", "PEB", "DescriptorList"], ...truth.heaps.slice(1).map(() => ["DescriptorList"])]);
    } else {
      expect(listed).toEqual(truth.heaps.map((_, i) => (i === 0 ? ["ProcessHeap", "PEB"] : ["PEB"])));
    }
    const inPeb = truth.heaps.filter((heap) => heap.listedIn.includes("PEB")).map((heap) => heap.address);
    expect(space.readU32(truth.peb + off("_PEB", "NumberOfHeaps"))).toBe(inPeb.length);
    const array = space.readPtr(truth.peb + off("_PEB", "ProcessHeaps"));
    expect(inPeb.map((_, i) => space.readPtr(array + BigInt(i * layout.pointerSize)))).toEqual(inPeb);
    expect(space.readPtr(truth.peb + off("_PEB", "ProcessHeap"))).toBe(truth.heaps[0].address);
  });

  test("planted references point at the start and into the middle of busy blocks", () => {
    const busy = truth.heaps.flatMap((heap) => heap.blocks).filter((block) => block.state === "Busy");
    const target = (value: bigint) => busy.find((b) => b.userAddress <= value && value < b.userAddress + BigInt(b.userSize));
    expect(truth.references.length).toBeGreaterThanOrEqual(2);
    for (const { location, value } of truth.references) {
      expect(space.readPtr(location)).toBe(value);
      expect(target(value)).toBeDefined();
    }
    expect(truth.references.some(({ value }) => target(value)!.userAddress === value)).toBe(true);
    expect(truth.references.some(({ value }) => target(value)!.userAddress < value)).toBe(true);
  });
});

test("the same seed gives the same image", () => {
  expect(buildImage("x64", 19041, { seed: 3 }).dump).toEqual(buildImage("x64", 19041, { seed: 3 }).dump);
});
