// Every way Windows names a heap, and what dxheap lists when those lists contradict themselves;
// one walk per process shared by dx and every command; indexable collections; the segment's own
// header block.
import { writeNtHeap } from "../writers/ntheap";
import { ProcessImageBuilder } from "../writers/process";
import { buildImage } from "../writers/images";
import { layoutFor } from "../writers/layout";
import { AddressSpace, HeapTruth, Layout } from "../writers/types";
import { ScriptSession } from "../../nodehost/session";
import { BUNDLE, big, blockOf, load, targetOf } from "./harness";

/** A process with three small NT heaps, the first being PEB.ProcessHeap; `damage` runs before the dump is written. */
function process(arch: "x86" | "x64", damage: (space: AddressSpace, layout: Layout, peb: bigint, heaps: HeapTruth[]) => void) {
  const lfhKey = 0x1b2c3d4e;
  const builder = new ProcessImageBuilder({ arch, build: 19041, globals: { lfhKey, segmentHeapKey: 0n, segmentLfhKey: 0n } });
  const heaps = [1, 2, 3].map((seed) =>
    writeNtHeap(builder.space, builder.layout, { lfhKey }, { seed, flags: 0x1002, segments: 1, blocksPerSegment: 8, lfh: false, virtualAllocs: [], escapes: false }),
  );
  for (const heap of heaps) builder.addHeap(heap.address, ["PEB"]);
  damage(builder.space, builder.layout, builder.peb, heaps);
  return { session: load(builder.build()), heaps };
}

function listed(session: ReturnType<typeof load>) {
  const collection = session.process.Heaps;
  return {
    heaps: [...collection].map((h: any) => ({ address: big(h.Address), type: String(h.Type), listedIn: [...h.ListedIn] })),
    findings: [...collection.Findings].map((f: any) => ({ kind: String(f.Kind), message: String(f.Message) })),
  };
}

const pebField = (layout: Layout, peb: bigint, field: string) => peb + BigInt(layout.off("_PEB", field));

