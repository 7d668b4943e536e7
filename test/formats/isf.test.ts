// The ISF reader on a real volatility3 table (ntkrnlmp 10.0.19041.3324, subset) and on small
// documents made here.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IsfTypes } from "../../nodehost/formats/isf";

const REAL_ISF = path.join(__dirname, "..", "fixtures", "layouts", "x64-10.0.19041.3324.isf.json");

describe("x64-10.0.19041.3324.isf.json", () => {
  const types = IsfTypes.load(REAL_ISF);
  const offset = (type: string, field: string) => types.userType(type)?.field(field)?.offset;

  test("pointer size and type sizes", () => {
    expect(types.pointerSize).toBe(8);
    expect(types.userType("_HEAP")?.size).toBe(0x2c0);
    expect(types.userType("_HEAP")?.kind).toBe("struct");
    expect(types.userType("_HEAP_ENTRY")?.size).toBe(0x10);
    expect(types.userType("_NO_SUCH_TYPE")).toBeUndefined();
  });

  test("field offsets", () => {
    expect(offset("_HEAP", "Encoding")).toBe(0x80);
    expect(offset("_HEAP", "EncodeFlagMask")).toBe(0x7c);
    expect(offset("_HEAP", "SegmentList")).toBe(0x120);
    expect(offset("_HEAP", "VirtualAllocdBlocks")).toBe(0x110);
    expect(offset("_PEB", "ProcessHeaps")).toBe(0xf0);
    expect(offset("_TEB", "ProcessEnvironmentBlock")).toBe(0x60);
    expect(types.userType("_HEAP")?.field("NoSuchField")).toBeUndefined();
  });

  test("field types", () => {
    expect(types.userType("_HEAP")?.field("Encoding")?.type).toEqual({ kind: "struct", name: "_HEAP_ENTRY" });
    expect(types.userType("_PEB")?.field("ProcessHeaps")?.type).toEqual({ kind: "pointer", subtype: { kind: "pointer", subtype: { kind: "base", name: "void" } } });
    expect(types.userType("_TEB")?.field("ProcessEnvironmentBlock")?.type).toEqual({ kind: "pointer", subtype: { kind: "struct", name: "_PEB" } });
  });

  test("a bitfield keeps its position and length", () => {
    expect(types.userType("_PEB")?.field("IsProtectedProcess")).toEqual({
      name: "IsProtectedProcess",
      offset: 3,
      type: { kind: "bitfield", bit_position: 1, bit_length: 1, type: { kind: "base", name: "unsigned char" } },
    });
    expect(types.userType("_PEB")?.field("SpareTracingBits")?.type).toMatchObject({ kind: "bitfield", bit_position: 3, bit_length: 29 });
  });

  test("fields are sorted by offset, then name", () => {
    const fields = types.userType("_HEAP_ENTRY")!.fields;
    expect(fields.slice(0, 5).map((f) => [f.offset, f.name])).toEqual([
      [0, "ExtendedEntry"],
      [0, "PreviousBlockPrivateData"],
      [0, "Reserved"],
      [0, "ReservedForAlignment"],
      [0, "UnpackedEntry"],
    ]);
    for (let i = 1; i < fields.length; i++) {
      const [a, b] = [fields[i - 1], fields[i]];
      expect(a.offset < b.offset || (a.offset === b.offset && a.name < b.name)).toBe(true);
    }
  });

  test("base types and enums", () => {
    expect(types.baseType("unsigned long")).toEqual({ name: "unsigned long", size: 4, signed: false, kind: "int" });
    expect(types.baseType("char")).toEqual({ name: "char", size: 1, signed: true, kind: "char" });
    expect(types.baseType("no such")).toBeUndefined();
    const failure = types.enumType("_HEAP_FAILURE_TYPE");
    expect(failure).toMatchObject({ size: 4, base: "int" });
    expect(failure?.constants.heap_failure_internal).toBe(0);
    expect(failure?.constants.heap_failure_usage_after_free).toBe(11);
    expect(types.enumType("_LDR_DDAG_STATE")?.constants.LdrModulesInitError).toBe(-4);
  });

  test("sizeOf", () => {
    expect(types.sizeOf({ kind: "pointer", subtype: { kind: "struct", name: "_PEB" } })).toBe(8);
    expect(types.sizeOf({ kind: "struct", name: "_HEAP" })).toBe(0x2c0);
    expect(types.sizeOf({ kind: "base", name: "unsigned short" })).toBe(2);
    expect(types.sizeOf({ kind: "enum", name: "_HEAP_FAILURE_TYPE" })).toBe(4);
    expect(types.sizeOf(types.userType("_HEAP")!.field("FrontEndHeapStatusBitmap")!.type)).toBe(129);
    expect(types.sizeOf({ kind: "array", count: 3, subtype: { kind: "struct", name: "_HEAP_ENTRY" } })).toBe(0x30);
    expect(types.sizeOf(types.userType("_PEB")!.field("SpareTracingBits")!.type)).toBe(4);
  });

  test("sizeOf refuses what has no size", () => {
    // The subset keeps pointers to _ACTIVATION_CONTEXT but not the type itself.
    expect(() => types.sizeOf({ kind: "struct", name: "_ACTIVATION_CONTEXT" })).toThrow('ISF: no user type named "_ACTIVATION_CONTEXT"');
    expect(() => types.sizeOf({ kind: "function" })).toThrow("a function type has no size");
  });

  test("a table without symbols has none", () => {
    expect(types.symbolRva("RtlpLFHKey")).toBeUndefined();
    expect(types.symbolType("RtlpLFHKey")).toBeUndefined();
  });
});

