// A small bundle shaped like dist/dxheap.js (an iife in a private "__" global plus a footer of
// global forwarding functions), loaded the way .scriptload loads it.
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { ScriptSession } from "../../nodehost/session";
import { Int64 } from "../../nodehost/int64";
import { TestMemory, x64Target } from "./targets";

const PEB = 0x7ff_0000_0000n;
const HEAP = 0x1d0_0000_0000n;
const HEAP2 = 0x1e0_0000_0000n;
const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';

const FIXTURE = String.raw`// fixture: shaped like the real bundle
"use strict";
var __fixture = (function () {
    var phaseOne = (function () {
        try { host.memory; return "host.memory was available"; }
        catch (e) { return e.message; }
    })();
    var pulled = 0;

    class Heap {
        constructor(address, index) { this.__address = address; this.Index = index; }
        get Address() { return this.__address; }
        get Flags() { return host.createTypedObject(this.__address, "ntdll", "_HEAP").Flags; }
        toString() { return "heap 0x" + this.__address.toString(16); }
    }

    class ProcessExtension {
        get Heaps() {
            var peb = this.Environment.EnvironmentBlock;
            var handles = host.memory.readMemoryValues(peb.ProcessHeaps, peb.NumberOfHeaps, 8);
            var heaps = [];
            for (var i = 0; i < handles.length; i++) heaps.push(new Heap(handles[i], i));
            return heaps;
        }
        get SeesItself() { return this === host.currentProcess ? this.Name : "another object"; }
        get Numbers() {
            return { *[Symbol.iterator]() { for (var i = 0; i < 1000; i++) { pulled++; yield i; } } };
        }
        get Indexed() {
            return { *[Symbol.iterator]() { yield new host.indexedValue("a", ["first"]); yield new host.indexedValue("b", [0x10]); } };
        }
        get Failing() {
            throw new Error("no heaps here");
        }
        describe() { return "a method"; }
    }

    function sum(a, b) {
        var total = host.Int64(a).add(b);
        host.diagnostics.debugLog("sum = ", total.toString(16), "\n");
        return total;
    }
    function pulledCount() { return pulled; }
    function globals() {
        return { names: Object.keys(globalThis), types: [typeof console, typeof require, typeof process, typeof setTimeout, typeof module] };
    }
    function command(text) { return host.namespace.Debugger.Utility.Control.ExecuteCommand(text); }
    function fail() {
        throw new Error("boom");
    }
    function typeError() { var nothing; return nothing.add(1); }
    function probe() { return phaseOne; }
    function scriptView() {
        var lines = command('${REGIONS_COMMAND}');
        var bytes = host.memory.readMemoryValues(host.currentProcess.Environment.EnvironmentBlock.address, 4);
        return {
            metadataSymbol: typeof Symbol.metadataDescriptor,
            numberMath: (5).add(3).compareTo(8),
            typedArray: bytes instanceof Uint8Array,
            firstLine: lines[0],
            lineCount: lines.Count(),
            moduleBase: host.currentProcess.Modules.getValueAt("ntdll").BaseAddress.toString(16),
            threadTeb: host.currentProcess.Threads.First().Environment.EnvironmentBlock.address.toString(16)
        };
    }

    function initializeScript() {
        host.diagnostics.debugLog("initializing\n");
        var gated;
        try { host.currentProcess; gated = "available"; } catch (e) { gated = "gated"; }
        phaseOne = phaseOne + " / initializeScript: " + gated;
        return [
            new host.apiVersionSupport(1, 3),
            new host.namedModelParent(ProcessExtension, "Debugger.Models.Process"),
            new host.functionAlias(sum, "sum"),
            new host.functionAlias(pulledCount, "pulled"),
            new host.functionAlias(globals, "globals"),
            new host.functionAlias(command, "command"),
            new host.functionAlias(fail, "fail"),
            new host.functionAlias(typeError, "typeError"),
            new host.functionAlias(probe, "probe"),
            new host.functionAlias(scriptView, "scriptView")
        ];
    }
    function uninitializeScript() {
        host.diagnostics.debugLog("bye\n");
    }
    return { initializeScript: initializeScript, uninitializeScript: uninitializeScript };
})();
function initializeScript() { return __fixture.initializeScript.apply(this, arguments); }
function uninitializeScript() { return __fixture.uninitializeScript.apply(this, arguments); }
`;

