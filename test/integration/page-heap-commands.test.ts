// Page heaps (gflags +hpa) in the commands, against the writer's truth: !heaps tabulates each page
// heap (full-page, freed and light blocks, its NormalHeap); an address in a light block is the
// page heap's block; process-wide counts take each light block once (from the page heap, not
// again from the NormalHeap that holds it), as the leak scan does.
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { buildPageHeapImage } from "../writers/images";
import { BUNDLE, big } from "./harness";

describe.each([
  ["x64", 19041],
  ["x86", 19041],
] as const)("%s %i page heap image", (arch, build) => {
  const image = buildPageHeapImage(arch, build);
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  const s = ScriptSession.load(BUNDLE, targetFromDump(image.dump, types));
  const pageHeaps = image.truth.heaps.filter((h) => h.type === "PageHeap");
  const counted = image.truth.heaps.filter((h) => !(h.listedIn.length === 1 && h.listedIn[0] === "PageHeapRoot"));
  const width = arch === "x64" ? 16 : 8;
  const hex = (value: bigint | number, digits = 0) => value.toString(16).padStart(digits, "0");

  test("!heaps tabulates each page heap: busy full-page, freed and light blocks with their KiB, and its NormalHeap", () => {
    const { value, output } = s.alias("heaps");
    expect(output).toContain("PAGE HEAP STATS BELOW");
    for (const heap of pageHeaps) {
      const full = heap.blocks.filter((b) => b.dphHeapBlock !== undefined && b.state === "Busy");
      const freed = heap.blocks.filter((b) => b.state === "Freed");
      const light = heap.blocks.filter((b) => b.dphHeapBlock === undefined && b.state === "Busy");
      const kib = (blocks: typeof full) => String(Math.floor(blocks.reduce((n, b) => n + b.userSize, 0) / 1024)); // !heap -s prints whole KiB
      const row = output.split("\n").find((line) => line.startsWith(hex(heap.address, width) + " "))!;
      expect(row.trim().split(/\s+/).slice(2)).toEqual([String(full.length), kib(full), String(freed.length), kib(freed), String(light.length), kib(light), hex(heap.pageHeap!.normalHeap, width)]);
      const summary = (value as any[]).find((v) => big(v.Heap) === heap.address);
      expect([Number(summary.FullPageBlocks), Number(summary.FreedBlocks), Number(summary.LightBlocks), big(summary.NormalHeap)]).toEqual([full.length, freed.length, light.length, heap.pageHeap!.normalHeap]);
    }
  });

  test("an address in a light block is the page heap's block, not the NormalHeap's that holds it", () => {
    for (const heap of pageHeaps) {
      for (const light of heap.blocks.filter((b) => b.dphHeapBlock === undefined)) {
        const found = s.alias("heapfind", s.int64(light.userAddress)).value as any;
        expect([String(found.Block.Kind), big(found.Block.Heap.Address), big(found.Block.UserAddress)]).toEqual(["PageHeap", heap.address, light.userAddress]);
      }
    }
  });

  test("!heapstack in a busy and in a freed full-page block, and in a light block: the page heap's block, its state and its stack", () => {
    for (const heap of pageHeaps) {
      for (const block of heap.blocks.filter((b) => b.stack)) {
        const { value, output } = s.alias("heapstack", s.int64(block.userAddress + 1n));
        const found = value as any;
        expect([String(found.Block.Kind), big(found.Block.UserAddress), String(found.State)]).toEqual(["PageHeap", block.userAddress, block.state]);
        expect([...found.AllocationStack].map((f: any) => String(f.Symbol))).toEqual(block.stack!.symbols);
        expect(output).toContain(`in the block, ${block.state.toLowerCase()}\n`);
      }
    }
    expect(pageHeaps.flatMap((h) => h.blocks).some((b) => b.stack && b.state === "Freed")).toBe(true);
    expect(pageHeaps.flatMap((h) => h.blocks).some((b) => b.stack && b.state === "Busy" && b.dphHeapBlock !== undefined)).toBe(true);
  });

  test("process-wide counts take each block once: !heapstat and the leak scan leave the NormalHeaps out", () => {
    const stats = s.alias("heapstat").value as any[];
    expect(stats.map((h) => big(h.Heap)).sort()).toEqual(counted.map((h) => h.address).sort());
    const busy = counted.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    expect(stats.reduce((n, h) => n + Number(h.BusyBlocks), 0)).toBe(busy.length);
    expect(Number((s.alias("heapleaks").value as any).BusyBlocks)).toBe(busy.length);
    // Asked for by address, a NormalHeap still answers.
    const normal = image.truth.heaps.find((h) => h.listedIn[0] === "PageHeapRoot")!;
    expect(Number((s.alias("heapstat", s.int64(normal.address)).value as any[])[0].BusyBlocks)).toBe(normal.blocks.filter((b) => b.state === "Busy").length);
  });
});
