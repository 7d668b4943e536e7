// Small in-memory targets for the Node host's own tests: regions of bytes written at known
// addresses, and ntdll's types from a real ISF file.
import { join } from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import type { TargetData, TargetMemoryInfo, TargetModule, TargetRegion } from "../../nodehost/target";

export const ISF_19041 = join(__dirname, "..", "fixtures", "layouts", "x64-10.0.19041.3324.isf.json");

/** Regions (sorted, non-overlapping) and little-endian writers into them. */
export class TestMemory {
  readonly regions: TargetRegion[] = [];

  map(base: bigint, size: number): this {
    this.regions.push({ base, bytes: new Uint8Array(size) });
    this.regions.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    return this;
  }

  bytes(address: bigint, values: number[]): this {
    values.forEach((v, i) => this.view(address + BigInt(i), 1).setUint8(0, v));
    return this;
  }
  u16(address: bigint, value: number): this {
    this.view(address, 2).setUint16(0, value, true);
    return this;
  }
  u32(address: bigint, value: number): this {
    this.view(address, 4).setUint32(0, value, true);
    return this;
  }
  u64(address: bigint, value: bigint): this {
    this.view(address, 8).setBigUint64(0, value, true);
    return this;
  }

  private view(address: bigint, size: number): DataView {
    const region = this.regions.find((r) => address >= r.base && address + BigInt(size) <= r.base + BigInt(r.bytes.length));
    if (!region) throw new Error(`test memory: 0x${address.toString(16)} is not mapped`);
    return new DataView(region.bytes.buffer, Number(address - region.base), size);
  }
}

export function ntdllTypes(): IsfTypes {
  return IsfTypes.load(ISF_19041);
}

export const NTDLL_BASE = 0x7ffb_0000_0000n;

/** The memory info of a full dump whose memory is all readable: each region committed, read-write, private. */
export function committed(regions: readonly TargetRegion[]): TargetMemoryInfo[] {
  return regions.map((r) => ({ base: r.base, size: BigInt(r.bytes.length), state: 0x1000, protect: 0x04, type: 0x20000 }));
}

export function x64Target(memory: TestMemory, extra: Partial<TargetData> = {}): TargetData {
  const ntdll: TargetModule = { name: "ntdll.dll", base: NTDLL_BASE, size: 0x1f_0000, types: ntdllTypes() };
  return {
    arch: "x64",
    pointerSize: 8,
    processId: 0x1234,
    processName: "leaky.exe",
    peb: 0x7ff_0000_0000n,
    modules: [{ name: "leaky.exe", base: 0x7ff6_0000_0000n, size: 0x2_0000 }, ntdll],
    threads: [{ id: 0x4adc, teb: 0x7ff_0000_2000n, stackStart: 0x100_0000n, stackSize: 0x10_0000 }],
    regions: memory.regions,
    memoryInfo: committed(memory.regions),
    ...extra,
  };
}
