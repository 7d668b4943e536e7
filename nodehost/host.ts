// The `host` object a script sees, built for one TargetData (api-notes §1: the members dxheap's
// typings/jsprovider.d.ts declare, with WinDbg's semantics). Phase-2 members throw while the
// script's root code and initializeScript run (§1.1). Every host call, memory read and typed
// object is counted for the benchmarks.
import {
  ApiVersionSupport,
  FunctionAlias,
  IndexedValue,
  ModelRegistry,
  NamedModelParent,
  ProcessObject,
  executeCommand,
  matchesModule,
  modelView,
  valueWithMetadata,
} from "./datamodel";
import { Int64, int64Constructor, parseInt64 } from "./int64";
import type { TargetData, TargetModule, TargetRegion } from "./target";
import { type NativeEnvironment, PointerObject, TypeObject, TypeSpace, addressOf } from "./typed";

/** The script context's own constructors: what the host hands out must pass `instanceof` inside it. */
export interface Realm {
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
  RangeError: RangeErrorConstructor;
  Array: ArrayConstructor;
  Uint8Array: Uint8ArrayConstructor;
  Uint16Array: Uint16ArrayConstructor;
  Uint32Array: Uint32ArrayConstructor;
  Int8Array: Int8ArrayConstructor;
  Int16Array: Int16ArrayConstructor;
  Int32Array: Int32ArrayConstructor;
}

/** Node's own constructors, for a host used outside a vm context (unit tests). */
export const NODE_REALM: Realm = { Error, TypeError, RangeError, Array, Uint8Array, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array };

export interface HostCounters {
  /** Calls of host functions (host.X(...), host.memory.*, host.diagnostics.*, ExecuteCommand). */
  hostCalls: number;
  /** Reads of target memory: readMemoryValues calls and typed-object field reads. */
  memoryReads: number;
  bytesRead: number;
  /** Native objects created over target memory: structs, pointers, arrays. */
  typedObjectsCreated: number;
}

/** The target's readable memory. A read may span adjacent regions; any byte outside them fails the read. */
export class TargetMemory {
  constructor(private readonly regions: readonly TargetRegion[], private readonly counters: HostCounters, private readonly realm: Realm) {}

  read(address: bigint, length: number): Uint8Array {
    return this.readInto(address, new Uint8Array(length));
  }

  readInto(address: bigint, out: Uint8Array): Uint8Array {
    this.counters.memoryReads++;
    let filled = 0;
    let index = this.regionIndex(address);
    while (filled < out.length) {
      const at = address + BigInt(filled);
      const region = this.regions[index];
      if (!region || at < region.base || at >= region.base + BigInt(region.bytes.length)) {
        // dx's wording for unreadable memory; the provider's own text is UNVERIFIED (api-notes §1.6).
        throw new this.realm.Error(`Unable to read memory at Address 0x${address.toString(16)}`);
      }
      const offset = Number(at - region.base);
      const count = Math.min(out.length - filled, region.bytes.length - offset);
      out.set(region.bytes.subarray(offset, offset + count), filled);
      filled += count;
      index++;
    }
    this.counters.bytesRead += out.length;
    return out;
  }

  /** Index of the region holding address, or -1. */
  private regionIndex(address: bigint): number {
    let low = 0;
    let high = this.regions.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const region = this.regions[middle];
      if (address < region.base) high = middle - 1;
      else if (address >= region.base + BigInt(region.bytes.length)) low = middle + 1;
      else return middle;
    }
    return -1;
  }
}

export interface ApiVersion {
  major: number;
  minor: number;
}

/** One script's host: the `host` object plus the state the session drives (phase, records, counters). */
export class HostRuntime {
  readonly counters: HostCounters = { hostCalls: 0, memoryReads: 0, bytesRead: 0, typedObjectsCreated: 0 };
  readonly registry = new ModelRegistry();
  readonly memory: TargetMemory;
  readonly host: object;
  /** 1 while the root code and initializeScript run, then 2 (api-notes §1.1). */
  phase: 1 | 2 = 1;
  /** From the script's apiVersionSupport record; 1.0 by default (api-notes §1.3). */
  apiVersion: ApiVersion = { major: 1, minor: 0 };
  /** Everything host.diagnostics.debugLog printed. */
  log = "";

