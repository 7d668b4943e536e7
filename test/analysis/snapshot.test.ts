// Snapshots and their differences (src/analysis/snapshot.ts), on hand-built walks and snapshots:
// grouping by (stack, type, size), the group cap, the diff by group, stack, type and size, growthOf,
// the file's lines and the strict reader, and the store (src/analysis/snapshot-store.ts).
import { GroupSource } from "../../src/analysis/groups";
import {
  diffSnapshots, growthOf, MAX_SNAPSHOT_GROUPS, parseSnapshot, type Snapshot, type SnapshotGroup, snapshotLines, snapshotTotals, takeSnapshot,
} from "../../src/analysis/snapshot";
import { clearSnapshots, defaultSnapshotName, lastDiff, MAX_STORED_SNAPSHOTS, recordDiff, storedSnapshot, storedSnapshots, storeSnapshot } from "../../src/analysis/snapshot-store";
import { STATE_FREE, STATE_INTERNAL } from "../../src/heap/records";
import { StackResult } from "../../src/stacks/trace";
import { makeWalk } from "./heap-fixtures";

const A = ["ntdll!RtlAllocateHeap+0x3d", "app!Cache::Insert+0x2a", "app!main+0x10"];
const B = ["ntdll!RtlAllocateHeap+0x3d", "app!Loader::Read+0x8"];

const header = (name: string) => ({ name, takenAt: "2024-05-01T10:00:00.000Z", process: { name: "app.exe", id: 42 }, pointerSize: 8 as const, stacks: true });
const group = (stack: string[] | null, type: string | null, size: number, count: number, noStackReason?: string): SnapshotGroup => ({
  stack, ...(noStackReason !== undefined && { noStackReason }), type, size, count, bytes: count * size,
});
const snapshot = (name: string, groups: SnapshotGroup[]): Snapshot => ({ ...header(name), groups });

describe("takeSnapshot", () => {
  // Rows: busy blocks with their stack (frames by address) and type; a free and an internal block.
  const frames = { a: [0x1000, 0x2000, 0x3000], b: [0x1000, 0x4000] };
  const names: Record<number, string> = { 0x1000: A[0], 0x2000: A[1], 0x3000: A[2], 0x4000: B[1] };
  const rows: { size: number; stack: StackResult; type?: string; state?: number }[] = [
    { size: 0x48, stack: { frames: frames.a } },
    { size: 0x48, stack: { frames: frames.a } },
    { size: 0x48, stack: { frames: frames.a }, type: "Gadget" },
    { size: 0x60, stack: { frames: frames.a } },
    { size: 0x60, stack: { frames: [...frames.b] } },
    { size: 0x60, stack: { frames: [...frames.b] } },
    { size: 0x30, stack: { reason: "BeforeTracing", message: "" } },
    { size: 0x30, stack: { reason: "VirtualAllocNoTrace", message: "" } },
    { size: 0x30, stack: { reason: "BeforeTracing", message: "" } },
    { size: 0x500, stack: { reason: "BeforeTracing", message: "" }, state: STATE_FREE },
    { size: 0x500, stack: { reason: "BeforeTracing", message: "" }, state: STATE_INTERNAL },
  ];
  const walk = makeWalk({ address: 0x10000, rows: rows.map((r, i) => ({ address: 0x20000 + i * 0x1000, userAddress: 0x20010 + i * 0x1000, size: r.size + 0x10, userSize: r.size, ...(r.state !== undefined && { state: r.state }) })) });
  const named: number[] = [];
  const source: GroupSource = { walk, heap: 0, stack: (row) => rows[row].stack, typeName: (row) => rows[row].type };
  const frameName = (address: number) => (named.push(address), names[address]);

  it("counts busy blocks per stack (by name), type and size, largest bytes first; no stack keeps its reason", () => {
    const s = takeSnapshot(header("s"), [source], frameName);
    expect(s.groups).toEqual([
      group(B, null, 0x60, 2),
      group(A, null, 0x48, 2),
      group(null, null, 0x30, 2, "BeforeTracing"),
      group(A, null, 0x60, 1),
      group(A, "Gadget", 0x48, 1),
      group(null, null, 0x30, 1, "VirtualAllocNoTrace"),
    ]);
    expect(snapshotTotals(s)).toEqual({ blocks: 9, bytes: 2 * 0x60 + 2 * 0x48 + 3 * 0x30 + 0x60 + 0x48 });
    expect(s.omitted).toBeUndefined();
  });

  it("names each frames array once (the trace reader hands out one per record)", () => {
    named.length = 0;
    takeSnapshot(header("s"), [source], frameName);
    // frames.a once (3 names); the two copies of frames.b are distinct arrays: twice (2 names each).
    expect(named).toEqual([...frames.a, ...frames.b, ...frames.b]);
  });

  it("keeps at most maxGroups groups and counts the blocks of the others", () => {
    const s = takeSnapshot(header("s"), [source], frameName, 2);
    expect(s.groups).toEqual([group(A, null, 0x48, 2), group(A, "Gadget", 0x48, 1)]);
    expect(s.omitted).toEqual({ blocks: 6, bytes: 3 * 0x60 + 3 * 0x30 });
  });
});

