// ScriptSession.execute: `!name args` and `dx` command lines typed as in WinDbg, run against a
// small script loaded the way .scriptload loads it; and toJson, the shape `dxheap --json` prints.
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { JSON_DEPTH, JSON_ITEMS } from "../../nodehost/dx-json";
import { Int64 } from "../../nodehost/int64";
import { ScriptSession } from "../../nodehost/session";
import { TestMemory, x64Target } from "./targets";

const SCRIPT = String.raw`"use strict";
class Table {
    getDimensionality() { return 1; }
    getValueAt(i) { return i * 10; }
    *[Symbol.iterator]() { for (var i = 5; i < 8; i++) yield new host.indexedValue(i * 10, [i]); }
}
class Item {
    constructor(name, size) { this.Name = name; this.Size = size; this.__secret = 1; }
    toString() { return this.Name; }
}
function sum(a, b) {
    var total = host.Int64(a).add(b);
    host.diagnostics.debugLog("sum = ", total.toString(16), "\n");
    return total;
}
function kinds() {
    var names = [];
    for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        names.push(a instanceof host.Int64 ? "Int64 " + a.toString(16) : typeof a + " " + String(a));
    }
    return names.join(", ");
}
function numbers(count) { var out = []; for (var i = 0; i < (count === undefined ? 4 : count); i++) out.push(i); return out; }
function items() { return [new Item("a", 0x10), new Item("bb", 0x208), new Item("ccc", host.Int64(0x80000000))]; }
function table() { return new Table(); }
function nothing() { host.diagnostics.debugLog("printed only\n"); }
function fail() { throw new Error("boom"); }
function failing() { return { get Good() { return 1; }, get Bad() { throw new Error("bad getter"); } }; }
function nested() { var inner = { Leaf: 1 }; return { A: { B: { C: { D: { E: 1 } } } }, First: inner, Again: inner }; }
function double(x) { return x * 2; }
function initializeScript() {
    return [
        new host.apiVersionSupport(1, 3),
        new host.functionAlias(sum, "sum"),
        new host.functionAlias(kinds, "kinds"),
        new host.functionAlias(numbers, "numbers"),
        new host.functionAlias(items, "items"),
        new host.functionAlias(table, "table"),
        new host.functionAlias(nothing, "nothing"),
        new host.functionAlias(fail, "fail"),
        new host.functionAlias(failing, "failing"),
        new host.functionAlias(nested, "nested")
    ];
}
`;

const scriptPath = join(mkdtempSync(join(tmpdir(), "dx-command-")), "fixture.js");
writeFileSync(scriptPath, SCRIPT);
const FAIL_AT = (() => {
  const lines = SCRIPT.split("\n");
  const line = lines.findIndex((l) => l.includes('new Error("boom")'));
  return `line ${line + 1} col ${lines[line].indexOf('new Error("boom")') + 1}`;
})();

function load(): ScriptSession {
  return ScriptSession.load(scriptPath, x64Target(new TestMemory().map(0x7ff_0000_0000n, 0x3000)));
}

