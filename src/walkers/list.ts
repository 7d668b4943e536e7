// Bounded traversal of a doubly linked LIST_ENTRY list in target memory. A corrupted list can
// loop or point anywhere: the walk stops at the head, at a repeated link, at an unreadable link
// or after `limit` entries, and says which in `problem`.
import { Memory } from "../host/memory-types";
import { pointer } from "../util/bytes";

export interface ListWalk {
  /** Addresses of the LIST_ENTRY of each element, in order. */
  links: number[];
  problem: { address: number; message: string } | undefined;
}

export function walkList(memory: Memory, head: number, limit: number): ListWalk {
  const size = memory.pointerSize;
  const links: number[] = [];
  const seen: { [address: number]: true } = {};
  let previous = head;
  let link: number;
  try {
    link = pointer(memory.read(head, size), 0, size);
  } catch (e) {
    return { links, problem: { address: head, message: `list head at 0x${head.toString(16)} is unreadable` } };
  }
  while (link !== head) {
    if (!isFinite(link) || link === 0) {
      return { links, problem: { address: previous, message: `bad link 0x${link.toString(16)} at 0x${previous.toString(16)}` } };
    }
    if (seen[link]) {
      return { links, problem: { address: link, message: `list loops back to 0x${link.toString(16)}` } };
    }
    if (links.length >= limit) {
      return { links, problem: { address: link, message: `list longer than ${limit} entries` } };
    }
    let entry: Uint8Array;
    try {
      entry = memory.read(link, 2 * size);
    } catch (e) {
      return { links, problem: { address: link, message: `list entry at 0x${link.toString(16)} is unreadable` } };
    }
    if (pointer(entry, size, size) !== previous) {
      return { links, problem: { address: link, message: `Blink of 0x${link.toString(16)} does not point back to 0x${previous.toString(16)}` } };
    }
    seen[link] = true;
    links.push(link);
    previous = link;
    link = pointer(entry, 0, size);
  }
  return { links, problem: undefined };
}
