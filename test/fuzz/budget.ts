// What a command may cost on an image, damaged or not. The bounds grow with the image (its
// committed bytes and the structures the writer put in it), never with what a corrupted field
// claims: a walk that believes a LastValidEntry of 2^40 or a BlockCount of 0xffff must still stay
// inside them. Calibrated on undamaged images (`npm run fuzz -- --mutations 0`, see
// test/fuzz/README.md): each constant is well above the largest ratio measured there.

/**
 * The read unit of an image: F = 2 × (committed bytes / 64 KiB) + 0.3 × structures + 40 host
 * memory reads (readMemoryValues calls and typed field reads). Fitted on 200 undamaged NT images
 * (`--mutations 0 --seed 7`: 1.2 to 17.8 × 64 KiB committed, 17 to 378 structures): no command
 * read more than 1.92 F (a !heapsearch: 230 reads), no whole case (all commands, !heapcheck and
 * the dx walk) more than 4.44 F. Checked on 1000 undamaged images of the four kinds (same seed:
 * 76 KiB to 1.7 MiB, 15 to 1750 structures): at most 1.61 F for a command, 4.73 F for a case (a
 * page-heap image, whose full-page blocks a scan reads apart).
 */
export const READS_PER_64K = 2;
export const READS_PER_STRUCTURE = 0.3;
export const READS_CONSTANT = 40;
/**
 * One command may read 4 F (2.1 times the most measured), a whole case 8 F (1.7 times the most
 * measured; every command walking the heaps again would read 12 F or more).
 */
export const COMMAND_READS_UNITS = 4;
export const CASE_READS_UNITS = 8;

/**
 * Bytes read, as multiples of the committed bytes. Measured on the same images: at most 1.77 for
 * one command (!heapfind (address, true) scans every committed byte once after the walk; a
 * !heapsearch reads 1.74), 4.7 for a whole case. The bounds allow about one extra pass over memory
 * per command, and per case less than every command walking the heaps again.
 */
export const BYTES_PER_COMMITTED = 3;
export const BYTES_CONSTANT = 64 * 1024;
export const CASE_BYTES_PER_COMMITTED = 8;

/** Output of one command (measured: at most 607 lines, 38 617 characters). */
export const MAX_LINES = 4000;
export const MAX_CHARS = 400_000;

/** Blocks one heap may list: no more than fit in the image's committed memory, one per granule, plus slack. */
export const BLOCKS_SLACK = 1000;

/**
 * Memory. Retained: what the session holds after the case, over what was there before the dump
 * was loaded: exact with --precise-memory (a full GC before and after), otherwise measured on a
 * heap that may hold the garbage of earlier cases, hence a wider base. Peak: the isolate's
 * external memory (ArrayBuffers) right after any command, over the same baseline. The JS heap
 * itself is bounded by the worker's old-generation limit (WORKER_HEAP_MB), past which the worker
 * dies and the case fails as "memory". Measured on undamaged images (dumps of at most 1.7 MiB):
 * at most 22 MiB retained (precise), 43 MiB (without GC), 44 MiB of external memory.
 */
export const MEMORY_RETAINED_PRECISE_BASE = 64 * 1024 * 1024;
export const MEMORY_RETAINED_BASE = 256 * 1024 * 1024;
export const MEMORY_RETAINED_PER_DUMP_BYTE = 16;
export const MEMORY_PEAK_BASE = 128 * 1024 * 1024;
export const MEMORY_PEAK_PER_DUMP_BYTE = 32;
export const WORKER_HEAP_MB = 512;

/** Safety net only: the read budget is the real bound. A case still running after this is stopped. */
export const CASE_TIME_LIMIT_MS = 30_000;

export interface ImageSize {
  /** Bytes of memory in the dump. */
  committedBytes: number;
  /**
   * What the writer placed: heaps, segments, blocks, uncommitted ranges, LFH containers, heap
   * descriptors; segment heaps' VS and LFH subsegments; page heaps' roots, nodes, block headers
   * and trace records; WOW64 threads' TEBs.
   */
  structures: number;
}

/** F, the read unit of an image (see READS_PER_64K). */
export function readUnit(image: ImageSize): number {
  return READS_PER_64K * (image.committedBytes / 65536) + READS_PER_STRUCTURE * image.structures + READS_CONSTANT;
}

export function commandReadBudget(image: ImageSize): number {
  return Math.ceil(COMMAND_READS_UNITS * readUnit(image));
}

export function commandBytesBudget(image: ImageSize): number {
  return Math.ceil(BYTES_PER_COMMITTED * image.committedBytes + BYTES_CONSTANT);
}

export function caseReadBudget(image: ImageSize): number {
  return Math.ceil(CASE_READS_UNITS * readUnit(image));
}

export function caseBytesBudget(image: ImageSize): number {
  return Math.ceil(CASE_BYTES_PER_COMMITTED * image.committedBytes + 4 * BYTES_CONSTANT);
}

export function blockCap(image: ImageSize, granularity: number): number {
  return Math.ceil(image.committedBytes / granularity) + BLOCKS_SLACK;
}

export function retainedMemoryBudget(dumpBytes: number, precise: boolean): number {
  return (precise ? MEMORY_RETAINED_PRECISE_BASE : MEMORY_RETAINED_BASE) + MEMORY_RETAINED_PER_DUMP_BYTE * dumpBytes;
}

export function peakMemoryBudget(dumpBytes: number): number {
  return MEMORY_PEAK_BASE + MEMORY_PEAK_PER_DUMP_BYTE * dumpBytes;
}
