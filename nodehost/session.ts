// A script loaded the way .scriptload loads it (docs/jsprovider.md §1.1, §7): the bundle runs as a classic
// script in a fresh context whose global holds only `host`; then initializeScript runs, its
// records are validated and applied, and the host enters phase 2. `process`, `contents` and
// `alias` are what dx sees from outside the script.
import { readFileSync } from "fs";
import { basename } from "path";
import * as vm from "vm";
import {
  ApiVersionSupport,
  FunctionAlias,
  MODEL_NAMES,
  type ModelName,
  NamedModelParent,
  ScriptBoundary,
  ScriptError,
  renderScriptError,
} from "./datamodel";
import { renderDx } from "./dx";
import { type CommandContext, runCommand } from "./dx-command";
import { toJson } from "./dx-json";
import { type AccessLog, type HostCounters, type HostOptions, HostRuntime, type Realm, type ResumeChanges, zeroCounters } from "./host";
import { Int64 } from "./int64";
import type { TargetData } from "./target";

type Registration = ApiVersionSupport | NamedModelParent | FunctionAlias;

/** What a command printed (the script's own text, then dx's), its value, and its one-line error if it failed. */
export interface CommandResult {
  output: string;
  value: unknown;
  error?: string;
}

/** dx's @$ variables for the host's current objects (docs/jsprovider.md §1.10). */
const CURRENT_OBJECTS = new Map([
  ["curprocess", "currentProcess"],
  ["curthread", "currentThread"],
  ["cursession", "currentSession"],
]);

/** Number.prototype gains the Int64 math methods inside the script (docs/jsprovider.md §1.4). */
const NUMBER_MATH = ["add", "subtract", "multiply", "divide", "modulo"] as const;

export class ScriptSession {
  private readonly aliases = new Map<string, FunctionAlias>();
  private unloaded = false;

  private constructor(
    private readonly runtime: HostRuntime,
    private readonly boundary: ScriptBoundary,
    private readonly global: Record<string, unknown>,
    private readonly renderError: (error: unknown) => string,
    private readonly records: Registration[],
  ) {
    for (const record of records) this.apply(record);
  }

  /** .scriptload: root code, then initializeScript and its records, then phase 2. options: see HostOptions. */
  static load(bundlePath: string, target: TargetData, options: HostOptions = {}): ScriptSession {
    const source = readFileSync(bundlePath, "utf8");
    const scriptName = basename(bundlePath).replace(/\.js$/i, "");
    const renderError = (error: unknown) => renderScriptError(error, scriptName, bundlePath);
    const boundary = new ScriptBoundary(renderError);

    // An ordinary global object, as WinDbg's provider gives a script (Node 20.18+): a contextified
    // sandbox would route every global look-up (Math, host) through interceptors, several times slower.
    const ordinary = vm.constants?.DONT_CONTEXTIFY;
    if (ordinary === undefined) throw new Error(`the Node host needs Node.js 20.18 or later (vm.constants.DONT_CONTEXTIFY); this is ${process.version}`);
    const context = vm.createContext(ordinary, { name: scriptName });
    const global = vm.runInContext("globalThis", context) as Record<string, unknown>;
    const realm = prepareContext(context);
    const runtime = new HostRuntime(target, realm, options);
    global.host = runtime.host;

    boundary.run(() => vm.runInContext(source, context, { filename: bundlePath }));
    const initializeScript = global.initializeScript;
    const returned = typeof initializeScript === "function" ? boundary.run(() => initializeScript()) : undefined;
    const session = new ScriptSession(runtime, boundary, global, renderError, validateRecords(returned));
    runtime.phase = 2;
    return session;
  }

  /** The process as dx sees it (@$curprocess): the script's parent models applied, LINQ on iterables. */
  get process(): any {
    return this.boundary.outward(this.runtime.process);
  }

  /** Runs a function alias as `!name args` / `dx @$name(args)` would; output is what debugLog printed meanwhile. */
  alias(name: string, ...args: unknown[]): { value: unknown; output: string } {
    const record = this.aliases.get(name);
    if (!record) throw new Error(`no function alias '${name}' is registered (registered: ${[...this.aliases.keys()].join(", ") || "none"})`);
    const start = this.runtime.log.length;
    const result = this.boundary.run(() => record.fn.apply(undefined, args.map((a) => this.boundary.inward(a))));
    return { value: this.boundary.outward(result), output: this.runtime.log.slice(start) };
  }

