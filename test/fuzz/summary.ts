// The report of a fuzz run: failures by kind, the distinct failures with their smallest
// reproducing case, reads/bytes/time percentiles, the heaviest cases, and how much of each
// budget the passing cases used (the calibration view).
import * as budget from "./budget";
import type { ImageKind } from "./image";
import { describeMutation } from "./mutations";
import { type CaseResult, FAILURE_KINDS, type Failure, replayLine } from "./run-case";

/** A command line without its numbers: "!heapfind (X, true)", "dx -r2 @$curprocess.Heaps[i]". */
export function commandName(command: string): string {
  return command.replace(/0x[0-9a-f]+/gi, "X").replace(/\[\d+\]/g, "[i]");
}

/** A failure's message without where it was met (the property, the heap index) and without its numbers. */
function normalized(detail: string): string {
  return detail
    .replace(/^.*?(threw( at (heap|item|block) \S+)?|escaped the extension): /, "")
    .replace(/^\w+ : /, "")
    .replace(/0x[0-9a-f]+/gi, "0x…")
    .replace(/\b\d+\b/g, "N")
    .slice(0, 240);
}

const BUDGET_KINDS: readonly Failure["kind"][] = ["reads", "bytes", "output", "memory", "time", "unbounded"];

/**
 * What makes two failures the same: for budget failures the kind and the command; for exceptions
 * and aborted commands the kind and the message without its numbers, whichever command met it.
 */
export function signature(failure: Failure): string {
  if (BUDGET_KINDS.includes(failure.kind)) return `${failure.kind} | ${commandName(failure.command)}`;
  return `${failure.kind} | ${normalized(failure.detail)}`;
}

export interface DistinctFailure {
  signature: string;
  kind: Failure["kind"];
  cases: number;
  /** The commands that met it. */
  commands: Set<string>;
  /** The reproducing case with the fewest mutations (then the lowest number). */
  example: CaseResult;
  failure: Failure;
}

export function distinctFailures(results: readonly CaseResult[]): DistinctFailure[] {
  const bySignature = new Map<string, DistinctFailure>();
  for (const result of results) {
    const seen = new Set<string>();
    for (const failure of result.failures) {
      const key = signature(failure);
      const known = bySignature.get(key);
      if (known) known.commands.add(commandName(failure.command));
      if (seen.has(key)) continue;
      seen.add(key);
      if (!known) {
        bySignature.set(key, { signature: key, kind: failure.kind, cases: 1, commands: new Set([commandName(failure.command)]), example: result, failure });
        continue;
      }
      known.cases++;
      const smaller = result.mutations.length < known.example.mutations.length || (result.mutations.length === known.example.mutations.length && result.caseNumber < known.example.caseNumber);
      if (smaller) {
        known.example = result;
        known.failure = failure;
      }
    }
  }
  return [...bySignature.values()].sort((a, b) => b.cases - a.cases || a.signature.localeCompare(b.signature));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function percentileLine(label: string, values: number[], unit = ""): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1)) + unit;
  return `  ${label.padEnd(16)} p50 ${f(percentile(sorted, 50))}  p90 ${f(percentile(sorted, 90))}  p99 ${f(percentile(sorted, 99))}  max ${f(percentile(sorted, 100))}`;
}

