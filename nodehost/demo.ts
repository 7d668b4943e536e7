// npm run demo: what a WinDbg user sees after `.scriptload dxheap.js` on the bundled samples, through
// the Node host: the one-command leak triage of samples/leaky-x64.dmp (a process leaking on purpose),
// then a WOW64 process's 64-bit dump, whose program heaps are the 32-bit ones.
import { join } from "path";
import { loadTarget } from "./load";
import { ScriptSession } from "./session";

const root = join(__dirname, "..");
const bundlePath = join(root, "dist", "dxheap.js");

function open(dump: string): ScriptSession {
  process.stdout.write(`\n$ windbg -z ${dump}\n0:000> .scriptload dist/dxheap.js\n`);
  return ScriptSession.load(bundlePath, loadTarget(join(root, dump)));
}

function run(session: ScriptSession, command: string): void {
  const { output } = session.execute(command);
  process.stdout.write(`${session.prompt}${command}\n${output}`);
}

const leaky = open("samples/leaky-x64.dmp");
run(leaky, "!heaptriage");

const wow64 = open("samples/wow64-x64.dmp");
run(wow64, "!heaps");
