// dxheap's entry points, as WinDbg's JavaScript provider calls them (docs/jsprovider.md §1.1):
// initializeScript returns one flat list of registrations; nothing is registered imperatively.
// uninitializeScript drops the per-process heap caches and the snapshots.
import { heapcheck, heapfilter, heapfind, heaps, heapsearch, heapstack, heapstacks, heapstat, heaptypes } from "./commands/heap-commands";
import { heapleaks } from "./commands/leak-commands";
import { heaptriage } from "./commands/triage-commands";
import { heapdiff, heapsnap } from "./commands/snapshot-commands";
import { clearSnapshots } from "./analysis/snapshot-store";
import { ProcessHeaps } from "./heap/process-heaps";
import { ProcessHeapsExtension } from "./model/process";

export function initializeScript(): host.Registration[] {
  return [
    new host.apiVersionSupport(1, 3),
    new host.namedModelParent(ProcessHeapsExtension, "Debugger.Models.Process"),
    new host.functionAlias(heaps, "heaps"),
    new host.functionAlias(heapstat, "heapstat"),
    new host.functionAlias(heapfilter, "heapfilter"),
    new host.functionAlias(heapfind, "heapfind"),
    new host.functionAlias(heapsearch, "heapsearch"),
    new host.functionAlias(heapcheck, "heapcheck"),
    new host.functionAlias(heapstack, "heapstack"),
    new host.functionAlias(heapstacks, "heapstacks"),
    new host.functionAlias(heaptypes, "heaptypes"),
    new host.functionAlias(heapleaks, "heapleaks"),
    new host.functionAlias(heapleaks, "heapLeaks"),
    new host.functionAlias(heaptriage, "heaptriage"),
    new host.functionAlias(heaptriage, "heapTriage"),
    new host.functionAlias(heapsnap, "heapsnap"),
    new host.functionAlias(heapdiff, "heapdiff"),
  ];
}

export function uninitializeScript(): void {
  ProcessHeaps.clear();
  clearSnapshots();
}