describe.each(["x64", "x86"] as const)("%s: heap lists", (arch) => {
  it("lists PEB.ProcessHeap first, then the PEB array, each heap once, with where it was found", () => {
    const { session, heaps } = process(arch, () => {});
    const { heaps: seen, findings } = listed(session);
    expect(seen).toEqual([
      { address: heaps[0].address, type: "NT", listedIn: ["ProcessHeap", "PEB"] },
      { address: heaps[1].address, type: "NT", listedIn: ["PEB"] },
      { address: heaps[2].address, type: "NT", listedIn: ["PEB"] },
    ]);
    expect(findings).toEqual([]);
  });

  it.each([17, 4096, 0xffffffff])("NumberOfHeaps %d above MaximumNumberOfHeaps 16: the 16 slots are read and the finding names both fields", (count) => {
    const { session, heaps } = process(arch, (space, layout, peb) => space.u32(pebField(layout, peb, "NumberOfHeaps"), count));
    const { heaps: seen, findings } = listed(session);
    expect(seen.map((h) => h.address)).toEqual(heaps.map((h) => h.address));
    expect(findings).toEqual([
      { kind: "Corruption", message: `PEB.NumberOfHeaps is ${count} but PEB.MaximumNumberOfHeaps is 16: reading the 16 slots the array has` },
      { kind: "Corruption", message: "13 of the first 16 PEB.ProcessHeaps slots (PEB.NumberOfHeaps " + count + ") hold no heap" },
    ]);
  });

  it("NumberOfHeaps 0 while ProcessHeap is set: the process heap is still listed, and the finding says so", () => {
    const { session, heaps } = process(arch, (space, layout, peb) => space.u32(pebField(layout, peb, "NumberOfHeaps"), 0));
    const { heaps: seen, findings } = listed(session);
    expect(seen).toEqual([{ address: heaps[0].address, type: "NT", listedIn: ["ProcessHeap"] }]);
    expect(findings).toEqual([
      { kind: "Corruption", message: `PEB.NumberOfHeaps is 0 while PEB.ProcessHeap is 0x${heaps[0].address.toString(16)}: the PEB's heap array lists nothing` },
    ]);
  });

  it("an unreadable ProcessHeaps array: PEB.ProcessHeap's heap is still listed, and the finding names the array", () => {
    let array = 0n;
    const { session, heaps } = process(arch, (space, layout, peb) => {
      array = space.readPtr(pebField(layout, peb, "ProcessHeaps"));
      // Point the array at an address the dump does not hold.
      space.ptr(pebField(layout, peb, "ProcessHeaps"), 0x10000n);
    });
    expect(array).not.toBe(0n);
    const { heaps: seen, findings } = listed(session);
    expect(seen).toEqual([{ address: heaps[0].address, type: "NT", listedIn: ["ProcessHeap"] }]);
    expect(findings).toEqual([
      { kind: "Unreadable", message: "PEB.ProcessHeaps (3 slots at 0x10000) is not readable: only heaps listed elsewhere are shown" },
    ]);
  });

  it("a heap whose header is not in the dump is listed with Type Unknown and an Unreadable finding; its walk is empty", () => {
    const { session, heaps } = process(arch, (space, _layout, _peb, heaps) => space.drop(heaps[1].address, 0x1000));
    const { heaps: seen } = listed(session);
    expect(seen.map((h) => h.type)).toEqual(["NT", "Unknown", "NT"]);
    const unknown = session.process.Heaps.getValueAt(1);
    expect([...unknown.Findings].map((f: any) => [String(f.Kind), big(f.Address)])).toEqual([["Unreadable", heaps[1].address]]);
    expect([...unknown.Blocks]).toEqual([]);
    expect(String(unknown.Summary)).toBe(`Unreadable: the header of heap 0x${heaps[1].address.toString(16)} is not readable (not in the dump?)`);
    expect(session.alias("heaps").output).toContain(`Unknown: the header of heap 0x${heaps[1].address.toString(16)} is not readable`);
  });
});

