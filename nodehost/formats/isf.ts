// A reader of volatility3 symbol tables (ISF, "Intermediate Symbol Format", format 6.x): the
// types and symbols of one module. The shape follows volatility3's schema
// (volatility3/schemas/schema-6.*.json): top-level base_types, user_types, enums, symbols and
// metadata; a type reference is an object whose "kind" says which other keys it has.
// The whole file is checked when it is parsed; names a reference uses are looked up only when
// they are needed, because subsets (such as test/fixtures/layouts) keep pointers to types they
// leave out.
import * as fs from "fs";

export type IsfTypeRef =
  | { kind: "base"; name: string }
  | { kind: "pointer"; subtype: IsfTypeRef }
  | { kind: "struct" | "union" | "class"; name: string }
  | { kind: "enum"; name: string }
  | { kind: "array"; count: number; subtype: IsfTypeRef }
  | { kind: "bitfield"; bit_position: number; bit_length: number; type: IsfTypeRef }
  | { kind: "function" };

export interface IsfField {
  name: string;
  offset: number;
  type: IsfTypeRef;
}

export interface IsfUserType {
  name: string;
  kind: "struct" | "union" | "class";
  size: number;
  /** Sorted by offset, then name. */
  fields: IsfField[];
  field(name: string): IsfField | undefined;
}

export interface IsfBaseType {
  name: string;
  size: number;
  signed: boolean;
  /** "int", "char", "float", "bool", "void", ... */
  kind: string;
}

export interface IsfEnum {
  size: number;
  /** The base type the values are stored as. */
  base: string;
  constants: Record<string, number>;
}

interface IsfSymbol {
  /** In this project's files, an RVA from the module's base. */
  address: number;
  type?: IsfTypeRef;
}

const USER_TYPE_KINDS = ["struct", "union", "class"] as const;

export class IsfTypes {
  private constructor(
    /** base_types.pointer.size. */
    readonly pointerSize: 4 | 8,
    private readonly baseTypes: Map<string, IsfBaseType>,
    private readonly userTypes: Map<string, IsfUserType>,
    private readonly enums: Map<string, IsfEnum>,
    private readonly symbols: Map<string, IsfSymbol>,
  ) {}

  static parse(json: unknown): IsfTypes {
    const root = object(json, "the ISF document");
    const metadata = object(root.metadata, "metadata");
    const format = string(metadata.format, "metadata.format");
    if (!/^6\.\d+\.\d+$/.test(format)) throw new Error(`ISF: metadata.format is "${format}"; this reader knows format 6.x`);

    const baseTypes = new Map(entries(root.base_types, "base_types").map(([name, value]) => [name, baseType(name, value)]));
    const pointer = baseTypes.get("pointer");
    if (!pointer) throw new Error("ISF: base_types has no 'pointer' entry, which gives the pointer size");
    if (pointer.size !== 4 && pointer.size !== 8) throw new Error(`ISF: base_types.pointer.size is ${pointer.size}; expected 4 or 8`);

    return new IsfTypes(
      pointer.size,
      baseTypes,
      new Map(entries(root.user_types, "user_types").map(([name, value]) => [name, userType(name, value)])),
      new Map(entries(root.enums, "enums").map(([name, value]) => [name, enumType(name, value)])),
      new Map(entries(root.symbols, "symbols").map(([name, value]) => [name, symbol(name, value)])),
    );
  }

  static load(path: string): IsfTypes {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path, "utf8"));
    } catch (error) {
      throw new Error(`ISF: cannot read ${path}: ${(error as Error).message}`);
    }
    try {
      return IsfTypes.parse(json);
    } catch (error) {
      throw new Error(`${(error as Error).message} (in ${path})`);
    }
  }

  userType(name: string): IsfUserType | undefined {
    return this.userTypes.get(name);
  }

  baseType(name: string): IsfBaseType | undefined {
    return this.baseTypes.get(name);
  }

  enumType(name: string): IsfEnum | undefined {
    return this.enums.get(name);
  }

  /** Size in bytes of an object of type ref; throws for names the file does not define, and for functions. */
  sizeOf(ref: IsfTypeRef): number {
    switch (ref.kind) {
      case "base":
        return this.defined(this.baseTypes.get(ref.name), "base type", ref.name).size;
      case "pointer":
        return this.pointerSize;
      case "struct":
      case "union":
      case "class":
        return this.defined(this.userTypes.get(ref.name), "user type", ref.name).size;
      case "enum":
        return this.defined(this.enums.get(ref.name), "enum", ref.name).size;
      case "array":
        return ref.count * this.sizeOf(ref.subtype);
      case "bitfield":
        return this.sizeOf(ref.type);
      case "function":
        throw new Error("ISF: a function type has no size");
    }
  }

  /** The symbol's address: in this project's files an RVA from the module base. */
  symbolRva(name: string): number | undefined {
    return this.symbols.get(name)?.address;
  }

  symbolType(name: string): IsfTypeRef | undefined {
    return this.symbols.get(name)?.type;
  }

  /** Every symbol with its RVA and type, in the file's order (for look-ups by address). */
  symbolList(): { name: string; rva: number; type: IsfTypeRef | undefined }[] {
    return [...this.symbols].map(([name, { address, type }]) => ({ name, rva: address, type }));
  }

  private defined<T>(found: T | undefined, what: string, name: string): T {
    if (found === undefined) throw new Error(`ISF: no ${what} named "${name}"`);
    return found;
  }
}

