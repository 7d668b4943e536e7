import { Int64, PRECISION_LOSS, int64Constructor, parseInt64 } from "../../nodehost/int64";

const hostInt64 = int64Constructor();
const big = (v: Int64) => Int64.bigintOf(v);

describe("host.Int64", () => {
  it("is callable with and without new, and interns values so == compares them", () => {
    const a = hostInt64(0x1234);
    const b = new hostInt64(0x1234);
    expect(a).toBe(b);
    expect(a == hostInt64(0x1234)).toBe(true);
    expect(hostInt64(a)).toBe(a);
    expect(a instanceof hostInt64).toBe(true);
    expect(hostInt64(0x1235)).not.toBe(a);
  });

  it("packs (low, high) into the two 32-bit halves", () => {
    expect(big(hostInt64(0x7ffe0000, 0x1d0))).toBe(0x1d0_7ffe_0000n);
    expect(big(hostInt64(0xffffffff, 0xffffffff))).toBe(0xffff_ffff_ffff_ffffn);
    expect(big(hostInt64(-1, 0))).toBe(0xffff_ffffn);
    const v = hostInt64(0x89abcdef, 0x01234567);
    expect(v.getLowPart()).toBe(0x89abcdef);
    expect(v.getHighPart()).toBe(0x01234567);
  });

  it("adds exactly across 2^53: 0x1fffffffffffff + 1", () => {
    const max = hostInt64(0x1fffffffffffff);
    expect(max.asNumber()).toBe(9007199254740991);
    const next = max.add(1);
    expect(next.toString(16)).toBe("20000000000000");
    expect(() => next.asNumber()).toThrow(PRECISION_LOSS);
    expect(() => next.valueOf()).toThrow(PRECISION_LOSS);
    expect(() => +(next as unknown as number)).toThrow(PRECISION_LOSS);
    expect(next.convertToNumber()).toBe(9007199254740992);
    expect(next.subtract(1)).toBe(max);
  });

  it("keeps full precision at 0xffffffffffffffff and 0x8000000000000000 (unsigned)", () => {
    const all = parseInt64("0xffffffffffffffff");
    expect(all).toBe(hostInt64(0xffffffff, 0xffffffff));
    expect(all.toString(16)).toBe("ffffffffffffffff");
    expect(all.toString(10)).toBe("18446744073709551615");
    expect(all.add(1).toString(16)).toBe("0");
    const high = hostInt64(0, 0x80000000);
    expect(high.toString(16)).toBe("8000000000000000");
    expect(high.compareTo(all)).toBe(-1);
    expect(all.compareTo(high)).toBe(1);
    expect(all.compareTo(0)).toBe(1);
    expect(high.bitwiseShiftRight(63).toString(16)).toBe("1");
    expect(high.bitwiseShiftLeft(1).toString(16)).toBe("0");
    expect(all.bitwiseAnd(0xff00).toString(16)).toBe("ff00");
    expect(high.bitwiseOr(1).toString(16)).toBe("8000000000000001");
    expect(all.bitwiseXor(high).toString(16)).toBe("7fffffffffffffff");
    expect(hostInt64(0).bitwiseNot()).toBe(all);
    expect(() => high.valueOf()).toThrow(PRECISION_LOSS);
    expect(high.convertToNumber()).toBe(2 ** 63);
  });

  it("multiplies, divides and takes the modulo of 64-bit values", () => {
    const v = parseInt64("0x1000000000000001");
    expect(v.multiply(16).toString(16)).toBe("10");
    expect(v.divide(hostInt64(0x10)).toString(16)).toBe("100000000000000");
    expect(v.modulo(16).asNumber()).toBe(1);
    expect(() => v.divide(0)).toThrow("division by zero");
  });

  it("does address math with negative operands modulo 2^64", () => {
    const address = hostInt64(0x1000, 0x1d0);
    expect(address.add(-0x10).toString(16)).toBe("1d000000ff0");
    expect(hostInt64(5).subtract(10).toString(16)).toBe("fffffffffffffffb");
  });

  it("keeps negative values signed (UNVERIFIED choice)", () => {
    const minus = hostInt64(-5);
    expect(minus.asNumber()).toBe(-5);
    expect(minus.add(2).asNumber()).toBe(-3);
    expect(minus.compareTo(0)).toBe(-1);
    expect(minus.bitwiseShiftRight(1).asNumber()).toBe(-3);
    expect(minus.toString(16)).toBe("-5");
  });

  it("compareTo returns -1, 0 or 1 against numbers and Int64", () => {
    const v = hostInt64(100);
    expect([v.compareTo(99), v.compareTo(100), v.compareTo(hostInt64(101))]).toEqual([1, 0, -1]);
  });

  it("toString(radix) gives bare digits; no radix gives dx's 0x form", () => {
    const v = hostInt64(0xdead, 0x7ff6);
    expect(v.toString(16)).toBe("7ff60000dead");
    expect(v.toString(2)).toBe((0x7ff60000dead).toString(2));
    expect(v.toString()).toBe("0x7ff60000dead");
    expect(`${v}`).toBe("0x7ff60000dead");
  });

  it("valueOf lets small values work with JS operators, and throws at 2^53 and above", () => {
    const v = hostInt64(40) as unknown as number;
    expect(v + 2).toBe(42);
    expect(v < 41).toBe(true);
    expect(() => hostInt64(0, 0x200000).valueOf()).toThrow(PRECISION_LOSS);
    expect(hostInt64(0xffffffff, 0x1fffff).valueOf()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("rejects what cannot pack into an Int64", () => {
    expect(() => hostInt64(1.5)).toThrow(TypeError);
    expect(() => hostInt64("12" as unknown as number)).toThrow(TypeError);
    expect(() => hostInt64(2 ** 64)).toThrow(RangeError);
    expect(() => hostInt64(1).add(0.5)).toThrow(TypeError);
  });
});

describe("host.parseInt64", () => {
  it("parses decimal, hex with or without 0x, and the other radixes", () => {
    expect(big(parseInt64("1234"))).toBe(1234n);
    expect(big(parseInt64("0x1000000000000001"))).toBe(0x1000000000000001n);
    expect(big(parseInt64("0xdeadbeefbaadc0de", 16))).toBe(0xdeadbeefbaadc0den);
    expect(big(parseInt64("DEADBEEF", 16))).toBe(0xdeadbeefn);
    expect(big(parseInt64("777", 8))).toBe(0o777n);
    expect(big(parseInt64("1011", 2))).toBe(11n);
    expect(parseInt64("-1").asNumber()).toBe(-1);
    expect(parseInt64("0x10")).toBe(new (int64Constructor())(16));
  });

  it("throws on invalid text, a bad radix, or more than 64 bits", () => {
    expect(() => parseInt64("0x")).toThrow();
    expect(() => parseInt64("12z")).toThrow("not a base-10 number");
    expect(() => parseInt64("0x10", 10)).toThrow();
    expect(() => parseInt64("19", 8)).toThrow();
    expect(() => parseInt64("10", 3)).toThrow(RangeError);
    expect(() => parseInt64("0x10000000000000000")).toThrow(RangeError);
  });
});
