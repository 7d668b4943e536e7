// !heapleaks: the leak scan (src/analysis/leaks.ts), a ranked summary first (the unreachable
// blocks by allocation stack and by type or size), then !heap -l's rows.
import { GroupList } from "../model/groups";
import { LeakReportModel } from "../model/leaks";
import { StackModel } from "../model/stack";
import { hex } from "../util/hex";
import { optional } from "./args";
import { CommandContext, command } from "./context";
import { blockTableHeader, blockTableRow, formatStackGroup, formatStackLines, formatTypeRows } from "./format";
import { RowLimit } from "./output";

const SUMMARY_GROUPS = 10;

/** !heapleaks [max] — !heap -l: busy blocks nothing points to, ranked by stack and by type, then the blocks (at most max). */
export const heapleaks = command("heapleaks", 1, (maxRows?: unknown): LeakReportModel => {
  const max = optional("heapleaks", "a row count", maxRows, 2000);
  const context = new CommandContext();
  const walked = context.walkedHeaps();
  const report = LeakReportModel.of(context.heaps, (ref) => context.model(ref));
  const scan = report.scan();
  const byStack = report.ByStack;
  const byType = report.ByType;
  let text = `Scanned 0x${hex(scan.rootBytes)} bytes of roots (live stacks, registers, module globals, other memory) and 0x${hex(scan.heapBytes)} bytes of heap data.\n`;
  if (scan.problem) text += `Note: ${scan.problem}.\n`;
  text += `0x${hex(scan.unreachableCount)} of 0x${hex(scan.busyCount)} busy blocks are unreachable, holding 0x${hex(scan.unreachableBytes)} bytes.\n`;
  if (scan.unreachableCount > 0) {
    text += "\nBy allocation stack (largest first):\n" + stackSummary(context, byStack);
    text += "\nBy type or size (largest first):\n" + typeSummary(byType);
    const limit = new RowLimit(max);
    let headerWidth = 0;
    for (let i = 0; i < walked.length; i++) {
      // A header per pointer size: a WOW64 process's 64-bit heaps print wider rows.
      const width = walked[i].width;
      const flags = scan.unreachable[walked[i].ref.index];
      for (let row = 0; row < flags.length; row++) {
        if (!flags[row] || !limit.take()) continue;
        if (width !== headerWidth) text += "\n" + blockTableHeader((headerWidth = width)).join("\n") + "\n";
        text += blockTableRow(walked[i].walk, row, width) + "\n";
      }
    }
    text += limit.note("blocks", "dx @$heapleaks().Blocks");
  }
  context.print(text);
  return report;
});

function stackSummary(context: CommandContext, groups: GroupList): string {
  const symbols = context.heaps.symbolizer();
  let text = "";
  for (let i = 0; i < Math.min(SUMMARY_GROUPS, groups.count()); i++) {
    const g = groups.getValueAt(i);
    const stack = g.Stack!;
    const stackText = stack instanceof StackModel ? formatStackLines(stack.addresses(), (a) => symbols.name(a), context.pointerSize).replace(/\n$/, "") : `no stack (${stack.Reason})`;
    text += formatStackGroup(g.Count, g.TotalBytes, g.Sizes, stackText);
  }
  if (groups.count() > SUMMARY_GROUPS) text += `... ${groups.count() - SUMMARY_GROUPS} more stacks; use dx @$heapleaks().ByStack\n`;
  return text;
}

function typeSummary(groups: GroupList): string {
  const rows: { count: number; bytes: number; key: string }[] = [];
  for (let i = 0; i < Math.min(SUMMARY_GROUPS, groups.count()); i++) {
    const g = groups.getValueAt(i);
    rows.push({ count: g.Count, bytes: g.TotalBytes, key: g.key() });
  }
  return formatTypeRows(rows) + (groups.count() > SUMMARY_GROUPS ? `... ${groups.count() - SUMMARY_GROUPS} more; use dx @$heapleaks().ByType\n` : "");
}
