// One cache per process of everything dxheap learns about its heaps — the list, each heap's
// identity, each walk, the address index — shared by the dx objects and every command, so that a
// dump is walked once per debugging session. Each step happens only when something asks for it:
// `dx @$curprocess` does no heap work, and listing the heaps reads no heap.
// On a live target the cache is checked against a fingerprint of the threads' registers before
// it is reused: a target that ran has moved at least one thread, and is read again.
import { Target, NtdllView, liveFingerprint } from "../host/target";
import { failedWalk, walkHeap } from "../walkers/index";
import { Symbolizer } from "../stacks/symbolizer";
import { TraceReader } from "../stacks/trace";
import { firstPointers } from "../stacks/types";
import { LeakScan, scanLeaks } from "../analysis/leaks";
import { AddressIndex, BlockLocation } from "./address-index";
import { classifyHeap } from "./classify";
import { enumerateHeaps } from "./enumerate";
import { Finding, FindingLog } from "./findings";
import { HeapIdentity, HeapListing, HeapWalk } from "./records";

/** A heap the process names, with what has been learnt of it so far. */
export class HeapRef {
  private identityResult: HeapIdentity | undefined;
  private walkResult: HeapWalk | undefined;

  constructor(
    readonly view: NtdllView,
    readonly address: number,
    readonly listedIn: HeapListing[],
    /** Position in ProcessHeaps.heaps(). */
    readonly index: number,
    /** The walk of another NT heap of the process (a page heap's NormalHeap), from the same cache. */
    private readonly ntWalkAt: (address: number) => HeapWalk | undefined,
  ) {}

  /** What the heap's header says it is: reads a few bytes of it, once. */
  identity(): HeapIdentity {
    if (!this.identityResult) this.identityResult = classifyHeap(this.view, this.address);
    return this.identityResult;
  }

  /**
   * The heap's walk, made once. A walker must never throw for bad target memory; should one fail
   * anyway (a bug), the heap shows an empty walk and says so, instead of taking dx or a command down.
   */
  walk(): HeapWalk {
    if (!this.walkResult) {
      try {
        this.walkResult = walkHeap(this.view, this.address, this.identity(), this.ntWalkAt);
      } catch (e) {
        this.walkResult = failedWalk(this.view, this.address, this.identity(), e);
      }
    }
    return this.walkResult;
  }

  /** Why the heap could not be walked at all (unknown kind, unreadable header, missing symbols), or undefined. */
  problem(): Finding | undefined {
    return walkProblem(this.walk());
  }

  /** The first pointer of each busy block's user data (for type names), read once, window by window. */
  firstPointers(): Float64Array {
    if (!this.pointers) this.pointers = firstPointers(this.view.memory, this.walk());
    return this.pointers;
  }

  /** First pointers another pass read already (the leak scan's), unless read before. */
  adoptFirstPointers(values: Float64Array): void {
    if (!this.pointers) this.pointers = values;
  }

  private pointers: Float64Array | undefined;

  /** The walk if it has been done; nothing is read. */
  walkIfDone(): HeapWalk | undefined {
    return this.walkResult;
  }
}

/**
 * Why a walk found nothing at all: a heap of unknown type, or one that listed no segment and no
 * block and says why at its own address (unreadable header, missing symbols, unsupported kind).
 */
export function walkProblem(walk: HeapWalk): Finding | undefined {
  if (walk.type !== "Unknown" && (walk.segments.length > 0 || walk.blocks.count > 0)) return undefined;
  for (let i = 0; i < walk.findings.length; i++) {
    const f = walk.findings[i];
    if (walk.type === "Unknown" || (f.address === walk.address && f.kind !== "Corruption")) return f;
  }
  return undefined;
}

export class ProcessHeaps {
  private static readonly cache: { [key: string]: ProcessHeaps } = {};

  private heapList: HeapRef[] | undefined;
  private readonly enumerationFindings = new FindingLog();
  private addressIndex: AddressIndex | undefined;

  private constructor(readonly target: Target, private readonly fingerprint: string | undefined) {}

  /** A live target can run between two looks at it; a dump never changes. */
  get live(): boolean {
    return this.fingerprint !== undefined;
  }

