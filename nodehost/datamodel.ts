// The data model around a script: registration records, LINQ collections, parent models, the
// process object (@$curprocess), ExecuteCommand, and the boundary values cross when they leave
// the script (docs/jsprovider.md §1.2, §1.8, §1.10, §1.14, §1.15).
import type { Realm } from "./host";
import { Int64 } from "./int64";
import { MEM_COMMIT, type TargetData, type TargetModule, type TargetThread } from "./target";
import { DX_KEYS, TypeSpace } from "./typed";

// ---------------------------------------------------------------------------------------------
// Records a script constructs (docs/jsprovider.md §1.2, §1.12, §1.14).

export class ApiVersionSupport {
  constructor(readonly major: number, readonly minor: number = 0) {}
}

export class NamedModelParent {
  constructor(readonly object: object, readonly modelName: string) {}
}

export class FunctionAlias {
  constructor(readonly fn: (...args: unknown[]) => unknown, readonly aliasName: string) {}
}

/** An iterated value with its indices, shown as [i] by dx. "indicies" is the provider's spelling. */
export class IndexedValue {
  constructor(readonly value: unknown, readonly indicies: unknown[]) {}
}

export class ValueWithMetadata {
  constructor(readonly value: unknown, readonly metadata: unknown) {}
}

/** host.metadata.valueWithMetadata: called with `new` by Microsoft's scripts, as a function by the d.ts. */
export const valueWithMetadata = function (value: unknown, metadata: unknown): ValueWithMetadata {
  return new ValueWithMetadata(value, metadata);
};
valueWithMetadata.prototype = ValueWithMetadata.prototype;

// ---------------------------------------------------------------------------------------------
// LINQ, as the data model projects it onto every iterable (docs/jsprovider.md §1.8, [D-LINQ]).

type Projector = (value: any) => unknown;
type Predicate = (value: any) => unknown;
/** (a, b) => -1 / 0 / 1 ([D-LINQ] KeyComparatorMethod). */
type Comparator = (a: any, b: any) => number;

export class Collection implements Iterable<unknown> {
  readonly #source: () => Iterator<unknown>;

  constructor(source: () => Iterator<unknown>) {
    this.#source = source;
  }

  [Symbol.iterator](): Iterator<unknown> {
    return this.#source();
  }

