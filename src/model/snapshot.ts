// Snapshots and their differences as dx shows them: dx @$heapsnap().Groups, dx @$heapdiff().ByStack.First().Stack,
// dx @$heapdiff("snap1", "snap2").ByType.Where(t => t.CountDelta > 0).
import { Change, SizeChange, Snapshot, SnapshotDiff, SnapshotGroup, StackChange, TypeChange, snapshotTotals } from "../analysis/snapshot";
import { hex0x, signedHex } from "../util/hex";
import { IndexedList } from "./collection";
import { help } from "./help";

export class SnapshotModel {
  private readonly __totals: { blocks: number; bytes: number };

  /** file: where the snapshot was written or read, if anywhere. */
  constructor(private readonly __snapshot: Snapshot, private readonly __file: string | undefined) {
    this.__totals = snapshotTotals(__snapshot);
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      Name: "The snapshot's name (snap1, snap2, … unless one was given)",
      TakenAt: "When it was taken (ISO 8601, UTC)",
      ProcessName: "The process it was taken of",
      ProcessId: "Its id",
      PointerSize: "The program's pointer size",
      Stacks: "Whether the process recorded allocation stacks (+ust): without them every group's Stack is null",
      Blocks: "Busy blocks counted",
      Bytes: "Bytes they hold (requested sizes)",
      Groups: "The busy blocks grouped by allocation stack, type and requested size, largest total first",
      OmittedBlocks: "Busy blocks left out: the snapshot keeps at most 1,000,000 groups",
      File: "The file it was saved to or loaded from, or null",
    });
  }

  get Name(): string { return this.__snapshot.name; }
  get TakenAt(): string { return this.__snapshot.takenAt; }
  get ProcessName(): string { return this.__snapshot.process.name; }
  get ProcessId(): number { return this.__snapshot.process.id; }
  get PointerSize(): number { return this.__snapshot.pointerSize; }
  get Stacks(): boolean { return this.__snapshot.stacks; }
  get Blocks(): number { return this.__totals.blocks; }
  get Bytes(): number { return this.__totals.bytes; }
  get Groups(): SnapshotGroupList { return new SnapshotGroupList(this.__snapshot.groups); }
  get OmittedBlocks(): number { return this.__snapshot.omitted ? this.__snapshot.omitted.blocks : 0; }
  get File(): string | null { return this.__file === undefined ? null : this.__file; }

  toString(): string {
    return `${this.__snapshot.name}: ${hex0x(this.__totals.blocks)} busy blocks, ${hex0x(this.__totals.bytes)} bytes in ${hex0x(this.__snapshot.groups.length)} groups`;
  }
}

export class SnapshotGroupList extends IndexedList<SnapshotGroupModel> {
  constructor(private readonly __groups: SnapshotGroup[]) {
    super();
  }
  protected itemCount(): number {
    return this.__groups.length;
  }
  protected itemAt(index: number): SnapshotGroupModel {
    return new SnapshotGroupModel(this.__groups[index]);
  }
  toString(): string {
    return `${this.__groups.length} groups`;
  }
}

export class SnapshotGroupModel {
  constructor(private readonly __group: SnapshotGroup) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Stack: "The allocation stack, innermost frame first, as WinDbg names the frames; null when the blocks have none",
      NoStackReason: "Why they have none (TraceDatabaseOff, BeforeTracing, VirtualAllocNoTrace, SegmentHeapNoTrace, TraceUnreadable, NoTraceTypes), or null",
      TypeName: "The C++ class their vftable pointer names, or null",
      Size: "The requested size of each block",
      Count: "Busy blocks",
      Bytes: "Count * Size",
    });
  }

  get Stack(): string[] | null { return this.__group.stack && this.__group.stack.slice(); }
  get NoStackReason(): string | null { return this.__group.noStackReason === undefined ? null : this.__group.noStackReason; }
  get TypeName(): string | null { return this.__group.type; }
  get Size(): number { return this.__group.size; }
  get Count(): number { return this.__group.count; }
  get Bytes(): number { return this.__group.bytes; }

  toString(): string {
    const g = this.__group;
    const where = g.stack ? g.stack[0] : `no stack (${g.noStackReason})`;
    return `${hex0x(g.count)} x ${hex0x(g.size)} bytes${g.type === null ? "" : " " + g.type}: ${where}`;
  }
}

