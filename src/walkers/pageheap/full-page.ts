// The full-page blocks of a page heap (docs/heap-structures.md §1.7, §2.6): each has a virtual block
// of its own, described by a _DPH_HEAP_BLOCK node. Busy nodes form the root's BusyNodesTable, an
// RTL_AVL_TABLE whose links are each node's TableLinks, keyed by pUserAllocation; delayed-free ones
// are the root's pFreeAllocationListHead list, through pNextAlloc. Nodes sit together in node
// pools and are read in stretches of pages, not one by one; a block's DPH_BLOCK_INFORMATION, alone
// in its own virtual block, costs one read. Each node is checked before it is listed: the tree by
// node count, AVL depth, key order and loops; the block by its user range, its sizes and stamps.
import { BlockTableBuilder, KIND_PAGE_HEAP, NONE, STATE_BUSY, STATE_FREED } from "../../heap/records";
import { FindingLog } from "../../heap/findings";
import { Memory, MemoryRun } from "../../host/memory-types";
import { PageHeapLayout } from "../../layouts/page-heap";
import { pointer, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";
import { FULL_STAMPS } from "./context";
import { recordTrace, shown } from "./trace";

/** More full-page blocks than any process has address space for (each takes at least two pages). */
export const MAX_NODES = 1 << 20;
/** No virtual block of a full-page allocation is larger (1 TiB). */
const MAX_VIRTUAL_BLOCK = Math.pow(2, 40);
const PAGE = 0x1000;
/** Node pools are read in stretches of up to this many bytes from a node's page (HostMemory.readPrefix). */
const CHUNK = 0x8000;
const MAX_CHUNKS = 64;

/** A node on the way down the tree: its bytes, and the keys its subtree must lie between. */
interface Frame {
  node: number;
  bytes: Uint8Array;
  depth: number;
  key: number;
  low: number;
  high: number;
}

export class FullPageWalker {
  private readonly reader: NodeReader;
  private readonly seen = new Set<number>();
  private readonly limit: number;
  /** Rows listed. */
  count = 0;

  constructor(
    private readonly memory: Memory,
    private readonly layout: PageHeapLayout,
    private readonly heap: number,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
  ) {
    this.reader = new NodeReader(memory);
    this.limit = layout.pointerSize === 8 ? Math.pow(2, 47) : Math.pow(2, 32);
  }

  /**
   * The busy nodes, in key order (an in-order walk of the tree). The tree hangs off the table's
   * BalancedRoot, a sentinel; which of its children holds it is UNVERIFIED (§2.6 does not say), so
   * both are followed, left first.
   */
  walkBusy(root: number, rootBytes: Uint8Array): void {
    const l = this.layout;
    const p = l.pointerSize;
    const table = l.root.busyNodesTable;
    const where = `the BusyNodesTable of page heap ${hex0x(this.heap)}`;
    const elements = u32(rootBytes, table + l.table.elementCount);
    let bound = elements;
    if (elements > MAX_NODES) {
      this.findings.add("Corruption", root + table + l.table.elementCount, `${where} says it holds ${elements} nodes, more than any process has: at most ${MAX_NODES} are walked`);
      bound = MAX_NODES;
    }
    const maxDepth = avlHeight(bound);
    const state = { visited: 0, stopped: false, problems: 0 };
    const stack: Frame[] = [];
    const children = [l.links.leftChild, l.links.rightChild];
    for (let c = 0; c < 2 && !state.stopped; c++) {
      const sentinel = table + l.table.balancedRoot + children[c];
      let link = pointer(rootBytes, sentinel, p);
      let from = root + sentinel;
      let depth = 1;
      let low = 0;
      let high = Infinity;
      for (;;) {
        while (link !== 0 && !state.stopped) {
          const frame = this.enter(link, from, depth, low, high, bound, maxDepth, where, state);
          if (!frame) break;
          stack.push(frame);
          from = frame.node + l.node.tableLinks + l.links.leftChild;
          link = pointer(frame.bytes, l.node.tableLinks + l.links.leftChild, p);
          depth = frame.depth + 1;
          high = frame.key;
        }
        const frame = stack.pop();
        if (!frame) break;
        this.list(frame.node, frame.bytes, STATE_BUSY);
        if (state.stopped) continue; // the ancestors still held are listed, nothing more is entered
        from = frame.node + l.node.tableLinks + l.links.rightChild;
        link = pointer(frame.bytes, l.node.tableLinks + l.links.rightChild, p);
        depth = frame.depth + 1;
        low = frame.key;
        high = frame.high;
      }
    }
    if (state.problems === 0 && state.visited !== elements) {
      this.findings.add("Corruption", root + table, `${where} links ${state.visited} nodes, but its NumberGenericTableElements is ${elements}`);
    }
  }

  /** The delayed-free nodes, in list order, bounded by nFreeAllocations. */
  walkFreed(root: number, rootBytes: Uint8Array): void {
    const l = this.layout;
    const p = l.pointerSize;
    const where = `the delayed-free list of page heap ${hex0x(this.heap)}`;
    const expected = u32(rootBytes, l.root.freeCount);
    const bound = Math.min(expected, MAX_NODES);
    let from = root + l.root.freeListHead;
    let node = pointer(rootBytes, l.root.freeListHead, p);
    let walked = 0;
    while (node !== 0) {
      if (!this.plausible(node)) {
        this.findings.add("Corruption", from, `${where}: ${hex0x(from)} links to ${shown(node)}, not a node: the rest of the list is not walked`);
        return;
      }
      if (this.seen.has(node)) {
        this.findings.add("Corruption", node, `${where} links node ${hex0x(node)} a second time (a loop, or a busy node): the rest of the list is not walked`);
        return;
      }
      if (walked >= bound) {
        this.findings.add("Corruption", node, `${where} is longer than its nFreeAllocations (${expected}): the rest of the list is not walked`);
        return;
      }
      const bytes = this.reader.read(node, l.node.size);
      if (!bytes) {
        this.findings.add("Unreadable", node, `${where}: node ${hex0x(node)} is not readable: the rest of the list is not walked`);
        return;
      }
      this.seen.add(node);
      walked++;
      this.list(node, bytes, STATE_FREED);
      from = node + l.node.nextAlloc;
      node = pointer(bytes, l.node.nextAlloc, p);
    }
    if (walked !== expected) this.findings.add("Corruption", root + l.root.freeCount, `${where} holds ${walked} nodes, but its nFreeAllocations is ${expected}`);
  }

  /** A node of the tree, checked and read; undefined (with a finding) when its subtree cannot be walked. */
  private enter(link: number, from: number, depth: number, low: number, high: number, bound: number, maxDepth: number, where: string,
    state: { visited: number; stopped: boolean; problems: number }): Frame | undefined {
    const l = this.layout;
    const node = link - l.node.tableLinks;
    if (!this.plausible(node)) {
      state.problems++;
      this.findings.add("Corruption", from, `${where}: ${hex0x(from)} links to ${shown(link)}, not a node: that subtree is not walked`, "avl-link");
      return undefined;
    }
    if (this.seen.has(node)) {
      state.problems++;
      this.findings.add("Corruption", from, `${where} loops: ${hex0x(from)} links back to node ${hex0x(node)}: the link is not followed`, "avl-loop");
      return undefined;
    }
    if (state.visited >= bound) {
      state.problems++;
      state.stopped = true;
      this.findings.add("Corruption", node, `${where} links more nodes than its NumberGenericTableElements (${bound}): the rest is not walked`);
      return undefined;
    }
    if (depth > maxDepth) {
      state.problems++;
      this.findings.add("Corruption", node, `${where} is deeper than an AVL tree of ${bound} nodes can be (${maxDepth}) at node ${hex0x(node)}: that subtree is not walked`, "avl-depth");
      return undefined;
    }
    const bytes = this.reader.read(node, l.node.size);
    if (!bytes) {
      state.problems++;
      this.findings.add("Unreadable", node, `${where}: node ${hex0x(node)} is not readable: that subtree is not walked`, "avl-unreadable");
      return undefined;
    }
    this.seen.add(node);
    state.visited++;
    const key = pointer(bytes, l.node.userAllocation, l.pointerSize);
    // Keyed by pUserAllocation (§2.6): a key outside its subtree's range breaks the order, not the walk.
    if (!(key > low && key < high)) {
      this.findings.add("Corruption", node, `${where}: node ${hex0x(node)} has key (pUserAllocation) ${shown(key)} out of its place in the tree's order`, "avl-order");
    }
    return { node, bytes, depth, key, low, high };
  }

  /** One node's block, checked (§2.6, §6c.9) and listed unless its user range is not inside its virtual block. */
  private list(node: number, bytes: Uint8Array, state: number): void {
    const l = this.layout;
    const n = l.node;
    const p = l.pointerSize;
    const user = pointer(bytes, n.userAllocation, p);
    const virtualBlock = pointer(bytes, n.virtualBlock, p);
    const virtualSize = pointer(bytes, n.virtualBlockSize, p);
    const accessSize = pointer(bytes, n.virtualAccessSize, p);
    const requested = pointer(bytes, n.userRequestedSize, p);
    const actual = pointer(bytes, n.userActualSize, p);
    const what = `${state === STATE_BUSY ? "busy" : "delayed-free"} full-page block of node ${hex0x(node)}`;
    if (!(virtualBlock > 0 && virtualSize > 0 && virtualSize <= MAX_VIRTUAL_BLOCK && virtualBlock + virtualSize <= this.limit)) {
      this.findings.add("Corruption", node, `${what}: its virtual block (pVirtualBlock ${shown(virtualBlock)}, nVirtualBlockSize ${shown(virtualSize)}) is not in user memory: not listed`, "node-virtual");
      return;
    }
    // The DPH_BLOCK_INFORMATION and the user data lie inside the block's own virtual block (§2.6).
    const info = l.info.size;
    if (!(user >= virtualBlock + info && requested <= virtualSize && user + requested <= virtualBlock + virtualSize)) {
      this.findings.add("Corruption", node,
        `${what}: its user range (pUserAllocation ${shown(user)}, nUserRequestedSize ${shown(requested)}) with its DPH_BLOCK_INFORMATION is not inside its virtual block [${hex0x(virtualBlock)}, ${hex0x(virtualBlock + virtualSize)}): not listed`, "node-range");
      return;
    }
    const row = this.blocks.push(virtualBlock, user, virtualSize, requested, state, KIND_PAGE_HEAP, NONE, NONE, 0, 0);
    this.count++;
    recordTrace(this.blocks, row, pointer(bytes, n.stackTrace, p), node + n.stackTrace, this.findings);
    // The user data ends next to a no-access page inside the virtual block (§2.6, §6c.9). What
    // nVirtualAccessSize and nUserActualSize count is UNVERIFIED (§1.7 only names them): this holds
    // whether the access size is the accessible part or the whole block, and asks only that the
    // request fit the actual size.
    if (!(requested <= actual && accessSize <= virtualSize && user + requested <= virtualBlock + accessSize)) {
      this.findings.add("Corruption", node,
        `${what}: its sizes disagree (nUserRequestedSize ${shown(requested)}, nUserActualSize ${shown(actual)}, nVirtualAccessSize ${shown(accessSize)}, nVirtualBlockSize ${hex0x(virtualSize)})`, "node-sizes");
    }
    this.checkInformation(user - info, requested, state, what);
  }

  /**
   * The DPH_BLOCK_INFORMATION just before the user data (§2.6): stamps of the node's state, and the
   * node's request. A delayed-free block's pages may be left out of a dump (the notes do not say
   * whether they stay readable), so only a busy block's must be readable.
   */
  private checkInformation(at: number, requested: number, state: number, what: string): void {
    const i = this.layout.info;
    let bytes: Uint8Array;
    try {
      bytes = this.memory.read(at, i.size);
    } catch (e) {
      if (state === STATE_BUSY) this.findings.add("Unreadable", at, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} is not readable`, "info-unreadable");
      return;
    }
    const stamps = state === STATE_BUSY ? FULL_STAMPS.busy : FULL_STAMPS.freed;
    const start = u32(bytes, i.startStamp);
    const end = u32(bytes, i.endStamp);
    if (start !== stamps[0] || end !== stamps[1]) {
      this.findings.add("Corruption", at,
        `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} has stamps ${hex0x(start)}/${hex0x(end)}, not ${hex0x(stamps[0])}/${hex0x(stamps[1])}`, "info-stamps");
      return;
    }
    const recorded = pointer(bytes, i.requestedSize, this.layout.pointerSize);
    if (recorded !== requested) {
      this.findings.add("Corruption", at, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} has RequestedSize ${shown(recorded)}, its node ${hex0x(requested)}`, "info-size");
    }
  }

  /** Nodes are pointer-aligned user-mode memory. */
  private plausible(address: number): boolean {
    return isFinite(address) && address >= 0x10000 && address < this.limit && address % this.layout.pointerSize === 0;
  }
}

