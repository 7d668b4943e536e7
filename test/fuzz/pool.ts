// Runs fuzz cases in worker threads, so that a case that never ends or exhausts memory is
// stopped and reported instead of taking the run down: each worker has an old-generation limit
// (budget.WORKER_HEAP_MB) and each case a watchdog (budget.CASE_TIME_LIMIT_MS). A stopped worker
// is replaced and the run goes on. With workers = 0 the cases run in this thread (no watchdog).
import { join } from "path";
import { Worker } from "worker_threads";
import * as budget from "./budget";
import type { Mutation } from "./mutations";
import { type CaseResult, DEFAULT_BUNDLE, type FuzzConfig, runCase } from "./run-case";

/** What each worker is started with. */
export type WorkerConfig = FuzzConfig;

export interface WorkerRequest {
  caseNumber: number;
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "progress"; caseNumber: number; mutations?: Mutation[]; image?: string; command?: string }
  | { type: "result"; result: CaseResult };

export interface PoolOptions extends FuzzConfig {
  /** Worker threads; 0 runs in this thread. */
  workers: number;
  timeLimitMs?: number;
  onResult?: (result: CaseResult) => void;
}

/** Where a case stood when its worker had to be stopped. */
interface InFlight {
  caseNumber: number;
  started: number;
  mutations: Mutation[];
  image: string;
  command: string;
  timer?: NodeJS.Timeout;
}

function stoppedCase(options: PoolOptions, flight: InFlight, kind: "time" | "memory" | "harness", detail: string): CaseResult {
  return {
    seed: options.seed,
    caseNumber: flight.caseNumber,
    caseSeed: 0,
    image: flight.image,
    committedBytes: 0,
    dumpBytes: 0,
    structures: 0,
    mutations: flight.mutations,
    commands: [],
    failures: [{ kind, command: flight.command, detail }],
    reads: 0,
    bytes: 0,
    ms: performance.now() - flight.started,
    retainedBytes: 0,
    peakBytes: 0,
  };
}

export async function runCases(caseNumbers: readonly number[], options: PoolOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const record = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const config: WorkerConfig = {
    seed: options.seed,
    maxMutations: options.maxMutations,
    layouts: options.layouts,
    kinds: options.kinds,
    bundle: options.bundle ?? DEFAULT_BUNDLE,
    verbose: options.verbose ?? false,
    preciseMemory: options.preciseMemory ?? false,
    strict: options.strict ?? false,
  };

  if (options.workers <= 0) {
    for (const caseNumber of caseNumbers) record(runCase({ ...config, caseNumber }));
    return results;
  }

  const timeLimit = options.timeLimitMs ?? budget.CASE_TIME_LIMIT_MS;
  const queue = [...caseNumbers];
  const tsx = require.resolve("tsx/cjs/api");
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(join(__dirname, "worker.ts"))});`;

  await new Promise<void>((resolve, reject) => {
    let live = 0;
    const start = () => {
      if (queue.length === 0) {
        if (live === 0) resolve();
        return;
      }
      live++;
      const worker = new Worker(bootstrap, { eval: true, workerData: config, resourceLimits: { maxOldGenerationSizeMb: budget.WORKER_HEAP_MB } });
      let flight: InFlight | undefined;
      let done = false;
      const next = () => {
        const caseNumber = queue.shift();
        if (caseNumber === undefined) {
          finish();
          return;
        }
        flight = { caseNumber, started: performance.now(), mutations: [], image: "", command: "image" };
        const current = flight;
        current.timer = setTimeout(() => {
          record(stoppedCase(options, current, "time", `still running after ${timeLimit} ms: stopped`));
          flight = undefined;
          replace();
        }, timeLimit);
        worker.postMessage({ caseNumber } satisfies WorkerRequest);
      };
      const finish = () => {
        if (done) return;
        done = true;
        if (flight?.timer) clearTimeout(flight.timer);
        void worker.terminate();
        live--;
        if (queue.length === 0 && live === 0) resolve();
      };
      /** Stops this worker and starts another for the rest of the queue. */
      const replace = () => {
        finish();
        start();
      };
      worker.on("message", (reply: WorkerReply) => {
        if (reply.type === "ready") return next();
        if (!flight) return;
        if (reply.type === "progress") {
          if (reply.mutations) flight.mutations = reply.mutations;
          if (reply.image !== undefined) flight.image = reply.image;
          if (reply.command) flight.command = reply.command;
          return;
        }
        clearTimeout(flight.timer);
        flight = undefined;
        record(reply.result);
        next();
      });
      worker.on("error", (error: Error & { code?: string }) => {
        if (done) return;
        if (!flight) {
          finish();
          reject(error);
          return;
        }
        clearTimeout(flight.timer);
        const kind = error.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "harness";
        const detail = kind === "memory" ? `the worker ran out of memory (JS heap limit ${budget.WORKER_HEAP_MB} MiB): ${error.message}` : `the fuzz worker threw: ${error.stack ?? error.message}`;
        record(stoppedCase(options, flight, kind, detail));
        flight = undefined;
        replace();
      });
      worker.on("exit", () => {
        if (!done && flight) {
          clearTimeout(flight.timer);
          record(stoppedCase(options, flight, "harness", "the worker exited"));
          flight = undefined;
          replace();
        } else if (!done) {
          replace();
        }
      });
    };
    const count = Math.min(options.workers, queue.length);
    if (count === 0) resolve();
    for (let i = 0; i < count; i++) start();
  });
  return results.sort((a, b) => a.caseNumber - b.caseNumber);
}
