// Progress of long work (src/host/progress.ts): silent below PROGRESS_BYTES; above, a line when the
// work starts and then how far it is, at most every PROGRESS_PERIOD_MS, whichever way it is told.
import { PROGRESS_BYTES, PROGRESS_PERIOD_MS, Progress } from "../../src/host/progress";
import { Memory } from "../../src/host/memory-types";

const GiB = 1 << 30;

function fakeMemory(): Memory & { read(address: number, length: number): Uint8Array } {
  const memory = {
    pointerSize: 8 as const,
    onRead: undefined as ((bytes: number) => void) | undefined,
    read(_address: number, length: number) {
      if (memory.onRead) memory.onRead(length);
      return new Uint8Array(length);
    },
    readRuns: () => [],
    readPrefix: () => new Uint8Array(0),
  };
  return memory;
}

describe("Progress", () => {
  it("says nothing about work of PROGRESS_BYTES or less", () => {
    const lines: string[] = [];
    expect(Progress.start("small", PROGRESS_BYTES, () => 0, (line) => lines.push(line))).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it("says what it reads and how much, then how far, at most once a period, never past 100 %", () => {
    let now = 1000;
    const lines: string[] = [];
    const progress = Progress.start("walking NT heap 0x1d0001b0000", 2 * GiB, () => now, (line) => lines.push(line))!;
    expect(lines).toEqual(["dxheap: walking NT heap 0x1d0001b0000: 2.0 GiB to read\n"]);
    progress.advance(GiB / 2);
    now += PROGRESS_PERIOD_MS - 1;
    progress.advance(GiB / 2);
    expect(lines.length).toBe(1);
    now += 1;
    progress.advance(0);
    expect(lines[1]).toBe("dxheap: walking NT heap 0x1d0001b0000: 1.0 GiB of 2.0 GiB (50%)\n");
    now += PROGRESS_PERIOD_MS;
    progress.advance(3 * GiB);
    expect(lines[2]).toBe("dxheap: walking NT heap 0x1d0001b0000: 2.0 GiB of 2.0 GiB (100%)\n");
    progress.advance(1);
    expect(lines.length).toBe(3);
  });

  it("counts what the memory reads during work, for nested work too, and stops counting after it, thrown or not", () => {
    const global = globalThis as { host?: unknown };
    const lines: string[] = [];
    global.host = { diagnostics: { debugLog: (line: string) => lines.push(line) } };
    const now = jest.spyOn(Date, "now");
    let clock = 0;
    now.mockImplementation(() => clock);
    try {
      const memory = fakeMemory();
      Progress.around(memory, "leak scan", 4 * GiB, () => {
        Progress.around(memory, "walking NT heap 0x10000", 1 * GiB, () => {
          clock += PROGRESS_PERIOD_MS;
          memory.read(0, 600 * (1 << 20));
        });
        clock += PROGRESS_PERIOD_MS;
        memory.read(0, 424 * (1 << 20));
      });
      expect(memory.onRead).toBeUndefined();
      expect(lines).toEqual([
        "dxheap: leak scan: 4.0 GiB to read\n",
        "dxheap: walking NT heap 0x10000: 1.0 GiB to read\n",
        "dxheap: walking NT heap 0x10000: 600 MiB of 1.0 GiB (58%)\n",
        "dxheap: leak scan: 600 MiB of 4.0 GiB (14%)\n",
        "dxheap: leak scan: 1.0 GiB of 4.0 GiB (25%)\n",
      ]);
      expect(() => Progress.around(memory, "failing", GiB, () => { throw new Error("no"); })).toThrow("no");
      expect(memory.onRead).toBeUndefined();
    } finally {
      now.mockRestore();
      delete global.host;
    }
  });
});
