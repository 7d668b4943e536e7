// WinDbg's host.Int64: the library type every 64-bit native value enters JavaScript as
// (docs/jsprovider.md §1.4). Backed by a BigInt; the bundle never sees that BigInt.
//
// Semantics chosen here (the notes leave them open, so each is UNVERIFIED against WinDbg):
// - Signedness: an Int64 is unsigned (0 .. 2^64-1) unless it was made from a negative number, a
//   signed read (readMemoryValues(..., 8, true), a signed 64-bit field) or a "-" parse. Arithmetic
//   keeps the signedness of `this` and wraps to 64 bits, so address math on unsigned values is
//   modular (a.add(-offset) works). compareTo compares the mathematical values.
// - Precision: valueOf/asNumber throw when the value is outside Number.isSafeInteger, i.e. at and
//   above 2^53 in magnitude. The doc's example (2^53-1 already throws) looks like an off-by-one: 2^53-1
//   is exact in a double; src/host/convert.ts makes the same cut (high part <= 0x1fffff).
// - toString() with no radix gives dx's display form "0x…" (the doc: "display string in the
//   default radix"); toString(radix) gives bare digits, never "0x".
// - getLowPart/getHighPart give the unsigned 32-bit halves.
// - Instances are interned per (value, signedness), held weakly like the provider's "live
//   references", so `a == b` compares values while both are alive.

export const PRECISION_LOSS = "64 bit value loses precision on conversion to number";

const pools = { unsigned: new Map<bigint, WeakRef<Int64>>(), signed: new Map<bigint, WeakRef<Int64>>() };
const reclaim = new FinalizationRegistry<{ pool: Map<bigint, WeakRef<Int64>>; value: bigint }>(({ pool, value }) => {
  const ref = pool.get(value);
  if (ref && ref.deref() === undefined) pool.delete(value);
});

/** An Int64 operand: a JS integer or an Int64. */
export type Int64Operand = number | Int64;

export class Int64 {
  readonly #value: bigint;
  readonly #signed: boolean;

  private constructor(value: bigint, signed: boolean) {
    this.#value = value;
    this.#signed = signed;
  }

