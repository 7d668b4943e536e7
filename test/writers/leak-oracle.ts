// An independent reference scanner for the leak and triage images, written from the semantics of
// LeakTruth (types.ts), not from the writers that planted the pointers nor from src/: it reads the
// dump (threads and their CONTEXTs, TEBs through ntdll's ISF, modules' PE headers and TLS
// directories in memory), takes the blocks from the heap truth, and classifies every
// pointer-aligned value of every dumped page and register that points into a busy block's user data.
import { Minidump } from "../../nodehost/formats/minidump";
import { DumpView } from "./dump-view";
import type { BlockTruth, HeapTruth, ReferenceHolder } from "./types";

/** Where a found reference is: a holder of the semantics, or the rest of a heap's own memory ("heap"). */
export type FoundHolder = ReferenceHolder | { kind: "heap" };

export interface FoundReference {
  location?: bigint;
  value: bigint;
  target: bigint;
  holder: FoundHolder;
  root: boolean;
}

export interface DecodedSection {
  name: string;
  rva: number;
  size: number;
  characteristics: number;
}

export interface DecodedProcess {
  threads: { id: number; teb: bigint; stackBase: bigint; stackLimit: bigint; stackPointer?: bigint; registers?: Record<string, bigint>; tlsVector: bigint }[];
  modules: {
    name: string;
    base: bigint;
    size: number;
    sections?: DecodedSection[];
    tls?: { directory: bigint; start: bigint; end: bigint; zeroFill: number; indexAddress: bigint; index: number };
  }[];
}

const IMAGE_SCN_MEM_WRITE = 0x80000000; // PE Format, "Section Flags"
const IMAGE_DIRECTORY_ENTRY_TLS = 9;

/** Threads, modules' sections and TLS, as the dump holds them. */
export function decodeProcess(dump: Uint8Array, isfs: Record<string, object>): DecodedProcess {
  const parsed = Minidump.parse(dump);
  const view = new DumpView(dump, isfs);
  const threads = parsed.threads.map((t) => {
    const registers = t.context?.registers;
    const stackPointer = registers && (registers.rsp ?? registers.esp);
    return {
      id: t.id,
      teb: t.teb,
      stackBase: view.ptr(view.at(t.teb, "_TEB", "NtTib.StackBase")),
      stackLimit: view.ptr(view.at(t.teb, "_TEB", "NtTib.StackLimit")),
      ...(registers && { stackPointer, registers }),
      tlsVector: view.ptr(view.at(t.teb, "_TEB", "ThreadLocalStoragePointer")),
    };
  });
  const modules = view.modules.map((m) => ({ ...m, ...peImage(view, m.base) }));
  return { threads, modules };
}

/** The section table and TLS directory of the image at base, from its headers (PE Format); none when unreadable. */
function peImage(view: DumpView, base: bigint): Pick<DecodedProcess["modules"][number], "sections" | "tls"> {
  if (!view.readable(base, 0x40) || view.u16(base) !== 0x5a4d) return {};
  const nt = base + BigInt(view.u32(base + 0x3cn));
  if (view.u32(nt) !== 0x4550) return {};
  const count = view.u16(nt + 6n);
  const optional = nt + 24n;
  const optionalSize = view.u16(nt + 20n);
  const dataDirectory = optional + (view.u16(optional) === 0x20b ? 112n : 96n);
  const sections = Array.from({ length: count }, (_, i) => {
    const at = optional + BigInt(optionalSize + 40 * i);
    const name = new TextDecoder().decode(view.read(at, 8)).replace(/\0+$/, "");
    return { name, rva: view.u32(at + 12n), size: view.u32(at + 8n), characteristics: view.u32(at + 36n) };
  });
  const tlsRva = view.u32(dataDirectory + BigInt(8 * IMAGE_DIRECTORY_ENTRY_TLS));
  if (tlsRva === 0) return { sections };
  const directory = base + BigInt(tlsRva);
  const field = (i: number) => view.ptr(directory + BigInt(i * view.pointerSize));
  const indexAddress = field(2);
  const tls = { directory, start: field(0), end: field(1), zeroFill: view.u32(directory + BigInt(4 * view.pointerSize)), indexAddress, index: view.u32(indexAddress) };
  return { sections, tls };
}

/** Busy user ranges sorted by address, searchable by a number (every user address is below 2^47). */
class BusyRanges {
  private readonly starts: number[];
  private readonly ends: number[];
  readonly blocks: BlockTruth[];

  constructor(heaps: HeapTruth[]) {
    this.blocks = heaps
      .flatMap((h) => h.blocks)
      .filter((b) => b.state === "Busy" && b.userSize > 0)
      .sort((a, b) => (a.userAddress < b.userAddress ? -1 : 1));
    this.starts = this.blocks.map((b) => Number(b.userAddress));
    this.ends = this.blocks.map((b) => Number(b.userAddress) + b.userSize);
  }

  find(value: number): BlockTruth | undefined {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (value < this.starts[middle]) high = middle - 1;
      else if (value >= this.ends[middle]) low = middle + 1;
      else return this.blocks[middle];
    }
    return undefined;
  }
}

/**
 * Every reference the dump holds, classified, and the busy blocks the roots reach (user addresses).
 * isfs: ntdll's ISF and the other modules' (symbol names of module holders).
 */
