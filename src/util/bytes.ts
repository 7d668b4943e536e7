// Little-endian reads from byte arrays the walkers got in one large read.

const TWO_32 = 4294967296;

export function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

export function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

/**
 * A pointer-sized value as a JS number. 64-bit values at or above 2^53 cannot be user-mode
 * addresses: they come back as Infinity so every bounds check rejects them.
 */
export function pointer(bytes: Uint8Array, at: number, pointerSize: 4 | 8): number {
  if (pointerSize === 4) return u32(bytes, at);
  const high = u32(bytes, at + 4);
  return high > 0x1fffff ? Infinity : high * TWO_32 + u32(bytes, at);
}

/** A pointer-sized value as exact hex digits with 0x, whatever its size (for messages). */
export function pointerHex(bytes: Uint8Array, at: number, pointerSize: 4 | 8): string {
  if (pointerSize === 4) return "0x" + u32(bytes, at).toString(16);
  const high = u32(bytes, at + 4);
  const low = u32(bytes, at).toString(16);
  return high === 0 ? "0x" + low : "0x" + high.toString(16) + "0".repeat(8 - low.length) + low;
}

/** Low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
export function low32(value: number): number {
  return value % TWO_32 >>> 0;
}
