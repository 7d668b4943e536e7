// The segment-heap layout resolver on the real x64 kernel-PDB layouts of the fixtures (the kernel and
// ntdll copies of these types agree, docs/heap-structures.md §5): every offset the walk uses comes
// out as §1.9 lists it, on each build from 17763 to 22000, and a build without segment-heap types
// gives a one-line problem instead of an exception.
import { join } from "path";
import { IsfField, IsfTypes } from "../../nodehost/formats/isf";
import { TypeSource } from "../../src/host/symbols";
import { resolveSegmentHeapLayout } from "../../src/layouts/segment-heap";

const FIXTURES = join(__dirname, "..", "fixtures", "layouts");

/** A TypeSource over an ISF file (dotted paths through nested structs), with the symbols given. */
function typesOf(file: string, symbols: { [name: string]: number } = {}): TypeSource {
  const isf = IsfTypes.load(join(FIXTURES, file));
  return {
    fieldOffset(type: string, path: string) {
      let current: string | undefined = type;
      let offset = 0;
      for (const part of path.split(".")) {
        const field: IsfField | undefined = current ? isf.userType(current)?.fields.find((f) => f.name === part) : undefined;
        if (!field) return undefined;
        offset += field.offset;
        current = field.type.kind === "struct" || field.type.kind === "union" ? (field.type as { name: string }).name : undefined;
      }
      return offset;
    },
    typeSize(type: string) {
      return isf.userType(type)?.size;
    },
    symbolAddress(name: string) {
      return symbols[name];
    },
  };
}

const BUILDS: [string, number, number][] = [
  // file, SegContexts, VsContext (§1.0, §1.9)
  ["x64-10.0.17763.379.isf.json", 0x100, 0x280],
  ["x64-10.0.18362.295.isf.json", 0x100, 0x280],
  ["x64-10.0.19041.3324.isf.json", 0x100, 0x280],
  ["x64-10.0.20348.288.isf.json", 0x140, 0x2c0],
  ["x64-10.0.22000.2538.isf.json", 0x140, 0x2c0],
];

describe.each(BUILDS)("%s", (file, segContexts, vsContext) => {
  const layout = resolveSegmentHeapLayout(typesOf(file, { RtlpHpHeapGlobals: 0x7ffe0000 }), 8);

  it("resolves every field the walk uses, as §1.9 lists them", () => {
    expect(layout.problem).toBeUndefined();
    expect(layout.gaps).toEqual([]);
    expect(layout.granularity).toBe(16);
    expect(layout.heap).toEqual({
      segContexts,
      largeAllocMetadata: 0x48,
      largeReservedPages: 0x58,
      largeCommittedPages: 0x60,
      totalReservedPages: 0x80,
      totalCommittedPages: 0x88,
      freeCommittedPages: 0x90,
      lfhFreeCommittedPages: 0x98,
      vsTotalCommittedUnits: vsContext + 0x30,
      vsFreeCommittedUnits: vsContext + 0x38,
    });
    expect(layout.heapSpan).toBe(vsContext + 0x38 + 16);
    expect(layout.segContext).toEqual({ size: 0xc0, segmentMask: 0, unitShift: 8, firstDescriptorIndex: 0xa, segmentListHead: 0x48 });
    expect(layout.pageSegment).toEqual({ size: 0x2000, listEntry: 0, signature: 0x10, descriptorCount: 256 });
    expect(layout.descriptor).toEqual({
      size: 0x20, rangeFlags: 0x18, rangeFlagsMask: 0xff, unitSize: 0x1f, unusedBytes: 4, unusedBytesWidth: 4,
      encodedCommittedPageCount: 0x1c, encodedCommittedPageCountBits: 16, committedPageCount: 0x19,
    });
    expect(layout.vs).toEqual({ size: 0x20, signature: 0x22, chunkHeaderSize: 0x10, allocatedChunkBits: 8, firstChunk: 0x30 });
    expect(layout.lfh).toEqual({ blockCount: 0x22, blockOffsets: 0x28, blockBitmap: 0x30 });
    expect(layout.large).toEqual({ root: 0, min: 8, left: 0, right: 8, nodeSize: 0x28, treeNode: 0, virtualAddress: 0x18, allocatedPages: 0x20 });
    expect(layout.globals).toEqual({ address: 0x7ffe0000, heapKey: 0, lfhKey: 8 });
    expect(layout.pebOsBuildNumber).toBe(0x120);
  });
});

it("without RtlpHpHeapGlobals the keys are a gap, not an error", () => {
  const layout = resolveSegmentHeapLayout(typesOf("x64-10.0.19041.3324.isf.json"), 8);
  expect(layout.problem).toBeUndefined();
  expect(layout.globals).toBeUndefined();
  expect(layout.gaps).toEqual(["ntdll!RtlpHpHeapGlobals (the segment heap keys)"]);
});

it("a build without segment-heap types gives one line naming what is missing", () => {
  const layout = resolveSegmentHeapLayout(typesOf("x64-10.0.14393.4583.isf.json"), 8);
  expect(layout.problem).toMatch(/^ntdll symbols do not describe _SEGMENT_HEAP\.SegContexts, sizeof\(_HEAP_SEG_CONTEXT\), .*: dxheap cannot walk segment heaps/);
  expect(layout.problem).not.toContain("\n");
});
