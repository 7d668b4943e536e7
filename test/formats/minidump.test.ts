// The minidump reader on dumps Windows wrote, and against the test writer (write → read).
import * as fs from "fs";
import * as path from "path";
import { Minidump, StreamType } from "../../nodehost/formats/minidump";
import { writeMinidump } from "../writers/minidump";
import type { MinidumpSpec } from "../writers/minidump-spec";

const REAL_DUMPS = path.join(__dirname, "..", "fixtures", "real-dumps");

function realDump(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(REAL_DUMPS, name)));
}

/** A little-endian integer of the dumped memory, or undefined if the dump does not hold it. */
function readMemory(dump: Minidump, address: bigint, size: 4 | 8): bigint | undefined {
  const range = dump.memory.find((r) => r.start <= address && address + BigInt(size) <= r.start + BigInt(r.data.length));
  if (!range) return undefined;
  const view = new DataView(range.data.buffer, range.data.byteOffset, range.data.byteLength);
  const offset = Number(address - range.start);
  return size === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}

describe("real dumps (Windows 7 SP1 notepad, google/syzygy test data)", () => {
  // Values found by reading the files with an independent throwaway parser.
  const WINDOWS_7_SP1 = { majorVersion: 6, minorVersion: 1, buildNumber: 7601, platformId: 2, csdVersion: "Service Pack 1" };
  const CPU = { processorLevel: 6, processorRevision: 0x1a05, numberOfProcessors: 16, productType: 1 };

  test("notepad-small-32bit.dmp: x86", () => {
    const dump = Minidump.parse(realDump("notepad-small-32bit.dmp"));
    expect(dump.header).toEqual({
      signature: 0x504d444d,
      version: 0x62f0a793,
      numberOfStreams: 9,
      streamDirectoryRva: 32,
      checksum: 0,
      timeDateStamp: 1433958890,
      flags: 0x40120n,
    });
    expect(dump.streams.map((s) => s.type)).toEqual([3, 4, 19, 5, 6, 7, 15, 0, 0]);
    expect(dump.arch).toBe("x86");
    expect(dump.systemInfo).toEqual({ processorArchitecture: 0, ...CPU, ...WINDOWS_7_SP1 });
    expect(dump.processId).toBe(6408);

    expect(dump.threads.map(({ context, ...thread }) => thread)).toEqual([
      { id: 4604, suspendCount: 1, priorityClass: 0x20, priority: 0, teb: 0x7efdd000n, stackStart: 0x23f83cn, stackSize: 0x7c4 },
    ]);
    // CONTEXT_i386 with control, integer, segments, floating point, debug and extended registers.
    const context = dump.threads[0].context!;
    expect(context.flags).toBe(0x1003f);
    expect(Object.keys(context.registers).sort()).toEqual(["cs", "ds", "eax", "ebp", "ebx", "ecx", "edi", "edx", "efl", "eip", "es", "esi", "esp", "fs", "gs", "ss"]);
    // The thread waits in ntdll, its stack pointer just inside the dumped stack.
    expect(context.registers.eip).toBe(0x77b012fbn);
    expect(context.registers.esp).toBe(0x23f840n);
    expect(dump.memoryInfo).toBeUndefined(); // no MemoryInfoList stream (type 16)

    expect(dump.modules).toHaveLength(22);
    expect(dump.modules.slice(0, 2)).toEqual([
      { base: 0x460000n, size: 0x30000, checksum: 0x39741, timeDateStamp: 0x4a5bc60f, name: "C:\\Windows\\SysWOW64\\notepad.exe", version: "6.1.7600.16385" },
      { base: 0x77a60000n, size: 0x180000, checksum: 0x14c6b5, timeDateStamp: 0x553e8808, name: "C:\\Windows\\SysWOW64\\ntdll.dll", version: "6.1.7601.18839" },
    ]);
    // msvcrt's file version (read here) differs from its product version 6.1.8638.17744.
    expect(dump.modules.find((m) => m.name.endsWith("msvcrt.dll"))?.version).toBe("7.0.7601.17744");

    expect(dump.memory.map((r) => [r.start, r.data.length])).toEqual([
      [0x23f83cn, 0x7c4], // the thread's stack
      [0x8b0810n, 0x206a],
      [0x8b3f98n, 0x64],
      [0x77b0127bn, 0x100],
      [0x7efdd000n, 0x1250], // the TEB, and the PEB after it
    ]);
    // The 32-bit TEB: NT_TIB.Self at +0x18, ProcessEnvironmentBlock at +0x30.
    expect(readMemory(dump, 0x7efdd000n + 0x18n, 4)).toBe(0x7efdd000n);
    expect(readMemory(dump, 0x7efdd000n + 0x30n, 4)).toBe(0x7efde000n);
  });

  // Both "64-bit" dumps are of a WOW64 notepad (modules from SysWOW64) seen through the 64-bit view.
  test.each([
    ["notepad-small-64bit.dmp", 1433882641, 0x40120n],
    ["notepad-larger-64bit.dmp", 1433882652, 0x40160n],
  ])("%s: x64", (file, timeDateStamp, flags) => {
    const dump = Minidump.parse(realDump(file));
    expect(dump.header).toMatchObject({ numberOfStreams: 9, timeDateStamp, flags });
    expect(dump.arch).toBe("x64");
    expect(dump.systemInfo).toEqual({ processorArchitecture: 9, ...CPU, ...WINDOWS_7_SP1 });
    expect(dump.processId).toBe(5416);

    expect(dump.threads.map(({ context, ...thread }) => thread)).toEqual([
      { id: 10444, suspendCount: 1, priorityClass: 0x20, priority: 0, teb: 0x7efdb000n, stackStart: 0x33fc48n, stackSize: 0x3b8 },
    ]);
    // CONTEXT_AMD64 with control, integer, segments, floating point and debug registers: the
    // 64-bit side of the WOW64 thread, stopped in the 64-bit ntdll.
    const context = dump.threads[0].context!;
    expect(context.flags).toBe(0x10001f);
    expect(context.registers.rip).toBe(0x77928700n);
    expect(context.registers.rsp).toBe(0x1ceae0n);
    expect(context.registers.rip >= 0x77880000n && context.registers.rip < 0x77880000n + 0x1a9000n).toBe(true);
    expect(Object.keys(context.registers)).toHaveLength(24); // 16 integer registers, rip, efl and 6 segments
    expect(dump.memoryInfo).toBeUndefined();

    expect(dump.modules.map((m) => m.name)).toEqual([
      "C:\\Windows\\SysWOW64\\notepad.exe",
      "C:\\Windows\\System32\\ntdll.dll",
      "C:\\Windows\\System32\\wow64.dll",
      "C:\\Windows\\System32\\wow64win.dll",
      "C:\\Windows\\System32\\wow64cpu.dll",
    ]);
    expect(dump.modules.slice(0, 2)).toEqual([
      { base: 0x240000n, size: 0x30000, checksum: 0x39741, timeDateStamp: 0x4a5bc60f, name: "C:\\Windows\\SysWOW64\\notepad.exe", version: "6.1.7600.16385" },
      { base: 0x77880000n, size: 0x1a9000, checksum: 0x1afa01, timeDateStamp: 0x553e8bfa, name: "C:\\Windows\\System32\\ntdll.dll", version: "6.1.7601.18839" },
    ]);

    expect(dump.memory).toHaveLength(6);
    expect([dump.memory[0].start, dump.memory[0].data.length]).toEqual([0xc1380n, 0x21a2]);
    expect(dump.memory.map((r) => r.start)).toEqual([0xc1380n, 0xc38d8n, 0x33fc48n, 0x77928680n, 0x7efdb000n, 0x7efdf000n]);
    // The 64-bit TEB: NT_TIB.Self at +0x30, ProcessEnvironmentBlock at +0x60 (the 64-bit PEB, dumped too).
    expect(readMemory(dump, 0x7efdb000n + 0x30n, 8)).toBe(0x7efdb000n);
    expect(readMemory(dump, 0x7efdb000n + 0x60n, 8)).toBe(0x7efdf000n);
  });
});

