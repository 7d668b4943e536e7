// What the leak and triage images (images.ts) are made of: the roots of a process (stacks, registers,
// module sections, TLS, private memory; process.ts plants them), the pointers planted from them
// into busy blocks and from block to block, and the truth that follows. The semantics these
// images are built to are LeakTruth's in types.ts (docs/heap-structures.md §3.6 made exact).
// The heap writers' fill is bytes 0x80-0xFF, no pointer-sized run of which is a user-mode address;
// the planter also clears the two places where one may still look like a pointer into a block (a
// block's last, partial word of user data; ntdll's random keys), so that the planted pointers are
// all there is. test/writers/leak-oracle.ts checks it by scanning the final dump.
import { IMAGE_SCN_MEM_WRITE } from "./pe";
import { SECTION_GLOBALS_BYTES, type ModuleSpec, type ProcessImageBuilder, type ProcessOptions } from "./process";
import type { BlockTruth, GrowthTruth, HeapTruth, LeakTruth, ReferenceHolder, ReferenceTruth, StackTruth, SuspectTruth } from "./types";
import type { Random } from "./random";

/** Leak and triage processes: every module with PE headers; threads 0 and 1 with a CONTEXT, thread 2 without. */
export const LEAK_PROCESS_OPTIONS: Pick<ProcessOptions, "peHeaders" | "threadContexts"> = { peHeaders: true, threadContexts: [true, true, false] };

/**
 * session.dll: the program's module whose symbol file names its globals, all in .data (its RVA
 * 0x24000, see pe.ts imageSections): g_frameCache holds the triage images' giant block,
 * g_sessionTable (16 pointers) and g_documents roots of the rest. RVAs are ours.
 */
export const SESSION_MODULE: ModuleSpec = {
  path: "C:\\dxheap\\session.dll",
  size: 0x30000,
  symbols: { g_frameCache: 0x24000, g_sessionTable: 0x24010, g_documents: 0x24090 },
};
const SESSION_TABLE_SLOTS = 16;
/** Bytes of each TLS module's template (its static TLS data). */
const TLS_TEMPLATE_BYTES = 0x40;

/**
 * Loads session.dll and gives it and leaky.exe static TLS (indexes 0 and 1); after the heaps are
 * written, setUpTls gives each thread its TLS from the process heap's blocks.
 */
export function loadSession(process: ProcessImageBuilder): void {
  process.loadModule(SESSION_MODULE);
  process.addTls("leaky", TLS_TEMPLATE_BYTES);
  process.addTls("session", TLS_TEMPLATE_BYTES);
}

/** Plants value somewhere and says where: a fresh slot of one holder. */
export type Slot = (value: bigint) => Omit<ReferenceTruth, "value" | "target">;

/** A linked block offers this many slots of its user data to the blocks linked after it. */
const CHILD_SLOTS = 3;
/** Bytes of the program's private buffer. */
const PRIVATE_BUFFER_BYTES = 0x2000;

/**
 * Plants pointers into busy blocks and records each (ReferenceTruth). A busy block's slots are its
 * pointer-aligned user data from the second pointer on: the first may be a C++ object's vftable
 * or one of images.ts' decoys. A free block's slots follow its free-list links.
 */
export class ReferencePlanter {
  readonly references: ReferenceTruth[] = [];
  readonly nearMisses: LeakTruth["nearMisses"] = [];
  private readonly busy: BlockTruth[];
  private readonly slotsUsed = new Map<BlockTruth, number>();
  private privateBuffer?: { address: bigint; used: number };

  constructor(
    readonly process: ProcessImageBuilder,
    heaps: HeapTruth[],
    private readonly random: Random,
  ) {
    this.busy = heaps.flatMap((heap) => heap.blocks).filter((block) => block.state === "Busy" && block.userSize > 0);
    for (const block of this.busy) this.clearTail(block);
    this.checkNtdllGlobals();
  }

