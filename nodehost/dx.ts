// A dx-like renderer for tests and the demo: "name : value" lines, children indented by four
// spaces down to `depth` levels (dx -r), items as [0x0] (or their indexedValue indices), `__`
// names and methods hidden, numbers and Int64 in hex, strings quoted, failures as "Error: …"
// (docs/jsprovider.md §1.14, §1.15).
import { Group, IndexedValue, ValueWithMetadata, displayString, isIterable } from "./datamodel";
import { Int64 } from "./int64";
import { DX_KEYS } from "./typed";

/** dx shows this many items of a collection, then "[...]". */
export const ITEM_LIMIT = 100;
const INDENT = "    ";

/**
 * A trailing format specifier (dx command reference, learn.microsoft.com/windows-hardware/drivers/
 * debuggercmds/dx--display-visualizer-variables-): ",x"/",d" show ordinals (numbers, Int64, item
 * indices) in hex or decimal; ",<n>" shows n items of a collection. Display strings that objects
 * make themselves (toString) are left as they are.
 */
export interface DxFormat {
  radix: 10 | 16;
  items?: number;
}

const HEX: DxFormat = { radix: 16 };

/**
 * The value's display string on the first line (left out when empty), then its properties and
 * items, `depth` levels deep. renderError turns an exception into its dx text.
 */
export function renderDx(value: unknown, depth: number, renderError: (error: unknown) => string): string {
  const root = unwrap(value);
  const lines: string[] = [];
  const display = valueText(root, HEX);
  if (display) lines.push(display);
  new DxWriter(lines, renderError, HEX).children(root, depth, INDENT);
  return lines.join("\n");
}

/** What `dx expression` prints: "expression : display" (or the expression alone), then the children. */
export function renderDxResult(expression: string, value: unknown, depth: number, renderError: (error: unknown) => string, format: DxFormat): string {
  const root = unwrap(value);
  const display = valueText(root, format);
  const lines = [display ? `${expression} : ${display}` : expression];
  new DxWriter(lines, renderError, format).children(root, depth, INDENT);
  return lines.join("\n");
}

class DxWriter {
  constructor(
    private readonly lines: string[],
    private readonly renderError: (error: unknown) => string,
    private readonly format: DxFormat,
  ) {}

  children(value: unknown, levels: number, indent: string): void {
    if (levels <= 0 || !isExpandable(value)) return;
    for (const name of propertyNames(value)) {
      let child: unknown;
      try {
        child = unwrap((value as Record<string, unknown>)[name]);
      } catch (error) {
        this.lines.push(`${indent}${name} : ${this.renderError(error)}`);
        continue;
      }
      if (typeof child === "function") continue;
      this.entry(indent, name, child, levels, preferredRadix(value, name));
    }
    if (isIterable(value) && typeof value !== "string") this.items(value, levels, indent);
  }

  private items(collection: Iterable<unknown>, levels: number, indent: string): void {
    let index = 0;
    const limit = this.format.items ?? ITEM_LIMIT;
    try {
      for (const item of collection) {
        if (index === limit) {
          this.lines.push(`${indent}[...]`);
          return;
        }
        this.entry(indent, itemLabel(item, index, this.format), unwrap(item), levels);
        index++;
      }
    } catch (error) {
      this.lines.push(`${indent}[${ordinalText(index, this.format)}] : ${this.renderError(error)}`);
    }
  }

  private entry(indent: string, label: string, value: unknown, levels: number, radix?: 10 | 16): void {
    const text = valueText(value, radix && this.format.radix === 16 ? { ...this.format, radix } : this.format);
    this.lines.push(text ? `${indent}${label} : ${text}` : `${indent}${label}`);
    this.children(value, levels - 1, indent + INDENT);
  }
}

/**
 * A property's PreferredRadix from the object's metadata descriptor (Symbol.metadataDescriptor,
 * docs/jsprovider.md §1.12): dx shows that property's numbers in that radix unless the command
 * asks for one (,d / ,x). The symbol is the script realm's, found by its description.
 */
function preferredRadix(value: object, name: string): 10 | 16 | undefined {
  for (let proto: object | null = value; proto; proto = Object.getPrototypeOf(proto)) {
    for (const symbol of Object.getOwnPropertySymbols(proto)) {
      if (symbol.description !== "Symbol.metadataDescriptor") continue;
      const descriptor = (value as Record<symbol, unknown>)[symbol] as Record<string, { PreferredRadix?: unknown } | undefined> | undefined;
      const radix = descriptor && descriptor[name] ? descriptor[name]!.PreferredRadix : undefined;
      return radix === 10 || radix === 16 ? radix : undefined;
    }
  }
  return undefined;
}

export function unwrap(value: unknown): unknown {
  if (value instanceof IndexedValue || value instanceof ValueWithMetadata) return unwrap(value.value);
  return value;
}

export function valueText(value: unknown, format: DxFormat): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (format.radix === 10 && (value instanceof Int64 || (typeof value === "number" && Number.isInteger(value)))) return ordinalText(value, format);
  return displayString(value);
}

/** An integer in the format's radix: 0x1f or 31. */
function ordinalText(value: number | Int64, format: DxFormat): string {
  if (format.radix === 16) return displayString(value);
  return (value instanceof Int64 ? Int64.bigintOf(value) : BigInt(value)).toString(10);
}

export function isExpandable(value: unknown): value is object {
  return value !== null && typeof value === "object" && !(value instanceof Int64);
}

export function itemLabel(item: unknown, index: number, format: DxFormat): string {
  if (item instanceof IndexedValue) return `[${item.indicies.map((i) => valueText(i, format)).join(", ")}]`;
  if (item instanceof Group) return `[${valueText(item.Key, format)}]`;
  return `[${ordinalText(index, format)}]`;
}

/** The names dx lists: a native object's own list, else data properties and getters, minus `__` names. */
export function propertyNames(value: object): string[] {
  const native = (value as { [DX_KEYS]?: () => string[] })[DX_KEYS];
  if (typeof native === "function") return native.call(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return [];
  const names: string[] = [];
  const add = (name: string) => {
    if (!name.startsWith("__") && name !== "constructor" && !names.includes(name)) names.push(name);
  };
  for (const name of Object.keys(value)) add(name);
  // Getters of the object's classes, up to (not including) Object.prototype.
  for (let proto = Object.getPrototypeOf(value); proto && Object.getPrototypeOf(proto) !== null; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (Object.getOwnPropertyDescriptor(proto, name)!.get) add(name);
    }
  }
  return names;
}
