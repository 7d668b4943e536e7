// Where the pointers to a block live, named as a user reads them: module!global, thread N's stack
// (in the frame of the function the nearest return address below the slot names), a thread's
// register, inside another block (its type, or who allocated it), or other committed memory.
import { Referrer, referrersOf } from "../analysis/referrers";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { STATE_BUSY } from "../heap/records";
import { toInt64 } from "../host/convert";
import { ThreadStack } from "../host/target";
import { callerFrame } from "../stacks/frames";
import { pointer } from "../util/bytes";
import { hex0x } from "../util/hex";
import { BlockModel } from "./block";
import { HeapModel } from "./heap";
import { help } from "./help";

export type ReferrerKind = "Global" | "Stack" | "Register" | "Block" | "Memory";

/** How far below a stack slot the frame's function is looked for. */
const FRAME_SEARCH_BYTES = 0x2000;

export class ReferrerModel {
  constructor(
    private readonly __kind: ReferrerKind,
    private readonly __location: number | undefined,
    private readonly __description: string,
    private readonly __block: BlockModel | undefined,
  ) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Kind: "Global (a module's data), Stack (a thread's live stack), Register, Block (another busy block's user data) or Memory (other committed memory)",
      Location: "Where the pointer is (null for a register)",
      Description: "The place, named",
      Block: "The block holding the pointer (Kind Block), else null",
    });
  }

  get Kind(): string {
    return this.__kind;
  }
  get Location(): host.Int64 | null {
    return this.__location === undefined ? null : toInt64(this.__location);
  }
  get Description(): string {
    return this.__description;
  }
  get Block(): BlockModel | null {
    return this.__block === undefined ? null : this.__block;
  }

  toString(): string {
    return this.__description;
  }
}

/** The referrers of a heap's row the leak scan saw (at most `max`), named. */
export function referrerModels(heaps: ProcessHeaps, model: (ref: HeapRef) => HeapModel, heap: number, row: number, max: number): ReferrerModel[] {
  const found = referrersOf(heaps.leaks(), heap, row, max);
  return found.map((r) => describe(heaps, model, r));
}

function describe(heaps: ProcessHeaps, model: (ref: HeapRef) => HeapModel, referrer: Referrer): ReferrerModel {
  if (referrer.kind === "register") return new ReferrerModel("Register", undefined, `thread ${referrer.thread}'s register ${referrer.register}`, undefined);
  if (referrer.kind === "block") {
    const ref = heaps.heaps()[referrer.heap];
    const walk = ref.walk();
    const block = BlockModel.of(model(ref), walk, referrer.row);
    return new ReferrerModel("Block", walk.blocks.userAddress[referrer.row], `inside block ${hex0x(walk.blocks.userAddress[referrer.row])} ${whatBlock(heaps, ref, referrer.row)}`, block);
  }
  const location = referrer.location;
  const target = heaps.target;
  if (target.moduleAt(location)) {
    return new ReferrerModel("Global", location, `${heaps.symbolizer().name(location).text} (${hex0x(location)})`, undefined);
  }
  const threads = target.threads();
  for (let t = 0; t < threads.length; t++) {
    for (const stack of threads[t].stacks) {
      if (location < stack.limit || location >= stack.base) continue;
      const side = target.isWow64 ? (stack.arch === "x86" ? "32-bit " : "64-bit ") : "";
      const ip = threads[t].registers[stack.arch === "x64" ? "rip" : "eip"];
      const frame = frameFunction(heaps, stack, location, ip);
      return new ReferrerModel("Stack", location, `thread ${t}'s ${side}stack at ${hex0x(location)}${frame ? `, in ${frame}'s frame` : ""}`, undefined);
    }
  }
  return new ReferrerModel("Memory", location, `committed memory at ${hex0x(location)} (no heap, module or stack)`, undefined);
}

/** "(type Widget)", "(allocated at leaky!Document::Load+0x3c)", or its size and why it has no stack. */
function whatBlock(heaps: ProcessHeaps, ref: HeapRef, row: number): string {
  const walk = ref.walk();
  const first = ref.firstPointers()[row];
  const symbols = heaps.symbolizer();
  const type = walk.blocks.state[row] === STATE_BUSY && isFinite(first) ? symbols.vftableClass(first) : undefined;
  if (type !== undefined) return `of type ${type}`;
  const stack = heaps.traces(ref.view).stack(walk, row);
  const caller = "frames" in stack ? callerFrame(stack.frames, symbols) : undefined;
  return caller !== undefined ? `of ${hex0x(walk.blocks.userSize[row])} bytes allocated at ${symbols.name(caller).text}` : `of ${hex0x(walk.blocks.userSize[row])} bytes (no stack: ${"reason" in stack ? stack.reason : ""})`;
}

/**
 * The function whose frame holds a stack slot, where symbols allow: the nearest return address
 * below the slot points into that function (it was calling out when the dump was taken); with
 * none between the slot and the stack pointer, the slot is in the innermost frame, whose function
 * the instruction pointer names. A heuristic: a code pointer stored in a local looks the same.
 */
function frameFunction(heaps: ProcessHeaps, stack: ThreadStack, location: number, ip: number | undefined): string | undefined {
  const view = heaps.target.viewOf(stack.arch);
  if (!view) return undefined;
  const p = view.layout.pointerSize;
  const symbols = heaps.symbolizer();
  const named = (address: number) => {
    if (!heaps.target.moduleAt(address)) return undefined;
    const name = symbols.name(address);
    return name.symbol && name.module ? `${name.module.name}!${name.symbol}` : undefined;
  };
  const bottom = stack.pointer !== undefined && stack.pointer <= location ? stack.pointer : Math.max(stack.limit, location - FRAME_SEARCH_BYTES);
  const low = Math.max(bottom, location - FRAME_SEARCH_BYTES);
  const start = low - (low % p);
  const bytes = view.memory.readPrefix(start, location - start);
  for (let at = Math.floor(bytes.length / p) * p - p; at >= 0; at -= p) {
    const found = named(pointer(bytes, at, p));
    if (found) return found;
  }
  return low === stack.pointer && ip !== undefined ? named(ip) : undefined;
}
