// A 32-bit process on 64-bit Windows (WOW64) has two ntdlls and two PEBs: the 64-bit ones WOW64
// itself uses, and the program's 32-bit ones, whose heaps are where its leaks are. Whichever view
// the debugger is in (the 64-bit one, or after .effmach x86), both are found from the first
// thread's TEB (docs/heap-structures.md §1.1, §6b item 8):
//  - the 32-bit ntdll is the second ntdll.dll module, which WinDbg names ntdll_<base as 8 hex
//    digits> (public transcripts show frames like ntdll_77280000!NtWaitForSingleObject) and whose
//    types are reached by that name;
//  - TEB64 + _TEB.WowTebOffset is the TEB32 (Windows 10+, where the field exists), else the TEB64's
//    NtTib.ExceptionList holds it (Vista to 8.1, "Thread Environment Block (Debugging Notes)" on
//    Microsoft Learn); from the TEB32, TEB32 + its WowTebOffset (negative) or, without that field,
//    TEB32 - 0x2000 is the TEB64 (the common convention, UNVERIFIED); each TEB is checked by its
//    NtTib.Self before it is believed;
//  - each TEB's ProcessEnvironmentBlock is its PEB.
import { HostMemory } from "./memory";
import { ModuleSymbols } from "./symbols";
import type { ModuleRange } from "./target";
import { NtHeapLayout, resolveNtHeapLayout } from "../layouts/ntheap";
import { pointer, u32 } from "../util/bytes";

const TEB32_FROM_TEB64 = 0x2000;

/** The 32-bit ntdll among the modules (WinDbg's names), when the debugger knows its types; undefined otherwise. */
export function findWow64Ntdll(modules: ModuleRange[], processObject: object, native: NtHeapLayout): { module: string; symbols: ModuleSymbols; layout: NtHeapLayout } | undefined {
  if (native.pointerSize !== 8) return undefined;
  for (let i = 0; i < modules.length; i++) {
    if (!/^ntdll_[0-9a-f]{8}$/.test(modules[i].name)) continue;
    const symbols = new ModuleSymbols(modules[i].name, processObject);
    if (symbols.typeSize("_HEAP_ENTRY") !== 8) continue;
    try {
      return { module: modules[i].name, symbols, layout: resolveNtHeapLayout(symbols) };
    } catch (e) {
      return undefined; // its types are there but incomplete: the 64-bit side is still read
    }
  }
  return undefined;
}

/** A thread's two TEBs, from its TEB in the current view (either side), each checked by its NtTib.Self. */
export function tebPair(memory64: HostMemory, memory32: HostMemory, layout64: NtHeapLayout, layout32: NtHeapLayout, teb: number): { teb64: number; teb32: number } | undefined {
  const isTeb64 = (address: number) => readPointer(memory64, address + layout64.teb.self, 8) === address;
  const isTeb32 = (address: number) => readPointer(memory32, address + layout32.teb.self, 4) === address;
  let teb64: number | undefined;
  let teb32: number | undefined;
  if (isTeb64(teb)) {
    teb64 = teb;
    const offset = layout64.teb.wowTebOffset !== undefined ? readI32(memory64, teb + layout64.teb.wowTebOffset) : 0;
    teb32 = offset ? teb + offset : readPointer(memory64, teb + layout64.teb.exceptionList, 8);
  } else if (isTeb32(teb)) {
    teb32 = teb;
    const offset = layout32.teb.wowTebOffset !== undefined ? readI32(memory32, teb + layout32.teb.wowTebOffset) : 0;
    teb64 = offset ? teb + offset : teb - TEB32_FROM_TEB64;
  }
  if (teb64 === undefined || teb32 === undefined || !isTeb64(teb64) || !isTeb32(teb32)) return undefined;
  return { teb64, teb32 };
}

/** Both PEBs, from the first thread's TEB in the current view; undefined when the links do not check. */
export function wow64Pebs(memory64: HostMemory, memory32: HostMemory, layout64: NtHeapLayout, layout32: NtHeapLayout, teb: number): { peb64: number; peb32: number } | undefined {
  const pair = tebPair(memory64, memory32, layout64, layout32, teb);
  if (!pair) return undefined;
  const peb64 = readPointer(memory64, pair.teb64 + layout64.teb.peb, 8);
  const peb32 = readPointer(memory32, pair.teb32 + layout32.teb.peb, 4);
  return peb64 && peb32 ? { peb64, peb32 } : undefined;
}

function readPointer(memory: HostMemory, address: number, size: 4 | 8): number | undefined {
  if (!isFinite(address) || address <= 0) return undefined;
  try {
    const value = pointer(memory.read(address, size), 0, size);
    return isFinite(value) ? value : undefined;
  } catch (e) {
    return undefined;
  }
}

function readI32(memory: HostMemory, address: number): number {
  try {
    return u32(memory.read(address, 4), 0) | 0;
  } catch (e) {
    return 0;
  }
}

/**
 * The x86 registers a WOW64 thread saved when it last left 32-bit code, for the 64-bit view, whose
 * Registers are the 64-bit ones: TEB64.TlsSlots[1] (WOW64_TLS_CPURESERVED) points at
 * { USHORT Flags; USHORT Machine; WOW64_CONTEXT } (Microsoft Learn, WOW64_CONTEXT remarks: "Slot 1
 * of TLS holds a pointer to a structure that contains a WOW64_CONTEXT structure starting at offset
 * 4", stated for Vista to 8.1; later builds UNVERIFIED, so Machine must say i386). The register
 * offsets are WOW64_CONTEXT's in winnt.h, an ABI that does not change between builds.
 */
export function savedX86Registers(memory64: HostMemory, layout64: NtHeapLayout, teb64: number): { [name: string]: number } | undefined {
  if (layout64.teb.tlsSlots === undefined) return undefined;
  const area = readPointer(memory64, teb64 + layout64.teb.tlsSlots + 8 * WOW64_TLS_CPURESERVED, 8);
  if (area === undefined) return undefined;
  try {
    const bytes = memory64.read(area, CONTEXT_OFFSET + WOW64_CONTEXT_BYTES);
    if ((bytes[2] | (bytes[3] << 8)) !== IMAGE_FILE_MACHINE_I386) return undefined;
    const registers: { [name: string]: number } = {};
    for (const name in WOW64_CONTEXT_REGISTERS) registers[name] = u32(bytes, CONTEXT_OFFSET + WOW64_CONTEXT_REGISTERS[name]);
    return registers;
  } catch (e) {
    return undefined; // the CPU area is not in the dump
  }
}

const WOW64_TLS_CPURESERVED = 1;
const IMAGE_FILE_MACHINE_I386 = 0x14c;
const CONTEXT_OFFSET = 4;
/** WOW64_CONTEXT (winnt.h): the general registers, after ContextFlags, Dr0-7 and the 112-byte FloatSave. */
const WOW64_CONTEXT_REGISTERS: { [name: string]: number } = {
  edi: 0x9c, esi: 0xa0, ebx: 0xa4, edx: 0xa8, ecx: 0xac, eax: 0xb0, ebp: 0xb4, eip: 0xb8, esp: 0xc4,
};
const WOW64_CONTEXT_BYTES = 0xcc;
