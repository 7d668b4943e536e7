// Loading WOW64 dumps: the conventions the real WOW64 dump in test/fixtures/real-dumps shows
// (read here straight from it), the types files beside a written WOW64 image found by WinDbg's
// module names, and what the loader refuses.
import { mkdtempSync, readFileSync, renameSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { Minidump } from "../../nodehost/formats/minidump";
import { loadTarget, targetFromDump } from "../../nodehost/load";
import { buildSample } from "../writers/sample";
import { buildWow64Image } from "../writers/wow64";

const REAL = join(__dirname, "..", "fixtures", "real-dumps", "notepad-small-64bit.dmp");
const WIN7_TYPES = join(__dirname, "..", "fixtures", "layouts", "x64-6.1.7601.24540.isf.json");

describe("the real 64-bit dump of a WOW64 notepad (Windows 7 SP1)", () => {
  const bytes = readFileSync(REAL);
  const dump = Minidump.parse(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const u64 = (address: bigint) => {
    const range = dump.memory.find((r) => r.start <= address && address + 8n <= r.start + BigInt(r.data.length))!;
    return new DataView(range.data.buffer, range.data.byteOffset).getBigUint64(Number(address - range.start), true);
  };
  const [thread] = dump.threads;

  test("lists the 64-bit loader's modules: the SysWOW64 exe, System32's ntdll and the wow64 DLLs, no 32-bit ntdll", () => {
    expect(dump.arch).toBe("x64");
    expect(dump.modules.map((m) => [m.name, m.base])).toEqual([
      ["C:\\Windows\\SysWOW64\\notepad.exe", 0x240000n],
      ["C:\\Windows\\System32\\ntdll.dll", 0x7788_0000n],
      ["C:\\Windows\\System32\\wow64.dll", 0x7538_0000n],
      ["C:\\Windows\\System32\\wow64win.dll", 0x7532_0000n],
      ["C:\\Windows\\System32\\wow64cpu.dll", 0x7531_0000n],
    ]);
  });

  test("its thread: TEB64 0x7efdb000 whose NtTib.ExceptionList is the TEB32 0x2000 on, TlsSlots[1] = StackBase, a 64-bit context, its 32-bit stack", () => {
    const types = IsfTypes.load(WIN7_TYPES);
    const teb = types.userType("_TEB")!;
    expect(thread.teb).toBe(0x7efd_b000n);
    expect(u64(thread.teb + BigInt(teb.field("NtTib")!.offset))).toBe(0x7efd_d000n); // ExceptionList, at +0
    const stackBase = u64(thread.teb + 8n); // NtTib.StackBase
    expect(u64(thread.teb + BigInt(teb.field("TlsSlots")!.offset + 8))).toBe(stackBase);
    expect(stackBase).toBe(0x1c_fd20n);
    expect(thread.context?.registers.cs).toBe(0x33n);
    expect(thread.context!.registers.rsp < stackBase).toBe(true);
    // The Stack descriptor: from the 32-bit esp up to the 32-bit stack's base, not the 64-bit stack.
    expect([thread.stackStart, thread.stackStart + BigInt(thread.stackSize)]).toEqual([0x33_fc48n, 0x34_0000n]);
    expect(u64(thread.teb + BigInt(teb.field("ProcessEnvironmentBlock")!.offset))).toBe(0x7efd_f000n);
  });

  test("loads as an x64 target without a 32-bit side: no 32-bit ntdll is listed", () => {
    const target = targetFromDump(new Uint8Array(bytes), { ntdll: IsfTypes.load(WIN7_TYPES) });
    expect(target.peb).toBe(0x7efd_f000n);
    expect(target.processName).toBe("notepad.exe");
    expect(target.modules.every((m) => m.renamed === undefined)).toBe(true);
    expect(target.wow64).toBeUndefined();
  });
});

describe("loadTarget on a written WOW64 image", () => {
  const directory = mkdtempSync(join(tmpdir(), "wow64-load-"));
  const { process, truth } = buildWow64Image(19041, { seed: 2 });
  const dumpPath = process.writeFiles(directory, "wow", "x64");

  test("finds both types files beside the dump, the 32-bit one by WinDbg's name ntdll_77a60000", () => {
    const target = loadTarget(dumpPath);
    expect(target.modules.filter((m) => m.types).map((m) => [m.renamed ?? m.name, m.types!.pointerSize])).toEqual([
      ["ntdll.dll", 8],
      ["ntdll_77a60000", 4],
    ]);
    expect(target.wow64).toEqual({ peb: truth.peb32, ntdll: "ntdll_77a60000" });
  });

  test("typesFiles names the 32-bit ntdll's file by that key", () => {
    const moved = join(directory, "elsewhere.isf.json");
    const other = mkdtempSync(join(tmpdir(), "wow64-load-"));
    const { process: second } = buildWow64Image(19041, { seed: 2 });
    const path = second.writeFiles(other, "wow", "x64");
    renameSync(join(other, "wow.ntdll_77a60000.isf.json"), moved);
    expect(loadTarget(path).wow64).toBeUndefined();
    expect(loadTarget(path, { ntdll_77a60000: moved }).wow64).toEqual({ peb: truth.peb32, ntdll: "ntdll_77a60000" });
  });

  test("a CPU area that holds no x86 CONTEXT (process memory, damaged) leaves the thread without saved registers, and the dump loads", () => {
    const { process: damaged, truth: damagedTruth } = buildWow64Image(19041, { seed: 2 });
    const [first, second] = damagedTruth.threads;
    damaged.x64.space.u32(first.context32, 0x100); // ContextFlags without CONTEXT_i386 (0x10000)
    const { dump, isfs } = damaged.dump("x64");
    const target = targetFromDump(dump, Object.fromEntries(Object.entries(isfs).map(([key, isf]) => [key, IsfTypes.parse(isf)])));
    expect(target.threads[0].wow64).toEqual({ teb: first.teb32 });
    expect(target.threads[1].wow64?.registers?.esp).toBe(second.registers32.esp);
    expect(target.wow64).toEqual({ peb: damagedTruth.peb32, ntdll: "ntdll_77a60000" });
  });
});

describe("the loader refuses", () => {
  const { views } = buildWow64Image(7601, { seed: 4 });
  const x86Types = IsfTypes.parse(views.x64.isfs.ntdll_77a60000);

  test("types with 4-byte pointers for a module of an x64 dump that is not a WOW64 process's", () => {
    const { dump } = buildSample().process.build();
    expect(() => targetFromDump(dump, { ntdll: x86Types })).toThrow("the types of ntdll.dll have 4-byte pointers, the x64 dump 8-byte ones");
  });

  test("types for a renamed module the dump does not list", () => {
    expect(() => targetFromDump(views.x86.dump, { ntdll: x86Types, ntdll_77a60000: x86Types })).toThrow(
      "types were given for module 'ntdll_77a60000', which the dump does not list",
    );
  });
});
