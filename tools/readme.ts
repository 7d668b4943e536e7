// README.md's command-line transcripts are real: every fenced block whose first line is
// `$ npx dxheap …` holds exactly what that command prints (stdout, then stderr). This runs them;
// `npx tsx tools/readme.ts` rewrites the blocks from fresh runs, test/readme checks them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
export const README = path.join(ROOT, "README.md");
const PREFIX = "$ npx dxheap ";

export interface Transcript {
  /** The `$ npx dxheap …` line. */
  command: string;
  /** The lines the README shows after it. */
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
    found.push({ command: lines[i + 1], shown: lines.slice(i + 2, end).join("\n"), first: i + 2, last: end });
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

/** What the command prints, run from the repository's root as a user would. */
export function run(command: string): string {
  const args = words(command.slice(PREFIX.length));
  const result = spawnSync(process.execPath, [path.join(ROOT, "bin", "dxheap.js"), ...args], { cwd: ROOT, encoding: "utf8" });
  return (result.stdout + result.stderr).replace(/\n+$/, "");
}

if (require.main === module) {
  const text = fs.readFileSync(README, "utf8");
  const lines = text.split("\n");
  for (const t of transcripts(text).reverse()) lines.splice(t.first, t.last - t.first, ...run(t.command).split("\n"));
  fs.writeFileSync(README, lines.join("\n"));
  process.stdout.write(`README.md: ${transcripts(text).length} transcripts rewritten\n`);
}
