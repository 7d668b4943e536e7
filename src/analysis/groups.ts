// Busy blocks grouped by who allocated them (identical allocation stacks) or by what they hold (the
// C++ class their vftable pointer names, else their size), largest total first: UMDH's view and
// more, for every heap of a process at once. Traces are read once per distinct record
// (src/stacks/trace.ts), first pointers once per heap (src/stacks/types.ts), names once per address.
import { HeapWalk, STATE_BUSY } from "../heap/records";
import { StackResult } from "../stacks/trace";
import { hex0x } from "../util/hex";

/** One heap as the grouping sees it. */
export interface GroupSource {
  walk: HeapWalk;
  /** Position of the heap in the process's list. */
  heap: number;
  stack(row: number): StackResult;
  /** The class named by the row's vftable pointer, if any. */
  typeName(row: number): string | undefined;
}

export interface BlockGroup {
  /** The frames' addresses joined, "no stack: <reason>", the class name or "size 0x…". */
  key: string;
  count: number;
  totalBytes: number;
  /** Distinct user sizes, ascending. */
  sizes: number[];
  /** Where the blocks are: per heap (index in the sources), their rows; empty when only totals were asked for. */
  members: { source: number; rows: number[] }[];
  /** The group's stack (stack groups), or undefined. */
  stack: StackResult | undefined;
  /** The class (type groups with a class), or undefined. */
  typeName: string | undefined;
}

/** Which busy blocks take part (all when left out): e.g. the unreachable ones. */
export type Member = (source: number, row: number) => boolean;

/** withMembers false: each group's totals only, no rows kept (a summary of a million blocks). */
export function groupByStack(sources: GroupSource[], member?: Member, withMembers = true): BlockGroup[] {
  const keys = new StackKeys();
  const groups = new Map<string, BlockGroup>();
  return group(sources, member, withMembers, (source, row) => {
    const stack = source.stack(row);
    const key = keys.of(stack);
    return groups.get(key) || added(groups, key, newGroup(key, stack, undefined));
  });
}

export function groupByType(sources: GroupSource[], member?: Member, withMembers = true): BlockGroup[] {
  const groups = new Map<string | number, BlockGroup>();
  return group(sources, member, withMembers, (source, row) => {
    const name = source.typeName(row);
    const by = name !== undefined ? name : source.walk.blocks.userSize[row];
    return groups.get(by) || added(groups, by, newGroup(name !== undefined ? name : `size ${hex0x(by as number)}`, undefined, name));
  });
}

/**
 * Suspect groups for triage: blocks sharing an allocation stack (or the same reason for none), a
 * type (or none) and a requested size, the finest grouping a leak keeps apart from its neighbours
 * (a leak in an LFH bucket shares its size with blocks from other stacks).
 */
export function groupBySuspect(sources: GroupSource[], member?: Member): BlockGroup[] {
  const keys = new StackKeys();
  // Stack key, then type name ("" for none), then size: maps in maps, so no key is built per block.
  const groups = new Map<string, Map<string, Map<number, BlockGroup>>>();
  return group(sources, member, true, (source, row) => {
    const stack = source.stack(row);
    const stackKey = keys.of(stack);
    const name = source.typeName(row);
    const size = source.walk.blocks.userSize[row];
    const byType = groups.get(stackKey) || added(groups, stackKey, new Map<string, Map<number, BlockGroup>>());
    const bySize = byType.get(name === undefined ? "" : name) || added(byType, name === undefined ? "" : name, new Map<number, BlockGroup>());
    return bySize.get(size) || added(bySize, size, newGroup(stackKey + "|" + (name === undefined ? "" : name) + "|" + size, stack, name));
  });
}

/** The key of each stack result (results are one object per trace, src/stacks/trace.ts), made once. */
class StackKeys {
  private readonly keys = new Map<StackResult, string>();

  of(stack: StackResult): string {
    let key = this.keys.get(stack);
    if (key === undefined) {
      key = "frames" in stack ? stack.frames.join(",") : `no stack: ${stack.reason}`;
      this.keys.set(stack, key);
    }
    return key;
  }
}

function newGroup(key: string, stack: StackResult | undefined, typeName: string | undefined): BlockGroup {
  return { key, count: 0, totalBytes: 0, sizes: [], members: [], stack, typeName };
}

function added<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}

/** The group a busy block joins (made on its first block, with count 0). */
type GroupOf = (source: GroupSource, row: number) => BlockGroup;

function group(sources: GroupSource[], member: Member | undefined, withMembers: boolean, groupOf: GroupOf): BlockGroup[] {
  const list: BlockGroup[] = [];
  for (let s = 0; s < sources.length; s++) {
    const source = sources[s];
    const { state, userSize, count } = source.walk.blocks;
    for (let row = 0; row < count; row++) {
      if (state[row] !== STATE_BUSY || (member && !member(s, row))) continue;
      const g = groupOf(source, row);
      if (g.count === 0) list.push(g);
      const size = userSize[row];
      g.count++;
      g.totalBytes += size;
      // Most groups hold one size, or sizes in runs: the last one first.
      if (g.sizes[g.sizes.length - 1] !== size && g.sizes.length < 64 && g.sizes.indexOf(size) < 0) g.sizes.push(size);
      if (!withMembers) continue;
      const last = g.members[g.members.length - 1];
      if (last && last.source === s) last.rows.push(row);
      else g.members.push({ source: s, rows: [row] });
    }
  }
  for (let i = 0; i < list.length; i++) list[i].sizes.sort((a, b) => a - b);
  return list.sort((a, b) => b.totalBytes - a.totalBytes || b.count - a.count);
}
