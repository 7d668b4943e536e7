// A result computed again each time it is iterated, holding nothing: dx @$heapsearch(0, 1).Take(10)
// reads only what ten hits need, and .Count() keeps no hit (docs/jsprovider.md §1.14: any
// iterable is a collection to dx and LINQ).

export class LazyCollection<T> {
  constructor(private readonly __items: () => Iterator<T>, private readonly __display: string) {}

  [Symbol.iterator](): Iterator<T> {
    return this.__items();
  }

  toString(): string {
    return this.__display;
  }
}
