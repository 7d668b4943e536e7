// A WOW64 process's 64-bit dump in the Node host (test/writers/wow64.ts): both ntdlls by WinDbg's
// names with their own types, the 64-bit view by default, and .effmach x86 switching Environment
// and Registers to the 32-bit side; the 32-bit-view dump as the ordinary x86 dump it is; the
// committed WOW64 sample and the command line on it.
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { Int64 } from "../../nodehost/int64";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { layoutFor, symbolRva } from "../writers/layout";
import { buildWow64Sample, WOW64_SAMPLE_BIG_BLOCK, WOW64_SAMPLE_LEAK } from "../writers/sample-wow64";
import { buildWow64Image, type Wow64Build } from "../writers/wow64";

const big = (v: unknown) => Int64.bigintOf(v as Int64);

const directory = mkdtempSync(join(tmpdir(), "nodehost-wow64-"));
const SCRIPT = join(directory, "empty.js");
writeFileSync(SCRIPT, "function initializeScript() { return [new host.apiVersionSupport(1, 3)]; }\n");

describe.each([7601, 19041] as Wow64Build[])("a WOW64 process's 64-bit dump, build %i", (build) => {
  const { views, truth } = buildWow64Image(build, { seed: 9 });
  const types = (view: "x64" | "x86") => Object.fromEntries(Object.entries(views[view].isfs).map(([key, isf]) => [key, IsfTypes.parse(isf)]));
  const target = () => targetFromDump(views.x64.dump, types("x64"));
  const host = (options: HostOptions = {}) => {
    const runtime = new HostRuntime(target(), NODE_REALM, { ...options, unknownField: "undefined" });
    runtime.phase = 2;
    runtime.apiVersion = { major: 1, minor: 3 };
    return { runtime, host: runtime.host as any };
  };
  const heapsOf = (arch: "x64" | "x86") => truth.heaps.filter((h) => h.architecture === arch).map((h) => h.address);
  const x86Layout = layoutFor("x86", build);
  const x64Layout = layoutFor("x64", build);

  test("the loader: both ntdlls, the second renamed ntdll_77a60000 with its 4-byte-pointer types; the PEB64; the 32-bit side of every thread", () => {
    const t = target();
    expect(t.arch).toBe("x64");
    expect(t.modules.map((m) => [m.name, m.renamed])).toEqual([
      ["leaky.exe", undefined],
      ["ntdll.dll", undefined],
      ["wow64.dll", undefined],
      ["wow64win.dll", undefined],
      ["wow64cpu.dll", undefined],
      ["ntdll.dll", "ntdll_77a60000"],
    ]);
    expect(t.modules[1].types?.pointerSize).toBe(8);
    expect(t.modules[5].types?.pointerSize).toBe(4);
    expect(t.peb).toBe(truth.peb64);
    expect(t.wow64).toEqual({ peb: truth.peb32, ntdll: "ntdll_77a60000" });
    expect(t.threads.map((thread) => [thread.teb, thread.registers, thread.wow64])).toEqual(
      truth.threads.map((thread) => [thread.teb64, thread.registers64, { teb: thread.teb32, registers: thread.registers32 }]),
    );
  });

  test("modules and types by WinDbg's names: ntdll is the 64-bit one, ntdll_77a60000 the 32-bit one", () => {
    const { host: h } = host();
    const modules = h.currentProcess.Modules;
    expect(big(modules.getValueAt("ntdll").BaseAddress)).toBe(truth.ntdll64.base);
    expect(big(modules.getValueAt("ntdll_77a60000").BaseAddress)).toBe(truth.ntdll32.base);
    expect(Number(h.getModuleType("ntdll", "_HEAP").size)).toBe(x64Layout.size("_HEAP"));
    expect(Number(h.getModuleType("ntdll_77a60000", "_HEAP").size)).toBe(x86Layout.size("_HEAP"));
    expect(Number(h.getModuleType("ntdll.dll", "_PEB").size)).toBe(x64Layout.size("_PEB"));
    expect(big(h.getModuleSymbolAddress("ntdll_77a60000", "RtlpLFHKey"))).toBe(truth.ntdll32.base + BigInt(symbolRva(x86Layout, "RtlpLFHKey")));
    expect(big(h.getModuleSymbolAddress("ntdll", "RtlpLFHKey"))).toBe(truth.ntdll64.base + BigInt(symbolRva(x64Layout, "RtlpLFHKey")));
    expect(h.getModuleType("ntdll_77a60000", "_NOT_A_TYPE")).toBeNull();
  });

  test("the 64-bit view: the PEB64 with the 64-bit heaps, TEB64s, 64-bit registers", () => {
    const { host: h } = host();
    const peb = h.currentProcess.Environment.EnvironmentBlock;
    expect(big(peb.address)).toBe(truth.peb64);
    expect(Number(peb.NumberOfHeaps)).toBe(2);
    expect(big(peb.ProcessHeap.address)).toBe(heapsOf("x64")[0]);
    const threads = [...h.currentProcess.Threads];
    threads.forEach((thread: any, i: number) => {
      expect(big(thread.Environment.EnvironmentBlock.address)).toBe(truth.threads[i].teb64);
      expect(big(thread.Environment.EnvironmentBlock.ProcessEnvironmentBlock.address)).toBe(truth.peb64);
      expect(big(thread.Registers.User.rip)).toBe(truth.threads[i].registers64.rip);
      expect(thread.Registers.User.eip).toBeUndefined();
    });
  });

  test(".effmach x86: the PEB32 and TEB32s with the 32-bit ntdll's types, the saved x86 registers; .effmach . goes back", () => {
    const { runtime, host: h } = host();
    const threads = [...h.currentProcess.Threads];
    expect(runtime.effmach("x86")).toBe("Effective machine: x86 compatible (x86)");
    const peb = h.currentProcess.Environment.EnvironmentBlock;
    expect(big(peb.address)).toBe(truth.peb32);
    expect(Number(peb.targetType.size)).toBe(x86Layout.size("_PEB"));
    expect(Number(peb.NumberOfHeaps)).toBe(3);
    expect(big(peb.ProcessHeap.address)).toBe(heapsOf("x86")[0]);
    const array = big(peb.ProcessHeaps.address);
    expect([0, 1, 2].map((i) => BigInt(h.memory.readMemoryValues(Number(array) + 4 * i, 1, 4)[0]))).toEqual(heapsOf("x86"));
    // The same thread objects; each now shows its 32-bit side.
    expect([...h.currentProcess.Threads]).toEqual(threads);
    threads.forEach((thread: any, i: number) => {
      const teb = thread.Environment.EnvironmentBlock;
      expect(big(teb.address)).toBe(truth.threads[i].teb32);
      expect(big(teb.ProcessEnvironmentBlock.address)).toBe(truth.peb32);
      expect(big(teb.NtTib.StackBase.address)).toBe(truth.threads[i].stack32.base);
      const user = thread.Registers.User;
      expect(Object.fromEntries(Object.entries(user).map(([name, value]) => [name, big(value)]))).toEqual(truth.threads[i].registers32);
    });
    expect(runtime.effmach(undefined)).toBe("Effective machine: x86 compatible (x86)");
    expect(runtime.effmach(".")).toBe("Effective machine: x64 (AMD64)");
    expect(big(h.currentProcess.Environment.EnvironmentBlock.address)).toBe(truth.peb64);
    runtime.effmach("x86");
    expect(runtime.effmach("amd64")).toBe("Effective machine: x64 (AMD64)");
    expect(big(h.currentThread.Registers.User.rsp)).toBe(truth.threads[0].registers64.rsp);
  });

  test("wow64Environment 'native': after .effmach x86 the registers are the x86 ones, Environment stays the 64-bit side", () => {
    const { runtime, host: h } = host({ wow64Environment: "native" });
    runtime.effmach("x86");
    expect(big(h.currentProcess.Environment.EnvironmentBlock.address)).toBe(truth.peb64);
    expect(big(h.currentThread.Environment.EnvironmentBlock.address)).toBe(truth.threads[0].teb64);
    expect(big(h.currentThread.Registers.User.eip)).toBe(truth.threads[0].registers32.eip);
  });

  test("session.execute: .effmach prints WinDbg's line and sets the prompt; dx then reads the 32-bit side", () => {
    const session = ScriptSession.load(SCRIPT, target());
    const count = "dx @$curprocess.Environment.EnvironmentBlock.NumberOfHeaps";
    expect(session.prompt).toBe("0:000> ");
    expect(session.execute(count).output).toBe("@$curprocess.Environment.EnvironmentBlock.NumberOfHeaps : 0x2\n");
    expect(session.execute(".effmach x86")).toEqual({ output: "Effective machine: x86 compatible (x86)\n", value: undefined });
    expect(session.prompt).toBe("0:000:x86> ");
    expect(session.execute(count).output).toBe("@$curprocess.Environment.EnvironmentBlock.NumberOfHeaps : 0x3\n");
    expect(session.execute(".effmach").output).toBe("Effective machine: x86 compatible (x86)\n");
    expect(session.execute(".effmach arm").error).toBe("Error: nodehost: .effmach arm is not available: the x64 dump has no arm side");
    expect(session.execute(".effmach .").output).toBe("Effective machine: x64 (AMD64)\n");
    expect(session.prompt).toBe("0:000> ");
  });

  test("without the 32-bit ntdll's types the dump loads as its 64-bit view only", () => {
    const t = targetFromDump(views.x64.dump, { ntdll: types("x64").ntdll });
    expect(t.wow64).toBeUndefined();
    expect(t.threads.every((thread) => thread.wow64 === undefined)).toBe(true);
    const runtime = new HostRuntime(t, NODE_REALM);
    expect(() => runtime.effmach("x86")).toThrow(
      "nodehost: .effmach x86 is not available: the dump is not a WOW64 process's 64-bit dump with its 32-bit ntdll's types",
    );
  });

  test("the 32-bit-view dump is an ordinary x86 target: ntdll is the 32-bit one, the PEB32 its PEB, .effmach x86 its native machine", () => {
    const t = targetFromDump(views.x86.dump, types("x86"));
    expect(t.arch).toBe("x86");
    expect(t.modules.map((m) => [m.name, m.renamed])).toEqual([
      ["leaky.exe", undefined],
      ["ntdll.dll", undefined],
    ]);
    expect(t.peb).toBe(truth.peb32);
    expect(t.wow64).toBeUndefined();
    const runtime = new HostRuntime(t, NODE_REALM);
    runtime.phase = 2;
    const h = runtime.host as any;
    expect(runtime.effmach("x86")).toBe("Effective machine: x86 compatible (x86)");
    expect(Number(h.currentProcess.Environment.EnvironmentBlock.NumberOfHeaps)).toBe(3);
    expect(big(h.currentThread.Registers.User.eip)).toBe(truth.threads[0].registers32.eip);
    expect(() => runtime.effmach("amd64")).toThrow("nodehost: .effmach amd64 is not available: the x86 dump has no amd64 side");
  });
});