  /** The names of the function aliases initializeScript registered (`!name`), in registration order. */
  get aliasNames(): string[] {
    return [...this.aliases.keys()];
  }

  /**
   * The script's own object behind a value dx shows (the value itself when it is not one): for
   * measuring the script's side alone, without the projection dx puts around every object.
   */
  scriptObject(value: unknown): unknown {
    return this.boundary.inward(value);
  }

  /** A 64-bit value as dx passes one to a script (registers, pointers, 64-bit fields). */
  int64(value: bigint | number): unknown {
    return typeof value === "bigint" ? Int64.of(value, value < 0n) : Int64.construct(value);
  }

  get counters(): Readonly<HostCounters> {
    return this.runtime.counters;
  }

  resetCounters(): void {
    Object.assign(this.runtime.counters, zeroCounters());
    this.runtime.accessLog?.reads.splice(0);
    this.runtime.accessLog?.symbolLookups.splice(0);
  }

  /** Every read and symbol look-up since the last resetCounters, when the session was loaded with logAccesses. */
  get accessLog(): Readonly<AccessLog> | undefined {
    return this.runtime.accessLog;
  }

  /** WinDbg's prompt: "0:000> ", or "0:000:x86> " in a WOW64 process's 32-bit view (.effmach x86). */
  get prompt(): string {
    return this.runtime.effectiveMachine === this.runtime.target.arch ? "0:000> " : `0:000:${this.runtime.effectiveMachine}> `;
  }

  /** A live target runs (`g`) and breaks again: its memory, threads and registers change as given. */
  resume(changes: ResumeChanges): void {
    this.runtime.resume(changes);
  }

  /** Everything the script printed with host.diagnostics.debugLog. */
  get log(): string {
    return this.runtime.log;
  }

  /** Debugger.State.Scripts.<name>.Contents: the script's global names, without private "__" ones (docs/jsprovider.md §1.1). */
  get contents(): Record<string, unknown> {
    const names = Object.keys(this.global).filter((name) => !name.startsWith("__"));
    return Object.fromEntries(names.map((name) => [name, this.boundary.outward(this.global[name])]));
  }

  /** dx -r<depth> of a value (one from this session, or anything else). */
  dx(value: unknown, depth = 1): string {
    return renderDx(this.boundary.inward(value), depth, this.renderError);
  }

  /**
   * Runs a command line as WinDbg would: `!name args` or `dx [-r<n>] [-g] expression[,format]`.
   * A failure is not thrown: its "Error: …" line ends the output.
   */
  execute(commandLine: string): CommandResult {
    const start = this.runtime.log.length;
    try {
      const { value, text } = runCommand(commandLine, this.commandContext());
      return { output: this.runtime.log.slice(start) + text, value };
    } catch (error) {
      const message = this.renderError(error);
      return { output: `${this.runtime.log.slice(start)}${message}\n`, value: undefined, error: message };
    }
  }

  /** A value (from this session or not) as JSON, in the shape nodehost/dx-json.ts describes. */
  toJson(value: unknown): unknown {
    return toJson(this.boundary.inward(value), this.renderError);
  }

  /** .scriptunload: uninitializeScript, then the registrations are undone. */
  unload(): void {
    if (this.unloaded) return;
    this.unloaded = true;
    const uninitializeScript = this.global.uninitializeScript;
    try {
      if (typeof uninitializeScript === "function") this.boundary.run(() => uninitializeScript());
    } finally {
      for (const record of this.records) {
        if (record instanceof NamedModelParent) this.runtime.registry.remove(record.modelName as ModelName, record.object);
      }
      this.aliases.clear();
    }
  }

