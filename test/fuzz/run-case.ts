// One fuzz case: draw an image, damage it, write the dump, load the bundle on it as .scriptload
// does, run every command and walk every dx object, and hold each against the budgets.
import * as v8 from "v8";
import * as vm from "vm";
import { join } from "path";
import { propertyNames } from "../../nodehost/dx";
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import type { TargetData } from "../../nodehost/target";
import { SEARCH_PATTERN_U32, SEARCH_PATTERN_U64 } from "../writers/ntheap";
import type { BlockTruth } from "../writers/types";
import * as budget from "./budget";
import type { FuzzImage, ImageKind } from "./image";
import { buildFuzzImage, mutate } from "./kinds";
import { describeMutation, type Mutation } from "./mutations";
import { Rng, caseSeed } from "./random";

export const DEFAULT_BUNDLE = join(__dirname, "..", "..", "dist", "dxheap.js");

export type FailureKind =
  /** An exception left the extension: session.execute/alias reported one, or a dx property read or iteration threw. */
  | "exception"
  /** A command stopped on an internal error: it printed an "Error: …" line that is not its answer to the situation (the fuzzer's arguments are always well formed). */
  | "aborted"
  | "reads"
  | "bytes"
  | "output"
  /** A heap listed more blocks than its image's committed memory can hold. */
  | "unbounded"
  | "memory"
  | "time"
  /** --strict only: a block whose UserAddress lies before its Address, or whose busy user data runs past its end. */
  | "inconsistent"
  /** The fuzzer or the Node host could not set the case up (not the extension's fault). */
  | "harness";

export const FAILURE_KINDS: readonly FailureKind[] = ["exception", "aborted", "reads", "bytes", "output", "unbounded", "memory", "time", "inconsistent", "harness"];

export interface Failure {
  kind: FailureKind;
  /** The command line (or "dx walk", "load", "case"). */
  command: string;
  detail: string;
}

export interface CommandRecord {
  command: string;
  reads: number;
  bytes: number;
  ms: number;
  lines: number;
  chars: number;
  /** "WARNING:" lines: the findings the command reported. */
  warnings: number;
  /** The output's first lines, kept with --verbose or on failure. */
  excerpt?: string;
}

export interface CaseResult {
  seed: number;
  caseNumber: number;
  /** The per-case PRNG seed (derived from seed and caseNumber). */
  caseSeed: number;
  /** The image's kind (absent when the case stopped before its image was drawn, or in a stopped worker). */
  kind?: ImageKind;
  image: string;
  committedBytes: number;
  dumpBytes: number;
  structures: number;
  mutations: Mutation[];
  commands: CommandRecord[];
  failures: Failure[];
  reads: number;
  bytes: number;
  ms: number;
  /** Bytes the session retained after a full GC, and the external-memory peak after a command. */
  retainedBytes: number;
  peakBytes: number;
}

/** What a run is: the same config and case number give the same case. */
export interface FuzzConfig {
  seed: number;
  /** At most this many mutations per case (1..max drawn); 0 runs the undamaged image (calibration). */
  maxMutations: number;
  /** Only these layouts ("x64-19041", "wow64-7601", see kinds.ts IMAGE_KINDS); all when empty or absent. */
  layouts?: string[];
  /** Only these image kinds ("nt", "segment", "page", "wow64"); all when empty or absent. */
  kinds?: ImageKind[];
  bundle?: string;
  verbose?: boolean;
  /**
   * A full GC before and after the case, so that the retained-memory bound is exact (about 30 ms
   * per GC). Without it the bound is the same but measured on a heap that may hold garbage.
   */
  preciseMemory?: boolean;
  /**
   * Also check each block the dx walk reads: UserAddress at or after Address, and a busy block's
   * user data inside it (UserAddress + UserSize <= Address + Size, plus the 8 bytes of the next
   * header x64 data may use). Beyond the robustness budgets,
   * so off by default and not in the jest run.
   */
  strict?: boolean;
}

export interface CaseOptions extends FuzzConfig {
  caseNumber: number;
  /** Called before each step, so that a watchdog can say where a case stopped. */
  progress?: (step: { mutations?: Mutation[]; image?: string; command?: string }) => void;
}

