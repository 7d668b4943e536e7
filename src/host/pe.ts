// The writable sections of a loaded module, from its PE headers in memory (the PE format: the DOS
// header's e_lfanew at 0x3C names the NT headers, "PE\0\0" then the 20-byte file header, whose
// NumberOfSections (+2) and SizeOfOptionalHeader (+16) place the section table after the
// optional header; each 40-byte section header has VirtualSize at +8, VirtualAddress at +12 and
// Characteristics at +36, IMAGE_SCN_MEM_WRITE being 0x80000000. learn.microsoft.com/windows/win32/debug/pe-format).
// The leak scan's roots include these: a module's globals.
import { Memory, MemoryRegion } from "./memory-types";
import { u16, u32 } from "../util/bytes";

const PE_SIGNATURE = 0x00004550;
const SCN_MEM_WRITE = 0x80000000;
/** The PE format allows at most 96 sections. */
const MAX_SECTIONS = 96;
const SECTION_HEADER = 40;

/** [base + VirtualAddress, + VirtualSize) of each writable section; empty when the headers are not readable or not sane. */
export function writableSections(memory: Memory, base: number, imageSize: number): MemoryRegion[] {
  try {
    const dos = memory.read(base, 0x40);
    if (dos[0] !== 0x4d || dos[1] !== 0x5a) return [];
    const nt = u32(dos, 0x3c);
    if (nt < 0x40 || nt > 0x1000) return [];
    const header = memory.read(base + nt, 24);
    if (u32(header, 0) !== PE_SIGNATURE) return [];
    const count = u16(header, 6);
    const optional = u16(header, 20);
    if (count > MAX_SECTIONS) return [];
    const table = memory.read(base + nt + 24 + optional, count * SECTION_HEADER);
    const out: MemoryRegion[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * SECTION_HEADER;
      const size = u32(table, at + 8);
      const rva = u32(table, at + 12);
      const characteristics = u32(table, at + 36);
      if ((characteristics & SCN_MEM_WRITE) !== 0 && size > 0 && rva + size <= imageSize) out.push({ base: base + rva, size });
    }
    return out;
  } catch (e) {
    return [];
  }
}
