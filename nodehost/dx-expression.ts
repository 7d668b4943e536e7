// The part of the dx expression language users type at a WinDbg prompt: literals, @$ variables and
// function aliases, members, method calls (LINQ and script methods), [i] indexers, lambdas, the C
// operators and ?:, and a trailing format specifier (docs/jsprovider.md §1.4, §1.8, §1.14, §1.16;
// syntax from the dx command reference, learn.microsoft.com/windows-hardware/drivers/debuggercmds/dx--display-visualizer-variables-).
//
// Integers follow the rule for dx values entering JavaScript (docs/jsprovider.md §1.4): an integer
// that fits in 32 signed bits is a JS number, a larger one a host Int64; once a 64-bit value (an
// Int64) takes part, the result is an Int64 computed by Int64's own methods. Integer arithmetic
// is exact (bigint inside the host), "/" truncates as in C.
import { displayString } from "./datamodel";
import type { DxFormat } from "./dx";
import { Int64 } from "./int64";

/** What an expression reaches outside itself. */
export interface DxEnvironment {
  /** @$name: a debugger variable (curprocess, curthread, scriptContents…); throws when there is none. */
  variable(name: string): unknown;
  /** @$name(args): the registered function alias. */
  callAlias(name: string, args: unknown[]): unknown;
  /** Values handed to a lambda are seen as dx sees them; what it returns goes back as it was. */
  outward(value: unknown): unknown;
  inward(value: unknown): unknown;
}

export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "name"; name: string; column: number }
  | { kind: "variable"; name: string; column: number }
  | { kind: "member"; object: Expr; name: string; column: number }
  | { kind: "call"; callee: Expr; args: Expr[]; column: number }
  | { kind: "index"; object: Expr; indices: Expr[]; column: number }
  | { kind: "lambda"; params: string[]; body: Expr }
  | { kind: "unary"; op: string; operand: Expr; column: number }
  | { kind: "binary"; op: string; left: Expr; right: Expr; column: number }
  | { kind: "conditional"; test: Expr; then: Expr; otherwise: Expr };

/** A parsed `dx` expression and its format. */
export interface DxQuery {
  expr: Expr;
  format: DxFormat;
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = "number" | "string" | "name" | "variable" | "punct" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  value?: unknown;
  /** 1-based column in the text. */
  column: number;
}

const PUNCTUATORS = ["=>", "==", "!=", "<=", ">=", "<<", ">>", "&&", "||", "(", ")", "[", "]", ".", ",", "?", ":", "!", "-", "~", "*", "/", "%", "+", "<", ">", "&", "^", "|"];
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
/** 0x digits may be grouped with backticks, as WinDbg prints 64-bit addresses: 0x00000000`7ffe0000. */
const NUMBER = /0[xX]([0-9a-fA-F`]+)|([0-9]+\.[0-9]+)|([0-9]+)/y;

function syntaxError(column: number, message: string): Error {
  return new Error(`syntax error at column ${column}: ${message}`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const c = text[at];
    if (/\s/.test(c)) {
      at++;
      continue;
    }
    const column = at + 1;
    if (c === "@" && text[at + 1] === "$") {
      IDENTIFIER.lastIndex = at + 2;
      const match = IDENTIFIER.exec(text);
      if (!match) throw syntaxError(column, "expected a name after '@$'");
      tokens.push({ kind: "variable", text: match[0], column });
      at = IDENTIFIER.lastIndex;
    } else if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = at;
      const match = NUMBER.exec(text)!;
      at = NUMBER.lastIndex;
      if (/[A-Za-z0-9_`]/.test(text[at] ?? "")) throw syntaxError(column, `malformed number '${text.slice(column - 1, at + 1)}'`);
      tokens.push({ kind: "number", text: match[0], value: numberLiteral(match, column), column });
    } else if (c === '"') {
      const { value, end } = stringLiteral(text, at);
      tokens.push({ kind: "string", text: text.slice(at, end), value, column });
      at = end;
    } else if (/[A-Za-z_]/.test(c)) {
      IDENTIFIER.lastIndex = at;
      const name = IDENTIFIER.exec(text)![0];
      tokens.push({ kind: "name", text: name, column });
      at += name.length;
    } else {
      const punct = PUNCTUATORS.find((p) => text.startsWith(p, at));
      if (!punct) throw syntaxError(column, `unexpected character '${c}'`);
      tokens.push({ kind: "punct", text: punct, column });
      at += punct.length;
    }
  }
  tokens.push({ kind: "end", text: "", column: text.length + 1 });
  return tokens;
}