  /** ntdll's heap keys are random, and on x86 one may read as a pointer into a block: a seed to avoid. */
  private checkNtdllGlobals(): void {
    const ntdll = this.process.rootsTruth().modules.find((m) => m.name === "ntdll")!;
    const data = ntdll.base + BigInt(ntdll.sections.find((s) => s.name === ".data")!.rva);
    for (let offset = 0; offset < SECTION_GLOBALS_BYTES; offset += this.pointerSize) {
      const value = this.process.space.readPtr(data + BigInt(offset));
      if (this.userDataAt(value)) throw new Error(`ntdll's global at 0x${(data + BigInt(offset)).toString(16)} reads as a pointer into a block: pick another seed`);
    }
  }

  /**
   * The last pointer-aligned word of user data that ends past it holds fill bytes (0x80-0xFF)
   * under zeros: on x86 three of them read as an address among the heaps (0x808080-0xFFFFFF).
   * When that word points into a busy block, its last user byte becomes 0x01, out of every heap.
   */
  private clearTail(block: BlockTruth): void {
    const { space } = this.process;
    const end = block.userAddress + BigInt(block.userSize);
    const word = end - (end % BigInt(this.pointerSize));
    if (word === end || !this.userDataAt(space.readPtr(word))) return;
    space.u8(end - 1n, 0x01);
  }

  // --- Slots -----------------------------------------------------------------------------------

  stack(thread: number, live: boolean): Slot {
    return (value) => ({ location: this.process.plantInStack(thread, value, live), holder: { kind: "stack", thread, live }, root: live });
  }

  register(thread: number, register: string): Slot {
    return (value) => {
      this.process.plantInRegister(thread, register, value);
      return { holder: { kind: "register", thread, register }, root: true };
    };
  }

  /** A fresh slot of a module section: a root when the section is writable. */
  section(module: string, section: string): Slot {
    return (value) => this.inModule(module, section, this.process.plantInModule(module, section, value));
  }

  /** Element index of a global its module's symbol file names. */
  global(module: string, symbol: string, index = 0): Slot {
    return (value) => {
      const location = this.process.symbolAddress(module, symbol) + BigInt(index * this.pointerSize);
      this.process.space.ptr(location, value);
      return this.inModule(module, ".data", location);
    };
  }

  /** The slot offset bytes into a thread's TLS data of a module. */
  tls(thread: number, module: string, offset: number): Slot {
    return (value) => ({ location: this.process.plantInTls(thread, module, offset, value), holder: { kind: "tls", thread, module }, root: true });
  }

  /** A fresh slot of the program's private buffer (allocated on first use). */
  private(): Slot {
    return (value) => {
      this.privateBuffer ??= { address: this.process.privateBuffer(PRIVATE_BUFFER_BYTES), used: 0 };
      const location = this.privateBuffer.address + BigInt(0x40 + this.privateBuffer.used++ * 2 * this.pointerSize);
      if (location >= this.privateBuffer.address + BigInt(PRIVATE_BUFFER_BYTES)) throw new Error("the private buffer is full");
      this.process.space.ptr(location, value);
      return { location, holder: { kind: "private" }, root: true };
    };
  }

  /** A fresh slot of a block's user data (busy) or after its free-list links (free). */
  block(holder: BlockTruth): Slot {
    return (value) => {
      const free = holder.state === "Free";
      if (!free && holder.state !== "Busy") throw new Error(`a ${holder.state} block holds no user data`);
      if (this.freeSlots(holder) === 0) throw new Error(`block 0x${holder.userAddress.toString(16)} has no slot left`);
      const used = this.slotsUsed.get(holder) ?? 0;
      this.slotsUsed.set(holder, used + 1);
      // Busy: from the second pointer on. Free: after _HEAP_FREE_ENTRY.FreeList (§1.5), two pointers at the user address.
      const location = holder.userAddress + BigInt((used + (free ? 2 : 1)) * this.pointerSize);
      this.process.space.ptr(location, value);
      return { location, holder: { kind: "block", block: holder.userAddress, free }, root: false };
    };
  }

