// What the leak scan found, as dx shows it: dx @$heapLeaks().ByStack, .Blocks.Where(...).
import { LeakScan } from "../analysis/leaks";
import { help } from "./help";
import { BlockSelection } from "./block";
import { GroupList } from "./groups";

export class LeakReportModel {
  constructor(
    private readonly __scan: LeakScan,
    private readonly __blocks: BlockSelection,
    private readonly __byStack: GroupList,
    private readonly __byType: GroupList,
  ) {}

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
  get ByStack(): GroupList { return this.__byStack; }
  get ByType(): GroupList { return this.__byType; }
  get Blocks(): BlockSelection { return this.__blocks; }

  toString(): string {
    return `${this.__scan.unreachableCount} unreachable blocks (0x${this.__scan.unreachableBytes.toString(16)} bytes) of ${this.__scan.busyCount} busy`;
  }
}