describe("corrupt or truncated input", () => {
  const original = realDump("notepad-small-32bit.dmp");

  test.each([
    [0, /the header/],
    [16, /the header/],
    [100, /stream directory/],
    [1000, /stream \d+ \(type \d+\)/],
  ])("a file cut to %i bytes is refused", (length, message) => {
    expect(() => Minidump.parse(original.slice(0, length))).toThrow(message);
  });

  test("a cut anywhere gives the reader's own Error or a dump that parses, never a stray exception", () => {
    for (let length = 0; length < original.length; length += 97) {
      let error: unknown;
      try {
        Minidump.parse(original.slice(0, length));
      } catch (caught) {
        error = caught;
      }
      if (error !== undefined) expect((error as Error).message).toMatch(/^minidump: .* runs past the end of the file/);
    }
  });

  test("a bad signature is refused", () => {
    const bytes = original.slice();
    bytes[0] = 0x4e;
    expect(() => Minidump.parse(bytes)).toThrow(/bad signature 0x504d444e/);
  });

  test("a bad version is refused", () => {
    const bytes = original.slice();
    bytes[4] = 0x94;
    expect(() => Minidump.parse(bytes)).toThrow(/unknown format version 0xa794/);
  });

  test("a module count the stream cannot hold is refused", () => {
    const bytes = original.slice();
    const moduleList = Minidump.parse(original).streams.find((s) => s.type === StreamType.ModuleList)!;
    new DataView(bytes.buffer).setUint32(moduleList.rva, 0xffffffff, true);
    expect(() => Minidump.parse(bytes)).toThrow(/ModuleList stream is 2380 bytes but says it holds 4294967295 entries/);
  });

  test("a Memory64List count larger than its stream is refused", () => {
    const bytes = writeMinidump(sampleSpec("x64", "memory64"));
    const list = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.Memory64List)!;
    new DataView(bytes.buffer).setBigUint64(list.rva, 1n << 40n, true);
    expect(() => Minidump.parse(bytes)).toThrow(/Memory64List says it holds 1099511627776 ranges/);
  });

  test("a Memory64List whose data runs past the file is refused", () => {
    const bytes = writeMinidump(sampleSpec("x64", "memory64"));
    const list = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.Memory64List)!;
    new DataView(bytes.buffer).setBigUint64(list.rva + 8, BigInt(bytes.length - 8), true); // BaseRva
    expect(() => Minidump.parse(bytes)).toThrow(/memory range 0 of Memory64List .* runs past the end of the file/);
  });
});

