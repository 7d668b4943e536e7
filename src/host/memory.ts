// The one memory reader: every byte dxheap reads goes through HostMemory. Reads are large
// (host.memory.readMemoryValues over whole ranges, docs/jsprovider.md §1.6: each call is a round trip
// into the engine); a read that fails is narrowed by halving down to pages, so one unreadable
// page costs a few calls and the readable rest is still returned.
import { Memory, MemoryRun, UnreadableMemoryError } from "./memory-types";
import { toInt64 } from "./convert";

const PAGE = 0x1000;
/** Failed ranges of at least this many pages are probed before being split (see collect). */
const PROBE_THRESHOLD_PAGES = 16;
/** Largest single read: big enough to make host calls rare, small enough to keep memory flat. */
export const MAX_READ = 4 * 1024 * 1024;

/** Pages kept for small reads: a heap's structures (header, segments, UCR descriptors, list links) share few pages. */
const CACHED_PAGES = 64;

export class HostMemory implements Memory {
  /**
   * Whole pages read for small reads, oldest first. One HostMemory serves one stop of the target
   * (src/heap/process-heaps.ts makes a new Target after a live target ran), so a page never goes stale.
   */
  private readonly pages = new Map<number, Uint8Array | null>();

  onRead: ((bytes: number) => void) | undefined = undefined;

  constructor(readonly pointerSize: 4 | 8, private readonly context?: object) {}

  read(address: number, length: number): Uint8Array {
    const page = Math.floor(address / PAGE) * PAGE;
    if (length > 0 && address + length <= page + PAGE) {
      const bytes = this.page(page);
      if (bytes) return bytes.slice(address - page, address - page + length);
    }
    if (length <= MAX_READ) return this.readOnce(address, length);
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += MAX_READ) {
      out.set(this.readOnce(address + offset, Math.min(MAX_READ, length - offset)), offset);
    }
    return out;
  }

  readRuns(address: number, length: number): MemoryRun[] {
    const runs: MemoryRun[] = [];
    for (let offset = 0; offset < length; offset += MAX_READ) {
      this.collect(address + offset, Math.min(MAX_READ, length - offset), runs);
    }
    return runs;
  }

  readPrefix(address: number, length: number): Uint8Array {
    const whole = this.tryRead(address, length);
    if (whole) return whole;
    // Binary search on the number of whole readable pages: "[address, page k) is readable"
    // only turns false once, so log2(pages) reads find the longest readable start.
    const firstPageEnd = Math.min(address + length, Math.floor(address / PAGE) * PAGE + PAGE);
    // Within one page the read that failed was the first page's.
    if (firstPageEnd === address + length) return new Uint8Array(0);
    let low = firstPageEnd;
    let high = address + length;
    const first = this.tryRead(address, firstPageEnd - address);
    if (!first) return new Uint8Array(0);
    let readable: Uint8Array = first;
    while (high - low > PAGE) {
      const middle = low + Math.max(1, Math.floor((high - low) / PAGE / 2)) * PAGE;
      const bytes = this.tryRead(address, middle - address);
      if (bytes) {
        readable = bytes;
        low = middle;
      } else {
        high = middle;
      }
    }
    return readable;
  }

  /**
   * Reads [address, address+length) or, when that fails, its readable pages, appending to runs.
   * A failed range whose first, middle and last pages are all unreadable is taken as unreadable
   * as a whole: dumps miss memory in whole regions, and page-by-page probing would cost a read
   * per page. A readable island shorter than half such a range can be missed.
   */
  private collect(address: number, length: number, runs: MemoryRun[]): void {
    const bytes = this.tryRead(address, length);
    if (bytes) {
      const last = runs[runs.length - 1];
      if (last && last.address + last.bytes.length === address) {
        const joined = new Uint8Array(last.bytes.length + bytes.length);
        joined.set(last.bytes);
        joined.set(bytes, last.bytes.length);
        last.bytes = joined;
      } else {
        runs.push({ address, bytes });
      }
      return;
    }
    // Split on a page boundary; a range within one page that fails is unreadable as a whole.
    const firstPageEnd = Math.floor(address / PAGE) * PAGE + PAGE;
    if (address + length <= firstPageEnd) return;
    const pages = Math.ceil((address + length - firstPageEnd) / PAGE);
    if (pages >= PROBE_THRESHOLD_PAGES && this.unreadableThroughout(address, length)) return;
    const middle = pages <= 1 ? firstPageEnd : firstPageEnd + Math.floor(pages / 2) * PAGE;
    this.collect(address, middle - address, runs);
    this.collect(middle, address + length - middle, runs);
  }

  private unreadableThroughout(address: number, length: number): boolean {
    const lastPage = Math.floor((address + length - 1) / PAGE) * PAGE;
    const middlePage = Math.floor((address + length / 2) / PAGE) * PAGE;
    return !this.tryRead(address, 1) && !this.tryRead(middlePage, 1) && !this.tryRead(lastPage, 1);
  }

  /** The page at `page`, read whole once; null when it is not readable as a whole (a dump may hold part of a page). */
  private page(page: number): Uint8Array | null {
    const cached = this.pages.get(page);
    if (cached !== undefined) return cached;
    const bytes = this.tryRead(page, PAGE) || null;
    if (this.pages.size === CACHED_PAGES) this.pages.delete(this.pages.keys().next().value as number);
    this.pages.set(page, bytes);
    return bytes;
  }

  private tryRead(address: number, length: number): Uint8Array | undefined {
    try {
      return this.readOnce(address, length);
    } catch (e) {
      if (e instanceof UnreadableMemoryError) return undefined;
      throw e;
    }
  }

  /**
   * One host read. Only a read the host refused is unreadable memory; a TypeError or RangeError
   * is a mistake in dxheap's arguments and propagates. A short answer is unreadable past its end.
   */
  private readOnce(address: number, length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    let bytes: Uint8Array;
    try {
      bytes = host.memory.readMemoryValues(toInt64(address), length, 1, false, this.context);
    } catch (e) {
      const name = e !== null && typeof e === "object" ? (e as Error).name : "";
      if (name === "TypeError" || name === "RangeError") throw e;
      throw new UnreadableMemoryError(address, length);
    }
    if (bytes.length !== length) throw new UnreadableMemoryError(address + bytes.length, length - bytes.length);
    if (this.onRead) this.onRead(length);
    return bytes;
  }
}
