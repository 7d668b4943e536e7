// dx -g in the text form the debugger prints: one row per item, one column per property of the
// items (dx command reference: "Each iterated element is a row in the grid and each display child
// of those elements is a column"). The layout follows published dx -g outputs, as inferred from
// them (UNVERIFIED beyond those samples):
//   =========================================
//   =           = (+) TimeStart = Error     =
//   =========================================
//   = [0x0]     - 725:3B        - 0xbb      =
// a column is as wide as its header or its widest value plus 3, the index column at least 9;
// "(+)" marks a column holding objects (they have children); an object without a display string
// shows "{...}".
import { isIterable } from "./datamodel";
import { type DxFormat, ITEM_LIMIT, isExpandable, itemLabel, propertyNames, unwrap, valueText } from "./dx";

const INDEX_WIDTH = 9;

/** The grid of an iterable value; undefined for anything else (dx then shows the list form). */
export function renderDxGrid(value: unknown, renderError: (error: unknown) => string, format: DxFormat): string | undefined {
  const root = unwrap(value);
  if (!isIterable(root) || typeof root === "string") return undefined;
  const columns: Column[] = [];
  const rows: { label: string; cells: Map<string, string> }[] = [];
  const limit = format.items ?? ITEM_LIMIT;
  let truncated = false;
  let index = 0;
  try {
    for (const item of root) {
      if (index === limit) {
        truncated = true;
        break;
      }
      rows.push({ label: itemLabel(item, index, format), cells: cellsOf(unwrap(item), columns, renderError, format) });
      index++;
    }
  } catch (error) {
    const cells = new Map<string, string>();
    addCell(columns, cells, "", renderError(error), false);
    rows.push({ label: itemLabel(undefined, index, format), cells });
  }

  const headers = columns.map((c) => (c.objects ? `(+) ${c.name}`.trim() : c.name));
  const widths = [
    Math.max(INDEX_WIDTH, ...rows.map((r) => r.label.length + 3)),
    ...columns.map((c, i) => Math.max(headers[i].length, ...rows.map((r) => (r.cells.get(c.name) ?? "").length + 3))),
  ];
  const line = (cells: string[], separator: string) => "=" + cells.map((cell, i) => ` ${cell.padEnd(widths[i])} ${i === cells.length - 1 ? "=" : separator}`).join("");
  const rule = "=".repeat(1 + widths.reduce((sum, w) => sum + w + 3, 0));
  const lines = [rule, line(["", ...headers], "="), rule];
  for (const row of rows) lines.push(line([row.label, ...columns.map((c) => row.cells.get(c.name) ?? "")], "-"));
  if (truncated) lines.push("[...]");
  return lines.join("\n");
}

type Column = { name: string; objects: boolean };

/** An item's cells by column name, adding the columns it brings; an item without properties is one unnamed cell. */
function cellsOf(item: unknown, columns: Column[], renderError: (error: unknown) => string, format: DxFormat): Map<string, string> {
  const cells = new Map<string, string>();
  const names = isExpandable(item) ? propertyNames(item) : [];
  if (names.length === 0) addCell(columns, cells, "", cellText(item, format), isExpandable(item));
  for (const name of names) {
    let value: unknown;
    try {
      value = unwrap((item as Record<string, unknown>)[name]);
    } catch (error) {
      addCell(columns, cells, name, renderError(error), false);
      continue;
    }
    if (typeof value !== "function") addCell(columns, cells, name, cellText(value, format), isExpandable(value));
  }
  return cells;
}

function addCell(columns: Column[], cells: Map<string, string>, name: string, text: string, object: boolean): void {
  let column = columns.find((c) => c.name === name);
  if (!column) columns.push((column = { name, objects: false }));
  if (object) column.objects = true;
  cells.set(name, text);
}

function cellText(value: unknown, format: DxFormat): string {
  const text = valueText(value, format);
  return text === "" && isExpandable(value) ? "{...}" : text;
}
