// Native typed objects over the target's memory, typed by a module's ISF symbol table: what
// host.createTypedObject and typed fields give a script (docs/jsprovider.md §1.7, §1.8, §1.9).
// Reads are lazy: a field is read when it is accessed, through TargetMemory and its counters.
import type { IsfField, IsfTypeRef, IsfTypes } from "./formats/isf";
import type { HostCounters, Realm, TargetMemory } from "./host";
import { Int64 } from "./int64";

/** Native objects list the names dx shows through this method (nodehost/dx.ts). */
export const DX_KEYS = Symbol("dxKeys");

/** What native objects need from the host: memory, counters, the script's Error classes, options. */
export interface NativeEnvironment {
  readonly memory: TargetMemory;
  readonly counters: HostCounters;
  readonly realm: Realm;
  /** type.fields[name] for a name the type lacks: throw or give undefined (HostOptions.unknownField). */
  readonly unknownField: "throw" | "undefined";
}

/** Names JsProvider projects onto every native object; they hide same-named fields (docs/jsprovider.md §1.8). */
const NATIVE_NAMES = ["address", "targetLocation", "targetSize", "targetType", "getObjectValue", "toString"];
/** Names projected onto pointers, in addition. */
const POINTER_NAMES = [...NATIVE_NAMES, "dereference", "isNull", "add"];

const STATE = Symbol("nativeState");

interface NativeState {
  readonly space: TypeSpace;
  readonly ref: IsfTypeRef;
  /** Where the object lives; for a pointer, where the pointer is stored (undefined if computed). */
  readonly location: bigint | undefined;
}

interface PointerState extends NativeState {
  /** The pointer's value: the address it points to. */
  readonly value: bigint;
}

