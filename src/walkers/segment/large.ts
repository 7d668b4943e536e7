// The large blocks of a segment heap (docs/heap-structures.md §2.5 step 5): each is a
// _HEAP_LARGE_ALLOC_DATA node of the red-black tree _SEGMENT_HEAP.LargeAllocMetadata, describing a
// VirtualAlloc'd block: VirtualAddress (its low 16 bits are UnusedBytes) and AllocatedPages.
// The tree is walked with bounds on depth and node count and a check for loops; its pointers may
// be encoded, and how is UNVERIFIED (§2.5 step 5, §6b.6), so every decoding below is tried and the
// first one that gives a sound tree is kept.
import { BlockTableBuilder, KIND_LARGE, NONE, STATE_BUSY } from "../../heap/records";
import { FindingKind, FindingLog } from "../../heap/findings";
import { Memory, MemoryRegion } from "../../host/memory-types";
import { LargeLayout } from "../../layouts/segment-heap";
import { low32, u32 } from "../../util/bytes";
import { hex0x } from "../../util/hex";

const TWO_32 = 4294967296;
const PAGE = 4096;
/** A red-black tree of 2^20 nodes is at most 40 deep; deeper means a corrupt or looping tree. */
const MAX_DEPTH = 64;
const MAX_NODES = 1 << 20;

/**
 * How tree pointers decode. Plain: as stored. NodeXor: the notes' reading, Root ^ &tree and each
 * child ^ &its parent node. TreeXor: every pointer ^ &tree (the other reading a single XOR key
 * allows). A stored 0, or a pointer decoding to 0, is a null link in every mode.
 */
const PLAIN = 0;
const NODE_XOR = 1;
const TREE_XOR = 2;

interface Attempt {
  /** The nodes read (the heap's own bookkeeping). */
  nodes: number[];
  va: number[];
  size: number[];
  userSize: number[];
  /** Entries whose values are not plausible, the first of them and why. */
  bad: number;
  firstBad: number;
  firstWhy: string;
  /** The first link or node that could not be followed, and how many there were. */
  problem: { kind: FindingKind; address: number; message: string } | undefined;
  problems: number;
}

export class LargeBlockWalker {
  constructor(
    private readonly memory: Memory,
    private readonly large: LargeLayout,
    private readonly pointerSize: 4 | 8,
    private readonly blocks: BlockTableBuilder,
    private readonly findings: FindingLog,
  ) {}

