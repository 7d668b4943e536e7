// A module's image headers as the loader maps them: IMAGE_DOS_HEADER, IMAGE_NT_HEADERS32/64 and
// the section table, and the TLS directory (Microsoft Learn, "PE Format": "MS-DOS Stub", "Optional
// Header", "Section Table", "The .tls Section"). The leak scan finds a module's writable sections
// from these headers in memory. Where the sections lie in a test module is ours, not Windows'.
import type { AddressSpace, Arch } from "./types";

/** Section flags (PE Format, "Section Flags"). */
export const IMAGE_SCN_CNT_CODE = 0x20;
export const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_MEM_READ = 0x40000000;
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

/** IMAGE_DIRECTORY_ENTRY_TLS: the 10th data directory (PE Format, "Optional Header Data Directories"). */
export const IMAGE_DIRECTORY_ENTRY_TLS = 9;

const IMAGE_DOS_SIGNATURE = 0x5a4d; // "MZ"
const IMAGE_NT_SIGNATURE = 0x00004550; // "PE\0\0"
/** e_lfanew: where the NT headers start; any 8-aligned offset in the header page will do. */
const NT_HEADERS_OFFSET = 0x80;
const FILE_HEADER_SIZE = 20;
const SECTION_HEADER_SIZE = 40;
const DATA_DIRECTORY_COUNT = 16;
/** SizeOfHeaders: the headers rounded up to FileAlignment. */
const SIZE_OF_HEADERS = 0x400;
const PAGE = 0x1000;

/** Per PE32 / PE32+ (PE Format, "Optional Header (Image Only)"): magic, machine and field offsets. */
const OPTIONAL_HEADER = {
  x86: { magic: 0x10b, machine: 0x14c, size: 0xe0, imageBase: 28, dataDirectory: 96, fileCharacteristics: 0x0102 },
  x64: { magic: 0x20b, machine: 0x8664, size: 0xf0, imageBase: 24, dataDirectory: 112, fileCharacteristics: 0x0022 },
} as const;
/** IMAGE_FILE_DLL, added to IMAGE_FILE_EXECUTABLE_IMAGE and 32BIT_MACHINE (x86) or LARGE_ADDRESS_AWARE (x64). */
const IMAGE_FILE_DLL = 0x2000;

export interface SectionSpec {
  /** At most 8 characters. */
  name: string;
  rva: number;
  /** VirtualSize. */
  size: number;
  characteristics: number;
}

export interface PeImageSpec {
  arch: Arch;
  base: bigint;
  /** SizeOfImage. */
  size: number;
  dll: boolean;
  timeDateStamp: number;
  /** Windows' major.minor version, written as the OS and subsystem versions. */
  osVersion: [number, number];
  sections: SectionSpec[];
}

/**
 * .text (code: read, execute) from the page after the headers, .rdata (read-only data) from the
 * middle of the image, .data (read/write) at dataRva, by default three quarters in, at most
 * 0x4000 bytes. The image's tail has no section.
 */
export function imageSections(size: number, dataRva = roundDown(size * 0.75, PAGE)): SectionSpec[] {
  const rdataRva = roundDown(size / 2, PAGE);
  if (!(PAGE < rdataRva && rdataRva < dataRva && dataRva < size)) throw new Error(`no room for three sections in 0x${size.toString(16)} bytes`);
  // >>> 0: the flags as the unsigned 32-bit number the header holds.
  return [
    { name: ".text", rva: PAGE, size: rdataRva - PAGE, characteristics: (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_MEM_READ) >>> 0 },
    { name: ".rdata", rva: rdataRva, size: dataRva - rdataRva, characteristics: (IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ) >>> 0 },
    { name: ".data", rva: dataRva, size: Math.min(0x4000, size - dataRva), characteristics: (IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE) >>> 0 },
  ];
}