  /** The interned Int64 for value, wrapped to 64 bits (two's complement when signed). */
  static of(value: bigint, signed = false): Int64 {
    const wrapped = signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value);
    const pool = signed ? pools.signed : pools.unsigned;
    const existing = pool.get(wrapped)?.deref();
    if (existing) return existing;
    const made = new Int64(wrapped, signed);
    pool.set(wrapped, new WeakRef(made));
    reclaim.register(made, { pool, value: wrapped });
    return made;
  }

  /** host.Int64(value) / host.Int64(low, high) (docs/jsprovider.md §1.4). */
  static construct(value: unknown, high?: unknown): Int64 {
    if (high !== undefined) {
      // "a conversion of the first argument is packed into the lower 32-bits and … the second … upper"
      const low32 = BigInt(Number(value) >>> 0);
      const high32 = BigInt(Number(high) >>> 0);
      return Int64.of((high32 << 32n) | low32);
    }
    if (value instanceof Int64) return value;
    if (typeof value === "number") {
      const exact = operandValue(value);
      if (exact < -(1n << 63n) || exact >= 1n << 64n) throw new RangeError(`${value} does not fit in 64 bits`);
      return Int64.of(exact, exact < 0n);
    }
    throw new TypeError(`host.Int64 expects a number or an Int64, got ${typeof value}`);
  }

  /** The exact value, for Node-side code (tests, the host). */
  static bigintOf(value: Int64): bigint {
    return value.#value;
  }

  asNumber(): number {
    if (!isSafe(this.#value)) throw new Error(PRECISION_LOSS);
    return Number(this.#value);
  }
  convertToNumber(): number {
    return Number(this.#value);
  }
  valueOf(): number {
    return this.asNumber();
  }
  getLowPart(): number {
    return Number(BigInt.asUintN(32, this.#value));
  }
  getHighPart(): number {
    return Number(BigInt.asUintN(32, this.#value >> 32n));
  }

  add(v: Int64Operand): Int64 {
    return this.#result(this.#value + operandValue(v));
  }
  subtract(v: Int64Operand): Int64 {
    return this.#result(this.#value - operandValue(v));
  }
  multiply(v: Int64Operand): Int64 {
    return this.#result(this.#value * operandValue(v));
  }
  divide(v: Int64Operand): Int64 {
    return this.#result(this.#value / nonZero(operandValue(v)));
  }
  modulo(v: Int64Operand): Int64 {
    return this.#result(this.#value % nonZero(operandValue(v)));
  }
  bitwiseAnd(v: Int64Operand): Int64 {
    return this.#result(this.#value & operandValue(v));
  }
  bitwiseOr(v: Int64Operand): Int64 {
    return this.#result(this.#value | operandValue(v));
  }
  bitwiseXor(v: Int64Operand): Int64 {
    return this.#result(this.#value ^ operandValue(v));
  }
  bitwiseNot(): Int64 {
    return this.#result(~this.#value);
  }
  bitwiseShiftLeft(n: Int64Operand): Int64 {
    return this.#result(this.#value << shiftCount(n));
  }
  /** Logical for unsigned values, arithmetic for signed ones (UNVERIFIED, docs/jsprovider.md §1.4). */
  bitwiseShiftRight(n: Int64Operand): Int64 {
    return this.#result(this.#value >> shiftCount(n));
  }

  /** -1, 0 or 1 (docs/jsprovider.md §1.4). */
  compareTo(v: Int64Operand): number {
    const other = operandValue(v);
    return this.#value < other ? -1 : this.#value > other ? 1 : 0;
  }

  toString(radix?: number): string {
    if (radix === undefined) return this.#value < 0n ? `-0x${(-this.#value).toString(16)}` : `0x${this.#value.toString(16)}`;
    return this.#value.toString(radix);
  }

  #result(value: bigint): Int64 {
    return Int64.of(value, this.#signed);
  }
}

function isSafe(value: bigint): boolean {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
}

function operandValue(v: unknown): bigint {
  if (v instanceof Int64) return Int64.bigintOf(v);
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(`an Int64 operand must be an integer or an Int64, got ${String(v)}`);
}

function nonZero(v: bigint): bigint {
  if (v === 0n) throw new RangeError("Int64 division by zero");
  return v;
}

function shiftCount(n: Int64Operand): bigint {
  const count = operandValue(n);
  if (count < 0n) throw new RangeError(`negative shift count ${count}`);
  return count > 64n ? 64n : count;
}

/** The callable constructor scripts see as host.Int64: works with and without `new`. */
export interface Int64Constructor {
  new (value: Int64Operand, high?: number): Int64;
  (value: Int64Operand, high?: number): Int64;
  readonly prototype: Int64;
}

/** A host.Int64 function; onCall runs on every call (the host's call counter). */
export function int64Constructor(onCall: () => void = () => {}): Int64Constructor {
  // Returning an object from a function called with `new` makes `new` yield that object, so both
  // forms give the interned instance; sharing the prototype keeps `instanceof host.Int64` working.
  const ctor = function (value: unknown, high?: unknown): Int64 {
    onCall();
    return Int64.construct(value, high);
  };
  Object.defineProperty(ctor, "name", { value: "Int64" });
  ctor.prototype = Int64.prototype;
  return ctor as unknown as Int64Constructor;
}

/** host.parseInt64(text, radix): radix 2, 8, 10 or 16; a "0x" prefix is accepted (docs/jsprovider.md §1.5). */
export function parseInt64(text: unknown, radix?: number): Int64 {
  const source = String(text);
  const match = /^\s*(-?)(0x)?([0-9a-z]+)\s*$/i.exec(source);
  const base = radix ?? (match && match[2] ? 16 : 10);
  if (![2, 8, 10, 16].includes(base)) throw new RangeError(`parseInt64: radix ${radix} is not 2, 8, 10 or 16`);
  const digits = match ? match[3].toLowerCase() : "";
  const valid = "0123456789abcdef".slice(0, base);
  if (!match || (match[2] && base !== 16) || [...digits].some((d) => !valid.includes(d))) {
    throw new Error(`parseInt64: "${source}" is not a base-${base} number`);
  }
  let magnitude = 0n;
  for (const d of digits) magnitude = magnitude * BigInt(base) + BigInt(valid.indexOf(d));
  const negative = match[1] === "-";
  if (negative ? magnitude > 1n << 63n : magnitude >= 1n << 64n) throw new RangeError(`parseInt64: "${source}" does not fit in 64 bits`);
  return Int64.of(negative ? -magnitude : magnitude, negative);
}