/** A location object (targetLocation): an address with byte arithmetic. */
export class TargetLocation {
  readonly #address: bigint;
  constructor(address: bigint) {
    this.#address = BigInt.asUintN(64, address);
  }
  static addressOf(location: TargetLocation): bigint {
    return location.#address;
  }
  add(bytes: number | Int64): TargetLocation {
    return new TargetLocation(this.#address + bigintOf(bytes));
  }
  subtract(bytes: number | Int64): TargetLocation {
    return new TargetLocation(this.#address - bigintOf(bytes));
  }
  toString(): string {
    return `0x${this.#address.toString(16)}`;
  }
}

/** Members every native typed object has. Field getters live on per-type prototypes below it. */
export class NativeObject {
  declare readonly [STATE]: NativeState;

  get address(): Int64 {
    return Int64.of(locationOf(this));
  }
  get targetLocation(): TargetLocation {
    return new TargetLocation(locationOf(this));
  }
  get targetSize(): Int64 {
    return Int64.of(BigInt(this[STATE].space.sizeOf(this[STATE].ref)));
  }
  get targetType(): TypeObject {
    return this[STATE].space.typeObject(this[STATE].ref);
  }
  /** A field by name, even one hidden by a projected name (API 1.1, docs/jsprovider.md §1.3). */
  getObjectValue(name: string): unknown {
    const { space, ref } = this[STATE];
    const field = space.fieldsOf(ref).find((f) => f.name === name);
    if (!field) throw new space.env.realm.Error(`${space.typeName(ref)} has no field '${name}'`);
    return space.fieldValue(locationOf(this), field);
  }
  toString(): string {
    return `[Type: ${this[STATE].space.typeName(this[STATE].ref)}]`;
  }
  [DX_KEYS](): string[] {
    const { space, ref } = this[STATE];
    return space
      .fieldsOf(ref)
      .map((f) => f.name)
      .filter((name) => !NATIVE_NAMES.includes(name));
  }
}

// Instances are made with Object.create (one prototype per type), so no #private members here.
function locationOf(object: NativeObject): bigint {
  const { space, location } = object[STATE];
  if (location === undefined) throw new space.env.realm.Error("this object has no location in the target");
  return location;
}

export class StructObject extends NativeObject {}

export class ArrayObject extends NativeObject {
  *[Symbol.iterator](): Iterator<unknown> {
    const { space, ref, location } = this[STATE];
    if (ref.kind !== "array" || location === undefined) return;
    const stride = BigInt(space.sizeOf(ref.subtype));
    for (let i = 0; i < ref.count; i++) yield space.valueAt(ref.subtype, location + BigInt(i) * stride);
  }
}

export class PointerObject extends NativeObject {
  declare readonly [STATE]: PointerState;

  /** The pointer's value, not where it is stored (docs/jsprovider.md §1.8). */
  override get address(): Int64 {
    return Int64.of(this[STATE].value);
  }
  get isNull(): boolean {
    return this[STATE].value === 0n;
  }
  dereference(): unknown {
    const { space, ref, value } = this[STATE];
    return space.valueAt(pointee(ref), value);
  }
  /** Pointer arithmetic in elements: "moving forward by the size of 1 object" (docs/jsprovider.md §1.8). */
  add(count: number | Int64): PointerObject {
    const { space, ref, value } = this[STATE];
    const target = pointee(ref);
    const stride = target.kind === "base" && target.name === "void" ? 1n : BigInt(space.sizeOf(target));
    return space.pointer(ref, value + bigintOf(count) * stride, undefined);
  }
  override toString(): string {
    return `0x${this[STATE].value.toString(16)} [Type: ${this[STATE].space.typeName(this[STATE].ref)}]`;
  }
  override [DX_KEYS](): string[] {
    const { space, ref } = this[STATE];
    const target = finalPointee(ref);
    return isUserType(target) ? space.fieldsOf(target).map((f) => f.name).filter((name) => !POINTER_NAMES.includes(name)) : [];
  }
}

/** A type object: host.getModuleType, targetType, field types (docs/jsprovider.md §1.9). */
export class TypeObject {
  readonly #space: TypeSpace;
  readonly #ref: IsfTypeRef;
  #fields: Record<string, FieldObject> | undefined;

  constructor(space: TypeSpace, ref: IsfTypeRef) {
    this.#space = space;
    this.#ref = ref;
  }
  static unwrap(type: TypeObject): { space: TypeSpace; ref: IsfTypeRef } {
    return { space: type.#space, ref: type.#ref };
  }

  get name(): string {
    return this.#space.typeName(this.#ref);
  }
  /** A 64-bit value (docs/jsprovider.md §1.9). */
  get size(): Int64 {
    return Int64.of(BigInt(this.#space.sizeOf(this.#ref)));
  }
  get typeKind(): string {
    return typeKind(this.#ref);
  }
  /** What a pointer points to, or an array's element type; null otherwise. */
  get baseType(): TypeObject | null {
    const ref = this.#ref;
    if (ref.kind === "pointer" || ref.kind === "array") return this.#space.typeObject(ref.subtype);
    return null;
  }
  get isBitField(): boolean {
    return this.#ref.kind === "bitfield";
  }
  get bitFieldPositions(): { lsb: number; length: number } | undefined {
    const ref = this.#ref;
    return ref.kind === "bitfield" ? { lsb: ref.bit_position, length: ref.bit_length } : undefined;
  }
  /**
   * Fields by name: { name, type, offset (Int64), locationKind } (docs/jsprovider.md §1.9); its
   * keys are the field names, those of anonymous unions' members included (as the symbols list
   * them). A name the type lacks throws or gives undefined, as the session chose: WinDbg's
   * behaviour is UNVERIFIED.
   */
  get fields(): Record<string, FieldObject> {
    if (!this.#fields) {
      const known: Record<string, FieldObject> = {};
      for (const field of this.#space.fieldsOf(this.#ref)) {
        known[field.name] = new FieldObject(field.name, this.#space.typeObject(field.type), Int64.of(BigInt(field.offset)));
      }
      const { realm, unknownField } = this.#space.env;
      const typeName = this.name;
      this.#fields =
        unknownField === "undefined"
          ? known
          : new Proxy(known, {
              get(target, name, receiver) {
                if (typeof name === "string" && !(name in target)) throw new realm.Error(`the type '${typeName}' has no field '${name}'`);
                return Reflect.get(target, name, receiver);
              },
            });
    }
    return this.#fields;
  }
  toString(): string {
    return this.name;
  }
}

export class FieldObject {
  readonly locationKind = "member";
  constructor(readonly name: string, readonly type: TypeObject, readonly offset: Int64) {}
  toString(): string {
    return `${this.name} : ${this.type.name}`;
  }
}

/** One module's types over the target's memory: names, type objects, and typed values. */
export class TypeSpace {
  private readonly typeObjects = new Map<string, TypeObject>();
  private readonly prototypes = new Map<string, object>();

  constructor(readonly moduleName: string, readonly types: IsfTypes, readonly env: NativeEnvironment) {}

  /** "_HEAP", "unsigned long", "_LIST_ENTRY *", "struct _PEB **" → a type ref, or undefined. */
  resolve(typeName: string): IsfTypeRef | undefined {
    let name = typeName.trim();
    let pointerDepth = 0;
    while (name.endsWith("*")) {
      name = name.slice(0, -1).trim();
      pointerDepth++;
    }
    name = name.replace(/^(struct|union|class|enum)\s+/, "");
    let ref = this.namedRef(name);
    for (let i = 0; ref && i < pointerDepth; i++) ref = { kind: "pointer", subtype: ref };
    return ref;
  }

  typeObject(ref: IsfTypeRef): TypeObject {
    const key = ref.kind === "bitfield" ? `${this.typeName(ref)}:${ref.bit_position}:${ref.bit_length}` : this.typeName(ref);
    let found = this.typeObjects.get(key);
    if (!found) {
      found = new TypeObject(this, ref);
      this.typeObjects.set(key, found);
    }
    return found;
  }

  typeName(ref: IsfTypeRef): string {
    switch (ref.kind) {
      case "pointer":
        return `${this.typeName(ref.subtype)} *`;
      case "array":
        return `${this.typeName(ref.subtype)} [${ref.count}]`;
      case "bitfield":
        return this.typeName(ref.type);
      case "function":
        return "<function>";
      default:
        return ref.name;
    }
  }

  sizeOf(ref: IsfTypeRef): number {
    return this.types.sizeOf(ref);
  }

  fieldsOf(ref: IsfTypeRef): IsfField[] {
    return isUserType(ref) ? this.types.userType(ref.name)?.fields ?? [] : [];
  }

  /** The value a script sees for an object of type ref at address (docs/jsprovider.md §1.4 marshalling). */
  valueAt(ref: IsfTypeRef, address: bigint): unknown {
    switch (ref.kind) {
      case "base":
        return this.readBase(ref.name, address);
      case "enum":
        return this.readEnum(ref.name, address);
      case "pointer":
        return this.pointer(ref, this.readUnsigned(address, this.types.pointerSize), address);
      case "array":
        return this.native(ArrayObject.prototype, ref, { space: this, ref, location: address });
      case "bitfield":
        return this.readBitfield(ref, address);
      case "function":
        throw new this.env.realm.Error(`cannot read a function at Address 0x${address.toString(16)}`);
      default:
        return this.native(StructObject.prototype, ref, { space: this, ref, location: address });
    }
  }

  fieldValue(base: bigint, field: IsfField): unknown {
    return this.valueAt(field.type, base + BigInt(field.offset));
  }

  /** A pointer object of pointer type ref with the given value, stored at location if known. */
  pointer(ref: IsfTypeRef, value: bigint, location: bigint | undefined): PointerObject {
    const state: PointerState = { space: this, ref, location, value: BigInt.asUintN(64, value) };
    return this.native(PointerObject.prototype, ref, state) as PointerObject;
  }

  private namedRef(name: string): IsfTypeRef | undefined {
    const user = this.types.userType(name);
    if (user) return { kind: user.kind, name };
    if (this.types.enumType(name)) return { kind: "enum", name };
    if (this.types.baseType(name)) return { kind: "base", name };
    return undefined;
  }

  private native(base: object, ref: IsfTypeRef, state: NativeState): NativeObject {
    this.env.counters.typedObjectsCreated++;
    return Object.create(this.prototypeFor(base, ref), { [STATE]: { value: state } }) as NativeObject;
  }

  /** One prototype per type, carrying a getter per field (pointers: per field of what they point to). */
  private prototypeFor(base: object, ref: IsfTypeRef): object {
    const key = `${typeKind(ref)}:${this.typeName(ref)}`;
    let proto = this.prototypes.get(key);
    if (proto) return proto;
    proto = Object.create(base) as object;
    if (ref.kind === "pointer") this.addDereferencingGetters(proto, ref);
    else this.addFieldGetters(proto, ref);
    this.prototypes.set(key, proto);
    return proto;
  }

  private addFieldGetters(proto: object, ref: IsfTypeRef): void {
    if (ref.kind === "array") {
      const stride = BigInt(this.sizeOf(ref.subtype));
      for (let i = 0; i < ref.count; i++) {
        const offset = BigInt(i) * stride;
        Object.defineProperty(proto, i, {
          get(this: NativeObject) {
            const { space, location } = this[STATE];
            return space.valueAt(ref.subtype, location! + offset);
          },
        });
      }
      return;
    }
    for (const field of this.fieldsOf(ref)) {
      if (NATIVE_NAMES.includes(field.name)) continue;
      Object.defineProperty(proto, field.name, {
        get(this: NativeObject) {
          const { space, location } = this[STATE];
          return space.fieldValue(location!, field);
        },
      });
    }
  }

  /** Auto-dereference in property lookup: ptr.Flink reads (*ptr).Flink (docs/jsprovider.md §1.8 step 4). */
  private addDereferencingGetters(proto: object, ref: IsfTypeRef): void {
    const target = finalPointee(ref);
    if (!isUserType(target)) return;
    for (const field of this.fieldsOf(target)) {
      if (POINTER_NAMES.includes(field.name)) continue;
      Object.defineProperty(proto, field.name, {
        get(this: PointerObject) {
          const { space, ref: own, value } = this[STATE];
          let address = value;
          for (let at = pointee(own); at.kind === "pointer"; at = at.subtype) address = space.readUnsigned(address, space.types.pointerSize);
          return space.fieldValue(address, field);
        },
      });
    }
  }

  private readBase(name: string, address: bigint): unknown {
    const base = this.types.baseType(name);
    if (!base || base.kind === "void" || base.size === 0) {
      throw new this.env.realm.Error(`cannot read a value of type ${name} at Address 0x${address.toString(16)}`);
    }
    const view = this.view(address, base.size);
    if (base.kind === "float") return base.size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
    if (base.kind === "bool") return view.getUint8(0) !== 0;
    return integer(view, base.size, base.signed);
  }

  private readEnum(name: string, address: bigint): number | Int64 {
    const size = this.sizeOf({ kind: "enum", name });
    const underlying = this.types.baseType(this.types.enumType(name)!.base);
    return integer(this.view(address, size), size, underlying ? underlying.signed : true);
  }

  private readBitfield(ref: Extract<IsfTypeRef, { kind: "bitfield" }>, address: bigint): number | Int64 {
    const size = this.sizeOf(ref.type);
    const storage = this.readUnsigned(address, size);
    const bits = (storage >> BigInt(ref.bit_position)) & ((1n << BigInt(ref.bit_length)) - 1n);
    return size === 8 ? Int64.of(bits) : Number(bits);
  }

  readUnsigned(address: bigint, size: number): bigint {
    const view = this.view(address, size);
    if (size === 8) return view.getBigUint64(0, true);
    return BigInt(size === 4 ? view.getUint32(0, true) : size === 2 ? view.getUint16(0, true) : view.getUint8(0));
  }

  private view(address: bigint, size: number): DataView {
    const bytes = this.env.memory.read(address, size);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/** A location argument as an address: Int64, number, location object, or native object (docs/jsprovider.md §1.6). */
export function addressOf(location: unknown): bigint | undefined {
  if (location instanceof Int64) return BigInt.asUintN(64, Int64.bigintOf(location));
  if (typeof location === "number" && Number.isSafeInteger(location) && location >= 0) return BigInt(location);
  if (location instanceof TargetLocation) return TargetLocation.addressOf(location);
  if (location instanceof PointerObject) return location[STATE].value;
  if (location instanceof NativeObject) return location[STATE].location;
  return undefined;
}

function integer(view: DataView, size: number, signed: boolean): number | Int64 {
  switch (size) {
    case 1:
      return signed ? view.getInt8(0) : view.getUint8(0);
    case 2:
      return signed ? view.getInt16(0, true) : view.getUint16(0, true);
    case 4:
      return signed ? view.getInt32(0, true) : view.getUint32(0, true);
    case 8:
      return signed ? Int64.of(view.getBigInt64(0, true), true) : Int64.of(view.getBigUint64(0, true));
  }
  throw new RangeError(`no ${size}-byte integers`);
}

function bigintOf(value: number | Int64): bigint {
  if (value instanceof Int64) return Int64.bigintOf(value);
  if (!Number.isInteger(value)) throw new TypeError(`expected an integer, got ${value}`);
  return BigInt(value);
}

function pointee(ref: IsfTypeRef): IsfTypeRef {
  if (ref.kind !== "pointer") throw new TypeError(`${ref.kind} is not a pointer type`);
  return ref.subtype;
}

function finalPointee(ref: IsfTypeRef): IsfTypeRef {
  let at = ref;
  while (at.kind === "pointer") at = at.subtype;
  return at;
}

function isUserType(ref: IsfTypeRef): ref is Extract<IsfTypeRef, { kind: "struct" | "union" | "class" }> {
  return ref.kind === "struct" || ref.kind === "union" || ref.kind === "class";
}

/** typeKind as JsProvider names it (docs/jsprovider.md §1.9). */
function typeKind(ref: IsfTypeRef): string {
  switch (ref.kind) {
    case "base":
      return "intrinsic";
    case "bitfield":
      return typeKind(ref.type);
    case "struct":
    case "union":
    case "class":
      return "udt";
    default:
      return ref.kind;
  }
}
