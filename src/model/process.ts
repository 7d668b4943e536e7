// What dxheap adds to every process object: dx @$curprocess.Heaps. Registered as a parent
// model of Debugger.Models.Process, so `this` is the process (docs/jsprovider.md §1.2).
import { Finding } from "../heap/findings";
import { ProcessHeaps } from "../heap/process-heaps";
import { IndexedList } from "./collection";
import { FindingModel } from "./finding";
import { HeapModel } from "./heap";
import { help } from "./help";
import { GroupList, stackGroups, typeGroups } from "./groups";
import { LeakReportModel } from "./leaks";
import { TriageModel } from "./triage";

/**
 * Heaps: every heap the process names. Nothing is read until an item, the count or Findings is
 * asked for; listing them reads the PEB and ntdll's list, not the heaps.
 */
export class HeapCollection extends IndexedList<HeapModel> {
  private __heaps: ProcessHeaps | undefined;
  private __problem: Finding | undefined;
  private __models: (HeapModel | undefined)[] = [];

  constructor(private readonly __process: object) {
    super();
  }

  get [Symbol.metadataDescriptor]() {
    return help({
      Findings: "What was wrong in the lists that name the heaps (PEB.ProcessHeaps, ntdll's descriptor list), or why they could not be read",
      ByStack: "ByStack(): busy blocks of every heap grouped by identical allocation stack (count, bytes, sizes, stack), largest total first",
      ByType: "ByType(): busy blocks of every heap grouped by C++ type (their vftable), else by size, largest total first",
      Leaks: "Leaks(): the leak scan, as !heapleaks returns it, without its text",
      Triage: "Triage(): the leak triage, as !heaptriage returns it, without its text",
    });
  }

  get Findings(): FindingModel[] {
    const heaps = this.cache();
    const findings = heaps ? heaps.findings() : [this.__problem!];
    return findings.map((finding) => new FindingModel(finding));
  }

  /** Busy blocks of every heap grouped by identical allocation stack, largest total first. */
  ByStack(): GroupList | FindingModel[] {
    const heaps = this.cache();
    return heaps ? stackGroups(heaps, heaps.heaps().filter((ref) => ref.counted), (ref) => this.itemAt(ref.index)) : this.Findings;
  }

  /** Busy blocks of every heap grouped by C++ type (vftable), else by size, largest total first. */
  ByType(): GroupList | FindingModel[] {
    const heaps = this.cache();
    return heaps ? typeGroups(heaps, heaps.heaps().filter((ref) => ref.counted), (ref) => this.itemAt(ref.index)) : this.Findings;
  }

  /** The leak scan (what !heapleaks returns), without printing. */
  Leaks(): LeakReportModel | FindingModel[] {
    const heaps = this.cache();
    return heaps ? LeakReportModel.of(heaps, (ref) => this.itemAt(ref.index)) : this.Findings;
  }

  /** The leak triage (what !heaptriage returns), without printing. */
  Triage(): TriageModel | FindingModel[] {
    const heaps = this.cache();
    return heaps ? TriageModel.of(heaps, (ref) => this.itemAt(ref.index)) : this.Findings;
  }

  protected itemCount(): number {
    const heaps = this.cache();
    return heaps ? heaps.heaps().length : 0;
  }

  protected itemAt(index: number): HeapModel {
    let model = this.__models[index];
    if (!model) {
      const heaps = this.cache()!;
      model = this.__models[index] = new HeapModel(heaps, heaps.heaps()[index]);
    }
    return model;
  }

  /** No heap work: dx shows this when it shows the process. */
  toString(): string {
    return this.__problem ? `Unsupported: ${this.__problem.message}` : "";
  }

  private cache(): ProcessHeaps | undefined {
    if (!this.__heaps && !this.__problem) {
      try {
        this.__heaps = ProcessHeaps.of(this.__process);
      } catch (e) {
        this.__problem = { kind: "Unsupported", address: 0, message: (e as Error).message };
      }
    }
    return this.__heaps;
  }
}

export class ProcessHeapsExtension {
  get [Symbol.metadataDescriptor]() {
    return help({ Heaps: "Every heap of the process: PEB.ProcessHeap, PEB.ProcessHeaps and ntdll's process heap descriptor list" });
  }

  get Heaps(): HeapCollection {
    return new HeapCollection(this);
  }
}
