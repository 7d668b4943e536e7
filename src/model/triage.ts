// The leak triage as dx shows it: dx @$heapTriage().Suspects[0].Referrers, .Heaps, .Stacks. The
// ranking is src/analysis/triage.ts; this layer names stacks, types and referrers lazily, so
// `dx @$heapTriage()` costs the walks, the leak scan and the grouping, and no more.
import { BlockGroup, GroupSource } from "../analysis/groups";
import { growthOf } from "../analysis/snapshot";
import { lastDiff } from "../analysis/snapshot-store";
import { Suspect, TriageHeap, TriageResult, triage, triageHeap } from "../analysis/triage";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { hex0x } from "../util/hex";
import { BlockModel, BlockSelection } from "./block";
import { IndexedList } from "./collection";
import { groupSources } from "./groups";
import { HeapModel } from "./heap";
import { help } from "./help";
import { ReferrerModel, referrerModels } from "./referrers";
import { NoStackModel, StackModel, stackModel } from "./stack";

/** Suspects kept in the dx result (the command prints fewer). */
const KEPT_SUSPECTS = 50;
/** Blocks named per suspect, and referrers looked up for its first block. */
const SAMPLES = 3;
const REFERRERS = 8;

/** Whether blocks carry allocation stacks, and if not, what to do. */
export interface StackStatus {
  on: boolean;
  /** Busy blocks with a stack, of all busy blocks. */
  traced: number;
  /** The gflags line to turn stacks on (when off). */
  advice: string | undefined;
}

export class TriageModel {
  private __suspects: SuspectList | undefined;

  constructor(
    private readonly __heaps: ProcessHeaps,
    private readonly __model: (ref: HeapRef) => HeapModel,
    private readonly __result: TriageResult,
    private readonly __sources: GroupSource[],
    private readonly __stacks: StackStatus,
  ) {}

  /** Triage of a process's walked heaps (the NormalHeaps of page heaps are counted through their page heaps). */
  static of(heaps: ProcessHeaps, model: (ref: HeapRef) => HeapModel, maxSuspects: number = KEPT_SUSPECTS): TriageModel {
    const scan = heaps.leaks();
    const refs = heaps.heaps().filter((ref) => !ref.problem() && ref.counted);
    const sources = groupSources(heaps, refs);
    const unreachable = (heap: number, row: number) => scan.unreachable[heap][row] === 1;
    const triageHeaps: TriageHeap[] = refs.map((ref) => triageHeap(ref.index, ref.walk(), (row) => unreachable(ref.index, row)));
    const diff = lastDiff();
    const symbols = heaps.symbolizer();
    // Growth from the last !heapdiff, matched by the group's frames as WinDbg names them, type and size.
    const growth = diff && ((group: BlockGroup, size: number) => {
      const frames = group.stack && "frames" in group.stack ? group.stack.frames.map((a) => symbols.name(a).text) : null;
      return growthOf(diff, frames, group.typeName === undefined ? null : group.typeName, size);
    });
    const result = triage(triageHeaps, sources, unreachable, growth, Math.max(maxSuspects, KEPT_SUSPECTS));
    return new TriageModel(heaps, model, result, sources, stackStatus(heaps, result));
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      Stacks: "Whether busy blocks carry allocation stacks (gflags +ust), and how to turn them on when they do not",
      Heaps: "The walked heaps by committed bytes (segments plus blocks outside them), largest first",
      Suspects: "Groups of busy blocks sharing an allocation stack, type and size, by score (README: how suspects are ranked)",
      FragmentedHeaps: "Heaps whose free blocks hold at least half of their committed bytes (and 1 MiB)",
      BusyBlocks: "Busy blocks in the heaps triaged",
      BusyBytes: "Bytes they hold (requested sizes)",
      UnreachableBlocks: "Busy blocks the leak scan found nothing pointing to",
      UnreachableBytes: "Bytes they hold",
    });
  }

  get Stacks(): string {
    return this.__stacks.on ? `on: ${this.__stacks.traced} of ${this.__result.busyBlocks} busy blocks have one` : `off: ${this.__stacks.advice}`;
  }
  get Heaps(): TriageHeapModel[] {
    return this.__result.heaps.map((h) => new TriageHeapModel(this.__model(this.__heaps.heaps()[h.heap]), h));
  }
  get Suspects(): SuspectList {
    if (!this.__suspects) this.__suspects = new SuspectList(this.__heaps, this.__model, this.__result, this.__sources);
    return this.__suspects;
  }
  get FragmentedHeaps(): TriageHeapModel[] {
    return this.__result.fragmented.map((h) => new TriageHeapModel(this.__model(this.__heaps.heaps()[h.heap]), h));
  }
  get BusyBlocks(): number {
    return this.__result.busyBlocks;
  }
  get BusyBytes(): number {
    return this.__result.busyBytes;
  }
  get UnreachableBlocks(): number {
    return this.__result.unreachableCount;
  }
  get UnreachableBytes(): number {
    return this.__result.unreachableBytes;
  }

  /** For the command's text. */
  result(): TriageResult {
    return this.__result;
  }
  stackStatus(): StackStatus {
    return this.__stacks;
  }

  toString(): string {
    const top = this.__result.suspects[0];
    return top ? `${this.__result.groupCount} suspect groups; first: ${this.Suspects.getValueAt(0).toString()}` : "no busy blocks";
  }
}

