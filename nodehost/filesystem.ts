// Debugger.Utility.FileSystem (docs/jsprovider.md §1.10): the data model's file system namespace,
// its File, text reader and text writer objects, as Microsoft's pages describe them
// (debugger/dbgmodel-namespace-file-system.md, dbgmodel-object-file.md,
// dbgmodel-object-text-reader.md, dbgmodel-object-text-writer.md; WinDbg-Samples
// FileSystem/FileSystemSample.js). Everything happens under one directory the session is given:
// a path "X:\a\b" is <root>/X/a/b, a relative path is relative to C:\ (the current directory).
// Where the pages are silent the choice here is the stricter one, marked UNVERIFIED.
import * as fs from "fs";
import * as path from "path";
import { Collection } from "./datamodel";
import type { Realm } from "./host";

const DISPOSITIONS = ["OpenExisting", "CreateNew", "CreateAlways"] as const;
type Disposition = (typeof DISPOSITIONS)[number];
const ENCODINGS = ["Ascii", "Utf8", "Utf16"] as const;
type Encoding = (typeof ENCODINGS)[number];

/** UNVERIFIED: the line end WriteLine writes (Windows' CR LF here; readers accept LF alone too). */
const NEWLINE = "\r\n";

/** The namespace object: host.namespace.Debugger.Utility.FileSystem. */
export class FileSystemNamespace {
  constructor(private readonly root: string | undefined, private readonly realm: Realm) {}

  /**
   * CreateFile(path, [disposition]): the file, open for writing. "CreateNew" fails if it exists,
   * "CreateAlways" empties or creates it, "OpenExisting" needs it. UNVERIFIED default: CreateNew.
   */
  CreateFile(filePath: unknown, disposition: unknown = "CreateNew"): FileObject {
    const file = new FileObject(this.place(filePath), this.realm);
    file.Open(disposition);
    return file;
  }

  /** OpenFile(path): an existing file, open for reading. */
  OpenFile(filePath: unknown): FileObject {
    const file = new FileObject(this.place(filePath), this.realm);
    file.openForReading();
    return file;
  }

  FileExists(filePath: unknown): boolean {
    const { hostPath } = this.place(filePath);
    return fs.existsSync(hostPath) && fs.statSync(hostPath).isFile();
  }

  DeleteFile(filePath: unknown): void {
    new FileObject(this.place(filePath), this.realm).Delete();
  }

  /** CreateTextWriter(file | path, [encoding]); a path is created with "CreateAlways" (UNVERIFIED). Ascii by default. */
  CreateTextWriter(fileOrPath: unknown, encoding: unknown = "Ascii"): TextWriter {
    const file = fileOrPath instanceof FileObject ? fileOrPath : this.CreateFile(fileOrPath, "CreateAlways");
    return new TextWriter(file, this.encoding(encoding), this.realm);
  }

  /** CreateTextReader(file | path, [encoding]); a path is opened with OpenFile. Ascii by default. */
  CreateTextReader(fileOrPath: unknown, encoding: unknown = "Ascii"): TextReader {
    const file = fileOrPath instanceof FileObject ? fileOrPath : this.OpenFile(fileOrPath);
    return new TextReader(file, this.encoding(encoding), this.realm);
  }

  private encoding(encoding: unknown): Encoding {
    if (!ENCODINGS.includes(encoding as Encoding)) throw new this.realm.RangeError(`the encoding must be one of ${ENCODINGS.join(", ")}, got ${String(encoding)}`);
    return encoding as Encoding;
  }

  /** Where a script's path is: its Windows form and the file under the root. */
  private place(filePath: unknown): FilePlace {
    if (this.root === undefined) throw new this.realm.Error("nodehost: this session has no file system (load it with a fileSystemRoot)");
    if (typeof filePath !== "string" || filePath === "") throw new this.realm.TypeError(`a path must be a non-empty string, got ${String(filePath)}`);
    const text = filePath.replace(/\//g, "\\");
    const drive = /^([A-Za-z]):\\/.exec(text);
    const parts: string[] = [];
    for (const part of (drive ? text.slice(3) : text).split("\\")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (parts.length === 0) throw new this.realm.Error(`the path ${filePath} leaves its drive`);
        parts.pop();
      } else {
        parts.push(part);
      }
    }
    if (parts.length === 0) throw new this.realm.Error(`the path ${filePath} names no file`);
    const letter = drive ? drive[1].toUpperCase() : "C";
    return { windowsPath: `${letter}:\\${parts.join("\\")}`, hostPath: path.join(this.root, letter, ...parts) };
  }
}

