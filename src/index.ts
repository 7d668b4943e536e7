// dxheap's entry points, as WinDbg's JavaScript provider calls them (api-notes §1.1):
// initializeScript returns one flat list of registrations; nothing is registered imperatively,
// so uninitializeScript has nothing to undo.
import { ProcessHeapsExtension } from "./model/process";

export function initializeScript(): host.Registration[] {
  return [
    new host.apiVersionSupport(1, 3),
    new host.namedModelParent(ProcessHeapsExtension, "Debugger.Models.Process"),
  ];
}

export function uninitializeScript(): void {}
