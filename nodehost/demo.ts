// npm run demo: what a WinDbg user sees after `.scriptload dxheap.js` on the bundled samples, through
// the Node host: the one-command leak triage of samples/leaky-x64.dmp (a process leaking on purpose),
// a snapshot of it compared with a dump of the same process taken later, then a WOW64 process's
// 64-bit dump, whose program heaps are the 32-bit ones.
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { loadTarget } from "./load";
import { ScriptSession } from "./session";

const root = join(__dirname, "..");
const bundlePath = join(root, "dist", "dxheap.js");
/** Where the snapshot goes between the two dumps' sessions (the script's C: drive). */
const files = mkdtempSync(join(tmpdir(), "dxheap-demo-"));

function open(dump: string): ScriptSession {
  process.stdout.write(`\n$ windbg -z ${dump}\n0:000> .scriptload dist/dxheap.js\n`);
  return ScriptSession.load(bundlePath, loadTarget(join(root, dump)), { fileSystemRoot: files });
}

function run(session: ScriptSession, command: string): void {
  const { output } = session.execute(command);
  process.stdout.write(`${session.prompt}${command}\n${output}`);
}

const leaky = open("samples/leaky-x64.dmp");
run(leaky, "!heaptriage");
run(leaky, '!heapsnap ("before", "C:\\\\snaps\\\\before.json")');

const later = open("samples/leaky-x64-later.dmp");
run(later, '!heapdiff ("C:\\\\snaps\\\\before.json", "current", 3)');
run(later, "!heaptriage 2");

const wow64 = open("samples/wow64-x64.dmp");
run(wow64, "!heaps");
