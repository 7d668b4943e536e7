// A command's value as JSON, for `dxheap --json`: what dx would show, in a stable shape.
//   Int64                    → "0x…" string (exact; "-0x…" when negative)
//   number, string, boolean  → itself (NaN and ±Infinity as strings); null and undefined → null
//   iterable                 → array of its items; with dx-visible properties too, an object of
//                              those properties plus "[items]": the array
//   other object             → object of its dx-visible properties (as dx lists them); one
//                              without any → its display string
//   a property that throws   → { "error": "Error: …" }
// Bounds, so that a collection of a million blocks cannot hang it: at most JSON_ITEMS items per
// collection (then the string "[...]", as dx writes it), objects more than JSON_DEPTH levels below
// the value become their display string (or "{...}"), and an object met again is given as its
// display string instead of being expanded a second time.
import { displayString, isIterable } from "./datamodel";
import { isExpandable, propertyNames, unwrap } from "./dx";
import { Int64 } from "./int64";

export const JSON_ITEMS = 1000;
export const JSON_DEPTH = 3;

export function toJson(value: unknown, renderError: (error: unknown) => string): unknown {
  return new JsonWriter(renderError).convert(value, 0);
}

class JsonWriter {
  private readonly seen = new Set<object>();
  constructor(private readonly renderError: (error: unknown) => string) {}

  convert(raw: unknown, depth: number): unknown {
    const value = unwrap(raw);
    if (value === undefined || value === null) return null;
    if (value instanceof Int64) return displayString(value);
    if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
    if (typeof value === "string" || typeof value === "boolean") return value;
    if (!isExpandable(value)) return displayString(value);
    if (depth > JSON_DEPTH || this.seen.has(value)) return shortText(value);
    this.seen.add(value);
    const names = propertyNames(value);
    const properties: Record<string, unknown> = {};
    for (const name of names) {
      try {
        const child = (value as Record<string, unknown>)[name];
        if (typeof child !== "function") properties[name] = this.convert(child, depth + 1);
      } catch (error) {
        properties[name] = { error: this.renderError(error) };
      }
    }
    if (!isIterable(value)) return names.length === 0 ? shortText(value) : properties;
    const items = this.items(value, depth);
    return Object.keys(properties).length === 0 ? items : { ...properties, "[items]": items };
  }

  private items(collection: Iterable<unknown>, depth: number): unknown[] {
    const items: unknown[] = [];
    try {
      for (const item of collection) {
        if (items.length === JSON_ITEMS) {
          items.push("[...]");
          break;
        }
        items.push(this.convert(item, depth + 1));
      }
    } catch (error) {
      items.push({ error: this.renderError(error) });
    }
    return items;
  }
}

function shortText(value: object): string {
  const text = displayString(value);
  return text === "" ? "{...}" : text;
}