function numberLiteral(match: RegExpExecArray, column: number): number | Int64 {
  if (match[2] !== undefined) return Number(match[2]);
  const digits = match[1] !== undefined ? match[1].replace(/`/g, "") : match[3];
  if (digits === "") throw syntaxError(column, `malformed number '${match[0]}'`);
  const value = BigInt(match[1] !== undefined ? `0x${digits}` : digits);
  if (value >= 1n << 64n) throw syntaxError(column, `${match[0]} does not fit in 64 bits`);
  return integer(value);
}

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", "0": "\0" };

function stringLiteral(text: string, start: number): { value: string; end: number } {
  let value = "";
  for (let at = start + 1; at < text.length; at++) {
    const c = text[at];
    if (c === '"') return { value, end: at + 1 };
    if (c === "\\") {
      const escaped = ESCAPES[text[at + 1]];
      if (escaped === undefined) throw syntaxError(at + 1, `unknown escape '\\${text[at + 1] ?? ""}'`);
      value += escaped;
      at++;
    } else {
      value += c;
    }
  }
  throw syntaxError(start + 1, "unterminated string");
}

// ---------------------------------------------------------------------------------------------
// Parser: C precedence, lowest first.

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ["||"],
  ["&&"],
  ["|"],
  ["^"],
  ["&"],
  ["==", "!="],
  ["<", "<=", ">", ">="],
  ["<<", ">>"],
  ["+", "-"],
  ["*", "/", "%"],
];

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  get peek(): Token {
    return this.tokens[this.at];
  }

  isPunct(text: string, offset = 0): boolean {
    const token = this.tokens[this.at + offset];
    return token !== undefined && token.kind === "punct" && token.text === text;
  }

  next(): Token {
    return this.tokens[this.at++];
  }

  expect(text: string): Token {
    if (!this.isPunct(text)) throw this.unexpected(`'${text}'`);
    return this.next();
  }

  unexpected(wanted: string): Error {
    const token = this.peek;
    return syntaxError(token.column, `expected ${wanted}, found ${token.kind === "end" ? "the end of the expression" : `'${token.text}'`}`);
  }

  expression(): Expr {
    if (this.lambdaAhead()) return this.lambda();
    const test = this.binary(0);
    if (!this.isPunct("?")) return test;
    this.next();
    const then = this.expression();
    this.expect(":");
    return { kind: "conditional", test, then, otherwise: this.expression() };
  }

  /** x => …, (a, b) => …, () => … */
  private lambdaAhead(): boolean {
    if (this.peek.kind === "name") return this.isPunct("=>", 1);
    if (!this.isPunct("(")) return false;
    let offset = 1;
    if (this.isPunct(")", offset)) return this.isPunct("=>", offset + 1);
    for (;;) {
      if (this.tokens[this.at + offset]?.kind !== "name") return false;
      offset++;
      if (this.isPunct(")", offset)) return this.isPunct("=>", offset + 1);
      if (!this.isPunct(",", offset)) return false;
      offset++;
    }
  }

  private lambda(): Expr {
    const params: string[] = [];
    if (this.peek.kind === "name") {
      params.push(this.next().text);
    } else {
      this.expect("(");
      while (!this.isPunct(")")) {
        params.push(this.next().text);
        if (this.isPunct(",")) this.next();
      }
      this.next();
    }
    this.expect("=>");
    return { kind: "lambda", params, body: this.expression() };
  }

  private binary(level: number): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (this.peek.kind === "punct" && BINARY_LEVELS[level].includes(this.peek.text)) {
      const { text: op, column } = this.next();
      left = { kind: "binary", op, left, right: this.binary(level + 1), column };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isPunct("!") || this.isPunct("-") || this.isPunct("~")) {
      const { text: op, column } = this.next();
      return { kind: "unary", op, operand: this.unary(), column };
    }
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    for (;;) {
      if (this.isPunct(".")) {
        this.next();
        const name = this.peek;
        if (name.kind !== "name") throw this.unexpected("a member name");
        this.next();
        expr = { kind: "member", object: expr, name: name.text, column: name.column };
      } else if (this.isPunct("(")) {
        const { column } = this.next();
        expr = { kind: "call", callee: expr, args: this.list(")"), column };
      } else if (this.isPunct("[")) {
        const { column } = this.next();
        const indices = this.list("]");
        if (indices.length === 0) throw syntaxError(column, "expected an index inside '[]'");
        expr = { kind: "index", object: expr, indices, column };
      } else {
        return expr;
      }
    }
  }

  /** Comma-separated expressions up to the closing token (consumed). */
  list(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.isPunct(close)) {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.expression());
      if (this.isPunct(close)) {
        this.next();
        return items;
      }
      if (!this.isPunct(",")) throw this.unexpected(`',' or '${close}'`);
      this.next();
    }
  }

  private primary(): Expr {
    const token = this.peek;
    switch (token.kind) {
      case "number":
      case "string":
        this.next();
        return { kind: "literal", value: token.value };
      case "variable":
        this.next();
        return { kind: "variable", name: token.text, column: token.column };
      case "name":
        this.next();
        if (token.text === "true" || token.text === "false") return { kind: "literal", value: token.text === "true" };
        return { kind: "name", name: token.text, column: token.column };
      default:
        if (this.isPunct("(")) {
          this.next();
          const inner = this.expression();
          this.expect(")");
          return inner;
        }
        throw this.unexpected("an expression");
    }
  }
}

/**
 * `dx` text: one expression, then optionally ",<specifier>": x (hex ordinals), d (decimal), a
 * number (show that many items). Other documented specifiers concern native strings, enums and
 * NatVis views, which this host does not display; they are refused rather than ignored.
 */
export function parseQuery(text: string): DxQuery {
  const tokens = tokenize(text);
  const parser = new Parser(tokens);
  const expr = parser.expression();
  const format: DxFormat = { radix: 16 };
  if (parser.isPunct(",")) {
    const comma = parser.next();
    const specifier = text.slice(comma.column).trim();
    if (specifier === "x") format.radix = 16;
    else if (specifier === "d") format.radix = 10;
    else if (/^[0-9]+$/.test(specifier)) format.items = Number(specifier);
    else throw syntaxError(comma.column + 1, `format specifier ',${specifier}' is not supported here (supported: ,x ,d ,<count>)`);
    return { expr, format };
  }
  if (parser.peek.kind !== "end") throw parser.unexpected("an operator or the end of the expression");
  return { expr, format };
}

/**
 * The arguments of `!name text` (docs/jsprovider.md §1.16): the text is one expression, or a
 * parenthesized comma list as in a call. IDebugHostExtensibility::CreateFunctionAlias documents
 * `!someName arg1, arg2, ...` as equivalent to `@$someName(arg1, arg2, ...)`, so an unparenthesized
 * comma list is several arguments too. `call` is the text dx echoes: @$name(…).
 */
export function parseAliasArguments(name: string, text: string): { args: Expr[]; call: string } {
  const trimmed = text.trim();
  const tokens = tokenize(trimmed);
  if (tokens[0].kind === "end") return { args: [], call: `@$${name}()` };
  if (tokens[0].kind === "punct" && tokens[0].text === "(" && closingParen(tokens) === tokens.length - 2) {
    const parser = new Parser(tokens);
    parser.next();
    return { args: parser.list(")"), call: `@$${name}${trimmed}` };
  }
  const parser = new Parser(tokens);
  const args = [parser.expression()];
  while (parser.isPunct(",")) {
    parser.next();
    args.push(parser.expression());
  }
  if (parser.peek.kind !== "end") throw parser.unexpected("',' or the end of the arguments");
  return { args, call: `@$${name}(${trimmed})` };
}

/** Index of the ")" that closes tokens[0]; -1 when unbalanced. */
function closingParen(tokens: Token[]): number {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].kind !== "punct") continue;
    if (tokens[i].text === "(") depth++;
    else if (tokens[i].text === ")" && --depth === 0) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Scope = ReadonlyMap<string, unknown>;

export function evaluate(expr: Expr, env: DxEnvironment, scope: Scope = new Map()): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "name":
      // WinDbg's wording for a name it cannot resolve, as a public script's comment quotes it (UNVERIFIED).
      if (!scope.has(expr.name)) throw new Error(`Unable to bind name '${expr.name}'`);
      return scope.get(expr.name);
    case "variable":
      return env.variable(expr.name);
    case "member":
      return member(evaluate(expr.object, env, scope), expr.name);
    case "call":
      return call(expr, env, scope);
    case "index":
      return index(
        evaluate(expr.object, env, scope),
        expr.indices.map((i) => evaluate(i, env, scope)),
      );
    case "lambda":
      return lambda(expr, env, scope);
    case "unary":
      return unary(expr.op, evaluate(expr.operand, env, scope));
    case "binary":
      if (expr.op === "&&") return truthy(evaluate(expr.left, env, scope)) && truthy(evaluate(expr.right, env, scope));
      if (expr.op === "||") return truthy(evaluate(expr.left, env, scope)) || truthy(evaluate(expr.right, env, scope));
      return binary(expr.op, evaluate(expr.left, env, scope), evaluate(expr.right, env, scope));
    case "conditional":
      return truthy(evaluate(expr.test, env, scope)) ? evaluate(expr.then, env, scope) : evaluate(expr.otherwise, env, scope);
  }
}

/** A dx lambda as a JS function: its parameters arrive as dx sees values, its result leaves as is. */
function lambda(expr: Extract<Expr, { kind: "lambda" }>, env: DxEnvironment, scope: Scope): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const inner = new Map(scope);
    expr.params.forEach((name, i) => inner.set(name, env.outward(args[i])));
    return env.inward(evaluate(expr.body, env, inner));
  };
}

function call(expr: Extract<Expr, { kind: "call" }>, env: DxEnvironment, scope: Scope): unknown {
  const args = () => expr.args.map((a) => evaluate(a, env, scope));
  const { callee } = expr;
  if (callee.kind === "variable") return env.callAlias(callee.name, args());
  if (callee.kind === "member") {
    const self = evaluate(callee.object, env, scope);
    if (typeof self === "string" && Object.prototype.hasOwnProperty.call(STRING_METHODS, callee.name)) return STRING_METHODS[callee.name](self, ...args());
    if (callee.name === "ToDisplayString" && isPrimitive(self)) return displayString(self);
    const method = member(self, callee.name);
    if (typeof method !== "function") throw new Error(`'${callee.name}' is not a method`);
    return method.apply(self, args());
  }
  const fn = evaluate(callee, env, scope);
  if (typeof fn !== "function") throw new Error(`${describe(fn)} is not a function`);
  return fn(...args());
}

/** Strings from the model carry these methods (docs/jsprovider.md §1.8), with C# semantics. */
const STRING_METHODS: Record<string, (s: string, ...args: any[]) => unknown> = {
  Contains: (s, part: string) => s.includes(part),
  StartsWith: (s, part: string) => s.startsWith(part),
  EndsWith: (s, part: string) => s.endsWith(part),
  IndexOf: (s, part: string) => s.indexOf(part),
  LastIndexOf: (s, part: string) => s.lastIndexOf(part),
  Substring: (s, start: number, length?: number) => (length === undefined ? s.slice(start) : s.slice(start, start + length)),
  PadLeft: (s, width: number, fill = " ") => s.padStart(width, fill),
  PadRight: (s, width: number, fill = " ") => s.padEnd(width, fill),
  Remove: (s, start: number, count?: number) => s.slice(0, start) + (count === undefined ? "" : s.slice(start + count)),
  Replace: (s, from: string, to: string) => s.split(from).join(to),
};

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== "object" || value instanceof Int64;
}

function member(self: unknown, name: string): unknown {
  if (typeof self === "string") {
    if (name === "Length") return self.length;
  } else if (!isPrimitive(self) && name in (self as object)) {
    return (self as Record<string, unknown>)[name];
  }
  throw new Error(`${describe(self)} has no property '${name}'`);
}

/**
 * x[i, …]: an object implementing the indexable concept through getValueAt (docs/jsprovider.md
 * §1.14; dx calls getValueAt for [i]), a JS array or typed array, or a collection whose items are
 * properties 0, 1, … (a host list collection).
 */
function index(self: unknown, indices: unknown[]): unknown {
  if (self !== null && typeof self === "object" && !(self instanceof Int64)) {
    const indexable = self as { getValueAt?: unknown; getDimensionality?: unknown };
    if (typeof indexable.getValueAt === "function") {
      if (typeof indexable.getDimensionality === "function") {
        const dimensions = Number(indexable.getDimensionality());
        if (dimensions !== indices.length) throw new Error(`${describe(self)} has ${dimensions} dimension(s); ${indices.length} index(es) given`);
      }
      return indexable.getValueAt(...indices);
    }
    if (indices.length === 1) {
      const position = ordinal(indices[0]);
      if (position !== undefined && (Array.isArray(self) || ArrayBuffer.isView(self))) {
        const length = (self as ArrayLike<unknown>).length;
        if (position < 0 || position >= length) throw new Error(`index ${position} is out of bounds (the array has ${length} elements)`);
        return (self as ArrayLike<unknown>)[position];
      }
      if (position !== undefined && String(position) in self) return (self as Record<string, unknown>)[position];
    }
  }
  throw new Error(`${describe(self)} cannot be indexed with [${indices.map((i) => describe(i)).join(", ")}]`);
}

function ordinal(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (value instanceof Int64) return value.convertToNumber();
  return undefined;
}

// Values ---------------------------------------------------------------------------------------

/** An exact integer result as dx hands it to JavaScript: a number within 32 signed bits, else an Int64. */
function integer(value: bigint): number | Int64 {
  return value >= -(1n << 31n) && value < 1n << 31n ? Number(value) : Int64.of(value, value < 0n);
}

function isInteger(value: unknown): value is number | Int64 {
  return value instanceof Int64 || (typeof value === "number" && Number.isInteger(value));
}

function exact(value: number | Int64): bigint {
  return value instanceof Int64 ? Int64.bigintOf(value) : BigInt(value);
}

function truthy(value: unknown): boolean {
  if (value instanceof Int64) return Int64.bigintOf(value) !== 0n;
  return Boolean(value);
}

function unary(op: string, value: unknown): unknown {
  if (op === "!") return !truthy(value);
  if (value instanceof Int64) return op === "-" ? Int64.construct(0).subtract(value) : value.bitwiseNot();
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      if (op === "-") return -value;
    } else {
      return integer(op === "-" ? -BigInt(value) : ~BigInt(value));
    }
  }
  throw new Error(`operator '${op}' cannot be applied to ${describe(value)}`);
}

/** Int64 methods for each operator: a 64-bit operand makes the operation 64-bit (docs/jsprovider.md §1.4). */
const INT64_METHODS: Record<string, keyof Int64> = {
  "+": "add",
  "-": "subtract",
  "*": "multiply",
  "/": "divide",
  "%": "modulo",
  "&": "bitwiseAnd",
  "|": "bitwiseOr",
  "^": "bitwiseXor",
  "<<": "bitwiseShiftLeft",
  ">>": "bitwiseShiftRight",
};

const BIGINT_OPERATIONS: Record<string, (a: bigint, b: bigint) => bigint> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / nonZero(b),
  "%": (a, b) => a % nonZero(b),
  "&": (a, b) => a & b,
  "|": (a, b) => a | b,
  "^": (a, b) => a ^ b,
  "<<": (a, b) => a << shiftCount(b),
  ">>": (a, b) => a >> shiftCount(b),
};

const FLOAT_OPERATIONS: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
};

function nonZero(value: bigint): bigint {
  if (value === 0n) throw new Error("division by zero");
  return value;
}

function shiftCount(value: bigint): bigint {
  if (value < 0n || value > 64n) throw new Error(`shift count ${value} is outside 0..64`);
  return value;
}

function binary(op: string, left: unknown, right: unknown): unknown {
  switch (op) {
    case "==":
      return equal(left, right);
    case "!=":
      return !equal(left, right);
    case "<":
      return compare(op, left, right) < 0;
    case "<=":
      return compare(op, left, right) <= 0;
    case ">":
      return compare(op, left, right) > 0;
    case ">=":
      return compare(op, left, right) >= 0;
  }
  if (op === "+" && (typeof left === "string" || typeof right === "string")) {
    if (typeof left === "string" && typeof right === "string") return left + right;
  } else if (isInteger(left) && isInteger(right)) {
    if (left instanceof Int64 || right instanceof Int64) {
      if (op === "/" || op === "%") nonZero(exact(right));
      const wide = left instanceof Int64 ? left : Int64.construct(left);
      return (wide[INT64_METHODS[op]] as (v: number | Int64) => Int64)(right);
    }
    return integer(BIGINT_OPERATIONS[op](exact(left), exact(right)));
  } else if (isNumeric(left) && isNumeric(right) && op in FLOAT_OPERATIONS) {
    return FLOAT_OPERATIONS[op](toFloat(left), toFloat(right));
  }
  throw new Error(`operator '${op}' cannot be applied to ${describe(left)} and ${describe(right)}`);
}

function isNumeric(value: unknown): value is number | Int64 {
  return typeof value === "number" || value instanceof Int64;
}

function toFloat(value: number | Int64): number {
  return value instanceof Int64 ? value.convertToNumber() : value;
}

function equal(left: unknown, right: unknown): boolean {
  if (isInteger(left) && isInteger(right)) return exact(left) === exact(right);
  if (left === undefined || left === null) return right === undefined || right === null;
  return left === right;
}

function compare(op: string, left: unknown, right: unknown): number {
  if (isInteger(left) && isInteger(right)) {
    const a = exact(left);
    const b = exact(right);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (isNumeric(left) && isNumeric(right)) return Math.sign(toFloat(left) - toFloat(right));
  if (typeof left === "string" && typeof right === "string") return left < right ? -1 : left > right ? 1 : 0;
  throw new Error(`operator '${op}' cannot compare ${describe(left)} and ${describe(right)}`);
}

/** A value named in an error message: its dx display, or its kind when it has none. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  const shown = displayString(value);
  return shown === "" || shown === "[object Object]" ? "the object" : shown;
}
