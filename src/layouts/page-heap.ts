// Every offset the page-heap walk uses (docs/heap-structures.md §1.7, §2.6), resolved from ntdll's
// symbols the first time a heap handle without an NT or segment signature is met (a process
// without page heap never asks). The _DPH_* types are ntdll's own (§1.0): without them page heaps
// are Unsupported, and nothing else changes.
import { TypeSource } from "../host/symbols";
import { namedMissing, requiredFields } from "./required";

export interface PageHeapLayout {
  pointerSize: 4 | 8;
  /** _HEAP.ForceFlags: a page-heap handle has HEAP_FLAG_PAGE_ALLOCS there (§1.7); undefined without the field. */
  forceFlags: number | undefined;
  /** ntdll!RtlpDphPageHeapList, a LIST_ENTRY through _DPH_HEAP_ROOT.NextHeap (§2.1 item 3), or undefined. */
  pageHeapList: number | undefined;
  root: {
    size: number;
    signature: number;
    /** The embedded _RTL_AVL_TABLE of busy full-page blocks. */
    busyNodesTable: number;
    freeListHead: number;
    freeCount: number;
    nextHeap: number;
    normalHeap: number;
  };
  /** Offsets inside _RTL_AVL_TABLE. */
  table: { balancedRoot: number; elementCount: number };
  /** Offsets inside _RTL_BALANCED_LINKS. */
  links: { leftChild: number; rightChild: number };
  /** _DPH_HEAP_BLOCK. */
  node: {
    size: number;
    tableLinks: number;
    nextAlloc: number;
    userAllocation: number;
    virtualBlock: number;
    virtualBlockSize: number;
    virtualAccessSize: number;
    userRequestedSize: number;
    userActualSize: number;
    stackTrace: number;
  };
  /** _DPH_BLOCK_INFORMATION. */
  info: { size: number; startStamp: number; requestedSize: number; stackTrace: number; endStamp: number };
  /** Why page heaps cannot be walked with these symbols (a type or field is missing), or undefined. */
  problem: string | undefined;
}

/** The page-heap layout of one ntdll. Never throws: what is missing is named in `problem`. */
export function resolvePageHeapLayout(types: TypeSource, pointerSize: 4 | 8): PageHeapLayout {
  const { missing, need, needSize } = requiredFields(types);
  const R = "_DPH_HEAP_ROOT";
  const B = "_DPH_HEAP_BLOCK";
  const I = "_DPH_BLOCK_INFORMATION";
  const layout: PageHeapLayout = {
    pointerSize,
    forceFlags: types.fieldOffset("_HEAP", "ForceFlags"),
    pageHeapList: types.symbolAddress("RtlpDphPageHeapList"),
    root: {
      size: needSize(R),
      signature: need(R, "Signature"),
      busyNodesTable: need(R, "BusyNodesTable"),
      freeListHead: need(R, "pFreeAllocationListHead"),
      freeCount: need(R, "nFreeAllocations"),
      nextHeap: need(R, "NextHeap"),
      normalHeap: need(R, "NormalHeap"),
    },
    table: { balancedRoot: need("_RTL_AVL_TABLE", "BalancedRoot"), elementCount: need("_RTL_AVL_TABLE", "NumberGenericTableElements") },
    links: { leftChild: need("_RTL_BALANCED_LINKS", "LeftChild"), rightChild: need("_RTL_BALANCED_LINKS", "RightChild") },
    node: {
      size: needSize(B),
      tableLinks: need(B, "TableLinks"),
      nextAlloc: need(B, "pNextAlloc"),
      userAllocation: need(B, "pUserAllocation"),
      virtualBlock: need(B, "pVirtualBlock"),
      virtualBlockSize: need(B, "nVirtualBlockSize"),
      virtualAccessSize: need(B, "nVirtualAccessSize"),
      userRequestedSize: need(B, "nUserRequestedSize"),
      userActualSize: need(B, "nUserActualSize"),
      stackTrace: need(B, "StackTrace"),
    },
    info: {
      size: needSize(I),
      startStamp: need(I, "StartStamp"),
      requestedSize: need(I, "RequestedSize"),
      stackTrace: need(I, "StackTrace"),
      endStamp: need(I, "EndStamp"),
    },
    problem: undefined,
  };
  if (missing.length > 0) {
    const named = namedMissing(missing);
    layout.problem = `ntdll's symbols do not describe ${named}: page heaps cannot be walked`;
  }
  return layout;
}
