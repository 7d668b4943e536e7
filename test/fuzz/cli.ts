// npm run fuzz -- --cases N --seed S [--case K] [--mutations M] [--layouts x64-19041,...] [--kinds nt,...]
//                 [--workers W] [--time-limit MS] [--verbose] [--strict] [--precise-memory]
//                 [--bundle path] [--json file]
// Runs seeded corruption cases against the built bundle (dist/dxheap.js) and prints a summary;
// exits 1 when any case fails, 2 on a usage error. See test/fuzz/README.md.
import { writeFileSync } from "fs";
import { availableParallelism } from "os";
import { resolve } from "path";
import { runCases } from "./pool";
import { DEFAULT_BUNDLE, DEFAULT_MAX_MUTATIONS, formatFailure } from "./run-case";
import { commandName, summarize } from "./summary";
import { CASE_TIME_LIMIT_MS } from "./budget";
import type { ImageKind } from "./image";
import { KIND_NAMES, LAYOUT_NAMES } from "./kinds";
import { describeMutation } from "./mutations";

const USAGE = `usage: npm run fuzz -- [--cases N] [--seed S] [--case K] [--mutations M] [--layouts L,...] [--kinds K,...] [--workers W] [--time-limit MS] [--verbose] [--strict] [--precise-memory] [--bundle dist/dxheap.js] [--json out.json]
  --cases N          run cases 0..N-1 (default 200)
  --seed S           the run's seed (default: drawn and printed)
  --case K           run case K only (replays a failure: same seed, same K)
  --mutations M      at most M mutations per case, 1..M drawn (default ${DEFAULT_MAX_MUTATIONS}; 0: undamaged images, for calibration)
  --layouts L,...    draw images of these layouts only (${LAYOUT_NAMES.join(", ")}; default all)
  --kinds K,...      draw images of these kinds only (${KIND_NAMES.join(", ")}; default all, a quarter each)
  --workers W        worker threads (default: min(2, cores)); 0 runs in this thread without the watchdog
  --time-limit MS    stop a case still running after MS milliseconds (default ${CASE_TIME_LIMIT_MS})
  --verbose          print every case, every command's counters and output excerpt, and every failure in full
  --strict           also fail blocks whose UserAddress is before Address or whose busy user data runs past the block
  --precise-memory   a full GC around each case (exact retained memory; about 60 ms more per case)
  --bundle PATH      the bundle to load (default dist/dxheap.js)
  --json FILE        write every case's result as JSON`;