describe.each([["x64", 22000], ["x86", 19041]] as const)("%s %d: one walk per process", (arch, build) => {
  const image = buildImage(arch, build);
  const nt = image.truth.heaps.filter((h) => h.type === "NT");

  it("dx @$curprocess and Heaps.Count() read no heap", () => {
    const session = ScriptSession.load(BUNDLE, targetOf(image), { logAccesses: true });
    session.resetCounters();
    session.dx(session.process, 1);
    expect(session.counters.memoryReads).toBe(0);
    expect(session.process.Heaps.Count()).toBe(image.truth.heaps.length);
    // The PEB's fields, its heap array, and ntdll's descriptor list where the build has one.
    expect(session.counters.memoryReads).toBeLessThanOrEqual(8);
    const insideHeaps = session.accessLog!.reads.filter(({ address }) =>
      image.truth.heaps.some((h) => h.segments.some((s) => s.baseAddress <= address && address < s.lastValidEntry) || h.address === address));
    expect(insideHeaps).toEqual([]);
  });

  it("a second command, or dx after a command, reads no memory: the walks are shared", () => {
    const session = load(image);
    session.alias("heaps");
    session.resetCounters();
    session.alias("heapstat");
    session.alias("heapfilter", nt[0].blocks.find((b) => b.state === "Busy")!.userSize);
    for (const heap of session.process.Heaps) for (const _ of heap.Blocks);
    expect(session.counters.memoryReads).toBe(0);
  });

  it("Heaps[i], Segments[i] and Blocks[i] equal the i-th item of iteration", () => {
    const session = load(image);
    const heaps = session.process.Heaps;
    const iterated = [...heaps];
    iterated.forEach((heap: any, i: number) => expect(big(heaps.getValueAt(i).Address)).toBe(big(heap.Address)));
    const heap = heaps.getValueAt(0);
    const blocks = [...heap.Blocks];
    expect(blocks.length).toBe(nt[0].blocks.length);
    blocks.forEach((block: any, i: number) => expect(blockOf(heap.Blocks.getValueAt(i))).toEqual(blockOf(block)));
    [...heap.Segments].forEach((segment: any, i: number) => expect(big(heap.Segments.getValueAt(i).Address)).toBe(big(segment.Address)));
    expect(() => heap.Blocks.getValueAt(blocks.length)).toThrow(/outside \[0, /);
  });

  it("each segment starts with its own header block; !heapfind inside _HEAP names it", () => {
    const session = load(image);
    const heap = session.process.Heaps.getValueAt(0);
    const blocks = [...heap.Blocks].map(blockOf);
    for (const segment of nt[0].segments) {
      const header = blocks.find((b) => b.address === segment.address)!;
      expect(header).toEqual(expect.objectContaining({ state: "Internal", kind: "Backend", size: Number(segment.firstEntry - segment.address) }));
    }
    const inside = nt[0].address + 0x40n; // a field of the _HEAP itself
    const found = session.alias("heapfind", session.int64(inside)).value as any;
    expect(big(found.Block.Address)).toBe(nt[0].address);
    expect(Number(found.Offset)).toBe(0x40);
    expect(found.Block.State).toBe("Internal");
  });

  it("the address index answers like a linear scan of the writer's blocks", () => {
    const session = load(image);
    const all = nt.flatMap((h) => h.blocks);
    const innermost = (address: bigint) => {
      const holding = all.filter((b) => b.address <= address && address < b.address + BigInt(b.size));
      return holding.find((b) => b.kind === "LFH") ?? holding[0];
    };
    for (const block of all.filter((_, i) => i % 3 === 0)) {
      for (const address of [block.address, block.address + BigInt(block.size) - 1n]) {
        const expected = innermost(address);
        const found = session.alias("heapfind", session.int64(address)).value as any;
        expect(found ? big(found.Block.Address) : undefined).toBe(expected?.address);
      }
    }
  });
});

describe.each([["x64", 19041], ["x86", 19041]] as const)("%s %d live target", (arch, build) => {
  const image = buildImage(arch, build);
  const pc = arch === "x64" ? "rip" : "eip";
  const sp = arch === "x64" ? "rsp" : "esp";
  const threads = targetOf(image).threads.map((t) => t.id);
  const live = () => {
    const target = targetOf(image);
    target.threads.forEach((thread, i) => (thread.registers = { [pc]: 0x401000n + BigInt(i), [sp]: thread.stackStart + 0x800n }));
    return ScriptSession.load(BUNDLE, target, { live: true });
  };
  const numberOfHeaps = image.truth.peb + BigInt(layoutFor(arch, build).off("_PEB", "NumberOfHeaps"));
  const u32 = (value: number) => new Uint8Array([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]);

  it("after the target ran, the next command and the next dx read it again and show the change", () => {
    const session = live();
    expect(session.process.Heaps.Count()).toBe(image.truth.heaps.length);
    const before = session.execute("!heaps").output;
    // The target runs: it destroys every heap but the process heap, and its threads move.
    session.resume({ writes: [{ address: numberOfHeaps, bytes: u32(1) }], registers: [{ threadId: threads[0], values: { [pc]: 0x402000n } }] });
    expect(session.process.Heaps.Count()).toBe(1);
    const after = session.execute("!heaps").output;
    expect(after).not.toEqual(before);
    expect(after.split("\n").filter((l) => /^[0-9a-f]{8,16} /.test(l)).length).toBe(1);
  });

  it("while the target has not run, the walks are reused: no memory is read again", () => {
    const session = live();
    session.execute("!heapstat");
    session.resetCounters();
    session.execute("!heapstat");
    expect(session.counters.memoryReads).toBe(0);
  });
});