  /**
   * The cache of a process (the current one by default), made on first use and reused while the
   * target has not run. Throws a one-line error when ntdll's symbols or the PEB are missing.
   */
  static of(processObject: object = host.currentProcess): ProcessHeaps {
    const key = Target.keyOf(processObject);
    const fingerprint = liveFingerprint(processObject);
    const cached = ProcessHeaps.cache[key];
    if (cached && cached.fingerprint === fingerprint) return cached;
    const fresh = new ProcessHeaps(Target.of(processObject), fingerprint);
    ProcessHeaps.cache[key] = fresh;
    return fresh;
  }

  /** Forgets every process (uninitializeScript). */
  static clear(): void {
    for (const key of Object.keys(ProcessHeaps.cache)) delete ProcessHeaps.cache[key];
  }

  /** Every heap the process names, in the order it names them; nothing of the heaps is read. */
  heaps(): HeapRef[] {
    if (!this.heapList) {
      const list: HeapRef[] = [];
      const views = this.target.views;
      for (let v = 0; v < views.length; v++) {
        const view = views[v];
        const entries = enumerateHeaps(view, this.enumerationFindings);
        const ntWalkAt = (address: number) => this.ntWalkAt(view, address);
        for (let i = 0; i < entries.length; i++) list.push(new HeapRef(view, entries[i].address, entries[i].listedIn, list.length, ntWalkAt));
      }
      this.heapList = list;
    }
    return this.heapList;
  }

  /** What was wrong in the lists that name the heaps. */
  findings(): Finding[] {
    this.heaps();
    const problems: Finding[] = this.target.problems.map((p) => ({ kind: "Unsupported" as const, address: p.address, message: p.message }));
    return problems.concat(this.enumerationFindings.list());
  }

  /** Names of addresses, each asked of the debugger once per process. */
  symbolizer(): Symbolizer {
    if (!this.names) this.names = new Symbolizer(this.target);
    return this.names;
  }

  /** The allocation stacks recorded by a view's ntdll, each record read once per process. */
  traces(view: NtdllView): TraceReader {
    const i = this.target.views.indexOf(view);
    let reader = this.traceReaders[i];
    if (!reader) reader = this.traceReaders[i] = new TraceReader(view, this.target);
    return reader;
  }

  private names: Symbolizer | undefined;
  private readonly traceReaders: TraceReader[] = [];

  /** The walk of the NT heap of `view` at `address`, if the process lists one there (never a page heap: no walk waits on itself). */
  private ntWalkAt(view: NtdllView, address: number): HeapWalk | undefined {
    const heaps = this.heaps();
    for (let i = 0; i < heaps.length; i++) {
      const heap = heaps[i];
      if (heap.view === view && heap.address === address) return heap.identity().type === "NT" ? heap.walk() : undefined;
    }
    return undefined;
  }

  heapAt(address: number): HeapRef | undefined {
    const heaps = this.heaps();
    for (let i = 0; i < heaps.length; i++) if (heaps[i].address === address) return heaps[i];
    return undefined;
  }

  /** Every heap, walked. */
  walks(): HeapWalk[] {
    return this.heaps().map((heap) => heap.walk());
  }

  /** The block holding an address, over every heap (walks them all on first use). */
  locate(address: number): { heap: HeapRef; row: number } | undefined {
    const heaps = this.heaps();
    const found: BlockLocation | undefined = this.index().find(address);
    return found ? { heap: heaps[found.walk], row: found.row } : undefined;
  }

  /** The address index over every heap's walk (its walk numbers are the heaps' positions). */
  index(): AddressIndex {
    if (!this.addressIndex) this.addressIndex = new AddressIndex(this.walks());
    return this.addressIndex;
  }

  /** The leak scan of the whole process (src/analysis/leaks.ts), made once; its arrays follow heaps(). */
  leaks(): LeakScan {
    if (!this.leakScan) {
      const widths = this.heaps().map((heap) => heap.view.layout.pointerSize);
      this.leakScan = scanLeaks(this.target, this.target.views[0].memory, this.walks(), widths, this.index());
      // The scan read every busy block's first pointer on its way: type names need no second pass.
      const heaps = this.heaps();
      for (let i = 0; i < heaps.length; i++) heaps[i].adoptFirstPointers(this.leakScan.firstPointers[i]);
    }
    return this.leakScan;
  }

  private leakScan: LeakScan | undefined;
}