  private readonly environment: NativeEnvironment;
  private readonly typeSpaces = new Map<TargetModule, TypeSpace>();
  private readonly processView: ProcessObject;

  constructor(readonly target: TargetData, readonly realm: Realm) {
    this.memory = new TargetMemory(target.regions, this.counters, realm);
    this.environment = { memory: this.memory, counters: this.counters, realm };
    this.processView = modelView(
      new ProcessObject({ target, realm, registry: this.registry, ntdllTypes: () => this.typesOf("ntdll") }),
      "Debugger.Models.Process",
      this.registry,
    );
    this.host = this.buildHost();
  }

  /** host.currentProcess, as the script sees it (parent models applied). */
  get process(): ProcessObject {
    return this.processView;
  }

  /** A module's types over the target's memory, or undefined when the module or its types are missing. */
  typesOf(moduleName: string): TypeSpace | undefined {
    const module = this.target.modules.find((m) => matchesModule(m, moduleName));
    if (!module || !module.types) return undefined;
    let space = this.typeSpaces.get(module);
    if (!space) {
      space = new TypeSpace(module.name, module.types, this.environment);
      this.typeSpaces.set(module, space);
    }
    return space;
  }

  atLeast(major: number, minor: number): boolean {
    return this.apiVersion.major > major || (this.apiVersion.major === major && this.apiVersion.minor >= minor);
  }

