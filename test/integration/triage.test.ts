// !heaptriage against the triage images' truth (test/writers/images.ts TRIAGE_SHAPES, their
// suspects from test/writers/leaks.ts suspectOf): the planted leak ranks first on each shape (many
// small blocks from one stack, a VirtualAlloc'd giant, a leak hidden in an LFH bucket, and without
// stacks), with its blocks, stack or referrer, unreachable count and next command; the text says
// what the user reads first.
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { buildTriageImage, buildTriagePair, TRIAGE_PAIR, TRIAGE_SHAPES, type TriageImage } from "../writers/images";
import type { SuspectName, SuspectTruth } from "../writers/types";
import { BUNDLE, big } from "./harness";

function session(image: TriageImage): ScriptSession {
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  return ScriptSession.load(BUNDLE, targetFromDump(image.dump, types));
}

const sorted = (values: Iterable<bigint>) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const hex = (value: bigint) => "0x" + value.toString(16);

const CASES: [keyof typeof TRIAGE_SHAPES, SuspectName, "x64" | "x86"][] = [
  ["smallBlocks", "smallBlocks", "x64"],
  ["smallBlocks", "smallBlocks", "x86"],
  ["giant", "giant", "x64"],
  ["lfhBucket", "lfhBucket", "x64"],
  ["lfhBucket", "lfhBucket", "x86"],
  ["noStacks", "smallBlocks", "x64"],
];

describe.each(CASES)("triage image %s (%s), %s 19041", (shape, suspectName, arch) => {
  const image = buildTriageImage(arch, 19041, TRIAGE_SHAPES[shape]);
  const s = session(image);
  const planted: SuspectTruth = image.truth.triage.suspects[suspectName]!;
  const { value, output } = s.alias("heaptriage");
  const triage = value as any;
  const first = triage.Suspects[0];

  test("ranks the planted leak first: its blocks, size, bytes and how many nothing points to", () => {
    expect(sorted([...first.Blocks].map((b: any) => big(b.UserAddress))).map(hex)).toEqual(planted.blocks.map(hex));
    expect([Number(first.Count), Number(first.Size), Number(first.TotalBytes), Number(first.Unreachable)]).toEqual([planted.count, planted.userSize, planted.bytes, planted.unreachable]);
    expect(first.TypeName ?? undefined).toBe(planted.typeName);
    expect(first.Giant).toBe(planted.kind === "VirtualAlloc");
    expect(Number(first.Rank)).toBe(1);
  });

  test("names its allocation stack, or for a block without one, who holds it", () => {
    if (planted.stack) {
      expect([...first.Stack].map((f: any) => String(f.Symbol))).toEqual(planted.stack.symbols);
      expect(String(first.Next)).toBe(`!heapstack ${hex(planted.blocks[0])}`);
      expect(output).toContain(`    next: !heapstack ${hex(planted.blocks[0])}\n`);
    } else {
      expect(String(first.Next)).toBe(`!heapfind (${hex(planted.blocks[0])}, true)`);
    }
    if (planted.referrer) {
      const referrers = [...first.Referrers];
      expect(referrers.map((r: any) => [String(r.Kind), big(r.Location)])).toEqual([["Global", planted.referrer.location]]);
      expect(String(referrers[0].Description)).toBe(`${planted.referrer.symbol} (${hex(planted.referrer.location)})`);
      expect(output).toContain(`    held by: ${planted.referrer.symbol} (${hex(planted.referrer.location)})\n`);
    }
  });

  test("says at the top whether stacks are recorded, and how to record them when they are not", () => {
    const lines = output.split("\n");
    if (image.truth.triage.stacks) {
      expect(lines[1]).toMatch(/^Allocation stacks: on \(0x[0-9a-f]+ of 0x[0-9a-f]+ busy blocks have one\)\.$/);
    } else {
      expect(lines[1]).toBe('Allocation stacks: OFF: no busy block carries an allocation stack; run "gflags /i leaky.exe +ust" (Debugging Tools for Windows) and restart the program to record them.');
      expect(String(triage.Stacks)).toMatch(/^off: /);
    }
    expect(lines[0]).toMatch(/^Leak triage: \d+ heaps, 0x[0-9a-f]+ busy blocks holding 0x[0-9a-f]+ bytes\.$/);
    // The first screen holds the first suspect.
    expect(lines.slice(0, 50).some((line) => line.startsWith("#1  "))).toBe(true);
  });

  test("totals agree with the truth", () => {
    const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
    expect(Number(triage.BusyBlocks)).toBe(busy.length);
    expect(Number(triage.BusyBytes)).toBe(busy.reduce((n, b) => n + b.userSize, 0));
    expect(Number(triage.UnreachableBlocks)).toBe(busy.filter((b) => b.reachable === false).length);
    const scores = [...triage.Suspects].map((x: any) => Number(x.Score));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});

describe("triage after a diff (images.ts buildTriagePair: the later dump has more leaked blocks from one stack)", () => {
  const { earlier, later, growth } = buildTriagePair("x64", 19041, TRIAGE_PAIR.spec, TRIAGE_PAIR.later);
  const root = mkdtempSync(join(tmpdir(), "dxheap-triage-"));
  const open = (image: TriageImage) => {
    const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
    for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
    return ScriptSession.load(BUNDLE, targetFromDump(image.dump, types), { fileSystemRoot: root });
  };

  test("the leak's growth in the last diff joins its score and its line; other groups say they did not change", () => {
    expect(open(earlier).execute('!heapsnap ("before", "C:/before.json")').error).toBeUndefined();
    const s = open(later);
    const before = (s.alias("heaptriage").value as any).Suspects[0];
    expect(before.Growth).toBeNull();
    expect(s.execute('!heapdiff "C:/before.json"').error).toBeUndefined();
    const { value, output } = s.alias("heaptriage");
    const first = (value as any).Suspects[0];
    const leak = growth[0];
    expect([...first.Stack].map((f: any) => String(f.Symbol))).toEqual(leak.stack!.symbols);
    expect([Number(first.Growth.Count), Number(first.Growth.Bytes)]).toEqual([leak.count, leak.bytes]);
    expect(Number(first.Score)).toBe(Number(before.Score) + 2 * leak.bytes);
    expect(output).toContain(`Growth: from the last !heapdiff, before (leaky.exe) -> current (leaky.exe).\n`);
    expect(output).toContain(`, +0x${leak.count.toString(16)} blocks (+0x${leak.bytes.toString(16)} bytes) in the last diff\n`);
  });
});