const gc = exposeGc();

/** global.gc when node runs with --expose-gc, else the same function obtained at run time. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return () => {};
  } finally {
    // Contexts made later in this process (another test's ScriptSession) must not get a gc global.
    v8.setFlagsFromString("--no-expose-gc");
  }
}

function heapBytes(): { used: number; external: number } {
  const stats = v8.getHeapStatistics();
  return { used: stats.used_heap_size, external: stats.external_memory };
}

const parsedIsfs = new WeakMap<object, IsfTypes>();

function parsedTypes(isf: object): IsfTypes {
  let types = parsedIsfs.get(isf);
  if (!types) parsedIsfs.set(isf, (types = IsfTypes.parse(isf)));
  return types;
}

const hex = (value: bigint | number) => "0x" + value.toString(16);

function hasAlias(session: ScriptSession, name: string): boolean {
  const aliases = (session as unknown as { aliases?: Map<string, unknown> }).aliases;
  if (aliases instanceof Map) return aliases.has(name);
  try {
    session.alias(name);
    return true;
  } catch (e) {
    return !/no function alias/.test(String(e));
  }
}

/** The command lines of a case, in a drawn order: the first one pays for the walk. */
function commandLines(image: FuzzImage, rng: Rng, session: ScriptSession, mutations: Mutation[]): string[] {
  const busy = image.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy" && b.userSize > 0);
  const all = image.heaps.flatMap((h) => h.blocks);
  const size = busy.length > 0 ? rng.pick(busy).userSize : 0x20;
  const block = rng.pick(all);
  const inside = block.address + BigInt(rng.int(0, Math.max(0, block.size - 1)));
  const other = rng.pick(all);
  const insideOther = other.address + BigInt(rng.int(0, Math.max(0, other.size - 1)));
  // !heapstack: a traced busy block where the image has any (its user address, or inside it), else
  // the address above; first among them the blocks whose trace pointer, index or record was damaged.
  const traced = damagedTraces(image, mutations) ?? busy.filter((b) => b.stack !== undefined);
  const tracedBlock = traced.length > 0 ? rng.pick(traced) : undefined;
  const stackAddress = !tracedBlock ? inside : rng.chance(0.7) ? tracedBlock.userAddress : tracedBlock.address + BigInt(rng.int(0, Math.max(0, tracedBlock.size - 1)));
  const pattern = rng.chance(0.5) ? `(${hex(SEARCH_PATTERN_U32)}, 4)` : `(${hex(SEARCH_PATTERN_U64)}, 8)`;
  const lines = [
    "!heaps",
    "!heapstat",
    ...image.heaps.map((h) => `!heapstat ${hex(h.address)}`),
    `!heapfilter ${hex(size)}`,
    "!heapfilter (0, 0x100000)",
    `!heapfind ${hex(inside)}`,
    `!heapfind (${hex(insideOther)}, true)`,
    "!heapsearch (0, 1)",
    `!heapsearch ${pattern}`,
    "dx @$curprocess.Heaps",
    "dx @$curprocess.Heaps.Count()",
    ...image.heaps.map((_, i) => `dx -r2 @$curprocess.Heaps[${i}]`),
    "dx walk",
  ];
  if (hasAlias(session, "heapcheck")) lines.push("!heapcheck");
  if (hasAlias(session, "heapsnap")) lines.push("!heapsnap", '!heapdiff ("current", "current")');
  if (hasAlias(session, "heaptriage")) lines.push(`!heapstack ${hex(stackAddress)}`, "!heapstacks", "!heaptypes", "!heapleaks", "!heaptriage");
  for (let i = lines.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return lines;
}

/** The traced blocks whose header trace pointer, trace index or record a mutation wrote to, or undefined if none. */
function damagedTraces(image: FuzzImage, mutations: Mutation[]): BlockTruth[] | undefined {
  if (!image.traces) return undefined;
  const hit = (start: bigint, size: number) => mutations.some((m) => m.address < start + BigInt(size) && start < m.address + BigInt(m.size));
  const blocks = image.traces.flatMap((traces) => {
    const recordSize = traces.scope.layout.size("_RTL_STACK_TRACE_ENTRY");
    return [...traces.pointers, ...traces.indices].filter((t) => hit(t.slot, 1) || hit(t.record, recordSize)).map((t) => t.block);
  });
  return blocks.length > 0 ? blocks : undefined;
}

/**
 * "Error: …" lines a command printed that are not an answer to the situation. The fuzzer's
 * arguments are always well formed, so a command has two legitimate errors: `!heapstat <heap>`
 * for a heap the damaged process no longer lists, or cannot walk, and that message names the
 * heap ("heapstat: 0x… is not a heap of this process", "heapstat: the header of heap 0x… is not
 * readable …"); and any command's refusal when the damaged TEB names no PEB dxheap can read
 * ("<name>: dxheap needs a user-mode process: …"). Any other Error line is an internal exception
 * the command wrapper caught (it prefixes the command's name to every message, so the prefix
 * tells nothing).
 */
function internalErrors(command: string, output: string): string[] {
  const name = /^!(\w+)/.exec(command)?.[1];
  if (!name) return [];
  const heap = name === "heapstat" ? /^!heapstat\s+(0x[0-9a-f]+)\s*$/i.exec(command)?.[1].toLowerCase() : undefined;
  const noProcess = `Error: ${name}: dxheap needs a user-mode process: `;
  return output.split("\n").filter((line) => line.startsWith("Error: ") && !line.startsWith(noProcess) && !(heap !== undefined && line.toLowerCase().includes(heap)));
}

/**
 * `dx @$curprocess.Heaps[i]` for an i the damaged process no longer lists: the indexer's
 * RangeError is dx's answer to an index past the end, not a failure (the truth's heap count is
 * only an upper guess once the heap lists are damaged).
 */
function indexPastTheEnd(command: string, error: string): boolean {
  const index = /Heaps\[(\d+)\]/.exec(command);
  const range = /index (\d+) is outside \[0, (\d+)\)/.exec(error);
  return index !== null && range !== null && Number(range[1]) === Number(index[1]) && Number(range[1]) >= Number(range[2]);
}

/** dx lines where a property read or an iteration threw ("name : Error: …", "[0x3] : Error: …"). */
function propertyErrors(output: string): string[] {
  return output.split("\n").filter((line) => / : Error: /.test(line));
}

function excerpt(output: string, lines = 6): string {
  const all = output.split("\n");
  const head = all.slice(0, lines).map((l) => (l.length > 200 ? l.slice(0, 200) + "…" : l));
  return head.join("\n") + (all.length > lines ? `\n… (${all.length} lines)` : "");
}

/**
 * Reads every dx property of every heap, segment, finding and summary, and every block's
 * properties (its Heap's and Segment's Address too), as a full `dx` walk would. Returns failures.
 */
/** A dx value (Int64 or number) as a bigint. */
function bigOf(value: unknown): bigint | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (value !== null && typeof value === "object") {
    try {
      return BigInt("0x" + (value as { toString(radix: number): string }).toString(16));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * --strict: what is wrong with a block's fields, or undefined. `spill`: the bytes of the next
 * header a busy block's data may use (x64: its PreviousBlockPrivateData, 8; x86: 0).
 */
function blockInconsistency(fields: Record<string, unknown>, spill: number): string | undefined {
  const address = bigOf(fields.Address);
  const user = bigOf(fields.UserAddress);
  const size = bigOf(fields.Size);
  const userSize = bigOf(fields.UserSize);
  if (address === undefined || user === undefined || size === undefined || userSize === undefined) return undefined;
  const hex = (v: bigint) => "0x" + v.toString(16);
  const text = `${String(fields.State)} ${String(fields.Kind)} block ${hex(address)} (Size ${hex(size)}, UserAddress ${hex(user)}, UserSize ${hex(userSize)})`;
  if (user < address) return `${text}: UserAddress before Address`;
  if (fields.State === "Busy" && user + userSize > address + size + BigInt(spill)) return `${text}: user data past the block's end`;
  return undefined;
}

function walkDx(session: ScriptSession, image: FuzzImage, size: budget.ImageSize, strict: boolean): Failure[] {
  const failures: Failure[] = [];
  const fail = (kind: Failure["kind"], detail: string) => failures.push({ kind, command: "dx walk", detail });
  const cap = budget.blockCap(size, image.granularity);
  const read = (object: any, name: string, where: string): { ok: boolean; value?: unknown } => {
    try {
      return { ok: true, value: object[name] };
    } catch (e) {
      fail("exception", `${where}.${name} threw: ${String((e as Error)?.message ?? e)}`);
      return { ok: false };
    }
  };
  /** Every property, `depth` levels down; collections' items too (at most `cap`). */
  const readAll = (value: unknown, depth: number, where: string, skip: string[] = []): boolean => {
    if (depth < 0 || value === null || typeof value !== "object") return true;
    let names: string[];
    try {
      names = propertyNames(value);
    } catch (e) {
      fail("exception", `listing the properties of ${where} threw: ${String((e as Error)?.message ?? e)}`);
      return false;
    }
    for (const name of names) {
      if (skip.includes(name)) continue;
      const { ok, value: child } = read(value, name, where);
      if (!ok) return false;
      if (typeof child === "object" && child !== null && !readAll(child, depth - 1, `${where}.${name}`)) return false;
    }
    if (typeof (value as any)[Symbol.iterator] === "function" && typeof value !== "string") {
      let index = 0;
      try {
        for (const item of value as Iterable<unknown>) {
          if (index++ >= cap) {
            fail("unbounded", `${where} lists more than ${cap} items`);
            return false;
          }
          if (!readAll(item, depth - 1, `${where}[${index - 1}]`)) return false;
        }
      } catch (e) {
        fail("exception", `iterating ${where} threw at item ${index - 1}: ${String((e as Error)?.message ?? e)}`);
        return false;
      }
    }
    return true;
  };

  let heaps: any;
  try {
    heaps = session.process.Heaps;
  } catch (e) {
    fail("exception", `@$curprocess.Heaps threw: ${String((e as Error)?.message ?? e)}`);
    return failures;
  }
  if (!readAll(heaps, 0, "Heaps")) return failures;
  let h = 0;
  let inconsistencies = 0;
  // The widest side's: 8 bytes where any heap is x64's.
  const spill = Math.max(...image.sides.map((side) => side.layout.off("_HEAP_ENTRY", "Size")));
  try {
    for (const heap of heaps) {
      const where = `Heaps[${h++}]`;
      if (!readAll(heap, 2, where, ["Blocks"])) continue;
      const { ok, value: blocks } = read(heap, "Blocks", where);
      if (!ok || blocks === null || typeof blocks !== "object") continue;
      let count = 0;
      try {
        for (const block of blocks as Iterable<any>) {
          if (count++ >= cap) {
            fail("unbounded", `${where}.Blocks lists more than ${cap} blocks (committed bytes ${size.committedBytes} / granularity ${image.granularity} + ${budget.BLOCKS_SLACK})`);
            break;
          }
          const at = `${where}.Blocks[${count - 1}]`;
          let broken = false;
          const fields: Record<string, unknown> = {};
          for (const name of propertyNames(block)) {
            const { ok: fine, value } = read(block, name, at);
            if (!fine) {
              broken = true;
              break;
            }
            fields[name] = value;
            if ((name === "Heap" || name === "Segment") && value !== null && typeof value === "object" && !read(value, "Address", `${at}.${name}`).ok) {
              broken = true;
              break;
            }
          }
          if (broken) break;
          const inconsistency = strict ? blockInconsistency(fields, spill) : undefined;
          if (inconsistency && inconsistencies++ < 3) fail("inconsistent", `${at}: ${inconsistency}`);
        }
      } catch (e) {
        fail("exception", `iterating ${where}.Blocks threw at block ${count - 1}: ${String((e as Error)?.message ?? e)}`);
      }
    }
  } catch (e) {
    fail("exception", `iterating Heaps threw at heap ${h}: ${String((e as Error)?.message ?? e)}`);
  }
  return failures;
}

export function runCase(options: CaseOptions): CaseResult {
  const started = performance.now();
  const seedOfCase = caseSeed(options.seed, options.caseNumber);
  const rng = new Rng(seedOfCase);
  const result: CaseResult = {
    seed: options.seed,
    caseNumber: options.caseNumber,
    caseSeed: seedOfCase,
    image: "",
    committedBytes: 0,
    dumpBytes: 0,
    structures: 0,
    mutations: [],
    commands: [],
    failures: [],
    reads: 0,
    bytes: 0,
    ms: 0,
    retainedBytes: 0,
    peakBytes: 0,
  };
  const finish = () => {
    result.ms = performance.now() - started;
    return result;
  };

  let image: FuzzImage;
  let target: TargetData;
  let dumpBytes: number;
  try {
    image = buildFuzzImage(rng, { layouts: options.layouts, kinds: options.kinds });
    result.kind = image.kind;
    result.image = image.description;
    result.structures = image.structures;
    const count = options.maxMutations <= 0 ? 0 : rng.weighted(([[1, 4], [2, 3], [3, 2], [4, 1], [6, 0.5], [8, 0.25]] as const).filter(([n]) => n <= options.maxMutations));
    result.mutations = mutate(image, rng, Math.min(count, options.maxMutations));
    options.progress?.({ mutations: result.mutations, image: result.image });
    const { dump, isfs } = image.write();
    dumpBytes = dump.length;
    target = targetFromDump(dump, Object.fromEntries(Object.entries(isfs).map(([key, isf]) => [key, parsedTypes(isf)])));
  } catch (e) {
    result.failures.push({ kind: "harness", command: "image", detail: String((e as Error)?.stack ?? e) });
    return finish();
  }
  result.dumpBytes = dumpBytes;
  result.committedBytes = target.regions.reduce((sum, r) => sum + r.bytes.length, 0);
  const size: budget.ImageSize = { committedBytes: result.committedBytes, structures: result.structures };
  const readBudget = budget.commandReadBudget(size);
  const bytesBudget = budget.commandBytesBudget(size);

  if (options.preciseMemory) gc();
  const baseline = heapBytes();
  let session: ScriptSession | undefined;
  try {
    options.progress?.({ command: "load" });
    session = ScriptSession.load(options.bundle ?? DEFAULT_BUNDLE, target);
  } catch (e) {
    result.failures.push({ kind: "exception", command: "load", detail: String((e as Error)?.message ?? e) });
    return finish();
  }
  if (image.setup) {
    // The debugger's command, not the extension's: where the host refuses it (the damage hid the
    // 32-bit side it switches to), the case runs in the view the dump opened in.
    const { output, error } = session.execute(image.setup);
    result.commands.push({ command: image.setup, reads: 0, bytes: 0, ms: 0, lines: 0, chars: 0, warnings: 0, excerpt: excerpt(error ?? output, 2) });
  }

  for (const command of commandLines(image, rng, session, result.mutations)) {
    options.progress?.({ command });
    session.resetCounters();
    const t0 = performance.now();
    let output = "";
    let failures: Failure[] = [];
    if (command === "dx walk") {
      failures = walkDx(session, image, size, options.strict ?? false);
    } else {
      try {
        const r = session.execute(command);
        output = r.output;
        if (r.error !== undefined && !indexPastTheEnd(command, r.error)) failures.push({ kind: "exception", command, detail: `escaped the extension: ${r.error}` });
      } catch (e) {
        failures.push({ kind: "exception", command, detail: `session.execute threw: ${String((e as Error)?.message ?? e)}` });
      }
      for (const line of internalErrors(command, output)) failures.push({ kind: "aborted", command, detail: line });
      for (const line of propertyErrors(output)) failures.push({ kind: "exception", command, detail: `a dx property read threw: ${line.trim()}` });
    }
    const ms = performance.now() - t0;
    const { memoryReads: reads, bytesRead: bytes } = session.counters;
    const lines = output === "" ? 0 : output.split("\n").length;
    const warnings = output.split("\n").filter((line) => line.startsWith("WARNING:")).length;
    const record: CommandRecord = { command, reads, bytes, ms, lines, chars: output.length, warnings };
    if (reads > readBudget) failures.push({ kind: "reads", command, detail: `${reads} memory reads, budget ${readBudget}` });
    if (bytes > bytesBudget) failures.push({ kind: "bytes", command, detail: `${bytes} bytes read, budget ${bytesBudget} (committed ${result.committedBytes})` });
    if (lines > budget.MAX_LINES || output.length > budget.MAX_CHARS) {
      failures.push({ kind: "output", command, detail: `${lines} lines, ${output.length} characters (bounds ${budget.MAX_LINES} lines, ${budget.MAX_CHARS} characters)` });
    }
    const external = heapBytes().external - baseline.external;
    result.peakBytes = Math.max(result.peakBytes, external);
    if (external > budget.peakMemoryBudget(dumpBytes)) {
      failures.push({ kind: "memory", command, detail: `external memory ${external} bytes over the baseline after the command, budget ${budget.peakMemoryBudget(dumpBytes)}` });
    }
    if (failures.length > 0 || options.verbose) record.excerpt = excerpt(output, failures.length > 0 ? 8 : 4);
    result.commands.push(record);
    result.failures.push(...failures);
    result.reads += reads;
    result.bytes += bytes;
  }

  const caseReads = budget.caseReadBudget(size);
  const caseBytes = budget.caseBytesBudget(size);
  if (result.reads > caseReads) result.failures.push({ kind: "reads", command: "case", detail: `${result.reads} memory reads in all, budget ${caseReads}` });
  if (result.bytes > caseBytes) result.failures.push({ kind: "bytes", command: "case", detail: `${result.bytes} bytes read in all, budget ${caseBytes}` });

  if (options.preciseMemory) gc();
  const after = heapBytes();
  result.retainedBytes = after.used + after.external - baseline.used - baseline.external;
  const retainedBudget = budget.retainedMemoryBudget(dumpBytes, options.preciseMemory ?? false);
  if (result.retainedBytes > retainedBudget) {
    const how = options.preciseMemory ? "after a full GC" : "without a GC (replay with --precise-memory for the exact figure)";
    result.failures.push({ kind: "memory", command: "case", detail: `${result.retainedBytes} bytes retained after the case ${how}, budget ${retainedBudget}` });
  }
  session.unload();
  finish();
  if (result.ms > budget.CASE_TIME_LIMIT_MS) result.failures.push({ kind: "time", command: "case", detail: `${Math.round(result.ms)} ms, limit ${budget.CASE_TIME_LIMIT_MS} ms` });
  return result;
}

export const DEFAULT_MAX_MUTATIONS = 4;

/** The replay command line of a case. */
export function replayLine(result: Pick<CaseResult, "seed" | "caseNumber">, config: Pick<FuzzConfig, "maxMutations" | "layouts" | "kinds" | "strict">): string {
  const mutations = config.maxMutations !== DEFAULT_MAX_MUTATIONS ? ` --mutations ${config.maxMutations}` : "";
  const layouts = config.layouts && config.layouts.length > 0 ? ` --layouts ${config.layouts.join(",")}` : "";
  const kinds = config.kinds && config.kinds.length > 0 ? ` --kinds ${config.kinds.join(",")}` : "";
  return `npm run fuzz -- --seed ${result.seed} --case ${result.caseNumber}${mutations}${layouts}${kinds}${config.strict ? " --strict" : ""} --verbose`;
}

/** A case's failures as the report prints them: seed, case, image, mutations, each failed command. */
export function formatFailure(result: CaseResult, config: Pick<FuzzConfig, "maxMutations" | "layouts" | "kinds" | "strict">): string {
  const lines = [
    `FAIL seed ${result.seed} case ${result.caseNumber} (case seed ${hex(result.caseSeed)}): ${result.image}`,
    `  replay: ${replayLine(result, config)}`,
    `  mutations:`,
    ...result.mutations.map((m) => `    ${describeMutation(m)}`),
  ];
  for (const failure of result.failures) {
    lines.push(`  [${failure.kind}] ${failure.command}: ${failure.detail}`);
  }
  const failed = new Set(result.failures.map((f) => f.command));
  for (const record of result.commands) {
    if (failed.has(record.command) && record.excerpt) {
      lines.push(`  output of ${record.command} (${record.lines} lines, ${record.reads} reads, ${record.bytes} bytes):`);
      lines.push(...record.excerpt.split("\n").map((l) => `    | ${l}`));
    }
  }
  return lines.join("\n");
}
