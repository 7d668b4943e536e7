// Every command-line transcript in README.md prints today exactly what the README shows
// (tools/readme.ts rewrites them; this keeps the README true).
import * as fs from "fs";
import { README, runAll, transcripts } from "../../tools/readme";

const shown = transcripts(fs.readFileSync(README, "utf8"));

describe("README transcripts", () => {
  it("there are some, covering !commands, dx, --json and the errors", () => {
    const commands = shown.map((t) => t.commands.join("\n")).join("\n");
    for (const needed of ["!heaptriage", "!heaps", "!heapstat", "!heapfilter", "!heapfind", "!heapsearch", "!heapcheck", "!heapstack", "!heapstacks", "!heaptypes", "!heapleaks", "!heapsnap", "!heapdiff", ".effmach", "dx ", "--json", "nothing.dmp", "--types"]) {
      expect(commands).toContain(needed);
    }
  });

  it.each(shown.map((t) => [t.commands.join(" && "), t] as const))("%s", (_, t) => {
    expect(runAll(t.commands)).toBe(t.shown);
  });
});
