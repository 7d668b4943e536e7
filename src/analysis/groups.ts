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
  /** Where the blocks are: per heap (index in the sources), their rows. */
  members: { source: number; rows: number[] }[];
  /** The group's stack (stack groups), or undefined. */
  stack: StackResult | undefined;
  /** The class (type groups with a class), or undefined. */
  typeName: string | undefined;
}

/** Which busy blocks take part (all when left out): e.g. the unreachable ones. */
export type Member = (source: number, row: number) => boolean;

export function groupByStack(sources: GroupSource[], member?: Member): BlockGroup[] {
  return group(sources, member, (source, row, groups) => {
    const stack = source.stack(row);
    const key = "frames" in stack ? stack.frames.join(",") : `no stack: ${stack.reason}`;
    return groups[key] ? { key } : { key, stack };
  });
}

export function groupByType(sources: GroupSource[], member?: Member): BlockGroup[] {
  return group(sources, member, (source, row) => {
    const name = source.typeName(row);
    return name !== undefined ? { key: name, typeName: name } : { key: `size ${hex0x(source.walk.blocks.userSize[row])}` };
  });
}

/**
 * Suspect groups for triage: blocks sharing an allocation stack (or the same reason for none), a
 * type (or none) and a requested size, the finest grouping a leak keeps apart from its neighbours
 * (a leak in an LFH bucket shares its size with blocks from other stacks).
 */
export function groupBySuspect(sources: GroupSource[], member?: Member): BlockGroup[] {
  return group(sources, member, (source, row, groups) => {
    const stack = source.stack(row);
    const name = source.typeName(row);
    const key = ("frames" in stack ? stack.frames.join(",") : `no stack: ${stack.reason}`) + "|" + (name === undefined ? "" : name) + "|" + source.walk.blocks.userSize[row];
    return groups[key] ? { key } : { key, stack, typeName: name };
  });
}

type KeyOf = (source: GroupSource, row: number, groups: { [key: string]: BlockGroup }) => { key: string; stack?: StackResult; typeName?: string };

function group(sources: GroupSource[], member: Member | undefined, keyOf: KeyOf): BlockGroup[] {
  const groups: { [key: string]: BlockGroup } = {};
  const list: BlockGroup[] = [];
  for (let s = 0; s < sources.length; s++) {
    const blocks = sources[s].walk.blocks;
    for (let row = 0; row < blocks.count; row++) {
      if (blocks.state[row] !== STATE_BUSY || (member && !member(s, row))) continue;
      const { key, stack, typeName } = keyOf(sources[s], row, groups);
      let g = groups[key];
      if (!g) {
        g = groups[key] = { key, count: 0, totalBytes: 0, sizes: [], members: [], stack, typeName };
        list.push(g);
      }
      g.count++;
      g.totalBytes += blocks.userSize[row];
      if (g.sizes.indexOf(blocks.userSize[row]) < 0 && g.sizes.length < 64) g.sizes.push(blocks.userSize[row]);
      const last = g.members[g.members.length - 1];
      if (last && last.source === s) last.rows.push(row);
      else g.members.push({ source: s, rows: [row] });
    }
  }
  for (let i = 0; i < list.length; i++) list[i].sizes.sort((a, b) => a - b);
  return list.sort((a, b) => b.totalBytes - a.totalBytes || b.count - a.count);
}
