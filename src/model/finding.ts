// A finding (src/heap/findings.ts) as dx shows it.
import { Finding } from "../heap/findings";
import { toInt64 } from "../host/convert";
import { help } from "./help";

export class FindingModel {
  constructor(private readonly __finding: Finding) {}

  get [Symbol.metadataDescriptor]() {
    return help({
      Kind: "Corruption (the heap contradicts itself), Unreadable (memory missing from the target), Unsupported (a kind, type or symbol dxheap cannot decode)",
      Address: "The address the finding is about",
      Message: "What is wrong",
    });
  }

  get Kind(): string {
    return this.__finding.kind;
  }
  get Address(): host.Int64 {
    return toInt64(this.__finding.address);
  }
  get Message(): string {
    return this.__finding.message;
  }

  toString(): string {
    return `${this.__finding.kind}: ${this.__finding.message}`;
  }
}