  /** Slots a block has left. */
  freeSlots(block: BlockTruth): number {
    const bytes = block.state === "Free" ? block.size - Number(block.userAddress - block.address) : block.userSize;
    const total = Math.floor(bytes / this.pointerSize) - (block.state === "Free" ? 2 : 1);
    return Math.max(0, total - (this.slotsUsed.get(block) ?? 0));
  }

  // --- Pointers --------------------------------------------------------------------------------

  /** Plants a pointer into target from slot: its user address, or with interior a byte inside its user data. */
  refer(slot: Slot, target: BlockTruth, interior = false): void {
    this.referAt(slot, target, interior && target.userSize > 1 ? 1 + (this.random.u32() % (target.userSize - 1)) : 0);
  }

  /** Plants a pointer offset bytes into target's user data. */
  referAt(slot: Slot, target: BlockTruth, offset: number): void {
    if (offset < 0 || offset >= target.userSize) throw new Error(`offset 0x${offset.toString(16)} is outside the user data`);
    const value = target.userAddress + BigInt(offset);
    this.references.push({ ...slot(value), value, target: target.userAddress });
  }

  /** Plants a pointer just outside target's user range: at its HEAP_ENTRY, or one past its user data. */
  nearMiss(slot: Slot, target: BlockTruth, what: "HeapEntry" | "PastUserData"): void {
    const value = nearMissValue(target, what);
    const inside = this.userDataAt(value);
    if (inside) throw new Error(`0x${value.toString(16)} lies in block 0x${inside.userAddress.toString(16)}`);
    const { location } = slot(value);
    this.nearMisses.push({ location: location!, value, block: target.userAddress, what });
  }

  /** The busy block whose user data holds address (x64: a HEAP_ENTRY's first 8 bytes may be the previous block's, §2.2). */
  userDataAt(address: bigint): BlockTruth | undefined {
    return this.busy.find((b) => b.userAddress <= address && address < b.userAddress + BigInt(b.userSize));
  }

  /**
   * Makes every block of blocks reachable: each is referenced once, from one of roots or from a
   * slot of a block linked before it (breadth first, so that chains stay short), a third of them
   * by an interior pointer.
   */
  linkAll(blocks: BlockTruth[], roots: Slot[]): void {
    const open = [...roots];
    for (const block of shuffled(blocks, this.random)) {
      const slot = open.shift();
      if (!slot) throw new Error("no slot left to reference a block from");
      this.refer(slot, block, this.random.u32() % 3 === 0);
      for (let i = Math.min(CHILD_SLOTS, this.freeSlots(block)); i > 0; i--) open.push(this.block(block));
    }
  }

  /**
   * The truth: the busy blocks the roots reach through the planted references (BlockTruth.reachable
   * set on every busy block), the references, near misses, cases and the process's roots.
   */
  finish(cases: Record<string, BlockTruth[]>): LeakTruth {
    const byUser = new Map(this.busy.map((b) => [b.userAddress, b]));
    const edges = new Map<bigint, bigint[]>();
    for (const r of this.references) {
      if (r.holder.kind !== "block" || r.holder.free) continue;
      edges.set(r.holder.block, [...(edges.get(r.holder.block) ?? []), r.target]);
    }
    const reached = new Set<bigint>();
    const pending = this.references.filter((r) => r.root).map((r) => r.target);
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (reached.has(next)) continue;
      reached.add(next);
      pending.push(...(edges.get(next) ?? []));
    }
    for (const block of this.busy) block.reachable = reached.has(block.userAddress);
    const unreachable = this.busy.filter((b) => !b.reachable).map((b) => b.userAddress).sort(compare);
    for (const r of this.references) if (!byUser.has(r.target)) throw new Error(`0x${r.target.toString(16)} is no busy block`);
    return {
      unreachable,
      references: this.references,
      nearMisses: this.nearMisses,
      cases: Object.fromEntries(Object.entries(cases).map(([name, blocks]) => [name, blocks.map((b) => b.userAddress)])),
      process: this.process.rootsTruth(),
    };
  }

  private get pointerSize(): number {
    return this.process.space.pointerSize;
  }

  private inModule(module: string, sectionName: string, location: bigint): Omit<ReferenceTruth, "value" | "target"> {
    const image = this.process.rootsTruth().modules.find((m) => m.name === module);
    const section = image?.sections.find((s) => s.name === sectionName);
    if (!section) throw new Error(`${module} has no section ${sectionName}`);
    const named = this.process.symbolize(location);
    const holder: ReferenceHolder = { kind: "module", module, section: sectionName, ...(named.includes("!") && { symbol: named }) };
    return { location, holder, root: (section.characteristics & IMAGE_SCN_MEM_WRITE) !== 0 };
  }
}