export class SnapshotDiffModel {
  constructor(private readonly __diff: SnapshotDiff, private readonly __before: SnapshotModel, private readonly __after: SnapshotModel) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Before: "The earlier snapshot",
      After: "The later snapshot",
      CountDelta: "Busy blocks gained (negative: lost)",
      BytesDelta: "Bytes gained (negative: lost)",
      ByStack: "What changed per allocation stack (its blocks of every type and size), largest byte growth first",
      ByType: "What changed per C++ type (TypeName null: blocks without one), largest byte growth first",
      BySize: "What changed per requested size, largest byte growth first",
    });
  }

  get Before(): SnapshotModel { return this.__before; }
  get After(): SnapshotModel { return this.__after; }
  get CountDelta(): number { return this.__diff.total.countAfter - this.__diff.total.countBefore; }
  get BytesDelta(): number { return this.__diff.total.bytesAfter - this.__diff.total.bytesBefore; }
  get ByStack(): ChangeList<StackChange, StackChangeModel> {
    return new ChangeList(this.__diff.byStack, (c) => new StackChangeModel(c), "stacks");
  }
  get ByType(): ChangeList<TypeChange, TypeChangeModel> {
    return new ChangeList(this.__diff.byType, (c) => new TypeChangeModel(c), "types");
  }
  get BySize(): ChangeList<SizeChange, SizeChangeModel> {
    return new ChangeList(this.__diff.bySize, (c) => new SizeChangeModel(c), "sizes");
  }

  toString(): string {
    return `${this.__diff.before.name} -> ${this.__diff.after.name}: ${signedHex(this.CountDelta)} blocks, ${signedHex(this.BytesDelta)} bytes`;
  }
}

export class ChangeList<C, M> extends IndexedList<M> {
  constructor(private readonly __changes: C[], private readonly __model: (change: C) => M, private readonly __what: string) {
    super();
  }
  protected itemCount(): number {
    return this.__changes.length;
  }
  protected itemAt(index: number): M {
    return this.__model(this.__changes[index]);
  }
  toString(): string {
    return `${this.__changes.length} ${this.__what} changed`;
  }
}

const CHANGE_HELP = {
  CountBefore: "Busy blocks before",
  CountAfter: "Busy blocks after",
  CountDelta: "CountAfter - CountBefore",
  BytesBefore: "Bytes before (requested sizes)",
  BytesAfter: "Bytes after",
  BytesDelta: "BytesAfter - BytesBefore",
};

/** Before, after and their difference: what every row of a diff shows. */
abstract class ChangeModel {
  constructor(private readonly __change: Change) {}

  get CountBefore(): number { return this.__change.countBefore; }
  get CountAfter(): number { return this.__change.countAfter; }
  get CountDelta(): number { return this.__change.countAfter - this.__change.countBefore; }
  get BytesBefore(): number { return this.__change.bytesBefore; }
  get BytesAfter(): number { return this.__change.bytesAfter; }
  get BytesDelta(): number { return this.__change.bytesAfter - this.__change.bytesBefore; }

  protected changeText(): string {
    return `${signedHex(this.CountDelta)} blocks, ${signedHex(this.BytesDelta)} bytes`;
  }
}

export class StackChangeModel extends ChangeModel {
  constructor(private readonly __stack: StackChange) {
    super(__stack);
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      Stack: "The allocation stack, innermost frame first, as WinDbg names the frames; null for the blocks without one",
      NoStackReasons: "Why those blocks have none (empty for a stack)",
      TypeNames: "The C++ types whose blocks changed (null: blocks without one)",
      Sizes: "The requested sizes whose blocks changed",
      ...CHANGE_HELP,
    });
  }

  get Stack(): string[] | null { return this.__stack.stack && this.__stack.stack.slice(); }
  get NoStackReasons(): string[] { return this.__stack.noStackReasons.slice(); }
  get TypeNames(): (string | null)[] { return this.__stack.types.slice(); }
  get Sizes(): number[] { return this.__stack.sizes.slice(); }

  toString(): string {
    const s = this.__stack;
    return `${this.changeText()}: ${s.stack ? s.stack[0] : `no stack (${s.noStackReasons.join(", ")})`}`;
  }
}

export class TypeChangeModel extends ChangeModel {
  constructor(private readonly __type: TypeChange) {
    super(__type);
  }

  get [Symbol.metadataDescriptor]() {
    return help({ TypeName: "The C++ class, or null for the blocks without one", Sizes: "The requested sizes whose blocks changed", ...CHANGE_HELP });
  }

  get TypeName(): string | null { return this.__type.type; }
  get Sizes(): number[] { return this.__type.sizes.slice(); }

  toString(): string {
    return `${this.changeText()}: ${this.__type.type === null ? "(no type)" : this.__type.type}`;
  }
}

export class SizeChangeModel extends ChangeModel {
  constructor(private readonly __size: SizeChange) {
    super(__size);
  }

  get [Symbol.metadataDescriptor]() {
    return help({ Size: "The requested size", ...CHANGE_HELP });
  }

  get Size(): number { return this.__size.size; }

  toString(): string {
    return `${this.changeText()}: size ${hex0x(this.__size.size)}`;
  }
}
