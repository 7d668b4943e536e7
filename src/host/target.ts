// The debugged process as dxheap sees it: its memory, its ntdll layout, its PEB and its
// committed regions. The only place that finds these through the host; everything above it
// works on numbers and byte arrays.
import { MemoryRegion } from "./memory-types";
import { HostMemory } from "./memory";
import { ModuleSymbols } from "./symbols";
import { toNumber } from "./convert";
import { NtHeapLayout, resolveNtHeapLayout } from "../layouts/ntheap";
import { u32 } from "../util/bytes";

/** The command whose output lists committed regions, one "base end" line each (see README). */
export const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';

export class Target {
  private regionList: MemoryRegion[] | undefined;

  private constructor(
    readonly memory: HostMemory,
    readonly layout: NtHeapLayout,
    readonly peb: number,
    /** ntdll!RtlpLFHKey, or undefined without that symbol. */
    readonly lfhKey: number | undefined,
  ) {}

  /**
   * A process object (the current one by default): reads, symbols and commands happen in its
   * context (api-notes §1.7). Throws a one-line error when ntdll's symbols or the PEB are missing.
   */
  static of(processObject: object = host.currentProcess): Target {
    const environment = (processObject as { Environment?: { EnvironmentBlock?: { address?: host.Int64 } } }).Environment;
    const block = environment ? environment.EnvironmentBlock : undefined;
    if (!block || block.address === undefined) throw new Error("dxheap needs a user-mode process: this process has no PEB");
    const layout = resolveNtHeapLayout(new ModuleSymbols("ntdll", processObject));
    const memory = new HostMemory(layout.pointerSize, processObject);
    let lfhKey: number | undefined;
    if (layout.lfhKeyAddress !== undefined) {
      try {
        lfhKey = u32(memory.read(layout.lfhKeyAddress, 4), 0);
      } catch (e) {
        lfhKey = undefined;
      }
    }
    return new Target(memory, layout, toNumber(block.address), lfhKey);
  }

  /** Committed regions of the process, from the debugger's !address, read once per Target. */
  regions(): MemoryRegion[] {
    if (!this.regionList) {
      const lines = host.namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND);
      this.regionList = parseRegionLines(lines);
    }
    return this.regionList;
  }
}

/** "00000000`7ffe0000 00000000`7ffe1000" lines → regions; other lines are ignored. */
export function parseRegionLines(lines: Iterable<string>): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  const hexWord = /^(?:0x)?([0-9a-f]+)$/i;
  for (const line of lines) {
    const words = String(line).trim().replace(/`/g, "").split(/\s+/);
    if (words.length < 2) continue;
    const base = hexWord.exec(words[0]);
    const end = hexWord.exec(words[1]);
    if (!base || !end) continue;
    const start = parseInt(base[1], 16);
    const stop = parseInt(end[1], 16);
    if (stop > start && stop <= 9007199254740991) regions.push({ base: start, size: stop - start });
  }
  return regions.sort((a, b) => a.base - b.base);
}
