// Allocation stacks at scale: the stacks of 100 000 blocks (images.ts buildTriageImage, a +ust
// process leaking 100 000 blocks from one stack among a few hundred others) cost one read per
// distinct trace record and one symbol look-up per distinct frame address (host counters).
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { buildTriageImage, TRIAGE_SHAPES } from "../writers/images";
import { BUNDLE } from "./harness";

const COUNT = 100_000;

test(`reading the stacks of ${COUNT} blocks reads each trace record once and names each frame address once`, () => {
  const image = buildTriageImage("x64", 19041, { ...TRIAGE_SHAPES.smallBlocks, smallBlocks: { request: 0x48, count: COUNT } });
  const types: Record<string, IsfTypes> = { ntdll: IsfTypes.parse(image.ntdllIsf) };
  for (const [name, isf] of Object.entries(image.moduleIsfs)) types[name] = IsfTypes.parse(isf);
  const s = ScriptSession.load(BUNDLE, targetFromDump(image.dump, types), { logAccesses: true });
  s.alias("heaps");
  s.resetCounters();
  const groups = [...s.process.Heaps.ByStack()];
  for (const group of groups) if (group.Stack.Reason === undefined) for (const frame of group.Stack) void frame.Symbol;

  const busy = image.truth.heaps.flatMap((h) => h.blocks).filter((b) => b.state === "Busy");
  const traced = busy.filter((b) => b.stack);
  expect(traced.length).toBeGreaterThan(COUNT);
  const records = new Set(traced.map((b) => b.stack!.frames.join(",")));
  const frames = new Set(traced.flatMap((b) => b.stack!.frames));
  expect(groups.length).toBe(records.size + new Set(busy.filter((b) => !b.stack).map((b) => b.noStack)).size);
  // Each distinct record read once, and PEB.NtGlobalFlag; no user data (types are not asked for).
  expect(s.counters.memoryReads).toBeLessThanOrEqual(records.size + 1);
  const lookups = s.accessLog!.symbolLookups;
  expect(new Set(lookups.map(String)).size).toBe(lookups.length);
  expect(lookups.length).toBeLessThanOrEqual(frames.size);
}, 180_000);
