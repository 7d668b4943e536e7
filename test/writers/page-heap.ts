// Page heap (+hpa, NtGlobalFlag 0x02000000) test memory, from docs/heap-structures.md §1.7, §2.1,
// §2.6 and §3.7: a page-heap handle whose DPH_HEAP_ROOT (one page on) is linked from
// ntdll!RtlpDphPageHeapList, full-page blocks (busy ones in the BusyNodesTable AVL tree, delayed-
// free ones on the free list), and light blocks inside the root's NormalHeap, an NT heap written
// by ntheap.ts. Every page-heap block has a StackTrace record (§2.6).
import { writeNtHeap, type BlockTrace } from "./ntheap";
import type { ProcessImageBuilder } from "./process";
import type { AddressSpace, BlockTruth, HeapTruth, Layout } from "./types";

const PAGE = 0x1000;

/** _HEAP.ForceFlags (and Flags) bit of a page-heap handle; the root's signature (§1.7). */
const HEAP_FLAG_PAGE_ALLOCS = 0x01000000;
const DPH_HEAP_ROOT_SIGNATURE = 0xffeeddcc;
/**
 * The handle's page: DPH fill with only Flags and ForceFlags set, no _HEAP signatures. The notes
 * name the fill (§1.7, [REACTOS] DPH_FILL 0xEEEEEEEE) and call the handle "a normal _HEAP" with
 * ForceFlags set; that the rest of the page is fill is our reading of [REACTOS].
 */
const DPH_FILL = 0xee;

/** Start / end stamps and fills (§1.7 table). */
const STAMPS = {
  full: { Busy: [0xabcdbbbb, 0xdcbabbbb], Freed: [0xabcdbbba, 0xdcbabbba] },
  light: { Busy: [0xabcdaaaa, 0xdcbaaaaa], Freed: [0xabcdaaa9, 0xdcbaaaa9] },
} as const;
const USER_FILL = { full: 0xc0, light: 0xe0, freed: 0xf0 };
const FULL_SUFFIX_FILL = 0xd0;
const LIGHT_SUFFIX_FILL = 0xa0;
const LIGHT_SUFFIX_BYTES = 8;
/**
 * Full-page user data is 8-aligned: 0–7 suffix bytes before the no-access page (§1.7, from the
 * MS docs' x86 pictures; the x64 alignment is UNVERIFIED). Requests that are multiples of 8 end
 * exactly at the no-access page, as observed (§6c.9).
 */
const FULL_USER_ALIGNMENT = 8;

export interface PageHeapSpec {
  /** Seeds the NormalHeap (and DPH_HEAP_ROOT.Seed). */
  seed: number;
  /** The heap's flags (DPH_HEAP_ROOT.HeapFlags); the handle's _HEAP.Flags add HEAP_FLAG_PAGE_ALLOCS. */
  flags: number;
  /**
   * Full-page blocks by user request: busy ones, delayed-free ones, and delayed-free ones whose
   * pages are not in the dump (what becomes of freed full-page memory the notes do not say).
   */
  full: { busy: number[]; freed: number[]; freedUnreadable: number[] };
  /** Light blocks: how many of the NormalHeap's busy blocks become busy and delayed-free ones. */
  light: { busy: number; freed: number };
  /** The StackTrace of the next block, in write order: an allocation's, or a free's for freed blocks. */
  trace(state: "Busy" | "Freed"): BlockTrace;
}

type BlockState = "Busy" | "Freed";

/**
 * Writes a page heap into the process (the caller lists its handle in the PEB). Returns its
 * truth (type "PageHeap") and its NormalHeap's (an NT heap listed only by the root; its busy
 * blocks have noStack "TraceDatabaseOff", the light blocks' traces being on the page heap's truth).
 */
export function writePageHeap(process: ProcessImageBuilder, spec: PageHeapSpec): { pageHeap: HeapTruth; normalHeap: HeapTruth } {
  return new PageHeapWriter(process, spec).write();
}

class PageHeapWriter {
  private readonly space: AddressSpace;
  private readonly layout: Layout;
  private readonly infoSize: number;
  private root = 0n;

  constructor(
    private readonly process: ProcessImageBuilder,
    private readonly spec: PageHeapSpec,
  ) {
    this.space = process.space;
    this.layout = process.layout;
    this.infoSize = this.layout.size("_DPH_BLOCK_INFORMATION");
  }

