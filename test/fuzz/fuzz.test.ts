// The corruption fuzzer in the test suite: a fixed seed, 400 cases on two worker threads (about
// 20 s on the idle 2-core machine, 40 s when it is busy), a quarter each of NT, segment-heap,
// page-heap and WOW64 images, every command and the full dx walk on each damaged image, held to
// the budgets of test/fuzz/budget.ts. A failure names the case and its replay line
// (npm run fuzz -- --seed S --case K --verbose). See test/fuzz/README.md.
import { createHash } from "crypto";
import { buildFuzzImage, mutate } from "./kinds";
import { describeMutation } from "./mutations";
import { runCases } from "./pool";
import { Rng, caseSeed } from "./random";
import { DEFAULT_MAX_MUTATIONS, formatFailure } from "./run-case";
import { summarize } from "./summary";

/** The suite's run: change the seed to explore, the count to fit the time budget. */
const SEED = 20240601;
const CASES = 400;
const WORKERS = 2;
/** The watchdog: a case takes well under a second; one still running after this is stopped and fails as "time". */
const TIME_LIMIT_MS = 10_000;

describe("corruption fuzzer", () => {
  it("is deterministic: a seed and a case number give the same image, mutations and dump", () => {
    const draw = (caseNumber: number) => {
      const rng = new Rng(caseSeed(SEED, caseNumber));
      const image = buildFuzzImage(rng);
      const mutations = mutate(image, rng, 4).map(describeMutation);
      const dump = createHash("sha256").update(image.write().dump).digest("hex");
      return { mutations, dump };
    };
    // A segment-heap, an NT, a WOW64 and a page-heap image.
    for (const caseNumber of [0, 7, 10, 123]) {
      const first = draw(caseNumber);
      expect(first.mutations.length).toBe(4);
      expect(draw(caseNumber)).toEqual(first);
    }
    expect(draw(1)).not.toEqual(draw(2));
  });

  it(`${CASES} damaged images (seed ${SEED}): no exception escapes, reads, bytes, output and memory stay within budget`, async () => {
    const started = performance.now();
    const caseNumbers = Array.from({ length: CASES }, (_, i) => i);
    const results = await runCases(caseNumbers, { seed: SEED, maxMutations: DEFAULT_MAX_MUTATIONS, workers: WORKERS, timeLimitMs: TIME_LIMIT_MS });
    const failed = results.filter((r) => r.failures.length > 0);
    if (failed.length > 0) {
      const summary = summarize(results, { seed: SEED, maxMutations: DEFAULT_MAX_MUTATIONS, workers: WORKERS, elapsedMs: performance.now() - started });
      const examples = failed.slice(0, 3).map((r) => formatFailure(r, { maxMutations: DEFAULT_MAX_MUTATIONS }));
      throw new Error(`${failed.length} of ${CASES} fuzz cases failed\n\n${summary}\n\nfirst failing cases:\n${examples.join("\n\n")}`);
    }
    expect(results.length).toBe(CASES);
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(["nt", "segment", "page", "wow64"]));
  }, 240_000);
});
