// Busy blocks grouped by allocation stack or by type, as dx collections: dx @$curprocess.Heaps.ByStack(),
// dx @$curprocess.Heaps[1].ByType().First().Blocks. Largest total first.
import { BlockGroup, GroupSource, groupByStack, groupByType } from "../analysis/groups";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { hex0x } from "../util/hex";
import { BlockSelection } from "./block";
import { IndexedList } from "./collection";
import { HeapModel } from "./heap";
import { help } from "./help";
import { NoStackModel, StackModel, stackModel } from "./stack";

export function groupSources(heaps: ProcessHeaps, refs: HeapRef[]): GroupSource[] {
  const symbols = heaps.symbolizer();
  return refs.filter((ref) => !ref.problem()).map((ref) => {
    const walk = ref.walk();
    const traces = heaps.traces(ref.view);
    return {
      walk,
      heap: ref.index,
      stack: (row: number) => traces.stack(walk, row),
      typeName: (row: number) => {
        const first = ref.firstPointers()[row];
        return isFinite(first) ? symbols.vftableClass(first) : undefined;
      },
    };
  });
}

/** Only the blocks `member` names take part: by heap (its position in the process's list) and row. */
export type HeapMember = (heap: number, row: number) => boolean;

export function stackGroups(heaps: ProcessHeaps, refs: HeapRef[], model: (ref: HeapRef) => HeapModel, member?: HeapMember): GroupList {
  const sources = groupSources(heaps, refs);
  return new GroupList(groupByStack(sources, member && ((s, row) => member(sources[s].heap, row))), sources, heaps, model, "stack");
}

export function typeGroups(heaps: ProcessHeaps, refs: HeapRef[], model: (ref: HeapRef) => HeapModel, member?: HeapMember): GroupList {
  const sources = groupSources(heaps, refs);
  return new GroupList(groupByType(sources, member && ((s, row) => member(sources[s].heap, row))), sources, heaps, model, "type");
}

export class GroupList extends IndexedList<BlockGroupModel> {
  constructor(
    private readonly __groups: BlockGroup[],
    private readonly __sources: GroupSource[],
    private readonly __heaps: ProcessHeaps,
    private readonly __model: (ref: HeapRef) => HeapModel,
    private readonly __by: "stack" | "type",
  ) {
    super();
  }

  protected itemCount(): number {
    return this.__groups.length;
  }

  protected itemAt(index: number): BlockGroupModel {
    return new BlockGroupModel(this.__groups[index], this.__sources, this.__heaps, this.__model, this.__by);
  }

  toString(): string {
    return `${this.__groups.length} groups by ${this.__by}`;
  }
}

export class BlockGroupModel {
  constructor(
    private readonly __group: BlockGroup,
    private readonly __sources: GroupSource[],
    private readonly __heaps: ProcessHeaps,
    private readonly __model: (ref: HeapRef) => HeapModel,
    private readonly __by: "stack" | "type",
  ) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Count: "Busy blocks in the group",
      TotalBytes: "Bytes they hold (requested sizes)",
      Sizes: "The distinct requested sizes seen (at most 64)",
      Stack: "The allocation stack they share (stack groups), or why they have none",
      TypeName: "The C++ class they hold (type groups), or null when grouped by size",
      Blocks: "The blocks",
    });
  }

  get Count(): number {
    return this.__group.count;
  }
  get TotalBytes(): number {
    return this.__group.totalBytes;
  }
  get Sizes(): number[] {
    return this.__group.sizes.slice();
  }
  get Stack(): StackModel | NoStackModel | null {
    return this.__group.stack ? stackModel(this.__group.stack, this.__heaps.symbolizer()) : null;
  }
  get TypeName(): string | null {
    return this.__group.typeName === undefined ? null : this.__group.typeName;
  }
  get Blocks(): BlockSelection {
    const refs = this.__heaps.heaps();
    return new BlockSelection(this.__group.members.map((m) => {
      const source = this.__sources[m.source];
      return { heap: this.__model(refs[source.heap]), walk: source.walk, rows: m.rows };
    }));
  }

  /** The group's key for dxheap's own code (frames joined, or the type or size). */
  key(): string {
    return this.__group.key;
  }

  toString(): string {
    const g = this.__group;
    const what = this.__by === "type" ? g.key : this.Stack!.toString();
    return `${hex0x(g.count)} blocks, ${hex0x(g.totalBytes)} bytes: ${what}`;
  }
}
