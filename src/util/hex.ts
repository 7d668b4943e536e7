// Hex formatting the way WinDbg prints it: bare lower-case digits, addresses padded to the
// target's pointer width (8 digits on x86, 16 on x64), no 0x and no backtick in !heap tables.

/** Digits of a non-negative integer below 2^53, no prefix. */
export function hex(value: number): string {
  return value.toString(16);
}

/** An address padded to the pointer width, as !heap prints it: 0123abcd / 000001d5a3c40000. */
export function hexAddress(value: number, pointerSize: 4 | 8): string {
  return padHex(value, pointerSize * 2);
}

/** Digits padded with zeros to `width`. */
export function padHex(value: number, width: number): string {
  const digits = value.toString(16);
  return digits.length >= width ? digits : "0".repeat(width - digits.length) + digits;
}

/** 0x-prefixed, as dx shows ordinals: 0x1d5a3c40000. */
export function hex0x(value: number): string {
  return "0x" + value.toString(16);
}

/** A change, signed: +0x10, -0x10, 0x0. */
export function signedHex(value: number): string {
  return value > 0 ? "+" + hex0x(value) : value < 0 ? "-" + hex0x(-value) : "0x0";
}