export class TriageHeapModel {
  constructor(private readonly __heap: HeapModel, private readonly __numbers: TriageHeap) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Heap: "The heap",
      CommittedBytes: "Its segments' committed bytes plus the blocks it holds outside them (VirtualAlloc'd, Large, page-heap)",
      FreeBytes: "Bytes in its free blocks",
      BusyBlocks: "Its busy blocks",
      BusyBytes: "Bytes they hold (requested sizes)",
      UnreachableBytes: "Bytes of its busy blocks the leak scan found unreachable",
    });
  }

  get Heap(): HeapModel {
    return this.__heap;
  }
  get CommittedBytes(): number {
    return this.__numbers.committedBytes;
  }
  get FreeBytes(): number {
    return this.__numbers.freeBytes;
  }
  get BusyBlocks(): number {
    return this.__numbers.busyBlocks;
  }
  get BusyBytes(): number {
    return this.__numbers.busyBytes;
  }
  get UnreachableBytes(): number {
    return this.__numbers.unreachableBytes;
  }

  toString(): string {
    return `${this.__heap.toString()}: committed ${hex0x(this.__numbers.committedBytes)}, busy ${hex0x(this.__numbers.busyBytes)}`;
  }
}

export class SuspectList extends IndexedList<SuspectModel> {
  constructor(
    private readonly __heaps: ProcessHeaps,
    private readonly __model: (ref: HeapRef) => HeapModel,
    private readonly __result: TriageResult,
    private readonly __sources: GroupSource[],
  ) {
    super();
  }

  protected itemCount(): number {
    return this.__result.suspects.length;
  }

  protected itemAt(index: number): SuspectModel {
    return new SuspectModel(this.__heaps, this.__model, this.__result.suspects[index], index, this.__sources);
  }

  toString(): string {
    return `${this.__result.suspects.length} of ${this.__result.groupCount} suspect groups`;
  }
}

export class SuspectModel {
  constructor(
    private readonly __heaps: ProcessHeaps,
    private readonly __model: (ref: HeapRef) => HeapModel,
    private readonly __suspect: Suspect,
    private readonly __rank: number,
    private readonly __sources: GroupSource[],
  ) {}

  get [Symbol.metadataDescriptor]() {
    return help(
      {
        Rank: "1 for the first suspect",
        Score: "bytes × (1 + unreachable share) × (1 + log10(count) / 4) + 2 × bytes grown since the last snapshot",
        Count: "Busy blocks in the group",
        Size: "The requested size they share",
        TotalBytes: "Bytes they hold",
        Heap: "The heap holding most of them",
        HeapShare: "Percent of that heap's busy bytes they hold",
        Giant: "true for a VirtualAlloc'd (or segment-heap Large) block: Windows keeps no allocation stack for it",
        TypeName: "The C++ class their vftable names, or null",
        Stack: "The allocation stack they share, or why they have none",
        Unreachable: "How many of them the leak scan found nothing pointing to",
        UnreachableBytes: "Bytes those hold",
        Growth: "Change since the last snapshot (!heapdiff), or null",
        Samples: "The first few blocks",
        Blocks: "Every block of the group",
        Referrers: "Where the pointers to the first block live: module!global, a thread's stack or register, another block",
        Next: "The command to dig further",
      },
      ["Rank", "HeapShare", "Score"],
    );
  }

