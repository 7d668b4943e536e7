import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { symbolRva, type Isf } from "./layout";
import { ProcessImageBuilder } from "./process";
import { writeSegmentHeap } from "./segment-heap";
import type { AddressSpace, Arch, Layout } from "./types";

const globals = { lfhKey: 0x9e3779b9, segmentHeapKey: 0x1234_5678n, segmentLfhKey: 0x0bad_cafen };
const segmentHeap = (space: AddressSpace, layout: Layout) =>
  writeSegmentHeap(space, layout, { heapKey: globals.segmentHeapKey, lfhKey: globals.segmentLfhKey }, { seed: 1, encodedLargeTree: false }).address;

function newProcess(arch: Arch, build: number) {
  const process = new ProcessImageBuilder({ arch, build, globals, ntGlobalFlag: 0x1000 });
  const { space, layout } = process;
  const off = (type: string, field: string) => BigInt(layout.off(type, field));
  /** Just enough of an NT heap to be told from a segment heap: its segment signature (§2.1). */
  const ntHeap = () => {
    const address = space.reserve(0x10000);
    space.commit(address, layout.size("_HEAP"));
    space.u32(address + off("_HEAP", "SegmentSignature"), 0xffeeffee);
    return address;
  };
  return { process, space, layout, off, ntHeap };
}

describe.each([
  ["x64", 19041],
  ["x64", 7601],
  ["x86", 19041],
  ["x86", 7601],
] as const)("%s %i process", (arch, build) => {
  test("PEB heap fields and the ProcessHeaps array read back from the address space", () => {
    const { process, space, layout, off, ntHeap } = newProcess(arch, build);
    const heaps = [ntHeap(), ntHeap()];
    if (layout.has("_SEGMENT_HEAP", "Signature")) heaps.push(segmentHeap(space, layout));
    for (const heap of heaps) process.addHeap(heap, ["PEB"]);

    const peb = process.peb;
    expect(space.readPtr(peb + off("_PEB", "ProcessHeap"))).toBe(heaps[0]);
    expect(space.readU32(peb + off("_PEB", "NtGlobalFlag"))).toBe(0x1000);
    expect(space.readU32(peb + off("_PEB", "NumberOfHeaps"))).toBe(heaps.length);
    expect(space.readU32(peb + off("_PEB", "MaximumNumberOfHeaps"))).toBeGreaterThanOrEqual(heaps.length);
    const array = space.readPtr(peb + off("_PEB", "ProcessHeaps"));
    const listed = heaps.map((_, i) => space.readPtr(array + BigInt(i * layout.pointerSize)));
    expect(listed).toEqual(heaps);
    // ProcessHeapsListIndex is index+1 into PEB.ProcessHeaps (§1.2).
    expect(space.read(heaps[1] + off("_HEAP", "ProcessHeapsListIndex"), 2)).toEqual(new Uint8Array([2, 0]));
  });

  test("threads: TEBs with their stacks and the PEB, and ntdll's globals", () => {
    const { process, space, layout, off, ntHeap } = newProcess(arch, build);
    process.addHeap(ntHeap(), ["PEB"]);
    const { spec, ntdllIsf } = process.build();
    expect(ntdllIsf).toBe(layout.isf);

    expect(spec.threads.length).toBeGreaterThanOrEqual(2);
    for (const thread of spec.threads) {
      expect(space.readPtr(thread.teb + off("_TEB", "ProcessEnvironmentBlock"))).toBe(process.peb);
      expect(space.readPtr(thread.teb + off("_TEB", "NtTib.StackLimit"))).toBe(thread.stackStart);
      expect(space.readPtr(thread.teb + off("_TEB", "NtTib.StackBase"))).toBe(thread.stackStart + BigInt(thread.stackSize));
      const inMemory = spec.memory.some((r) => r.start <= thread.stackStart && thread.stackStart + BigInt(thread.stackSize) <= r.start + BigInt(r.data.length));
      expect(inMemory).toBe(true);
    }

    const [exe, ntdll] = spec.modules;
    expect(exe.name).toBe("C:\\dxheap\\leaky.exe");
    expect(ntdll.name).toBe("C:\\Windows\\System32\\ntdll.dll");
    expect(ntdll.version[2]).toBe(build);
    expect(spec.buildNumber).toBe(build);
    expect(spec.memoryList).toBe("memory64");
    expect(space.readU32(ntdll.base + BigInt(symbolRva(layout, "RtlpLFHKey")))).toBe(globals.lfhKey);
    if (build >= 17763) {
      const heapGlobals = ntdll.base + BigInt(symbolRva(layout, "RtlpHpHeapGlobals"));
      expect(space.readPtr(heapGlobals + off("_RTLP_HP_HEAP_GLOBALS", "HeapKey"))).toBe(globals.segmentHeapKey);
      expect(space.readPtr(heapGlobals + off("_RTLP_HP_HEAP_GLOBALS", "LfhKey"))).toBe(globals.segmentLfhKey);
    }
    for (let i = 1; i < spec.memory.length; i++) {
      const previous = spec.memory[i - 1];
      expect(previous.start + BigInt(previous.data.length)).toBeLessThan(spec.memory[i].start);
    }
  });

  test("planted pointers: fresh aligned stack slots holding the value", () => {
    const { process, space, layout, ntHeap } = newProcess(arch, build);
    process.addHeap(ntHeap(), ["PEB"]);
    const planted = [0x1000n, 0x2000n, 0x3000n, 0x4000n].map((value) => process.plantPointer(value));
    const { spec } = process.build();
    expect(new Set(planted.map((p) => p.location)).size).toBe(planted.length);
    for (const { location, value } of planted) {
      expect(location % BigInt(layout.pointerSize)).toBe(0n);
      expect(space.readPtr(location)).toBe(value);
      const onStack = spec.threads.some((t) => t.stackStart <= location && location < t.stackStart + BigInt(t.stackSize));
      expect(onStack).toBe(true);
    }
  });
});