  write(): { pageHeap: HeapTruth; normalHeap: HeapTruth } {
    const { space, layout, spec } = this;
    const lightCount = spec.light.busy + spec.light.freed;
    // No LFH in the NormalHeap, so its LFH key is never used.
    const normal = writeNtHeap(space, layout, { lfhKey: 0 }, {
      seed: spec.seed, flags: spec.flags, segments: 1, blocksPerSegment: 12 + 3 * lightCount, lfh: false, virtualAllocs: [], escapes: false,
    });

    // The handle's page, then the root and its node pool (DPH_HEAP_BLOCKs) in the next pages.
    const fullCount = spec.full.busy.length + spec.full.freed.length + spec.full.freedUnreadable.length;
    const nodeSize = layout.size("_DPH_HEAP_BLOCK");
    const poolStart = alignUp(layout.size("_DPH_HEAP_ROOT"), 0x10);
    const nodeCount = fullCount + 2; // + the virtual storage range and the node pool itself
    const critSect = poolStart + nodeCount * nodeSize;
    const rootBytes = alignUp(critSect + 0x40, PAGE);
    const handle = space.reserve(PAGE + rootBytes);
    space.commit(handle, PAGE + rootBytes);
    this.root = handle + BigInt(PAGE);
    space.write(handle, new Uint8Array(PAGE).fill(DPH_FILL));
    const flags = spec.flags | HEAP_FLAG_PAGE_ALLOCS;
    space.u32(handle + this.off("_HEAP", "Flags"), flags);
    space.u32(handle + this.off("_HEAP", "ForceFlags"), flags);

    const nodes = Array.from({ length: nodeCount }, (_, i) => this.root + BigInt(poolStart + i * nodeSize));
    const [poolNode, storageNode, ...blockNodes] = nodes;
    const root = (name: string) => this.root + this.off("_DPH_HEAP_ROOT", name);
    space.u32(root("Signature"), DPH_HEAP_ROOT_SIGNATURE);
    space.u32(root("HeapFlags"), spec.flags);
    space.ptr(root("HeapCritSect"), this.root + BigInt(critSect));
    space.u32(root("Seed"), Math.imul(spec.seed, 0x9e3779b1) >>> 0);
    space.ptr(root("NormalHeap"), normal.address);
    this.emptyList(root("AvailableAllocationHead"));
    this.node(poolNode, { pVirtualBlock: nodes[0], nVirtualBlockSize: BigInt(nodeCount * nodeSize) });
    space.ptr(root("pNodePoolListHead"), poolNode);
    space.ptr(root("pNodePoolListTail"), poolNode);
    space.u32(root("nNodePools"), 1);
    space.ptr(root("nNodePoolBytes"), BigInt(nodeCount * nodeSize));

    const { busy, freed } = this.writeFullBlocks(storageNode, blockNodes);
    const light = this.writeLightBlocks(normal);
    this.linkPageHeapList(root("NextHeap"));

    const pageHeap: HeapTruth = {
      address: handle,
      type: "PageHeap",
      flags,
      granularity: normal.granularity,
      listedIn: [], // the caller lists the handle and says where
      segments: [],
      blocks: [...busy, ...freed, ...light],
      lfh: false,
      pageHeap: { root: this.root, normalHeap: normal.address },
    };
    const normalHeap: HeapTruth = {
      ...normal,
      listedIn: ["PageHeapRoot"],
      blocks: normal.blocks.map((b) => (b.state === "Busy" ? { ...b, noStack: "TraceDatabaseOff" } : b)),
    };
    return { pageHeap, normalHeap };
  }

  private off(type: string, field: string): bigint {
    return BigInt(this.layout.off(type, field));
  }

  /** Writes DPH_HEAP_BLOCK fields (§1.7) at node. */
  private node(node: bigint, fields: Record<string, bigint>): void {
    for (const [name, value] of Object.entries(fields)) {
      if (name === "UserFlags") this.space.u32(node + this.off("_DPH_HEAP_BLOCK", name), Number(value));
      else this.space.ptr(node + this.off("_DPH_HEAP_BLOCK", name), value);
    }
  }

