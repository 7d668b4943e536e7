// The part of WinDbg's JavaScript provider API that dxheap uses, and nothing more.
// This is the contract between the extension and any host (WinDbg, or nodehost/ in tests).
// Facts and sources: ../shared/jsprovider/api-notes.md (§1.2 records, §1.4 Int64, §1.6 memory,
// §1.7 types, §1.10 namespace, §1.11 diagnostics, §1.12 metadata, §1.14 protocols).

declare namespace host {
  /** A 64-bit value. Methods never lose precision; valueOf() throws above 2^53 (api-notes §1.4). */
  interface Int64 {
    asNumber(): number;
    convertToNumber(): number;
    getLowPart(): number;
    getHighPart(): number;
    add(v: number | Int64): Int64;
    subtract(v: number | Int64): Int64;
    bitwiseAnd(v: number | Int64): Int64;
    bitwiseShiftRight(n: number): Int64;
    compareTo(v: number | Int64): number;
    toString(radix?: number): string;
  }
  interface Int64Constructor {
    new (low: number, high?: number): Int64;
    (low: number | Int64, high?: number): Int64;
  }
  const Int64: Int64Constructor;
  function parseInt64(text: string, radix?: number): Int64;

  /** A type object from the target's symbols (api-notes §1.9). */
  interface TypeObject {
    readonly name: string;
    readonly size: number | Int64;
    readonly fields: { [name: string]: FieldObject | undefined };
  }
  interface FieldObject {
    readonly name: string;
    readonly offset: number | Int64;
    readonly type: TypeObject;
  }
  /** Returns null when the type is unknown (API 1.1+). */
  function getModuleType(module: string, typeName: string, contextInheritor?: object): TypeObject | null;
  /** Throws, or returns null (API 1.1+), when the symbol is unknown. */
  function getModuleSymbolAddress(module: string, symbol: string, contextInheritor?: object): Int64 | null;

  /** A native object (process, module, typed memory). */
  interface NativeObject {
    readonly address: Int64;
    readonly [name: string]: unknown;
  }
  const currentProcess: NativeObject;

  namespace memory {
    /** Throws when any byte of the range cannot be read. */
    /** contextInheritor: read in the address space of this object (the process), api-notes §1.7. */
    function readMemoryValues(location: Int64 | number, count: number, elementSize?: 1, isSigned?: boolean, contextInheritor?: object): Uint8Array;
  }

  namespace diagnostics {
    /** Arguments are concatenated with no separator and no newline. */
    function debugLog(...values: unknown[]): void;
  }

  /** The root namespace: host.namespace.Debugger.Utility.Control.ExecuteCommand(...) etc. */
  const namespace: {
    readonly Debugger: {
      readonly Utility: {
        readonly Control: { ExecuteCommand(command: string): Iterable<string> };
      };
    };
  };

  /** Registration records returned from initializeScript (api-notes §1.2). */
  class apiVersionSupport {
    constructor(major: number, minor: number);
  }
  class namedModelParent {
    constructor(object: Function | object, modelName: string);
  }
  class functionAlias {
    constructor(fn: (...args: any[]) => unknown, name: string);
  }
  type Registration = apiVersionSupport | namedModelParent | functionAlias;

  /** An element of an indexable iteration: shown as [i] in dx. */
  class indexedValue {
    constructor(value: unknown, indicies: unknown[]);
  }

  namespace metadata {
    function valueWithMetadata(value: unknown, metadata: { [key: string]: unknown }): unknown;
  }
}

interface SymbolConstructor {
  /** Help text and display preferences for dx (api-notes §1.12). */
  readonly metadataDescriptor: unique symbol;
}