interface FilePlace {
  /** "C:\dir\name.txt": what File.Path shows. */
  windowsPath: string;
  hostPath: string;
}

/** A File object: Close, Delete, Open, ReadBytes, WriteBytes; Extension, Name, Path, Position, Size. */
export class FileObject {
  readonly #place: FilePlace;
  readonly #realm: Realm;
  #descriptor: number | undefined;
  #writable = false;
  #position = 0;

  constructor(place: FilePlace, realm: Realm) {
    this.#place = place;
    this.#realm = realm;
  }

  /** The extension with its dot, ".txt" (UNVERIFIED: with or without the dot). */
  get Extension(): string {
    return path.win32.extname(this.#place.windowsPath);
  }
  get Name(): string {
    return path.win32.basename(this.#place.windowsPath);
  }
  get Path(): string {
    return this.#place.windowsPath;
  }
  get Position(): number {
    return this.#position;
  }
  get Size(): number {
    return this.#descriptor !== undefined ? fs.fstatSync(this.#descriptor).size : this.fail("get the size of", () => fs.statSync(this.#place.hostPath).size);
  }

  /** Open(disposition): open for writing, as CreateFile does. */
  Open(disposition: unknown): void {
    if (!DISPOSITIONS.includes(disposition as Disposition)) {
      throw new this.#realm.RangeError(`the disposition must be one of ${DISPOSITIONS.join(", ")}, got ${String(disposition)}`);
    }
    this.requireClosed("open");
    const flags = { OpenExisting: "r+", CreateNew: "wx", CreateAlways: "w" }[disposition as Disposition];
    this.#descriptor = this.fail("open", () => {
      fs.mkdirSync(path.dirname(this.#place.hostPath), { recursive: true });
      return fs.openSync(this.#place.hostPath, flags);
    });
    this.#writable = true;
    this.#position = 0;
  }

  /** Closing twice throws (UNVERIFIED). */
  Close(): void {
    fs.closeSync(this.requireOpen("close"));
    this.#descriptor = undefined;
  }

  /** Delete(): the file must be closed, as Windows refuses to delete an open file (UNVERIFIED here). */
  Delete(): void {
    this.requireClosed("delete");
    this.fail("delete", () => fs.unlinkSync(this.#place.hostPath));
  }

  /** Up to byteCount bytes from the position: fewer at the end of the file. */
  ReadBytes(byteCount: unknown): number[] {
    if (typeof byteCount !== "number" || !Number.isInteger(byteCount) || byteCount < 0) {
      throw new this.#realm.TypeError(`ReadBytes needs a byte count, got ${String(byteCount)}`);
    }
    const bytes = this.readAt(byteCount);
    this.#position += bytes.length;
    return this.#realm.Array.from(bytes);
  }

  /** WriteBytes(bytes, [byteCount]): every byte bytes iterates, or its first byteCount. */
  WriteBytes(bytes: Iterable<unknown>, byteCount?: unknown): void {
    const all = [...bytes].map((b) => {
      if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 0xff) throw new this.#realm.RangeError(`WriteBytes: ${String(b)} is not a byte`);
      return b;
    });
    this.write(Uint8Array.from(byteCount === undefined ? all : all.slice(0, Number(byteCount))));
  }

  toString(): string {
    return this.Path;
  }

  openForReading(): void {
    this.#descriptor = this.fail("open", () => fs.openSync(this.#place.hostPath, "r"));
    this.#writable = false;
    this.#position = 0;
  }

  /** Bytes at the position, up to count; the position does not move. */
  readAt(count: number): Uint8Array {
    const descriptor = this.requireOpen("read");
    if (this.#writable) throw new this.#realm.Error(`${this.Path} is open for writing, not reading`);
    const buffer = new Uint8Array(count);
    const read = fs.readSync(descriptor, buffer, 0, count, this.#position);
    return buffer.subarray(0, read);
  }

  skip(count: number): void {
    this.#position += count;
  }

  write(bytes: Uint8Array): void {
    const descriptor = this.requireOpen("write");
    if (!this.#writable) throw new this.#realm.Error(`${this.Path} is open for reading, not writing`);
    fs.writeSync(descriptor, bytes, 0, bytes.length, this.#position);
    this.#position += bytes.length;
  }

  private requireOpen(action: string): number {
    if (this.#descriptor === undefined) throw new this.#realm.Error(`cannot ${action} ${this.Path}: the file is closed`);
    return this.#descriptor;
  }

  private requireClosed(action: string): void {
    if (this.#descriptor !== undefined) throw new this.#realm.Error(`cannot ${action} ${this.Path}: the file is open`);
  }

  /** Runs a file operation; a failure becomes the script's Error naming the file and the reason. */
  private fail<T>(action: string, operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reason = code === "ENOENT" ? "it does not exist" : code === "EEXIST" ? "it exists already" : (error as Error).message;
      throw new this.#realm.Error(`cannot ${action} ${this.Path}: ${reason}`);
    }
  }
}

/** A text writer: Write, WriteLine, WriteContents, WriteLineContents; each writes through at once. */
export class TextWriter {
  constructor(private readonly file: FileObject, private readonly encoding: Encoding, private readonly realm: Realm) {}

  Write(value: unknown): void {
    this.file.write(encode(String(value), this.encoding, this.realm));
  }
  WriteLine(value: unknown): void {
    this.Write(String(value) + NEWLINE);
  }
  WriteContents(values: Iterable<unknown>): void {
    for (const value of values) this.Write(value);
  }
  WriteLineContents(values: Iterable<unknown>): void {
    for (const value of values) this.WriteLine(value);
  }
}

/** A text reader: ReadLine, ReadLineContents; lines end at LF, a CR before it is dropped. */
export class TextReader {
  constructor(private readonly file: FileObject, private readonly encoding: Encoding, private readonly realm: Realm) {}

  /** The next line; at the end of the file it throws (UNVERIFIED: WinDbg may return ""). */
  ReadLine(): string {
    const line = this.nextLine();
    if (line === undefined) throw new this.realm.Error(`ReadLine: the end of ${this.file.Path} was reached`);
    return line;
  }

  /** The lines from here to the end of the file, read as the collection is iterated. */
  ReadLineContents(): Collection {
    const reader = this;
    return new Collection(function* () {
      for (let line = reader.nextLine(); line !== undefined; line = reader.nextLine()) yield line;
    });
  }

  private nextLine(): string | undefined {
    const unit = this.encoding === "Utf16" ? 2 : 1;
    if (this.encoding === "Utf16" && this.file.Position === 0) {
      const mark = this.file.readAt(2);
      if (mark[0] === 0xff && mark[1] === 0xfe) this.file.skip(2); // a byte order mark
    }
    const pieces: Uint8Array[] = [];
    for (;;) {
      const chunk = this.file.readAt(4096);
      if (chunk.length < unit) {
        this.file.skip(chunk.length);
        const rest = concat(pieces);
        return rest.length === 0 ? undefined : decode(rest, this.encoding);
      }
      let end = -1;
      for (let i = 0; i + unit <= chunk.length; i += unit) {
        if (chunk[i] === 0x0a && (unit === 1 || chunk[i + 1] === 0)) {
          end = i;
          break;
        }
      }
      if (end < 0) {
        const whole = chunk.length - (chunk.length % unit);
        pieces.push(chunk.subarray(0, whole));
        this.file.skip(whole);
        continue;
      }
      pieces.push(chunk.subarray(0, end));
      this.file.skip(end + unit);
      return decode(concat(pieces), this.encoding).replace(/\r$/, "");
    }
  }
}

/** Ascii refuses characters above 0x7f (UNVERIFIED: Windows may replace them). */
function encode(text: string, encoding: Encoding, realm: Realm): Uint8Array {
  if (encoding === "Utf8") return new TextEncoder().encode(text);
  if (encoding === "Utf16") return new Uint8Array(Buffer.from(text, "utf16le"));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new realm.RangeError(`the Ascii text writer cannot write the character U+${code.toString(16).padStart(4, "0")}`);
    bytes[i] = code;
  }
  return bytes;
}

function decode(bytes: Uint8Array, encoding: Encoding): string {
  return new TextDecoder(encoding === "Utf8" ? "utf-8" : encoding === "Utf16" ? "utf-16le" : "latin1").decode(bytes);
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
