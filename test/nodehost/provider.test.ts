// What a loaded script sees of the provider's newer API: errors of its own realm, the indexable
// concept across the boundary, live sessions and resume, the file system, the access log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { HostOptions } from "../../nodehost/host";
import { Int64 } from "../../nodehost/int64";
import { ScriptSession } from "../../nodehost/session";
import { TestMemory, x64Target } from "./targets";

const HEAP = 0x1d0_0000_0000n;

const FIXTURE = String.raw`"use strict";
var __fixture = (function () {
    function kindOf(action) {
        try { action(); return "no error"; }
        catch (e) {
            return (e instanceof RangeError ? "RangeError" : e instanceof TypeError ? "TypeError" : e instanceof Error ? "Error" : "foreign") + ": " + e.message;
        }
    }
    function errors() {
        return [
            kindOf(function () { host.memory.readMemoryValues("0x10", 1); }),
            kindOf(function () { host.memory.readMemoryValues(0x10, -1); }),
            kindOf(function () { host.memory.readMemoryValues(0x10, 1, 3); }),
            kindOf(function () { host.memory.readMemoryValues(0x10, 1); }),
            kindOf(function () { return host.getModuleType("ntdll", "_HEAP").fields.Nope; })
        ];
    }
    class Grid {
        getDimensionality() { return 1; }
        getValueAt(i) { return i * 10; }
        *[Symbol.iterator]() { for (var i = 0; i < 3; i++) yield new host.indexedValue(i * 10, [i]); }
    }
    class Pairs {
        getDimensionality() { return 2; }
        getValueAt(i, j) { return i * 100 + j; }
    }
    class ProcessExtension {
        get Grid() { return new Grid(); }
        get Pairs() { return new Pairs(); }
    }
    function live() { return host.currentSession.Attributes.Target.IsLiveTarget; }
    function flags() { return host.createTypedObject(host.Int64(0, 0x1d0), "ntdll", "_HEAP").Flags; }
    function rsp() { return host.currentThread.Registers.User.rsp; }
    function save(path, text) {
        var system = host.namespace.Debugger.Utility.FileSystem;
        var file = system.CreateFile(path, "CreateAlways");
        system.CreateTextWriter(file, "Utf8").WriteLine(text);
        file.Close();
        var input = system.OpenFile(path);
        var back = system.CreateTextReader(input, "Utf8").ReadLine();
        input.Close();
        return back;
    }
    function initializeScript() {
        return [
            new host.apiVersionSupport(1, 3),
            new host.namedModelParent(ProcessExtension, "Debugger.Models.Process"),
            new host.functionAlias(errors, "errors"),
            new host.functionAlias(live, "live"),
            new host.functionAlias(flags, "flags"),
            new host.functionAlias(rsp, "rsp"),
            new host.functionAlias(save, "save")
        ];
    }
    return { initializeScript: initializeScript };
})();
function initializeScript() { return __fixture.initializeScript.apply(this, arguments); }
`;

const directory = mkdtempSync(join(tmpdir(), "nodehost-provider-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const FIXTURE_PATH = join(directory, "provider.js");
writeFileSync(FIXTURE_PATH, FIXTURE);

function load(options: HostOptions = {}): ScriptSession {
  const memory = new TestMemory().map(HEAP, 0x1000).u32(HEAP + 0x70n, 0x2);
  const target = x64Target(memory, {
    threads: [{ id: 0x10, teb: 0x7ff_0000_2000n, stackStart: 0x100_0000n, stackSize: 0x1000, registers: { rsp: 0x100_0f00n, rip: 0n } }],
  });
  return ScriptSession.load(FIXTURE_PATH, target, options);
}

describe("errors a script catches", () => {
  it("are of the script's own realm: TypeError and RangeError for bad arguments, Error for unreadable memory and unknown fields", () => {
    expect([...(load().alias("errors").value as string[])]).toEqual([
      "TypeError: expected an address (Int64, number, location or native object), got 0x10",
      "RangeError: readMemoryValues: the element count must be between 0 and 0xffffffff, got -1",
      "RangeError: readMemoryValues: the element size must be 1, 2, 4 or 8, got 3",
      "Error: Unable to read memory at Address 0x10",
      "Error: the type '_HEAP' has no field 'Nope'",
    ]);
  });

  it("carry the session's wording for unreadable memory", () => {
    const errors = load({ unreadableMemoryMessage: () => "Memory read error" }).alias("errors").value as string[];
    expect(errors[3]).toBe("Error: Memory read error");
  });
});

describe("the indexable concept across the boundary", () => {
  it("x[i] calls getValueAt on a one-dimensional indexable object", () => {
    const grid = load().process.Grid;
    expect(grid[2]).toBe(20);
    expect(grid[7]).toBe(70);
    expect(2 in grid).toBe(true);
    expect(grid.getDimensionality()).toBe(1);
    expect(grid.getValueAt(4)).toBe(40);
  });

  it("leaves multi-dimensional objects to getValueAt(i, j)", () => {
    const pairs = load().process.Pairs;
    expect(pairs[1]).toBeUndefined();
    expect(pairs.getValueAt(1, 2)).toBe(102);
  });

  it("dx shows the indices an iteration of indexedValue gives", () => {
    const session = load();
    expect(session.dx(session.process.Grid)).toBe("    [0x0] : 0x0\n    [0x1] : 0xa\n    [0x2] : 0x14");
  });
});

describe("live sessions", () => {
  it("a dump session says it is not live; a live one is, and resume changes what the script reads", () => {
    expect(load().alias("live").value).toBe(false);
    const session = load({ live: true });
    expect(session.alias("live").value).toBe(true);
    expect(session.alias("flags").value).toBe(2);
    expect(session.alias("rsp").value).toBe(Int64.of(0x100_0f00n));
    session.resume({ writes: [{ address: HEAP + 0x70n, bytes: Uint8Array.of(0x62) }], registers: [{ threadId: 0x10, values: { rsp: 0x100_0e00n } }] });
    expect(session.alias("flags").value).toBe(0x62);
    expect(session.alias("rsp").value).toBe(Int64.of(0x100_0e00n));
  });
});

describe("the file system", () => {
  it("saves and loads a file from a script, under the session's root", () => {
    const root = mkdtempSync(join(tmpdir(), "nodehost-provider-fs-"));
    try {
      const session = load({ fileSystemRoot: root });
      expect(session.alias("save", "C:\\snapshots\\heap.txt", "1d0 4 busy").value).toBe("1d0 4 busy");
      expect(readFileSync(join(root, "C", "snapshots", "heap.txt"), "utf8")).toBe("1d0 4 busy\r\n");
      expect(session.counters.hostCalls).toBe(4); // CreateFile, CreateTextWriter, OpenFile, CreateTextReader
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the access log", () => {
  it("lists the reads the script made, and resetCounters empties it", () => {
    const session = load({ logAccesses: true });
    session.alias("flags");
    expect(session.accessLog!.reads).toEqual([{ address: HEAP + 0x70n, length: 4 }]);
    session.resetCounters();
    expect(session.accessLog).toEqual({ reads: [], symbolLookups: [] });
    expect(session.counters.memoryReads).toBe(0);
  });
});
