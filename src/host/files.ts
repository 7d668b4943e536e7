// Text files, through the data model's file system: host.namespace.Debugger.Utility.FileSystem
// (docs/jsprovider.md §1.10; Microsoft Learn dbgmodel-namespace-file-system, dbgmodel-object-file,
// dbgmodel-object-text-reader, dbgmodel-object-text-writer). The text is ASCII, the encoding the
// pages give as the default, passed explicitly: callers escape anything else. Every failure is
// an Error of one line naming the file.
import { toNumber } from "./convert";

/** Characters handed to the text writer at once: each Write is a call into the provider. */
const WRITE_CHUNK = 1 << 20;

/** Writes `lines` (each ended by "\n") to `path`, replacing the file if it exists. */
export function writeTextFile(path: string, lines: string[]): void {
  const fileSystem = host.namespace.Debugger.Utility.FileSystem;
  let file: host.FileObject;
  try {
    file = fileSystem.CreateFile(path, "CreateAlways");
  } catch (e) {
    throw new Error(`cannot create ${path}: ${reason(e)}`);
  }
  try {
    const writer = fileSystem.CreateTextWriter(file, "Ascii");
    let chunk = "";
    for (let i = 0; i < lines.length; i++) {
      chunk += lines[i] + "\n";
      if (chunk.length >= WRITE_CHUNK) {
        writer.Write(chunk);
        chunk = "";
      }
    }
    if (chunk !== "") writer.Write(chunk);
  } catch (e) {
    throw new Error(`cannot write ${path}: ${reason(e)}`);
  } finally {
    close(file);
  }
}

/** The text of `path`, lines joined by "\n"; refuses a file of more than maxChars characters before reading it. */
export function readTextFile(path: string, maxChars: number): string {
  const fileSystem = host.namespace.Debugger.Utility.FileSystem;
  let file: host.FileObject;
  try {
    if (!fileSystem.FileExists(path)) throw new Error("no such file");
    file = fileSystem.OpenFile(path);
  } catch (e) {
    throw new Error(`cannot open ${path}: ${reason(e)}`);
  }
  try {
    const size = fileSize(file);
    if (size > maxChars) throw new Error(`it holds ${size} bytes, above the limit of ${maxChars}`);
    const lines: string[] = [];
    let total = 0;
    for (const line of fileSystem.CreateTextReader(file, "Ascii").ReadLineContents()) {
      total += line.length + 1;
      if (total > maxChars + 1) throw new Error(`it holds more than ${maxChars} characters, the limit`);
      lines.push(line);
    }
    return lines.join("\n");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${reason(e)}`);
  } finally {
    close(file);
  }
}

function fileSize(file: host.FileObject): number {
  const size: unknown = file.Size;
  return typeof size === "number" ? size : toNumber(size as host.Int64);
}

function close(file: host.FileObject): void {
  try {
    file.Close();
  } catch (e) {
    // Closing after a failed read or write: the failure is what the caller reports.
  }
}

/** An error's message on one line. */
function reason(e: unknown): string {
  return String(e && (e as Error).message !== undefined ? (e as Error).message : e).replace(/\s+/g, " ").trim();
}
