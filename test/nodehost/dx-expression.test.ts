// The dx expression language of the Node host: tokens, C precedence, lambdas, exact Int64
// arithmetic, [i] through getValueAt, format specifiers, !name argument lists, one-line errors.
import { Collection } from "../../nodehost/datamodel";
import { type DxEnvironment, evaluate, parseAliasArguments, parseQuery } from "../../nodehost/dx-expression";
import { Int64 } from "../../nodehost/int64";

const big = (value: unknown) => Int64.bigintOf(value as Int64);

function environment(variables: Record<string, unknown> = {}, aliases: Record<string, (...args: any[]) => unknown> = {}): DxEnvironment {
  return {
    variable: (name) => {
      if (!(name in variables)) throw new Error(`Unable to bind name '@$${name}'`);
      return variables[name];
    },
    callAlias: (name, args) => aliases[name](...args),
    outward: (value) => value,
    inward: (value) => value,
  };
}

function dx(text: string, env: DxEnvironment = environment()): unknown {
  return evaluate(parseQuery(text).expr, env);
}

const list = (...items: unknown[]) => new Collection(() => items[Symbol.iterator]());

describe("literals", () => {
  it("reads hex with backtick separators, decimal, floats, strings and booleans", () => {
    expect(dx("0x00000000`7ffe0000")).toBe(0x7ffe0000);
    expect(dx("42")).toBe(42);
    expect(dx("1.5")).toBe(1.5);
    expect(dx('"a\\"b\\\\c\\n"')).toBe('a"b\\c\n');
    expect(dx("true")).toBe(true);
    expect(dx("false")).toBe(false);
  });

  it("gives integers from 0x80000000 up as Int64, exactly", () => {
    expect(dx("0x7fffffff")).toBe(0x7fffffff);
    expect(dx("0x80000000")).toBeInstanceOf(Int64);
    expect(big(dx("0x80000000"))).toBe(0x8000_0000n);
    expect(big(dx("0x1000000000000001"))).toBe(0x1000_0000_0000_0001n);
    expect(big(dx("0xffffffffffffffff"))).toBe(0xffff_ffff_ffff_ffffn);
    expect(big(dx("4294967296"))).toBe(0x1_0000_0000n);
  });
});

describe("operators", () => {
  it("follow C precedence and associativity", () => {
    expect(dx("1 + 2 * 3")).toBe(7);
    expect(dx("(1 + 2) * 3")).toBe(9);
    expect(dx("10 - 4 - 3")).toBe(3);
    expect(dx("1 << 2 + 1")).toBe(8);
    expect(dx("7 & 3 ^ 1 | 8")).toBe(10);
    expect(dx("1 < 2 == 2 > 1")).toBe(true);
    expect(dx("1 + 2 == 3 && 2 * 2 != 5")).toBe(true);
    expect(dx("0 || 1 && 0")).toBe(false);
    expect(dx("-2 * 3")).toBe(-6);
    expect(dx("!0")).toBe(true);
    expect(dx("~0")).toBe(-1);
    expect(dx("0 ? 1 : 0 ? 2 : 3")).toBe(3);
    expect(dx("1 ? 2 : 3")).toBe(2);
  });

  it("divide integers as C does: truncating, remainder with the dividend's sign", () => {
    expect(dx("7 / 2")).toBe(3);
    expect(dx("-7 / 2")).toBe(-3);
    expect(dx("-7 % 3")).toBe(-1);
    expect(dx("3.5 / 2")).toBe(1.75);
  });

  it("short-circuit && and ||", () => {
    expect(dx("1 || nothing")).toBe(true);
    expect(dx("0 && nothing")).toBe(false);
  });

  it("compare strings and concatenate them", () => {
    expect(dx('"Busy" == "Busy"')).toBe(true);
    expect(dx('"a" < "b"')).toBe(true);
    expect(dx('"heap" + "s"')).toBe("heaps");
  });
});

