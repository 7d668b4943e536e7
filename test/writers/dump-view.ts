// What a self-check test sees of an image: the minidump's bytes (parsed by the Node host's reader,
// so unreadable pages really are), its modules, and the ISF files shipped with it — offsets and
// symbols looked up in those files, not in the writers' Layout.
import { Minidump, type MinidumpMemoryRange } from "../../nodehost/formats/minidump";

interface IsfJson {
  base_types: Record<string, { size: number }>;
  user_types: Record<string, { size: number; fields: Record<string, { offset: number; type: { kind: string; name?: string } }> }>;
  symbols: Record<string, { address: number }>;
}

export class DumpView {
  readonly pointerSize: 4 | 8;
  readonly modules: { name: string; base: bigint; size: number }[];
  private readonly memory: MinidumpMemoryRange[];

  /** isfs: each module's ISF by key (the file name without extension, lower case): ntdll and any others. */
  constructor(
    dump: Uint8Array,
    private readonly isfs: Record<string, object>,
  ) {
    const parsed = Minidump.parse(dump);
    this.memory = parsed.memory;
    this.pointerSize = parsed.arch === "x64" ? 8 : 4;
    this.modules = parsed.modules.map((m) => ({ name: m.name.split("\\").pop()!.replace(/\.[^.]*$/, "").toLowerCase(), base: m.base, size: m.size }));
  }

  readable(address: bigint, length: number): boolean {
    return this.memory.some((r) => r.start <= address && address + BigInt(length) <= r.start + BigInt(r.data.length));
  }

  read(address: bigint, length: number): Uint8Array {
    const range = this.memory.find((r) => r.start <= address && address + BigInt(length) <= r.start + BigInt(r.data.length));
    if (!range) throw new Error(`0x${address.toString(16)}+${length} is not in the dump`);
    const offset = Number(address - range.start);
    return range.data.subarray(offset, offset + length);
  }

  uint(address: bigint, size: number): bigint {
    const bytes = this.read(address, size);
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
    return value;
  }
  u8 = (address: bigint) => Number(this.uint(address, 1));
  u16 = (address: bigint) => Number(this.uint(address, 2));
  u32 = (address: bigint) => Number(this.uint(address, 4));
  ptr = (address: bigint) => this.uint(address, this.pointerSize);

  /** Offset of a dotted field path of an ntdll type. */
  off(type: string, path: string): bigint {
    let offset = 0;
    let current = type;
    for (const part of path.split(".")) {
      const field = this.ntdll.user_types[current]?.fields[part];
      if (!field) throw new Error(`ntdll's ISF has no ${current}.${part}`);
      offset += field.offset;
      current = field.type.name ?? "";
    }
    return BigInt(offset);
  }

  /** base + the offset of an ntdll type's field. */
  at(base: bigint, type: string, path: string): bigint {
    return base + this.off(type, path);
  }

  size(type: string): number {
    const found = this.ntdll.user_types[type];
    if (!found) throw new Error(`ntdll's ISF has no ${type}`);
    return found.size;
  }

  moduleBase(name: string): bigint {
    const module = this.modules.find((m) => m.name === name);
    if (!module) throw new Error(`the dump lists no module ${name}`);
    return module.base;
  }

  /** A symbol's address: its module's base plus the RVA its ISF gives. */
  symbol(module: string, name: string): bigint {
    const found = (this.isfs[module] as IsfJson | undefined)?.symbols[name];
    if (!found) throw new Error(`${module} has no symbol ${name}`);
    return this.moduleBase(module) + BigInt(found.address);
  }

  /** module!symbol+0xoffset after the nearest symbol at or below, module!symbol at it, module+0xoffset without one. */
  symbolize(address: bigint): string {
    const module = this.modules.find((m) => m.base <= address && address < m.base + BigInt(m.size));
    if (!module) return `0x${address.toString(16)}`;
    const rva = Number(address - module.base);
    const symbols = Object.entries((this.isfs[module.name] as IsfJson | undefined)?.symbols ?? {});
    let best: [string, number] | undefined;
    for (const [name, { address: symbolRva }] of symbols) if (symbolRva <= rva && (!best || symbolRva > best[1])) best = [name, symbolRva];
    if (!best) return `${module.name}+0x${rva.toString(16)}`;
    return best[1] === rva ? `${module.name}!${best[0]}` : `${module.name}!${best[0]}+0x${(rva - best[1]).toString(16)}`;
  }

  private get ntdll(): IsfJson {
    return this.isfs.ntdll as IsfJson;
  }
}
