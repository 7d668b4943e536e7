// Composes a process around the heaps the heap writers place: modules (ntdll with its globals,
// the main module), PEB, threads with TEBs and stacks, and the lists that name the heaps (§1.1,
// §2.1 of /work/shared/heap/heap-internals.md). Produces the minidump and its ntdll ISF.
import * as fs from "fs";
import * as path from "path";
import { SparseAddressSpace } from "./address-space";
import { layoutFor, NTDLL_IMAGE, symbolRva, windowsRelease } from "./layout";
import { writeMinidump } from "./minidump";
import type { MinidumpSpec, MinidumpSpecModule, MinidumpSpecThread } from "./minidump-spec";
import type { Arch, Layout } from "./types";

/** Signatures at the same offset of _HEAP and _SEGMENT_HEAP tell the two apart (§2.1). */
const NT_HEAP_SEGMENT_SIGNATURE = 0xffeeffee;
const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;

/** PEB.ProcessHeaps has room for this many heaps (MaximumNumberOfHeaps). */
const PROCESS_HEAPS_CAPACITY = 16;

const THREAD_COUNT = 3;
const STACK_RESERVE = 0x40000;
const STACK_COMMIT = 0x3000;
/** Planted pointers sit below the top frames, this many bytes apart. */
const STACK_SLOT_SPACING = 0x18;

/** Where the modules load: typical addresses of each architecture, outside the reservation range. */
const MODULE_BASES: Record<Arch, { exe: bigint; ntdll: bigint }> = {
  x64: { exe: 0x7ff6_4b3a_0000n, ntdll: 0x7ffb_58f3_0000n },
  x86: { exe: 0x0040_0000n, ntdll: 0x77a6_0000n },
};
const EXE_IMAGE_SIZE = 0x28000;

export type HeapListing = "PEB" | "DescriptorList";

/** Values of ntdll's heap globals (§2.4, §1.9). */
export interface NtdllGlobals {
  /** ntdll!RtlpLFHKey. */
  lfhKey: number;
  /** RtlpHpHeapGlobals.HeapKey, on builds with segment heaps. */
  segmentHeapKey: bigint;
  /** RtlpHpHeapGlobals.LfhKey, on builds with segment heaps. */
  segmentLfhKey: bigint;
}

export interface ProcessOptions {
  arch: Arch;
  build: number;
  globals: NtdllGlobals;
  /** PEB.NtGlobalFlag, e.g. 0x1000 for +ust (§1.1). */
  ntGlobalFlag?: number;
}

interface Thread extends MinidumpSpecThread {
  stackBase: bigint;
  plantedSlots: number;
}

export class ProcessImageBuilder {
  readonly space: SparseAddressSpace;
  readonly layout: Layout;
  readonly peb: bigint;
  private readonly processHeaps: bigint;
  private readonly modules: MinidumpSpecModule[];
  private readonly ntdllBase: bigint;
  private readonly threads: Thread[] = [];
  private readonly processId = 0x2f1c;
  private heapCount = 0;
  private heapsInPeb = 0;
  private descriptors?: { next: bigint; end: bigint };
  private plantedPointers = 0;

  constructor(options: ProcessOptions) {
    const { arch, build } = options;
    this.layout = layoutFor(arch, build);
    this.space = new SparseAddressSpace(arch);
    const version = windowsRelease(build).version;
    const exe = this.addModule("C:\\dxheap\\leaky.exe", MODULE_BASES[arch].exe, EXE_IMAGE_SIZE, version);
    const ntdll = this.addModule("C:\\Windows\\System32\\ntdll.dll", MODULE_BASES[arch].ntdll, NTDLL_IMAGE[arch].size, version);
    this.modules = [exe, ntdll];
    this.ntdllBase = ntdll.base;
    this.writeNtdllGlobals(options.globals);

    // PEB and TEBs share one reservation, the PEB's heap array right after the PEB.
    const tebSpan = roundUp(this.layout.size("_TEB"), 0x1000);
    const pebSpan = roundUp(this.layout.size("_PEB") + PROCESS_HEAPS_CAPACITY * this.space.pointerSize, 0x1000);
    this.peb = this.space.reserve(pebSpan + THREAD_COUNT * tebSpan);
    this.space.commit(this.peb, pebSpan + THREAD_COUNT * tebSpan);
    this.processHeaps = this.peb + BigInt(roundUp(this.layout.size("_PEB"), 0x10));
    this.space.u32(this.peb + this.off("_PEB", "NtGlobalFlag"), options.ntGlobalFlag ?? 0);
    this.space.u32(this.peb + this.off("_PEB", "MaximumNumberOfHeaps"), PROCESS_HEAPS_CAPACITY);
    this.space.ptr(this.peb + this.off("_PEB", "ProcessHeaps"), this.processHeaps);
    for (let i = 0; i < THREAD_COUNT; i++) {
      this.addThread(0x1a2c + 4 * i, this.peb + BigInt(pebSpan + i * tebSpan));
    }
  }