/**
 * Busy blocks of the process heap become each thread's TLS (ReactOS LdrpAllocateTls): a vector
 * (one pointer per TLS module) and one block per module of at least its template's size. Their
 * references are TLS roots: TEB.ThreadLocalStoragePointer to the vector, the vector to the blocks.
 * Returns the blocks used.
 */
export function setUpTls(planter: ReferencePlanter, threads: number, pick: (minimumBytes: number) => BlockTruth): BlockTruth[] {
  const { process } = planter;
  const modules = process.rootsTruth().modules.filter((m) => m.tls);
  const used: BlockTruth[] = [];
  for (let thread = 0; thread < threads; thread++) {
    const vector = pick(modules.length * process.space.pointerSize);
    const blocks = modules.map((m) => pick(Number(m.tls!.template.end - m.tls!.template.start)));
    process.setThreadTls(thread, vector.userAddress, Object.fromEntries(modules.map((m, i) => [m.name, blocks[i].userAddress])));
    const teb = process.rootsTruth().threads[thread].teb;
    const tebField = teb + BigInt(process.layout.off("_TEB", "ThreadLocalStoragePointer"));
    planter.references.push({ location: tebField, value: vector.userAddress, target: vector.userAddress, holder: { kind: "tls", thread }, root: true });
    modules.forEach((m, i) => {
      const location = vector.userAddress + BigInt(m.tls!.index * process.space.pointerSize);
      planter.references.push({ location, value: blocks[i].userAddress, target: blocks[i].userAddress, holder: { kind: "tls", thread }, root: true });
    });
    used.push(vector, ...blocks);
  }
  return used;
}

/**
 * The roots the rest of a process's blocks hang from (ReferencePlanter.linkAll): session.dll's
 * g_sessionTable, live stack slots of every thread, a register, the private buffer and TLS.
 */
export function programRoots(planter: ReferencePlanter): Slot[] {
  const register = planter.process.layout.arch === "x64" ? "rsi" : "esi";
  const pointer = planter.process.space.pointerSize;
  return [
    ...Array.from({ length: SESSION_TABLE_SLOTS }, (_, i) => planter.global("session", "g_sessionTable", i)),
    ...[0, 1, 2].flatMap((thread) => [planter.stack(thread, true), planter.stack(thread, true), planter.tls(thread, "session", 2 * pointer)]),
    planter.register(0, register),
    ...Array.from({ length: 6 }, () => planter.private()),
  ];
}

/**
 * The leak images' planted cases (LeakTruth.cases), from a pool of busy blocks of each kind.
 * Reachable, each through one kind of root only: liveStack (thread 0, interior pointer),
 * stackWithoutContext (thread 2, whose dump has no CONTEXT: near StackLimit), register (thread 1),
 * moduleData (leaky.exe's .data, no symbol), global (session!g_documents), tls (thread 1's
 * leaky.exe TLS), private (the program's buffer), chain (thread 1's stack → A → B → C, interior
 * pointers from A and B), lastByte (leaky.exe's .data to the last byte of the user data, on x64
 * of a block whose data runs into the next block's header, docs/heap-structures.md §2.2). Unreachable: deadStack (thread 0 below its stack pointer), freeBlock
 * (inside a free block), rdata (leaky.exe's read-only .rdata), cycle (X → Y → Z → X, nothing
 * else), deadChain (a dead stack slot → P → Q), nearMissHeader and nearMissPastEnd (pointers to
 * the HEAP_ENTRY and one past the user data), unreferenced (six blocks nothing points to).
 */
