// What dxheap adds to every process object: dx @$curprocess.Heaps. Registered as a parent
// model of Debugger.Models.Process, so `this` is the process (api-notes §1.2).
import { enumerateHeaps } from "../heap/enumerate";
import { Target } from "../host/target";
import { Finding } from "../heap/records";
import { HeapModel } from "./heap";

/** The heaps of the target's process as dx objects, and what enumerating them found wrong. */
export function listHeaps(target: Target): { heaps: HeapModel[]; findings: Finding[] } {
  const list = enumerateHeaps(target.memory, target.layout, target.peb);
  return { heaps: list.heaps.map((heap) => new HeapModel(target, heap)), findings: list.findings };
}

export class ProcessHeapsExtension {
  /** Every heap of the process: PEB.ProcessHeaps and ntdll's process heap descriptor list. */
  get Heaps(): HeapModel[] {
    return listHeaps(Target.of(this)).heaps;
  }
}
