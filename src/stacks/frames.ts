// Which frame of an allocation stack says who allocated: the first one outside the allocators
// (ntdll's heap functions, the C runtime's malloc and operator new, kernelbase's HeapAlloc
// wrappers), as UMDH readers skip them by eye.
import { Symbolizer } from "./symbolizer";

const ALLOCATOR_MODULES = /^(ntdll(_[0-9a-f]{8})?|kernelbase|kernel32|ucrtbased?|msvcrt|msvcr\d+d?|vcruntime\d+d?)$/i;
const ALLOCATOR_SYMBOLS = /^(operator new|operator new\[\]|malloc|calloc|realloc|_malloc_base|_calloc_base)$/;

/** The first frame outside the allocators, else the last frame; undefined for no frames. */
export function callerFrame(frames: number[], symbols: Symbolizer): number | undefined {
  for (let i = 0; i < frames.length; i++) {
    const name = symbols.name(frames[i]);
    if (name.module && ALLOCATOR_MODULES.test(name.module.name)) continue;
    if (name.symbol && ALLOCATOR_SYMBOLS.test(name.symbol)) continue;
    return frames[i];
  }
  return frames.length > 0 ? frames[frames.length - 1] : undefined;
}
