// Self-check of the page heap images: the page heaps found from the PEB and from
// ntdll!RtlpDphPageHeapList, their full-page blocks through the BusyNodesTable tree and the free
// list, their light blocks in the NormalHeap — decoded from the dump and the shipped ISFs as
// docs/heap-structures.md §1.7, §2.1, §2.6 and §3.7 describe them, and compared with the truth.
import { DumpView } from "./dump-view";
import { buildPageHeapImage } from "./images";
import type { BlockTruth, HeapTruth } from "./types";

const PAGE = 0x1000n;
const STAMPS = {
  full: { Busy: [0xabcdbbbb, 0xdcbabbbb], Freed: [0xabcdbbba, 0xdcbabbba] },
  light: { Busy: [0xabcdaaaa, 0xdcbaaaaa], Freed: [0xabcdaaa9, 0xdcbaaaa9] },
};

describe.each([
  ["x64", 19041],
  ["x86", 19041],
] as const)("+hpa image %s %i", (arch, build) => {
  const image = buildPageHeapImage(arch, build);
  const view = new DumpView(image.dump, { ntdll: image.ntdllIsf, ...image.moduleIsfs });
  const ptrSize = view.pointerSize;
  const infoSize = BigInt(view.size("_DPH_BLOCK_INFORMATION"));
  const pageHeaps = image.truth.heaps.filter((h) => h.type === "PageHeap");
  const normalHeaps = image.truth.heaps.filter((h) => h.type === "NT");
  const field = (base: bigint, type: string, path: string) => view.at(base, type, path);
  const bytesAre = (address: bigint, length: number, value: number) => view.read(address, length).every((b) => b === value);
  /** The _RTL_STACK_TRACE_ENTRY a StackTrace field points at: Depth frames (§2.6). */
  const traceFrames = (record: bigint) => {
    const depth = view.u16(field(record, "_RTL_STACK_TRACE_ENTRY", "Depth"));
    return Array.from({ length: depth }, (_, i) => view.ptr(field(record, "_RTL_STACK_TRACE_ENTRY", "BackTrace") + BigInt(i * ptrSize)));
  };
  /**
   * A busy page-heap block's user data: the fill, but in blocks big enough for an object the first
   * pointer: the class's vftable if typed, else the fill or a decoy that is no vftable.
   */
  const holdsUserData = (block: BlockTruth, fill: number) => {
    const skip = block.userSize >= 2 * ptrSize ? ptrSize : 0;
    const first = view.symbolize(view.ptr(block.userAddress));
    if (block.typeName) expect(first).toBe(`widgets!${block.typeName}::\`vftable'`);
    else expect(first).not.toMatch(/`vftable'$/);
    expect(bytesAre(block.userAddress + BigInt(skip), block.userSize - skip, fill)).toBe(true);
  };

  test("the PEB says +hpa and lists the page-heap handles: no _HEAP signature, ForceFlags 0x01000000, root at +0x1000", () => {
    expect(view.u32(field(image.truth.peb, "_PEB", "NtGlobalFlag")) & 0x02000000).toBe(0x02000000);
    const count = view.u32(field(image.truth.peb, "_PEB", "NumberOfHeaps"));
    const array = view.ptr(field(image.truth.peb, "_PEB", "ProcessHeaps"));
    const listed = Array.from({ length: count }, (_, i) => view.ptr(array + BigInt(i * ptrSize)));
    expect(listed).toEqual(pageHeaps.map((h) => h.address));
    expect(view.ptr(field(image.truth.peb, "_PEB", "ProcessHeap"))).toBe(pageHeaps[0].address);
    for (const heap of pageHeaps) {
      expect(view.u32(field(heap.address, "_HEAP", "SegmentSignature"))).not.toBe(0xffeeffee);
      expect(view.u32(field(heap.address, "_HEAP", "ForceFlags")) & 0x01000000).toBe(0x01000000);
      expect(view.u32(field(heap.address, "_HEAP", "Flags"))).toBe(heap.flags);
      expect(heap.pageHeap!.root).toBe(heap.address + PAGE);
      expect(view.u32(heap.pageHeap!.root)).toBe(0xffeeddcc);
    }
  });

  test("ntdll!RtlpDphPageHeapList links the roots through NextHeap; each root's NormalHeap is an NT heap of the image", () => {
    expect(view.u8(view.symbol("ntdll", "RtlpDphPageHeapListInitialized"))).toBe(1);
    const head = view.symbol("ntdll", "RtlpDphPageHeapList");
    const flink = view.off("_LIST_ENTRY", "Flink");
    const blink = view.off("_LIST_ENTRY", "Blink");
    const roots: bigint[] = [];
    let previous = head;
    for (let link = view.ptr(head + flink); link !== head; link = view.ptr(link + flink)) {
      expect(view.ptr(link + blink)).toBe(previous);
      roots.push(link - view.off("_DPH_HEAP_ROOT", "NextHeap"));
      previous = link;
    }
    expect(view.ptr(head + blink)).toBe(previous);
    expect(roots).toEqual(pageHeaps.map((h) => h.pageHeap!.root));
    pageHeaps.forEach((heap, i) => {
      const normal = view.ptr(field(roots[i], "_DPH_HEAP_ROOT", "NormalHeap"));
      expect(normal).toBe(heap.pageHeap!.normalHeap);
      expect(view.u32(field(normal, "_HEAP", "SegmentSignature"))).toBe(0xffeeffee);
      expect(normalHeaps.find((h) => h.address === normal)!.listedIn).toEqual(["PageHeapRoot"]);
      expect(image.truth.heaps.indexOf(heap) + 1).toBe(image.truth.heaps.findIndex((h) => h.address === normal));
    });
  });

  test("full-page busy blocks: the BusyNodesTable tree in pUserAllocation order, each block ending at a no-access page", () => {
    for (const heap of pageHeaps) {
      const table = field(heap.pageHeap!.root, "_DPH_HEAP_ROOT", "BusyNodesTable");
      const link = (node: bigint, name: string) => view.ptr(field(node, "_RTL_BALANCED_LINKS", name));
      const balance = (node: bigint) => (view.u8(field(node, "_RTL_BALANCED_LINKS", "Balance")) << 24) >> 24;
      const inOrder: bigint[] = [];
      const walk = (node: bigint, parent: bigint): number => {
        if (node === 0n) return 0;
        expect(link(node, "Parent")).toBe(parent);
        const left = walk(link(node, "LeftChild"), node);
        inOrder.push(node);
        const right = walk(link(node, "RightChild"), node);
        expect(balance(node)).toBe(right - left);
        expect(Math.abs(right - left)).toBeLessThanOrEqual(1);
        return 1 + Math.max(left, right);
      };
      const root = field(table, "_RTL_AVL_TABLE", "BalancedRoot");
      const depth = walk(link(root, "RightChild"), root);
      expect(view.u32(field(table, "_RTL_AVL_TABLE", "NumberGenericTableElements"))).toBe(inOrder.length);
      expect(view.u32(field(table, "_RTL_AVL_TABLE", "DepthOfTree"))).toBe(depth);
      expect(view.u32(field(heap.pageHeap!.root, "_DPH_HEAP_ROOT", "nBusyAllocations"))).toBe(inOrder.length);

      const busyFull = heap.blocks.filter((b) => b.state === "Busy" && b.dphHeapBlock);
      expect(inOrder).toEqual(busyFull.map((b) => b.dphHeapBlock));
      const users = inOrder.map((node) => view.ptr(field(node, "_DPH_HEAP_BLOCK", "pUserAllocation")));
      expect(users).toEqual([...users].sort((a, b) => (a < b ? -1 : 1)));
      for (const block of busyFull) checkFullBlock(heap, block);
    }
    expect(pageHeaps[0].blocks.filter((b) => b.state === "Busy" && b.dphHeapBlock).length).toBe(7);
  });

  test("full-page delayed-free blocks: the free list, freed stamps and fill, or pages not in the dump", () => {
    for (const heap of pageHeaps) {
      const root = heap.pageHeap!.root;
      const listed: bigint[] = [];
      for (let node = view.ptr(field(root, "_DPH_HEAP_ROOT", "pFreeAllocationListHead")); node !== 0n; node = view.ptr(field(node, "_DPH_HEAP_BLOCK", "pNextAlloc"))) listed.push(node);
      const freedFull = heap.blocks.filter((b) => b.state === "Freed" && b.dphHeapBlock);
      expect(listed).toEqual(freedFull.map((b) => b.dphHeapBlock));
      expect(view.u32(field(root, "_DPH_HEAP_ROOT", "nFreeAllocations"))).toBe(listed.length);
      if (listed.length > 0) expect(view.ptr(field(root, "_DPH_HEAP_ROOT", "pFreeAllocationListTail"))).toBe(listed[listed.length - 1]);
      for (const block of freedFull) checkFullBlock(heap, block);
    }
    const freed = pageHeaps[0].blocks.filter((b) => b.state === "Freed" && b.dphHeapBlock);
    expect(freed.map((b) => view.readable(b.userAddress, b.userSize))).toEqual([true, true, false]);
  });

  /** §1.7 / §2.6: the DPH_HEAP_BLOCK, its DPH_BLOCK_INFORMATION and user data, the no-access page. */
  function checkFullBlock(heap: HeapTruth, block: BlockTruth): void {
    const node = (name: string) => view.ptr(field(block.dphHeapBlock!, "_DPH_HEAP_BLOCK", name));
    expect([node("pVirtualBlock"), node("nVirtualBlockSize"), node("pUserAllocation"), node("nUserRequestedSize")]).toEqual([block.address, BigInt(block.size), block.userAddress, BigInt(block.userSize)]);
    const access = node("nVirtualAccessSize");
    expect(block.address % PAGE).toBe(0n);
    expect(BigInt(block.size)).toBe(access + PAGE);
    const end = block.address + access; // the no-access page
    expect(end - (block.userAddress + BigInt(block.userSize))).toBeLessThan(8n); // 0-7 suffix bytes (§1.7)
    expect(view.readable(end, 1)).toBe(false);
    expect(traceFrames(node("StackTrace"))).toEqual(block.stack!.frames);
    const readable = view.readable(block.address, Number(access));
    if (block.state === "Busy") expect(readable).toBe(true);
    if (!readable) return;
    const info = block.userAddress - infoSize;
    const [start, stop] = STAMPS.full[block.state as "Busy" | "Freed"];
    expect([view.u32(field(info, "_DPH_BLOCK_INFORMATION", "StartStamp")), view.u32(field(info, "_DPH_BLOCK_INFORMATION", "EndStamp"))]).toEqual([start, stop]);
    expect(view.ptr(field(info, "_DPH_BLOCK_INFORMATION", "RequestedSize"))).toBe(BigInt(block.userSize));
    expect(view.ptr(field(info, "_DPH_BLOCK_INFORMATION", "StackTrace"))).toBe(node("StackTrace"));
    expect(view.ptr(field(info, "_DPH_BLOCK_INFORMATION", "Heap"))).toBe(heap.pageHeap!.root);
    if (block.state === "Busy") holdsUserData(block, 0xc0);
    else expect(bytesAre(block.userAddress, block.userSize, 0xf0)).toBe(true);
    const suffix = block.userAddress + BigInt(block.userSize);
    expect(bytesAre(suffix, Number(end - suffix), 0xd0)).toBe(true);
  }

  test("light blocks: a DPH_BLOCK_INFORMATION after a NormalHeap entry (user = entry + gran + info), stamps, fills, A0 suffix", () => {
    const gran = BigInt(view.size("_HEAP_ENTRY"));
    for (const heap of pageHeaps) {
      const light = heap.blocks.filter((b) => !b.dphHeapBlock);
      const normal = normalHeaps.find((h) => h.address === heap.pageHeap!.normalHeap)!;
      for (const block of light) {
        const entry = normal.blocks.find((b) => b.address === block.address)!;
        expect([entry.kind, entry.state, entry.size]).toEqual(["Backend", "Busy", block.size]);
        expect(block.userAddress).toBe(block.address + gran + infoSize); // x64 entry + 0x50 (§6c.8)
        const info = block.address + gran;
        const [start, stop] = STAMPS.light[block.state as "Busy" | "Freed"];
        expect([view.u32(field(info, "_DPH_BLOCK_INFORMATION", "StartStamp")), view.u32(field(info, "_DPH_BLOCK_INFORMATION", "EndStamp"))]).toEqual([start, stop]);
        expect(view.ptr(field(info, "_DPH_BLOCK_INFORMATION", "RequestedSize"))).toBe(BigInt(block.userSize));
        expect(traceFrames(view.ptr(field(info, "_DPH_BLOCK_INFORMATION", "StackTrace")))).toEqual(block.stack!.frames);
        if (block.state === "Busy") holdsUserData(block, 0xe0);
        else expect(bytesAre(block.userAddress, block.userSize, 0xf0)).toBe(true);
        expect(bytesAre(block.userAddress + BigInt(block.userSize), 8, 0xa0)).toBe(true);
        expect(block.userAddress + BigInt(block.userSize) + 8n).toBe(entry.userAddress + BigInt(entry.userSize));
      }
      // The NormalHeap's other busy blocks carry no stamp.
      const lightEntries = new Set(light.map((b) => b.address));
      for (const entry of normal.blocks.filter((b) => b.state === "Busy" && !lightEntries.has(b.address) && b.userSize >= 4)) {
        expect([0xabcdaaaa, 0xabcdaaa9]).not.toContain(view.u32(entry.userAddress));
      }
    }
    const counts = pageHeaps.map((h) => ["Busy", "Freed"].map((s) => h.blocks.filter((b) => !b.dphHeapBlock && b.state === s).length));
    expect(counts).toEqual([[2, 1], [6, 2]]);
  });

  test("stacks: every page-heap block's, allocation paths for busy blocks, free paths for freed ones; the NormalHeap records none", () => {
    for (const block of pageHeaps.flatMap((h) => h.blocks)) {
      expect(block.kind).toBe("PageHeap");
      expect(block.noStack).toBeUndefined();
      expect(block.stack!.frames.map((frame) => view.symbolize(frame))).toEqual(block.stack!.symbols);
      expect(block.stack!.symbols[0]).toMatch(block.state === "Busy" ? /^ntdll!RtlDebugAllocateHeap\+0x/ : /^ntdll!RtlDebugFreeHeap\+0x/);
    }
    for (const block of normalHeaps.flatMap((h) => h.blocks)) {
      expect(block.stack).toBeUndefined();
      expect(block.noStack).toBe(block.state === "Busy" ? "TraceDatabaseOff" : undefined);
    }
  });

  test("objects in busy page-heap blocks; the image stays small", () => {
    const typed = pageHeaps.flatMap((h) => h.blocks).filter((b) => b.typeName);
    expect(typed.length).toBeGreaterThanOrEqual(2);
    for (const block of typed) expect(view.symbolize(view.ptr(block.userAddress))).toBe(`widgets!${block.typeName}::\`vftable'`);
    expect(image.dump.length).toBeLessThan(1024 * 1024);
  });
});
