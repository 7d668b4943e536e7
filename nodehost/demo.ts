// npm run demo: the leak hunt of the seeds (docs/seeds.md: !heap -s, -stat, -flt, -x) run by dxheap on a dump,
// through the Node host, as a WinDbg user would type it after `.scriptload dxheap.js`.
import { join, resolve } from "path";
import { loadTarget } from "./load";
import { ScriptSession } from "./session";

const dumpPath = resolve(process.argv[2] ?? join(__dirname, "..", "samples", "leaky-x64.dmp"));
const bundlePath = join(__dirname, "..", "dist", "dxheap.js");
const session = ScriptSession.load(bundlePath, loadTarget(dumpPath));
const hex = (value: unknown) => "0x" + (value as { toString(radix: number): string }).toString(16);

/** Runs a command and prints its text, cut after `maxLines` lines to keep the demo short. */
function run(command: string, name: string, ...args: unknown[]): any {
  process.stdout.write(`0:000> ${command}\n`);
  const { value, output } = session.alias(name, ...args);
  const lines = output.split("\n");
  const maxLines = 24;
  const shown = lines.length > maxLines ? [...lines.slice(0, maxLines), `    ... (${lines.length - maxLines} more lines)`] : lines;
  process.stdout.write(shown.join("\n") + "\n");
  return value;
}

process.stdout.write(`0:000> .scriptload ${bundlePath}\n(dump: ${dumpPath})\n\n`);
const summaries: any[] = run("!heaps", "heaps");
if (summaries.length === 0) process.exit(0);

// The heap with the biggest commit, then the size that dominates it, then its blocks.
const biggest = summaries.reduce((a, b) => (Number(b.CommittedBytes) > Number(a.CommittedBytes) ? b : a));
const stats: any[] = run(`!heapstat ${hex(biggest.Heap)}`, "heapstat", biggest.Heap);
const top = stats[0]?.Rows[0];
if (!top) process.exit(0);
const blocks: any[] = run(`!heapfilter ${hex(top.Size)}`, "heapfilter", top.Size);
if (blocks.length > 0) run(`!heapfind ${hex(blocks[0].UserAddress)}, true`, "heapfind", blocks[0].UserAddress, true);

process.stdout.write("0:000> dx @$curprocess.Heaps\n");
process.stdout.write(session.dx(session.process.Heaps, 2) + "\n");