class UserType implements IsfUserType {
  private readonly byName: Map<string, IsfField>;

  constructor(
    readonly name: string,
    readonly kind: "struct" | "union" | "class",
    readonly size: number,
    readonly fields: IsfField[],
  ) {
    this.byName = new Map(fields.map((field) => [field.name, field]));
  }

  field(name: string): IsfField | undefined {
    return this.byName.get(name);
  }
}

function baseType(name: string, json: unknown): IsfBaseType {
  const where = `base_types.${name}`;
  const value = object(json, where);
  const endian = string(value.endian, `${where}.endian`);
  if (endian !== "little") throw new Error(`ISF: ${where} is ${endian}-endian; only little-endian types are supported`);
  return {
    name,
    size: count(value.size, `${where}.size`),
    signed: boolean(value.signed, `${where}.signed`),
    kind: string(value.kind, `${where}.kind`),
  };
}

function userType(name: string, json: unknown): IsfUserType {
  const where = `user_types.${name}`;
  const value = object(json, where);
  const kind = oneOf(value.kind, USER_TYPE_KINDS, `${where}.kind`);
  const fields = entries(value.fields, `${where}.fields`).map(([fieldName, fieldJson]): IsfField => {
    const fieldWhere = `${where}.fields.${fieldName}`;
    const field = object(fieldJson, fieldWhere);
    return { name: fieldName, offset: count(field.offset, `${fieldWhere}.offset`), type: typeRef(field.type, `${fieldWhere}.type`) };
  });
  fields.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new UserType(name, kind, count(value.size, `${where}.size`), fields);
}

function enumType(name: string, json: unknown): IsfEnum {
  const where = `enums.${name}`;
  const value = object(json, where);
  const constants: Record<string, number> = {};
  for (const [constant, number] of entries(value.constants, `${where}.constants`)) constants[constant] = integer(number, `${where}.constants.${constant}`);
  return { size: count(value.size, `${where}.size`), base: string(value.base, `${where}.base`), constants };
}

function symbol(name: string, json: unknown): IsfSymbol {
  const where = `symbols.${name}`;
  const value = object(json, where);
  const address = count(value.address, `${where}.address`);
  return value.type === undefined ? { address } : { address, type: typeRef(value.type, `${where}.type`) };
}

function typeRef(json: unknown, where: string): IsfTypeRef {
  const value = object(json, where);
  const kind = string(value.kind, `${where}.kind`);
  switch (kind) {
    case "base":
    case "enum":
    case "struct":
    case "union":
    case "class":
      return { kind, name: string(value.name, `${where}.name`) };
    case "pointer":
      return { kind, subtype: typeRef(value.subtype, `${where}.subtype`) };
    case "array":
      return { kind, count: count(value.count, `${where}.count`), subtype: typeRef(value.subtype, `${where}.subtype`) };
    case "bitfield": {
      const bitLength = count(value.bit_length, `${where}.bit_length`);
      if (bitLength === 0) throw new Error(`ISF: ${where}.bit_length is 0`);
      return { kind, bit_position: count(value.bit_position, `${where}.bit_position`), bit_length: bitLength, type: typeRef(value.type, `${where}.type`) };
    }
    case "function":
      return { kind };
    default:
      throw new Error(`ISF: ${where}.kind is "${kind}", not a kind of type reference`);
  }
}

// JSON shape checks; where is the path of the value in the document, for the error message.

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`ISF: ${where} should be an object, found ${describe(value)}`);
  return value as Record<string, unknown>;
}

function entries(value: unknown, where: string): [string, unknown][] {
  return Object.entries(object(value, where));
}

function string(value: unknown, where: string): string {
  if (typeof value !== "string") throw new Error(`ISF: ${where} should be a string, found ${describe(value)}`);
  return value;
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw new Error(`ISF: ${where} should be true or false, found ${describe(value)}`);
  return value;
}

function integer(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new Error(`ISF: ${where} should be an integer, found ${describe(value)}`);
  return value;
}

/** A size, offset, count or address: an integer, not negative. */
function count(value: unknown, where: string): number {
  const number = integer(value, where);
  if (number < 0) throw new Error(`ISF: ${where} should not be negative, found ${number}`);
  return number;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  const text = string(value, where);
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`ISF: ${where} is "${text}"; expected one of ${allowed.join(", ")}`);
  return text as T;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