  private buildHost(): object {
    const counted = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      this.counters.hostCalls++;
      return fn(...args);
    };
    const host: Record<string, unknown> = {
      Int64: int64Constructor(() => this.counters.hostCalls++),
      parseInt64: counted(parseInt64),
      diagnostics: { debugLog: counted((...values: unknown[]) => this.debugLog(values)) },
      metadata: { valueWithMetadata },
      apiVersionSupport: ApiVersionSupport,
      namedModelParent: NamedModelParent,
      functionAlias: FunctionAlias,
    };
    const phase2: Record<string, unknown> = {
      indexedValue: IndexedValue,
      currentProcess: undefined, // read live: the process view
      memory: { readMemoryValues: counted(this.readMemoryValues.bind(this)) },
      namespace: {
        Debugger: { Utility: { Control: { ExecuteCommand: counted((command: string) => executeCommand(this.target, command)) } } },
      },
      getModuleType: counted(this.getModuleType.bind(this)),
      getModuleSymbolAddress: counted(this.getModuleSymbolAddress.bind(this)),
      createTypedObject: counted(this.createTypedObject.bind(this)),
      createPointerObject: counted(this.createPointerObject.bind(this)),
    };
    for (const [name, value] of Object.entries(phase2)) {
      Object.defineProperty(host, name, {
        enumerable: true,
        get: () => {
          if (this.phase === 1) {
            throw new this.realm.Error(
              `host.${name} is not available yet: the root code and initializeScript may use only phase-1 members of host (the host is populated after initializeScript returns)`,
            );
          }
          return name === "currentProcess" ? this.processView : value;
        },
      });
    }
    return host;
  }

  private debugLog(values: unknown[]): void {
    this.log += values.map((v) => String(v)).join("");
  }

  /** host.memory.readMemoryValues (api-notes §1.6): typed arrays of the script's realm; Int64s for size 8. */
  private readMemoryValues(location: unknown, count: unknown, elementSize: unknown = 1, isSigned: unknown = false, _context?: unknown): unknown {
    const address = this.requireAddress(location);
    const elements = count instanceof Int64 ? count.asNumber() : count;
    if (typeof elements !== "number" || !Number.isSafeInteger(elements) || elements < 0) {
      throw new this.realm.TypeError(`readMemoryValues: the element count must be a non-negative integer, got ${String(count)}`);
    }
    if (elementSize !== 1 && elementSize !== 2 && elementSize !== 4 && elementSize !== 8) {
      throw new this.realm.RangeError(`readMemoryValues: the element size must be 1, 2, 4 or 8, got ${String(elementSize)}`);
    }
    const bytes = this.memory.readInto(address, new this.realm.Uint8Array(elements * elementSize));
    const signed = Boolean(isSigned);
    switch (elementSize) {
      case 1:
        return signed ? new this.realm.Int8Array(bytes.buffer) : bytes;
      case 2:
        return signed ? new this.realm.Int16Array(bytes.buffer) : new this.realm.Uint16Array(bytes.buffer);
      case 4:
        return signed ? new this.realm.Int32Array(bytes.buffer) : new this.realm.Uint32Array(bytes.buffer);
      case 8: {
        const view = new DataView(bytes.buffer);
        const values = new this.realm.Array<Int64>();
        for (let i = 0; i < elements; i++) {
          values.push(signed ? Int64.of(view.getBigInt64(i * 8, true), true) : Int64.of(view.getBigUint64(i * 8, true)));
        }
        return values;
      }
    }
  }

  /** A type object, or null when unknown (API ≥ 1.1); API 1.0 throws instead (api-notes §1.3). */
  private getModuleType(moduleName: string, typeName: string, _context?: unknown): TypeObject | null {
    const space = this.typesOf(String(moduleName));
    const ref = space?.resolve(String(typeName));
    if (space && ref) return space.typeObject(ref);
    return this.notFound(`Unable to find type '${typeName}' in module '${moduleName}'`);
  }

  /** Module base + the symbol's RVA, or null when unknown (API ≥ 1.1). */
  private getModuleSymbolAddress(moduleName: string, symbolName: string, _context?: unknown): Int64 | null {
    const module = this.target.modules.find((m) => matchesModule(m, String(moduleName)));
    const rva = module?.types?.symbolRva(String(symbolName));
    if (module && rva !== undefined) return Int64.of(module.base + BigInt(rva));
    return this.notFound(`Unable to find symbol '${symbolName}' in module '${moduleName}'`);
  }

  /** (location, module, typeName) or (location, typeObject) (api-notes §1.7). */
  private createTypedObject(location: unknown, moduleOrType: unknown, typeName?: unknown, _context?: unknown): unknown {
    const { space, ref } = this.requireType(moduleOrType, typeName);
    return space.valueAt(ref, this.requireAddress(location));
  }

  /** (address, module, "T *") or (address, pointerTypeObject): a pointer whose value is address. */
  private createPointerObject(address: unknown, moduleOrType: unknown, typeName?: unknown, _context?: unknown): PointerObject {
    const { space, ref } = this.requireType(moduleOrType, typeName);
    if (ref.kind !== "pointer") throw new this.realm.TypeError(`createPointerObject needs a pointer type, got '${space.typeName(ref)}'`);
    return space.pointer(ref, this.requireAddress(address), undefined);
  }

  private requireType(moduleOrType: unknown, typeName: unknown) {
    if (moduleOrType instanceof TypeObject) return TypeObject.unwrap(moduleOrType);
    const space = this.typesOf(String(moduleOrType));
    const ref = space?.resolve(String(typeName));
    if (!space || !ref) throw new this.realm.Error(`Unable to find type '${String(typeName)}' in module '${String(moduleOrType)}'`);
    return { space, ref };
  }

  private requireAddress(location: unknown): bigint {
    const address = addressOf(location);
    if (address === undefined) {
      throw new this.realm.TypeError(`expected an address (Int64, number, location or native object), got ${String(location)}`);
    }
    return address;
  }

  private notFound(message: string): null {
    if (this.atLeast(1, 1)) return null;
    throw new this.realm.Error(message);
  }
}
