// Arguments of the ! commands, as dx passes them (docs/jsprovider.md §1.16): numbers, host.Int64 for
// 64-bit values, strings, booleans, undefined when left out. Every mistake is a one-line error
// that says what was expected.
import { argToNumber, describe } from "../host/convert";

export function required(command: string, what: string, value: unknown): number {
  if (value === undefined) throw new Error(`${command}: expected ${what}`);
  return optional(command, what, value, 0);
}

export function optional(command: string, what: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  try {
    return argToNumber(value, what);
  } catch (e) {
    throw new Error(`${command}: ${(e as Error).message}`);
  }
}

export function text(command: string, what: string, value: unknown): string {
  if (typeof value !== "string") throw new Error(`${command}: expected ${what}, got ${describe(value)}`);
  return value;
}

export function flag(command: string, what: string, value: unknown): boolean {
  if (value === undefined || value === false || value === 0) return false;
  if (value === true || value === 1) return true;
  throw new Error(`${command}: expected ${what} (true or false), got ${describe(value)}`);
}

export function choice<T extends string>(command: string, what: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const text = String(value).toUpperCase();
  for (let i = 0; i < choices.length; i++) if (choices[i] === text) return choices[i];
  throw new Error(`${command}: expected ${what} (${choices.map((c) => `"${c}"`).join(", ")}), got ${describe(value)}`);
}

/**
 * A search pattern of `width` bytes, little-endian. 64-bit patterns may exceed 2^53, so an
 * Int64 is split into its 32-bit halves instead of going through a number.
 */
export function patternBytes(command: string, value: unknown, width: number): Uint8Array {
  let low: number;
  let high: number;
  if (typeof value === "number" && value >= 0 && Math.floor(value) === value && value <= 9007199254740991) {
    low = value % 4294967296;
    high = Math.floor(value / 4294967296);
  } else if (value !== null && typeof value === "object" && typeof (value as host.Int64).getLowPart === "function") {
    low = (value as host.Int64).getLowPart() >>> 0;
    high = (value as host.Int64).getHighPart() >>> 0;
  } else {
    throw new Error(`${command}: expected a pattern (a number or 64-bit value), got ${describe(value)}`);
  }
  const bytes = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    const word = i < 4 ? low : high;
    bytes[i] = (word >>> ((i % 4) * 8)) & 0xff;
  }
  const fits = width === 8 || (high === 0 && (width === 4 || low < Math.pow(2, 8 * width)));
  if (!fits) throw new Error(`${command}: pattern 0x${high ? high.toString(16) : ""}${low.toString(16)} does not fit in ${width} bytes`);
  return bytes;
}