export function scanLeaks(dump: Uint8Array, isfs: Record<string, object>, heaps: HeapTruth[]): { references: FoundReference[]; reachable: Set<bigint> } {
  const parsed = Minidump.parse(dump);
  const view = new DumpView(dump, isfs);
  const process = decodeProcess(dump, isfs);
  const busy = new BusyRanges(heaps);
  const pointer = view.pointerSize;
  const within = (address: bigint, start: bigint, end: bigint) => start <= address && address < end;

  // TLS: TEB.ThreadLocalStoragePointer, the vector (one pointer per TLS module) and each module's data.
  const tlsModules = process.modules.filter((m) => m.tls);
  const tlsAreas = process.threads.flatMap((t, thread): { thread: number; module?: string; start: bigint; end: bigint }[] => {
    if (t.tlsVector === 0n) return [];
    const vector = { thread, start: t.tlsVector, end: t.tlsVector + BigInt(tlsModules.length * pointer) };
    const data = tlsModules.map((m) => {
      const start = view.ptr(t.tlsVector + BigInt(m.tls!.index * pointer));
      return { thread, module: m.name, start, end: start + (m.tls!.end - m.tls!.start) + BigInt(m.tls!.zeroFill) };
    });
    return [vector, ...data];
  });
  const tebFields = new Map(process.threads.map((t, thread) => [view.at(t.teb, "_TEB", "ThreadLocalStoragePointer"), thread]));

  // A heap's own memory: its segments, its VirtualAlloc'd (from the page of their header) and Large blocks.
  const heapMemory = heaps.flatMap((h) => [
    ...h.segments.map((s) => ({ start: s.baseAddress, end: s.lastValidEntry })),
    ...h.blocks.filter((b) => b.kind === "VirtualAlloc").map((b) => ({ start: b.address & ~0xfffn, end: (b.address & ~0xfffn) + BigInt(b.size) })),
    ...h.blocks.filter((b) => b.kind === "Large").map((b) => ({ start: b.address, end: b.address + BigInt(b.size) })),
  ]);
  const freeBlocks = heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Free");

  const classify = (location: bigint): { holder: FoundHolder; root: boolean } => {
    const stack = process.threads.findIndex((t) => within(location, t.stackLimit, t.stackBase));
    if (stack >= 0) {
      const sp = process.threads[stack].stackPointer;
      const live = sp === undefined || location >= sp;
      return { holder: { kind: "stack", thread: stack, live }, root: live };
    }
    const tebThread = tebFields.get(location);
    if (tebThread !== undefined) return { holder: { kind: "tls", thread: tebThread }, root: true };
    const area = tlsAreas.find((a) => within(location, a.start, a.end));
    if (area) return { holder: { kind: "tls", thread: area.thread, ...(area.module && { module: area.module }) }, root: true };
    const module = process.modules.find((m) => within(location, m.base, m.base + BigInt(m.size)));
    if (module) {
      const rva = Number(location - module.base);
      const section = module.sections?.find((s) => s.rva <= rva && rva < s.rva + s.size);
      const named = view.symbolize(location);
      const holder: FoundHolder = { kind: "module", module: module.name, section: section?.name ?? "", ...(named.includes("!") && { symbol: named }) };
      return { holder, root: section !== undefined && (section.characteristics & IMAGE_SCN_MEM_WRITE) !== 0 };
    }
    const block = busy.find(Number(location));
    if (block) return { holder: { kind: "block", block: block.userAddress, free: false }, root: false };
    const free = freeBlocks.find((b) => within(location, b.userAddress, b.address + BigInt(b.size)));
    if (free) return { holder: { kind: "block", block: free.userAddress, free: true }, root: false };
    if (heapMemory.some((r) => within(location, r.start, r.end))) return { holder: { kind: "heap" }, root: false };
    return { holder: { kind: "private" }, root: true };
  };

  const references: FoundReference[] = [];
  for (const range of parsed.memory) {
    const data = new DataView(range.data.buffer, range.data.byteOffset, range.data.byteLength);
    const start = Number(range.start);
    for (let offset = (pointer - (start % pointer)) % pointer; offset + pointer <= data.byteLength; offset += pointer) {
      const low = data.getUint32(offset, true);
      const high = pointer === 8 ? data.getUint32(offset + 4, true) : 0;
      if (high >= 0x8000) continue; // above every user-mode address
      const target = busy.find(high * 0x1_0000_0000 + low);
      if (!target) continue;
      const location = range.start + BigInt(offset);
      const value = (BigInt(high) << 32n) | BigInt(low);
      references.push({ location, value, target: target.userAddress, ...classify(location) });
    }
  }
  process.threads.forEach((t, thread) => {
    for (const [register, value] of Object.entries(t.registers ?? {})) {
      const target = value < 1n << 47n ? busy.find(Number(value)) : undefined;
      if (target) references.push({ value, target: target.userAddress, holder: { kind: "register", thread, register }, root: true });
    }
  });

  // Mark from the roots, then through marked blocks' user data.
  const edges = new Map<bigint, bigint[]>();
  for (const r of references) {
    if (r.holder.kind === "block" && !r.holder.free) edges.set(r.holder.block, [...(edges.get(r.holder.block) ?? []), r.target]);
  }
  const reachable = new Set<bigint>();
  const pending = references.filter((r) => r.root).map((r) => r.target);
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (reachable.has(next)) continue;
    reachable.add(next);
    pending.push(...(edges.get(next) ?? []));
  }
  return { references, reachable };
}
