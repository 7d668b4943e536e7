// A WOW64 process (test/writers/wow64.ts) through the bundle: both ntdlls' heaps, the program's
// 32-bit ones first, in the 64-bit view, after .effmach x86, and in a 32-bit-view dump; each heap
// walked with its own layout and key; !heaps with one table per side; the leak scan's roots on
// both sides (32-bit and 64-bit stacks, the x86 registers a thread saved in its CPU area).
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { contextBytes } from "../writers/minidump";
import { BlockTruth, HeapTruth } from "../writers/types";
import { buildWow64Image, type Wow64Build, type Wow64View } from "../writers/wow64";
import { BUNDLE, big, blockOf, byAddress } from "./harness";

describe.each([7601, 19041] as Wow64Build[])("WOW64 build %i", (build) => {
  const { process, truth } = buildWow64Image(build, { seed: 5 });
  const x86Heaps = truth.heaps.filter((h) => h.architecture === "x86");
  const x64Heaps = truth.heaps.filter((h) => h.architecture === "x64");
  const busy = (heaps: HeapTruth[]) => heaps.flatMap((h) => h.blocks.filter((b) => b.state === "Busy" && b.userSize >= 8));

  // Roots planted with the writer's address space, one per kind of root the scan must read.
  const thread = truth.threads[0];
  const [liveStack32, deadStack32, heldBy64BitStack, heldByRegister] = busy(x86Heaps);
  const held64 = busy(x64Heaps)[0];
  const x86 = process.x86.space;
  const x64 = process.x64.space;
  x86.ptr(thread.registers32.esp + 0x14n, liveStack32.userAddress); // 4 mod 8: only a 4-byte read finds it
  x86.ptr(thread.registers32.esp - 0x100n, deadStack32.userAddress); // below esp: a dead frame
  x64.u64(thread.registers64.rsp + 0x20n, heldBy64BitStack.userAddress + 8n);
  x64.u64(thread.registers64.rsp + 0x28n, held64.userAddress);
  const in32BitStack = thread.registers32.esp + 0x24n; // 4 mod 8: a 32-bit slot
  x86.ptr(in32BitStack, held64.userAddress + 0x10n);
  thread.registers32.eax = heldByRegister.userAddress + 4n;
  x64.write(thread.context32, contextBytes("x86", thread.registers32));
  const views: Record<Wow64View, { dump: Uint8Array; isfs: Record<string, object> }> = { x64: process.dump("x64"), x86: process.dump("x86") };

  const load = (view: Wow64View, effmach?: "x86"): ScriptSession => {
    const types = Object.fromEntries(Object.entries(views[view].isfs).map(([key, isf]) => [key, IsfTypes.parse(isf)]));
    const session = ScriptSession.load(BUNDLE, targetFromDump(views[view].dump, types));
    if (effmach) expect(session.execute(`.effmach ${effmach}`).error).toBeUndefined();
    return session;
  };
  const sessions: [string, () => ScriptSession, HeapTruth[]][] = [
    ["the 64-bit view", () => load("x64"), [...x86Heaps, ...x64Heaps]],
    ["the 64-bit dump after .effmach x86", () => load("x64", "x86"), [...x86Heaps, ...x64Heaps]],
    ["a 32-bit-view dump", () => load("x86"), x86Heaps],
  ];

  describe.each(sessions)("%s", (_name, open, expectedHeaps) => {
    const session = open();
    const heaps: any[] = [...session.process.Heaps];

    test("lists the program's 32-bit heaps first, then WOW64's 64-bit ones, each with its architecture", () => {
      expect(heaps.map((h) => [big(h.Address), String(h.Architecture), h.Type, Number(h.Flags), [...h.ListedIn]])).toEqual(
        expectedHeaps.map((h) => [h.address, h.architecture, "NT", h.flags, h.listedIn]),
      );
      expect(heaps.map((h) => Number(h.Granularity))).toEqual(expectedHeaps.map((h) => (h.architecture === "x86" ? 8 : 16)));
    });

    test("walks each heap with its own ntdll's layout and LFH key, block by block", () => {
      heaps.forEach((heap, i) => {
        expect([...heap.Findings].map((f: any) => String(f.Message))).toEqual([]);
        const walked: BlockTruth[] = [...heap.Blocks].map(blockOf).sort(byAddress);
        expect(walked).toEqual([...expectedHeaps[i].blocks].sort(byAddress));
      });
    });

    test("!heaps: one table per side, each with its ntdll's LFH key and its own address width", () => {
      const output = session.execute("!heaps").output;
      const hex = (value: bigint, digits: number) => value.toString(16).padStart(digits, "0");
      if (expectedHeaps === x86Heaps) {
        expect(output).not.toContain("-bit heaps (");
        expect(output).toContain(`LFH Key                   : 0x${hex(BigInt(truth.lfhKeys.x86), 8)}\n`);
      } else {
        const x86At = output.indexOf(`32-bit heaps (ntdll_${hex(truth.ntdll32.base, 8)}, PEB ${hex(truth.peb32, 8)}):\n`);
        const x64At = output.indexOf(`64-bit heaps (ntdll, PEB ${hex(truth.peb64, 16)}):\n`);
        expect(x86At).toBeGreaterThanOrEqual(0);
        expect(x64At).toBeGreaterThan(x86At);
        expect(output.indexOf(`LFH Key                   : 0x${hex(BigInt(truth.lfhKeys.x86), 8)}\n`)).toBeGreaterThan(x86At);
        expect(output.indexOf(`LFH Key                   : 0x${hex(BigInt(truth.lfhKeys.x64), 16)}\n`)).toBeGreaterThan(x64At);
      }
      for (const h of expectedHeaps) expect(output).toMatch(new RegExp(`^${hex(h.address, h.architecture === "x86" ? 8 : 16)} ${hex(BigInt(h.flags), 8)} `, "m"));
      expect(output).not.toContain("WARNING");
    });

    test("the leak scan reads both sides' roots: 32-bit and 64-bit live stacks, the saved x86 registers; a dead frame holds nothing", () => {
      const report = session.alias("heapleaks").value as any;
      const unreachable = new Set([...report.Blocks].map((b: any) => big(b.UserAddress)));
      expect(unreachable.has(deadStack32.userAddress)).toBe(true);
      expect(unreachable.has(liveStack32.userAddress)).toBe(false);
      expect(unreachable.has(heldByRegister.userAddress)).toBe(false);
      if (expectedHeaps !== x86Heaps) {
        expect(unreachable.has(heldBy64BitStack.userAddress)).toBe(false);
        expect(unreachable.has(held64.userAddress)).toBe(false);
      }
    });
  });

  test("!heapfind with references reads 4-byte values in either world: a 32-bit slot pointing into a 64-bit heap's block is found", () => {
    const session = load("x64");
    const found = session.alias("heapfind", session.int64(held64.userAddress), true).value as any;
    const references = [...found.References].map((r: any) => [big(r.Location), big(r.Value)]);
    expect(references).toContainEqual([in32BitStack, held64.userAddress + 0x10n]);
    expect(references).toContainEqual([thread.registers64.rsp + 0x28n, held64.userAddress]);
  });

  test("without the 32-bit ntdll's types only the 64-bit heaps are listed, and nothing claims otherwise", () => {
    const session = ScriptSession.load(BUNDLE, targetFromDump(views.x64.dump, { ntdll: IsfTypes.parse(views.x64.isfs.ntdll) }));
    expect([...session.process.Heaps].map((h: any) => big(h.Address))).toEqual(x64Heaps.map((h) => h.address));
  });
});