  /**
   * Lists the large blocks of the tree at `tree` (whose bytes start at header[at]), in address
   * order; returns how many, and adds the tree's nodes to `metadata`. `own`: the heap's header and
   * page segments, which no large block overlaps (each is a VirtualAlloc of its own, §2.5 step 5).
   */
  walk(tree: number, header: Uint8Array, at: number, metadata: MemoryRegion[], own: MemoryRegion[]): number {
    const l = this.large;
    const rootLow = u32(header, at + l.root);
    const rootHigh = this.pointerSize === 8 ? u32(header, at + l.root + 4) : 0;
    // RTL_RB_TREE.Encoded is bit 0 of Min (§1.9): the decoding it names is tried first.
    const encoded = (header[at + l.min] & 1) !== 0;
    const order = encoded ? [NODE_XOR, TREE_XOR, PLAIN] : [PLAIN, NODE_XOR, TREE_XOR];
    let best: Attempt | undefined;
    for (let i = 0; i < order.length; i++) {
      const attempt = this.attempt(tree, rootLow, rootHigh, order[i], own);
      if (!attempt.problem && attempt.bad === 0) {
        best = attempt;
        break;
      }
      if (!best || attempt.va.length > best.va.length) best = attempt;
    }
    const result = best!;
    if (result.problem) {
      const more = result.problems > 1 ? ` (and ${result.problems - 1} more bad links)` : "";
      this.findings.add(result.problem.kind, result.problem.address, result.problem.message + more);
    }
    if (result.bad > 0) {
      this.findings.add("Corruption", result.firstBad,
        `large block tree ${hex0x(tree)}: ${result.bad} nodes describe implausible blocks (first ${hex0x(result.firstBad)}: ${result.firstWhy}): they are not listed`);
    }
    for (let i = 0; i < result.nodes.length; i++) metadata.push({ base: result.nodes[i], size: this.large.nodeSize });
    const rows = result.va.map((_, i) => i).sort((a, b) => result.va[a] - result.va[b]);
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      this.blocks.push(result.va[i], result.va[i], result.size[i], result.userSize[i], STATE_BUSY, KIND_LARGE, NONE, NONE, 0, 0);
    }
    return rows.length;
  }

  /** One decoding: every node reachable from the root, skipping (and reporting) bad links. */
  private attempt(tree: number, rootLow: number, rootHigh: number, decoding: number, own: MemoryRegion[]): Attempt {
    const l = this.large;
    const p = this.pointerSize;
    const out: Attempt = { nodes: [], va: [], size: [], userSize: [], bad: 0, firstBad: 0, firstWhy: "", problem: undefined, problems: 0 };
    const root = this.decode(rootLow, rootHigh, decoding === PLAIN ? 0 : tree);
    if (root === 0) return out;
    // Depth-first with an explicit stack: node, depth, and where the link to it is stored.
    const stackNode: number[] = [root];
    const stackDepth: number[] = [1];
    const stackFrom: number[] = [tree];
    const seen = new Set<number>();
    const where = `large block tree ${hex0x(tree)}`;
    let visited = 0;
    while (stackNode.length > 0) {
      const link = stackNode.pop()!;
      const depth = stackDepth.pop()!;
      const from = stackFrom.pop()!;
      if (!this.plausible(link)) {
        this.problem(out, "Corruption", from, `${where}: ${hex0x(from)} links to ${isFinite(link) ? hex0x(link) : "a value above 2^53"}, not a node: that subtree is not walked`);
        continue;
      }
      if (seen.has(link)) {
        this.problem(out, "Corruption", link, `${where} loops: ${hex0x(from)} links back to node ${hex0x(link)}: the link is not followed`);
        continue;
      }
      if (depth > MAX_DEPTH) {
        this.problem(out, "Corruption", link, `${where} is deeper than ${MAX_DEPTH} at node ${hex0x(link)}: that subtree is not walked`);
        continue;
      }
      if (visited >= MAX_NODES) {
        this.problem(out, "Corruption", link, `${where} has more than ${MAX_NODES} nodes: the rest is not walked`);
        break;
      }
      seen.add(link);
      visited++;
      const node = link - l.treeNode;
      let bytes: Uint8Array;
      try {
        bytes = this.memory.read(node, l.nodeSize);
      } catch (e) {
        this.problem(out, "Unreadable", node, `${where}: node ${hex0x(node)} is not readable: that subtree is not walked`);
        continue;
      }
      out.nodes.push(node);
      const why = this.entry(bytes, out, own);
      if (why !== undefined && out.bad++ === 0) {
        out.firstBad = node;
        out.firstWhy = why;
      }
      const key = decoding === NODE_XOR ? link : decoding === TREE_XOR ? tree : 0;
      for (let c = 0; c < 2; c++) {
        const at = l.treeNode + (c === 0 ? l.left : l.right);
        const child = this.decode(u32(bytes, at), p === 8 ? u32(bytes, at + 4) : 0, key);
        if (child !== 0) {
          stackNode.push(child);
          stackDepth.push(depth + 1);
          stackFrom.push(node + at);
        }
      }
    }
    return out;
  }

  private problem(out: Attempt, kind: FindingKind, address: number, message: string): void {
    if (out.problems++ === 0) out.problem = { kind, address, message };
  }

  /**
   * One block: VA = VirtualAddress & ~0xFFFF (the low 16 bits are UnusedBytes), size =
   * AllocatedPages (bits 12 and up of its container) * 4 KiB, user size = size - UnusedBytes
   * (§1.9, §2.5 step 5). Why the values are implausible, if they are.
   */
  private entry(bytes: Uint8Array, out: Attempt, own: MemoryRegion[]): string | undefined {
    const l = this.large;
    const p = this.pointerSize;
    const low = u32(bytes, l.virtualAddress);
    const high = p === 8 ? u32(bytes, l.virtualAddress + 4) : 0;
    const unused = low & 0xffff;
    const va = high * TWO_32 + ((low & 0xffff0000) >>> 0);
    const pagesLow = u32(bytes, l.allocatedPages) >>> 12;
    const pagesHigh = p === 8 ? u32(bytes, l.allocatedPages + 4) : 0;
    const pages = pagesHigh * 0x100000 + pagesLow;
    const limit = p === 8 ? Math.pow(2, 47) : TWO_32;
    const size = pages * PAGE;
    if (va === 0) return "no address";
    if (pages === 0) return "no pages";
    if (va + size > limit) return "it ends past the user-mode range";
    if (unused >= size) return "its unused bytes fill it";
    for (let i = 0; i < own.length; i++) {
      if (va < own[i].base + own[i].size && own[i].base < va + size) {
        return `block ${hex0x(va)} of 0x${size.toString(16)} bytes overlaps the heap's own ${hex0x(own[i].base)}`;
      }
    }
    out.va.push(va);
    out.size.push(size);
    out.userSize.push(size - unused);
    return undefined;
  }

  /** A stored pointer (32-bit halves) XOR key, as a number; 0 for a null link; Infinity above 2^53. */
  private decode(low: number, high: number, key: number): number {
    if (low === 0 && high === 0) return 0;
    const dl = (low ^ low32(key)) >>> 0;
    const dh = (high ^ Math.floor(key / TWO_32)) >>> 0;
    if (dh > 0x1fffff) return Infinity;
    return dh * TWO_32 + dl;
  }

  /** Nodes are pointer-aligned user-mode heap metadata. */
  private plausible(address: number): boolean {
    const limit = this.pointerSize === 8 ? Math.pow(2, 47) : TWO_32;
    return isFinite(address) && address >= 0x10000 && address < limit && address % this.pointerSize === 0;
  }
}