export function plantLeakCases(planter: ReferencePlanter, pool: CasePool): Record<string, BlockTruth[]> {
  const pointer = planter.process.space.pointerSize;
  const register = planter.process.layout.arch === "x64" ? "rbx" : "ebx";
  const one = (slot: Slot, kind: BlockTruth["kind"], interior = false) => {
    const block = pool.take(kind, 1);
    planter.refer(slot, block, interior);
    return [block];
  };
  /** blocks[0] referenced from slot, each next block by an interior pointer from the one before. */
  const linked = (slot: Slot, blocks: BlockTruth[]) => {
    planter.refer(slot, blocks[0]);
    blocks.slice(1).forEach((block, i) => planter.refer(planter.block(blocks[i]), block, true));
    return blocks;
  };
  const cycle = [pool.take("Backend", 2), pool.take("LFH", 2), pool.take("Backend", 2)];
  const spills = (b: BlockTruth) => pointer === 4 || b.userAddress + BigInt(b.userSize) > b.address + BigInt(b.size);
  const lastByte = pool.take("Backend", 0, spills);
  planter.referAt(planter.section("leaky", ".data"), lastByte, lastByte.userSize - 1);
  const cases: Record<string, BlockTruth[]> = {
    liveStack: one(planter.stack(0, true), "LFH", true),
    stackWithoutContext: one(planter.stack(2, true), "Backend"),
    register: one(planter.register(1, register), "Backend", true),
    moduleData: one(planter.section("leaky", ".data"), "VirtualAlloc"),
    global: one(planter.global("session", "g_documents"), "LFH"),
    tls: one(planter.tls(1, "leaky", pointer), "Backend"),
    private: one(planter.private(), "LFH", true),
    chain: linked(planter.stack(1, true), [pool.take("Backend", 2), pool.take("LFH", 2), pool.take("VirtualAlloc", 1)]),
    lastByte: [lastByte],
    deadStack: one(planter.stack(0, false), "Backend"),
    freeBlock: one(planter.block(pool.freeBlock()), "LFH"),
    rdata: one(planter.section("leaky", ".rdata"), "VirtualAlloc"),
    cycle: linked(planter.block(cycle[2]), cycle),
    deadChain: linked(planter.stack(1, false), [pool.take("Backend", 2), pool.take("LFH", 1)]),
  };
  const missing = (what: "HeapEntry" | "PastUserData") => (b: BlockTruth) => !planter.userDataAt(nearMissValue(b, what));
  const headerTarget = pool.take("Backend", 0, missing("HeapEntry"));
  planter.nearMiss(planter.section("leaky", ".data"), headerTarget, "HeapEntry");
  const pastEndTarget = pool.take("LFH", 0, missing("PastUserData"));
  planter.nearMiss(planter.section("leaky", ".data"), pastEndTarget, "PastUserData");
  return {
    ...cases,
    nearMissHeader: [headerTarget],
    nearMissPastEnd: [pastEndTarget],
    unreferenced: [pool.take("Backend", 1), pool.take("Backend", 1), pool.take("LFH", 1), pool.take("LFH", 1), pool.take("Backend", 1), pool.take("LFH", 1)],
  };
}

/** Busy blocks handed out once each, at random, by kind and slots they must offer; free blocks with room after their links. */
export class CasePool {
  private readonly taken = new Set<BlockTruth>();

  constructor(
    private readonly planter: ReferencePlanter,
    private readonly blocks: BlockTruth[],
    private readonly random: Random,
  ) {}

  /** A busy block of kind with slots left (and what else fits asks). */
  take(kind: BlockTruth["kind"], slots: number, fits: (block: BlockTruth) => boolean = () => true): BlockTruth {
    const busy = (b: BlockTruth) => b.state === "Busy" && b.kind === kind && b.userSize > 0 && this.planter.freeSlots(b) >= slots && fits(b);
    return this.pick(busy, `a busy ${kind} block with ${slots} slots`);
  }