  /**
   * Lists a heap (already written) in PEB.ProcessHeaps and/or ntdll's process heap descriptor
   * list. The first heap added is the process heap (PEB.ProcessHeap).
   */
  addHeap(address: bigint, listedIn: HeapListing[]): void {
    const heapType = this.heapType(address);
    if (this.heapCount++ === 0) this.space.ptr(this.peb + this.off("_PEB", "ProcessHeap"), address);
    if (listedIn.includes("PEB")) {
      if (this.heapsInPeb === PROCESS_HEAPS_CAPACITY) throw new Error("PEB.ProcessHeaps is full");
      this.space.ptr(this.processHeaps + BigInt(this.heapsInPeb * this.space.pointerSize), address);
      this.heapsInPeb++;
      this.space.u32(this.peb + this.off("_PEB", "NumberOfHeaps"), this.heapsInPeb);
      // ProcessHeapsListIndex is index+1 into PEB.ProcessHeaps (§1.2).
      const indexField = heapType === "_HEAP" ? "ProcessHeapsListIndex" : "ProcessHeapListIndex";
      this.space.u16(address + this.off(heapType, indexField), this.heapsInPeb);
    }
    if (listedIn.includes("DescriptorList")) this.addDescriptor(address, heapType);
  }

  /** Writes value at a fresh pointer-aligned slot of a thread stack (threads in turn). */
  plantPointer(value: bigint): { location: bigint; value: bigint } {
    const thread = this.threads[this.plantedPointers++ % this.threads.length];
    const slot = 0x200 + thread.plantedSlots++ * STACK_SLOT_SPACING;
    const location = alignDown(thread.stackBase - BigInt(slot), this.space.pointerSize);
    this.space.ptr(location, value);
    return { location, value };
  }

  build(): { dump: Uint8Array; ntdllIsf: object; spec: MinidumpSpec } {
    const release = windowsRelease(this.layout.build);
    const spec: MinidumpSpec = {
      arch: this.layout.arch,
      majorVersion: release.version[0],
      minorVersion: release.version[1],
      buildNumber: this.layout.build,
      csdVersion: release.csdVersion,
      processId: this.processId,
      modules: this.modules,
      threads: this.threads.map(({ id, teb, stackStart, stackSize }) => ({ id, teb, stackStart, stackSize })),
      memory: this.space.toMemoryRanges(),
      memoryList: "memory64",
    };
    return { dump: writeMinidump(spec), ntdllIsf: this.layout.isf, spec };
  }

  /** Writes <name>.dmp and <name>.ntdll.isf.json (the name the Node host's loader looks for). */
  writeFiles(dir: string, name: string): { dumpPath: string; isfPath: string } {
    const { dump, ntdllIsf } = this.build();
    const dumpPath = path.join(dir, `${name}.dmp`);
    const isfPath = path.join(dir, `${name}.ntdll.isf.json`);
    fs.writeFileSync(dumpPath, dump);
    fs.writeFileSync(isfPath, JSON.stringify(ntdllIsf));
    return { dumpPath, isfPath };
  }

  private off(type: string, field: string): bigint {
    return BigInt(this.layout.off(type, field));
  }

  private heapType(address: bigint): "_HEAP" | "_SEGMENT_HEAP" {
    if (this.space.readU32(address + this.off("_HEAP", "SegmentSignature")) === NT_HEAP_SEGMENT_SIGNATURE) return "_HEAP";
    if (this.layout.has("_SEGMENT_HEAP", "Signature") && this.space.readU32(address + this.off("_SEGMENT_HEAP", "Signature")) === SEGMENT_HEAP_SIGNATURE) {
      return "_SEGMENT_HEAP";
    }
    throw new Error(`no heap signature at 0x${address.toString(16)}`);
  }

