// The loader: a written dump plus small ntdll types give the TargetData the Node host serves.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { Minidump, StreamType } from "../../nodehost/formats/minidump";
import { loadTarget, targetFromDump } from "../../nodehost/load";
import { writeMinidump } from "../writers/minidump";
import type { MinidumpSpec } from "../writers/minidump-spec";

const ARCH = {
  x64: { pointerSize: 8, pebField: 0x60, high: 0x7ff6_0000_0000n },
  x86: { pointerSize: 4, pebField: 0x30, high: 0n },
} as const;

const PEB = 0x7ffd_f000n;
const TEBS = [0x7ffd_e000n, 0x7ffd_d000n];

/** The least ntdll ISF the loader needs: a pointer size and _TEB.ProcessEnvironmentBlock. */
function ntdllIsf(arch: "x86" | "x64"): object {
  const { pointerSize, pebField } = ARCH[arch];
  return {
    metadata: { format: "6.1.0" },
    base_types: { pointer: { kind: "int", size: pointerSize, signed: false, endian: "little" } },
    user_types: {
      _TEB: { kind: "struct", size: 0x1000, fields: { ProcessEnvironmentBlock: { offset: pebField, type: { kind: "pointer", subtype: { kind: "struct", name: "_PEB" } } } } },
    },
    enums: {},
    symbols: {},
  };
}

function page(fill: number): Uint8Array {
  return new Uint8Array(0x1000).fill(fill);
}

/** Two TEBs (each pointing at the PEB) in a range next to the PEB's, and two stacks in adjacent ranges. */
function spec(arch: "x86" | "x64", memoryList: "memory64" | "memory" = "memory64"): MinidumpSpec {
  const { pointerSize, pebField, high } = ARCH[arch];
  const tebs = new Uint8Array(0x2000);
  const view = new DataView(tebs.buffer);
  for (const teb of TEBS) {
    const at = Number(teb - TEBS[1]) + pebField;
    if (pointerSize === 8) view.setBigUint64(at, PEB, true);
    else view.setUint32(at, Number(PEB), true);
  }
  return {
    arch,
    majorVersion: 10,
    minorVersion: 0,
    buildNumber: 19041,
    csdVersion: "",
    processId: 4242,
    modules: [
      { name: "C:\\dxheap\\leaky.exe", base: high + 0x40_0000n, size: 0x28000, timeDateStamp: 1, checksum: 2, version: [1, 0, 0, 7] },
      { name: "C:\\Windows\\System32\\ntdll.dll", base: high + 0x7760_0000n, size: 0x1f_8000, timeDateStamp: 3, checksum: 4, version: [10, 0, 19041, 3324] },
    ],
    threads: [
      { id: 0x10, teb: TEBS[0], stackStart: 0x10_1000n, stackSize: 0x800 },
      { id: 0x14, teb: TEBS[1], stackStart: 0x10_2000n, stackSize: 0x1000 },
    ],
    memory: [
      { start: 0x10_1000n, data: page(1) },
      { start: 0x10_2000n, data: page(2) }, // adjacent: merged with the range before
      { start: 0x20_0000n, data: page(3) },
      { start: TEBS[1], data: tebs },
      { start: PEB, data: page(4) }, // adjacent to the TEBs
    ],
    memoryList,
  };
}

