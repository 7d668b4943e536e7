// What dxheap adds to every process object: dx @$curprocess.Heaps. Registered as a parent
// model of Debugger.Models.Process, so `this` is the process (api-notes §1.2).
import { enumerateHeaps } from "../heap/enumerate";
import { Target } from "../host/target";
import { HeapModel } from "./heap";

export class ProcessHeapsExtension {
  /** Every heap of the process: PEB.ProcessHeaps and ntdll's process heap descriptor list. */
  get Heaps(): HeapModel[] {
    const target = Target.of(this);
    const list = enumerateHeaps(target.memory, target.layout, target.peb);
    return list.heaps.map((heap) => new HeapModel(target, heap));
  }
}
