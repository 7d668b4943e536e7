// A heap block as dx shows it: a light view over one row of the walk's BlockTable, made only
// when dx asks for it (dx @$curprocess.Heaps[0].Blocks.Where(b => b.UserSize == 0x400000)).
import { BLOCK_KINDS, BLOCK_STATES, BlockKind, BlockState, HeapWalk, STATE_BUSY, STATE_FREE } from "../heap/records";
import type { NoStackModel, StackModel } from "./stack";
import { hex0x } from "../util/hex";
import { IndexedList } from "./collection";
import type { HeapModel } from "./heap";
import type { SegmentModel } from "./segment";
import { help } from "./help";
import { ReferrerModel } from "./referrers";

/** What every block of one walk shares: one object per walk, not per block. */
export class BlockSource {
  constructor(readonly heap: HeapModel, readonly walk: HeapWalk) {}
}

/**
 * Address and UserAddress are plain numbers: a user-mode address is below 2^47, exact in a
 * double, and dx shows an integer from a script as an ordinal in hex like any address
 * (docs/jsprovider.md §1.14), takes it in comparisons and arithmetic (§1.4: numbers have the
 * Int64 math methods). A host.Int64 would cost a host call per block and property.
 */
export class BlockModel {
  constructor(private readonly __source: BlockSource, private readonly __row: number) {}

  /** A block of a walk that no collection holds (a command's single result). */
  static of(heap: HeapModel, walk: HeapWalk, row: number): BlockModel {
    return new BlockModel(new BlockSource(heap, walk), row);
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      Address: "The HEAP_ENTRY, as !heap prints it (VirtualAlloc'd blocks: the BusyBlock header)",
      UserAddress: "The UserPtr: where the program's data starts",
      Size: "Bytes, header included (LFH: the block stride; VirtualAlloc'd: the committed size)",
      UserSize: "Bytes the program asked for; 0 for free blocks",
      State: "Busy, Free, Freed (a page heap's delayed-free block) or Internal (heap bookkeeping: segment headers, LFH UserBlocks, uncommitted-range sentinels)",
      Kind: "Backend, LFH or VirtualAlloc (NT heaps); VS, LFH, Large or PageRange (segment heaps); PageHeap",
      Flags: "The decoded _HEAP_ENTRY.Flags",
      Heap: "The heap holding the block",
      Segment: "The segment holding the block; null outside segments (VirtualAlloc'd, Large, page-heap blocks)",
      AllocationStack: "Who allocated the block (for a page heap's Freed block: who freed it): its frames (+ust or page heap), or why there are none and what to turn on",
      TypeName: "The C++ class of the object in the block, when its first pointer is that class's vftable; null otherwise",
      Referrers: "Referrers(): where the pointers to this block live (module!global, a thread's stack or register, another block, other memory), from the process's leak scan (made on first use)",
    });
  }

  /** Where the pointers to the block live; a method, so showing a block never starts the leak scan. */
  Referrers(): ReferrerModel[] {
    const { heap, walk } = this.__source;
    return walk.blocks.state[this.__row] === STATE_BUSY ? heap.referrersOf(this.__row) : [];
  }

  get AllocationStack(): StackModel | NoStackModel | null {
    const { heap, walk } = this.__source;
    if (walk.blocks.state[this.__row] === STATE_FREE) return null;
    return heap.stackOf(walk, this.__row);
  }
  get TypeName(): string | null {
    const { heap, walk } = this.__source;
    if (walk.blocks.state[this.__row] !== STATE_BUSY) return null;
    return heap.typeOf(walk, this.__row);
  }

  get Address(): number {
    return this.__source.walk.blocks.address[this.__row];
  }
  get UserAddress(): number {
    return this.__source.walk.blocks.userAddress[this.__row];
  }
  get Size(): number {
    return this.__source.walk.blocks.size[this.__row];
  }
  get UserSize(): number {
    return this.__source.walk.blocks.userSize[this.__row];
  }
  get State(): BlockState {
    return BLOCK_STATES[this.__source.walk.blocks.state[this.__row]];
  }
  get Kind(): BlockKind {
    return BLOCK_KINDS[this.__source.walk.blocks.kind[this.__row]];
  }
  get Flags(): number {
    return this.__source.walk.blocks.flags[this.__row];
  }
  get Heap(): HeapModel {
    return this.__source.heap;
  }
  get Segment(): SegmentModel | null {
    const { heap, walk } = this.__source;
    const index = walk.blocks.segment[this.__row];
    return index < 0 ? null : heap.segmentAt(walk, index);
  }

  toString(): string {
    const b = this.__source.walk.blocks;
    const i = this.__row;
    const user = b.state[i] === STATE_FREE ? "" : ` UserSize ${hex0x(b.userSize[i])}`;
    return `${hex0x(b.address[i])} ${BLOCK_STATES[b.state[i]]} ${BLOCK_KINDS[b.kind[i]]} Size ${hex0x(b.size[i])}${user}`;
  }
}

/** Heap.Blocks: the rows of one walk, made into BlockModels one at a time. */
export class BlockCollection extends IndexedList<BlockModel> {
  private readonly __source: BlockSource;

  constructor(heap: HeapModel, walk: HeapWalk) {
    super();
    this.__source = new BlockSource(heap, walk);
  }

  protected itemCount(): number {
    return this.__source.walk.blocks.count;
  }

  protected itemAt(index: number): BlockModel {
    return new BlockModel(this.__source, index);
  }

  toString(): string {
    return `${this.__source.walk.blocks.count} blocks`;
  }
}

/** Some blocks of some heaps (a command's result): indexable, one BlockModel made per item asked for. */
export class BlockSelection extends IndexedList<BlockModel> {
  /** Items before each part. */
  private readonly __starts: number[] = [];
  private readonly __count: number;

  private readonly __sources: BlockSource[] = [];

  constructor(private readonly __parts: { heap: HeapModel; walk: HeapWalk; rows: number[] }[]) {
    super();
    let n = 0;
    for (let i = 0; i < __parts.length; i++) {
      this.__starts.push(n);
      this.__sources.push(new BlockSource(__parts[i].heap, __parts[i].walk));
      n += __parts[i].rows.length;
    }
    this.__count = n;
  }

  protected itemCount(): number {
    return this.__count;
  }

  protected itemAt(index: number): BlockModel {
    let part = this.__parts.length - 1;
    while (this.__starts[part] > index) part--;
    return new BlockModel(this.__sources[part], this.__parts[part].rows[index - this.__starts[part]]);
  }

  toString(): string {
    return `${this.__count} blocks`;
  }
}
