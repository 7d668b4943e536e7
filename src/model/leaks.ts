// What the leak scan found, as dx shows it: dx @$heapLeaks().ByStack, .Blocks.Where(...).
import { LeakScan } from "../analysis/leaks";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { help } from "./help";
import { BlockSelection } from "./block";
import { GroupList, stackGroups, typeGroups } from "./groups";
import { HeapModel } from "./heap";

export class LeakReportModel {
  private __byStack: GroupList | undefined;
  private __byType: GroupList | undefined;

  constructor(
    private readonly __scan: LeakScan,
    private readonly __blocks: BlockSelection,
    /** Groups the unreachable blocks (by stack or type) when first asked: stacks cost reads of their records. */
    private readonly __group: (by: "stack" | "type") => GroupList,
  ) {}

  /** The leak scan of a process (made once by its cache), its unreachable blocks grouped and listed. */
  static of(heaps: ProcessHeaps, model: (ref: HeapRef) => HeapModel): LeakReportModel {
    const scan = heaps.leaks();
    const refs = heaps.heaps().filter((ref) => !ref.problem() && ref.counted);
    const member = (heap: number, row: number) => scan.unreachable[heap][row] === 1;
    const parts = refs.map((ref) => {
      const rows: number[] = [];
      const flags = scan.unreachable[ref.index];
      for (let row = 0; row < flags.length; row++) if (flags[row]) rows.push(row);
      return { heap: model(ref), walk: ref.walk(), rows };
    });
    return new LeakReportModel(scan, new BlockSelection(parts), (by) => (by === "stack" ? stackGroups : typeGroups)(heaps, refs, model, member));
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      UnreachableBlocks: "Busy blocks nothing in the process points to (roots: live stacks, registers, module globals, other committed memory outside the heaps)",
      UnreachableBytes: "Bytes they hold",
      BusyBlocks: "Busy blocks scanned",
      RootBytes: "Bytes of roots scanned",
      HeapBytes: "Bytes of heap user data scanned",
      Problem: "What limited the scan, or null",
      ByStack: "The unreachable blocks grouped by allocation stack, largest total first",
      ByType: "The unreachable blocks grouped by C++ type, else size, largest total first",
      Blocks: "The unreachable blocks",
    });
  }

  get UnreachableBlocks(): number { return this.__scan.unreachableCount; }
  get UnreachableBytes(): number { return this.__scan.unreachableBytes; }
  get BusyBlocks(): number { return this.__scan.busyCount; }
  get RootBytes(): number { return this.__scan.rootBytes; }
  get HeapBytes(): number { return this.__scan.heapBytes; }
  get Problem(): string | null { return this.__scan.problem === undefined ? null : this.__scan.problem; }
  get ByStack(): GroupList {
    if (!this.__byStack) this.__byStack = this.__group("stack");
    return this.__byStack;
  }
  get ByType(): GroupList {
    if (!this.__byType) this.__byType = this.__group("type");
    return this.__byType;
  }
  get Blocks(): BlockSelection { return this.__blocks; }

  /** For the command's text. */
  scan(): LeakScan { return this.__scan; }
  blocks(): BlockSelection { return this.__blocks; }

  toString(): string {
    return `${this.__scan.unreachableCount} unreachable blocks (0x${this.__scan.unreachableBytes.toString(16)} bytes) of ${this.__scan.busyCount} busy`;
  }
}
