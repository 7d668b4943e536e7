// Runs the built bundle in the Node host on a written test image, and turns what the
// extension returns into plain values to compare with the writer's truth.
import { join } from "path";
import { IsfTypes } from "../../nodehost/formats/isf";
import { targetFromDump } from "../../nodehost/load";
import { ScriptSession } from "../../nodehost/session";
import { TargetData } from "../../nodehost/target";
import { BlockTruth } from "../writers/types";

export const BUNDLE = join(__dirname, "..", "..", "dist", "dxheap.js");

export function targetOf(image: { dump: Uint8Array; ntdllIsf: object }): TargetData {
  return targetFromDump(image.dump, { ntdll: IsfTypes.parse(image.ntdllIsf) });
}

export function load(image: { dump: Uint8Array; ntdllIsf: object }): ScriptSession {
  return ScriptSession.load(BUNDLE, targetOf(image));
}

/** A host Int64 (or number) as a bigint, exactly. */
export function big(value: unknown): bigint {
  if (typeof value === "number") return BigInt(value);
  return BigInt("0x" + (value as { toString(radix: number): string }).toString(16));
}

export function blockOf(b: any): BlockTruth {
  return {
    address: big(b.Address),
    userAddress: big(b.UserAddress),
    size: Number(b.Size),
    userSize: Number(b.UserSize),
    state: b.State,
    kind: b.Kind,
  };
}

export function byAddress(a: BlockTruth, b: BlockTruth): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

export function hex(value: bigint | number): string {
  return "0x" + value.toString(16);
}

/** Bytes of the target's memory, straight from the dump's regions (no extension code involved). */
export function readTarget(target: TargetData, address: bigint, length: number): Uint8Array | undefined {
  for (const region of target.regions) {
    const offset = address - region.base;
    if (offset >= 0n && offset + BigInt(length) <= BigInt(region.bytes.length)) {
      return region.bytes.subarray(Number(offset), Number(offset) + length);
    }
  }
  return undefined;
}

/** Every aligned pointer-sized value in the target's memory that lies in [start, end). */
export function pointersInto(target: TargetData, start: bigint, end: bigint): { location: bigint; value: bigint }[] {
  const found: { location: bigint; value: bigint }[] = [];
  const size = target.pointerSize;
  for (const region of target.regions) {
    const view = new DataView(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
    const first = Number((BigInt(size) - (region.base % BigInt(size))) % BigInt(size));
    for (let offset = first; offset + size <= region.bytes.length; offset += size) {
      const value = size === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
      if (value >= start && value < end) found.push({ location: region.base + BigInt(offset), value });
    }
  }
  return found;
}
