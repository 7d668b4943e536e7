// The two commands a WinDbg user types to reach a script: `!name args` (a function alias run as
// an extension command, docs/jsprovider.md §1.16) and `dx [-r<n>] [-g] expression[,format]`.
// `!name args` is `dx @$name(args)`: the function's printed text, then its value as dx shows it
// (the function-aliases page shows `!add (5, 7)` printing `@$add(5, 7) : 0xc`, one level deep).
// Also `.effmach [machine]`, which switches a WOW64 process's dump to its 32-bit view and back.
import { type DxFormat, renderDxResult } from "./dx";
import { type DxEnvironment, type DxQuery, type Expr, evaluate, parseAliasArguments, parseQuery } from "./dx-expression";
import { renderDxGrid } from "./dx-grid";

export interface CommandContext extends DxEnvironment {
  /** An exception as dx prints it: "Error: …". */
  renderError(error: unknown): string;
  /** `.effmach [machine]`: switches the effective machine when one is given; returns the line WinDbg prints. */
  effectiveMachine(machine: string | undefined): string;
}

type Command =
  | { kind: "alias"; name: string; args: Expr[]; header: string }
  | { kind: "dx"; header: string; query: DxQuery; depth: number; grid: boolean }
  | { kind: "effmach"; machine: string | undefined };

/** `-r<n>` sets the depth (`-r` alone: 1, as is the default); `-g` asks for the grid. */
const DX_OPTION = /^-(r(\d*)|g)$/;

export function parseCommand(line: string): Command {
  const text = line.trim();
  const bang = /^!([A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(text);
  if (bang) {
    const { args, call } = parseAliasArguments(bang[1], bang[2]);
    return { kind: "alias", name: bang[1], args, header: call };
  }
  const effmach = /^\.effmach(?:\s+(\S+))?$/.exec(text);
  if (effmach) return { kind: "effmach", machine: effmach[1] };
  const dx = /^dx(?:\s+(.*))?$/s.exec(text);
  if (!dx) throw new Error(`the Node host runs only !<function alias>, dx and .effmach commands, not '${text}'`);
  let rest = dx[1] ?? "";
  let depth = 1;
  let grid = false;
  for (let option = /^(-\S*)\s*/.exec(rest); option; option = /^(-\S*)\s*/.exec(rest)) {
    const match = DX_OPTION.exec(option[1]);
    if (!match) throw new Error(`dx option '${option[1]}' is not supported by the Node host (supported: -r<n>, -g)`);
    if (match[1] === "g") grid = true;
    else depth = match[2] === "" ? 1 : Number(match[2]);
    rest = rest.slice(option[0].length);
  }
  const header = rest.trim();
  if (header === "") throw new Error("dx needs an expression");
  return { kind: "dx", header, query: parseQuery(header), depth, grid };
}

/**
 * Runs one command line and returns its value and the text dx prints for it (every line ending
 * in "\n"; nothing for null or undefined). What the script prints meanwhile is not included.
 */
export function runCommand(line: string, context: CommandContext): { value: unknown; text: string } {
  const command = parseCommand(line);
  if (command.kind === "effmach") return { value: undefined, text: context.effectiveMachine(command.machine) + "\n" };
  let value: unknown;
  let format: DxFormat = { radix: 16 };
  let depth = 1;
  if (command.kind === "alias") {
    value = context.callAlias(
      command.name,
      command.args.map((arg) => evaluate(arg, context)),
    );
  } else {
    value = evaluate(command.query.expr, context);
    format = command.query.format;
    depth = command.depth;
  }
  // UNVERIFIED: that dx prints nothing at all for a function returning undefined or null.
  if (value === undefined || value === null) return { value, text: "" };
  const shown = context.inward(value);
  const grid = command.kind === "dx" && command.grid ? renderDxGrid(shown, context.renderError, format) : undefined;
  return { value, text: (grid ?? renderDxResult(command.header, shown, depth, context.renderError, format)) + "\n" };
}
