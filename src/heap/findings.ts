// What a walk could not read or trust. Findings are never thrown: they are collected, and a
// corrupted heap can produce one per block, so they are aggregated as they come: per category
// (one kind of problem in one place, e.g. "checksum mismatch in segment 0x…") the first few keep
// their own address and message, the rest are only counted. Memory stays bounded however many
// blocks are damaged.

export type FindingKind = "Corruption" | "Unreadable" | "Unsupported";

export interface Finding {
  kind: FindingKind;
  /** The address the finding is about (the bad header, the unreadable page, the heap). */
  address: number;
  message: string;
}

/** Findings kept with their own address per category; the rest are counted. */
const EXAMPLES_PER_CATEGORY = 3;
/** Categories kept; a heap damaged in more places than this is summarized by one count. */
const MAX_CATEGORIES = 256;

interface Category {
  kind: FindingKind;
  examples: Finding[];
  more: number;
  /** What the counted ones have in common, for the "… more like it" line. */
  description: string;
}

export class FindingLog {
  private readonly categories: Category[] = [];
  private readonly byKey: { [key: string]: Category } = {};
  private overflow = 0;

  /**
   * Records a finding. `category` groups findings of one problem in one place; `description`
   * says what they share (used once more than a few are seen).
   */
  add(kind: FindingKind, address: number, message: string, category: string = message, description: string = category): void {
    const key = kind + "\u0000" + category;
    let found = this.byKey[key];
    if (!found) {
      if (this.categories.length >= MAX_CATEGORIES) {
        this.overflow++;
        return;
      }
      found = this.byKey[key] = { kind, examples: [], more: 0, description };
      this.categories.push(found);
    }
    if (found.examples.length < EXAMPLES_PER_CATEGORY) found.examples.push({ kind, address, message });
    else found.more++;
  }

  addFinding(finding: Finding, category?: string): void {
    this.add(finding.kind, finding.address, finding.message, category);
  }

  get isEmpty(): boolean {
    return this.categories.length === 0;
  }

  /** The findings, each category's examples followed by one line counting the rest. */
  list(): Finding[] {
    const out: Finding[] = [];
    for (let i = 0; i < this.categories.length; i++) {
      const c = this.categories[i];
      for (let k = 0; k < c.examples.length; k++) out.push(c.examples[k]);
      if (c.more > 0) {
        const last = c.examples[c.examples.length - 1];
        out.push({ kind: c.kind, address: last.address, message: `and ${c.more} more like it (${c.description})` });
      }
    }
    if (this.overflow > 0) {
      out.push({ kind: "Corruption", address: 0, message: `and ${this.overflow} more findings in other places (only ${MAX_CATEGORIES} kinds of problem are kept)` });
    }
    return out;
  }
}
