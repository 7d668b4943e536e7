// Threads as the data model gives them: Id, Environment.EnvironmentBlock, and Registers.User from
// the thread's CONTEXT in the dump (written by test/writers/minidump.ts, read by the loader).
import { IsfTypes } from "../../nodehost/formats/isf";
import { HostRuntime, NODE_REALM } from "../../nodehost/host";
import { Int64 } from "../../nodehost/int64";
import { targetFromDump } from "../../nodehost/load";
import { writeMinidump } from "../writers/minidump";
import type { MinidumpSpec } from "../writers/minidump-spec";

const big = (v: unknown) => Int64.bigintOf(v as Int64);

const X64 = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "efl", "cs", "ds", "es", "fs", "gs", "ss"];
const X86 = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "efl", "cs", "ds", "es", "fs", "gs", "ss"];

/** Registers of arch: rsp/esp = stack, rip/eip = ip, every other one its index. */
function registers(arch: "x86" | "x64", stack: bigint, ip: bigint): Record<string, bigint> {
  const names = arch === "x64" ? X64 : X86;
  const values: Record<string, bigint> = Object.fromEntries(names.map((name, i) => [name, BigInt(i + 1)]));
  values[arch === "x64" ? "rsp" : "esp"] = stack;
  values[arch === "x64" ? "rip" : "eip"] = ip;
  return values;
}

/** Two threads, the first with a CONTEXT, the second without; ntdll types enough to find the PEB. */
function host(arch: "x86" | "x64") {
  const pointerSize = arch === "x64" ? 8 : 4;
  const pebField = arch === "x64" ? 0x60 : 0x30;
  const teb = 0x7ffd_e000n;
  const tebBytes = new Uint8Array(0x2000);
  new DataView(tebBytes.buffer).setUint32(pebField, 0x7ffd_0000, true);
  const spec: MinidumpSpec = {
    arch,
    majorVersion: 10,
    minorVersion: 0,
    buildNumber: 19041,
    csdVersion: "",
    processId: 9,
    modules: [{ name: "C:\\Windows\\System32\\ntdll.dll", base: 0x7760_0000n, size: 0x1f_8000, timeDateStamp: 1, checksum: 2, version: [10, 0, 19041, 1] }],
    threads: [
      { id: 0x1a2c, teb, stackStart: 0x12_f000n, stackSize: 0x1000, registers: registers(arch, 0x12_f7c8n, 0x7760_1234n) },
      { id: 0x1a30, teb: teb + 0x1000n, stackStart: 0x12_f000n, stackSize: 0x1000 },
    ],
    memory: [
      { start: 0x12_f000n, data: new Uint8Array(0x1000) },
      { start: teb, data: tebBytes },
    ],
    memoryList: "memory",
  };
  const isf = {
    metadata: { format: "6.1.0" },
    base_types: { pointer: { kind: "int", size: pointerSize, signed: false, endian: "little" } },
    user_types: {
      _TEB: { kind: "struct", size: 0x1000, fields: { ProcessEnvironmentBlock: { offset: pebField, type: { kind: "pointer", subtype: { kind: "struct", name: "_PEB" } } } } },
      _PEB: { kind: "struct", size: 0x10, fields: {} },
    },
    enums: {},
    symbols: {},
  };
  const runtime = new HostRuntime(targetFromDump(writeMinidump(spec), { ntdll: IsfTypes.parse(isf) }), NODE_REALM);
  runtime.phase = 2;
  return runtime.host as any;
}

describe.each(["x64", "x86"] as const)("threads of an %s dump", (arch) => {
  it("have their Id and their TEB as Environment.EnvironmentBlock", () => {
    const threads = [...host(arch).currentProcess.Threads];
    expect(threads.map((t: any) => t.Id)).toEqual([0x1a2c, 0x1a30]);
    expect(big(threads[1].Environment.EnvironmentBlock.address)).toBe(0x7ffd_f000n);
  });

  it("give Registers.User from the CONTEXT: every register, as Int64", () => {
    const user = host(arch).currentThread.Registers.User;
    expect(Object.keys(user).sort()).toEqual([...(arch === "x64" ? X64 : X86)].sort());
    for (const value of Object.values(user)) expect(value).toBeInstanceOf(Int64);
    if (arch === "x64") {
      expect(big(user.rsp)).toBe(0x12_f7c8n);
      expect(big(user.rip)).toBe(0x7760_1234n);
      expect(user.rax).toBe(Int64.of(1n));
      expect(user.esp).toBeUndefined(); // no sub-registers
    } else {
      expect(big(user.esp)).toBe(0x12_f7c8n);
      expect(big(user.eip)).toBe(0x7760_1234n);
      expect(user.eax).toBe(Int64.of(1n));
    }
  });

  it("throw from Registers when the dump holds no CONTEXT for the thread", () => {
    const second = [...host(arch).currentProcess.Threads][1];
    expect(second.Id).toBe(0x1a30);
    expect(() => second.Registers).toThrow("Unable to get the context of thread 0x1a30: the dump holds none");
  });

  it("are the same object each time Threads lists them; currentThread is the first", () => {
    const h = host(arch);
    expect([...h.currentProcess.Threads][0]).toBe([...h.currentProcess.Threads][0]);
    expect(h.currentThread).toBe([...h.currentProcess.Threads][0]);
  });
});