describe("64-bit arithmetic", () => {
  it("is exact where doubles are not", () => {
    expect(dx("0x1000000000000001 == 0x1000000000000000")).toBe(false);
    expect(dx("0x1000000000000001 > 0x1000000000000000")).toBe(true);
    expect(big(dx("0x1000000000000001 + 1"))).toBe(0x1000_0000_0000_0002n);
    expect(big(dx("0x1000000000000001 - 0x1000000000000000"))).toBe(1n);
    expect(big(dx("0x1000000000000001 * 3"))).toBe(0x3000_0000_0000_0003n);
  });

  it("turns a 32-bit result that grows past 31 bits into an Int64", () => {
    expect(big(dx("0x7fffffff + 1"))).toBe(0x8000_0000n);
    expect(big(dx("0x40000000 * 4"))).toBe(0x1_0000_0000n);
    expect(big(dx("1 << 40"))).toBe(1n << 40n);
    expect(dx("0x10 * 2")).toBe(0x20);
  });

  it("keeps a 64-bit operand's result an Int64, wrapping as unsigned 64-bit values do", () => {
    const env = environment({ address: Int64.of(0x1d0_001b_0790n), small: Int64.of(5n) });
    expect(big(dx("@$address + 0x10", env))).toBe(0x1d0_001b_07a0n);
    expect(big(dx("@$address & 0xfff", env))).toBe(0x790n);
    expect(big(dx("@$address >> 4", env))).toBe(0x1d0_001b_079n);
    expect(dx("@$small - 2", env)).toBeInstanceOf(Int64);
    expect(big(dx("0xffffffffffffffff + 1"))).toBe(0n);
    expect(dx("@$small == 5", env)).toBe(true);
    expect(dx("@$address > 0x80000000", env)).toBe(true);
  });
});

describe("lambdas and methods", () => {
  it("pass dx lambdas to LINQ methods, with nested scopes", () => {
    const env = environment({ list: list(1, 2, 3, 4) });
    expect(dx("@$list.Where(x => x % 2 == 0).Count()", env)).toBe(2);
    expect([...(dx("@$list.Select(x => @$list.Where(y => y < x).Count())", env) as Iterable<unknown>)]).toEqual([0, 1, 2, 3]);
    expect(dx("@$list.First(x => x > 2)", env)).toBe(3);
  });

  it("takes (a, b) => … and () => … forms", () => {
    const env = environment({}, { apply: (f: (...args: unknown[]) => unknown, ...args: unknown[]) => f(...args) });
    expect(dx("@$apply((a, b) => a * 10 + b, 4, 2)", env)).toBe(42);
    expect(dx("@$apply(() => 7)", env)).toBe(7);
  });

  it("projects a lambda's parameters outward and its result inward", () => {
    const env: DxEnvironment = {
      ...environment({}, { apply: (f: (x: unknown) => unknown) => f(1) }),
      outward: (value) => (value === 1 ? "seen from outside" : value),
      inward: (value) => `back in: ${String(value)}`,
    };
    expect(dx("@$apply(x => x)", env)).toBe("back in: seen from outside");
  });

  it("calls an alias with the values dx passes: numbers, Int64 from 0x80000000, strings, booleans", () => {
    const seen: unknown[] = [];
    const env = environment({}, { kinds: (...args: unknown[]) => seen.push(...args) });
    dx('@$kinds(1, 0x80000000, "s", true, -5)', env);
    expect(seen[0]).toBe(1);
    expect(big(seen[1])).toBe(0x8000_0000n);
    expect(seen.slice(2)).toEqual(["s", true, -5]);
  });

  it("gives strings from the model their documented members", () => {
    expect(dx('"abc".Length')).toBe(3);
    expect(dx('"heapfind".StartsWith("heap")')).toBe(true);
    expect(dx('"heapfind".Substring(4, 2)')).toBe("fi");
    expect(dx('"heap".Contains("ea")')).toBe(true);
    expect(dx('"7".PadLeft(3, "0")')).toBe("007");
    expect(dx("0x1f.ToDisplayString()")).toBe("0x1f");
  });
});

describe("indexers", () => {
  it("index objects with the indexable concept through getValueAt, checking the dimensionality", () => {
    const calls: unknown[][] = [];
    const table = { getDimensionality: () => 1, getValueAt: (...indices: unknown[]) => (calls.push(indices), 100) };
    const grid = { getDimensionality: () => 2, getValueAt: (row: number, column: number) => row * 10 + column };
    const modules = { getValueAt: (name: string) => `module ${name}` };
    const env = environment({ table, grid, modules });
    expect(dx("@$table[3]", env)).toBe(100);
    expect(calls).toEqual([[3]]);
    expect(dx("@$grid[2, 5]", env)).toBe(25);
    expect(dx('@$modules["ntdll"]', env)).toBe("module ntdll");
    expect(() => dx("@$grid[1]", env)).toThrow("has 2 dimension(s); 1 index(es) given");
  });

  it("index arrays (also with an Int64) and list collections", () => {
    const threads = Object.defineProperty(list("a", "b"), 1, { value: "b" });
    const env = environment({ array: [10, 20, 30], threads });
    expect(dx("@$array[1]", env)).toBe(20);
    expect(dx("@$array[0x80000000 - 0x7fffffff]", env)).toBe(20);
    expect(dx("@$threads[1]", env)).toBe("b");
    expect(() => dx("@$array[3]", env)).toThrow("index 3 is out of bounds (the array has 3 elements)");
    expect(() => dx("@$threads[5]", env)).toThrow("cannot be indexed with [0x5]");
  });
});

