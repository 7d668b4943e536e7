// The `host` object a script sees, built for one TargetData (docs/jsprovider.md §1: the members
// dxheap's typings/jsprovider.d.ts declare, with WinDbg's semantics). Phase-2 members throw while
// the script's root code and initializeScript run (§1.1). Every host call, memory read, typed
// object and symbol look-up is counted for the benchmarks; reads and look-ups can also be logged
// by address.
import {
  ApiVersionSupport,
  Collection,
  FunctionAlias,
  IndexedValue,
  ModelRegistry,
  NamedModelParent,
  ProcessObject,
  SessionObject,
  type ThreadObject,
  executeCommand,
  listCollection,
  matchesModule,
  modelView,
  valueWithMetadata,
} from "./datamodel";
import { FileSystemNamespace } from "./filesystem";
import type { IsfTypeRef } from "./formats/isf";
import { Int64, int64Constructor, parseInt64 } from "./int64";
import { MEM_COMMIT, type TargetData, type TargetMemoryInfo, type TargetModule, type TargetRegion, type TargetThread } from "./target";
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
  /** Calls of host functions (host.X(...), host.memory.*, host.diagnostics.*, ExecuteCommand, FileSystem.*). */
  hostCalls: number;
  /** Reads of target memory: readMemoryValues calls and typed-object field reads. */
  memoryReads: number;
  bytesRead: number;
  /** Native objects created over target memory: structs, pointers, arrays. */
  typedObjectsCreated: number;
  /** Calls of getModuleContainingSymbol and getModuleContainingSymbolInformation. */
  symbolLookups: number;
}

export function zeroCounters(): HostCounters {
  return { hostCalls: 0, memoryReads: 0, bytesRead: 0, typedObjectsCreated: 0, symbolLookups: 0 };
}

/** Every read (tried, readable or not) and every symbol look-up, by address, in call order. */
export interface AccessLog {
  reads: { address: bigint; length: number }[];
  symbolLookups: bigint[];
}

/**
 * How this host answers where WinDbg's behaviour is UNVERIFIED or varies between sessions. The
 * defaults are the stricter choices; tests switch them to prove the extension copes with both.
 */
export interface HostOptions {
  /** type.fields[name] for a name the type lacks: throw (default) or give undefined (docs/jsprovider.md §1.9). */
  unknownField?: "throw" | "undefined";
  /** getModuleContainingSymbol(Information) where no symbol covers the address: throw (default) or null. */
  missingSymbol?: "throw" | "null";
  /** The message of the Error an unreadable read throws; dx's "Unable to read memory at Address 0x…" by default. */
  unreadableMemoryMessage?: (address: bigint) => string;
  /**
   * How ExecuteCommand answers `!address`: from the dump's memory info (default; no memory info
   * gives no output), with no output at all, or by throwing.
   */
  addressCommand?: "memoryInfo" | "empty" | "throw";
  /** A live target: IsLiveTarget is true, and ScriptSession.resume runs it between commands. */
  live?: boolean;
  /** The directory Debugger.Utility.FileSystem works in; without it its methods throw. */
  fileSystemRoot?: string;
  /** Keep an AccessLog of every read and symbol look-up (off by default: reads are many). */
  logAccesses?: boolean;
  /**
   * What Environment.EnvironmentBlock of a WOW64 process's dump shows after .effmach x86: the
   * 32-bit PEB/TEB typed with the 32-bit ntdll's types ("effective", default), or still the
   * 64-bit ones ("native"). UNVERIFIED: .effmach is documented to change the register set, stack
   * tracing and the pointer size only; `~` still lists the TEB64s in the 32-bit view.
   */
  wow64Environment?: "effective" | "native";
}

/** .effmach's machines as WinDbg names them in its answer ("Effective machine: x86 compatible (x86)"). */
const MACHINE_NAMES = { x86: "x86 compatible (x86)", x64: "x64 (AMD64)" } as const;

/** What a live target does between two commands (`g`, then a break): applied in this order. */
export interface ResumeChanges {
  /** Memory decommitted: no longer readable nor listed by !address. Each range lies inside mapped memory. */
  unmap?: { base: bigint; size: number }[];
  /** Memory newly committed (private, read-write): readable and listed by !address. */
  map?: { base: bigint; bytes: Uint8Array }[];
  /** Bytes the target wrote; every byte must be mapped. */
  writes?: { address: bigint; bytes: Uint8Array }[];
  /** Threads that exited, by id. */
  removeThreads?: number[];
  /** Threads that started. */
  addThreads?: TargetThread[];
  /** New values of registers of threads with a context, by thread id and register name. */
  registers?: { threadId: number; values: Record<string, bigint> }[];
}