  Where(predicate: Predicate): Collection {
    return lazy(this, function* (items) {
      for (const item of items) if (predicate(item)) yield item;
    });
  }
  Select(projector: Projector): Collection {
    return lazy(this, function* (items) {
      for (const item of items) yield projector(item);
    });
  }
  SelectMany(projector: Projector): Collection {
    return lazy(this, function* (items) {
      for (const item of items) yield* iterableOrThrow(projector(item), "SelectMany");
    });
  }
  /** [key] : group — each group is a collection with its Key (the doc shows groups indexed by key). */
  GroupBy(keyOf: Projector, comparator?: Comparator): Collection {
    return lazy(this, function* (items) {
      const groups: { key: unknown; members: unknown[] }[] = [];
      const byKey = new Map<unknown, { key: unknown; members: unknown[] }>();
      for (const item of items) {
        const key = keyOf(item);
        let group = comparator ? groups.find((g) => comparator(g.key, key) === 0) : byKey.get(mapKey(key));
        if (!group) {
          group = { key, members: [] };
          groups.push(group);
          if (!comparator) byKey.set(mapKey(key), group);
        }
        group.members.push(item);
      }
      for (const group of groups) yield new Group(group.key, group.members);
    });
  }
  OrderBy(keyOf: Projector, comparator?: Comparator): Collection {
    return this.#sorted(keyOf, comparator, 1);
  }
  OrderByDescending(keyOf: Projector, comparator?: Comparator): Collection {
    return this.#sorted(keyOf, comparator, -1);
  }
  First(predicate?: Predicate): unknown {
    for (const item of this) if (!predicate || predicate(item)) return item;
    throw new Error(predicate ? "First: no element matches the predicate" : "First: the collection is empty");
  }
  Last(predicate?: Predicate): unknown {
    let found = false;
    let last: unknown;
    for (const item of this) {
      if (!predicate || predicate(item)) {
        found = true;
        last = item;
      }
    }
    if (!found) throw new Error(predicate ? "Last: no element matches the predicate" : "Last: the collection is empty");
    return last;
  }
  Count(): number {
    let count = 0;
    for (const _ of this) count++;
    return count;
  }
  /** Numbers add as numbers; once an Int64 takes part the sum is an exact Int64. */
  Sum(projector?: Projector): number | Int64 {
    const values = [...this].map((item) => (projector ? projector(item) : item));
    if (values.some((v) => v instanceof Int64)) return Int64.of(values.reduce<bigint>((sum, v) => sum + exactOrThrow(v), 0n));
    return values.reduce<number>((sum, v) => sum + (v as number), 0);
  }
  /** The smallest (projected) value, as C#'s Min(selector). */
  Min(projector?: Projector): unknown {
    return this.#extreme(projector, -1, "Min");
  }
  Max(projector?: Projector): unknown {
    return this.#extreme(projector, 1, "Max");
  }
  Any(predicate?: Predicate): boolean {
    for (const item of this) if (!predicate || predicate(item)) return true;
    return false;
  }
  All(predicate: Predicate): boolean {
    for (const item of this) if (!predicate(item)) return false;
    return true;
  }
  Take(count: number | Int64): Collection {
    const limit = Number(count);
    return lazy(this, function* (items) {
      if (limit <= 0) return;
      let taken = 0;
      for (const item of items) {
        yield item;
        if (++taken >= limit) return;
      }
    });
  }
  Skip(count: number | Int64): Collection {
    const skip = Number(count);
    return lazy(this, function* (items) {
      let seen = 0;
      for (const item of items) if (seen++ >= skip) yield item;
    });
  }
  Distinct(comparator?: Comparator): Collection {
    return lazy(this, function* (items) {
      const seen: unknown[] = [];
      const seenKeys = new Set<unknown>();
      for (const item of items) {
        const duplicate = comparator ? seen.some((s) => comparator(s, item) === 0) : seenKeys.has(mapKey(item));
        if (duplicate) continue;
        if (comparator) seen.push(item);
        else seenKeys.add(mapKey(item));
        yield item;
      }
    });
  }
  Contains(value: unknown, comparator?: Comparator): boolean {
    for (const item of this) if (comparator ? comparator(item, value) === 0 : sameValue(item, value)) return true;
    return false;
  }
  /** A container of containers → every element; with a projector, each node then its children, depth first. */
  Flatten(children?: Projector): Collection {
    return lazy(this, (items) => flatten(items, children));
  }
  ToDisplayString(): string {
    return displayString(this);
  }
  /** A collection has no display string of its own in dx. */
  toString(): string {
    return "";
  }

  #sorted(keyOf: Projector, comparator: Comparator | undefined, direction: 1 | -1): Collection {
    return lazy(this, function* (items) {
      const keyed = [...items].map((item) => ({ item, key: keyOf(item) }));
      const compare = comparator ?? compareKeys;
      keyed.sort((a, b) => direction * compare(a.key, b.key));
      for (const entry of keyed) yield entry.item;
    });
  }

  #extreme(projector: Projector | undefined, direction: 1 | -1, name: string): unknown {
    let found = false;
    let best: unknown;
    for (const item of this) {
      const value = projector ? projector(item) : item;
      if (!found || direction * compareKeys(value, best) > 0) best = value;
      found = true;
    }
    if (!found) throw new Error(`${name}: the collection is empty`);
    return best;
  }
}

/** One group of GroupBy. */
export class Group extends Collection {
  constructor(readonly Key: unknown, members: unknown[]) {
    super(() => members[Symbol.iterator]());
  }
}

/** A collection over a fixed list, also indexable by position: lines[0], Modules[1] (docs/jsprovider.md §1.8). */
export function listCollection<C extends Collection>(collection: C, items: readonly unknown[]): C {
  items.forEach((item, index) => Object.defineProperty(collection, index, { value: item }));
  return collection;
}

