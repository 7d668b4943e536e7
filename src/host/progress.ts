// Progress of long work, in one place: work that will read more than PROGRESS_BYTES says so when
// it starts, then how far it has read of how much, at most every PROGRESS_PERIOD_MS, through
// host.diagnostics.debugLog (docs/jsprovider.md §1.11), so a command over gigabytes is not silent
// for minutes. The walk and the leak scan count what the memory reads meanwhile (Memory.onRead);
// !heapsearch and !heapfind's reference search, which are lazy, count the runs they scan.
import { Memory } from "./memory-types";

/** Work reading more than this prints its progress. */
export const PROGRESS_BYTES = 256 * 1024 * 1024;
/** Lines at most this often. */
export const PROGRESS_PERIOD_MS = 3000;

export class Progress {
  private done = 0;
  private next: number;

  private constructor(
    private readonly what: string,
    private readonly total: number,
    private readonly clock: () => number,
    private readonly print: (line: string) => void,
  ) {
    this.next = clock() + PROGRESS_PERIOD_MS;
    print(`dxheap: ${what}: ${amount(total)} to read\n`);
  }

  /**
   * Progress of `what` over about `total` bytes, told by advance(); undefined for work below
   * PROGRESS_BYTES. For lazy work (generators), which may stop anywhere.
   */
  static start(what: string, total: number,
    clock: () => number = () => Date.now(), print: (line: string) => void = (line) => host.diagnostics.debugLog(line)): Progress | undefined {
    return total > PROGRESS_BYTES ? new Progress(what, total, clock, print) : undefined;
  }

  /** Runs work, the progress of `what` over about `total` bytes being what `memory` reads meanwhile. */
  static around<T>(memory: Memory, what: string, total: number, work: () => T): T {
    const progress = Progress.start(what, total);
    if (!progress) return work();
    const previous = memory.onRead;
    // Work started inside other work counts for both (a walk a leak scan needs, say).
    memory.onRead = (bytes) => {
      progress.advance(bytes);
      if (previous) previous(bytes);
    };
    try {
      return work();
    } finally {
      memory.onRead = previous;
    }
  }

  advance(bytes: number): void {
    this.done += bytes;
    const now = this.clock();
    if (now < this.next) return;
    this.next = now + PROGRESS_PERIOD_MS;
    // Reads may cross a little more than the estimate (gaps between blocks): never past 100 %.
    const done = Math.min(this.done, this.total);
    this.print(`dxheap: ${this.what}: ${amount(done)} of ${amount(this.total)} (${Math.floor((done * 100) / this.total)}%)\n`);
  }
}

function amount(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${Math.round(bytes / (1 << 20))} MiB`;
}
