// Long work says so (src/host/progress.ts): on a heap of more than 256 MiB committed, the walk, the
// leak scan, !heapsearch and !heapfind's reference search each print what they read and how much
// before anything else; small heaps print nothing of the kind (the other tests' exact outputs).
import { targetFromDump } from "../../nodehost/load";
import { IsfTypes } from "../../nodehost/formats/isf";
import { ScriptSession } from "../../nodehost/session";
import { writeNtHeap } from "../writers/ntheap";
import { ProcessImageBuilder } from "../writers/process";
import { BUNDLE } from "./harness";

/**
 * One NT heap of 290 LFH subsegments of 60 blocks of 16 KiB (some 270 MiB committed in segments, in
 * few blocks) and a 100 MiB VirtualAlloc'd block: more than 256 MiB of busy data to scan.
 */
function bigHeapImage() {
  const lfhKey = 0x2468ace0;
  const process = new ProcessImageBuilder({ arch: "x64", build: 19041, globals: { lfhKey, segmentHeapKey: 1n, segmentLfhKey: 2n } });
  const stride = 0x4000;
  const lfhSubsegments = Array.from({ length: 290 }, () => ({ blockGranules: stride / 16, blocks: 60, request: stride - 0x20 }));
  const heap = writeNtHeap(process.space, process.layout, { lfhKey }, { seed: 5, flags: 0x2, segments: 2, blocksPerSegment: 16, lfh: true, lfhSubsegments, virtualAllocs: [100 << 20], escapes: false });
  process.addHeap(heap.address, ["PEB"]);
  const { dump, ntdllIsf } = process.build();
  return { dump, ntdllIsf, heap };
}

describe("progress of work over more than 256 MiB", () => {
  const image = bigHeapImage();
  const session = ScriptSession.load(BUNDLE, targetFromDump(image.dump, { ntdll: IsfTypes.parse(image.ntdllIsf) }));
  const heap = `0x${image.heap.address.toString(16)}`;
  const busy = image.heap.blocks.find((b) => b.kind === "LFH" && b.state === "Busy")!;

  it("the walk says which heap it walks and how much it will read", () => {
    const { output } = session.alias("heaps");
    expect(output).toMatch(new RegExp(`^dxheap: walking NT heap ${heap}: 2\\d\\d MiB to read\\n`));
    expect(output.match(/^dxheap: /gm)!.length).toBe(1);
  });

  it("the leak scan, !heapsearch and the reference search each say so too, once walked", () => {
    const first = (output: string) => output.slice(0, output.indexOf("\n") + 1);
    expect(first(session.alias("heapleaks").output)).toMatch(/^dxheap: leak scan: 2\d\d MiB to read\n$/);
    expect(first(session.alias("heapsearch", 0x77176934, 4).output)).toMatch(new RegExp(`^dxheap: !heapsearch in heap ${heap}: 2\\d\\d MiB to read\\n$`));
    expect(first(session.alias("heapfind", Number(busy.userAddress), true).output)).toMatch(/^dxheap: searching for pointers into 0x[0-9a-f]+: 3\d\d MiB to read\n$/);
  });
});