const directory = mkdtempSync(join(tmpdir(), "nodehost-"));

function writeScript(name: string, source: string): string {
  const path = join(directory, name);
  writeFileSync(path, source);
  return path;
}

const FIXTURE_PATH = writeScript("fixture.js", FIXTURE);

/** Line and column (1-based) of text in the fixture, as V8 reports a throw site. */
function positionOf(text: string): string {
  const lines = FIXTURE.split("\n");
  const line = lines.findIndex((l) => l.includes(text));
  return `line ${line + 1} col ${lines[line].indexOf(text) + 1}`;
}

function target() {
  const memory = new TestMemory().map(PEB, 0x3000).map(HEAP, 0x1000);
  memory.u32(PEB + 0xe8n, 2); // _PEB.NumberOfHeaps
  memory.u64(PEB + 0xf0n, PEB + 0x1000n); // _PEB.ProcessHeaps
  memory.u64(PEB + 0x1000n, HEAP);
  memory.u64(PEB + 0x1008n, HEAP2); // not mapped: its fields cannot be read
  memory.u32(HEAP + 0x70n, 0x4000_0062); // _HEAP.Flags
  return x64Target(memory);
}

function load(): ScriptSession {
  return ScriptSession.load(FIXTURE_PATH, target());
}

const big = (v: unknown) => Int64.bigintOf(v as Int64);

describe("ScriptSession.load", () => {
  it("runs the root code and initializeScript in phase 1: phase-2 members throw there", () => {
    const session = load();
    const { value } = session.alias("probe");
    expect(value).toMatch(/^host\.memory is not available yet.* \/ initializeScript: gated$/);
    expect(session.log).toBe("initializing\n");
  });

  it("gives the script a global with only host, the bundle object and the footer functions", () => {
    const { value } = load().alias("globals") as { value: any };
    expect([...value.names].sort()).toEqual(["__fixture", "host", "initializeScript", "uninitializeScript"]);
    expect([...value.types]).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"]);
  });

  it("bridges the global names into contents, without the private __ ones", () => {
    const contents = load().contents;
    expect(Object.keys(contents).sort()).toEqual(["host", "initializeScript", "uninitializeScript"]);
  });

  it("defines Symbol.metadataDescriptor, Number math, and hands out the script's own typed arrays", () => {
    const { value } = load().alias("scriptView") as { value: any };
    expect(value.metadataSymbol).toBe("symbol");
    expect(value.numberMath).toBe(0);
    expect(value.typedArray).toBe(true);
    expect(value.moduleBase).toBe("7ffb00000000");
    expect(value.threadTeb).toBe("7ff00002000");
  });

  it("fails the load when initializeScript returns something that is not a record", () => {
    const path = writeScript("bad-records.js", "function initializeScript() { return [42]; }\n");
    expect(() => ScriptSession.load(path, target())).toThrow("is not a registration record");
  });

  it("fails the load, with WinDbg's error text, when initializeScript touches a phase-2 member", () => {
    const path = writeScript("early.js", 'function initializeScript() {\n    return host.currentProcess.Name;\n}\n');
    expect(() => ScriptSession.load(path, target())).toThrow(
      /^Error: host\.currentProcess is not available yet.* \[at early \(line 2 col \d+\)\]$/,
    );
  });
});

