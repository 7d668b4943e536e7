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
