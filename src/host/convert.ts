// Values crossing the host boundary. Inside dxheap addresses are JS numbers (user-mode
// addresses are below 2^47, exact in a double); the host hands out and takes host.Int64.
// Conversions split into 32-bit halves so no step ever rounds (docs/jsprovider.md §1.4).

const TWO_32 = 4294967296;
const MAX_EXACT = 9007199254740991; // 2^53 - 1

/** An Int64 or number from the host as an exact JS number; throws if it needs more than 53 bits. */
export function toNumber(value: number | host.Int64): number {
  if (typeof value === "number") return value;
  const high = value.getHighPart() >>> 0;
  const low = value.getLowPart() >>> 0;
  if (high > 0x1fffff) throw new RangeError(`0x${value.toString(16)} does not fit in 53 bits`);
  return high * TWO_32 + low;
}

/** A non-negative integer below 2^53 as a host.Int64. */
export function toInt64(value: number): host.Int64 {
  return host.Int64(value % TWO_32 >>> 0, Math.floor(value / TWO_32));
}

/**
 * A command or method argument that must be an address or size: a number, an Int64, or a native
 * object with an address (a pointer or typed object). Throws a one-line error naming what was expected.
 */
export function argToNumber(value: unknown, what: string): number {
  if (typeof value === "number" && value >= 0 && value <= MAX_EXACT && Math.floor(value) === value) return value;
  if (value !== null && typeof value === "object") {
    const candidate = value as { getLowPart?: unknown; address?: unknown };
    if (typeof candidate.getLowPart === "function") return toNumber(value as host.Int64);
    if (candidate.address !== undefined) return argToNumber(candidate.address, what);
  }
  throw new Error(`expected ${what} (a non-negative number or 64-bit value), got ${describe(value)}`);
}

/** A value as the user typed it, for error messages: strings quoted, 64-bit values in hex. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `"${value}"`;
  if (value !== null && typeof value === "object" && typeof (value as host.Int64).getLowPart === "function") {
    return "0x" + (value as host.Int64).toString(16);
  }
  return String(value);
}