  /** A busy backend block of heap, of at least minimumBytes. */
  atLeast(minimumBytes: number, heap: HeapTruth): BlockTruth {
    const fits = (b: BlockTruth) => b.state === "Busy" && b.kind === "Backend" && b.userSize >= minimumBytes && heap.blocks.includes(b);
    return this.pick(fits, `a busy block of 0x${minimumBytes.toString(16)} bytes in heap 0x${heap.address.toString(16)}`);
  }

  freeBlock(): BlockTruth {
    return this.pick((b) => b.state === "Free" && b.kind === "Backend" && this.planter.freeSlots(b) >= 1, "a free block with room");
  }

  /** The blocks not handed out. */
  get rest(): BlockTruth[] {
    return this.blocks.filter((b) => !this.taken.has(b));
  }

  private pick(fits: (block: BlockTruth) => boolean, what: string): BlockTruth {
    const candidates = this.blocks.filter((b) => !this.taken.has(b) && fits(b));
    if (candidates.length === 0) throw new Error(`no ${what} left`);
    const block = candidates[this.random.u32() % candidates.length];
    this.taken.add(block);
    return block;
  }
}

// ---------------------------------------------------------------------------------------------
// Triage: suspects and growth.

/** What a naive triage groups busy blocks by: the allocation stack (or none), the type, the requested size. */
export function suspectKey(block: BlockTruth): string {
  return `${block.stack?.frames.join(",") ?? "no stack"}|${block.typeName ?? ""}|${block.userSize}`;
}

/**
 * The suspect the planted blocks make: their group by suspectKey, which must be exactly them
 * (a block elsewhere sharing their key would blur the leak: the builder picks another seed).
 */
export function suspectOf(heaps: HeapTruth[], planted: BlockTruth[], referrer?: SuspectTruth["referrer"]): SuspectTruth {
  const key = suspectKey(planted[0]);
  const group = heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy" && suspectKey(b) === key);
  if (group.length !== planted.length || planted.some((b) => !group.includes(b))) {
    throw new Error(`${group.length - planted.length} other busy blocks share the planted leak's stack, type and size ${planted[0].userSize}`);
  }
  const first = planted[0];
  return {
    ...(first.stack && { stack: first.stack }),
    ...(first.typeName && { typeName: first.typeName }),
    userSize: first.userSize,
    kind: first.kind,
    count: group.length,
    bytes: group.length * first.userSize,
    blocks: group.map((b) => b.userAddress).sort(compare),
    unreachable: group.filter((b) => !b.reachable).length,
    ...(referrer && { referrer }),
  };
}

/** Per allocation stack (the blocks without one together), how busy blocks changed from before to after; unchanged stacks left out. */
export function growthBetween(before: HeapTruth[], after: HeapTruth[]): GrowthTruth[] {
  const tally = (heaps: HeapTruth[]) => {
    const groups = new Map<string, { stack?: StackTruth; count: number; bytes: number }>();
    for (const block of heaps.flatMap((h) => h.blocks)) {
      if (block.state !== "Busy") continue;
      const key = block.stack?.frames.join(",") ?? "";
      const group = groups.get(key) ?? { ...(block.stack && { stack: block.stack }), count: 0, bytes: 0 };
      group.count++;
      group.bytes += block.userSize;
      groups.set(key, group);
    }
    return groups;
  };
  const [was, is] = [tally(before), tally(after)];
  const keys = [...new Set([...was.keys(), ...is.keys()])];
  return keys
    .map((key): GrowthTruth => {
      const stack = is.get(key)?.stack ?? was.get(key)?.stack;
      return { ...(stack && { stack }), count: (is.get(key)?.count ?? 0) - (was.get(key)?.count ?? 0), bytes: (is.get(key)?.bytes ?? 0) - (was.get(key)?.bytes ?? 0) };
    })
    .filter((g) => g.count !== 0 || g.bytes !== 0)
    .sort((a, b) => b.bytes - a.bytes || b.count - a.count);
}

function nearMissValue(target: BlockTruth, what: "HeapEntry" | "PastUserData"): bigint {
  return what === "HeapEntry" ? target.address : target.userAddress + BigInt(target.userSize);
}

function shuffled<T>(items: T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.u32() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