describe.each(["x64", "x86"] as const)("targetFromDump, %s", (arch) => {
  const types = IsfTypes.parse(ntdllIsf(arch));

  test.each(["memory64", "memory"] as const)("with a %s list", (memoryList) => {
    const target = targetFromDump(writeMinidump(spec(arch, memoryList)), { ntdll: types });
    const { high, pointerSize } = ARCH[arch];
    expect(target.arch).toBe(arch);
    expect(target.pointerSize).toBe(pointerSize);
    expect(target.processId).toBe(4242);
    expect(target.processName).toBe("leaky.exe");
    expect(target.peb).toBe(PEB);

    expect(target.modules).toEqual([
      { name: "leaky.exe", base: high + 0x40_0000n, size: 0x28000, version: "1.0.0.7", types: undefined },
      { name: "ntdll.dll", base: high + 0x7760_0000n, size: 0x1f_8000, version: "10.0.19041.3324", types },
    ]);
    expect(target.modules[1].types).toBe(types);

    expect(target.threads).toEqual([
      { id: 0x10, teb: TEBS[0], stackStart: 0x10_1000n, stackSize: 0x800 },
      { id: 0x14, teb: TEBS[1], stackStart: 0x10_2000n, stackSize: 0x1000 },
    ]);

    expect(target.regions.map((r) => [r.base, r.bytes.length])).toEqual([
      [0x10_1000n, 0x2000],
      [0x20_0000n, 0x1000],
      [TEBS[1], 0x3000],
    ]);
    expect(target.regions[0].bytes).toEqual(new Uint8Array([...page(1), ...page(2)]));
    expect(target.regions[1].bytes).toEqual(page(3));
    expect(target.regions[2].bytes.subarray(0x2000)).toEqual(page(4));
    // The writer's memory info: one committed region per range, not merged.
    expect(target.memoryInfo?.map((r) => [r.base, r.size, r.state])).toEqual([
      [0x10_1000n, 0x1000n, 0x1000],
      [0x10_2000n, 0x1000n, 0x1000],
      [0x20_0000n, 0x1000n, 0x1000],
      [TEBS[1], 0x2000n, 0x1000],
      [PEB, 0x1000n, 0x1000],
    ]);
  });

  test("a thread's registers come from its CONTEXT; a thread without one has none", () => {
    const withContext = spec(arch);
    const registers: Record<string, bigint> =
      arch === "x64"
        ? Object.fromEntries(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "efl", "cs", "ds", "es", "fs", "gs", "ss"].map((n, i) => [n, BigInt(i)]))
        : Object.fromEntries(["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "efl", "cs", "ds", "es", "fs", "gs", "ss"].map((n, i) => [n, BigInt(i)]));
    withContext.threads[1].registers = registers;
    const target = targetFromDump(writeMinidump(withContext), { ntdll: types });
    expect(target.threads[0].registers).toBeUndefined();
    expect(target.threads[1].registers).toEqual(registers);
  });
});

describe("targetFromDump refuses", () => {
  const x64Types = IsfTypes.parse(ntdllIsf("x64"));

  test("a dump without ntdll types", () => {
    expect(() => targetFromDump(writeMinidump(spec("x64")), {})).toThrow("ntdll has no types (no ntdll ISF file was given), and they are needed to find the PEB");
  });

  test("ntdll types without _TEB.ProcessEnvironmentBlock", () => {
    const isf: any = ntdllIsf("x64");
    delete isf.user_types._TEB;
    expect(() => targetFromDump(writeMinidump(spec("x64")), { ntdll: IsfTypes.parse(isf) })).toThrow("ntdll's types have no _TEB.ProcessEnvironmentBlock");
  });

  test("a dump without the first thread's TEB", () => {
    const withoutTebs = spec("x64");
    withoutTebs.memory = withoutTebs.memory.filter((range) => range.start !== TEBS[1]);
    expect(() => targetFromDump(writeMinidump(withoutTebs), { ntdll: x64Types })).toThrow("the TEB of the first thread (0x7ffde000) is not in the dump's memory");
  });

  test("types of the wrong pointer size", () => {
    expect(() => targetFromDump(writeMinidump(spec("x86")), { ntdll: x64Types })).toThrow("the types of ntdll.dll have 8-byte pointers, the x86 dump 4-byte ones");
  });

  test("types for a module the dump does not list", () => {
    expect(() => targetFromDump(writeMinidump(spec("x64")), { ntdll: x64Types, kernel32: x64Types })).toThrow("types were given for module 'kernel32'");
  });

  test("overlapping memory ranges", () => {
    // The writer refuses overlaps, so move a range of a written MemoryList onto the one before it.
    const bytes = writeMinidump(spec("x64", "memory"));
    const list = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.MemoryList)!;
    const secondRangeStart = list.rva + 4 + 16; // MINIDUMP_MEMORY_DESCRIPTOR 1: StartOfMemoryRange
    new DataView(bytes.buffer).setBigUint64(secondRangeStart, 0x10_1800n, true);
    expect(() => targetFromDump(bytes, { ntdll: x64Types })).toThrow("the dump's memory ranges overlap: 0x101800 starts before 0x102000");
  });

  test("a dump of another processor", () => {
    const bytes = writeMinidump(spec("x64"));
    const systemInfo = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.SystemInfo)!;
    new DataView(bytes.buffer).setUint16(systemInfo.rva, 12, true); // PROCESSOR_ARCHITECTURE_ARM64
    expect(() => targetFromDump(bytes, { ntdll: x64Types })).toThrow("the dump is neither x86 nor x64 (processor architecture 12)");
  });
});

describe("targetFromDump on dumps Windows wrote", () => {
  const realDump = (name: string) => new Uint8Array(fs.readFileSync(path.join(__dirname, "..", "fixtures", "real-dumps", name)));

  test("x86: the PEB pointer read from the real TEB", () => {
    const target = targetFromDump(realDump("notepad-small-32bit.dmp"), { ntdll: IsfTypes.parse(ntdllIsf("x86")) });
    expect(target.peb).toBe(0x7efde000n);
    expect(target.processName).toBe("notepad.exe");
    expect(target.processId).toBe(6408);
    expect(target.modules).toHaveLength(22);
    expect(target.regions).toHaveLength(5);
    expect(target.memoryInfo).toBeUndefined(); // the dump has no MemoryInfoList
    expect(target.threads[0].registers?.eip).toBe(0x77b012fbn);
  });

  test("x64 (the 64-bit view of a WOW64 process: its 64-bit PEB)", () => {
    const target = targetFromDump(realDump("notepad-small-64bit.dmp"), { ntdll: IsfTypes.parse(ntdllIsf("x64")) });
    expect(target.peb).toBe(0x7efdf000n);
    expect(target.modules[1]).toMatchObject({ name: "ntdll.dll", base: 0x77880000n, version: "6.1.7601.18839" });
  });
});

describe("loadTarget", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "dxheap-load-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true }));

  test("reads X.dmp with X.ntdll.isf.json beside it", () => {
    fs.writeFileSync(path.join(dir, "leaky-x64.dmp"), writeMinidump(spec("x64")));
    fs.writeFileSync(path.join(dir, "leaky-x64.ntdll.isf.json"), JSON.stringify(ntdllIsf("x64")));
    fs.writeFileSync(path.join(dir, "other.leaky.isf.json"), "not for this dump");
    const target = loadTarget(path.join(dir, "leaky-x64.dmp"));
    expect(target.peb).toBe(PEB);
    expect(target.modules[0].types).toBeUndefined();
    expect(target.modules[1].types?.userType("_TEB")?.field("ProcessEnvironmentBlock")?.offset).toBe(0x60);
  });

  test("says so when the ntdll types are missing", () => {
    fs.writeFileSync(path.join(dir, "leaky-x64.dmp"), writeMinidump(spec("x64")));
    expect(() => loadTarget(path.join(dir, "leaky-x64.dmp"))).toThrow("ntdll has no types");
  });
});