describe("diffSnapshots", () => {
  const before = snapshot("before", [
    group(A, null, 0x48, 100),
    group(A, "Gadget", 0x48, 4),
    group(B, null, 0x60, 10),
    group(null, null, 0x30, 5, "BeforeTracing"),
    group(B, null, 0x10, 3),
  ]);
  const after = snapshot("after", [
    group(A, null, 0x48, 160),
    group(A, "Gadget", 0x48, 4),
    group(A, null, 0x200, 1),
    group(B, null, 0x60, 7),
    group(null, null, 0x30, 5, "BeforeTracing"),
    group(null, null, 0x30, 2, "VirtualAllocNoTrace"),
    group(B, null, 0x10, 3),
  ]);
  const diff = diffSnapshots(before, after);
  const delta = (c: { countBefore: number; countAfter: number; bytesBefore: number; bytesAfter: number }) => [c.countAfter - c.countBefore, c.bytesAfter - c.bytesBefore];

  it("by stack: equal stacks merged over types and sizes, blocks without one merged whatever the reason; unchanged left out; growth first", () => {
    expect(diff.byStack.map((c) => [c.stack, ...delta(c), c.sizes, c.types, c.noStackReasons])).toEqual([
      [A, 61, 60 * 0x48 + 0x200, [0x48, 0x200], [null], []],
      [null, 2, 2 * 0x30, [0x30], [null], ["BeforeTracing", "VirtualAllocNoTrace"]],
      [B, -3, -3 * 0x60, [0x60], [null], []],
    ]);
    expect(diff.byStack[0]).toMatchObject({ countBefore: 104, countAfter: 165, bytesBefore: 104 * 0x48, bytesAfter: 164 * 0x48 + 0x200 });
  });

  it("by type and by size", () => {
    expect(diff.byType.map((c) => [c.type, ...delta(c), c.sizes])).toEqual([[null, 60, 60 * 0x48 + 0x200 + 2 * 0x30 - 3 * 0x60, [0x30, 0x48, 0x60, 0x200]]]);
    expect(diff.bySize.map((c) => [c.size, ...delta(c)])).toEqual([
      [0x48, 60, 60 * 0x48],
      [0x200, 1, 0x200],
      [0x30, 2, 0x60],
      [0x60, -3, -0x120],
    ]);
  });

  it("totals, and growthOf each exact group: unchanged ones give 0, unknown ones undefined", () => {
    expect(delta(diff.total)).toEqual([60, 60 * 0x48 + 0x200 + 2 * 0x30 - 3 * 0x60]);
    expect(growthOf(diff, A, null, 0x48)).toEqual({ count: 60, bytes: 60 * 0x48 });
    expect(growthOf(diff, [...A], "Gadget", 0x48)).toEqual({ count: 0, bytes: 0 });
    expect(growthOf(diff, A, null, 0x200)).toEqual({ count: 1, bytes: 0x200 });
    expect(growthOf(diff, B, null, 0x60)).toEqual({ count: -3, bytes: -0x120 });
    expect(growthOf(diff, null, null, 0x30)).toEqual({ count: 2, bytes: 0x60 });
    expect(growthOf(diff, A.slice(1), null, 0x48)).toBeUndefined();
    expect(growthOf(diff, A, "Widget", 0x48)).toBeUndefined();
  });

  it("blocks that change type but not stack or size change ByType only", () => {
    const retyped = diffSnapshots(snapshot("a", [group(A, "Widget", 0x48, 2)]), snapshot("b", [group(A, "Gadget", 0x48, 2)]));
    expect([retyped.byStack, retyped.bySize]).toEqual([[], []]);
    expect(retyped.byType.map((c) => [c.type, ...delta(c)])).toEqual([["Gadget", 2, 0x90], ["Widget", -2, -0x90]]);
  });

  it("a snapshot against itself changes nothing", () => {
    const same = diffSnapshots(after, after);
    expect([same.byStack, same.byType, same.bySize]).toEqual([[], [], []]);
    expect(delta(same.total)).toEqual([0, 0]);
  });
});