describe("errors", () => {
  it("name the column of a syntax error", () => {
    expect(() => parseQuery("1 +")).toThrow("syntax error at column 4: expected an expression, found the end of the expression");
    expect(() => parseQuery("1 $ 2")).toThrow("syntax error at column 3: unexpected character '$'");
    expect(() => parseQuery("(1 + 2")).toThrow("syntax error at column 7: expected ')', found the end of the expression");
    expect(() => parseQuery("a.(")).toThrow("syntax error at column 3: expected a member name, found '('");
    expect(() => parseQuery('"abc')).toThrow("syntax error at column 1: unterminated string");
    expect(() => parseQuery("12abc")).toThrow("syntax error at column 1: malformed number '12a'");
    expect(() => parseQuery("0x")).toThrow("syntax error at column 1: malformed number '0x'");
    expect(() => parseQuery("1 2")).toThrow("syntax error at column 3: expected an operator or the end of the expression, found '2'");
    expect(() => parseQuery("0x10000000000000000")).toThrow("does not fit in 64 bits");
  });

  it("say what could not be evaluated", () => {
    const env = environment({ object: { Name: "x" } });
    expect(() => dx("nothing")).toThrow("Unable to bind name 'nothing'");
    expect(() => dx("@$object.Missing", env)).toThrow("the object has no property 'Missing'");
    expect(() => dx("@$object.Name()", env)).toThrow("'Name' is not a method");
    expect(() => dx("1 / 0")).toThrow("division by zero");
    expect(() => dx("0x100000000 % 0")).toThrow("division by zero");
    expect(() => dx('"a" < 1')).toThrow(`operator '<' cannot compare "a" and 0x1`);
    expect(() => dx("true + 1")).toThrow("operator '+' cannot be applied to true and 0x1");
  });
});

describe("format specifiers", () => {
  it("take ,x ,d and an item count after the expression", () => {
    expect(parseQuery("@$a.b(1, 2)").format).toEqual({ radix: 16 });
    expect(parseQuery("@$a.b(1, 2),x").format).toEqual({ radix: 16 });
    expect(parseQuery("@$a.b(1, 2), d").format).toEqual({ radix: 10 });
    expect(parseQuery("@$a.Select(x => x),5").format).toEqual({ radix: 16, items: 5 });
  });

  it("refuse the others with one line", () => {
    expect(() => parseQuery("@$a,en")).toThrow("format specifier ',en' is not supported here (supported: ,x ,d ,<count>)");
  });
});

describe("!name arguments", () => {
  const args = (text: string) => {
    const parsed = parseAliasArguments("f", text);
    return { values: parsed.args.map((a) => evaluate(a, environment())), call: parsed.call };
  };

  it("take one expression, or a parenthesized list, as dx echoes them", () => {
    expect(args("")).toEqual({ values: [], call: "@$f()" });
    expect(args(" 42")).toEqual({ values: [42], call: "@$f(42)" });
    expect(args(" (5, 7)")).toEqual({ values: [5, 7], call: "@$f(5, 7)" });
    expect(args("()")).toEqual({ values: [], call: "@$f()" });
    expect(args(" (1) + 2")).toEqual({ values: [3], call: "@$f((1) + 2)" });
    expect(args(" (1), 2")).toEqual({ values: [1, 2], call: "@$f((1), 2)" });
  });

  it("take an unparenthesized comma list as several arguments (CreateFunctionAlias)", () => {
    expect(args(' 5, "B", true')).toEqual({ values: [5, "B", true], call: '@$f(5, "B", true)' });
  });

  it("reject what follows a complete argument", () => {
    expect(() => args(" 1 2")).toThrow("syntax error at column 3: expected ',' or the end of the arguments, found '2'");
  });
});
