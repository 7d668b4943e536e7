// Bounded traversal of a doubly linked LIST_ENTRY list in target memory. A corrupted list can
// loop or point anywhere: the walk stops at the head, at a repeated link, at an unreadable link
// or after `limit` entries, and says which in `problem`.
import { Memory } from "../host/memory-types";
import { pointer, pointerHex } from "../util/bytes";
import { hex0x } from "../util/hex";

export interface ListWalk {
  /** Addresses of the LIST_ENTRY of each element, in order. */
  links: number[];
  problem: { address: number; message: string } | undefined;
}

export function walkList(memory: Memory, head: number, limit: number): ListWalk {
  const size = memory.pointerSize;
  const links: number[] = [];
  const seen = new Set<number>();
  let previous = head;
  let flink: Uint8Array;
  try {
    flink = memory.read(head, size);
  } catch (e) {
    return { links, problem: { address: head, message: `list head at ${hex0x(head)} is not readable` } };
  }
  let link = pointer(flink, 0, size);
  while (link !== head) {
    if (!isFinite(link) || link === 0) {
      return { links, problem: { address: previous, message: `bad link ${pointerHex(flink, 0, size)} at ${hex0x(previous)}` } };
    }
    if (seen.has(link)) {
      return { links, problem: { address: link, message: `list loops back to ${hex0x(link)}` } };
    }
    if (links.length >= limit) {
      return { links, problem: { address: link, message: `list longer than ${limit} entries` } };
    }
    let entry: Uint8Array;
    try {
      entry = memory.read(link, 2 * size);
    } catch (e) {
      return { links, problem: { address: link, message: `list entry at ${hex0x(link)} is not readable` } };
    }
    if (pointer(entry, size, size) !== previous) {
      return { links, problem: { address: link, message: `Blink of ${hex0x(link)} does not point back to ${hex0x(previous)}` } };
    }
    seen.add(link);
    links.push(link);
    previous = link;
    flink = entry;
    link = pointer(entry, 0, size);
  }
  return { links, problem: undefined };
}