/** The greatest height of an AVL tree of n nodes: the largest h whose sparsest tree, N(h) = N(h-1) + N(h-2) + 1, has at most n. */
export function avlHeight(n: number): number {
  let height = 0;
  let sparsest = 0; // N(height)
  let previous = 0; // N(height - 1)
  for (;;) {
    const next = height === 0 ? 1 : sparsest + previous + 1;
    if (next > n) return height;
    previous = sparsest;
    sparsest = next;
    height++;
  }
}

/**
 * Reads nodes from the readable stretch (up to CHUNK bytes) starting at their page, each stretch
 * read once while held; at most MAX_CHUNKS are held.
 */
class NodeReader {
  private runs: MemoryRun[] = [];

  constructor(private readonly memory: Memory) {}

  /** [address, address + length), or undefined when any of it is unreadable. */
  read(address: number, length: number): Uint8Array | undefined {
    for (let i = 0; i < this.runs.length; i++) {
      const run = this.runs[i];
      if (run.address <= address && address + length <= run.address + run.bytes.length) {
        return run.bytes.subarray(address - run.address, address - run.address + length);
      }
    }
    const page = Math.floor(address / PAGE) * PAGE;
    const bytes = this.memory.readPrefix(page, Math.max(CHUNK, address + length - page));
    if (bytes.length < address + length - page) return undefined;
    if (this.runs.length >= MAX_CHUNKS) this.runs = [];
    this.runs.push({ address: page, bytes });
    return bytes.subarray(address - page, address - page + length);
  }
}
