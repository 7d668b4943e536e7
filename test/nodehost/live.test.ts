// Live targets: IsLiveTarget, and resume(), which runs the target between two commands (`g`,
// then a break): its memory, threads and registers change under objects the script holds.
import { type HostOptions, HostRuntime, NODE_REALM } from "../../nodehost/host";
import { Int64 } from "../../nodehost/int64";
import type { TargetData } from "../../nodehost/target";
import { TestMemory, x64Target } from "./targets";

const PEB = 0x7ff_0000_0000n;
const HEAP = 0x1d0_0000_0000n;
const TEB = 0x7ff_0000_2000n;
const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';
const big = (v: unknown) => Int64.bigintOf(v as Int64);

function target(): TargetData {
  const memory = new TestMemory().map(PEB, 0x3000).map(HEAP, 0x2000);
  memory.u32(HEAP + 0x70n, 0x2); // _HEAP.Flags
  return x64Target(memory, {
    threads: [{ id: 0x10, teb: TEB, stackStart: 0x100_0000n, stackSize: 0x1000, registers: { rsp: 0x100_0f00n, rip: 0x7ffb_0000_1000n } }],
  });
}

function setUp(options: HostOptions = { live: true }) {
  const data = target();
  const runtime = new HostRuntime(data, NODE_REALM, options);
  runtime.phase = 2;
  return { data, runtime, host: runtime.host as any };
}

const regions = (host: any) => [...host.namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND)].filter((l: string) => !l.startsWith("***"));

describe("IsLiveTarget", () => {
  it("is false for a dump and true for a live target, through currentSession and Debugger.Sessions", () => {
    const dump = setUp({}).host;
    expect(dump.currentSession.Attributes.Target).toEqual({ IsLiveTarget: false, IsKernelTarget: false, IsUserTarget: true, IsTTDTarget: false });
    expect(dump.namespace.Debugger.Sessions[0].Attributes.Target.IsLiveTarget).toBe(false);
    const live = setUp().host;
    expect(live.currentSession.Attributes.Target.IsLiveTarget).toBe(true);
    expect(live.namespace.Debugger.Sessions.First().Attributes.Target.IsLiveTarget).toBe(true);
    expect(live.currentSession.Processes.First()).toBe(live.currentProcess);
  });

  it("a dump cannot run", () => {
    expect(() => setUp({}).runtime.resume({})).toThrow("the target is a dump, which cannot run");
  });
});

describe("resume", () => {
  it("applies the target's writes: reads and typed objects made before see the new bytes", () => {
    const { runtime, host } = setUp();
    const heap = host.createTypedObject(Int64.of(HEAP), "ntdll", "_HEAP");
    expect(heap.Flags).toBe(2);
    runtime.resume({ writes: [{ address: HEAP + 0x70n, bytes: Uint8Array.of(0x62, 0x10, 0, 0) }] });
    expect(heap.Flags).toBe(0x1062);
    expect([...host.memory.readMemoryValues(Int64.of(HEAP + 0x70n), 2)]).toEqual([0x62, 0x10]);
  });

  it("commits and decommits memory: readable and listed by !address, or neither", () => {
    const { runtime, host } = setUp();
    expect(regions(host)).toEqual(["0x1d000000000 0x1d000002000", "0x7ff00000000 0x7ff00003000"]);
    runtime.resume({
      map: [{ base: HEAP + 0x10000n, bytes: new Uint8Array(0x1000).fill(0xab) }],
      unmap: [{ base: HEAP + 0x1000n, size: 0x1000 }],
    });
    expect(host.memory.readMemoryValues(Int64.of(HEAP + 0x10ffen), 2)[1]).toBe(0xab);
    expect(() => host.memory.readMemoryValues(Int64.of(HEAP + 0x1000n), 1)).toThrow("Unable to read memory at Address 0x1d000001000");
    expect(host.memory.readMemoryValues(Int64.of(HEAP + 0xfffn), 1)[0]).toBe(0);
    expect(regions(host)).toEqual(["0x1d000000000 0x1d000001000", "0x1d000010000 0x1d000011000", "0x7ff00000000 0x7ff00003000"]);
  });

  it("changes registers: a thread object held from before shows the new values", () => {
    const { runtime, host } = setUp();
    const thread = host.currentThread;
    expect(big(thread.Registers.User.rsp)).toBe(0x100_0f00n);
    runtime.resume({ registers: [{ threadId: 0x10, values: { rsp: 0x100_0e80n } }] });
    expect(big(thread.Registers.User.rsp)).toBe(0x100_0e80n);
    expect(big(thread.Registers.User.rip)).toBe(0x7ffb_0000_1000n);
  });

  it("adds and removes threads: Threads lists them as they are, an exited thread's object throws", () => {
    const { runtime, host } = setUp();
    const first = host.currentThread;
    runtime.resume({ addThreads: [{ id: 0x24, teb: TEB + 0x2000n, stackStart: 0x200_0000n, stackSize: 0x1000, registers: { rsp: 0x200_0f00n, rip: 0n } }] });
    expect([...host.currentProcess.Threads].map((t: any) => t.Id)).toEqual([0x10, 0x24]);
    runtime.resume({ removeThreads: [0x10] });
    expect([...host.currentProcess.Threads].map((t: any) => t.Id)).toEqual([0x24]);
    expect(host.currentThread.Id).toBe(0x24);
    expect(() => first.Registers).toThrow("thread 0x10 has exited");
  });

  it("refuses changes a target cannot make", () => {
    const { runtime } = setUp();
    expect(() => runtime.resume({ writes: [{ address: 0x5000n, bytes: new Uint8Array(1) }] })).toThrow("touches unmapped memory");
    expect(() => runtime.resume({ map: [{ base: HEAP + 0x1000n, bytes: new Uint8Array(0x1000) }] })).toThrow("overlaps mapped memory");
    expect(() => runtime.resume({ registers: [{ threadId: 0x10, values: { xmm0: 1n } }] })).toThrow("thread 0x10 has no register xmm0");
    expect(() => runtime.resume({ removeThreads: [0x99] })).toThrow("no thread 0x99 to remove");
  });

  it("leaves the TargetData the session was given as it was", () => {
    const { data, runtime } = setUp();
    runtime.resume({ writes: [{ address: HEAP + 0x70n, bytes: Uint8Array.of(0xff) }], registers: [{ threadId: 0x10, values: { rsp: 1n } }] });
    expect(data.regions[0].bytes[0x70]).toBe(2);
    expect(data.threads[0].registers!.rsp).toBe(0x100_0f00n);
  });
});