  /**
   * One virtual storage range holds the full-page blocks one after the other: each its
   * accessible pages (DPH_BLOCK_INFORMATION right before the user data, the user data ending at
   * the last of them) and a no-access page that stays uncommitted (§2.6, §6c.9).
   */
  private writeFullBlocks(storageNode: bigint, blockNodes: bigint[]): { busy: BlockTruth[]; freed: BlockTruth[] } {
    const { space, spec } = this;
    const root = (name: string) => this.root + this.off("_DPH_HEAP_ROOT", name);
    const requests: { request: number; state: BlockState; readable: boolean }[] = [
      ...spec.full.busy.map((request) => ({ request, state: "Busy" as const, readable: true })),
      ...spec.full.freed.map((request) => ({ request, state: "Freed" as const, readable: true })),
      ...spec.full.freedUnreadable.map((request) => ({ request, state: "Freed" as const, readable: false })),
    ];
    if (requests.length === 0) return { busy: [], freed: [] };
    const extents = requests.map(({ request }) => {
      const actual = alignUp(request, FULL_USER_ALIGNMENT);
      const access = alignUp(this.infoSize + actual, PAGE);
      return { actual, access, size: access + PAGE };
    });
    const storageBytes = extents.reduce((sum, e) => sum + e.size, 0);
    const region = space.reserve(storageBytes);
    this.node(storageNode, { pVirtualBlock: region, nVirtualBlockSize: BigInt(storageBytes), pVirtualRegion: region });
    space.ptr(root("pVirtualStorageListHead"), storageNode);
    space.ptr(root("pVirtualStorageListTail"), storageNode);
    space.u32(root("nVirtualStorageRanges"), 1);
    space.ptr(root("nVirtualStorageBytes"), BigInt(storageBytes));

    const busy: { node: bigint; truth: BlockTruth }[] = [];
    const freed: { node: bigint; truth: BlockTruth }[] = [];
    let virtualBlock = region;
    requests.forEach(({ request, state, readable }, i) => {
      const { actual, access, size } = extents[i];
      const user = virtualBlock + BigInt(access - actual);
      space.commit(virtualBlock, access);
      const trace = spec.trace(state);
      this.writeBlockInformation(user - BigInt(this.infoSize), STAMPS.full[state], request, actual, state, trace);
      space.write(user, new Uint8Array(request).fill(state === "Busy" ? USER_FILL.full : USER_FILL.freed));
      space.write(user + BigInt(request), new Uint8Array(actual - request).fill(FULL_SUFFIX_FILL));
      if (!readable) space.drop(virtualBlock, access);
      const node = blockNodes[i];
      this.node(node, {
        pUserAllocation: user,
        pVirtualBlock: virtualBlock,
        nVirtualBlockSize: BigInt(size),
        nVirtualAccessSize: BigInt(access),
        nUserRequestedSize: BigInt(request),
        nUserActualSize: BigInt(actual),
        StackTrace: trace.record,
        pVirtualRegion: region,
      });
      const truth: BlockTruth = { address: virtualBlock, userAddress: user, size, userSize: request, kind: "PageHeap", state, dphHeapBlock: node, stack: trace.stack };
      (state === "Busy" ? busy : freed).push({ node, truth });
      virtualBlock += BigInt(size);
    });

    const committed = (blocks: { truth: BlockTruth }[]) => BigInt(blocks.reduce((sum, b) => sum + b.truth.size - PAGE, 0));
    this.linkAvlTable(root("BusyNodesTable"), busy.map((b) => b.node));
    space.u32(root("nBusyAllocations"), busy.length);
    space.ptr(root("nBusyAllocationBytesCommitted"), committed(busy));
    space.ptr(root("nBusyAllocationBytesAccessible"), committed(busy));
    // Delayed-free blocks: singly linked through pNextAlloc (§2.6).
    freed.forEach(({ node }, i) => space.ptr(node + this.off("_DPH_HEAP_BLOCK", "pNextAlloc"), freed[i + 1]?.node ?? 0n));
    space.ptr(root("pFreeAllocationListHead"), freed[0]?.node ?? 0n);
    space.ptr(root("pFreeAllocationListTail"), freed[freed.length - 1]?.node ?? 0n);
    space.u32(root("nFreeAllocations"), freed.length);
    space.ptr(root("nFreeAllocationBytesCommitted"), committed(freed));
    return { busy: busy.map((b) => b.truth), freed: freed.map((b) => b.truth) };
  }

  /**
   * BusyNodesTable (§2.6): the busy DPH_HEAP_BLOCKs, whose TableLinks open the node, as a balanced
   * tree ordered by pUserAllocation. The root hangs off BalancedRoot.RightChild and points back
   * to BalancedRoot, whose Parent is itself: the Rtl AVL package's convention, not in the notes
   * (UNVERIFIED). Balance is the height difference right minus left (-1, 0, 1).
   */
  private linkAvlTable(table: bigint, sortedNodes: bigint[]): void {
    const { space } = this;
    const link = (node: bigint, name: string) => node + this.off("_RTL_BALANCED_LINKS", name);
    const build = (lo: number, hi: number, parent: bigint): { node: bigint; height: number } => {
      if (lo > hi) return { node: 0n, height: 0 };
      const mid = (lo + hi) >> 1;
      const node = sortedNodes[mid];
      const left = build(lo, mid - 1, node);
      const right = build(mid + 1, hi, node);
      space.ptr(link(node, "Parent"), parent);
      space.ptr(link(node, "LeftChild"), left.node);
      space.ptr(link(node, "RightChild"), right.node);
      space.u8(link(node, "Balance"), right.height - left.height);
      return { node, height: 1 + Math.max(left.height, right.height) };
    };
    const balancedRoot = table + this.off("_RTL_AVL_TABLE", "BalancedRoot");
    const tree = build(0, sortedNodes.length - 1, balancedRoot);
    space.ptr(link(balancedRoot, "Parent"), balancedRoot);
    space.ptr(link(balancedRoot, "RightChild"), tree.node);
    space.u32(table + this.off("_RTL_AVL_TABLE", "NumberGenericTableElements"), sortedNodes.length);
    space.u32(table + this.off("_RTL_AVL_TABLE", "DepthOfTree"), tree.height);
  }