/** Writes the headers into the image's first page (committed by the caller). */
export function writePeHeaders(space: AddressSpace, image: PeImageSpec): void {
  const { base, arch, sections } = image;
  const optional = OPTIONAL_HEADER[arch];
  const header = new Uint8Array(SIZE_OF_HEADERS);
  const view = new DataView(header.buffer);
  view.setUint16(0, IMAGE_DOS_SIGNATURE, true);
  view.setUint32(0x3c, NT_HEADERS_OFFSET, true); // e_lfanew

  const nt = NT_HEADERS_OFFSET;
  view.setUint32(nt, IMAGE_NT_SIGNATURE, true);
  const file = nt + 4;
  view.setUint16(file, optional.machine, true);
  view.setUint16(file + 2, sections.length, true);
  view.setUint32(file + 4, image.timeDateStamp, true);
  view.setUint16(file + 16, optional.size, true); // SizeOfOptionalHeader
  view.setUint16(file + 18, optional.fileCharacteristics | (image.dll ? IMAGE_FILE_DLL : 0), true);

  const opt = file + FILE_HEADER_SIZE;
  const text = sections.find((s) => s.characteristics & IMAGE_SCN_CNT_CODE);
  const sum = (pick: (s: SectionSpec) => boolean) => sections.filter(pick).reduce((total, s) => total + s.size, 0);
  view.setUint16(opt, optional.magic, true);
  view.setUint8(opt + 2, 14); // MajorLinkerVersion
  view.setUint32(opt + 4, sum((s) => (s.characteristics & IMAGE_SCN_CNT_CODE) !== 0), true); // SizeOfCode
  view.setUint32(opt + 8, sum((s) => (s.characteristics & IMAGE_SCN_CNT_INITIALIZED_DATA) !== 0), true);
  view.setUint32(opt + 16, text ? text.rva + 0x10 : 0, true); // AddressOfEntryPoint
  view.setUint32(opt + 20, text?.rva ?? 0, true); // BaseOfCode
  if (arch === "x86") {
    view.setUint32(opt + 24, sections.find((s) => !(s.characteristics & IMAGE_SCN_CNT_CODE))?.rva ?? 0, true); // BaseOfData
    view.setUint32(opt + optional.imageBase, Number(base), true);
  } else {
    view.setBigUint64(opt + optional.imageBase, base, true);
  }
  view.setUint32(opt + 32, PAGE, true); // SectionAlignment
  view.setUint32(opt + 36, 0x200, true); // FileAlignment
  for (const at of [40, 48]) {
    // Major/MinorOperatingSystemVersion, Major/MinorSubsystemVersion
    view.setUint16(opt + at, image.osVersion[0], true);
    view.setUint16(opt + at + 2, image.osVersion[1], true);
  }
  view.setUint32(opt + 56, image.size, true); // SizeOfImage
  view.setUint32(opt + 60, SIZE_OF_HEADERS, true);
  view.setUint16(opt + 68, 3, true); // Subsystem: IMAGE_SUBSYSTEM_WINDOWS_CUI
  // DllCharacteristics: DYNAMIC_BASE | NX_COMPAT | TERMINAL_SERVER_AWARE, HIGH_ENTROPY_VA on x64.
  view.setUint16(opt + 70, arch === "x64" ? 0x8160 : 0x8140, true);
  [0x100000, 0x1000, 0x100000, 0x1000].forEach((value, i) => {
    // SizeOfStackReserve, SizeOfStackCommit, SizeOfHeapReserve, SizeOfHeapCommit: pointer-sized
    if (arch === "x64") view.setBigUint64(opt + 72 + 8 * i, BigInt(value), true);
    else view.setUint32(opt + 72 + 4 * i, value, true);
  });
  view.setUint32(opt + optional.dataDirectory - 4, DATA_DIRECTORY_COUNT, true); // NumberOfRvaAndSizes

  const table = opt + optional.size;
  if (table + sections.length * SECTION_HEADER_SIZE > SIZE_OF_HEADERS) throw new Error("too many sections for the header page");
  sections.forEach((section, i) => {
    const at = table + i * SECTION_HEADER_SIZE;
    if (section.name.length > 8) throw new Error(`section name ${section.name} is longer than 8 characters`);
    for (let c = 0; c < section.name.length; c++) view.setUint8(at + c, section.name.charCodeAt(c));
    view.setUint32(at + 8, section.size, true); // VirtualSize
    view.setUint32(at + 12, section.rva, true); // VirtualAddress
    view.setUint32(at + 16, roundUp(section.size, 0x200), true); // SizeOfRawData
    view.setUint32(at + 20, section.rva, true); // PointerToRawData: the file laid out as the image
    view.setUint32(at + 36, section.characteristics, true);
  });
  space.write(base, header);
}

/** Sets data directory `index` (an RVA and a size) of the headers at base. */
export function setDataDirectory(space: AddressSpace, arch: Arch, base: bigint, index: number, rva: number, size: number): void {
  const entry = base + BigInt(NT_HEADERS_OFFSET + 4 + FILE_HEADER_SIZE + OPTIONAL_HEADER[arch].dataDirectory + 8 * index);
  space.u32(entry, rva);
  space.u32(entry + 4n, size);
}

/** IMAGE_TLS_DIRECTORY32/64: four pointer-sized VAs, then SizeOfZeroFill and Characteristics. */
export interface TlsDirectory {
  /** [startOfRawData, endOfRawData): the template copied into each thread's block. */
  startOfRawData: bigint;
  endOfRawData: bigint;
  /** Where the loader stores the module's TLS index (its _tls_index). */
  addressOfIndex: bigint;
  /** A null-terminated array of callbacks; 0 for none. */
  addressOfCallBacks: bigint;
  sizeOfZeroFill: number;
}

/** The directory's size: 0x18 (PE32) or 0x28 (PE32+). */
export function tlsDirectorySize(arch: Arch): number {
  return arch === "x64" ? 0x28 : 0x18;
}

export function writeTlsDirectory(space: AddressSpace, at: bigint, directory: TlsDirectory): void {
  const fields = [directory.startOfRawData, directory.endOfRawData, directory.addressOfIndex, directory.addressOfCallBacks];
  fields.forEach((value, i) => space.ptr(at + BigInt(i * space.pointerSize), value));
  const rest = at + BigInt(4 * space.pointerSize);
  space.u32(rest, directory.sizeOfZeroFill);
  space.u32(rest + 4n, 0); // Characteristics
}

function roundDown(value: number, unit: number): number {
  return Math.floor(value / unit) * unit;
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
