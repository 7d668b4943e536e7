// What every command starts from: the process's shared heap cache (walked at most once per
// debugging session, src/heap/process-heaps.ts), the heaps the command used, and its text. The
// findings of the heaps a command used are printed as warnings after the command's own text.
import { Finding } from "../heap/findings";
import { MAX_PRINTED_FINDINGS, RowLimit } from "./output";
import { HeapWalk } from "../heap/records";
import { HeapRef, ProcessHeaps } from "../heap/process-heaps";
import { HeapModel } from "../model/heap";
import { hex0x } from "../util/hex";

export interface WalkedHeap {
  ref: HeapRef;
  walk: HeapWalk;
  model: HeapModel;
  /** The heap's pointer size, which its addresses print with (a WOW64 process has both). */
  width: 4 | 8;
}

export class CommandContext {
  readonly heaps = ProcessHeaps.of();
  private readonly used: WalkedHeap[] = [];
  private readonly models: { [index: number]: HeapModel } = {};

  /** The program's pointer size (a WOW64 process's is 4), for what belongs to no one heap. */
  get pointerSize(): 4 | 8 {
    return this.heaps.target.views[0].layout.pointerSize;
  }

  /** Every heap of the process, walked (kinds not walked yet give empty walks with a finding). */
  allHeaps(): WalkedHeap[] {
    return this.heaps.heaps().map((ref) => this.use(ref));
  }

  /**
   * The heaps that could be walked, whatever their kind (the others list no block and say why),
   * each block once: a page heap's NormalHeap is left out, its blocks being the page heap's.
   */
  walkedHeaps(): WalkedHeap[] {
    return this.allHeaps().filter((h) => !h.ref.problem() && h.ref.counted);
  }

  /** The heap whose handle is `address`, walked; a one-line error when it is not one or cannot be walked. */
  heapAt(command: string, address: number): WalkedHeap {
    const ref = this.heaps.heapAt(address);
    if (!ref) throw new Error(`${command}: ${hex0x(address)} is not a heap of this process (!heaps lists them)`);
    const heap = this.use(ref);
    const problem = ref.problem();
    if (problem) throw new Error(`${command}: ${problem.message}`);
    return heap;
  }

  /** A heap (already walked by the cache) as one this command used. */
  use(ref: HeapRef): WalkedHeap {
    for (let i = 0; i < this.used.length; i++) if (this.used[i].ref === ref) return this.used[i];
    const heap = { ref, walk: ref.walk(), model: this.model(ref), width: ref.view.layout.pointerSize };
    this.used.push(heap);
    return heap;
  }

  model(ref: HeapRef): HeapModel {
    let model = this.models[ref.index];
    if (!model) model = this.models[ref.index] = new HeapModel(this.heaps, ref);
    return model;
  }

  /**
   * Prints `text`, then the findings of the heap lists and of every heap the command used, at most
   * MAX_PRINTED_FINDINGS of them (each heap's are already aggregated per kind of problem).
   */
  print(text: string): void {
    this.printWarnings(text, true);
  }

  /** Prints `text` and the heap lists' findings only (for a command that reports the walks' itself). */
  printWithoutWalkFindings(text: string): void {
    this.printWarnings(text, false);
  }

  private printWarnings(text: string, withWalks: boolean): void {
    const lines = [text];
    const limit = new RowLimit(MAX_PRINTED_FINDINGS);
    const warn = (finding: Finding) => {
      if (limit.take()) lines.push(`WARNING: ${finding.kind}: ${finding.message}\n`);
    };
    this.heaps.findings().forEach(warn);
    if (withWalks) for (let h = 0; h < this.used.length; h++) this.used[h].walk.findings.forEach(warn);
    lines.push(limit.note("findings", "dx @$curprocess.Heaps.Findings and dx @$curprocess.Heaps[i].Findings"));
    host.diagnostics.debugLog(lines.join(""));
  }
}

/** Prints the text of a command that used no heap (so has no finding to add). */
export function printText(text: string): void {
  host.diagnostics.debugLog(text);
}

/**
 * A function alias that never throws into the debugger: a mistake in the arguments or anything
 * else that stops the command prints one "Error: …" line (WinDbg would add the script's line and
 * column to a thrown error) and the command returns nothing. More arguments than the command
 * takes are a mistake, not ignored.
 */
export function command<R>(name: string, parameters: number, body: (...args: unknown[]) => R): (...args: unknown[]) => R | undefined {
  return function (...args: unknown[]): R | undefined {
    try {
      if (args.length > parameters) {
        throw new Error(`${name}: expected at most ${parameters} argument${parameters === 1 ? "" : "s"}, got ${args.length}`);
      }
      return body(...args);
    } catch (e) {
      const message = String((e as Error).message);
      host.diagnostics.debugLog(`Error: ${message.indexOf(`${name}: `) === 0 ? message : `${name}: ${message}`}\n`);
      return undefined;
    }
  };
}
