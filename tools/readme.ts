// README.md's command-line transcripts are real: every fenced block whose first line is
// `$ npx dxheap …` holds exactly what that command prints (stdout, then stderr), and what each
// further `$ npx dxheap …` line of the block prints after it; a snapshot's time shows as <time>. This runs them;
// `npx tsx tools/readme.ts` rewrites the blocks from fresh runs, test/readme checks them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
export const README = path.join(ROOT, "README.md");
const PREFIX = "$ npx dxheap ";

export interface Transcript {
  /** The `$ npx dxheap …` lines, run in order (a snapshot saved by one is read by the next). */
  commands: string[];
  /** The lines the README shows after the first command line (later command lines included). */
  shown: string;
  /** Where the block's body starts and ends in the README's lines. */
  first: number;
  last: number;
}

export function transcripts(readme: string): Transcript[] {
  const lines = readme.split("\n");
  const found: Transcript[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("```") || !(lines[i + 1] ?? "").startsWith(PREFIX)) continue;
    let end = i + 2;
    while (end < lines.length && !lines[end].startsWith("```")) end++;
    const commands = lines.slice(i + 1, end).filter((line) => line.startsWith(PREFIX));
    found.push({ commands, shown: lines.slice(i + 2, end).join("\n"), first: i + 2, last: end });
    i = end;
  }
  return found;
}

/** The words of a command line: spaces separate, '…' and "…" quote (no escapes inside). */
export function words(line: string): string[] {
  const out: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The time a snapshot records: shown as <time>, the one thing that differs between runs. */
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/** What the command prints, run from the repository's root as a user would. */
export function run(command: string): string {
  const args = words(command.slice(PREFIX.length));
  const result = spawnSync(process.execPath, [path.join(ROOT, "bin", "dxheap.js"), ...args], { cwd: ROOT, encoding: "utf8" });
  return (result.stdout + result.stderr).replace(/\n+$/, "").replace(TIME, "<time>");
}

/** A block's commands run in order: the first one's output, then each later command line and its output. */
export function runAll(commands: string[]): string {
  return commands.map((command, i) => (i === 0 ? "" : command + "\n") + run(command)).join("\n");
}

if (require.main === module) {
  const text = fs.readFileSync(README, "utf8");
  const lines = text.split("\n");
  for (const t of transcripts(text).reverse()) lines.splice(t.first, t.last - t.first, ...runAll(t.commands).split("\n"));
  fs.writeFileSync(README, lines.join("\n"));
  process.stdout.write(`README.md: ${transcripts(text).length} transcripts rewritten\n`);
}
