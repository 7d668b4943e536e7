// The part of WinDbg's JavaScript provider API that dxheap uses, and nothing more.
// This is the contract between the extension and any host (WinDbg, or nodehost/ in tests).
// Facts and sources: docs/jsprovider.md (§1.2 records, §1.4 Int64, §1.6 memory, §1.7 types and
// symbols, §1.10 namespace, §1.11 diagnostics, §1.12 metadata, §1.14 protocols).

declare namespace host {
  /** A 64-bit value. Methods never lose precision; valueOf() throws above 2^53 (docs/jsprovider.md §1.4). */
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

  /** A type object from the target's symbols (docs/jsprovider.md §1.9). */
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

  /** The SDK's symbolInformationInterface (docs/jsprovider.md §1.7). */
  interface SymbolInformation {
    /** The symbol's name, e.g. "RtlAllocateHeap" or "Widget::`vftable'" (without "module!" in nodehost: UNVERIFIED). */
    readonly name: string;
    /** Where the symbol starts. */
    readonly address: Int64;
    /** null for a public symbol without a type. */
    readonly type: TypeObject | null;
    /** What getModuleContainingSymbol gives for it (null without a type in nodehost: UNVERIFIED). */
    readonly value: unknown;
  }
  /** The symbol containing location; where none does it throws, or gives null (UNVERIFIED which: docs/jsprovider.md §1.7). */
  function getModuleContainingSymbolInformation(location: Int64 | number | object, contextInheritor?: object): SymbolInformation | null;
  /** The typed object of the symbol containing location; needs private symbols (docs/jsprovider.md §1.7). */
  function getModuleContainingSymbol(location: Int64 | number | object, contextInheritor?: object): unknown;

  /** A native object (process, module, typed memory). */
  interface NativeObject {
    readonly address: Int64;
    readonly [name: string]: unknown;
  }
  const currentProcess: NativeObject;

  /** A thread of Debugger.Models.Thread (docs/jsprovider.md §1.10); Registers throws without a context. */
  interface ThreadObject {
    readonly Id: number;
    readonly Environment: { readonly EnvironmentBlock: NativeObject };
    /** User: rax..r15, rip, rsp, efl, cs..ss on x64; eax..edi, eip, esp, efl, cs..ss on x86 (docs/jsprovider.md §1.4). */
    readonly Registers: { readonly User: { readonly [name: string]: Int64 | undefined } };
  }
  const currentThread: ThreadObject | undefined;

  /** The debugging session (docs/jsprovider.md §1.10): Attributes.Target says what is debugged. */
  interface SessionObject {
    readonly Attributes: {
      readonly Target: { readonly IsLiveTarget: boolean; readonly IsKernelTarget: boolean; readonly IsUserTarget: boolean; readonly IsTTDTarget: boolean };
    };
  }
  const currentSession: SessionObject;

  namespace memory {
    /** Throws when any byte of the range cannot be read. */
    /** contextInheritor: read in the address space of this object (the process), docs/jsprovider.md §1.7. */
    function readMemoryValues(location: Int64 | number, count: number, elementSize?: 1, isSigned?: boolean, contextInheritor?: object): Uint8Array;
  }

  namespace diagnostics {
    /** Arguments are concatenated with no separator and no newline. */
    function debugLog(...values: unknown[]): void;
  }

  /** A file of Debugger.Utility.FileSystem (Microsoft Learn, dbgmodel-object-file). */
  interface FileObject {
    readonly Name: string;
    readonly Extension: string;
    readonly Path: string;
    readonly Position: number;
    readonly Size: number;
    Close(): void;
    Delete(): void;
    ReadBytes(byteCount: number): ArrayLike<number> & Iterable<number>;
    WriteBytes(bytes: Iterable<number>, byteCount?: number): void;
  }
  /** Text writer and reader objects (Microsoft Learn, dbgmodel-object-text-writer, dbgmodel-object-text-reader). */
  interface TextWriter {
    Write(value: unknown): void;
    WriteLine(value: unknown): void;
    WriteContents(values: Iterable<unknown>): void;
    WriteLineContents(values: Iterable<unknown>): void;
  }
  interface TextReader {
    /** At the end of the file it may throw (nodehost does; UNVERIFIED). */
    ReadLine(): string;
    ReadLineContents(): Iterable<string>;
  }
  type FileDisposition = "OpenExisting" | "CreateNew" | "CreateAlways";
  type TextEncoding = "Ascii" | "Utf8" | "Utf16";

  /** The root namespace: host.namespace.Debugger.Utility.Control.ExecuteCommand(...) etc. */
  const namespace: {
    readonly Debugger: {
      /** Sessions[0].Attributes.Target.IsLiveTarget, as public scripts read it (docs/jsprovider.md §1.10). */
      readonly Sessions: Iterable<SessionObject> & { readonly [index: number]: SessionObject };
      readonly Utility: {
        readonly Control: { ExecuteCommand(command: string): Iterable<string> };
        /** Microsoft Learn, dbgmodel-namespace-file-system; pass the disposition and encoding explicitly (defaults UNVERIFIED). */
        readonly FileSystem: {
          CreateFile(path: string, disposition?: FileDisposition): FileObject;
          OpenFile(path: string): FileObject;
          FileExists(path: string): boolean;
          DeleteFile(path: string): void;
          CreateTextWriter(fileOrPath: FileObject | string, encoding?: TextEncoding): TextWriter;
          CreateTextReader(fileOrPath: FileObject | string, encoding?: TextEncoding): TextReader;
        };
      };
    };
  };

  /** Registration records returned from initializeScript (docs/jsprovider.md §1.2). */
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
  /** Help text and display preferences for dx (docs/jsprovider.md §1.12). */
  readonly metadataDescriptor: unique symbol;
}