  /** @$curprocess, @$curthread, @$cursession (where the host has them), @$scriptContents, @$name(…). */
  private commandContext(): CommandContext {
    return {
      variable: (name) => {
        if (name === "scriptContents") return this.contents;
        const member = CURRENT_OBJECTS.get(name);
        if (member && member in this.runtime.host) return this.boundary.outward((this.runtime.host as Record<string, unknown>)[member]);
        throw new Error(`Unable to bind name '@$${name}'`);
      },
      callAlias: (name, args) => this.alias(name, ...args).value,
      effectiveMachine: (machine) => this.runtime.effmach(machine),
      outward: (value) => this.boundary.outward(value),
      inward: (value) => this.boundary.inward(value),
      renderError: this.renderError,
    };
  }

  private apply(record: Registration): void {
    if (record instanceof ApiVersionSupport) this.runtime.apiVersion = { major: record.major, minor: record.minor };
    else if (record instanceof NamedModelParent) this.runtime.registry.add(record.modelName as ModelName, record.object);
    else this.aliases.set(record.aliasName, record);
  }
}

/** The context's constructors, Symbol.metadataDescriptor (docs/jsprovider.md §1.12), no console, Number math. */
function prepareContext(context: vm.Context): Realm {
  const global = vm.runInContext("globalThis", context) as typeof globalThis;
  // V8 gives every context a console; WinDbg's provider has none (docs/jsprovider.md §3.2).
  delete (global as { console?: unknown }).console;
  Object.defineProperty(global.Symbol, "metadataDescriptor", { value: global.Symbol("Symbol.metadataDescriptor") });
  const numberMethods: Record<string, (this: number, ...args: any[]) => unknown> = {
    asNumber() {
      return Number(this);
    },
    convertToNumber() {
      return Number(this);
    },
    compareTo(other: unknown) {
      const self = Number(this);
      if (typeof other === "number") return self < other ? -1 : self > other ? 1 : 0;
      return Int64.construct(self).compareTo(other as Int64);
    },
  };
  // UNVERIFIED: the release notes say numbers have the Int64 math methods; here they return an Int64.
  for (const name of NUMBER_MATH) {
    numberMethods[name] = function (this: number, operand: number | Int64) {
      return Int64.construct(Number(this))[name](operand);
    };
  }
  for (const [name, method] of Object.entries(numberMethods)) {
    Object.defineProperty(global.Number.prototype, name, { value: method, writable: true, configurable: true });
  }
  const { Error, TypeError, RangeError, Array, Uint8Array, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array } = global;
  return { Error, TypeError, RangeError, Array, Uint8Array, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array };
}

/** initializeScript returns nothing or an array of records this host knows (docs/jsprovider.md §1.1, §1.2). */
function validateRecords(returned: unknown): Registration[] {
  if (returned === undefined || returned === null) return [];
  if (!Array.isArray(returned)) throw new ScriptError(`Error: initializeScript returned ${String(returned)}; expected an array of registration records`);
  const aliasNames = new Set<string>();
  return returned.map((record: unknown, index: number) => {
    const where = `initializeScript record [${index}]`;
    if (record instanceof ApiVersionSupport) {
      if (!Number.isInteger(record.major) || !Number.isInteger(record.minor)) throw new ScriptError(`Error: ${where}: apiVersionSupport needs integer versions`);
    } else if (record instanceof NamedModelParent) {
      if (record.object === null || (typeof record.object !== "object" && typeof record.object !== "function")) {
        throw new ScriptError(`Error: ${where}: namedModelParent needs a class or an object`);
      }
      if (!(MODEL_NAMES as readonly string[]).includes(record.modelName)) {
        throw new ScriptError(`Error: ${where}: nodehost models only ${MODEL_NAMES.join(", ")}, not ${String(record.modelName)}`);
      }
    } else if (record instanceof FunctionAlias) {
      if (typeof record.fn !== "function" || typeof record.aliasName !== "string" || record.aliasName === "") {
        throw new ScriptError(`Error: ${where}: functionAlias needs a function and a name`);
      }
      if (aliasNames.has(record.aliasName)) throw new ScriptError(`Error: ${where}: the alias '${record.aliasName}' is registered twice`);
      aliasNames.add(record.aliasName);
    } else {
      throw new ScriptError(`Error: ${where} is not a registration record (${String(record)})`);
    }
    return record;
  });
}
