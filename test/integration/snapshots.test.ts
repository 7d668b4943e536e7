// !heapsnap and !heapdiff against the writers' growth truth (test/writers/leaks.ts growthBetween):
// the same process at two times (images.ts buildTriagePair, and the demo's two sample dumps), diffed
// from snapshots kept in memory (a live target that ran between them) and from files saved in one
// session and read in another, on the other dump (the cross-dump case); the defaults of the store;
// an image without stacks, by type and size; one-line errors for every bad argument and file.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { loadTarget, targetFromDump } from "../../nodehost/load";
import { type HostOptions } from "../../nodehost/host";
import { ScriptSession } from "../../nodehost/session";
import { type TargetData } from "../../nodehost/target";
import { buildTriagePair, TRIAGE_PAIR, TRIAGE_SHAPES, type LeakImage } from "../writers/images";
import { buildSample } from "../writers/sample";
import type { GrowthTruth, HeapTruth } from "../writers/types";
import { BUNDLE } from "./harness";

jest.setTimeout(120_000);

function targetOf(image: LeakImage): TargetData {
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  return targetFromDump(image.dump, types);
}

let root: string;
beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "dxheap-snapshots-"))));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function session(target: TargetData, options: HostOptions = {}): ScriptSession {
  return ScriptSession.load(BUNDLE, target, { fileSystemRoot: root, ...options });
}

/** A live session on `earlier` whose target then runs and stops as `later`: all its memory replaced, a thread moved. */
function liveSession(earlier: TargetData, later: TargetData): { s: ScriptSession; run: () => void } {
  const s = session(earlier, { live: true });
  const thread = earlier.threads.find((t) => t.registers)!;
  const pc = earlier.arch === "x64" ? "rip" : "eip";
  const run = () =>
    s.resume({
      unmap: earlier.regions.map((r) => ({ base: r.base, size: r.bytes.length })),
      map: later.regions.map((r) => ({ base: r.base, bytes: r.bytes })),
      registers: [{ threadId: thread.id, values: { [pc]: thread.registers![pc] + 1n } }],
    });
  return { s, run };
}

/** Per allocation stack as WinDbg names its frames ("" for the blocks without one): blocks and bytes gained. */
function truthByStack(growth: GrowthTruth[]): Map<string, { count: number; bytes: number }> {
  const out = new Map<string, { count: number; bytes: number }>();
  for (const g of growth) {
    const key = g.stack ? g.stack.symbols.join("\n") : "";
    const was = out.get(key) ?? { count: 0, bytes: 0 };
    out.set(key, { count: was.count + g.count, bytes: was.bytes + g.bytes });
  }
  for (const [key, g] of out) if (g.count === 0 && g.bytes === 0) out.delete(key);
  return out;
}

function diffByStack(diff: any): Map<string, { count: number; bytes: number }> {
  return new Map([...diff.ByStack].map((row: any) => [row.Stack === null ? "" : [...row.Stack].join("\n"), { count: Number(row.CountDelta), bytes: Number(row.BytesDelta) }]));
}

/** Busy blocks gained per requested size, from the truth. */
function truthBySize(before: HeapTruth[], after: HeapTruth[]): Map<number, { count: number; bytes: number }> {
  const out = new Map<number, { count: number; bytes: number }>();
  const tally = (heaps: HeapTruth[], sign: number) => {
    for (const b of heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy")) {
      const was = out.get(b.userSize) ?? { count: 0, bytes: 0 };
      out.set(b.userSize, { count: was.count + sign, bytes: was.bytes + sign * b.userSize });
    }
  };
  tally(before, -1);
  tally(after, 1);
  for (const [key, g] of out) if (g.count === 0) out.delete(key);
  return out;
}

function expectGrowthFirst(rows: any): void {
  const deltas = [...rows].map((r: any) => Number(r.BytesDelta));
  expect(deltas).toEqual([...deltas].sort((a, b) => b - a));
}

/** What a command printed, asserting it failed with exactly one line. */
function errorOf(s: ScriptSession, command: string): string {
  const { output, error } = s.execute(command);
  expect(error).toBeUndefined(); // the alias prints its error, it does not throw
  expect(output.split("\n")[0]).toMatch(/^Error: /);
  return output.split("\n")[0];
}

