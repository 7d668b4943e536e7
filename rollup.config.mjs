// Bundles src/ into dist/dxheap.js: one classic script for WinDbg's .scriptload.
// An iife keeps every helper private; the footer declares the real global functions WinDbg
// looks up by name (docs/jsprovider.md §3.4). Names starting with "__" are hidden from dx.
import typescript from "@rollup/plugin-typescript";

const entryPoints = ["initializeScript", "uninitializeScript"];

export default {
  input: "src/index.ts",
  output: {
    file: "dist/dxheap.js",
    format: "iife",
    name: "__dxheap",
    strict: false,
    banner: "// dxheap: Windows heaps as WinDbg data-model objects. Load with .scriptload dxheap.js\n\"use strict\";",
    footer: entryPoints.map((n) => `function ${n}() { return __dxheap.${n}.apply(this, arguments); }`).join("\n"),
  },
  plugins: [typescript({ tsconfig: "./tsconfig.json" })],
};