describe("ScriptSession.process", () => {
  it("has the process's own properties", () => {
    const process = load().process;
    expect(process.Id).toBe(0x1234);
    expect(process.Name).toBe("leaky.exe");
    expect(big(process.Environment.EnvironmentBlock.address)).toBe(PEB);
    expect([...process.Modules].map((m: any) => m.Name)).toEqual(["leaky.exe", "ntdll.dll"]);
    expect(big(process.Modules.getValueAt("ntdll").BaseAddress)).toBe(0x7ffb_0000_0000n);
    expect(process.Threads.First().Id).toBe(0x4adc);
  });

  it("shows the parent model's getters, run with this = the process", () => {
    const process = load().process;
    expect(process.SeesItself).toBe("leaky.exe");
    const heaps = [...process.Heaps];
    expect(heaps.map((h: any) => big(h.Address))).toEqual([HEAP, HEAP2]);
    expect(heaps[0].Flags).toBe(0x4000_0062);
    expect(heaps[1].Index).toBe(1);
    expect(String(heaps[0])).toBe("heap 0x1d000000000");
  });

  it("hides __ names of script objects", () => {
    const heap = load().process.Heaps[0];
    expect(heap.__address).toBeUndefined();
    expect("__address" in heap).toBe(false);
    expect(Object.keys(heap)).toEqual(["Index"]);
  });

  it("gives iterables leaving the script LINQ: Where, Select, GroupBy, Count, First", () => {
    const session = load();
    const numbers = session.process.Numbers;
    expect(numbers.Where((x: number) => x % 2 === 1).Select((x: number) => x * 10).First()).toBe(10);
    expect(session.alias("pulled").value).toBe(2);
    expect([...numbers.Take(3)]).toEqual([0, 1, 2]);
    expect(session.alias("pulled").value).toBe(5);
    expect(numbers.Count()).toBe(1000);
    const groups = [...numbers.GroupBy((x: number) => x % 3)].map((g: any) => [g.Key, g.Count()]);
    expect(groups).toEqual([[0, 334], [1, 333], [2, 333]]);
    expect(session.process.Heaps.Where((h: any) => h.Index === 1).First().Address).toBe(Int64.of(HEAP2));
  });

  it("unwraps indexedValue items", () => {
    expect([...load().process.Indexed]).toEqual(["a", "b"]);
  });

  it("reports a script exception the way WinDbg renders it", () => {
    const session = load();
    expect(() => session.process.Failing).toThrow(`Error: no heaps here [at fixture (${positionOf('new Error("no heaps here")')})]`);
  });

  it("reports a failed memory read inside the script at the script's line", () => {
    const heap = load().process.Heaps[1];
    expect(() => heap.Flags).toThrow(/^Error: Unable to read memory at Address 0x1e000000070 \[at fixture \(line \d+ col \d+\)\]$/);
  });
});

describe("ScriptSession.alias", () => {
  it("passes dx arguments, returns the value and captures debugLog output", () => {
    const session = load();
    const { value, output } = session.alias("sum", session.int64(0x1_0000_0000n), 5);
    expect(value).toBe(Int64.of(0x1_0000_0005n));
    expect(output).toBe("sum = 100000005\n");
    expect(session.log).toBe("initializing\nsum = 100000005\n");
  });

  it("rethrows script errors with WinDbg's text, TypeErrors keeping their name", () => {
    const session = load();
    expect(() => session.alias("fail")).toThrow(`Error: boom [at fixture (${positionOf('new Error("boom")')})]`);
    expect(() => session.alias("typeError")).toThrow(
      `Error: TypeError: Cannot read properties of undefined (reading 'add') [at fixture (${positionOf("nothing.add(1)").replace(/col (\d+)/, (_, c) => `col ${Number(c) + 8}`)})]`,
    );
    expect(() => session.alias("nope")).toThrow("no function alias 'nope'");
  });
});

