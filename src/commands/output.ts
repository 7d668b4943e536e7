// What a command may print. Results that grow with the target (search hits, references, filter
// rows) print their first rows and count the rest: the dx result of the same command holds them
// all, lazily. A command's text therefore stays a few hundred KiB however big the heap is.

/** Rows a command prints before it only counts them. */
export const MAX_PRINTED_ROWS = 2000;
/** Findings printed after a command's text; the rest are in the heaps' Findings. */
export const MAX_PRINTED_FINDINGS = 100;

export class RowLimit {
  private printed = 0;
  /** Rows counted but not printed. */
  hidden = 0;

  constructor(private readonly limit: number = MAX_PRINTED_ROWS) {}

  /** True when one more row may be printed; counts it either way. */
  take(): boolean {
    if (this.printed < this.limit) {
      this.printed++;
      return true;
    }
    this.hidden++;
    return false;
  }

  /** The line that says what was not printed, and where to find it; "" when nothing was left out. */
  note(what: string, query: string): string {
    return this.hidden > 0 ? `... ${this.hidden} more ${what}; use ${query} to query them all\n` : "";
  }
}