  private addModule(name: string, base: bigint, size: number, version: MinidumpSpecModule["version"]): MinidumpSpecModule {
    this.space.reserveAt(base, size);
    this.space.commit(base, 0x1000);
    this.space.write(base, new TextEncoder().encode("MZ")); // the image header page
    return { name, base, size, timeDateStamp: 0x5f8a3c1d, checksum: 0, version };
  }

  private writeNtdllGlobals(globals: NtdllGlobals): void {
    const ntdll = this.ntdllBase;
    this.space.commit(ntdll + BigInt(NTDLL_IMAGE[this.layout.arch].dataRva), 0x1000);
    this.space.u32(ntdll + BigInt(symbolRva(this.layout, "RtlpLFHKey")), globals.lfhKey);
    if (this.layout.isf.symbols.RtlpHpHeapGlobals) {
      const heapGlobals = ntdll + BigInt(symbolRva(this.layout, "RtlpHpHeapGlobals"));
      this.space.ptr(heapGlobals + this.off("_RTLP_HP_HEAP_GLOBALS", "HeapKey"), globals.segmentHeapKey);
      // LfhKey is a u64 on x64 and a u32 on x86 (§1.9): pointer-sized.
      this.space.ptr(heapGlobals + this.off("_RTLP_HP_HEAP_GLOBALS", "LfhKey"), globals.segmentLfhKey);
    }
    if (this.layout.isf.symbols.RtlpProcessHeaps) {
      const head = ntdll + BigInt(symbolRva(this.layout, "RtlpProcessHeaps"));
      this.space.ptr(head + this.off("_LIST_ENTRY", "Flink"), head); // empty circular list
      this.space.ptr(head + this.off("_LIST_ENTRY", "Blink"), head);
    }
  }

  private addThread(id: number, teb: bigint): void {
    const stackReservation = this.space.reserve(STACK_RESERVE);
    const stackBase = stackReservation + BigInt(STACK_RESERVE);
    const stackLimit = stackBase - BigInt(STACK_COMMIT);
    this.space.commit(stackLimit, STACK_COMMIT);
    this.space.ptr(teb + this.off("_TEB", "NtTib.StackBase"), stackBase);
    this.space.ptr(teb + this.off("_TEB", "NtTib.StackLimit"), stackLimit);
    this.space.ptr(teb + this.off("_TEB", "NtTib.Self"), teb);
    this.space.ptr(teb + this.off("_TEB", "ProcessEnvironmentBlock"), this.peb);
    this.threads.push({ id, teb, stackStart: stackLimit, stackSize: STACK_COMMIT, stackBase, plantedSlots: 0 });
  }

  /**
   * Appends a _RTLP_PROCESS_HEAP_DESCRIPTOR to the list at ntdll!RtlpProcessHeaps (circular back
   * to the head, §2.1) and points the heap's UserContext at it where its type has one.
   */
  private addDescriptor(heap: bigint, heapType: "_HEAP" | "_SEGMENT_HEAP"): void {
    const head = this.ntdllBase + BigInt(symbolRva(this.layout, "RtlpProcessHeaps"));
    const size = roundUp(this.layout.size("_RTLP_PROCESS_HEAP_DESCRIPTOR"), 0x10);
    if (!this.descriptors || this.descriptors.next + BigInt(size) > this.descriptors.end) {
      const pool = this.space.reserve(0x1000);
      this.space.commit(pool, 0x1000);
      this.descriptors = { next: pool, end: pool + 0x1000n };
    }
    const descriptor = this.descriptors.next;
    this.descriptors.next += BigInt(size);

    const flink = this.off("_LIST_ENTRY", "Flink");
    const blink = this.off("_LIST_ENTRY", "Blink");
    const link = descriptor + this.off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink");
    const last = this.space.readPtr(head + blink);
    this.space.ptr(link + flink, head);
    this.space.ptr(link + blink, last);
    this.space.ptr(last + flink, link);
    this.space.ptr(head + blink, link);
    this.space.ptr(descriptor + this.off("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap"), heap);

    if (this.layout.has(heapType, "UserContext")) this.space.ptr(heap + this.off(heapType, "UserContext"), descriptor);
  }
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}

function alignDown(value: bigint, unit: number): bigint {
  return value - (value % BigInt(unit));
}
