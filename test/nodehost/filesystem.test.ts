// host.namespace.Debugger.Utility.FileSystem, rooted in a temporary directory: files, text
// writers and readers with the documented semantics, and the stricter choices where the docs are silent.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { TestMemory, x64Target } from "./targets";

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "nodehost-fs-"))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function fileSystem(options: HostOptions = { fileSystemRoot: root }): any {
  const runtime = new HostRuntime(x64Target(new TestMemory()), NODE_REALM, options);
  runtime.phase = 2;
  return (runtime.host as any).namespace.Debugger.Utility.FileSystem;
}

describe("FileSystem", () => {
  it("writes a file with a text writer and reads it back, as Microsoft's FileSystemSample.js does", () => {
    const system = fileSystem();
    const name = "C:\\Users\\me\\snapshot.txt";
    expect(system.FileExists(name)).toBe(false);
    const file = system.CreateFile(name);
    const writer = system.CreateTextWriter(file);
    writer.WriteLine("Hello World");
    writer.Write("heap ");
    writer.WriteLine(0x1d0);
    file.Close();
    expect(system.FileExists(name)).toBe(true);
    expect(fs.readFileSync(path.join(root, "C", "Users", "me", "snapshot.txt"), "latin1")).toBe("Hello World\r\nheap 464\r\n");

    const input = system.OpenFile(name);
    const reader = system.CreateTextReader(input);
    expect(reader.ReadLine()).toBe("Hello World");
    expect(reader.ReadLine()).toBe("heap 464");
    expect(() => reader.ReadLine()).toThrow("the end of C:\\Users\\me\\snapshot.txt was reached");
    input.Close();
  });

  it("ReadLineContents gives the rest of the lines as a collection with LINQ; WriteLineContents writes an iterable", () => {
    const system = fileSystem();
    const file = system.CreateFile("lines.txt");
    system.CreateTextWriter(file, "Utf8").WriteLineContents(["a", "bé", "c"]);
    file.Close();
    const input = system.OpenFile("lines.txt");
    const lines = system.CreateTextReader(input, "Utf8").ReadLineContents();
    expect([...lines]).toEqual(["a", "bé", "c"]);
    input.Close();
    const again = system.OpenFile("C:\\lines.txt"); // relative paths are relative to C:\
    expect(system.CreateTextReader(again, "Utf8").ReadLineContents().Where((l: string) => l !== "a").Count()).toBe(2);
    again.Close();
  });

  it("reads lines ending in LF alone, a last line without an end, and UTF-16 with a byte order mark", () => {
    const system = fileSystem();
    fs.mkdirSync(path.join(root, "D"));
    fs.writeFileSync(path.join(root, "D", "unix.txt"), "one\ntwo\r\nthree");
    fs.writeFileSync(path.join(root, "D", "wide.txt"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("x\r\ny", "utf16le")]));
    expect([...system.CreateTextReader("D:\\unix.txt").ReadLineContents()]).toEqual(["one", "two", "three"]);
    expect([...system.CreateTextReader("d:/wide.txt", "Utf16").ReadLineContents()]).toEqual(["x", "y"]);
  });

  it("CreateFile's dispositions: CreateNew (the default) refuses an existing file, CreateAlways empties it, OpenExisting needs it", () => {
    const system = fileSystem();
    system.CreateFile("f.bin").Close();
    expect(() => system.CreateFile("f.bin")).toThrow("cannot open C:\\f.bin: it exists already");
    expect(() => system.CreateFile("f.bin", "CreateNew")).toThrow("it exists already");
    const bytes = system.CreateFile("f.bin", "CreateAlways");
    bytes.WriteBytes([1, 2, 3, 4]);
    expect(bytes.Position).toBe(4);
    expect(bytes.Size).toBe(4);
    bytes.Close();
    const existing = system.CreateFile("f.bin", "OpenExisting");
    existing.WriteBytes([9, 9, 9], 1);
    existing.Close();
    expect([...fs.readFileSync(path.join(root, "C", "f.bin"))]).toEqual([9, 2, 3, 4]);
    expect(() => system.CreateFile("g.bin", "OpenExisting")).toThrow("cannot open C:\\g.bin: it does not exist");
    expect(() => system.CreateFile("g.bin", "Overwrite")).toThrow(RangeError);
  });

  it("File objects: ReadBytes, Name, Extension, Path, Size; reads need a file opened for reading, writes one for writing", () => {
    const system = fileSystem();
    const out = system.CreateFile("C:\\dir\\data.bin");
    out.WriteBytes(new Uint8Array([5, 6, 7]));
    expect(() => out.ReadBytes(1)).toThrow("is open for writing, not reading");
    out.Close();
    const input = system.OpenFile("C:\\dir\\data.bin");
    expect([input.Name, input.Extension, input.Path, input.Size]).toEqual(["data.bin", ".bin", "C:\\dir\\data.bin", 3]);
    expect(input.ReadBytes(2)).toEqual([5, 6]);
    expect(input.ReadBytes(5)).toEqual([7]);
    expect(input.Position).toBe(3);
    expect(() => input.WriteBytes([1])).toThrow("is open for reading, not writing");
    input.Close();
    expect(() => input.Close()).toThrow("the file is closed");
    expect(() => input.ReadBytes(1)).toThrow("the file is closed");
  });

  it("deletes closed files, refuses open ones and missing ones", () => {
    const system = fileSystem();
    const file = system.CreateFile("gone.txt");
    expect(() => file.Delete()).toThrow("the file is open");
    file.Close();
    file.Delete();
    expect(system.FileExists("gone.txt")).toBe(false);
    expect(() => system.DeleteFile("gone.txt")).toThrow("cannot delete C:\\gone.txt: it does not exist");
    expect(() => system.OpenFile("gone.txt")).toThrow("it does not exist");
  });

  it("Ascii writers refuse characters they cannot write; encodings must be Ascii, Utf8 or Utf16", () => {
    const system = fileSystem();
    const file = system.CreateFile("a.txt");
    expect(() => system.CreateTextWriter(file).Write("é")).toThrow("the Ascii text writer cannot write the character U+00e9");
    expect(() => system.CreateTextWriter(file, "utf8")).toThrow("the encoding must be one of Ascii, Utf8, Utf16");
    file.Close();
  });

  it("stays inside its root, and needs one", () => {
    const system = fileSystem();
    expect(() => system.CreateFile("C:\\..\\outside.txt")).toThrow("leaves its drive");
    expect(() => system.FileExists(42)).toThrow(TypeError);
    expect(() => fileSystem({}).FileExists("a.txt")).toThrow("this session has no file system");
  });
});