describe("the WOW64 sample (samples/wow64-x64.dmp, written by npm run sample)", () => {
  const ROOT = join(__dirname, "..", "..");
  const { process, truth } = buildWow64Sample();
  const { dump, isfs } = process.dump("x64");

  test("is what test/writers/sample-wow64.ts writes: the dump and both ntdlls' types files", () => {
    expect(new Uint8Array(readFileSync(join(ROOT, "samples", "wow64-x64.dmp")))).toEqual(dump);
    expect(Object.keys(isfs).sort()).toEqual(["ntdll", "ntdll_77a60000"]);
    for (const [key, isf] of Object.entries(isfs)) expect(JSON.parse(readFileSync(join(ROOT, "samples", `wow64-x64.${key}.isf.json`), "utf8"))).toEqual(isf);
  });

  test("its leak is in a 32-bit heap: hundreds of blocks of one size and a 0x400000-byte VirtualAlloc'd one", () => {
    const leaking = truth.heaps.filter((h) => h.blocks.filter((b) => b.state === "Busy" && b.userSize === WOW64_SAMPLE_LEAK.request).length >= WOW64_SAMPLE_LEAK.count);
    expect(leaking.map((h) => h.architecture)).toEqual(["x86"]);
    expect(leaking[0].blocks.some((b) => b.kind === "VirtualAlloc" && b.userSize === WOW64_SAMPLE_BIG_BLOCK)).toBe(true);
  });

  test("npx dxheap loads it with both types files, and .effmach x86 switches the prompt and the PEB", () => {
    const count = "dx @$curprocess.Environment.EnvironmentBlock.NumberOfHeaps";
    const run = spawnSync(globalThis.process.execPath, [join(ROOT, "bin", "dxheap.js"), "samples/wow64-x64.dmp", count, ".effmach x86", count], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(
      [
        `0:000> ${count}`,
        `${count.slice(3)} : 0x2`,
        "0:000> .effmach x86",
        "Effective machine: x86 compatible (x86)",
        `0:000:x86> ${count}`,
        `${count.slice(3)} : 0x3`,
        "",
      ].join("\n"),
    );
    expect(run.status).toBe(0);
  }, 60_000);
});
