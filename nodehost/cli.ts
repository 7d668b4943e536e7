// `dxheap DUMP [COMMAND…]` (bin/dxheap.js): dist/dxheap.js run on a minidump through the Node
// host, commands typed as in WinDbg. Every mistake in the invocation (options, dump, types) is one
// line on stderr and exit status 2; a command that fails prints its "Error: …" line as WinDbg does
// and makes the exit status 1.
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { JSON_DEPTH, JSON_ITEMS } from "./dx-json";
import { loadTarget, typesFilePath } from "./load";
import { type CommandResult, ScriptSession } from "./session";

export const USAGE = `Usage: dxheap [--types FILE] [--files DIR] [--json] DUMP [COMMAND...]

Runs dist/dxheap.js on a Windows minidump in the project's Node host, as WinDbg runs it after
.scriptload. Each COMMAND is echoed as "0:000> COMMAND", then what WinDbg prints for it. With no
COMMAND, reads commands at a "0:000> " prompt until q, .quit or the end of the input.

Commands:
  !NAME [ARGS]                 a function alias of the script: !heaps, !heapstat 0x1d0001b0000,
                               !heapfind (0x1d0001b0790, true)
  dx [-r<n>] [-g] EXPRESSION   a dx expression: dx @$curprocess.Heaps[0].Blocks.Where(b => b.UserSize == 0x208).Count()
                               ending in ,x or ,d (radix) or ,<n> (show n items)
  .effmach [x86|amd64|.]       a WOW64 process's 64-bit dump: its 32-bit view (prompt 0:000:x86>) or back

Options:
  --types FILE   ntdll's types, a volatility3 ISF JSON file (default: DUMP with .ntdll.isf.json
                 in place of its extension); other modules' types are read from
                 DUMP.<module>.isf.json beside the dump when present, <module> as WinDbg names
                 it (the 32-bit ntdll of a WOW64 process's 64-bit dump: ntdll_77a60000)
  --files DIR    the directory the script's files live in (Debugger.Utility.FileSystem, which
                 !heapsnap and !heapdiff use): C:\\a\\b.json is DIR/C/a/b.json, and a relative path
                 is relative to C:\\; without it the script can read and write no file
  --json         print one JSON object per line for each command instead:
                 {"command", "output", "value"}, and "error" when it failed; Int64 values are
                 "0x…" strings; collections give at most ${JSON_ITEMS} items (then "[...]"), objects
                 more than ${JSON_DEPTH} levels deep or met twice give their display string
  --help         print this text

Exit status: 0; 1 when a command failed; 2 when the options, the dump or its types are wrong.`;

const BUNDLE = path.join(__dirname, "..", "dist", "dxheap.js");

interface Options {
  dump: string;
  types?: string;
  files?: string;
  json: boolean;
  commands: string[];
}

/** A mistake in the invocation: one line on stderr, exit status 2. */
class UsageError extends Error {}

export function main(argv: string[]): void {
  // A reader that stops early (| head) is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") process.stderr.write(`dxheap: cannot write the output: ${error.message}\n`);
    process.exit(error.code === "EPIPE" ? (process.exitCode ?? 0) : 2);
  });
  let session: ScriptSession;
  let options: Options;
  try {
    const parsed = parseArguments(argv);
    if (parsed === "help") {
      process.stdout.write(USAGE + "\n");
      return;
    }
    options = parsed;
    session = loadSession(options);
  } catch (error) {
    process.stderr.write(`dxheap: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.commands.length > 0) {
    const failed = options.commands.map((command) => run(session, command, options.json)).some((ok) => !ok);
    process.exitCode = failed ? 1 : 0;
  } else {
    prompt(session, options.json);
  }
}

function parseArguments(argv: string[]): Options | "help" {
  const positional: string[] = [];
  let types: string | undefined;
  let files: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--json") json = true;
    else if (arg === "--types" || arg.startsWith("--types=")) {
      types = arg === "--types" ? argv[++i] : arg.slice("--types=".length);
      if (!types) throw new UsageError("--types needs a file (see dxheap --help)");
    } else if (arg === "--files" || arg.startsWith("--files=")) {
      files = arg === "--files" ? argv[++i] : arg.slice("--files=".length);
      if (!files) throw new UsageError("--files needs a directory (see dxheap --help)");
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option '${arg}' (see dxheap --help)`);
    else positional.push(arg);
  }
  const [dump, ...commands] = positional;
  if (dump === undefined) throw new UsageError("no dump given (see dxheap --help)");
  return { dump, types, files, json, commands };
}

function loadSession(options: Options): ScriptSession {
  requireReadable(options.dump, "the dump");
  const typesPath = options.types ?? typesFilePath(options.dump, "ntdll");
  if (!options.types && !fs.existsSync(typesPath)) throw new UsageError(`no types for ntdll: ${typesPath} does not exist (give them with --types FILE)`);
  requireReadable(typesPath, "the ntdll types");
  let target;
  try {
    target = loadTarget(options.dump, { ntdll: typesPath });
  } catch (error) {
    throw new UsageError(`cannot load ${options.dump}: ${(error as Error).message}`);
  }
  try {
    return ScriptSession.load(BUNDLE, target, options.files === undefined ? {} : { fileSystemRoot: path.resolve(options.files) });
  } catch (error) {
    throw new UsageError(`cannot load ${BUNDLE}: ${(error as Error).message}`);
  }
}

function requireReadable(file: string, what: string): void {
  try {
    if (!fs.statSync(file).isFile()) throw new UsageError(`${what} ${file} is not a file`);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new UsageError(`cannot read ${what} ${file}: ${reason}`);
  }
}

/** Runs and prints one command, echoed after the prompt unless the prompt is already on screen; false when it failed. */
function run(session: ScriptSession, command: string, json: boolean, echo: string = session.prompt + command + "\n"): boolean {
  const result: CommandResult = session.execute(command);
  if (json) {
    const record = { command, output: result.output, value: session.toJson(result.value), ...(result.error ? { error: result.error } : {}) };
    process.stdout.write(JSON.stringify(record) + "\n");
  } else {
    process.stdout.write(echo + result.output);
  }
  return result.error === undefined;
}

/** The interactive prompt. Input that is not a terminal is echoed after the prompt, making a transcript. */
function prompt(session: ScriptSession, json: boolean): void {
  const terminal = Boolean(process.stdin.isTTY);
  const lines = readline.createInterface({ input: process.stdin, output: process.stdout, terminal, prompt: json ? "" : session.prompt });
  const echo = (command: string) => (terminal || json ? "" : command + "\n");
  let failed = false;
  let quit = false;
  lines.on("line", (line) => {
    // readline still hands over the lines it had read when q closed it.
    if (quit) return;
    const command = line.trim();
    if (command === "q" || command === ".quit") {
      process.stdout.write(echo(command));
      quit = true;
      lines.close();
      return;
    }
    if (command === "") process.stdout.write(echo(command));
    else if (!run(session, command, json, echo(command))) failed = true;
    if (!json) lines.setPrompt(session.prompt);
    lines.prompt();
  });
  lines.on("close", () => {
    // At the end of the input the last prompt is still open.
    if (!quit && !json) process.stdout.write("\n");
    process.exitCode = failed ? 1 : 0;
  });
  lines.prompt();
}
