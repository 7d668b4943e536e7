// What every segment-heap walk of one process shares, found once per process on the first such
// walk and kept on its NtdllView: the layout (from ntdll's symbols), the keys of
// ntdll!RtlpHpHeapGlobals (docs/heap-structures.md §2.5) and the encoding variant of its build.
import { NtdllView } from "../../host/target";
import { SegmentHeapLayout, resolveSegmentHeapLayout } from "../../layouts/segment-heap";
import { u16, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";

/** From this build on the segment signature has no constant and LFH offsets shift (u32)(sub >> 12) (§6, §2.5). */
export const NEWER_ENCODING_BUILD = 26100;

export interface SegmentHeapKeys {
  /** RtlpHpHeapGlobals.HeapKey as 32-bit halves (x86: high is 0): XORs are done per half, never in a double. */
  heapLo: number;
  heapHi: number;
  /** The low 32 bits of RtlpHpHeapGlobals.LfhKey: all the LFH decoding uses (§2.5 step 4). */
  lfh: number;
}

export interface SegmentHeapContext {
  layout: SegmentHeapLayout;
  keys: SegmentHeapKeys | undefined;
  /** Why keys is undefined. */
  keysProblem: string | undefined;
  /** The build the process reports (_PEB.OSBuildNumber), when it does. */
  build: number | undefined;
  /**
   * Which encoding variant to try first (§6 build switches): the newer one from build 26100, or,
   * when the PEB does not say, when ntdll has the 24H2 process heap descriptor list. The walkers
   * accept the other variant too when the preferred one fails (the build can be ambiguous).
   */
  newerEncoding: boolean;
}

export function segmentHeapContext(view: NtdllView): SegmentHeapContext {
  if (!view.segmentHeap) view.segmentHeap = resolveContext(view);
  return view.segmentHeap;
}

function resolveContext(view: NtdllView): SegmentHeapContext {
  const layout = resolveSegmentHeapLayout(view.symbols, view.layout.pointerSize);
  const p = layout.pointerSize;
  let keys: SegmentHeapKeys | undefined;
  let keysProblem: string | undefined;
  const g = layout.globals;
  if (!g) {
    keysProblem = "ntdll has no RtlpHpHeapGlobals symbol: the segment heap keys are unknown";
  } else {
    try {
      const bytes = view.memory.read(g.address, Math.max(g.heapKey + p, g.lfhKey + 4));
      keys = { heapLo: u32(bytes, g.heapKey), heapHi: p === 8 ? u32(bytes, g.heapKey + 4) : 0, lfh: u32(bytes, g.lfhKey) };
    } catch (e) {
      keysProblem = `ntdll!RtlpHpHeapGlobals at ${hex0x(g.address)} is not readable: the segment heap keys are unknown`;
    }
  }
  let build: number | undefined;
  if (layout.pebOsBuildNumber !== undefined) {
    try {
      const reported = u16(view.memory.read(view.peb + layout.pebOsBuildNumber, 2), 0);
      // Windows 10 starts at 10240; anything else is not a build number.
      if (reported >= 10240) build = reported;
    } catch (e) {
      build = undefined;
    }
  }
  const newerEncoding = build !== undefined ? build >= NEWER_ENCODING_BUILD : view.layout.heapDescriptors !== undefined;
  return { layout, keys, keysProblem, build, newerEncoding };
}
