// What every command starts from: the process, its heaps (walked at most once per command)
// and the text it prints. Findings are printed as warnings after the command's own text.
import { Finding, HeapWalk } from "../heap/records";
import { Target } from "../host/target";
import { HeapModel } from "../model/heap";
import { listHeaps } from "../model/process";

export class CommandContext {
  readonly target = Target.of();
  readonly heaps: HeapModel[];
  private readonly enumerationFindings: Finding[];

  constructor() {
    const list = listHeaps(this.target);
    this.heaps = list.heaps;
    this.enumerationFindings = list.findings;
  }

  get pointerSize(): 4 | 8 {
    return this.target.layout.pointerSize;
  }

  /** The NT heaps, walked, with their models (segment heaps are not walked yet). */
  ntHeaps(): { model: HeapModel; walk: HeapWalk }[] {
    return this.heaps.filter((h) => h.Type === "NT").map((model) => ({ model, walk: model.walk() }));
  }

  /** The heap whose handle is `address`; a one-line error naming the choices otherwise. */
  heapAt(address: number): HeapModel {
    for (let i = 0; i < this.heaps.length; i++) {
      if (this.heaps[i].descriptor().address === address) return this.heaps[i];
    }
    throw new Error(`0x${address.toString(16)} is not a heap of this process (!heaps lists them)`);
  }

  /** Prints `text` and then every finding of the walks done so far. */
  print(text: string): void {
    const lines = [text];
    const findings = this.enumerationFindings.slice();
    for (let i = 0; i < this.heaps.length; i++) {
      const walk = this.heaps[i].walkIfDone();
      if (walk) findings.push(...walk.findings);
    }
    for (let i = 0; i < findings.length; i++) lines.push(`WARNING: ${findings[i].kind}: ${findings[i].message}\n`);
    host.diagnostics.debugLog(lines.join(""));
  }
}
