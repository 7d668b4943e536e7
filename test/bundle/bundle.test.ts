// dist/dxheap.js must be what .scriptload needs on both of WinDbg's JavaScript engines:
// one classic script, ES2017 at most (legacy Chakra), no modules, no BigInt, no Node APIs,
// entry points as real global function declarations and every helper private (docs/jsprovider.md §3).
import * as acorn from "acorn";
import { readFileSync } from "fs";
import { join } from "path";

const bundlePath = join(__dirname, "..", "..", "dist", "dxheap.js");
const source = readFileSync(bundlePath, "utf8");

/** Names used as variables anywhere in the tree (property names after "." and object keys are not). */
function identifiers(node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const child of node) identifiers(child, found);
  } else if (node && typeof node === "object") {
    const n = node as { type?: string; name?: string; computed?: boolean; object?: unknown; value?: unknown };
    if (n.type === "Identifier" && n.name) found.add(n.name);
    else if (n.type === "MemberExpression" && !n.computed) identifiers(n.object, found);
    else if ((n.type === "Property" || n.type === "MethodDefinition") && !n.computed) identifiers(n.value, found);
    else for (const value of Object.values(node)) if (value && typeof value === "object") identifiers(value, found);
  }
  return found;
}

describe("dist/dxheap.js", () => {
  const program = acorn.parse(source, { ecmaVersion: 2017, sourceType: "script" });

  it("parses as an ES2017 classic script", () => {
    expect(program.type).toBe("Program");
  });

  it("declares exactly the private bundle object and the global entry points", () => {
    const names = program.body.map((statement) => {
      if (statement.type === "FunctionDeclaration") return `function ${statement.id!.name}`;
      if (statement.type === "VariableDeclaration") return `${statement.kind} ${(statement.declarations[0].id as acorn.Identifier).name}`;
      if (statement.type === "ExpressionStatement" && statement.directive) return `"${statement.directive}"`;
      return statement.type;
    });
    expect(names).toEqual(['"use strict"', "var __dxheap", "function initializeScript", "function uninitializeScript"]);
  });

  it("uses no BigInt and no Node API", () => {
    const used = identifiers(program, new Set());
    for (const name of ["BigInt", "require", "process", "module", "console", "Buffer", "globalThis", "setTimeout"]) {
      expect({ name, used: used.has(name) }).toEqual({ name, used: false });
    }
  });
});