test("26100: the process heap descriptor list, circular from ntdll!RtlpProcessHeaps, and UserContext", () => {
  const { process, space, layout, off, ntHeap } = newProcess("x64", 26100);
  const first = ntHeap();
  const second = ntHeap();
  const third = segmentHeap(space, layout);
  process.addHeap(first, ["PEB", "DescriptorList"]);
  process.addHeap(second, ["DescriptorList"]);
  process.addHeap(third, ["DescriptorList"]);
  const { spec } = process.build();

  expect(space.readU32(process.peb + off("_PEB", "NumberOfHeaps"))).toBe(1);
  const head = spec.modules[1].base + BigInt(symbolRva(layout, "RtlpProcessHeaps"));
  const flink = off("_LIST_ENTRY", "Flink");
  const blink = off("_LIST_ENTRY", "Blink");
  const descriptors: bigint[] = [];
  for (let link = space.readPtr(head + flink); link !== head; link = space.readPtr(link + flink)) {
    expect(space.readPtr(space.readPtr(link + blink) + flink)).toBe(link);
    descriptors.push(link - off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink"));
  }
  expect(space.readPtr(space.readPtr(head + blink) + flink)).toBe(head);
  expect(descriptors.map((d) => space.readPtr(d + off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap")))).toEqual([first, second, third]);
  expect(space.readPtr(first + off("_HEAP", "UserContext"))).toBe(descriptors[0]);
  expect(space.readPtr(second + off("_HEAP", "UserContext"))).toBe(descriptors[1]);
});

test("writeFiles writes <name>.dmp and <name>.ntdll.isf.json", () => {
  const { process, ntHeap } = newProcess("x64", 19041);
  process.addHeap(ntHeap(), ["PEB"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dxheap-process-"));
  try {
    const { dumpPath, isfPath } = process.writeFiles(dir, "leaky");
    expect(dumpPath).toBe(path.join(dir, "leaky.dmp"));
    expect(isfPath).toBe(path.join(dir, "leaky.ntdll.isf.json"));
    expect(fs.statSync(dumpPath).size).toBeGreaterThan(0);
    expect(JSON.parse(fs.readFileSync(isfPath, "utf8"))).toEqual(process.layout.isf);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// --- Modules with symbols; page-heap handles ---------------------------------------------------

test("loadModule places modules one after another; symbolize names addresses as WinDbg does", () => {
  const { process } = newProcess("x86", 19041);
  const ucrtbase = process.loadModule({ path: "C:\\Windows\\System32\\ucrtbase.dll", size: 0x100000, symbols: { malloc: 0x1b3e0, free: 0x1c2a0 } });
  const plugin = process.loadModule({ path: "C:\\dxheap\\Plugin.dll", size: 0x20000 });
  expect(plugin).toBeGreaterThanOrEqual(ucrtbase + 0x100000n);
  expect(process.moduleBase("ucrtbase")).toBe(ucrtbase);
  expect(process.symbolize(ucrtbase + 0x1b3e0n)).toBe("ucrtbase!malloc");
  expect(process.symbolize(ucrtbase + 0x1b3f5n)).toBe("ucrtbase!malloc+0x15");
  expect(process.symbolize(ucrtbase + 0x1c2a0n + 0x1000n)).toBe("ucrtbase!free+0x1000");
  expect(process.symbolize(ucrtbase + 0x100n)).toBe("ucrtbase+0x100"); // before its first symbol
  expect(process.symbolize(plugin + 0x1234n)).toBe("plugin+0x1234"); // no symbol file
  expect(process.symbolize(process.ntdllSymbol("RtlAllocateHeap") + 0x3dn)).toBe("ntdll!RtlAllocateHeap+0x3d");
  expect(process.symbolize(process.moduleBase("leaky") + 0x1a4cn)).toBe("leaky+0x1a4c");
  expect(() => process.symbolize(0x1000n)).toThrow(/no module/);
  expect(() => process.loadModule({ path: "C:\\other\\UCRTBASE.dll", size: 0x1000 })).toThrow(/loaded already/);

  const { spec, moduleIsfs } = process.build();
  expect(spec.modules.slice(2).map((m) => [m.name, m.base, m.size])).toEqual([
    ["C:\\Windows\\System32\\ucrtbase.dll", ucrtbase, 0x100000],
    ["C:\\dxheap\\Plugin.dll", plugin, 0x20000],
  ]);
  expect(Object.keys(moduleIsfs)).toEqual(["ucrtbase"]);
  const isf = moduleIsfs.ucrtbase as Isf;
  expect(isf.symbols).toEqual({ malloc: { address: 0x1b3e0 }, free: { address: 0x1c2a0 } });
  expect(isf.base_types.pointer.size).toBe(4);
});

test("writeFiles writes a module's symbol file beside ntdll's, and none for an image without", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dxheap-modules-"));
  try {
    const plain = newProcess("x64", 19041);
    plain.process.addHeap(plain.ntHeap(), ["PEB"]);
    expect(plain.process.writeFiles(dir, "plain").moduleIsfPaths).toEqual([]);
    const { process, ntHeap } = newProcess("x64", 19041);
    process.addHeap(ntHeap(), ["PEB"]);
    process.loadModule({ path: "C:\\dxheap\\widgets.dll", size: 0x40000, symbols: { "Widget::`vftable'": 0x28010 } });
    const { moduleIsfPaths } = process.writeFiles(dir, "traced");
    expect(moduleIsfPaths).toEqual([path.join(dir, "traced.widgets.isf.json")]);
    expect(JSON.parse(fs.readFileSync(moduleIsfPaths[0], "utf8")).symbols).toEqual({ "Widget::`vftable'": { address: 0x28010 } });
    expect(fs.readdirSync(dir).sort()).toEqual(["plain.dmp", "plain.ntdll.isf.json", "traced.dmp", "traced.ntdll.isf.json", "traced.widgets.isf.json"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a page-heap handle (ForceFlags 0x01000000, root signature one page on) is listed without writing into its page", () => {
  const { process, space, off } = newProcess("x64", 19041);
  const handle = space.reserve(0x2000);
  space.commit(handle, 0x2000);
  space.write(handle, new Uint8Array(0x1000).fill(0xee));
  space.u32(handle + off("_HEAP", "ForceFlags"), 0x01000002);
  space.u32(handle + 0x1000n, 0xffeeddcc);
  process.addHeap(handle, ["PEB"]);
  expect(space.readPtr(process.peb + off("_PEB", "ProcessHeap"))).toBe(handle);
  expect(space.read(handle + off("_HEAP", "ProcessHeapsListIndex"), 2)).toEqual(new Uint8Array([0xee, 0xee]));
  expect(space.readU32(process.peb + off("_PEB", "NumberOfHeaps"))).toBe(1);
});
// --- end modules with symbols; page-heap handles
