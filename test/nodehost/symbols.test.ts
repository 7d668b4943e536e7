// host.getModuleContainingSymbolInformation / getModuleContainingSymbol: the module's nearest
// symbol at or below an address, from its ISF symbols; counted and logged per look-up.
import { IsfTypes } from "../../nodehost/formats/isf";
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { Int64 } from "../../nodehost/int64";
import type { TargetData } from "../../nodehost/target";
import { TestMemory } from "./targets";

const APP = 0x7ff6_0000_0000n;
const NTDLL = 0x7ffb_0000_0000n;
const big = (v: unknown) => Int64.bigintOf(v as Int64);

/** leaky.exe with C++ symbols (a vftable, functions, a typed global); ntdll with two; kernel32 with none. */
function target(): TargetData {
  const app = IsfTypes.parse({
    metadata: { format: "6.1.0" },
    base_types: {
      pointer: { kind: "int", size: 8, signed: false, endian: "little" },
      "unsigned long": { kind: "int", size: 4, signed: false, endian: "little" },
    },
    user_types: {},
    enums: {},
    symbols: {
      "Widget::`vftable'": { address: 0x3000 },
      "Widget::Draw": { address: 0x1100 },
      main: { address: 0x1000 },
      g_widgetCount: { address: 0x4000, type: { kind: "base", name: "unsigned long" } },
    },
  });
  const ntdll = IsfTypes.parse({
    metadata: { format: "6.1.0" },
    base_types: { pointer: { kind: "int", size: 8, signed: false, endian: "little" } },
    user_types: {},
    enums: {},
    symbols: { RtlAllocateHeap: { address: 0x9a000 }, RtlFreeHeap: { address: 0x9b000 } },
  });
  const memory = new TestMemory().map(APP + 0x4000n, 0x1000).u32(APP + 0x4000n, 7);
  return {
    arch: "x64",
    pointerSize: 8,
    processId: 1,
    processName: "leaky.exe",
    peb: 0n,
    modules: [
      { name: "leaky.exe", base: APP, size: 0x5000, types: app },
      { name: "ntdll.dll", base: NTDLL, size: 0x1f_0000, types: ntdll },
      { name: "kernel32.dll", base: 0x7ffa_0000_0000n, size: 0x10_0000 },
    ],
    threads: [],
    regions: memory.regions,
  };
}

function setUp(options: HostOptions = {}) {
  const runtime = new HostRuntime(target(), NODE_REALM, options);
  runtime.phase = 2;
  return { host: runtime.host as any, runtime };
}

describe("host.getModuleContainingSymbolInformation", () => {
  it("gives the nearest symbol at or below the address: its name, start address and type", () => {
    const { host } = setUp();
    const draw = host.getModuleContainingSymbolInformation(Int64.of(APP + 0x1123n));
    expect(draw.name).toBe("Widget::Draw");
    expect(big(draw.address)).toBe(APP + 0x1100n);
    expect(draw.type).toBeNull();
    expect(draw.value).toBeNull();
    expect(host.getModuleContainingSymbolInformation(Int64.of(APP + 0x1000n)).name).toBe("main");
    expect(host.getModuleContainingSymbolInformation(Int64.of(NTDLL + 0x9a123n)).name).toBe("RtlAllocateHeap");
    expect(host.getModuleContainingSymbolInformation(Int64.of(NTDLL + 0x9b000n)).name).toBe("RtlFreeHeap");
  });

  it("names a C++ vftable as WinDbg shows it", () => {
    const { host } = setUp();
    const vftable = host.getModuleContainingSymbolInformation(Int64.of(APP + 0x3000n));
    expect(vftable.name).toBe("Widget::`vftable'");
    expect(big(vftable.address)).toBe(APP + 0x3000n);
  });

  it("gives a typed symbol's type and value", () => {
    const { host } = setUp();
    const count = host.getModuleContainingSymbolInformation(Number(APP + 0x4000n)); // a number location
    expect(count.name).toBe("g_widgetCount");
    expect(count.type.name).toBe("unsigned long");
    expect(count.value).toBe(7);
  });

  it("throws where no symbol covers the address: before a module's first symbol, outside modules, in a module without symbols", () => {
    const { host } = setUp();
    for (const address of [APP + 0x10n, 0x1000n, 0x7ffa_0000_1000n, APP + 0x5000n]) {
      expect(() => host.getModuleContainingSymbolInformation(Int64.of(address))).toThrow(`no symbol contains the address 0x${address.toString(16)}`);
    }
  });

  it("gives null there instead when the session says so", () => {
    const { host } = setUp({ missingSymbol: "null" });
    expect(host.getModuleContainingSymbolInformation(Int64.of(0x1000n))).toBeNull();
    expect(host.getModuleContainingSymbol(Int64.of(0x1000n))).toBeNull();
  });

  it("refuses a location that is no address", () => {
    const { host } = setUp();
    expect(() => host.getModuleContainingSymbolInformation("main")).toThrow(TypeError);
  });
});

describe("host.getModuleContainingSymbol", () => {
  it("gives the typed value of a symbol with a type (private symbols)", () => {
    const { host } = setUp();
    expect(host.getModuleContainingSymbol(Int64.of(APP + 0x4002n))).toBe(7);
  });

  it("throws for a public symbol without a type, as WinDbg needs private symbols for it", () => {
    const { host } = setUp();
    expect(() => host.getModuleContainingSymbol(Int64.of(APP + 0x1100n))).toThrow("the symbol leaky!Widget::Draw at 0x7ff600001100 has no type");
  });
});

describe("symbol look-ups are counted and logged by address", () => {
  it("counts each call, and logs the address asked about", () => {
    const { host, runtime } = setUp({ logAccesses: true });
    const frames = [APP + 0x1123n, NTDLL + 0x9a010n, APP + 0x1123n];
    for (const frame of frames) host.getModuleContainingSymbolInformation(Int64.of(frame));
    expect(() => host.getModuleContainingSymbol(Int64.of(0x10n))).toThrow();
    expect(runtime.counters.symbolLookups).toBe(4);
    expect(runtime.counters.hostCalls).toBe(4);
    expect(runtime.accessLog!.symbolLookups).toEqual([...frames, 0x10n]);
  });
});
