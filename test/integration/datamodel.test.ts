// The dx side: LINQ queries over Heaps[i].Blocks give the writer's blocks, and heaps, segments
// and blocks display as one hex-addressed line each in dx.
import { buildImage } from "../writers/images";
import { big, blockOf, byAddress, load } from "./harness";

describe.each([["x64", 22000], ["x86", 19041]] as const)("%s build %d", (arch, build) => {
  const image = buildImage(arch, build);
  const session = load(image);
  const truth = image.truth.heaps[0];
  const heap = () => session.process.Heaps.getValueAt(0);

  it("Blocks.Where(b => b.UserSize == N) finds exactly the busy blocks of that size", () => {
    const size = truth.blocks.find((b) => b.state === "Busy" && b.kind === "LFH")!.userSize;
    const found = [...heap().Blocks.Where((b: any) => b.UserSize == size && b.State == "Busy")].map(blockOf).sort(byAddress);
    expect(found).toEqual(truth.blocks.filter((b) => b.userSize === size && b.state === "Busy").sort(byAddress));
  });

  it("Blocks.GroupBy(b => b.Kind) counts each kind as the writer placed them", () => {
    const groups = [...heap().Blocks.GroupBy((b: any) => b.Kind)].map((g: any) => [g.Key, g.Count()]);
    const expected = new Map<string, number>();
    for (const b of truth.blocks) expected.set(b.kind, (expected.get(b.kind) ?? 0) + 1);
    expect(new Map(groups as [string, number][])).toEqual(expected);
  });

  it("Where(...).First() gives the first LFH block in walk order (segment order, container then its blocks)", () => {
    const first = heap().Blocks.Where((b: any) => b.Kind == "LFH").First();
    const expected = truth.blocks.find((b) => b.kind === "LFH")!;
    expect(big(first.Address)).toBe(expected.address);
  });

  it("heaps, segments and blocks read as one line each, with hex addresses", () => {
    const digits = arch === "x64" ? 16 : 8;
    expect(String(heap())).toBe(`NT heap ${truth.address.toString(16).padStart(digits, "0")} (flags 0x${truth.flags.toString(16)})`);
    const segment = truth.segments[0];
    expect(String(heap().Segments.getValueAt(0))).toBe(
      `Segment 0x${segment.address.toString(16)} [0x${segment.firstEntry.toString(16)}, 0x${segment.lastValidEntry.toString(16)}) committed 0x${segment.committedBytes.toString(16)}`,
    );
    const busy = truth.blocks.find((b) => b.state === "Busy" && b.kind === "Backend")!;
    const block = heap().Blocks.Where((b: any) => big(b.Address) === busy.address).First();
    expect(String(block)).toBe(`0x${busy.address.toString(16)} Busy Backend Size 0x${busy.size.toString(16)} UserSize 0x${busy.userSize.toString(16)}`);
    const shown = session.dx(heap(), 1);
    expect(shown).toContain(`Address : 0x${truth.address.toString(16)}`);
    expect(shown).toContain(`Granularity : 0x${truth.granularity.toString(16)}`);
    expect(shown).toContain(`Blocks : ${truth.blocks.length} blocks`);
    expect(shown).not.toMatch(/__/);
  });
});

describe("percentages", () => {
  const image = buildImage("x64", 19041);
  const session = load(image);

  it("display in decimal in dx (PreferredRadix 10), other numbers in hex", () => {
    const summary = session.execute("dx @$curprocess.Heaps[0].Summary").output.split("\n");
    const value = (name: string) => summary.find((line) => line.trim().startsWith(name + " :"))!.split(" : ")[1];
    expect(value("ExternalFragmentation")).toMatch(/^\d+$/);
    expect(value("VirtualAddressFragmentation")).toMatch(/^\d+$/);
    expect(value("CommittedBytes")).toMatch(/^0x[0-9a-f]+$/);
    const rows = session.execute("dx -r4 @$heapstat(0, \"S\", 2)").output;
    for (const line of rows.split("\n").filter((l) => l.trim().startsWith("Percent :"))) expect(line.split(" : ")[1]).toMatch(/^\d+(\.\d{1,2})?$/);
    expect(rows).toMatch(/Percent : /);
  });
});