/** For each command (by name), the largest share of each per-command budget any case used. */
export function budgetUse(results: readonly CaseResult[]): string[] {
  const rows = new Map<string, { reads: number; bytes: number; lines: number; chars: number; ms: number; maxReads: number; maxBytes: number }>();
  let caseReads = 0;
  let caseBytes = 0;
  for (const result of results) {
    if (result.committedBytes === 0) continue;
    const size = { committedBytes: result.committedBytes, structures: result.structures };
    const readBudget = budget.commandReadBudget(size);
    const bytesBudget = budget.commandBytesBudget(size);
    caseReads = Math.max(caseReads, result.reads / budget.caseReadBudget(size));
    caseBytes = Math.max(caseBytes, result.bytes / budget.caseBytesBudget(size));
    for (const c of result.commands) {
      const name = commandName(c.command);
      const row = rows.get(name) ?? { reads: 0, bytes: 0, lines: 0, chars: 0, ms: 0, maxReads: 0, maxBytes: 0 };
      row.reads = Math.max(row.reads, c.reads / readBudget);
      row.bytes = Math.max(row.bytes, c.bytes / bytesBudget);
      row.maxReads = Math.max(row.maxReads, c.reads);
      row.maxBytes = Math.max(row.maxBytes, c.bytes / result.committedBytes);
      row.lines = Math.max(row.lines, c.lines);
      row.chars = Math.max(row.chars, c.chars);
      row.ms = Math.max(row.ms, c.ms);
      rows.set(name, row);
    }
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`.padStart(8);
  const lines = [`  ${"command".padEnd(34)}  reads/budget  bytes/budget  max reads  bytes/committed  lines  chars    ms`];
  for (const [name, r] of [...rows].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(
      `  ${name.padEnd(34)}  ${pct(r.reads)}      ${pct(r.bytes)}    ${String(r.maxReads).padStart(9)}  ${r.maxBytes.toFixed(2).padStart(15)}  ${String(r.lines).padStart(5)}  ${String(r.chars).padStart(6)}  ${r.ms.toFixed(0).padStart(4)}`,
    );
  }
  lines.push(`  ${"whole case".padEnd(34)}  ${pct(caseReads)}      ${pct(caseBytes)}`);
  return lines;
}

/** Per image kind: cases, failures, reads, bytes per committed byte, time, and the largest share of the case read budget. */
function byKind(results: readonly CaseResult[]): string[] {
  const kinds = [...new Set(results.map((r) => r.kind ?? "?"))].sort();
  return kinds.map((kind) => {
    const cases = results.filter((r) => (r.kind ?? "?") === kind);
    const measured = cases.filter((r) => r.committedBytes > 0);
    const sorted = (values: number[]) => values.sort((a, b) => a - b);
    const reads = sorted(measured.map((r) => r.reads));
    const perCommitted = sorted(measured.map((r) => r.bytes / r.committedBytes));
    const ms = sorted(cases.map((r) => r.ms));
    const share = Math.max(0, ...measured.map((r) => r.reads / budget.caseReadBudget({ committedBytes: r.committedBytes, structures: r.structures })));
    const failed = cases.filter((r) => r.failures.length > 0).length;
    return (
      `  ${kind.padEnd(8)} ${String(cases.length).padStart(5)} cases, ${failed} failed; reads p50 ${percentile(reads, 50)} p99 ${percentile(reads, 99)};` +
      ` bytes/committed p50 ${percentile(perCommitted, 50).toFixed(1)} max ${percentile(perCommitted, 100).toFixed(1)}; time p50 ${percentile(ms, 50).toFixed(0)} ms;` +
      ` case reads budget used at most ${(100 * share).toFixed(1)}%`
    );
  });
}

export interface SummaryOptions {
  seed: number;
  maxMutations: number;
  layouts?: string[];
  kinds?: ImageKind[];
  strict?: boolean;
  workers: number;
  elapsedMs: number;
  /** Print every failing case in full (default: the first few, and one example per distinct failure). */
  verbose?: boolean;
}

export function summarize(results: readonly CaseResult[], options: SummaryOptions): string {
  const out: string[] = [];
  const failed = results.filter((r) => r.failures.length > 0);
  out.push(
    `fuzz: seed ${options.seed}, ${results.length} cases, up to ${options.maxMutations} mutations each, ${options.workers || "no"} worker thread${options.workers === 1 ? "" : "s"}, ${(options.elapsedMs / 1000).toFixed(1)} s`,
  );
  out.push(`failed cases: ${failed.length} of ${results.length}`);
  for (const kind of FAILURE_KINDS) {
    const cases = results.filter((r) => r.failures.some((f) => f.kind === kind)).length;
    if (cases > 0) out.push(`  ${kind.padEnd(10)} ${cases} case${cases === 1 ? "" : "s"}`);
  }

  const distinct = distinctFailures(results);
  if (distinct.length > 0) {
    out.push("", `distinct failures: ${distinct.length} (each with its smallest reproducing case)`);
    distinct.forEach((d, i) => {
      const ex = d.example;
      const commands = [...d.commands].sort().join(", ");
      out.push(`  ${i + 1}. [${d.kind}] ${d.cases} case${d.cases === 1 ? "" : "s"}; ${commands}`);
      out.push(`     ${d.failure.detail.split("\n")[0].slice(0, 300)}`);
      out.push(`     e.g. ${replayLine(ex, options)}  (${ex.image})`);
      for (const m of ex.mutations) out.push(`       ${describeMutation(m)}`);
    });
  }

  const measured = results.filter((r) => r.committedBytes > 0);
  const reporting = measured.filter((r) => r.commands.some((c) => c.warnings > 0)).length;
  out.push("", `cases whose commands reported findings (WARNING lines): ${reporting} of ${measured.length}`);
  out.push("", "per case:");
  out.push(percentileLine("memory reads", measured.map((r) => r.reads)));
  out.push(percentileLine("bytes read", measured.map((r) => r.bytes)));
  out.push(percentileLine("bytes/committed", measured.map((r) => r.bytes / r.committedBytes)));
  out.push(percentileLine("time", results.map((r) => r.ms), " ms"));
  out.push(percentileLine("committed bytes", measured.map((r) => r.committedBytes)));
  out.push(percentileLine("retained memory", measured.map((r) => Math.max(0, r.retainedBytes))));
  out.push("", "by image kind:", ...byKind(results));

  const top = (label: string, key: (r: CaseResult) => number, unit: string) => {
    out.push("", `${label}:`);
    for (const r of [...results].sort((a, b) => key(b) - key(a)).slice(0, 5)) {
      out.push(`  case ${r.caseNumber} (seed ${r.seed}): ${key(r).toFixed(0)}${unit}, ${r.mutations.length} mutation${r.mutations.length === 1 ? "" : "s"}, ${r.image}`);
    }
  };
  top("slowest cases", (r) => r.ms, " ms");
  top("most read-heavy cases", (r) => r.reads, " reads");
  top("most bytes read", (r) => r.bytes, " bytes");

  out.push("", "largest share of each budget used (all cases):", ...budgetUse(results));
  return out.join("\n");
}