function lazy(source: Iterable<unknown>, transform: (items: Iterable<unknown>) => Iterator<unknown>): Collection {
  return new Collection(() => transform(source));
}

function* flatten(items: Iterable<unknown>, children?: Projector): Generator<unknown> {
  for (const item of items) {
    if (children) {
      yield item;
      const below = children(item);
      if (isIterable(below)) yield* flatten(below, children);
    } else if (isIterable(item)) {
      yield* flatten(item);
    } else {
      yield item;
    }
  }
}

export function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}

function iterableOrThrow(value: unknown, method: string): Iterable<unknown> {
  if (!isIterable(value)) throw new Error(`${method}: the projector returned something that is not iterable`);
  return value;
}

/** An integer or Int64 as a bigint, so 5 and Int64(5) are the same key. */
function exact(value: unknown): bigint | undefined {
  if (value instanceof Int64) return Int64.bigintOf(value);
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return undefined;
}

function exactOrThrow(value: unknown): bigint {
  const found = exact(value);
  if (found === undefined) throw new Error(`Sum: ${String(value)} is not an integer`);
  return found;
}

function mapKey(value: unknown): unknown {
  return exact(value) ?? value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return mapKey(a) === mapKey(b);
}

/** Ordering of keys: numbers and Int64 by value, strings by code unit, comparable objects by compareTo (API 1.2). */
export function compareKeys(a: unknown, b: unknown): number {
  const x = exact(a);
  const y = exact(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if ((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")) return a < b ? -1 : a > b ? 1 : 0;
  const comparable = a as { compareTo?: (other: unknown) => number } | null;
  if (comparable && typeof comparable.compareTo === "function") return Math.sign(comparable.compareTo(b));
  throw new Error(`cannot order ${String(a)} and ${String(b)}`);
}

/** The display string dx shows after "name :" (docs/jsprovider.md §1.14). */
export function displayString(value: unknown): string {
  if (value instanceof Int64) return value.toString();
  if (typeof value === "number") return Number.isInteger(value) ? (value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`) : String(value);
  if (value === null || typeof value !== "object") return String(value);
  if (hasOwnDisplay(value)) return String((value as { toString(): unknown }).toString());
  return isIterable(value) ? "" : "[object Object]";
}

/** True when toString comes from the object's own classes, not from a built-in prototype. */
function hasOwnDisplay(value: object): boolean {
  const toString = (value as { toString?: unknown }).toString;
  return typeof toString === "function" && !/\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(toString));
}

// ---------------------------------------------------------------------------------------------
// Parent models: namedModelParent(Class or object, "Debugger.Models.Process") (docs/jsprovider.md §1.2, §1.8).

export const MODEL_NAMES = ["Debugger.Models.Process", "Debugger.Models.Module", "Debugger.Models.Thread"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export class ModelRegistry {
  private readonly parents = new Map<string, object[]>();

  add(modelName: ModelName, parent: object): void {
    this.parents.set(modelName, [...(this.parents.get(modelName) ?? []), parent]);
  }

  remove(modelName: ModelName, parent: object): void {
    this.parents.set(modelName, (this.parents.get(modelName) ?? []).filter((p) => p !== parent));
  }

  /** The descriptor of name on the first parent model that defines it. */
  find(modelName: string, name: string): PropertyDescriptor | undefined {
    if (name === "constructor") return undefined;
    for (const parent of this.parents.get(modelName) ?? []) {
      for (const holder of prototypeChain(parent)) {
        const descriptor = Object.getOwnPropertyDescriptor(holder, name);
        if (descriptor) return descriptor;
      }
    }
    return undefined;
  }

  /** Names of the parents' properties (getters and data), not methods: what dx lists. */
  propertyNames(modelName: string): string[] {
    const names: string[] = [];
    for (const parent of this.parents.get(modelName) ?? []) {
      for (const holder of prototypeChain(parent)) {
        for (const name of Object.getOwnPropertyNames(holder)) {
          const descriptor = Object.getOwnPropertyDescriptor(holder, name)!;
          const isMethod = typeof descriptor.value === "function";
          if (name !== "constructor" && !name.startsWith("__") && !isMethod && !names.includes(name)) names.push(name);
        }
      }
    }
    return names;
  }
}

/** A class contributes its prototype chain (up to, not including, Object.prototype); an object itself. */
function* prototypeChain(parent: object): Generator<object> {
  const holder = typeof parent === "function" ? (parent as { prototype: object }).prototype : parent;
  for (let at: object | null = holder; at; at = Object.getPrototypeOf(at)) {
    if (at !== holder && Object.getPrototypeOf(at) === null) return;
    yield at;
  }
}

/**
 * A data-model object with the script's parent models applied. Look-up order (docs/jsprovider.md §1.8):
 * projected names (none on these objects), then parent models, then the object's own keys.
 * Parent getters and methods run with `this` = this view.
 */
export function modelView<T extends object>(native: T, modelName: ModelName, registry: ModelRegistry): T {
  const view: T = new Proxy(native, {
    get(target, name) {
      if (typeof name === "string") {
        const descriptor = registry.find(modelName, name);
        if (descriptor) return descriptor.get ? descriptor.get.call(view) : descriptor.value;
      }
      if (name === DX_KEYS) {
        const own = (target as { [DX_KEYS]?: () => string[] })[DX_KEYS];
        return () => [...new Set([...(own ? own.call(target) : []), ...registry.propertyNames(modelName)])];
      }
      return Reflect.get(target, name, target);
    },
    has(target, name) {
      return (typeof name === "string" && registry.find(modelName, name) !== undefined) || Reflect.has(target, name);
    },
  });
  return view;
}

// ---------------------------------------------------------------------------------------------
// The process, its modules and threads (docs/jsprovider.md §1.10; [LLD] d.ts shapes).

/** What the process object needs from the host. */
export interface ProcessContext {
  readonly target: TargetData;
  readonly realm: Realm;
  readonly registry: ModelRegistry;
  /** A module's types by the name WinDbg gives it ("ntdll", "ntdll_77a60000"), or undefined without them. */
  typesOf(moduleName: string): TypeSpace | undefined;
  /**
   * Which side Environment and Registers show: the dump's own ("native"), or a WOW64 process's
   * 32-bit side after .effmach x86 ("x86"; see HostRuntime.effectiveMachine).
   */
  side(): { registers: "native" | "x86"; environment: "native" | "x86" };
}

/**
 * "ntdll", "ntdll.dll", "NTDLL" all name ntdll.dll; a path's directory is ignored. A module
 * WinDbg renamed ("ntdll_77a60000", TargetModule.renamed) answers to that name only.
 */
export function matchesModule(module: TargetModule, query: string): boolean {
  const wanted = query.toLowerCase();
  if (module.renamed) return module.renamed === wanted;
  const file = module.name.replace(/^.*[\\/]/, "").toLowerCase();
  return file === wanted || file.replace(/\.[^.]*$/, "") === wanted;
}

export class ProcessObject {
  readonly #context: ProcessContext;
  readonly #modules: ModuleCollection;
  /** One view per thread, so a thread is the same object each time Threads lists it. */
  readonly #threadViews = new WeakMap<TargetThread, ThreadObject>();

  constructor(context: ProcessContext) {
    this.#context = context;
    const modules = context.target.modules.map((m) => modelView(new ModuleObject(m), "Debugger.Models.Module", context.registry));
    this.#modules = listCollection(new ModuleCollection(context.target.modules, modules), modules);
  }

  get Id(): number {
    return this.#context.target.processId;
  }
  get Name(): string {
    return this.#context.target.processName;
  }
  get Modules(): ModuleCollection {
    return this.#modules;
  }
  /** The threads as they are now: a live target's threads come and go as it runs. */
  get Threads(): Collection {
    const threads = this.#context.target.threads.map((thread) => {
      let view = this.#threadViews.get(thread);
      if (!view) {
        view = modelView(new ThreadObject(thread, this.#context), "Debugger.Models.Thread", this.#context.registry);
        this.#threadViews.set(thread, view);
      }
      return view;
    });
    return listCollection(new Collection(() => threads[Symbol.iterator]()), threads);
  }
  /** Environment.EnvironmentBlock: ntdll!_PEB at the target's PEB; a WOW64 process's 32-bit view: the PEB32, with the 32-bit ntdll's _PEB. */
  get Environment(): EnvironmentObject {
    const { target } = this.#context;
    if (this.#context.side().environment === "x86") return new EnvironmentObject(this.#context, "_PEB", target.wow64!.peb, target.wow64!.ntdll);
    return new EnvironmentObject(this.#context, "_PEB", target.peb, "ntdll");
  }
  toString(): string {
    return this.Name;
  }
  [DX_KEYS](): string[] {
    return ["Id", "Name", "Modules", "Threads", "Environment"];
  }
}

export class ModuleCollection extends Collection {
  readonly #modules: readonly TargetModule[];
  readonly #views: readonly ModuleObject[];

  constructor(modules: readonly TargetModule[], views: readonly ModuleObject[]) {
    super(() => views[Symbol.iterator]());
    this.#modules = modules;
    this.#views = views;
  }

  /** Modules.getValueAt("ntdll") or getValueAt(index) (docs/jsprovider.md §1.8, [TIM]). */
  getValueAt(key: string | number): ModuleObject {
    const index = typeof key === "number" ? key : this.#modules.findIndex((m) => matchesModule(m, key));
    const found = this.#views[index];
    if (!found) throw new Error(`no module ${JSON.stringify(key)} in the process`);
    return found;
  }
}

export class ModuleObject {
  readonly #module: TargetModule;
  constructor(module: TargetModule) {
    this.#module = module;
  }
  get Name(): string {
    return this.#module.name;
  }
  get BaseAddress(): Int64 {
    return Int64.of(this.#module.base);
  }
  get Size(): Int64 {
    return Int64.of(BigInt(this.#module.size));
  }
  toString(): string {
    return this.Name;
  }
  [DX_KEYS](): string[] {
    return ["Name", "BaseAddress", "Size"];
  }
}

export class ThreadObject {
  readonly #thread: TargetThread;
  readonly #context: ProcessContext;
  constructor(thread: TargetThread, context: ProcessContext) {
    this.#thread = thread;
    this.#context = context;
  }
  get Id(): number {
    return this.#thread.id;
  }
  /** Environment.EnvironmentBlock: ntdll!_TEB at the thread's TEB; in a WOW64 process's 32-bit view its TEB32, with the 32-bit ntdll's _TEB. */
  get Environment(): EnvironmentObject {
    const context = this.#context;
    if (context.side().environment === "x86") {
      const teb32 = this.#thread.wow64?.teb;
      // UNVERIFIED: what WinDbg shows for a thread without a 32-bit side in the 32-bit view.
      if (teb32 === undefined) throw new context.realm.Error(`thread 0x${this.#thread.id.toString(16)} has no 32-bit TEB: it is not a WOW64 thread`);
      return new EnvironmentObject(context, "_TEB", teb32, context.target.wow64!.ntdll);
    }
    return new EnvironmentObject(context, "_TEB", this.#thread.teb, "ntdll");
  }
  /**
   * Registers.User: the thread's registers now, as Int64 (docs/jsprovider.md §1.4); in a WOW64
   * process's 32-bit view the x86 ones it saved. A thread the dump holds no context for, or one
   * that has exited, throws (UNVERIFIED: how WinDbg reports it).
   */
  get Registers(): RegistersObject {
    const { realm, target } = this.#context;
    if (!target.threads.includes(this.#thread)) throw new realm.Error(`thread 0x${this.#thread.id.toString(16)} has exited`);
    const registers = this.#context.side().registers === "x86" ? this.#thread.wow64?.registers : this.#thread.registers;
    if (!registers) throw new realm.Error(`Unable to get the context of thread 0x${this.#thread.id.toString(16)}: the dump holds none`);
    return new RegistersObject(registers);
  }
  /** dx shows a thread with no display string. */
  toString(): string {
    return "";
  }
  [DX_KEYS](): string[] {
    return ["Id", "Environment", "Registers"];
  }
}

export class RegistersObject {
  readonly #registers: Readonly<Record<string, bigint>>;
  constructor(registers: Readonly<Record<string, bigint>>) {
    this.#registers = registers;
  }
  /** rax, rsp, rip, ... (x64) or eax, esp, eip, ... (x86): a snapshot of their values as Int64. */
  get User(): Record<string, Int64> {
    return Object.fromEntries(Object.entries(this.#registers).map(([name, value]) => [name, Int64.of(value)]));
  }
  toString(): string {
    return "";
  }
  [DX_KEYS](): string[] {
    return ["User"];
  }
}

/** A debugging session (host.currentSession, Debugger.Sessions[0]): its one process and its attributes. */
export class SessionObject {
  readonly #processes: Collection;
  readonly #live: boolean;
  constructor(process: ProcessObject, live: boolean) {
    this.#processes = listCollection(new Collection(() => [process][Symbol.iterator]()), [process]);
    this.#live = live;
  }
  get Processes(): Collection {
    return this.#processes;
  }
  /** Attributes.Target: the kind of target, as scripts test it (docs/jsprovider.md §1.10). */
  get Attributes(): { Target: { IsLiveTarget: boolean; IsKernelTarget: boolean; IsUserTarget: boolean; IsTTDTarget: boolean } } {
    return { Target: { IsLiveTarget: this.#live, IsKernelTarget: false, IsUserTarget: true, IsTTDTarget: false } };
  }
  toString(): string {
    return "";
  }
  [DX_KEYS](): string[] {
    return ["Processes", "Attributes"];
  }
}

export class EnvironmentObject {
  readonly #context: ProcessContext;
  readonly #typeName: string;
  readonly #address: bigint;
  readonly #ntdll: string;
  /** ntdll: WinDbg's name of the ntdll whose type the block has ("ntdll", or "ntdll_77a60000" for a WOW64 process's 32-bit side). */
  constructor(context: ProcessContext, typeName: string, address: bigint, ntdll: string) {
    this.#context = context;
    this.#typeName = typeName;
    this.#address = address;
    this.#ntdll = ntdll;
  }
  /** A new typed object on each access, as a native property read gives. */
  get EnvironmentBlock(): unknown {
    const space = this.#context.typesOf(this.#ntdll);
    const ref = space?.resolve(this.#typeName);
    if (!space || !ref) throw new this.#context.realm.Error(`${this.#ntdll}!${this.#typeName} is unknown: the target has no type information for ${this.#ntdll}`);
    return space.valueAt(ref, this.#address);
  }
  /** dx shows Environment with no display string. */
  toString(): string {
    return "";
  }
  [DX_KEYS](): string[] {
    return ["EnvironmentBlock"];
  }
}

// ---------------------------------------------------------------------------------------------
// Debugger.Utility.Control.ExecuteCommand: the one command dxheap runs (src/host/target.ts).

export const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';

/**
 * The output lines of REGIONS_COMMAND; any other command throws, naming it. `mode` is how the
 * session answers !address (see HostOptions.addressCommand).
 *
 * What WinDbg prints, per the !address documentation (debuggercmds/-address.md): -c runs the
 * command once per region of the filter, each run announced by a "*** Executing: <command>"
 * line; %1 is the base address and %2 the end address + 1, written as 0x and lower-case hex
 * digits with no padding nor backtick ("s -u 0xab0000 0xab1000" in the doc; "0x4580ca7000" for a
 * 64-bit address in public output). No header or footer is documented. A dump without memory
 * info (no MemoryInfoList) lists no region: empty output.
 */
export function executeCommand(target: TargetData, command: string, mode: "memoryInfo" | "empty" | "throw", realm: Realm): Collection {
  if (String(command).trim() !== REGIONS_COMMAND) {
    throw new realm.Error(`nodehost: ExecuteCommand does not support ${JSON.stringify(command)}; it answers only ${REGIONS_COMMAND}`);
  }
  // UNVERIFIED: the text of a failing ExecuteCommand.
  if (mode === "throw") throw new realm.Error(`Unable to execute command '${command}'`);
  const regions = mode === "empty" ? [] : (target.memoryInfo ?? []).filter((r) => r.state === MEM_COMMIT);
  const lines = regions.flatMap((r) => {
    const echoed = `0x${r.base.toString(16)} 0x${(r.base + r.size).toString(16)}`;
    return [`*** Executing: .echo ${echoed}`, echoed];
  });
  return listCollection(new Collection(() => lines[Symbol.iterator]()), lines);
}

// ---------------------------------------------------------------------------------------------
// The boundary: what dx (and tests) see of values leaving the script.

/** An exception that left a script function, with WinDbg's text as its message (docs/jsprovider.md §1.15). */
export class ScriptError extends Error {
  override name = "ScriptError";
}

/** "Error: <message> [at <Script> (line L col C)]"; non-Error types keep their name: "Error: TypeError: …". */
export function renderScriptError(error: unknown, scriptName: string, fileName: string): string {
  if (error instanceof ScriptError) return error.message;
  const e = error as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const isError = e !== null && typeof e === "object" && typeof e.message === "string";
  const text = !isError ? String(error) : e.name && e.name !== "Error" ? `${String(e.name)}: ${e.message}` : String(e.message);
  const frame = isError && typeof e.stack === "string" ? scriptFrame(e.stack, fileName) : undefined;
  return `Error: ${text}${frame ? ` [at ${scriptName} (line ${frame.line} col ${frame.column})]` : ""}`;
}

/** The innermost stack frame inside the script file. */
function scriptFrame(stack: string, fileName: string): { line: number; column: number } | undefined {
  for (const line of stack.split("\n")) {
    if (!/^\s+at /.test(line) || !line.includes(fileName)) continue;
    const match = /:(\d+):(\d+)\)?\s*$/.exec(line);
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

const LINQ_METHODS = new Set([
  "Where", "Select", "SelectMany", "GroupBy", "OrderBy", "OrderByDescending", "First", "Last", "Count", "Sum",
  "Min", "Max", "Any", "All", "Take", "Skip", "Distinct", "Contains", "Flatten",
]);

const isPrivateName = (name: string | symbol): boolean => typeof name === "string" && name.startsWith("__");

/**
 * x[i] on a one-dimensional indexable object (getDimensionality() is 1, getValueAt(i)): the data
 * model calls getValueAt for it (docs/jsprovider.md §1.14). Names the object has itself win.
 */
function isIndexedByGetValueAt(target: object, name: string | symbol): boolean {
  if (typeof name !== "string" || !/^(0|[1-9]\d*)$/.test(name) || Reflect.has(target, name)) return false;
  const indexable = target as { getDimensionality?: unknown; getValueAt?: unknown };
  return typeof indexable.getValueAt === "function" && typeof indexable.getDimensionality === "function" && (indexable as { getDimensionality(): unknown }).getDimensionality() === 1;
}

/**
 * Values leaving the script as the data model projects them: iterables gain LINQ, `__` names are
 * hidden, indexedValue and valueWithMetadata are unwrapped, methods and getters run with the
 * script's own object as `this`, and exceptions become ScriptErrors. Values going back in
 * (arguments) are unwrapped to the script's own objects.
 */
export class ScriptBoundary {
  private readonly projections = new WeakMap<object, object>();
  private readonly originals = new WeakMap<object, object>();
  private readonly linqViews = new WeakMap<object, Collection>();

  constructor(private readonly renderError: (error: unknown) => string) {}

  /** Runs script code; anything it throws leaves as a ScriptError. */
  run<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof ScriptError) throw error;
      throw new ScriptError(this.renderError(error), { cause: error });
    }
  }

  outward(value: unknown): unknown {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return value;
    if (value instanceof Int64) return value;
    if (value instanceof IndexedValue || value instanceof ValueWithMetadata) return this.outward(value.value);
    if (this.originals.has(value)) return value;
    let projected = this.projections.get(value);
    if (!projected) {
      projected = typeof value === "function" ? this.outwardFunction(value as (...args: unknown[]) => unknown, undefined) : this.outwardObject(value);
      this.projections.set(value, projected);
      this.originals.set(projected, value);
    }
    return projected;
  }

  inward(value: unknown): unknown {
    return (value !== null && (typeof value === "object" || typeof value === "function") && this.originals.get(value)) || value;
  }

  private outwardObject(target: object): object {
    // The proxy wraps an empty shell so that no invariant of the script's object constrains it;
    // an array shell keeps Array.isArray true.
    const shell = Array.isArray(target) ? [] : {};
    return new Proxy(shell, {
      get: (_, name) => this.read(target, name),
      has: (_, name) => !isPrivateName(name) && (Reflect.has(target, name) || this.linqApplies(target, name) || this.run(() => isIndexedByGetValueAt(target, name))),
      ownKeys: () => Reflect.ownKeys(target).filter((name) => !isPrivateName(name)),
      getOwnPropertyDescriptor: (_, name) => {
        if (isPrivateName(name)) return undefined;
        const descriptor = Reflect.getOwnPropertyDescriptor(target, name);
        if (!descriptor) return undefined;
        if (Array.isArray(target) && name === "length") return { value: target.length, writable: true, enumerable: false, configurable: false };
        return { value: this.read(target, name), writable: true, enumerable: descriptor.enumerable, configurable: true };
      },
      getPrototypeOf: () => Reflect.getPrototypeOf(target),
      set: (_, name, value) => this.run(() => Reflect.set(target, name, this.inward(value))),
    });
  }

  private read(target: object, name: string | symbol): unknown {
    if (isPrivateName(name)) return undefined;
    if (name === Symbol.iterator && isIterable(target)) return () => this.outwardIterator(target);
    if (this.run(() => isIndexedByGetValueAt(target, name))) {
      const indexable = target as { getValueAt(...indices: unknown[]): unknown };
      return this.outward(this.run(() => indexable.getValueAt(Number(name))));
    }
    if (this.linqApplies(target, name)) {
      const linq = this.linqView(target as Iterable<unknown>);
      const method = (linq as unknown as Record<string, (...args: unknown[]) => unknown>)[name as string];
      return method.bind(linq);
    }
    if (name === "ToDisplayString" && !Reflect.has(target, name)) return () => this.run(() => displayString(target));
    const value = this.run(() => Reflect.get(target, name, target));
    return typeof value === "function" ? this.outwardFunction(value as (...args: unknown[]) => unknown, target) : this.outward(value);
  }

  /** LINQ comes from the data model unless the script's object defines the name itself. */
  private linqApplies(target: object, name: string | symbol): boolean {
    return typeof name === "string" && LINQ_METHODS.has(name) && isIterable(target) && (target instanceof Collection || !Reflect.has(target, name));
  }

  private linqView(target: Iterable<unknown>): Collection {
    let view = this.linqViews.get(target);
    if (!view) {
      view = new Collection(() => this.outwardIterator(target));
      this.linqViews.set(target, view);
    }
    return view;
  }

  private outwardIterator(target: Iterable<unknown>): Iterator<unknown> & Iterable<unknown> {
    const iterator = this.run(() => target[Symbol.iterator]());
    const boundary = this;
    return {
      next() {
        const step = boundary.run(() => iterator.next());
        return step.done ? step : { done: false, value: boundary.outward(step.value) };
      },
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  private outwardFunction(fn: (...args: unknown[]) => unknown, self: object | undefined): (...args: unknown[]) => unknown {
    const boundary = this;
    return function (this: unknown, ...args: unknown[]) {
      const receiver = self ?? boundary.inward(this);
      return boundary.outward(boundary.run(() => fn.apply(receiver, args.map((a) => boundary.inward(a)))));
    };
  }
}