describe("!name args", () => {
  it("prints the function's text, then its value as dx shows @$name(args)", () => {
    const result = load().execute("!sum (0x100000000, 5)");
    expect(result.output).toBe("sum = 100000005\n@$sum(0x100000000, 5) : 0x100000005\n");
    expect(Int64.bigintOf(result.value as Int64)).toBe(0x1_0000_0005n);
    expect(result.error).toBeUndefined();
  });

  it("passes numbers, Int64 from 0x80000000, strings, booleans and 64-bit results, with or without parentheses", () => {
    const session = load();
    expect(session.execute('!kinds 1, 0x80000000, "B", true, 0x7fffffff + 1').value).toBe(
      "number 1, Int64 80000000, string B, boolean true, Int64 80000000",
    );
    expect(session.execute("!kinds (2)").output).toBe('@$kinds(2) : "number 2"\n');
    expect(session.execute("!kinds").output).toBe('@$kinds() : ""\n');
  });

  it("lists a returned collection one level deep", () => {
    expect(load().execute("!numbers 3").output).toBe("@$numbers(3)\n    [0x0] : 0x0\n    [0x1] : 0x1\n    [0x2] : 0x2\n");
  });

  it("shows nothing after the text when the function returns undefined", () => {
    expect(load().execute("!nothing")).toEqual({ output: "printed only\n", value: undefined });
  });

  it("prints a script's exception as dx does, as the last line", () => {
    const result = load().execute("!fail");
    expect(result.output).toBe(`Error: boom [at fixture (${FAIL_AT})]\n`);
    expect(result.error).toBe(`Error: boom [at fixture (${FAIL_AT})]`);
  });

  it("says which aliases exist when the name is unknown", () => {
    expect(load().execute("!nope").error).toMatch(/^Error: no function alias 'nope' is registered \(registered: sum, kinds, /);
  });
});

describe("dx", () => {
  it("echoes the expression as the header, with the value's display string", () => {
    const session = load();
    expect(session.execute("dx @$curprocess.Name").output).toBe('@$curprocess.Name : "leaky.exe"\n');
    expect(session.execute("dx @$curprocess.Id + 1").output).toBe("@$curprocess.Id + 1 : 0x1235\n");
    expect(session.execute("dx @$scriptContents.double(21)").output).toBe("@$scriptContents.double(21) : 0x2a\n");
  });

  it("runs LINQ with lambdas over the script's objects, which keep __ names hidden", () => {
    const session = load();
    expect(session.execute("dx @$items().Where(i => i.Size >= 0x208).Select(i => i.Name)").output).toBe(
      '@$items().Where(i => i.Size >= 0x208).Select(i => i.Name)\n    [0x0] : "bb"\n    [0x1] : "ccc"\n',
    );
    expect(session.execute("dx @$items().Where(i => i.Name.Length == 2).Count()").value).toBe(1);
    expect(session.execute("dx @$items()[0].__secret").error).toBe("Error: a has no property '__secret'");
  });

  it("indexes the script's indexable objects through getValueAt, and labels indexedValue items", () => {
    const session = load();
    expect(session.execute("dx @$table()[7]").output).toBe("@$table()[7] : 0x46\n");
    expect(session.execute("dx @$table()").output).toBe("@$table()\n    [0x5] : 0x32\n    [0x6] : 0x3c\n    [0x7] : 0x46\n");
  });

  it("goes -r<n> levels deep", () => {
    const session = load();
    expect(session.execute("dx -r0 @$items()[1]").output).toBe("@$items()[1] : bb\n");
    expect(session.execute("dx @$items()[1]").output).toBe('@$items()[1] : bb\n    Name : "bb"\n    Size : 0x208\n');
    expect(session.execute("dx -r2 @$items().Take(1)").output).toBe('@$items().Take(1)\n    [0x0] : a\n        Name : "a"\n        Size : 0x10\n');
  });

  it("applies ,d and ,<count> to ordinals, labels and the number of items shown", () => {
    const session = load();
    expect(session.execute("dx @$numbers(12),d").output).toBe(
      "@$numbers(12),d\n" + Array.from({ length: 12 }, (_, i) => `    [${i}] : ${i}\n`).join(""),
    );
    expect(session.execute("dx @$numbers(),2").output).toBe("@$numbers(),2\n    [0x0] : 0x0\n    [0x1] : 0x1\n    [...]\n");
    expect(session.execute("dx 0x80000000,d").output).toBe("0x80000000,d : 2147483648\n");
  });

  it("draws -g as a grid: a row per item, a column per property", () => {
    expect(load().execute("dx -g @$items()").output).toBe(
      [
        "========================================",
        "=           = Name     = Size          =",
        "========================================",
        '= [0x0]     - "a"      - 0x10          =',
        '= [0x1]     - "bb"     - 0x208         =',
        '= [0x2]     - "ccc"    - 0x80000000    =',
        "",
      ].join("\n"),
    );
  });

  it("marks grid columns holding objects with (+), and falls back to the list for a single object", () => {
    const session = load();
    expect(session.execute("dx -g @$items().Select(i => @$table()).Take(1)").output).toBe(
      ["========================", "=           = (+)      =", "========================", "= [0x0]     - {...}    =", ""].join("\n"),
    );
    expect(session.execute("dx -g @$items()[0]").output).toBe('@$items()[0] : a\n    Name : "a"\n    Size : 0x10\n');
  });

  it("shows a failing property in place, and fails the command for an unknown name or option", () => {
    const session = load();
    expect(session.execute("dx @$failing()").output).toMatch(/^@\$failing\(\) : \[object Object\]\n {4}Good : 0x1\n {4}Bad : Error: bad getter \[at fixture \(line \d+ col \d+\)\]\n$/);
    expect(session.execute("dx nothing").output).toBe("Error: Unable to bind name 'nothing'\n");
    expect(session.execute("dx -v 1").error).toBe("Error: dx option '-v' is not supported by the Node host (supported: -r<n>, -g)");
    expect(session.execute("dx").error).toBe("Error: dx needs an expression");
    expect(session.execute("k").error).toBe("Error: the Node host runs only !<function alias>, dx and .effmach commands, not 'k'");
    expect(session.execute("dx 1 +").error).toBe("Error: syntax error at column 4: expected an expression, found the end of the expression");
  });
});

describe("toJson", () => {
  it("gives Int64 as 0x strings, numbers as numbers, objects by their dx properties, collections as arrays", () => {
    const session = load();
    expect(session.toJson(session.execute("!items").value)).toEqual([
      { Name: "a", Size: 16 },
      { Name: "bb", Size: 0x208 },
      { Name: "ccc", Size: "0x80000000" },
    ]);
    expect(session.toJson(session.execute("!nothing").value)).toBeNull();
    expect(session.toJson(session.execute("dx @$curprocess.Modules[1]").value)).toEqual({ Name: "ntdll.dll", BaseAddress: "0x7ffb00000000", Size: "0x1f0000" });
  });

  it("reports a throwing property as { error }", () => {
    const session = load();
    expect(session.toJson(session.execute("!failing").value)).toEqual({ Good: 1, Bad: { error: expect.stringMatching(/^Error: bad getter \[at fixture/) } });
  });

  it(`stops at ${JSON_ITEMS} items, ${JSON_DEPTH} levels, and objects met before`, () => {
    const session = load();
    const many = session.toJson(session.execute(`!numbers ${JSON_ITEMS + 5}`).value) as unknown[];
    expect(many).toHaveLength(JSON_ITEMS + 1);
    expect(many[JSON_ITEMS - 1]).toBe(JSON_ITEMS - 1);
    expect(many[JSON_ITEMS]).toBe("[...]");
    expect(session.toJson(session.execute("!nested").value)).toEqual({ A: { B: { C: { D: "[object Object]" } } }, First: { Leaf: 1 }, Again: "[object Object]" });
  });
});