  get Rank(): number {
    return this.__rank + 1;
  }
  get Score(): number {
    return Math.round(this.__suspect.score);
  }
  get Count(): number {
    return this.__suspect.group.count;
  }
  get Size(): number {
    return this.__suspect.size;
  }
  get TotalBytes(): number {
    return this.__suspect.group.totalBytes;
  }
  get Heap(): HeapModel {
    return this.__model(this.__heaps.heaps()[this.__suspect.heap]);
  }
  get HeapShare(): number {
    return Math.round(this.__suspect.heapShare * 100) / 100;
  }
  get Giant(): boolean {
    return this.__suspect.giant;
  }
  get TypeName(): string | null {
    return this.__suspect.group.typeName === undefined ? null : this.__suspect.group.typeName;
  }
  get Stack(): StackModel | NoStackModel | null {
    return this.__suspect.group.stack ? stackModel(this.__suspect.group.stack, this.__heaps.symbolizer()) : null;
  }
  get Unreachable(): number {
    return this.__suspect.unreachableCount;
  }
  get UnreachableBytes(): number {
    return this.__suspect.unreachableBytes;
  }
  get Growth(): { Count: number; Bytes: number } | null {
    const g = this.__suspect.growth;
    return g ? { Count: g.count, Bytes: g.bytes } : null;
  }
  get Samples(): BlockModel[] {
    return this.samples().map((s) => BlockModel.of(this.__model(s.ref), s.ref.walk(), s.row));
  }
  get Blocks(): BlockSelection {
    const refs = this.__heaps.heaps();
    return new BlockSelection(this.__suspect.group.members.map((m) => {
      const source = this.__sources[m.source];
      return { heap: this.__model(refs[source.heap]), walk: source.walk, rows: m.rows };
    }));
  }
  get Referrers(): ReferrerModel[] {
    const first = this.samples()[0];
    return first ? referrerModels(this.__heaps, this.__model, first.ref.index, first.row, REFERRERS) : [];
  }
  get Next(): string {
    return this.next()[0];
  }

  /** The commands to dig further: the block's stack or references, then the group's blocks. */
  next(): string[] {
    const first = this.samples()[0];
    const address = first ? hex0x(first.ref.walk().blocks.userAddress[first.row]) : "0x0";
    const group = this.__suspect.group;
    const dig = group.stack && "frames" in group.stack ? `!heapstack ${address}` : `!heapfind (${address}, true)`;
    return [dig, `dx @$heapTriage().Suspects[${this.__rank}].Blocks`];
  }

  /** The group (for the command's text). */
  suspect(): Suspect {
    return this.__suspect;
  }

  /** The first SAMPLES blocks, in the order the group lists them. */
  samples(): { ref: HeapRef; row: number }[] {
    const out: { ref: HeapRef; row: number }[] = [];
    const refs = this.__heaps.heaps();
    const members = this.__suspect.group.members;
    for (let m = 0; m < members.length && out.length < SAMPLES; m++) {
      const ref = refs[this.__sources[members[m].source].heap];
      for (let k = 0; k < members[m].rows.length && out.length < SAMPLES; k++) out.push({ ref, row: members[m].rows[k] });
    }
    return out;
  }

  toString(): string {
    const s = this.__suspect;
    return `${hex0x(s.group.count)} blocks of ${hex0x(s.size)} bytes (${hex0x(s.group.totalBytes)})${s.giant ? ", a VirtualAlloc'd giant" : ""}, ${hex0x(s.unreachableCount)} unreachable`;
  }
}

function stackStatus(heaps: ProcessHeaps, result: TriageResult): StackStatus {
  if (result.tracedBlocks > 0) return { on: true, traced: result.tracedBlocks, advice: undefined };
  const name = String(heaps.target.processObject.Name || "<program>.exe").replace(/^.*[\\/]/, "");
  return {
    on: false,
    traced: 0,
    advice: `no busy block carries an allocation stack; run "gflags /i ${name} +ust" (Debugging Tools for Windows) and restart the program to record them`,
  };
}
