// The dxheap command line (bin/dxheap.js → nodehost/cli.ts), run as a child process on the sample
// dump with the committed bundle. The heap numbers belong to the extension; these tests check the
// command line's own behaviour: echo lines, JSON shape, prompt, errors and exit status.
import { spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const ROOT = join(__dirname, "..", "..");
const DUMP = "samples/leaky-x64.dmp";
const TYPES = "samples/leaky-x64.ntdll.isf.json";
const COUNT = "dx @$curprocess.Heaps[1].Blocks.Where(b => b.UserSize == 0x208).Count()";

jest.setTimeout(60_000);

function dxheap(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(ROOT, "bin", "dxheap.js"), ...args], { cwd: ROOT, input, encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), "dxheap-cli-"));

describe("commands given on the command line", () => {
  it("echo each command after the prompt, then print what WinDbg prints for it", () => {
    const { status, stdout, stderr } = dxheap([DUMP, "!heaps", COUNT]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(stdout.startsWith("0:000> !heaps\n")).toBe(true);
    const [heaps, count] = stdout.slice("0:000> ".length).split("\n0:000> ");
    expect(heaps).toMatch(/\n@\$heaps\(\)\n {4}\[0x0\] : [^\n]+\n/);
    expect(count).toMatch(new RegExp(`^${escape(COUNT)}\\n${escape(COUNT.slice(3))} : 0x[0-9a-f]+\\n$`));
  });

  it("print a failing command's error line and exit with 1", () => {
    const { status, stdout, stderr } = dxheap([DUMP, "dx nothing", "dx 1 + 1"]);
    expect(stdout).toBe("0:000> dx nothing\nError: Unable to bind name 'nothing'\n0:000> dx 1 + 1\n1 + 1 : 0x2\n");
    expect(stderr).toBe("");
    expect(status).toBe(1);
  });

  it("--json: print one JSON object per command, Int64 as 0x strings", () => {
    const { status, stdout } = dxheap(["--json", DUMP, "!heaps", "dx @$curprocess.Heaps.Select(h => h.Address)", "dx nothing"]);
    expect(status).toBe(1);
    const records = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(records.map((r) => Object.keys(r))).toEqual([
      ["command", "output", "value"],
      ["command", "output", "value"],
      ["command", "output", "value", "error"],
    ]);
    const [heaps, addresses, failed] = records;
    expect(heaps.command).toBe("!heaps");
    expect(heaps.output).toContain("\n@$heaps()\n");
    expect(heaps.value.length).toBeGreaterThan(0);
    for (const summary of heaps.value) expect(summary.Heap).toMatch(/^0x[0-9a-f]+$/);
    expect(addresses.value.length).toBeGreaterThan(0);
    for (const address of addresses.value) expect(address).toMatch(/^0x[0-9a-f]+$/);
    expect(failed).toEqual({ command: "dx nothing", output: "Error: Unable to bind name 'nothing'\n", value: null, error: "Error: Unable to bind name 'nothing'" });
  });

  it("--types: read ntdll's types from the file given", () => {
    const dump = join(scratch, "alone.dmp");
    copyFileSync(join(ROOT, DUMP), dump);
    const { status, stdout } = dxheap(["--types", TYPES, dump, "dx @$curprocess.Name"]);
    expect(stdout).toBe('0:000> dx @$curprocess.Name\n@$curprocess.Name : "leaky.exe"\n');
    expect(status).toBe(0);
  });
});

describe("--files", () => {
  it("gives the script a file system in DIR: a snapshot saved on one dump is compared on the other", () => {
    const files = join(scratch, "files");
    const saved = dxheap(["--files", files, DUMP, '!heapsnap "C:\\\\snaps\\\\before.json"']);
    expect(saved.status).toBe(0);
    expect(saved.stdout).toContain("Saved to C:\\snaps\\before.json.");
    expect(existsSync(join(files, "C", "snaps", "before.json"))).toBe(true);
    const compared = dxheap([`--files=${files}`, "samples/leaky-x64-later.dmp", '!heapdiff "C:\\\\snaps\\\\before.json"']);
    expect(compared.status).toBe(0);
    expect(compared.stdout).toMatch(/^0:000> !heapdiff "C:\\\\snaps\\\\before\.json"\nComparing snap1 \(C:\\snaps\\before\.json; leaky\.exe, pid 0x[0-9a-f]+\) with current/);
  });

  it("without it, the script has no file system", () => {
    const { status, stdout } = dxheap([DUMP, '!heapsnap "C:\\\\x.json"']);
    expect(stdout).toMatch(/\nError: heapsnap: cannot create C:\\x\.json: .*no file system/);
    expect(status).toBe(0);
  });
});

describe("the prompt", () => {
  it("runs commands read from the input until q, echoing them when the input is not a terminal", () => {
    const { status, stdout } = dxheap([DUMP], "dx 1 + 2\n\nq\ndx 3\n");
    expect(stdout).toBe("0:000> dx 1 + 2\n1 + 2 : 0x3\n0:000> \n0:000> q\n");
    expect(status).toBe(0);
  });

  it("ends at the end of the input, with status 1 after a failed command", () => {
    const { status, stdout } = dxheap([DUMP], "dx nothing\n");
    expect(stdout).toBe("0:000> dx nothing\nError: Unable to bind name 'nothing'\n0:000> \n");
    expect(status).toBe(1);
  });
});

describe("mistakes in the invocation: one line on stderr, exit status 2", () => {
  const fails = (args: string[], message: string | RegExp) => {
    const { status, stdout, stderr } = dxheap(args);
    expect(stdout).toBe("");
    expect(stderr.split("\n")).toHaveLength(2);
    if (typeof message === "string") expect(stderr).toBe(message + "\n");
    else expect(stderr).toMatch(message);
    expect(status).toBe(2);
  };

  it("a missing dump", () => fails(["nope.dmp", "!heaps"], "dxheap: cannot read the dump nope.dmp: no such file"));

  it("no dump at all", () => fails([], "dxheap: no dump given (see dxheap --help)"));

  it("no types beside the dump", () => {
    const dump = join(scratch, "untyped.dmp");
    copyFileSync(join(ROOT, DUMP), dump);
    fails([dump], `dxheap: no types for ntdll: ${join(scratch, "untyped.ntdll.isf.json")} does not exist (give them with --types FILE)`);
  });

  it("a missing types file", () => fails(["--types", "nope.isf.json", DUMP], "dxheap: cannot read the ntdll types nope.isf.json: no such file"));

  it("a types file that is not ISF, named", () => {
    const types = join(scratch, "broken.isf.json");
    writeFileSync(types, "{ not json");
    fails(["--types", types, DUMP], new RegExp(`^dxheap: cannot load ${escape(DUMP)}: ISF: cannot read ${escape(types)}: .+\\n$`));
  });

  it("a file that is not a minidump", () => {
    const dump = join(scratch, "text.dmp");
    writeFileSync(dump, "this is not a minidump but a line of text\n");
    fails(["--types", TYPES, dump], `dxheap: cannot load ${dump}: minidump: bad signature 0x73696874 (expected 0x504d444d, "MDMP")`);
  });

  it("an unknown option", () => fails([DUMP, "--bogus"], "dxheap: unknown option '--bogus' (see dxheap --help)"));

  it("--types without a file", () => fails([DUMP, "--types"], "dxheap: --types needs a file (see dxheap --help)"));

  it("--files without a directory", () => fails([DUMP, "--files"], "dxheap: --files needs a directory (see dxheap --help)"));
});

describe("--help and npm run dxheap", () => {
  it("print the usage", () => {
    const { status, stdout } = dxheap(["--help"]);
    expect(stdout.startsWith("Usage: dxheap [--types FILE] [--files DIR] [--json] DUMP [COMMAND...]\n")).toBe(true);
    expect(status).toBe(0);
    const npm = spawnSync("npm", ["run", "--silent", "dxheap", "--", "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(npm.stdout).toBe(stdout);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