describe("the file", () => {
  const s = snapshot("before", [group(A, "Gadget", 0x48, 3), group(null, null, 0x30, 2, "BeforeTracing"), group(["app!Größe+0x1"], null, 8, 1)]);
  const text = snapshotLines(s).join("\n");

  it("is JSON, a group per line, ASCII only, and reads back as the same snapshot", () => {
    expect(JSON.parse(text)).toEqual({ format: "dxheap-snapshot", version: 1, ...s });
    expect(snapshotLines(s)).toHaveLength(s.groups.length + 2);
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(parseSnapshot(text)).toEqual(s);
    const omitted = { ...s, omitted: { blocks: 5, bytes: 50 } };
    expect(parseSnapshot(snapshotLines(omitted).join("\n"))).toEqual(omitted);
  });

  const edited = (edit: (data: any) => void) => {
    const data = JSON.parse(text);
    edit(data);
    return JSON.stringify(data);
  };
  it.each([
    ["not JSON", "{", /^not JSON \(.*\); a file cut short reads so too$/],
    ["cut short", text.slice(0, text.length / 2), /^not JSON/],
    ["another format", edited((d) => (d.format = "umdh")), 'not a dxheap snapshot: its format is "umdh", not "dxheap-snapshot"'],
    ["another version", edited((d) => (d.version = 2)), "version 2 is not supported (this dxheap reads version 1)"],
    ["an array", "[]", "not a dxheap snapshot: the JSON is [], not an object"],
    ["a missing field", edited((d) => delete d.takenAt), "missing field takenAt"],
    ["an unknown field", edited((d) => (d.groups[1].extra = 1)), "unknown field groups[1].extra"],
    ["a bad pointer size", edited((d) => (d.pointerSize = 16)), "bad field pointerSize: expected 4 or 8, got 16"],
    ["a bad time", edited((d) => (d.takenAt = "yesterday")), 'bad field takenAt: expected an ISO 8601 time, got "yesterday"'],
    ["a negative count", edited((d) => (d.groups[0].count = -1)), "bad field groups[0].count: expected an integer of at least 1, got -1"],
    ["bytes that are not count * size", edited((d) => (d.groups[0].bytes = 7)), `bad field groups[0].bytes: expected count * size = ${3 * 0x48}, got 7`],
    ["an empty stack", edited((d) => (d.groups[0].stack = [])), "bad field groups[0].stack: expected null or 1 to 1024 frames, got []"],
    ["a frame with a line end", edited((d) => (d.groups[0].stack[1] = "a\nb")), 'bad field groups[0].stack[1]: expected a name without control characters, got "a\\nb"'],
    ["a reason beside a stack", edited((d) => (d.groups[0].noStackReason = "BeforeTracing")), "bad field groups[0].noStackReason: a group with a stack has no reason to lack one"],
    ["a group twice", edited((d) => d.groups.push(d.groups[0])), "bad field groups[3]: the same stack, type and size as groups[0]"],
    ["a string size", edited((d) => (d.groups[2].size = "8")), 'bad field groups[2].size: expected a non-negative integer, got "8"'],
  ])("refuses %s, in one line", (_, input, message) => {
    let error: Error | undefined;
    try {
      parseSnapshot(input);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeDefined();
    expect(error!.message).not.toContain("\n");
    if (typeof message === "string") expect(error!.message).toBe(message);
    else expect(error!.message).toMatch(message);
  });

  it("refuses more groups than a snapshot may hold, before reading them", () => {
    const many = `{"format":"dxheap-snapshot","version":1,"name":"n","takenAt":"2024-05-01T10:00:00Z","process":{"name":"a","id":1},"pointerSize":8,"stacks":false,"groups":[${"0,".repeat(MAX_SNAPSHOT_GROUPS)}0]}`;
    expect(() => parseSnapshot(many)).toThrow(`it holds ${MAX_SNAPSHOT_GROUPS + 1} groups, more than the ${MAX_SNAPSHOT_GROUPS} a snapshot may`);
  });
});

describe("the store", () => {
  beforeEach(() => clearSnapshots());

  it("names snapshots snap1, snap2, … skipping names in use; a name taken again replaces its snapshot, which becomes the newest", () => {
    expect(defaultSnapshotName()).toBe("snap1");
    storeSnapshot(snapshot("snap1", []));
    storeSnapshot(snapshot("snap3", []));
    expect(defaultSnapshotName()).toBe("snap4");
    storeSnapshot(snapshot("before", []));
    expect(storeSnapshot(snapshot("snap1", [group(A, null, 1, 1)]))).toEqual({ replaced: true, dropped: undefined });
    expect(storedSnapshots().map((s) => s.name)).toEqual(["snap3", "before", "snap1"]);
    expect(storedSnapshot("snap1")!.groups).toHaveLength(1);
    expect(storedSnapshot("nope")).toBeUndefined();
  });

  it(`keeps ${MAX_STORED_SNAPSHOTS} snapshots, dropping the oldest`, () => {
    for (let i = 1; i <= MAX_STORED_SNAPSHOTS; i++) expect(storeSnapshot(snapshot(defaultSnapshotName(), [])).dropped).toBeUndefined();
    expect(storeSnapshot(snapshot("one more", []))).toEqual({ replaced: false, dropped: "snap1" });
    expect(storedSnapshots()).toHaveLength(MAX_STORED_SNAPSHOTS);
  });

  it("holds the last diff until cleared; clearing restarts the names", () => {
    expect(lastDiff()).toBeUndefined();
    const diff = diffSnapshots(snapshot("a", []), snapshot("b", []));
    recordDiff(diff);
    storeSnapshot(snapshot(defaultSnapshotName(), []));
    expect(lastDiff()).toBe(diff);
    clearSnapshots();
    expect(lastDiff()).toBeUndefined();
    expect(storedSnapshots()).toEqual([]);
    expect(defaultSnapshotName()).toBe("snap1");
  });
});