/** A small, valid ISF document; tests break one part at a time. */
function document(): any {
  return {
    metadata: { format: "6.2.0", producer: { name: "test" } },
    base_types: {
      pointer: { kind: "int", size: 4, signed: false, endian: "little" },
      "unsigned long": { kind: "int", size: 4, signed: false, endian: "little" },
      void: { kind: "void", size: 0, signed: true, endian: "little" },
    },
    user_types: {
      _LIST_ENTRY: {
        kind: "struct",
        size: 8,
        fields: {
          Flink: { offset: 0, type: { kind: "pointer", subtype: { kind: "struct", name: "_LIST_ENTRY" } } },
          Blink: { offset: 4, type: { kind: "pointer", subtype: { kind: "struct", name: "_LIST_ENTRY" } } },
        },
      },
      Callbacks: { kind: "class", size: 4, fields: { Run: { offset: 0, type: { kind: "pointer", subtype: { kind: "function" } } } } },
    },
    enums: { COLOR: { size: 4, base: "unsigned long", constants: { Red: 1, Green: 2 } } },
    symbols: {
      RtlpProcessHeaps: { address: 0x125c40, type: { kind: "struct", name: "_LIST_ENTRY" } },
      RtlpLFHKey: { address: 0x1263a8 },
    },
  };
}

describe("a small document", () => {
  test("symbols: RVAs and types", () => {
    const types = IsfTypes.parse(document());
    expect(types.pointerSize).toBe(4);
    expect(types.symbolRva("RtlpProcessHeaps")).toBe(0x125c40);
    expect(types.symbolType("RtlpProcessHeaps")).toEqual({ kind: "struct", name: "_LIST_ENTRY" });
    expect(types.symbolRva("RtlpLFHKey")).toBe(0x1263a8);
    expect(types.symbolType("RtlpLFHKey")).toBeUndefined();
    expect(types.symbolRva("Missing")).toBeUndefined();
  });

  test("classes, functions and 4-byte pointers", () => {
    const types = IsfTypes.parse(document());
    expect(types.userType("Callbacks")?.kind).toBe("class");
    expect(types.userType("Callbacks")?.field("Run")?.type).toEqual({ kind: "pointer", subtype: { kind: "function" } });
    expect(types.sizeOf({ kind: "class", name: "Callbacks" })).toBe(4);
    expect(types.sizeOf({ kind: "pointer", subtype: { kind: "base", name: "void" } })).toBe(4);
    expect(types.userType("_LIST_ENTRY")?.fields.map((f) => f.name)).toEqual(["Flink", "Blink"]);
  });

  test.each<[string, (json: any) => void, string | RegExp]>([
    ["not an object", (json) => Object.assign(json, { base_types: [] }), "ISF: base_types should be an object, found an array"],
    ["no metadata", (json) => delete json.metadata, "ISF: metadata should be an object, found nothing"],
    ["another format", (json) => (json.metadata.format = "4.1.0"), 'metadata.format is "4.1.0"; this reader knows format 6.x'],
    ["no pointer base type", (json) => delete json.base_types.pointer, "base_types has no 'pointer' entry"],
    ["a 2-byte pointer", (json) => (json.base_types.pointer.size = 2), "base_types.pointer.size is 2; expected 4 or 8"],
    ["a big-endian type", (json) => (json.base_types.void.endian = "big"), "base_types.void is big-endian"],
    ["a user type of unknown kind", (json) => (json.user_types._LIST_ENTRY.kind = "interface"), 'user_types._LIST_ENTRY.kind is "interface"; expected one of struct, union, class'],
    ["a field offset that is text", (json) => (json.user_types._LIST_ENTRY.fields.Blink.offset = "4"), 'user_types._LIST_ENTRY.fields.Blink.offset should be an integer, found string "4"'],
    ["a negative size", (json) => (json.user_types._LIST_ENTRY.size = -8), "user_types._LIST_ENTRY.size should not be negative"],
    ["a type reference of unknown kind", (json) => (json.user_types._LIST_ENTRY.fields.Flink.type.subtype.kind = "ref"), 'user_types._LIST_ENTRY.fields.Flink.type.subtype.kind is "ref"'],
    ["an array without a count", (json) => (json.user_types.Callbacks.fields.Run.type = { kind: "array", subtype: { kind: "base", name: "void" } }), "user_types.Callbacks.fields.Run.type.count should be an integer, found nothing"],
    ["a zero-length bitfield", (json) => (json.user_types.Callbacks.fields.Run.type = { kind: "bitfield", bit_position: 0, bit_length: 0, type: { kind: "base", name: "unsigned long" } }), "bit_length is 0"],
    ["an enum constant that is not a number", (json) => (json.enums.COLOR.constants.Red = null), "enums.COLOR.constants.Red should be an integer, found null"],
    ["a symbol without an address", (json) => delete json.symbols.RtlpLFHKey.address, "symbols.RtlpLFHKey.address should be an integer, found nothing"],
  ])("refuses %s", (_, breakIt, message) => {
    const json = document();
    breakIt(json);
    expect(() => IsfTypes.parse(json)).toThrow(message);
  });

  test("load names the file it could not read or parse", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dxheap-isf-"));
    try {
      const missing = path.join(dir, "missing.isf.json");
      expect(() => IsfTypes.load(missing)).toThrow(`ISF: cannot read ${missing}`);
      const broken = path.join(dir, "broken.isf.json");
      fs.writeFileSync(broken, JSON.stringify({ ...document(), enums: 7 }));
      expect(() => IsfTypes.load(broken)).toThrow(`ISF: enums should be an object, found number 7 (in ${broken})`);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