function filled(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

const X64_REGISTERS = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"];
const X86_REGISTERS = ["edi", "esi", "ebx", "edx", "ecx", "eax", "ebp", "eip", "esp"];
const SEGMENTS = ["cs", "ds", "es", "fs", "gs", "ss"];

/** Every register of arch, each a different value that fills its width. */
function registersOf(arch: "x86" | "x64"): Record<string, bigint> {
  const registers: Record<string, bigint> = {};
  const wide = arch === "x64" ? X64_REGISTERS : X86_REGISTERS;
  wide.forEach((name, i) => (registers[name] = arch === "x64" ? 0x8000_0000_0000_0000n + (BigInt(i + 1) << 40n) + BigInt(i) : 0x8000_0000n + BigInt(i + 1) * 0x101n));
  SEGMENTS.forEach((name, i) => (registers[name] = BigInt(0x2b + i * 8)));
  registers.efl = 0x246n;
  return registers;
}

function sampleSpec(arch: "x86" | "x64", memoryList: "memory64" | "memory"): MinidumpSpec {
  const high = arch === "x64" ? 0x7ff0_0000_0000n : 0n;
  return {
    arch,
    majorVersion: 10,
    minorVersion: 0,
    buildNumber: 19041,
    csdVersion: arch === "x86" ? "Service Pack 1" : "",
    processId: 0x2f1c,
    modules: [
      { name: "C:\\dxheap\\leaky.exe", base: high + 0x40_0000n, size: 0x28000, timeDateStamp: 0x5f3c_1a2b, checksum: 0x31337, version: [1, 2, 3, 4] },
      { name: "C:\\Windows\\System32\\ntdll.dll", base: high + 0x7760_0000n, size: 0x1f_8000, timeDateStamp: 0x6a1b_2c3d, checksum: 0x1fa2b3, version: [10, 0, 19041, 3324] },
    ],
    threads: [
      { id: 0x1a2c, teb: high + 0x7ffd_e000n, stackStart: 0x12_d000n, stackSize: 0x3000, registers: registersOf(arch) },
      { id: 0x1a30, teb: high + 0x7ffd_f000n, stackStart: 0x22_f000n, stackSize: 0x1000 }, // no CONTEXT
    ],
    memory: [
      { start: 0x12_8000n, data: filled(0x8000, 1) }, // holds the first stack, not at its start
      { start: 0x22_f000n, data: filled(0x1000, 2) }, // exactly the second stack
      { start: 0x50_0000n, data: filled(0x123, 3) }, // an odd size: the next range's data is realigned
      { start: high + 0x7ffd_e000n, data: filled(0x2000, 4) }, // the TEBs
    ],
    memoryList,
  };
}

describe.each([
  ["x64", "memory64"],
  ["x64", "memory"],
  ["x86", "memory64"],
  ["x86", "memory"],
] as const)("write → read round trip, %s with a %s list", (arch, memoryList) => {
  const spec = sampleSpec(arch, memoryList);
  const bytes = writeMinidump(spec);
  const dump = Minidump.parse(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  test("header and streams", () => {
    expect(dump.header).toMatchObject({ signature: 0x504d444d, numberOfStreams: 6, streamDirectoryRva: 32 });
    expect(dump.header.version & 0xffff).toBe(0xa793);
    expect(dump.header.flags).toBe(memoryList === "memory64" ? 2n : 0n); // MiniDumpWithFullMemory, MiniDumpNormal
    const memoryStream = memoryList === "memory64" ? StreamType.Memory64List : StreamType.MemoryList;
    expect(dump.streams.map((s) => s.type).sort((a, b) => a - b)).toEqual([3, 4, 7, 15, 16, memoryStream].sort((a, b) => a - b));
    for (const stream of dump.streams) expect(stream.rva % 8).toBe(0);
  });

  test("system info and process id", () => {
    expect(dump.arch).toBe(arch);
    expect(dump.systemInfo).toMatchObject({
      processorArchitecture: arch === "x64" ? 9 : 0,
      majorVersion: 10,
      minorVersion: 0,
      buildNumber: 19041,
      platformId: 2,
      csdVersion: spec.csdVersion,
    });
    expect(dump.processId).toBe(0x2f1c);
  });

  test("modules", () => {
    expect(dump.modules).toEqual(
      spec.modules.map(({ name, base, size, checksum, timeDateStamp, version }) => ({ name, base, size, checksum, timeDateStamp, version: version.join(".") })),
    );
  });

  test("threads, their stacks pointing at the stack bytes and their contexts", () => {
    expect(dump.threads.map(({ context, ...thread }) => thread)).toEqual(
      spec.threads.map(({ id, teb, stackStart, stackSize }) => ({ id, suspendCount: 0, priorityClass: 0x20, priority: 0, teb, stackStart, stackSize })),
    );
    const threadList = dump.streams.find((s) => s.type === StreamType.ThreadList)!;
    spec.threads.forEach((thread, i) => {
      const entry = threadList.rva + 4 + 48 * i;
      const stackRva = view.getUint32(entry + 36, true); // Stack.Memory.Rva of MINIDUMP_THREAD
      const range = spec.memory.find((r) => r.start <= thread.stackStart && thread.stackStart < r.start + BigInt(r.data.length))!;
      const offset = Number(thread.stackStart - range.start);
      expect(bytes.subarray(stackRva, stackRva + thread.stackSize)).toEqual(range.data.subarray(offset, offset + thread.stackSize));
      // ThreadContext.DataSize: sizeof(CONTEXT), or 0 for the thread written without one.
      expect(view.getUint32(entry + 40, true)).toBe(thread.registers ? (arch === "x64" ? 0x4d0 : 0x2cc) : 0);
    });
  });

  test("each CONTEXT: its processor flag with control, integer and segments, and every register", () => {
    const [withContext, without] = dump.threads;
    expect(withContext.context).toEqual({ flags: arch === "x64" ? 0x100007 : 0x10007, registers: spec.threads[0].registers });
    expect(without.context).toBeUndefined();
    // The x64 CONTEXT puts rip at 0xf8 and rsp at 0x98; the x86 one eip at 0xb8 and esp at 0xc4.
    const threadList = dump.streams.find((s) => s.type === StreamType.ThreadList)!;
    const rva = view.getUint32(threadList.rva + 4 + 44, true);
    if (arch === "x64") {
      expect(view.getBigUint64(rva + 0xf8, true)).toBe(spec.threads[0].registers!.rip);
      expect(view.getBigUint64(rva + 0x98, true)).toBe(spec.threads[0].registers!.rsp);
    } else {
      expect(BigInt(view.getUint32(rva + 0xb8, true))).toBe(spec.threads[0].registers!.eip);
      expect(BigInt(view.getUint32(rva + 0xc4, true))).toBe(spec.threads[0].registers!.esp);
    }
  });

  test("the memory info: one committed read-write private region per range when none is given", () => {
    expect(dump.memoryInfo).toEqual(
      spec.memory.map((r) => ({ base: r.start, allocationBase: r.start, allocationProtect: 4, size: BigInt(r.data.length), state: 0x1000, protect: 4, type: 0x20000 })),
    );
  });

  test("every range's bytes", () => {
    expect(dump.memory.map((r) => r.start)).toEqual(spec.memory.map((r) => r.start));
    dump.memory.forEach((range, i) => expect(range.data).toEqual(spec.memory[i].data));
  });
});

describe("the memory info as given", () => {
  test("reserved, free and guard regions are written as they are", () => {
    const spec = sampleSpec("x64", "memory64");
    spec.memoryInfo = [
      { base: 0x12_0000n, allocationBase: 0x12_0000n, allocationProtect: 4, size: 0x8000n, state: 0x2000, protect: 0, type: 0x20000 }, // MEM_RESERVE
      { base: 0x12_8000n, allocationBase: 0x12_0000n, allocationProtect: 4, size: 0x8000n, state: 0x1000, protect: 4, type: 0x20000 },
      { base: 0x13_0000n, allocationBase: 0x13_0000n, allocationProtect: 4, size: 0x1000n, state: 0x1000, protect: 0x104, type: 0x20000 }, // PAGE_GUARD, not dumped
      { base: 0x13_1000n, allocationBase: 0n, allocationProtect: 0, size: 0xf_f000n, state: 0x10000, protect: 1, type: 0 }, // MEM_FREE
    ];
    expect(Minidump.parse(writeMinidump(spec)).memoryInfo).toEqual(spec.memoryInfo);
  });

  test("a MemoryInfoList count larger than its stream is refused", () => {
    const bytes = writeMinidump(sampleSpec("x86", "memory"));
    const list = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.MemoryInfoList)!;
    new DataView(bytes.buffer).setBigUint64(list.rva + 8, 1000n, true);
    expect(() => Minidump.parse(bytes)).toThrow(/MemoryInfoList says it holds 1000 entries, its stream has room for 4/);
  });
});

describe("reader checks of a CONTEXT", () => {
  test("a CONTEXT smaller than the processor's is refused", () => {
    const bytes = writeMinidump(sampleSpec("x64", "memory"));
    const threadList = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.ThreadList)!;
    new DataView(bytes.buffer).setUint32(threadList.rva + 4 + 40, 0x2cc, true);
    expect(() => Minidump.parse(bytes)).toThrow(/the context of thread 0 is 0x2cc bytes; an x64 CONTEXT is 0x4d0/);
  });

  test("a CONTEXT of another processor is refused", () => {
    const bytes = writeMinidump(sampleSpec("x64", "memory"));
    const threadList = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.ThreadList)!;
    const rva = new DataView(bytes.buffer).getUint32(threadList.rva + 4 + 44, true);
    new DataView(bytes.buffer).setUint32(rva + 0x30, 0x10007, true); // CONTEXT_i386 flags in an x64 CONTEXT
    expect(() => Minidump.parse(bytes)).toThrow(/ContextFlags 0x10007, without the x64 processor flag 0x100000/);
  });

  test("only the register groups ContextFlags names are read", () => {
    const bytes = writeMinidump(sampleSpec("x86", "memory"));
    const threadList = Minidump.parse(bytes).streams.find((s) => s.type === StreamType.ThreadList)!;
    const rva = new DataView(bytes.buffer).getUint32(threadList.rva + 4 + 44, true);
    new DataView(bytes.buffer).setUint32(rva, 0x10001, true); // CONTEXT_CONTROL only
    expect(Object.keys(Minidump.parse(bytes).threads[0].context!.registers).sort()).toEqual(["cs", "ebp", "efl", "eip", "esp", "ss"]);
  });
});

describe("writer checks", () => {
  test("a stack outside the memory is refused", () => {
    const spec = sampleSpec("x64", "memory64");
    spec.threads[1].stackStart = 0x40_0000n;
    expect(() => writeMinidump(spec)).toThrow(/stack of thread 6704 .* is not inside one memory range/);
  });

  test("overlapping ranges are refused", () => {
    const spec = sampleSpec("x86", "memory");
    spec.memory[1].start = 0x12_f000n;
    expect(() => writeMinidump(spec)).toThrow(/overlaps/);
  });

  test("a thread missing one of its architecture's registers is refused", () => {
    const spec = sampleSpec("x86", "memory");
    delete spec.threads[0].registers!.efl;
    expect(() => writeMinidump(spec)).toThrow(/thread 6700 should give the x86 registers cs, ds, eax/);
  });

  test("a register too wide for the CONTEXT is refused", () => {
    const spec = sampleSpec("x86", "memory");
    spec.threads[0].registers!.eip = 0x1_0000_0000n;
    expect(() => writeMinidump(spec)).toThrow(/register eip = 0x100000000 does not fit in 4 bytes/);
  });
});