  /**
   * Light blocks (§2.6): a NormalHeap block whose user data is DPH_BLOCK_INFORMATION, the user's
   * bytes (E0, or F0 once freed) and 8 suffix bytes of A0. The NormalHeap's busy blocks with room
   * for that become light blocks, busy ones first; the others stay plain NT blocks.
   */
  private writeLightBlocks(normal: HeapTruth): BlockTruth[] {
    const { space, spec } = this;
    const overhead = this.infoSize + LIGHT_SUFFIX_BYTES;
    const eligible = normal.blocks.filter((b) => b.kind === "Backend" && b.state === "Busy" && b.userSize > overhead);
    const count = spec.light.busy + spec.light.freed;
    if (eligible.length < count) throw new Error(`the NormalHeap has ${eligible.length} blocks with room for a light block, ${count} wanted`);
    return eligible.slice(0, count).map((block, i) => {
      const state: BlockState = i < spec.light.busy ? "Busy" : "Freed";
      const userSize = block.userSize - overhead;
      const user = block.userAddress + BigInt(this.infoSize);
      const trace = spec.trace(state);
      this.writeBlockInformation(block.userAddress, STAMPS.light[state], userSize, block.userSize, state, trace);
      space.write(user, new Uint8Array(userSize).fill(state === "Busy" ? USER_FILL.light : USER_FILL.freed));
      space.write(user + BigInt(userSize), new Uint8Array(LIGHT_SUFFIX_BYTES).fill(LIGHT_SUFFIX_FILL));
      return { address: block.address, userAddress: user, size: block.size, userSize, kind: "PageHeap", state, stack: trace.stack };
    });
  }

  /**
   * DPH_BLOCK_INFORMATION (§1.7): stamps, Heap = the root (our reading: the notes do not say which
   * heap address it holds), RequestedSize, ActualSize (full: the 8-aligned size; light: the
   * NormalHeap request), StackTrace; TraceIndex (the record's index) on busy blocks only, as a
   * freed block's FreeQueue shares its bytes (left 0: the notes name no queue head).
   */
  private writeBlockInformation(info: bigint, [start, end]: readonly [number, number], requested: number, actual: number, state: BlockState, trace: BlockTrace): void {
    const { space } = this;
    const field = (name: string) => info + this.off("_DPH_BLOCK_INFORMATION", name);
    space.u32(field("StartStamp"), start);
    space.ptr(field("Heap"), this.root);
    space.ptr(field("RequestedSize"), BigInt(requested));
    space.ptr(field("ActualSize"), BigInt(actual));
    if (state === "Busy") space.u16(field("TraceIndex"), trace.index);
    space.ptr(field("StackTrace"), trace.record);
    space.u32(field("EndStamp"), end);
  }

  /** NextHeap at the tail of ntdll!RtlpDphPageHeapList, which the first page heap initializes (§2.1 item 3, §6). */
  private linkPageHeapList(nextHeap: bigint): void {
    const { space, process } = this;
    const head = process.ntdllSymbol("RtlpDphPageHeapList");
    const initialized = process.ntdllSymbol("RtlpDphPageHeapListInitialized");
    const flink = this.off("_LIST_ENTRY", "Flink");
    const blink = this.off("_LIST_ENTRY", "Blink");
    if (space.read(initialized, 1)[0] === 0) {
      this.emptyList(head);
      space.u8(initialized, 1);
    }
    const last = space.readPtr(head + blink);
    space.ptr(nextHeap + flink, head);
    space.ptr(nextHeap + blink, last);
    space.ptr(last + flink, nextHeap);
    space.ptr(head + blink, nextHeap);
  }

  /** An empty circular LIST_ENTRY list: Flink = Blink = head. */
  private emptyList(head: bigint): void {
    this.space.ptr(head + this.off("_LIST_ENTRY", "Flink"), head);
    this.space.ptr(head + this.off("_LIST_ENTRY", "Blink"), head);
  }
}

function alignUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