describe("ExecuteCommand", () => {
  it("prints each committed region as !address -c does: an '*** Executing:' line, then .echo's line, 0x addresses", () => {
    const lines = load().alias("command", REGIONS_COMMAND).value as any;
    expect([...lines]).toEqual([
      "*** Executing: .echo 0x1d000000000 0x1d000001000",
      "0x1d000000000 0x1d000001000",
      "*** Executing: .echo 0x7ff00000000 0x7ff00003000",
      "0x7ff00000000 0x7ff00003000",
    ]);
    expect(lines[1]).toBe("0x1d000000000 0x1d000001000");
    expect(lines.Count()).toBe(4);
    expect(lines.Where((l: string) => l.startsWith("0x7ff")).Count()).toBe(1);
  });

  it("answers inside the script too; x86 addresses are as short", () => {
    const { value } = load().alias("scriptView") as { value: any };
    expect(value.firstLine).toBe("*** Executing: .echo 0x1d000000000 0x1d000001000");
    expect(value.lineCount).toBe(4);
    const memory = new TestMemory().map(0x7ffe0000n, 0x1000);
    const x86 = ScriptSession.load(FIXTURE_PATH, { ...x64Target(memory), arch: "x86", pointerSize: 4 });
    expect([...(x86.alias("command", REGIONS_COMMAND).value as any)]).toEqual(["*** Executing: .echo 0x7ffe0000 0x7ffe1000", "0x7ffe0000 0x7ffe1000"]);
  });

  it("throws, naming the command, for any other command", () => {
    expect(() => load().alias("command", "!heap -s")).toThrow('ExecuteCommand does not support "!heap -s"');
  });
});

describe("ScriptSession.dx", () => {
  it("lists properties, hides methods and __ names, shows numbers in hex and strings quoted", () => {
    const session = load();
    const text = session.dx(session.process);
    const lines = text.split("\n");
    expect(lines[0]).toBe("leaky.exe");
    expect(lines).toContain("    Id : 0x1234");
    expect(lines).toContain('    Name : "leaky.exe"');
    expect(lines).toContain("    Modules");
    expect(lines).toContain('    SeesItself : "leaky.exe"');
    expect(lines).toContain(`    Failing : Error: no heaps here [at fixture (${positionOf('new Error("no heaps here")')})]`);
    expect(text).not.toContain("describe");
  });

  it("lists items as [0x0] with their display strings, children indented, errors in place", () => {
    const session = load();
    const text = session.dx(session.process.Heaps, 2);
    expect(text.split("\n").slice(0, 8)).toEqual([
      "    [0x0] : heap 0x1d000000000",
      "        Index : 0x0",
      "        Address : 0x1d000000000",
      "        Flags : 0x40000062",
      "    [0x1] : heap 0x1e000000000",
      "        Index : 0x1",
      "        Address : 0x1e000000000",
      expect.stringMatching(/^ {8}Flags : Error: Unable to read memory at Address 0x1e000000070 \[at fixture \(line \d+ col \d+\)\]$/),
    ]);
  });

  it("labels indexedValue items with their indices, and stops at the depth asked", () => {
    const session = load();
    expect(session.dx(session.process.Indexed)).toBe('    ["first"] : "a"\n    [0x10] : "b"');
    expect(session.dx(session.process, 0)).toBe("leaky.exe");
  });

  it("shows typed objects' fields", () => {
    const session = load();
    const text = session.dx(session.process.Environment.EnvironmentBlock);
    expect(text.split("\n")).toEqual(expect.arrayContaining(["[Type: _PEB]", "    NumberOfHeaps : 0x2", "    ProcessHeaps : 0x7ff00001000 [Type: void * *]"]));
  });
});

describe("ScriptSession.unload", () => {
  it("calls uninitializeScript and removes the registrations", () => {
    const session = load();
    expect(session.process.Heaps).toBeDefined();
    session.unload();
    expect(session.log.endsWith("bye\n")).toBe(true);
    expect(session.process.Heaps).toBeUndefined();
    expect(() => session.alias("sum", 1, 2)).toThrow("no function alias 'sum'");
  });
});

describe("counters", () => {
  it("count host calls, reads and typed objects, and reset", () => {
    const session = load();
    session.resetCounters();
    expect(session.counters).toEqual({ hostCalls: 0, memoryReads: 0, bytesRead: 0, typedObjectsCreated: 0, symbolLookups: 0 });
    void [...session.process.Heaps];
    // Typed: EnvironmentBlock (a _PEB) and its ProcessHeaps pointer. Reads: NumberOfHeaps (4 bytes),
    // the ProcessHeaps pointer (8), and one readMemoryValues of two handles (16), its only host call.
    expect(session.counters).toEqual({ hostCalls: 1, memoryReads: 3, bytesRead: 28, typedObjectsCreated: 2, symbolLookups: 0 });
  });
});