interface Args {
  cases: number;
  seed: number;
  caseNumber?: number;
  maxMutations: number;
  layouts?: string[];
  kinds?: ImageKind[];
  workers: number;
  timeLimitMs: number;
  verbose: boolean;
  preciseMemory: boolean;
  strict: boolean;
  bundle: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    cases: 200,
    seed: Math.floor(Math.random() * 0x7fffffff),
    maxMutations: DEFAULT_MAX_MUTATIONS,
    workers: Math.min(2, availableParallelism()),
    timeLimitMs: CASE_TIME_LIMIT_MS,
    verbose: false,
    preciseMemory: false,
    strict: false,
    bundle: DEFAULT_BUNDLE,
  };
  const integer = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${name} expects a non-negative integer, got ${value ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "--cases":
        args.cases = integer(arg, argv[++i]);
        break;
      case "--seed":
        args.seed = integer(arg, argv[++i]) >>> 0;
        break;
      case "--case":
        args.caseNumber = integer(arg, argv[++i]);
        break;
      case "--mutations":
        args.maxMutations = integer(arg, argv[++i]);
        break;
      case "--layouts": {
        const names = (argv[++i] ?? "").split(",").filter((n) => n !== "");
        const unknown = names.filter((n) => !LAYOUT_NAMES.includes(n));
        if (names.length === 0 || unknown.length > 0) throw new Error(`--layouts expects names among ${LAYOUT_NAMES.join(", ")}${unknown.length ? `, not ${unknown.join(", ")}` : ""}`);
        args.layouts = names;
        break;
      }
      case "--kinds": {
        const names = (argv[++i] ?? "").split(",").filter((n) => n !== "");
        const unknown = names.filter((n) => !KIND_NAMES.includes(n as ImageKind));
        if (names.length === 0 || unknown.length > 0) throw new Error(`--kinds expects names among ${KIND_NAMES.join(", ")}${unknown.length ? `, not ${unknown.join(", ")}` : ""}`);
        args.kinds = names as ImageKind[];
        break;
      }
      case "--workers":
        args.workers = integer(arg, argv[++i]);
        break;
      case "--time-limit":
        args.timeLimitMs = integer(arg, argv[++i]);
        break;
      case "--verbose":
        args.verbose = true;
        break;
      case "--strict":
        args.strict = true;
        break;
      case "--precise-memory":
        args.preciseMemory = true;
        break;
      case "--bundle":
        if (!argv[i + 1]) throw new Error("--bundle expects a path");
        args.bundle = resolve(argv[++i]);
        break;
      case "--json":
        if (!argv[i + 1]) throw new Error("--json expects a file name");
        args.json = resolve(argv[++i]);
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const caseNumbers = args.caseNumber !== undefined ? [args.caseNumber] : Array.from({ length: args.cases }, (_, i) => i);
  const workers = args.caseNumber !== undefined ? Math.min(args.workers, 1) : args.workers;
  const layouts = args.layouts ? `, layouts ${args.layouts.join(",")}` : "";
  const kinds = args.kinds ? `, kinds ${args.kinds.join(",")}` : "";
  console.log(`fuzz: seed ${args.seed}, ${caseNumbers.length} case${caseNumbers.length === 1 ? "" : "s"}${layouts}${kinds}, bundle ${args.bundle}`);
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let printedFailures = 0;
  const results = await runCases(caseNumbers, {
    seed: args.seed,
    maxMutations: args.maxMutations,
    layouts: args.layouts,
    kinds: args.kinds,
    bundle: args.bundle,
    verbose: args.verbose,
    preciseMemory: args.preciseMemory,
    strict: args.strict,
    workers,
    timeLimitMs: args.timeLimitMs,
    onResult: (result) => {
      done++;
      if (result.failures.length > 0) failed++;
      if (args.verbose) {
        console.log(`case ${result.caseNumber}: ${result.image}; ${result.reads} reads, ${result.bytes} bytes, ${result.ms.toFixed(0)} ms, committed ${result.committedBytes}, structures ${result.structures}`);
        for (const m of result.mutations) console.log(`  ${describeMutation(m)}`);
        for (const c of result.commands) {
          console.log(`  ${c.command}: ${c.reads} reads, ${c.bytes} bytes, ${c.lines} lines, ${c.chars} chars, ${c.ms.toFixed(1)} ms`);
          if (c.excerpt && caseNumbers.length === 1) console.log(c.excerpt.split("\n").map((l) => `    | ${l}`).join("\n"));
        }
      }
      // The first failures in full as they come; the summary names one example of every distinct failure.
      if (result.failures.length > 0 && (args.verbose || printedFailures < 5)) {
        printedFailures++;
        console.log(formatFailure(result, args));
      }
      if (!args.verbose && caseNumbers.length >= 100 && done % 100 === 0) {
        console.log(`  ${done}/${caseNumbers.length} cases, ${failed} failed, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
    },
  });
  const elapsed = performance.now() - started;
  console.log("");
  console.log(summarize(results, { seed: args.seed, maxMutations: args.maxMutations, layouts: args.layouts, kinds: args.kinds, strict: args.strict, workers, elapsedMs: elapsed, verbose: args.verbose }));
  if (args.json) {
    const plain = JSON.stringify(results, (_, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v), 1);
    writeFileSync(args.json, plain);
    console.log(`\nresults written to ${args.json}`);
  }
  const failedCommands = new Set(results.flatMap((r) => r.failures.map((f) => commandName(f.command))));
  if (failed > 0) console.log(`\n${failed} case${failed === 1 ? "" : "s"} failed (commands: ${[...failedCommands].join(", ")})`);
  else console.log("\nno failures");
  return failed > 0 ? 1 : 0;
}

main().then(
  (status) => process.exit(status),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