/** dx's wording for unreadable memory; the provider's own text is UNVERIFIED (docs/jsprovider.md §1.6). */
function dxUnreadable(address: bigint): string {
  return `Unable to read memory at Address 0x${address.toString(16)}`;
}

/** The target's readable memory. A read may span adjacent regions; any byte outside them fails the read. */
export class TargetMemory {
  constructor(
    private readonly regions: TargetRegion[],
    private readonly counters: HostCounters,
    private readonly realm: Realm,
    private readonly unreadable: (address: bigint) => string,
    private readonly log: AccessLog | undefined,
  ) {}

  /** length bytes at address, in an array make gives (the script's Uint8Array for readMemoryValues). */
  read(address: bigint, length: number, make: (length: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
    this.counters.memoryReads++;
    this.log?.reads.push({ address, length });
    const pieces = this.pieces(address, length);
    if (!pieces) throw new this.realm.Error(this.unreadable(address));
    const out = make(length);
    let filled = 0;
    for (const { region, offset, count } of pieces) {
      out.set(region.bytes.subarray(offset, offset + count), filled);
      filled += count;
    }
    this.counters.bytesRead += length;
    return out;
  }

  /** A live target's own write; every byte must be mapped. */
  write(address: bigint, bytes: Uint8Array): void {
    const pieces = this.pieces(address, bytes.length);
    if (!pieces) throw new Error(`resume: the write of 0x${bytes.length.toString(16)} bytes at 0x${address.toString(16)} touches unmapped memory`);
    let done = 0;
    for (const { region, offset, count } of pieces) {
      region.bytes.set(bytes.subarray(done, done + count), offset);
      done += count;
    }
  }

  /** Newly committed memory; it must not overlap mapped memory. */
  map(base: bigint, bytes: Uint8Array): void {
    const end = base + BigInt(bytes.length);
    if (this.regions.some((r) => r.base < end && base < r.base + BigInt(r.bytes.length))) {
      throw new Error(`resume: the new memory at 0x${base.toString(16)} overlaps mapped memory`);
    }
    this.regions.push({ base, bytes: bytes.slice() });
    this.regions.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  }

  /** Decommitted memory: [base, base + size) must lie inside one region, which is cut around it. */
  unmap(base: bigint, size: number): void {
    const end = base + BigInt(size);
    const index = this.regionIndex(base);
    const region = this.regions[index];
    if (!region || end > region.base + BigInt(region.bytes.length)) {
      throw new Error(`resume: 0x${size.toString(16)} bytes at 0x${base.toString(16)} are not inside one mapped region`);
    }
    const from = Number(base - region.base);
    const kept: TargetRegion[] = [];
    if (from > 0) kept.push({ base: region.base, bytes: region.bytes.subarray(0, from) });
    if (from + size < region.bytes.length) kept.push({ base: end, bytes: region.bytes.subarray(from + size) });
    this.regions.splice(index, 1, ...kept);
  }

  /** The parts of the regions [address, address + length) covers, or undefined when a byte is unmapped. */
  private pieces(address: bigint, length: number): { region: TargetRegion; offset: number; count: number }[] | undefined {
    const pieces: { region: TargetRegion; offset: number; count: number }[] = [];
    let index = this.regionIndex(address);
    let covered = 0;
    while (covered < length) {
      const at = address + BigInt(covered);
      const region = this.regions[index];
      if (!region || at < region.base || at >= region.base + BigInt(region.bytes.length)) return undefined;
      const offset = Number(at - region.base);
      const count = Math.min(length - covered, region.bytes.length - offset);
      pieces.push({ region, offset, count });
      covered += count;
      index++;
    }
    return pieces;
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

/** What getModuleContainingSymbolInformation returns (the SDK's symbolInformationInterface, docs/jsprovider.md §1.7). */
export class SymbolInformation {
  readonly #value: () => unknown;
  constructor(
    /** The symbol's name as the module's symbols give it, without "module!" (UNVERIFIED: WinDbg may prefix it). */
    readonly name: string,
    /** Where the symbol starts (not the address asked about). */
    readonly address: Int64,
    /** The symbol's type, or null for a public symbol without one. */
    readonly type: TypeObject | null,
    value: () => unknown,
  ) {
    this.#value = value;
  }
  /** What getModuleContainingSymbol gives for the symbol; null for a public symbol without a type (UNVERIFIED). */
  get value(): unknown {
    return this.#value();
  }
  toString(): string {
    return this.name;
  }
}

interface ModuleSymbol {
  name: string;
  rva: number;
  type: IsfTypeRef | undefined;
}

/** One script's host: the `host` object plus the state the session drives (phase, records, counters). */
export class HostRuntime {
  readonly counters: HostCounters = zeroCounters();
  readonly accessLog: AccessLog | undefined;
  readonly registry = new ModelRegistry();
  readonly memory: TargetMemory;
  readonly host: object;
  /** The data served; a copy of the one given when the target is live, since resume changes it. */
  readonly target: TargetData;
  /** 1 while the root code and initializeScript run, then 2 (docs/jsprovider.md §1.1). */
  phase: 1 | 2 = 1;
  /** From the script's apiVersionSupport record; 1.0 by default (docs/jsprovider.md §1.3). */
  apiVersion: ApiVersion = { major: 1, minor: 0 };
  /** Everything host.diagnostics.debugLog printed. */
  log = "";
  /** The effective machine (.effmach): the dump's own, or x86 for a WOW64 process's 64-bit dump in its 32-bit view. */
  effectiveMachine: "x86" | "x64";

  private readonly environment: NativeEnvironment;
  private readonly typeSpaces = new Map<TargetModule, TypeSpace>();
  private readonly symbolTables = new Map<TargetModule, ModuleSymbol[]>();
  private readonly processView: ProcessObject;
  private readonly sessionView: SessionObject;

  constructor(target: TargetData, readonly realm: Realm, readonly options: HostOptions = {}) {
    this.target = options.live ? liveCopy(target) : target;
    this.accessLog = options.logAccesses ? { reads: [], symbolLookups: [] } : undefined;
    this.memory = new TargetMemory(this.target.regions, this.counters, realm, options.unreadableMemoryMessage ?? dxUnreadable, this.accessLog);
    this.environment = { memory: this.memory, counters: this.counters, realm, unknownField: options.unknownField ?? "throw" };
    this.effectiveMachine = this.target.arch;
    const side = () => {
      const wow64 = this.effectiveMachine !== this.target.arch;
      return { registers: wow64 ? "x86" : "native", environment: wow64 && options.wow64Environment !== "native" ? "x86" : "native" } as const;
    };
    this.processView = modelView(
      new ProcessObject({ target: this.target, realm, registry: this.registry, typesOf: (name) => this.typesOf(name), side }),
      "Debugger.Models.Process",
      this.registry,
    );
    this.sessionView = new SessionObject(this.processView, Boolean(options.live));
    this.host = this.buildHost();
  }

  /** host.currentProcess, as the script sees it (parent models applied). */
  get process(): ProcessObject {
    return this.processView;
  }

  /** A module's types over the target's memory, or undefined when the module or its types are missing. */
  typesOf(moduleName: string): TypeSpace | undefined {
    const module = this.target.modules.find((m) => matchesModule(m, moduleName));
    return module && this.typeSpaceOf(module);
  }

  atLeast(major: number, minor: number): boolean {
    return this.apiVersion.major > major || (this.apiVersion.major === major && this.apiVersion.minor >= minor);
  }

  /**
   * `.effmach [machine]` (Microsoft Learn, ".effmach"): "x86", "amd64", "." (the target's native
   * mode) or "#" (the mode of the code of the last event: the threads of the project's dumps stop
   * in native code, so the native one); none shows the current one. Only a WOW64 process's 64-bit
   * dump (TargetData.wow64) has a second machine. Returns WinDbg's answer line.
   */
  effmach(machine: string | undefined): string {
    if (machine !== undefined) {
      const wanted = machine === "." || machine === "#" ? this.target.arch : machine.toLowerCase() === "amd64" ? "x64" : machine.toLowerCase();
      if (wanted !== this.target.arch && !(wanted === "x86" && this.target.wow64)) {
        const why = wanted === "x86" ? "the dump is not a WOW64 process's 64-bit dump with its 32-bit ntdll's types" : `the ${this.target.arch} dump has no ${machine} side`;
        throw new Error(`nodehost: .effmach ${machine} is not available: ${why}`);
      }
      this.effectiveMachine = wanted as "x86" | "x64";
    }
    return `Effective machine: ${MACHINE_NAMES[this.effectiveMachine]}`;
  }

  /** `g` then a break on a live target: the changes happen, the script's objects see them. */
  resume(changes: ResumeChanges): void {
    if (!this.options.live) throw new Error("resume: the target is a dump, which cannot run (load the session with { live: true })");
    const info = this.target.memoryInfo;
    for (const { base, size } of changes.unmap ?? []) {
      this.memory.unmap(base, size);
      if (info) this.target.memoryInfo = withoutRange(info, base, base + BigInt(size));
    }
    for (const { base, bytes } of changes.map ?? []) {
      this.memory.map(base, bytes);
      // PAGE_READWRITE, MEM_PRIVATE (winnt.h): what a heap commits.
      if (info) this.target.memoryInfo = [...this.target.memoryInfo!, { base, size: BigInt(bytes.length), state: MEM_COMMIT, protect: 0x04, type: 0x20000 }].sort(byBase);
    }
    for (const { address, bytes } of changes.writes ?? []) this.memory.write(address, bytes);
    for (const id of changes.removeThreads ?? []) {
      const index = this.target.threads.findIndex((t) => t.id === id);
      if (index < 0) throw new Error(`resume: no thread 0x${id.toString(16)} to remove`);
      this.target.threads.splice(index, 1);
    }
    for (const thread of changes.addThreads ?? []) {
      if (this.target.threads.some((t) => t.id === thread.id)) throw new Error(`resume: thread 0x${thread.id.toString(16)} exists already`);
      this.target.threads.push({ ...thread, registers: thread.registers && { ...thread.registers } });
    }
    for (const { threadId, values } of changes.registers ?? []) {
      const registers = this.target.threads.find((t) => t.id === threadId)?.registers;
      if (!registers) throw new Error(`resume: thread 0x${threadId.toString(16)} does not exist or has no context`);
      for (const [name, value] of Object.entries(values)) {
        if (!(name in registers)) throw new Error(`resume: thread 0x${threadId.toString(16)} has no register ${name}`);
        registers[name] = value;
      }
    }
  }

  private typeSpaceOf(module: TargetModule): TypeSpace | undefined {
    if (!module.types) return undefined;
    let space = this.typeSpaces.get(module);
    if (!space) {
      space = new TypeSpace(module.name, module.types, this.environment);
      this.typeSpaces.set(module, space);
    }
    return space;
  }

  private buildHost(): object {
    const counted = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      this.counters.hostCalls++;
      return fn(...args);
    };
    const fileSystem = new FileSystemNamespace(this.options.fileSystemRoot, this.realm);
    const host: Record<string, unknown> = {
      Int64: int64Constructor(() => this.counters.hostCalls++),
      parseInt64: counted(parseInt64),
      diagnostics: { debugLog: counted((...values: unknown[]) => this.debugLog(values)) },
      metadata: { valueWithMetadata },
      apiVersionSupport: ApiVersionSupport,
      namedModelParent: NamedModelParent,
      functionAlias: FunctionAlias,
    };
    const sessions = [this.sessionView];
    const phase2: Record<string, unknown> = {
      indexedValue: IndexedValue,
      memory: { readMemoryValues: counted(this.readMemoryValues.bind(this)) },
      namespace: {
        Debugger: {
          Sessions: listCollection(new Collection(() => sessions[Symbol.iterator]()), sessions),
          Utility: {
            Control: { ExecuteCommand: counted((command: string) => executeCommand(this.target, command, this.options.addressCommand ?? "memoryInfo", this.realm)) },
            FileSystem: {
              CreateFile: counted(fileSystem.CreateFile.bind(fileSystem)),
              OpenFile: counted(fileSystem.OpenFile.bind(fileSystem)),
              FileExists: counted(fileSystem.FileExists.bind(fileSystem)),
              DeleteFile: counted(fileSystem.DeleteFile.bind(fileSystem)),
              CreateTextWriter: counted(fileSystem.CreateTextWriter.bind(fileSystem)),
              CreateTextReader: counted(fileSystem.CreateTextReader.bind(fileSystem)),
            },
          },
        },
      },
      getModuleType: counted(this.getModuleType.bind(this)),
      getModuleSymbolAddress: counted(this.getModuleSymbolAddress.bind(this)),
      getModuleContainingSymbol: counted(this.getModuleContainingSymbol.bind(this)),
      getModuleContainingSymbolInformation: counted(this.getModuleContainingSymbolInformation.bind(this)),
      createTypedObject: counted(this.createTypedObject.bind(this)),
      createPointerObject: counted(this.createPointerObject.bind(this)),
    };
    // Read at each access: the current thread may change as a live target runs.
    const current: Record<string, () => unknown> = {
      currentSession: () => this.sessionView,
      currentProcess: () => this.processView,
      currentThread: () => this.currentThread(),
    };
    for (const name of [...Object.keys(phase2), ...Object.keys(current)]) {
      Object.defineProperty(host, name, {
        enumerable: true,
        get: () => {
          if (this.phase === 1) {
            throw new this.realm.Error(
              `host.${name} is not available yet: the root code and initializeScript may use only phase-1 members of host (the host is populated after initializeScript returns)`,
            );
          }
          return name in current ? current[name]() : phase2[name];
        },
      });
    }
    return host;
  }

  /** The first thread: dumps written without an exception record name no other (UNVERIFIED for dumps with one). */
  private currentThread(): ThreadObject | undefined {
    for (const thread of this.processView.Threads) return thread as ThreadObject;
    return undefined;
  }

  private debugLog(values: unknown[]): void {
    this.log += values.map((v) => String(v)).join("");
  }

  /**
   * host.memory.readMemoryValues (docs/jsprovider.md §1.6): typed arrays of the script's realm,
   * Int64s for size 8, always as many elements as asked. Bad arguments throw the script's
   * TypeError or RangeError; unreadable memory its Error.
   */
  private readMemoryValues(location: unknown, count: unknown, elementSize: unknown = 1, isSigned: unknown = false, _context?: unknown): unknown {
    const address = this.requireAddress(location);
    const elements = this.requireCount(count);
    if (elementSize !== 1 && elementSize !== 2 && elementSize !== 4 && elementSize !== 8) {
      throw new this.realm.RangeError(`readMemoryValues: the element size must be 1, 2, 4 or 8, got ${String(elementSize)}`);
    }
    if (typeof isSigned !== "boolean") throw new this.realm.TypeError(`readMemoryValues: isSigned must be a boolean, got ${String(isSigned)}`);
    const bytes = this.memory.read(address, elements * elementSize, (n) => new this.realm.Uint8Array(n));
    switch (elementSize) {
      case 1:
        return isSigned ? new this.realm.Int8Array(bytes.buffer) : bytes;
      case 2:
        return isSigned ? new this.realm.Int16Array(bytes.buffer) : new this.realm.Uint16Array(bytes.buffer);
      case 4:
        return isSigned ? new this.realm.Int32Array(bytes.buffer) : new this.realm.Uint32Array(bytes.buffer);
      case 8: {
        const view = new DataView(bytes.buffer);
        const values = new this.realm.Array<Int64>();
        for (let i = 0; i < elements; i++) {
          values.push(isSigned ? Int64.of(view.getBigInt64(i * 8, true), true) : Int64.of(view.getBigUint64(i * 8, true)));
        }
        return values;
      }
    }
  }

  /** An element count: a non-negative integer number or Int64 (a read larger than 2^32 bytes is refused). */
  private requireCount(count: unknown): number {
    const value = count instanceof Int64 ? Int64.bigintOf(count) : typeof count === "number" && Number.isInteger(count) ? BigInt(count) : undefined;
    if (value === undefined) throw new this.realm.TypeError(`readMemoryValues: the element count must be an integer, got ${String(count)}`);
    if (value < 0n || value > 0xffff_ffffn) throw new this.realm.RangeError(`readMemoryValues: the element count must be between 0 and 0xffffffff, got ${String(count)}`);
    return Number(value);
  }

  /** A type object, or null when unknown (API ≥ 1.1); API 1.0 throws instead (docs/jsprovider.md §1.3). */
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

  /**
   * The symbol that contains location: the module's nearest symbol at or below it, as `ln`
   * finds it (docs/jsprovider.md §1.7). Modules without symbols have none.
   */
  private getModuleContainingSymbolInformation(location: unknown, _context?: unknown): SymbolInformation | null {
    const address = this.lookUpAddress(location);
    const found = this.containingSymbol(address);
    if (!found) return this.noSymbol(address);
    const { module, symbol, space } = found;
    const at = module.base + BigInt(symbol.rva);
    const type = symbol.type && symbol.type.kind !== "function" ? symbol.type : undefined;
    return new SymbolInformation(symbol.name, Int64.of(at), type ? space.typeObject(type) : null, () => (type ? space.valueAt(type, at) : null));
  }

  /**
   * The object of the symbol that contains location: its typed value. Like WinDbg, it needs
   * private symbols: a symbol without a type throws (docs/jsprovider.md §1.7).
   */
  private getModuleContainingSymbol(location: unknown, _context?: unknown): unknown {
    const address = this.lookUpAddress(location);
    const found = this.containingSymbol(address);
    if (!found) return this.noSymbol(address);
    const { module, symbol, space } = found;
    if (!symbol.type || symbol.type.kind === "function") {
      throw new this.realm.Error(`the symbol ${module.name.replace(/\.[^.]*$/, "")}!${symbol.name} at 0x${address.toString(16)} has no type: getModuleContainingSymbol needs private symbols`);
    }
    return space.valueAt(symbol.type, module.base + BigInt(symbol.rva));
  }

  private lookUpAddress(location: unknown): bigint {
    const address = this.requireAddress(location);
    this.counters.symbolLookups++;
    this.accessLog?.symbolLookups.push(address);
    return address;
  }

  private containingSymbol(address: bigint): { module: TargetModule; symbol: ModuleSymbol; space: TypeSpace } | undefined {
    const module = this.target.modules.find((m) => m.base <= address && address < m.base + BigInt(m.size));
    const space = module && this.typeSpaceOf(module);
    if (!module || !space) return undefined;
    let symbols = this.symbolTables.get(module);
    if (!symbols) {
      symbols = space.types.symbolList().sort((a, b) => a.rva - b.rva);
      this.symbolTables.set(module, symbols);
    }
    const rva = Number(address - module.base);
    let low = 0;
    let high = symbols.length - 1;
    let found: ModuleSymbol | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (symbols[middle].rva <= rva) {
        found = symbols[middle];
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found && { module, symbol: found, space };
  }

  /** No symbol covers address: WinDbg's answer is UNVERIFIED (its own sample catches a throw), so it is an option. */
  private noSymbol(address: bigint): null {
    if (this.options.missingSymbol === "null") return null;
    throw new this.realm.Error(`no symbol contains the address 0x${address.toString(16)}`);
  }

  /** (location, module, typeName) or (location, typeObject) (docs/jsprovider.md §1.7). */
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

  /** An address: Int64, number, location or native object; numbers must be non-negative safe integers. */
  private requireAddress(location: unknown): bigint {
    const address = addressOf(location);
    if (address !== undefined) return address;
    if (typeof location === "number") {
      throw new this.realm.RangeError(`expected an address, got the number ${String(location)}: addresses are non-negative integers below 2^53 (use an Int64 above)`);
    }
    throw new this.realm.TypeError(`expected an address (Int64, number, location or native object), got ${String(location)}`);
  }

  private notFound(message: string): null {
    if (this.atLeast(1, 1)) return null;
    throw new this.realm.Error(message);
  }
}

function byBase(a: TargetMemoryInfo, b: TargetMemoryInfo): number {
  return a.base < b.base ? -1 : a.base > b.base ? 1 : 0;
}

/** The regions of info with [base, end) cut out of them. */
function withoutRange(info: TargetMemoryInfo[], base: bigint, end: bigint): TargetMemoryInfo[] {
  return info.flatMap((region) => {
    const regionEnd = region.base + region.size;
    if (regionEnd <= base || region.base >= end) return [region];
    const kept: TargetMemoryInfo[] = [];
    if (region.base < base) kept.push({ ...region, size: base - region.base });
    if (regionEnd > end) kept.push({ ...region, base: end, size: regionEnd - end });
    return kept;
  });
}

/** A copy a live session can change without touching the TargetData it was given. */
function liveCopy(target: TargetData): TargetData {
  return {
    ...target,
    threads: target.threads.map((t) => ({ ...t, registers: t.registers && { ...t.registers } })),
    regions: target.regions.map((r) => ({ base: r.base, bytes: r.bytes.slice() })),
    memoryInfo: target.memoryInfo?.map((r) => ({ ...r })),
  };
}
