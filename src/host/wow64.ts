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
import { toNumber } from "./convert";
import { HostMemory } from "./memory";
import { ModuleSymbols } from "./symbols";
import { NtHeapLayout, resolveNtHeapLayout } from "../layouts/ntheap";
import { pointer, u32 } from "../util/bytes";

const TEB32_FROM_TEB64 = 0x2000;

export interface Wow64Side {
  module: string;
  symbols: ModuleSymbols;
  layout: NtHeapLayout;
  memory: HostMemory;
  peb: number;
}

type Module = { Name: unknown; BaseAddress: host.Int64 };

/** The 32-bit ntdll's module name and layout, when the process has one whose types the debugger knows. */
export function findWow64Ntdll(processObject: object, native: NtHeapLayout): { module: string; symbols: ModuleSymbols; layout: NtHeapLayout } | undefined {
  if (native.pointerSize !== 8) return undefined;
  const modules = (processObject as { Modules?: Iterable<unknown> }).Modules;
  if (!modules) return undefined;
  try {
    for (const m of modules) {
      const module = m as Module;
      if (!/(^|[\\/])ntdll\.dll$/i.test(String(module.Name))) continue;
      const base = toNumber(module.BaseAddress);
      const name = "ntdll_" + ("00000000" + base.toString(16)).slice(-8);
      const symbols = new ModuleSymbols(name, processObject);
      if (symbols.typeSize("_HEAP_ENTRY") !== 8) continue;
      try {
        return { module: name, symbols, layout: resolveNtHeapLayout(symbols) };
      } catch (e) {
        return undefined; // its types are there but incomplete: the 64-bit side is still read
      }
    }
  } catch (e) {
    // A module list the debugger cannot give: no WOW64 side.
  }
  return undefined;
}

/**
 * Both PEBs, from the address of the first thread's TEB in the current view: which side it is
 * on is decided by which layout's NtTib.Self it satisfies. undefined when the links do not check.
 */
export function wow64Pebs(memory64: HostMemory, memory32: HostMemory, layout64: NtHeapLayout, layout32: NtHeapLayout, teb: number): { peb64: number; peb32: number } | undefined {
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
  const peb64 = readPointer(memory64, teb64 + layout64.teb.peb, 8);
  const peb32 = readPointer(memory32, teb32 + layout32.teb.peb, 4);
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
