// ExecuteCommand('!address -f:MEM_COMMIT -c:".echo %1 %2"') answered from the dump's memory info,
// as the !address documentation shows -c working, and its two failure modes.
import * as fs from "fs";
import * as path from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { targetFromDump } from "../../nodehost/load";
import type { TargetData } from "../../nodehost/target";
import { writeMinidump } from "../writers/minidump";
import type { MinidumpSpec } from "../writers/minidump-spec";
import { TestMemory, x64Target } from "./targets";

const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';
const MEM_COMMIT = 0x1000;
const MEM_RESERVE = 0x2000;
const MEM_FREE = 0x10000;
const MEM_PRIVATE = 0x20000;
const MEM_IMAGE = 0x1000000;

function run(target: TargetData, options: HostOptions = {}, command = REGIONS_COMMAND): string[] {
  const runtime = new HostRuntime(target, NODE_REALM, options);
  runtime.phase = 2;
  return [...(runtime.host as any).namespace.Debugger.Utility.Control.ExecuteCommand(command)];
}

/** An x64 dump whose memory info has reserved, free, guard and image regions around committed ones. */
function dumpWithMemoryInfo(): TargetData {
  const ntdll = 0x7ffb_0000_0000n;
  const spec: MinidumpSpec = {
    arch: "x64",
    majorVersion: 10,
    minorVersion: 0,
    buildNumber: 19041,
    csdVersion: "",
    processId: 7,
    modules: [{ name: "C:\\Windows\\System32\\ntdll.dll", base: ntdll, size: 0x2000, timeDateStamp: 1, checksum: 2, version: [10, 0, 19041, 1] }],
    threads: [{ id: 1, teb: 0x7ff_0000_0000n, stackStart: 0x7ff_0000_0000n, stackSize: 0x100 }],
    memory: [
      { start: 0x1d0_0000_0000n, data: new Uint8Array(0x2000) },
      { start: 0x7ff_0000_0000n, data: new Uint8Array(0x1000) },
    ],
    memoryList: "memory64",
    memoryInfo: [
      { base: 0x1d0_0000_0000n, allocationBase: 0x1d0_0000_0000n, allocationProtect: 4, size: 0x2000n, state: MEM_COMMIT, protect: 4, type: MEM_PRIVATE },
      // Committed but PAGE_GUARD: listed by !address, though the dump could not read it.
      { base: 0x1d0_0000_2000n, allocationBase: 0x1d0_0000_0000n, allocationProtect: 4, size: 0x1000n, state: MEM_COMMIT, protect: 0x104, type: MEM_PRIVATE },
      { base: 0x1d0_0000_3000n, allocationBase: 0x1d0_0000_0000n, allocationProtect: 4, size: 0xd000n, state: MEM_RESERVE, protect: 0, type: MEM_PRIVATE },
      { base: 0x1d0_0001_0000n, allocationBase: 0n, allocationProtect: 0, size: 0x62e_ffff_0000n, state: MEM_FREE, protect: 1, type: 0 },
      { base: 0x7ff_0000_0000n, allocationBase: 0x7ff_0000_0000n, allocationProtect: 4, size: 0x1000n, state: MEM_COMMIT, protect: 4, type: MEM_PRIVATE },
      { base: ntdll, allocationBase: ntdll, allocationProtect: 0x80, size: 0x1000n, state: MEM_COMMIT, protect: 2, type: MEM_IMAGE },
    ],
  };
  const isf = { metadata: { format: "6.1.0" }, base_types: { pointer: { kind: "int", size: 8, signed: false, endian: "little" } }, user_types: {
    _TEB: { kind: "struct", size: 0x100, fields: { ProcessEnvironmentBlock: { offset: 0x60, type: { kind: "pointer", subtype: { kind: "base", name: "void" } } } } },
  }, enums: {}, symbols: {} };
  return targetFromDump(writeMinidump(spec), { ntdll: IsfTypes.parse(isf) });
}

describe("!address -f:MEM_COMMIT -c:\".echo %1 %2\" from the dump's memory info", () => {
  it("runs .echo once per committed region, announced by '*** Executing:', %1 = base and %2 = end, as 0x hex", () => {
    expect(run(dumpWithMemoryInfo())).toEqual([
      "*** Executing: .echo 0x1d000000000 0x1d000002000",
      "0x1d000000000 0x1d000002000",
      "*** Executing: .echo 0x1d000002000 0x1d000003000",
      "0x1d000002000 0x1d000003000",
      "*** Executing: .echo 0x7ff00000000 0x7ff00001000",
      "0x7ff00000000 0x7ff00001000",
      "*** Executing: .echo 0x7ffb00000000 0x7ffb00001000",
      "0x7ffb00000000 0x7ffb00001000",
    ]);
  });

  it("lists a committed region the dump holds no bytes of (a guard page), which a reader must expect to fail", () => {
    const target = dumpWithMemoryInfo();
    expect(run(target)).toContain("0x1d000002000 0x1d000003000");
    const runtime = new HostRuntime(target, NODE_REALM);
    runtime.phase = 2;
    expect(() => (runtime.host as any).memory.readMemoryValues(0x1d0_0000_2000, 1)).toThrow("Unable to read memory at Address 0x1d000002000");
  });

  it("prints nothing for a dump without memory info (Windows' notepad dumps have no MemoryInfoList)", () => {
    const dump = new Uint8Array(fs.readFileSync(path.join(__dirname, "..", "fixtures", "real-dumps", "notepad-small-32bit.dmp")));
    const isf = { metadata: { format: "6.1.0" }, base_types: { pointer: { kind: "int", size: 4, signed: false, endian: "little" } }, user_types: {
      _TEB: { kind: "struct", size: 0x100, fields: { ProcessEnvironmentBlock: { offset: 0x30, type: { kind: "pointer", subtype: { kind: "base", name: "void" } } } } },
    }, enums: {}, symbols: {} };
    const target = targetFromDump(dump, { ntdll: IsfTypes.parse(isf) });
    expect(target.regions.length).toBeGreaterThan(0);
    expect(run(target)).toEqual([]);
  });

  it("prints nothing when the session says so, even with memory info", () => {
    expect(run(dumpWithMemoryInfo(), { addressCommand: "empty" })).toEqual([]);
  });

  it("throws when the session says the command fails", () => {
    expect(() => run(dumpWithMemoryInfo(), { addressCommand: "throw" })).toThrow(`Unable to execute command '${REGIONS_COMMAND}'`);
  });

  it("throws, naming it, for a command the host does not know", () => {
    expect(() => run(x64Target(new TestMemory()), {}, "!address")).toThrow('ExecuteCommand does not support "!address"');
    expect(() => run(x64Target(new TestMemory()), {}, "lm")).toThrow('ExecuteCommand does not support "lm"');
  });

  it("is a host call", () => {
    const runtime = new HostRuntime(x64Target(new TestMemory().map(0x10000n, 0x1000)), NODE_REALM);
    runtime.phase = 2;
    (runtime.host as any).namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND);
    expect(runtime.counters.hostCalls).toBe(1);
  });
});
