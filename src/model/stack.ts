// An allocation stack as dx shows it, the way dps and k users read one: a frame per line,
// innermost first, each its address and module!symbol+0xoffset (dx @$curprocess.Heaps[1].Blocks[5].AllocationStack).
// A block without a stack gets a NoStack that says which case it is and what to do.
import { toInt64 } from "../host/convert";
import { Symbolizer } from "../stacks/symbolizer";
import { NoStackReason, StackResult } from "../stacks/trace";
import { hex0x } from "../util/hex";
import { IndexedList } from "./collection";
import { help } from "./help";

export class FrameModel {
  constructor(private readonly __address: number, private readonly __symbols: Symbolizer) {}

  get [Symbol.metadataDescriptor]() {
    return help({ Address: "The return address", Symbol: "module!function+0xoffset, or module+0xoffset when the module has no symbols" });
  }

  get Address(): host.Int64 {
    return toInt64(this.__address);
  }
  get Symbol(): string {
    return this.__symbols.name(this.__address).text;
  }

  toString(): string {
    return `${hex0x(this.__address)} ${this.Symbol}`;
  }
}

export class StackModel extends IndexedList<FrameModel> {
  constructor(private readonly __frames: number[], private readonly __symbols: Symbolizer) {
    super();
  }

  get [Symbol.metadataDescriptor]() {
    return help({ Frames: "How many frames the trace holds" });
  }

  get Frames(): number {
    return this.__frames.length;
  }

  protected itemCount(): number {
    return this.__frames.length;
  }

  protected itemAt(index: number): FrameModel {
    return new FrameModel(this.__frames[index], this.__symbols);
  }

  /** The frames' addresses (for grouping; not shown by dx). */
  addresses(): number[] {
    return this.__frames.slice();
  }

  toString(): string {
    const top = this.__frames.length > 0 ? this.__symbols.name(this.__frames[0]).text : "";
    return `${this.__frames.length} frames: ${top}`;
  }
}

export class NoStackModel {
  constructor(private readonly __reason: NoStackReason, private readonly __message: string) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Reason: "TraceDatabaseOff, BeforeTracing, VirtualAllocNoTrace, SegmentHeapNoTrace, TraceUnreadable or NoTraceTypes",
      Message: "What it means, and what to do",
    });
  }

  get Reason(): string {
    return this.__reason;
  }
  get Message(): string {
    return this.__message;
  }

  toString(): string {
    return `No stack (${this.__reason}): ${this.__message}`;
  }
}

export function stackModel(result: StackResult, symbols: Symbolizer): StackModel | NoStackModel {
  return "frames" in result ? new StackModel(result.frames, symbols) : new NoStackModel(result.reason, result.message);
}