describe("x64 19041 triage pair: the same process later, with 600 more blocks from one stack", () => {
  const { earlier, later, growth } = buildTriagePair("x64", 19041, TRIAGE_PAIR.spec, TRIAGE_PAIR.later);
  const [before, after] = [targetOf(earlier), targetOf(later)];
  const expected = truthByStack(growth);
  const leak = later.truth.triage.suspects.smallBlocks!;
  const added = TRIAGE_PAIR.later.smallBlocks.count - TRIAGE_PAIR.spec.smallBlocks.count;

  test("the truth: the leak's stack grew the most, others churned both ways", () => {
    expect(growth[0]).toEqual({ stack: leak.stack, count: added, bytes: added * leak.userSize });
    expect([...expected.values()].some((g) => g.count < 0)).toBe(true);
  });

  test("in memory, across time: !heapsnap, the target runs, !heapsnap, !heapdiff gives the truth's growth per stack", () => {
    const { s, run } = liveSession(before, after);
    const taken = s.execute('!heapsnap "before"');
    expect(taken.output).toMatch(/^Snapshot before of leaky\.exe, pid 0x[0-9a-f]+: 0x[0-9a-f]+ busy blocks, .*The process records allocation stacks\./);
    // The snapshot as dx shows it: its groups add up, the leak is one group.
    const snapshot = taken.value as any;
    const busy = earlier.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    expect([Number(snapshot.Blocks), Number(snapshot.Bytes), snapshot.Stacks, Number(snapshot.PointerSize)]).toEqual([busy.length, busy.reduce((n, b) => n + b.userSize, 0), true, 8]);
    const groups = [...snapshot.Groups];
    expect(groups.reduce((n: number, g: any) => n + Number(g.Count), 0)).toBe(busy.length);
    const leakGroup = groups.find((g: any) => g.Stack !== null && [...g.Stack].join("\n") === leak.stack!.symbols.join("\n"));
    expect([leakGroup.TypeName, leakGroup.NoStackReason, Number(leakGroup.Size), Number(leakGroup.Count), Number(leakGroup.Bytes)]).toEqual([
      null, null, leak.userSize, TRIAGE_PAIR.spec.smallBlocks.count, TRIAGE_PAIR.spec.smallBlocks.count * leak.userSize,
    ]);
    run();
    s.execute("!heapsnap");
    const { value, output } = s.execute("!heapdiff");
    expect(diffByStack(value)).toEqual(expected);
    expectGrowthFirst((value as any).ByStack);
    expect(output.startsWith("Comparing before (leaky.exe, pid ")).toBe(true);
    expect(output).toContain(") with snap2 (leaky.exe, pid ");
    // The first stack printed is the leak's, its frames as the truth names them.
    const first = output.slice(output.indexOf("By allocation stack, largest growth first:\n")).split("\n").slice(1, 2 + leak.stack!.symbols.length);
    expect(first).toEqual([
      `+0x${added.toString(16)} blocks (0x${(TRIAGE_PAIR.spec.smallBlocks.count).toString(16)} -> 0x${leak.count.toString(16)}), +0x${(added * leak.userSize).toString(16)} bytes ` +
        `(0x${(TRIAGE_PAIR.spec.smallBlocks.count * leak.userSize).toString(16)} -> 0x${leak.bytes.toString(16)}), sizes 0x${leak.userSize.toString(16)}:`,
      ...leak.stack!.symbols.map((symbol) => "        " + symbol),
    ]);
    // The snapshot against the process now, and the exact group of the leak.
    const againstNow = s.alias("heapdiff", "before").value as any;
    expect(diffByStack(againstNow)).toEqual(expected);
    const top = againstNow.ByStack[0];
    expect([...top.Stack]).toEqual(leak.stack!.symbols);
    expect([Number(top.CountBefore), Number(top.CountAfter), Number(top.BytesBefore), Number(top.BytesAfter)]).toEqual([
      TRIAGE_PAIR.spec.smallBlocks.count, leak.count, TRIAGE_PAIR.spec.smallBlocks.count * leak.userSize, leak.bytes,
    ]);
    expect([...top.Sizes]).toEqual([leak.userSize]);
  });

  test("across dumps, through files: saved in a session on one dump, read in a session on the other", () => {
    const first = session(before);
    const saved = first.execute('!heapsnap ("before", "C:\\\\snaps\\\\pair-before.json")');
    expect(saved.output).toContain("Saved to C:\\snaps\\pair-before.json.");
    expect((saved.value as any).File).toBe("C:\\snaps\\pair-before.json");
    expect(fs.existsSync(path.join(root, "C", "snaps", "pair-before.json"))).toBe(true);

    const second = session(after);
    const diff = second.execute('!heapdiff "C:\\\\snaps\\\\pair-before.json"').value as any;
    expect(diffByStack(diff)).toEqual(expected);
    expect(String(diff.Before.File)).toBe("C:\\snaps\\pair-before.json");
    expect(String(diff.After.Name)).toBe("current");
    // Both saved, diffed in a third session that reads no heap: forward slashes work too.
    second.execute('!heapsnap "C:/snaps/pair-after.json"');
    const third = session(before);
    const files = third.execute('dx @$heapdiff("C:/snaps/pair-before.json", "C:/snaps/pair-after.json")');
    expect(diffByStack(files.value)).toEqual(expected);
    expect(files.output).toContain("Comparing before (C:/snaps/pair-before.json; leaky.exe, pid ");
    expect(files.output).toContain(") with snap1 (C:/snaps/pair-after.json; leaky.exe, pid ");
    expect(third.counters.memoryReads).toBe(0);
  });

  test("the defaults: the last two snapshots; with one, it and the current process; with none, a one-line error", () => {
    const s = session(before);
    expect(errorOf(s, "!heapdiff")).toBe("Error: heapdiff: expected two snapshots to compare: none was taken yet (take one with !heapsnap, or name files)");
    s.execute("!heapsnap");
    expect(s.execute("!heapdiff").output).toMatch(/^Comparing snap1 \(.*\) with current \(.*\):\n0x0 blocks \(0x[0-9a-f]+ -> 0x[0-9a-f]+\), 0x0 bytes .*\nNo busy block changed\.\n/);
    s.execute('!heapsnap "mid"');
    s.execute("!heapsnap");
    expect(s.execute("!heapdiff").output.split("\n")[0]).toMatch(/^Comparing mid \(.*\) with snap3 \(/);
    expect(s.execute('!heapdiff "snap1"').output.split("\n")[0]).toMatch(/^Comparing snap1 \(.*\) with current \(/);
    // Taking a name again replaces that snapshot, which becomes the newest.
    expect(s.execute('!heapsnap "mid"').output).toContain("It replaces the earlier snapshot mid.");
    expect(s.execute("!heapdiff").output.split("\n")[0]).toMatch(/^Comparing snap3 \(.*\) with mid \(/);
    // The store lives as long as the script: unloading clears it.
    s.unload();
    const reloaded = session(before);
    expect(errorOf(reloaded, '!heapdiff "mid"')).toBe('Error: heapdiff: expected a file (a path ending in .json, or holding \\ or /) or "current", got "mid": no snapshot was taken yet');
  });

  test("what it costs: no more than !heapstacks and !heaptypes together, whose caches it shares; each address named once", () => {
    const s = session(before, { logAccesses: true });
    s.execute("!heapsnap");
    const busy = earlier.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    const lookups = s.accessLog!.symbolLookups;
    expect(new Set(lookups).size).toBe(lookups.length);
    for (const frame of new Set(busy.filter((b) => b.stack).flatMap((b) => b.stack!.frames))) expect(lookups).toContain(frame);
    const grouped = session(before);
    grouped.execute("!heapstacks (0, 0x10000)");
    grouped.execute("!heaptypes");
    expect(s.counters.memoryReads).toBeLessThanOrEqual(grouped.counters.memoryReads);
    grouped.resetCounters();
    grouped.execute("!heapsnap");
    grouped.execute('!heapdiff ("snap1", "current")');
    expect([grouped.counters.memoryReads, grouped.counters.symbolLookups]).toEqual([0, 0]);
  });

  test("a row limit, and the note that says where the rest is", () => {
    const s = session(after);
    s.execute("!heapsnap");
    s.execute(`!heapsnap "C:\\\\snaps\\\\limit.json"`);
    const { output } = session(before).execute('!heapdiff ("current", "C:\\\\snaps\\\\limit.json", 1)');
    expect(output).toMatch(/\n\.\.\. \d+ more stacks; use dx @\$heapdiff\("current", "C:\\\\snaps\\\\limit\.json"\)\.ByStack to query them all\n/);
    expect(output).toMatch(/\n\.\.\. \d+ more sizes; use dx @\$heapdiff\("current", "C:\\\\snaps\\\\limit\.json"\)\.BySize to query them all\n/);
    expect(output.split("\n").filter((l) => /^[+-]0x[0-9a-f]+ blocks .*, sizes /.test(l))).toHaveLength(1);
  });
});

describe("the demo's sample dumps: leaky-x64.dmp and leaky-x64-later.dmp", () => {
  const sample = buildSample();
  const dumps = path.join(__dirname, "..", "..", "samples");

  test("a snapshot of the first, saved, diffed on the second: the truth's growth per stack", () => {
    const first = session(loadTarget(path.join(dumps, "leaky-x64.dmp")));
    first.execute('!heapsnap "C:\\\\sample-before.json"');
    const second = session(loadTarget(path.join(dumps, "leaky-x64-later.dmp")));
    const diff = second.alias("heapdiff", "C:\\sample-before.json").value as any;
    expect(diffByStack(diff)).toEqual(truthByStack(sample.growth));
    expect([...diff.ByStack[0].Stack]).toEqual(sample.later.truth.triage.suspects.smallBlocks!.stack!.symbols);
  });
});

describe("x64 19041 without stacks: the pair diffs by type and size", () => {
  const spec = TRIAGE_SHAPES.noStacks;
  const { earlier, later } = buildTriagePair("x64", 19041, spec, { smallBlocks: { request: spec.smallBlocks.request, count: spec.smallBlocks.count + 300 } });

  test("every size's change is the truth's; one type row (no class) and one stack row (no stack), and a note", () => {
    const { s, run } = liveSession(targetOf(earlier), targetOf(later));
    expect(s.execute("!heapsnap").output).toContain("The process records no allocation stacks (turn them on with gflags /i <program>.exe +ust and run it again)");
    run();
    const { value, output } = s.execute('!heapdiff "snap1"');
    const diff = value as any;
    const bySize = new Map([...diff.BySize].map((r: any) => [Number(r.Size), { count: Number(r.CountDelta), bytes: Number(r.BytesDelta) }]));
    const expected = truthBySize(earlier.truth.heaps, later.truth.heaps);
    expect(bySize).toEqual(expected);
    expect(expected.get(spec.smallBlocks.request)).toEqual({ count: 300, bytes: 300 * spec.smallBlocks.request });
    expectGrowthFirst(diff.BySize);
    const total = [...expected.values()].reduce((n, g) => ({ count: n.count + g.count, bytes: n.bytes + g.bytes }), { count: 0, bytes: 0 });
    expect([...diff.ByType].map((r: any) => [r.TypeName, Number(r.CountDelta), Number(r.BytesDelta)])).toEqual([[null, total.count, total.bytes]]);
    expect([...diff.ByStack].map((r: any) => [r.Stack, [...r.NoStackReasons]])).toEqual([[null, ["TraceDatabaseOff"]]]);
    expect([Number(diff.CountDelta), Number(diff.BytesDelta)]).toEqual([total.count, total.bytes]);
    expect(output).toContain("Note: neither records allocation stacks: compare the types and sizes.\n");
    expect(output).toContain(`: no stack (TraceDatabaseOff)\n`);
  });
});

describe("one-line errors", () => {
  const image = buildTriagePair("x64", 19041, TRIAGE_PAIR.spec, TRIAGE_PAIR.later).earlier;
  const target = targetOf(image);
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.join(root, "C", "bad"), { recursive: true });
    fs.writeFileSync(path.join(root, "C", "bad", name), text);
  };

  test("files that are missing, not JSON, of another version, or cut short", () => {
    const s = session(target);
    s.execute('!heapsnap "C:\\\\bad\\\\good.json"');
    const good = fs.readFileSync(path.join(root, "C", "bad", "good.json"), "latin1");
    write("garbage.json", "this is no snapshot\n");
    write("v2.json", good.replace('"version":1', '"version":2'));
    write("cut.json", good.slice(0, Math.floor(good.length / 2)));
    write("counts.json", good.replace(/"count":(\d+)/, '"count":-$1'));
    expect(errorOf(s, '!heapdiff "C:\\\\bad\\\\missing.json"')).toBe("Error: heapdiff: cannot open C:\\bad\\missing.json: no such file");
    expect(errorOf(s, '!heapdiff "C:\\\\bad\\\\garbage.json"')).toMatch(/^Error: heapdiff: C:\\bad\\garbage\.json is not a snapshot dxheap reads: not JSON \(.+\); a file cut short reads so too$/);
    expect(errorOf(s, '!heapdiff "C:\\\\bad\\\\v2.json"')).toBe("Error: heapdiff: C:\\bad\\v2.json is not a snapshot dxheap reads: version 2 is not supported (this dxheap reads version 1)");
    expect(errorOf(s, '!heapdiff "C:\\\\bad\\\\cut.json"')).toMatch(/^Error: heapdiff: C:\\bad\\cut\.json is not a snapshot dxheap reads: not JSON \(.+\); a file cut short reads so too$/);
    expect(errorOf(s, '!heapdiff ("C:\\\\bad\\\\good.json", "C:\\\\bad\\\\counts.json")')).toMatch(/^Error: heapdiff: C:\\bad\\counts\.json is not a snapshot dxheap reads: bad field groups\[0\]\.count: expected an integer of at least 1, got -\d+$/);
    expect(s.execute('!heapdiff "C:\\\\bad\\\\good.json"').error).toBeUndefined();
  });

  test("a file that cannot be written: nothing is kept; a session without a file system says so", () => {
    const s = session(target);
    expect(errorOf(s, '!heapsnap ("kept", "C:\\\\..\\\\out.json")')).toMatch(/^Error: heapsnap: cannot create C:\\\.\.\\out\.json: .*leaves its drive; the snapshot was not kept$/);
    expect(errorOf(s, '!heapdiff "kept"')).toMatch(/^Error: heapdiff: expected a file .* or "current", got "kept": no snapshot was taken yet$/);
    s.execute('!heapsnap "x"');
    expect(errorOf(s, '!heapdiff "kept"')).toBe('Error: heapdiff: expected a snapshot taken (x), a file (a path ending in .json, or holding \\ or /) or "current", got "kept"');
    const without = ScriptSession.load(BUNDLE, target);
    expect(errorOf(without, '!heapsnap "C:\\\\x.json"')).toMatch(/^Error: heapsnap: cannot create C:\\x\.json: .*no file system/);
  });

  test.each([
    ["!heapsnap 5", "Error: heapsnap: expected a snapshot name or a file (a path ending in .json), got 5"],
    ['!heapsnap "current"', 'Error: heapsnap: expected a snapshot name other than "current", which names the process as it is now'],
    ['!heapsnap ("a", "b")', 'Error: heapsnap: expected a file (a path ending in .json, or holding \\ or /), got "b"'],
    ['!heapsnap ("a.json", "b.json")', 'Error: heapsnap: expected a snapshot name (1 to 256 printable characters, not ending in .json, without \\ or /), got "a.json"'],
    ['!heapsnap ""', 'Error: heapsnap: expected a snapshot name (1 to 256 printable characters, not ending in .json, without \\ or /), got ""'],
    ['!heapsnap ("a", "b.json", 1)', "Error: heapsnap: expected at most 2 arguments, got 3"],
    ["!heapdiff 1", 'Error: heapdiff: expected a snapshot name, a file (a path ending in .json) or "current", got 1'],
    ['!heapdiff ("current", "current", 0)', "Error: heapdiff: expected a row count of at least 1, got 0"],
    ['!heapdiff "nope"', 'Error: heapdiff: expected a file (a path ending in .json, or holding \\ or /) or "current", got "nope": no snapshot was taken yet'],
  ])("%s", (command, message) => {
    expect(errorOf(session(target), command)).toBe(message);
  });
});
