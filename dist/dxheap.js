// dxheap: Windows heaps as WinDbg data-model objects. Load with .scriptload dxheap.js
"use strict";
var __dxheap = (function (exports) {

    // The records every walker produces and every analysis reads. Blocks live in a columnar
    // BlockTable (typed arrays, one row per block) so a heap of millions of blocks costs no
    // object per block; the dx objects (src/model) are made from rows only when dx asks.
    // Addresses are JS numbers: user-mode addresses are below 2^47 and so exact in a double
    // (src/host/convert.ts turns them into host.Int64 at the boundary).
    const BLOCK_STATES = ["Busy", "Free", "Internal"];
    const BLOCK_KINDS = ["Backend", "LFH", "VirtualAlloc"];
    const STATE_BUSY = 0;
    const STATE_FREE = 1;
    const STATE_INTERNAL = 2;
    const KIND_BACKEND = 0;
    const KIND_LFH = 1;
    const KIND_VIRTUAL_ALLOC = 2;
    /** One row per block. Columns grow by doubling; `count` rows are valid. */
    class BlockTable {
        constructor(capacity = 256) {
            this.count = 0;
            this.address = new Float64Array(capacity);
            this.userAddress = new Float64Array(capacity);
            this.size = new Float64Array(capacity);
            this.userSize = new Float64Array(capacity);
            this.previousSize = new Float64Array(capacity);
            this.state = new Uint8Array(capacity);
            this.kind = new Uint8Array(capacity);
            this.flags = new Uint8Array(capacity);
            this.segment = new Int32Array(capacity);
            this.container = new Float64Array(capacity);
        }
        push(row) {
            if (this.count === this.address.length)
                this.grow();
            const i = this.count++;
            this.address[i] = row.address;
            this.userAddress[i] = row.userAddress;
            this.size[i] = row.size;
            this.userSize[i] = row.userSize;
            this.previousSize[i] = row.previousSize;
            this.state[i] = row.state;
            this.kind[i] = row.kind;
            this.flags[i] = row.flags;
            this.segment[i] = row.segment;
            this.container[i] = row.container;
            return i;
        }
        row(i) {
            return {
                address: this.address[i],
                userAddress: this.userAddress[i],
                size: this.size[i],
                userSize: this.userSize[i],
                previousSize: this.previousSize[i],
                state: this.state[i],
                kind: this.kind[i],
                flags: this.flags[i],
                segment: this.segment[i],
                container: this.container[i],
            };
        }
        grow() {
            const n = this.address.length * 2;
            const f64 = (a) => { const b = new Float64Array(n); b.set(a); return b; };
            this.address = f64(this.address);
            this.userAddress = f64(this.userAddress);
            this.size = f64(this.size);
            this.userSize = f64(this.userSize);
            this.previousSize = f64(this.previousSize);
            this.container = f64(this.container);
            const u8 = (a) => { const b = new Uint8Array(n); b.set(a); return b; };
            this.state = u8(this.state);
            this.kind = u8(this.kind);
            this.flags = u8(this.flags);
            const s = new Int32Array(n);
            s.set(this.segment);
            this.segment = s;
        }
    }

    // `!heap -flt s SIZE` / `-flt r MIN MAX` (heap-internals §3.3): busy blocks whose user
    // size is in [min, maxExclusive). The documentation's `-flt r 0x50 0x80` shows 0x50..0x7F,
    // so MAX is exclusive; `-flt s SIZE` is the range [SIZE, SIZE + 1).
    /** Row indices, in table order, of the busy blocks with min ≤ userSize < maxExclusive. */
    function filterBySize(walk, min, maxExclusive) {
        const blocks = walk.blocks;
        const rows = [];
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.state[i] !== STATE_BUSY)
                continue;
            const userSize = blocks.userSize[i];
            if (userSize >= min && userSize < maxExclusive)
                rows.push(i);
        }
        return rows;
    }

    // `!heap -x [-v] ADDR` (heap-internals §3.4): the block that contains an address, and
    // (-v) every pointer-sized, pointer-aligned value in the process that points into it.
    /** Largest single read: a whole process costs (committed bytes / 1 MiB) reads. */
    const SCAN_CHUNK_BYTES = 1 << 20;
    const TWO_POW_32 = 4294967296;
    /**
     * The block whose extent [address, address + size) holds `address`, over all walks.
     * The extent is the same for every kind: it starts at the HEAP_ENTRY the row records
     * (for a VirtualAlloc block its BusyBlock header, not the _HEAP_VIRTUAL_ALLOC_ENTRY
     * before it, whose few bytes therefore belong to no block) and `size` includes the header.
     * An LFH block wins over the UserBlocks container (an Internal backend block) holding it.
     */
    function findContainingBlock(walks, address) {
        let found;
        for (let w = 0; w < walks.length; w++) {
            const blocks = walks[w].blocks;
            for (let i = 0; i < blocks.count; i++) {
                const start = blocks.address[i];
                if (address < start || address >= start + blocks.size[i])
                    continue;
                const location = { walkIndex: w, row: i, offset: address - start };
                // LFH blocks never overlap one another, so the first one is the innermost block.
                if (blocks.kind[i] === KIND_LFH)
                    return location;
                if (!found)
                    found = location;
            }
        }
        return found;
    }
    /**
     * Every aligned pointer-sized value in the regions' readable memory that lies in
     * [start, endExclusive). Unreadable parts of a region are skipped (readRuns is soft).
     */
    function findReferences(memory, regions, start, endExclusive, pointerSize) {
        const references = [];
        for (let r = 0; r < regions.length; r++) {
            const region = regions[r];
            forEachReadableRun(memory, region.base, region.base + region.size, (run) => {
                collectPointersInRange(run, pointerSize, start, endExclusive, references);
            });
        }
        return references;
    }
    /**
     * Reads [start, endExclusive) in pieces of at most SCAN_CHUNK_BYTES and hands each readable
     * run to `visit`. Pieces end on absolute multiples of SCAN_CHUNK_BYTES, so a value aligned
     * to its own width (1, 2, 4 or 8 bytes) never straddles two pieces.
     */
    function forEachReadableRun(memory, start, endExclusive, visit) {
        let pieceStart = start;
        while (pieceStart < endExclusive) {
            const pieceEnd = Math.min(endExclusive, (Math.floor(pieceStart / SCAN_CHUNK_BYTES) + 1) * SCAN_CHUNK_BYTES);
            const runs = memory.readRuns(pieceStart, pieceEnd - pieceStart);
            for (let i = 0; i < runs.length; i++)
                visit(runs[i]);
            pieceStart = pieceEnd;
        }
    }
    /** Offset of the first address ≥ `address` that is a multiple of `alignment`. */
    function alignUpOffset(address, alignment) {
        const misalignment = address % alignment;
        return misalignment === 0 ? 0 : alignment - misalignment;
    }
    function collectPointersInRange(run, pointerSize, start, endExclusive, out) {
        const first = alignUpOffset(run.address, pointerSize);
        const words = alignedWords(run.bytes, first, Math.floor((run.bytes.length - first) / pointerSize) * (pointerSize / 4));
        if (pointerSize === 4) {
            for (let i = 0; i < words.length; i++) {
                const value = words[i];
                if (value >= start && value < endExclusive)
                    out.push({ location: run.address + first + i * 4, value });
            }
            return;
        }
        // x64: the high dword decides most values cheaply before the pair is combined.
        const lowestHigh = Math.floor(start / TWO_POW_32);
        const highestHigh = Math.floor((endExclusive - 1) / TWO_POW_32);
        for (let i = 0; i + 1 < words.length; i += 2) {
            const high = words[i + 1];
            if (high < lowestHigh || high > highestHigh)
                continue;
            const value = high * TWO_POW_32 + words[i];
            if (value >= start && value < endExclusive)
                out.push({ location: run.address + first + i * 4, value });
        }
    }
    /**
     * `count` little-endian dwords from bytes[offset…] (every WinDbg host is little-endian).
     * A view when the buffer offset is 4-aligned, else a copy (a Uint32Array needs alignment).
     */
    function alignedWords(bytes, offset, count) {
        if (count <= 0)
            return new Uint32Array(0);
        const byteOffset = bytes.byteOffset + offset;
        if (byteOffset % 4 === 0)
            return new Uint32Array(bytes.buffer, byteOffset, count);
        return new Uint32Array(bytes.slice(offset, offset + count * 4).buffer);
    }

    // `!heap -srch [-b|-w|-d|-q] PATTERN` (heap-internals §3.5): where a 1-, 2-, 4- or
    // 8-byte value occurs in the heap's busy user data. INFERRED there: only busy user ranges
    // [UserPtr, UserPtr + UserSize) are scanned, at offsets aligned to the pattern width.
    /**
     * Blocks are read together, in windows of at most SCAN_CHUNK_BYTES, when the gap between
     * them is at most this: reading a few unused bytes is cheaper than another host call.
     */
    const MAX_GAP_IN_WINDOW = 64 * 1024;
    /** Hits in address order. `pattern` holds the value little-endian, 1, 2, 4 or 8 bytes wide. */
    function searchPattern(memory, walk, pattern) {
        const width = pattern.length;
        if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
            throw new RangeError(`A !heap -srch pattern is 1, 2, 4 or 8 bytes wide, not ${width}`);
        }
        const blocks = walk.blocks;
        const order = busyRowsByUserAddress(blocks, width);
        const hits = [];
        let first = 0;
        while (first < order.length) {
            const readWindow = windowFrom(blocks, order, first);
            scanWindow(memory, blocks, order, first, readWindow, pattern, hits);
            first = readWindow.last + 1;
        }
        hits.sort((a, b) => a.location - b.location);
        return hits;
    }
    /** Busy rows whose user data can hold the pattern, sorted by UserPtr (LFH rows sit among backend rows). */
    function busyRowsByUserAddress(blocks, width) {
        const rows = [];
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.state[i] === STATE_BUSY && blocks.userSize[i] >= width)
                rows.push(i);
        }
        const userAddress = blocks.userAddress;
        rows.sort((a, b) => userAddress[a] - userAddress[b]);
        return rows;
    }
    function windowFrom(blocks, order, first) {
        const windowStart = blocks.userAddress[order[first]];
        let windowEnd = windowStart + blocks.userSize[order[first]];
        let last = first;
        while (last + 1 < order.length) {
            const next = order[last + 1];
            const nextStart = blocks.userAddress[next];
            const nextEnd = nextStart + blocks.userSize[next];
            if (nextStart - windowEnd > MAX_GAP_IN_WINDOW || nextEnd - windowStart > SCAN_CHUNK_BYTES)
                break;
            if (nextEnd > windowEnd)
                windowEnd = nextEnd;
            last++;
        }
        return { last, end: windowEnd };
    }
    function scanWindow(memory, blocks, order, first, span, pattern, hits) {
        forEachReadableRun(memory, blocks.userAddress[order[first]], span.end, (run) => {
            for (let k = first; k <= span.last; k++)
                scanUserDataInRun(blocks, order[k], run, pattern, hits);
        });
    }
    function scanUserDataInRun(blocks, row, run, pattern, hits) {
        const width = pattern.length;
        const from = Math.max(blocks.userAddress[row], run.address);
        const to = Math.min(blocks.userAddress[row] + blocks.userSize[row], run.address + run.bytes.length);
        for (let location = from + alignUpOffset(from, width); location + width <= to; location += width) {
            if (matchesAt(run.bytes, location - run.address, pattern))
                hits.push({ row, location });
        }
    }
    function matchesAt(bytes, offset, pattern) {
        for (let k = 0; k < pattern.length; k++) {
            if (bytes[offset + k] !== pattern[k])
                return false;
        }
        return true;
    }

    // `!heap -stat -h HEAP [-grp A|B|S [MaxDisplay]]` (heap-internals §3.2): busy user
    // allocations grouped by requested size. LFH blocks count one by one and VirtualAlloc
    // blocks are included (§3.2: the seed-000 4 MiB row is a VirtualAlloc block); Internal
    // blocks (LFH UserBlocks containers) are left out so LFH bytes are not counted twice.
    function sizeStatistics(walk, groupBy, maxRows) {
        const countsBySize = countBusyBySize(walk);
        let totalBusyBlocks = 0;
        let totalBusyBytes = 0;
        const rows = [];
        countsBySize.forEach((count, size) => {
            totalBusyBlocks += count;
            totalBusyBytes += size * count;
            rows.push({ size, count, total: size * count, percent: 0 });
        });
        for (let i = 0; i < rows.length; i++) {
            rows[i].percent = totalBusyBytes > 0 ? (rows[i].total * 100) / totalBusyBytes : 0;
        }
        rows.sort(ORDERINGS[groupBy]);
        return {
            rows: rows.slice(0, Math.max(0, maxRows)),
            distinctSizes: rows.length,
            totalBusyBlocks,
            totalBusyBytes,
        };
    }
    function countBusyBySize(walk) {
        const blocks = walk.blocks;
        const counts = new Map();
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.state[i] !== STATE_BUSY)
                continue;
            const size = blocks.userSize[i];
            counts.set(size, (counts.get(size) || 0) + 1);
        }
        return counts;
    }
    // Ties fall back to the larger size first so the order is total (deterministic).
    const ORDERINGS = {
        A: (a, b) => b.size - a.size,
        B: (a, b) => b.count - a.count || b.size - a.size,
        S: (a, b) => b.total - a.total || b.size - a.size,
    };

    // What `!heap -s` prints for one NT heap (heap-internals §3.1). The column semantics there
    // are INFERRED from the labels and _HEAP_COUNTERS field names; the formulas below are the
    // ones that reproduce the real tables in the seeds (000, 001) and in §3.1.
    function summarizeHeap(walk) {
        const segments = sumSegments(walk);
        const free = countBackendFree(walk);
        const busy = countBusy(walk);
        const virtualBytes = Math.max(0, segments.reservedBytes - walk.counters.totalMemoryLargeUCR);
        return {
            heapAddress: walk.heap.address,
            flags: walk.heap.flags,
            reservedBytes: segments.reservedBytes,
            committedBytes: segments.committedBytes,
            virtualBytes,
            freeBytes: free.bytes,
            freeBlockCount: free.count,
            largestFreeBlock: free.largest,
            uncommittedRangeCount: segments.uncommittedRanges,
            virtualBlockCount: walk.virtualBlockCount,
            lockContention: walk.counters.lockCollisions,
            fastHeap: walk.lfh ? "LFH" : "",
            externalFragmentation: externalFragmentationPercent(free.largest, free.bytes),
            virtualAddressFragmentation: virtualAddressFragmentationPercent(segments.committedBytes, segments.reservedBytes),
            busyBlockCount: busy.count,
            busyUserBytes: busy.bytes,
        };
    }
    /**
     * 1 − largest free / total free, as a floored integer percent (§3.1, formula from the
     * accepted StackOverflow answer cited there; INFERRED). 0 when nothing is free.
     */
    function externalFragmentationPercent(largestFree, totalFree) {
        if (totalFree <= 0)
            return 0;
        return Math.floor(((totalFree - largestFree) * 100) / totalFree);
    }
    /**
     * 1 − committed / reserved, as a floored integer percent (INFERRED). §3.1 gives
     * 1 − committed / virtual, which fits its single-heap sample, but the one table row of
     * seed 000 that prints the line (01c20000: Reserv 128828, Commit 84980, Virt 128720,
     * printed "34 %") only comes out with the reserved size: 1 − 84980/128828 = 34.04 %,
     * while 1 − 84980/128720 = 33.98 % floors to 33. The §3.1 table sample has Reserv = Virt,
     * so both fit it. 0 when committed ≥ reserved (seed 001 has heaps with Commit > Virt).
     */
    function virtualAddressFragmentationPercent(committed, reserved) {
        if (reserved <= 0 || committed >= reserved)
            return 0;
        return Math.floor(((reserved - committed) * 100) / reserved);
    }
    function sumSegments(walk) {
        let reservedBytes = 0;
        let committedBytes = 0;
        let uncommittedRanges = 0;
        for (let i = 0; i < walk.segments.length; i++) {
            const segment = walk.segments[i];
            reservedBytes += segment.reservedBytes;
            committedBytes += segment.committedBytes;
            uncommittedRanges += segment.uncommittedRanges.length;
        }
        return { reservedBytes, committedBytes, uncommittedRanges };
    }
    function countBackendFree(walk) {
        const blocks = walk.blocks;
        let bytes = 0;
        let count = 0;
        let largest = 0;
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.state[i] !== STATE_FREE || blocks.kind[i] !== KIND_BACKEND)
                continue;
            const size = blocks.size[i];
            bytes += size;
            count++;
            if (size > largest)
                largest = size;
        }
        return { bytes, count, largest };
    }
    function countBusy(walk) {
        const blocks = walk.blocks;
        let bytes = 0;
        let count = 0;
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.state[i] !== STATE_BUSY)
                continue;
            bytes += blocks.userSize[i];
            count++;
        }
        return { bytes, count };
    }

    // Values crossing the host boundary. Inside dxheap addresses are JS numbers (user-mode
    // addresses are below 2^47, exact in a double); the host hands out and takes host.Int64.
    // Conversions split into 32-bit halves so no step ever rounds (api-notes §1.4).
    const TWO_32$1 = 4294967296;
    const MAX_EXACT = 9007199254740991; // 2^53 - 1
    /** An Int64 or number from the host as an exact JS number; throws if it needs more than 53 bits. */
    function toNumber(value) {
        if (typeof value === "number")
            return value;
        const high = value.getHighPart() >>> 0;
        const low = value.getLowPart() >>> 0;
        if (high > 0x1fffff)
            throw new RangeError(`0x${value.toString(16)} does not fit in 53 bits`);
        return high * TWO_32$1 + low;
    }
    /** A non-negative integer below 2^53 as a host.Int64. */
    function toInt64(value) {
        return host.Int64(value % TWO_32$1 >>> 0, Math.floor(value / TWO_32$1));
    }
    /**
     * A command or method argument that must be an address or size: a number, an Int64, or a native
     * object with an address (a pointer or typed object). Throws a one-line error naming what was expected.
     */
    function argToNumber(value, what) {
        if (typeof value === "number" && value >= 0 && value <= MAX_EXACT && Math.floor(value) === value)
            return value;
        if (value !== null && typeof value === "object") {
            const candidate = value;
            if (typeof candidate.getLowPart === "function")
                return toNumber(value);
            if (candidate.address !== undefined)
                return argToNumber(candidate.address, what);
        }
        throw new Error(`expected ${what} (a non-negative number or 64-bit value), got ${describe(value)}`);
    }
    function describe(value) {
        if (value === undefined)
            return "nothing";
        if (typeof value === "string")
            return `"${value}"`;
        return String(value);
    }

    // Hex formatting the way WinDbg prints it: bare lower-case digits, addresses padded to the
    // target's pointer width (8 digits on x86, 16 on x64), no 0x and no backtick in !heap tables.
    /** Digits of a non-negative integer below 2^53, no prefix. */
    function hex(value) {
        return value.toString(16);
    }
    /** An address padded to the pointer width, as !heap prints it: 0123abcd / 000001d5a3c40000. */
    function hexAddress(value, pointerSize) {
        return padHex(value, pointerSize * 2);
    }
    /** Digits padded with zeros to `width`. */
    function padHex(value, width) {
        const digits = value.toString(16);
        return digits.length >= width ? digits : "0".repeat(width - digits.length) + digits;
    }
    /** 0x-prefixed, as dx shows ordinals: 0x1d5a3c40000. */
    function hex0x(value) {
        return "0x" + value.toString(16);
    }

    // Help text for dx (shown by `dx -v` and in WinDbg's data model views), attached through
    // Symbol.metadataDescriptor (api-notes §1.12).
    function help(texts) {
        const descriptor = {};
        for (const name in texts)
            descriptor[name] = { Help: texts[name] };
        return descriptor;
    }

    // A heap block as dx shows it: a light view over one row of the walk's BlockTable, made only
    // when dx asks for it (dx @$curprocess.Heaps[0].Blocks.Where(b => b.UserSize == 0x400000)).
    class BlockModel {
        constructor(__heap, __walk, __row) {
            this.__heap = __heap;
            this.__walk = __walk;
            this.__row = __row;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Address: "The HEAP_ENTRY, as !heap prints it (VirtualAlloc'd blocks: the BusyBlock header)",
                UserAddress: "The UserPtr: where the program's data starts",
                Size: "Bytes, header included (LFH: the block stride; VirtualAlloc'd: the committed size)",
                UserSize: "Bytes the program asked for; 0 for free blocks",
                State: "Busy, Free, or Internal (heap bookkeeping such as LFH UserBlocks)",
                Kind: "Backend, LFH or VirtualAlloc",
                Flags: "The decoded _HEAP_ENTRY.Flags",
                Heap: "The heap holding the block",
                Segment: "The segment holding the block; null for VirtualAlloc'd blocks",
            });
        }
        get Address() {
            return toInt64(this.__walk.blocks.address[this.__row]);
        }
        get UserAddress() {
            return toInt64(this.__walk.blocks.userAddress[this.__row]);
        }
        get Size() {
            return this.__walk.blocks.size[this.__row];
        }
        get UserSize() {
            return this.__walk.blocks.userSize[this.__row];
        }
        get State() {
            return BLOCK_STATES[this.__walk.blocks.state[this.__row]];
        }
        get Kind() {
            return BLOCK_KINDS[this.__walk.blocks.kind[this.__row]];
        }
        get Flags() {
            return this.__walk.blocks.flags[this.__row];
        }
        get Heap() {
            return this.__heap;
        }
        get Segment() {
            const index = this.__walk.blocks.segment[this.__row];
            return index < 0 ? null : this.__heap.Segments[index];
        }
        toString() {
            const b = this.__walk.blocks;
            const i = this.__row;
            const user = b.state[i] === 1 ? "" : ` UserSize ${hex0x(b.userSize[i])}`;
            return `${hex0x(b.address[i])} ${BLOCK_STATES[b.state[i]]} ${BLOCK_KINDS[b.kind[i]]} Size ${hex0x(b.size[i])}${user}`;
        }
    }
    /** Heap.Blocks: lazy (the heap is walked on first iteration) and iterable, so LINQ works on it. */
    class BlockCollection {
        constructor(__heap) {
            this.__heap = __heap;
        }
        *[Symbol.iterator]() {
            const walk = this.__heap.walk();
            for (let i = 0; i < walk.blocks.count; i++)
                yield new BlockModel(this.__heap, walk, i);
        }
        toString() {
            return this.__heap.Type === "NT" ? `${this.__heap.walk().blocks.count} blocks` : "segment heap: not walked yet";
        }
    }

    /** What !heaps prints for one heap; also Heap.Summary. */
    class HeapSummaryModel {
        constructor(__summary) {
            this.__summary = __summary;
        }
        get Heap() { return toInt64(this.__summary.heapAddress); }
        get Flags() { return this.__summary.flags; }
        get ReservedBytes() { return this.__summary.reservedBytes; }
        get CommittedBytes() { return this.__summary.committedBytes; }
        get VirtualBytes() { return this.__summary.virtualBytes; }
        get FreeBytes() { return this.__summary.freeBytes; }
        get FreeBlocks() { return this.__summary.freeBlockCount; }
        get LargestFreeBlock() { return this.__summary.largestFreeBlock; }
        get UncommittedRanges() { return this.__summary.uncommittedRangeCount; }
        get VirtualBlocks() { return this.__summary.virtualBlockCount; }
        get LockContention() { return this.__summary.lockContention; }
        get FastHeap() { return this.__summary.fastHeap; }
        /** Percent: 1 - largest free block / free bytes. */
        get ExternalFragmentation() { return this.__summary.externalFragmentation; }
        /** Percent: 1 - committed / reserved. */
        get VirtualAddressFragmentation() { return this.__summary.virtualAddressFragmentation; }
        get BusyBlocks() { return this.__summary.busyBlockCount; }
        get BusyBytes() { return this.__summary.busyUserBytes; }
        toString() {
            const s = this.__summary;
            return `Heap ${hex0x(s.heapAddress)}: committed ${hex0x(s.committedBytes)}, ${s.busyBlockCount} busy blocks (${hex0x(s.busyUserBytes)} bytes), ${s.freeBlockCount} free`;
        }
    }
    /** What !heapstat prints for one heap. */
    class SizeStatisticsModel {
        constructor(__heap, __groupBy, __stats) {
            this.__heap = __heap;
            this.__groupBy = __groupBy;
            this.__stats = __stats;
        }
        get Heap() { return toInt64(this.__heap); }
        /** "A" (by size), "B" (by block count) or "S" (by total size). */
        get GroupBy() { return this.__groupBy; }
        get Rows() { return this.__stats.rows.map((row) => new SizeStatRowModel(row)); }
        get BusyBlocks() { return this.__stats.totalBusyBlocks; }
        get BusyBytes() { return this.__stats.totalBusyBytes; }
        toString() {
            return `Heap ${hex0x(this.__heap)}: ${this.__stats.distinctSizes} sizes, ${this.__stats.totalBusyBlocks} busy blocks`;
        }
    }
    class SizeStatRowModel {
        constructor(__row) {
            this.__row = __row;
        }
        /** The requested size. */
        get Size() { return this.__row.size; }
        get Count() { return this.__row.count; }
        get TotalBytes() { return this.__row.total; }
        /** Percent of the heap's busy bytes, two decimals. */
        get Percent() { return this.__row.percent.toFixed(2); }
        toString() {
            return `${hex0x(this.__row.size)} x ${hex0x(this.__row.count)} = ${hex0x(this.__row.total)} (${this.__row.percent.toFixed(2)}%)`;
        }
    }
    /** What !heapfind returns: the block holding an address, and who points into it. */
    class FoundBlockModel {
        constructor(__block, __offset, __references) {
            this.__block = __block;
            this.__offset = __offset;
            this.__references = __references;
        }
        get Block() { return this.__block; }
        /** The address minus the block's Address. */
        get Offset() { return this.__offset; }
        /** Pointer-sized values anywhere in the process that point into the block (only with `true`). */
        get References() {
            return this.__references ? this.__references.map((r) => new ReferenceModel(r)) : undefined;
        }
        toString() {
            return `${this.__block} (offset ${hex0x(this.__offset)})`;
        }
    }
    class ReferenceModel {
        constructor(__reference) {
            this.__reference = __reference;
        }
        /** Where the pointer is stored. */
        get Location() { return toInt64(this.__reference.location); }
        get Value() { return toInt64(this.__reference.value); }
        toString() {
            return `${hex0x(this.__reference.location)} -> ${hex0x(this.__reference.value)}`;
        }
    }
    /** One !heapsearch match. */
    class PatternHitModel {
        constructor(__block, __location) {
            this.__block = __block;
            this.__location = __location;
        }
        get Location() { return toInt64(this.__location); }
        get Block() { return this.__block; }
        toString() {
            return `${hex0x(this.__location)} in ${this.__block}`;
        }
    }

    // Arguments of the ! commands, as dx passes them (api-notes §1.16): numbers, host.Int64 for
    // 64-bit values, strings, booleans, undefined when left out. Every mistake is a one-line error
    // that says what was expected.
    function required(command, what, value) {
        if (value === undefined)
            throw new Error(`${command}: expected ${what}`);
        return optional(command, what, value, 0);
    }
    function optional(command, what, value, fallback) {
        if (value === undefined)
            return fallback;
        try {
            return argToNumber(value, what);
        }
        catch (e) {
            throw new Error(`${command}: ${e.message}`);
        }
    }
    function flag(command, what, value) {
        if (value === undefined || value === false || value === 0)
            return false;
        if (value === true || value === 1)
            return true;
        throw new Error(`${command}: expected ${what} (true or false), got ${String(value)}`);
    }
    function choice(command, what, value, choices, fallback) {
        if (value === undefined)
            return fallback;
        const text = String(value).toUpperCase();
        for (let i = 0; i < choices.length; i++)
            if (choices[i] === text)
                return choices[i];
        throw new Error(`${command}: expected ${what} (${choices.map((c) => `"${c}"`).join(", ")}), got ${String(value)}`);
    }
    /**
     * A search pattern of `width` bytes, little-endian. 64-bit patterns may exceed 2^53, so an
     * Int64 is split into its 32-bit halves instead of going through a number.
     */
    function patternBytes(command, value, width) {
        let low;
        let high;
        if (typeof value === "number" && value >= 0 && Math.floor(value) === value && value <= 9007199254740991) {
            low = value % 4294967296;
            high = Math.floor(value / 4294967296);
        }
        else if (value !== null && typeof value === "object" && typeof value.getLowPart === "function") {
            low = value.getLowPart() >>> 0;
            high = value.getHighPart() >>> 0;
        }
        else {
            throw new Error(`${command}: expected a pattern (a number or 64-bit value), got ${String(value)}`);
        }
        const bytes = new Uint8Array(width);
        for (let i = 0; i < width; i++) {
            const word = i < 4 ? low : high;
            bytes[i] = (word >>> ((i % 4) * 8)) & 0xff;
        }
        const fits = width === 8 || (high === 0 && (width === 4 || low < Math.pow(2, 8 * width)));
        if (!fits)
            throw new Error(`${command}: pattern 0x${high ? high.toString(16) : ""}${low.toString(16)} does not fit in ${width} bytes`);
        return bytes;
    }

    // How analyses see target memory. src/host/memory.ts implements it over host.memory;
    // pure-logic tests implement it over a byte array.
    class UnreadableMemoryError extends Error {
        constructor(address, length) {
            super(`Unable to read memory at 0x${address.toString(16)} (0x${length.toString(16)} bytes)`);
            this.address = address;
            this.length = length;
        }
    }

    // The one memory reader: every byte dxheap reads goes through HostMemory. Reads are large
    // (host.memory.readMemoryValues over whole ranges, api-notes §1.6: each call is a round trip
    // into the engine); a read that fails is narrowed by halving down to pages, so one unreadable
    // page costs a few calls and the readable rest is still returned.
    const PAGE = 0x1000;
    /** Failed ranges of at least this many pages are probed before being split (see collect). */
    const PROBE_THRESHOLD_PAGES = 16;
    /** Largest single read: big enough to make host calls rare, small enough to keep memory flat. */
    const MAX_READ = 4 * 1024 * 1024;
    class HostMemory {
        constructor(pointerSize, context) {
            this.pointerSize = pointerSize;
            this.context = context;
        }
        read(address, length) {
            if (length <= MAX_READ)
                return this.readOnce(address, length);
            const out = new Uint8Array(length);
            for (let offset = 0; offset < length; offset += MAX_READ) {
                out.set(this.readOnce(address + offset, Math.min(MAX_READ, length - offset)), offset);
            }
            return out;
        }
        readRuns(address, length) {
            const runs = [];
            for (let offset = 0; offset < length; offset += MAX_READ) {
                this.collect(address + offset, Math.min(MAX_READ, length - offset), runs);
            }
            return runs;
        }
        readPrefix(address, length) {
            const whole = this.tryRead(address, length);
            if (whole)
                return whole;
            // Binary search on the number of whole readable pages: "[address, page k) is readable"
            // only turns false once, so log2(pages) reads find the longest readable start.
            const firstPageEnd = Math.min(address + length, Math.floor(address / PAGE) * PAGE + PAGE);
            let low = firstPageEnd;
            let high = address + length;
            const first = this.tryRead(address, firstPageEnd - address);
            if (!first)
                return new Uint8Array(0);
            let readable = first;
            while (high - low > PAGE) {
                const middle = low + Math.max(1, Math.floor((high - low) / PAGE / 2)) * PAGE;
                const bytes = this.tryRead(address, middle - address);
                if (bytes) {
                    readable = bytes;
                    low = middle;
                }
                else {
                    high = middle;
                }
            }
            return readable;
        }
        /**
         * Reads [address, address+length) or, when that fails, its readable pages, appending to runs.
         * A failed range whose first, middle and last pages are all unreadable is taken as unreadable
         * as a whole: dumps miss memory in whole regions, and page-by-page probing would cost a read
         * per page. A readable island shorter than half such a range can be missed.
         */
        collect(address, length, runs) {
            const bytes = this.tryRead(address, length);
            if (bytes) {
                const last = runs[runs.length - 1];
                if (last && last.address + last.bytes.length === address) {
                    const joined = new Uint8Array(last.bytes.length + bytes.length);
                    joined.set(last.bytes);
                    joined.set(bytes, last.bytes.length);
                    last.bytes = joined;
                }
                else {
                    runs.push({ address, bytes });
                }
                return;
            }
            // Split on a page boundary; a range within one page that fails is unreadable as a whole.
            const firstPageEnd = Math.floor(address / PAGE) * PAGE + PAGE;
            if (address + length <= firstPageEnd)
                return;
            const pages = Math.ceil((address + length - firstPageEnd) / PAGE);
            if (pages >= PROBE_THRESHOLD_PAGES && this.unreadableThroughout(address, length))
                return;
            const middle = pages <= 1 ? firstPageEnd : firstPageEnd + Math.floor(pages / 2) * PAGE;
            this.collect(address, middle - address, runs);
            this.collect(middle, address + length - middle, runs);
        }
        unreadableThroughout(address, length) {
            const lastPage = Math.floor((address + length - 1) / PAGE) * PAGE;
            const middlePage = Math.floor((address + length / 2) / PAGE) * PAGE;
            return !this.tryRead(address, 1) && !this.tryRead(middlePage, 1) && !this.tryRead(lastPage, 1);
        }
        tryRead(address, length) {
            try {
                return this.readOnce(address, length);
            }
            catch (e) {
                if (e instanceof UnreadableMemoryError)
                    return undefined;
                throw e;
            }
        }
        readOnce(address, length) {
            if (length === 0)
                return new Uint8Array(0);
            try {
                return host.memory.readMemoryValues(toInt64(address), length, 1, false, this.context);
            }
            catch (e) {
                throw new UnreadableMemoryError(address, length);
            }
        }
    }

    // Types and globals of ntdll, from the symbols the debugger has loaded (host.getModuleType,
    // host.getModuleSymbolAddress; api-notes §1.7, §1.9). Layouts (src/layouts) ask this, never
    // a table of offsets, so every Windows build is read as its own symbols describe it.
    class ModuleSymbols {
        /** context: the process whose modules are meant (api-notes §1.7 contextInheritor). */
        constructor(moduleName, context) {
            this.moduleName = moduleName;
            this.context = context;
            this.types = {};
        }
        fieldOffset(type, fieldPath) {
            let current = this.type(type);
            let offset = 0;
            const parts = fieldPath.split(".");
            for (let i = 0; i < parts.length; i++) {
                const field = current ? current.fields[parts[i]] : undefined;
                if (!field)
                    return undefined;
                offset += toNumber(field.offset);
                current = field.type;
            }
            return offset;
        }
        typeSize(type) {
            const found = this.type(type);
            return found ? toNumber(found.size) : undefined;
        }
        symbolAddress(name) {
            try {
                const address = host.getModuleSymbolAddress(this.moduleName, name, this.context);
                return address === null || address === undefined ? undefined : toNumber(address);
            }
            catch (e) {
                return undefined; // API 1.0 throws for an unknown symbol where 1.1 returns null
            }
        }
        type(name) {
            if (!(name in this.types)) {
                let found = null;
                try {
                    found = host.getModuleType(this.moduleName, name, this.context);
                }
                catch (e) {
                    found = null;
                }
                this.types[name] = found;
            }
            return this.types[name];
        }
    }

    class MissingSymbolsError extends Error {
        constructor(missing) {
            super(`ntdll symbols do not describe ${missing.join(", ")}: dxheap needs ntdll's types ` +
                `(check .sympath and run .reload /f ntdll.dll)`);
        }
    }
    /** Reads the layout from symbols; throws MissingSymbolsError naming every essential field that is absent. */
    function resolveNtHeapLayout(types) {
        var _a;
        const missing = [];
        const need = (type, field) => {
            const offset = types.fieldOffset(type, field);
            if (offset === undefined)
                missing.push(`${type}.${field}`);
            return offset === undefined ? 0 : offset;
        };
        const needSize = (type) => {
            const size = types.typeSize(type);
            if (size === undefined)
                missing.push(`sizeof(${type})`);
            return size === undefined ? 0 : size;
        };
        const granularity = needSize("_HEAP_ENTRY");
        const entrySize = need("_HEAP_ENTRY", "Size");
        const previousSize = need("_HEAP_ENTRY", "PreviousSize");
        const layout = {
            // A _HEAP_ENTRY is two pointers wide on every build (§1.4).
            pointerSize: granularity === 8 ? 4 : 8,
            entry: {
                granularity,
                core: entrySize,
                size: entrySize,
                flags: need("_HEAP_ENTRY", "Flags"),
                smallTagIndex: need("_HEAP_ENTRY", "SmallTagIndex"),
                previousSize,
                unusedBytes: need("_HEAP_ENTRY", "UnusedBytes"),
                unusedBytesLength: (_a = types.fieldOffset("_HEAP_ENTRY", "UnusedBytesLength")) !== null && _a !== void 0 ? _a : previousSize,
                subSegmentCode: types.fieldOffset("_HEAP_ENTRY", "SubSegmentCode"),
            },
            peb: { numberOfHeaps: need("_PEB", "NumberOfHeaps"), processHeaps: need("_PEB", "ProcessHeaps") },
            heap: {
                segmentSignature: need("_HEAP", "SegmentSignature"),
                signature: need("_HEAP", "Signature"),
                flags: need("_HEAP", "Flags"),
                encodeFlagMask: need("_HEAP", "EncodeFlagMask"),
                encoding: need("_HEAP", "Encoding"),
                segmentList: need("_HEAP", "SegmentList"),
                virtualAllocdBlocks: need("_HEAP", "VirtualAllocdBlocks"),
                frontEndHeap: need("_HEAP", "FrontEndHeap"),
                frontEndHeapType: need("_HEAP", "FrontEndHeapType"),
                lockCollisions: types.fieldOffset("_HEAP", "Counters.LockCollisions"),
                totalMemoryLargeUCR: types.fieldOffset("_HEAP", "Counters.TotalMemoryLargeUCR"),
            },
            segment: {
                segmentListEntry: need("_HEAP_SEGMENT", "SegmentListEntry"),
                baseAddress: need("_HEAP_SEGMENT", "BaseAddress"),
                firstEntry: need("_HEAP_SEGMENT", "FirstEntry"),
                lastValidEntry: need("_HEAP_SEGMENT", "LastValidEntry"),
                numberOfUnCommittedRanges: need("_HEAP_SEGMENT", "NumberOfUnCommittedRanges"),
                ucrSegmentList: need("_HEAP_SEGMENT", "UCRSegmentList"),
            },
            ucr: {
                segmentEntry: need("_HEAP_UCR_DESCRIPTOR", "SegmentEntry"),
                address: need("_HEAP_UCR_DESCRIPTOR", "Address"),
                size: need("_HEAP_UCR_DESCRIPTOR", "Size"),
            },
            virtualAlloc: {
                size: needSize("_HEAP_VIRTUAL_ALLOC_ENTRY"),
                entry: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "Entry"),
                commitSize: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "CommitSize"),
                busyBlock: need("_HEAP_VIRTUAL_ALLOC_ENTRY", "BusyBlock"),
            },
            lfh: resolveLfhLayout(types),
            lfhKeyAddress: types.symbolAddress("RtlpLFHKey"),
            segmentHeap: resolveSegmentHeap(types),
            heapDescriptors: resolveHeapDescriptors(types),
        };
        if (missing.length > 0)
            throw new MissingSymbolsError(missing);
        return layout;
    }
    /** The NT LFH front end is described only by ntdll's own PDB (§1.6); any gap disables LFH decoding. */
    function resolveLfhLayout(types) {
        const header = "_HEAP_USERDATA_HEADER";
        const sub = "_HEAP_SUBSEGMENT";
        const userDataHeaderSize = types.typeSize(header);
        const userDataSubSegment = types.fieldOffset(header, "SubSegment");
        const userDataSignature = types.fieldOffset(header, "Signature");
        const subSegmentUserBlocks = types.fieldOffset(sub, "UserBlocks");
        const subSegmentBlockSize = types.fieldOffset(sub, "BlockSize");
        const subSegmentBlockCount = types.fieldOffset(sub, "BlockCount");
        if (userDataHeaderSize === undefined || userDataSubSegment === undefined || userDataSignature === undefined ||
            subSegmentUserBlocks === undefined || subSegmentBlockSize === undefined || subSegmentBlockCount === undefined) {
            return undefined;
        }
        const encodedOffsets = types.fieldOffset(header, "EncodedOffsets");
        const busyBitmapSize = types.fieldOffset(header, "BusyBitmap.SizeOfBitMap");
        const busyBitmapBuffer = types.fieldOffset(header, "BusyBitmap.Buffer");
        const win8 = encodedOffsets !== undefined && busyBitmapSize !== undefined && busyBitmapBuffer !== undefined;
        return {
            scheme: win8 ? "win8" : "win7",
            userDataHeaderSize,
            userDataSubSegment,
            userDataSignature,
            encodedOffsets: encodedOffsets !== null && encodedOffsets !== void 0 ? encodedOffsets : 0,
            busyBitmapSize: busyBitmapSize !== null && busyBitmapSize !== void 0 ? busyBitmapSize : 0,
            busyBitmapBuffer: busyBitmapBuffer !== null && busyBitmapBuffer !== void 0 ? busyBitmapBuffer : 0,
            subSegmentUserBlocks,
            subSegmentBlockSize,
            subSegmentBlockCount,
        };
    }
    function resolveSegmentHeap(types) {
        const signature = types.fieldOffset("_SEGMENT_HEAP", "Signature");
        const globalFlags = types.fieldOffset("_SEGMENT_HEAP", "GlobalFlags");
        return signature === undefined || globalFlags === undefined ? undefined : { signature, globalFlags };
    }
    function resolveHeapDescriptors(types) {
        const listHead = types.symbolAddress("RtlpProcessHeaps");
        const link = types.fieldOffset("_RTLP_PROCESS_HEAP_DESCRIPTOR", "DescriptorLink");
        const heap = types.fieldOffset("_RTLP_PROCESS_HEAP_DESCRIPTOR", "Heap");
        return listHead === undefined || link === undefined || heap === undefined ? undefined : { listHead, link, heap };
    }

    // Little-endian reads from byte arrays the walkers got in one large read.
    const TWO_32 = 4294967296;
    function u16(bytes, at) {
        return bytes[at] | (bytes[at + 1] << 8);
    }
    function u32(bytes, at) {
        return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
    }
    /**
     * A pointer-sized value as a JS number. 64-bit values at or above 2^53 cannot be user-mode
     * addresses: they come back as Infinity so every bounds check rejects them.
     */
    function pointer(bytes, at, pointerSize) {
        if (pointerSize === 4)
            return u32(bytes, at);
        const high = u32(bytes, at + 4);
        return high > 0x1fffff ? Infinity : high * TWO_32 + u32(bytes, at);
    }
    /** Low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
    function low32(value) {
        return value % TWO_32 >>> 0;
    }

    /** The command whose output lists committed regions, one "base end" line each (see README). */
    const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';
    class Target {
        constructor(memory, layout, peb, 
        /** ntdll!RtlpLFHKey, or undefined without that symbol. */
        lfhKey) {
            this.memory = memory;
            this.layout = layout;
            this.peb = peb;
            this.lfhKey = lfhKey;
        }
        /**
         * A process object (the current one by default): reads, symbols and commands happen in its
         * context (api-notes §1.7). Throws a one-line error when ntdll's symbols or the PEB are missing.
         */
        static of(processObject = host.currentProcess) {
            const environment = processObject.Environment;
            const block = environment ? environment.EnvironmentBlock : undefined;
            if (!block || block.address === undefined)
                throw new Error("dxheap needs a user-mode process: this process has no PEB");
            const layout = resolveNtHeapLayout(new ModuleSymbols("ntdll", processObject));
            const memory = new HostMemory(layout.pointerSize, processObject);
            let lfhKey;
            if (layout.lfhKeyAddress !== undefined) {
                try {
                    lfhKey = u32(memory.read(layout.lfhKeyAddress, 4), 0);
                }
                catch (e) {
                    lfhKey = undefined;
                }
            }
            return new Target(memory, layout, toNumber(block.address), lfhKey);
        }
        /** Committed regions of the process, from the debugger's !address, read once per Target. */
        regions() {
            if (!this.regionList) {
                const lines = host.namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND);
                this.regionList = parseRegionLines(lines);
            }
            return this.regionList;
        }
    }
    /** "00000000`7ffe0000 00000000`7ffe1000" lines → regions; other lines are ignored. */
    function parseRegionLines(lines) {
        const regions = [];
        const hexWord = /^(?:0x)?([0-9a-f]+)$/i;
        for (const line of lines) {
            const words = String(line).trim().replace(/`/g, "").split(/\s+/);
            if (words.length < 2)
                continue;
            const base = hexWord.exec(words[0]);
            const end = hexWord.exec(words[1]);
            if (!base || !end)
                continue;
            const start = parseInt(base[1], 16);
            const stop = parseInt(end[1], 16);
            if (stop > start && stop <= 9007199254740991)
                regions.push({ base: start, size: stop - start });
        }
        return regions.sort((a, b) => a.base - b.base);
    }

    function walkList(memory, head, limit) {
        const size = memory.pointerSize;
        const links = [];
        const seen = {};
        let previous = head;
        let link;
        try {
            link = pointer(memory.read(head, size), 0, size);
        }
        catch (e) {
            return { links, problem: { address: head, message: `list head at 0x${head.toString(16)} is unreadable` } };
        }
        while (link !== head) {
            if (!isFinite(link) || link === 0) {
                return { links, problem: { address: previous, message: `bad link 0x${link.toString(16)} at 0x${previous.toString(16)}` } };
            }
            if (seen[link]) {
                return { links, problem: { address: link, message: `list loops back to 0x${link.toString(16)}` } };
            }
            if (links.length >= limit) {
                return { links, problem: { address: link, message: `list longer than ${limit} entries` } };
            }
            let entry;
            try {
                entry = memory.read(link, 2 * size);
            }
            catch (e) {
                return { links, problem: { address: link, message: `list entry at 0x${link.toString(16)} is unreadable` } };
            }
            if (pointer(entry, size, size) !== previous) {
                return { links, problem: { address: link, message: `Blink of 0x${link.toString(16)} does not point back to 0x${previous.toString(16)}` } };
            }
            seen[link] = true;
            links.push(link);
            previous = link;
            link = pointer(entry, 0, size);
        }
        return { links, problem: undefined };
    }

    const NT_SEGMENT_SIGNATURE = 0xffeeffee;
    const NT_HEAP_SIGNATURE = 0xeeffeeff;
    const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;
    /** Far above any real process; bounds the read of a corrupted NumberOfHeaps. */
    const MAX_HEAPS = 4096;
    function enumerateHeaps(memory, layout, peb) {
        const findings = [];
        const found = [];
        const p = layout.pointerSize;
        try {
            const count = u32(memory.read(peb + layout.peb.numberOfHeaps, 4), 0);
            const array = pointer(memory.read(peb + layout.peb.processHeaps, p), 0, p);
            if (count > MAX_HEAPS) {
                findings.push({ kind: "Corruption", address: peb, message: `PEB.NumberOfHeaps is ${count}` });
            }
            else if (count > 0) {
                const bytes = memory.read(array, count * p);
                for (let i = 0; i < count; i++)
                    found.push({ address: pointer(bytes, i * p, p), source: "PEB" });
            }
        }
        catch (e) {
            findings.push({ kind: "Unreadable", address: peb, message: `PEB.ProcessHeaps of PEB 0x${peb.toString(16)} is unreadable` });
        }
        const descriptors = layout.heapDescriptors;
        if (descriptors) {
            const list = walkList(memory, descriptors.listHead, MAX_HEAPS);
            if (list.problem)
                findings.push({ kind: "Corruption", address: list.problem.address, message: `RtlpProcessHeaps: ${list.problem.message}` });
            for (let i = 0; i < list.links.length; i++) {
                const descriptor = list.links[i] - descriptors.link;
                try {
                    found.push({ address: pointer(memory.read(descriptor + descriptors.heap, p), 0, p), source: "DescriptorList" });
                }
                catch (e) {
                    findings.push({ kind: "Unreadable", address: descriptor, message: `heap descriptor at 0x${descriptor.toString(16)} is unreadable` });
                }
            }
        }
        const heaps = [];
        const byAddress = {};
        for (let i = 0; i < found.length; i++) {
            const { address, source } = found[i];
            const known = byAddress[address];
            if (known) {
                if (known.listedIn.indexOf(source) < 0)
                    known.listedIn.push(source);
                continue;
            }
            const heap = classify(memory, layout, address, findings);
            if (!heap)
                continue;
            heap.listedIn.push(source);
            byAddress[address] = heap;
            heaps.push(heap);
        }
        return { heaps, findings };
    }
    /** NT heap or segment heap, by signature; undefined (with a finding) for anything else. */
    function classify(memory, layout, address, findings) {
        const h = layout.heap;
        const s = layout.segmentHeap;
        try {
            if (u32(memory.read(address + h.segmentSignature, 4), 0) === NT_SEGMENT_SIGNATURE &&
                u32(memory.read(address + h.signature, 4), 0) === NT_HEAP_SIGNATURE) {
                return { address, type: "NT", flags: u32(memory.read(address + h.flags, 4), 0), listedIn: [] };
            }
            if (s && u32(memory.read(address + s.signature, 4), 0) === SEGMENT_HEAP_SIGNATURE) {
                return { address, type: "Segment", flags: u32(memory.read(address + s.globalFlags, 4), 0), listedIn: [] };
            }
            findings.push({ kind: "Corruption", address, message: `0x${address.toString(16)} is listed as a heap but has neither heap signature` });
        }
        catch (e) {
            findings.push({ kind: "Unreadable", address, message: `heap 0x${address.toString(16)} is unreadable` });
        }
        return undefined;
    }

    class MemoryWindow {
        /** end: reads stop here unless a request itself reaches further. */
        constructor(memory, end) {
            this.memory = memory;
            this.end = end;
            /** Address of bytes[0]. */
            this.base = 0;
            this.bytes = new Uint8Array(0);
            /** After ensure() returned false: the first address that could not be read. */
            this.unreadableAt = 0;
        }
        /** Makes [address, address + length) available in bytes; false when part of it is unreadable. */
        ensure(address, length) {
            if (address >= this.base && address + length <= this.base + this.bytes.length)
                return true;
            const want = Math.max(length, Math.min(MAX_READ, this.end - address));
            this.base = address;
            this.bytes = this.memory.readPrefix(address, want);
            if (this.bytes.length >= length)
                return true;
            this.unreadableAt = address + this.bytes.length;
            return false;
        }
    }

    const MAX_SEGMENTS = 4096;
    const MAX_UCRS = 1 << 16;
    /** Larger reservations than this are not a plausible segment: the header is corrupt. */
    const MAX_SEGMENT_BYTES = Math.pow(2, 40);
    function readSegments(memory, layout, heap, findings) {
        const list = walkList(memory, heap + layout.heap.segmentList, MAX_SEGMENTS);
        if (list.problem)
            findings.push({ kind: "Corruption", address: list.problem.address, message: `segment list: ${list.problem.message}` });
        const segments = [];
        for (let i = 0; i < list.links.length; i++) {
            const segment = readSegment(memory, layout, list.links[i] - layout.segment.segmentListEntry, findings);
            if (segment)
                segments.push(segment);
        }
        return segments;
    }
    function readSegment(memory, layout, address, findings) {
        const s = layout.segment;
        const p = layout.pointerSize;
        const span = Math.max(s.baseAddress, s.firstEntry, s.lastValidEntry, s.ucrSegmentList, s.numberOfUnCommittedRanges) + 2 * p;
        let bytes;
        try {
            bytes = memory.read(address, span);
        }
        catch (e) {
            findings.push({ kind: "Unreadable", address, message: `segment header at 0x${address.toString(16)} is unreadable` });
            return undefined;
        }
        const baseAddress = pointer(bytes, s.baseAddress, p);
        const firstEntry = pointer(bytes, s.firstEntry, p);
        const lastValidEntry = pointer(bytes, s.lastValidEntry, p);
        const reservedBytes = lastValidEntry - baseAddress;
        if (!(baseAddress <= address && address < firstEntry && firstEntry < lastValidEntry && reservedBytes <= MAX_SEGMENT_BYTES)) {
            findings.push({
                kind: "Corruption",
                address,
                message: `segment 0x${address.toString(16)} has implausible bounds (base 0x${baseAddress.toString(16)}, first entry 0x${firstEntry.toString(16)}, last valid entry 0x${lastValidEntry.toString(16)})`,
            });
            return undefined;
        }
        const uncommittedRanges = readUncommittedRanges(memory, layout, address, baseAddress, lastValidEntry, findings);
        let uncommitted = 0;
        for (let i = 0; i < uncommittedRanges.length; i++)
            uncommitted += uncommittedRanges[i].size;
        return { address, baseAddress, firstEntry, lastValidEntry, reservedBytes, committedBytes: reservedBytes - uncommitted, uncommittedRanges };
    }
    function readUncommittedRanges(memory, layout, segment, base, end, findings) {
        const u = layout.ucr;
        const p = layout.pointerSize;
        const list = walkList(memory, segment + layout.segment.ucrSegmentList, MAX_UCRS);
        if (list.problem)
            findings.push({ kind: "Corruption", address: list.problem.address, message: `uncommitted-range list of segment 0x${segment.toString(16)}: ${list.problem.message}` });
        const ranges = [];
        for (let i = 0; i < list.links.length; i++) {
            const descriptor = list.links[i] - u.segmentEntry;
            let bytes;
            try {
                bytes = memory.read(descriptor, Math.max(u.address, u.size) + p);
            }
            catch (e) {
                findings.push({ kind: "Unreadable", address: descriptor, message: `uncommitted-range descriptor at 0x${descriptor.toString(16)} is unreadable` });
                continue;
            }
            const address = pointer(bytes, u.address, p);
            const size = pointer(bytes, u.size, p);
            if (!(address >= base && size > 0 && address + size <= end)) {
                findings.push({ kind: "Corruption", address: descriptor, message: `uncommitted range 0x${address.toString(16)}+0x${size.toString(16)} lies outside segment 0x${segment.toString(16)}` });
                continue;
            }
            ranges.push({ address, size });
        }
        ranges.sort((a, b) => a.address - b.address);
        return ranges;
    }
    /** The committed runs of a segment's entry area: [FirstEntry, LastValidEntry) minus its uncommitted ranges. */
    function committedRuns(segment) {
        const runs = [];
        let start = segment.firstEntry;
        for (let i = 0; i < segment.uncommittedRanges.length; i++) {
            const range = segment.uncommittedRanges[i];
            if (range.address + range.size <= start)
                continue;
            if (range.address > start)
                runs.push({ start, end: range.address });
            start = Math.max(start, range.address + range.size);
        }
        if (start < segment.lastValidEntry)
            runs.push({ start, end: segment.lastValidEntry });
        return runs;
    }

    // _HEAP_ENTRY.Flags bits (heap-internals §1.4).
    const FLAG_BUSY = 0x01;
    const FLAG_EXTRA_PRESENT = 0x02;
    const FLAG_FILL_PATTERN = 0x04;
    /** VIRTUAL_ALLOC on a big block; on a segment block it marks "internal" blocks such as LFH UserBlocks (§2.4, §6c.6). */
    const FLAG_INTERNAL = 0x08;
    const FLAG_SETTABLE = 0xe0;
    class EntryDecoder {
        /** key: the 8 core bytes of _HEAP.Encoding, or zeros when the heap does not encode. */
        constructor(layout, key) {
            this.layout = layout;
            this.key = key;
            this.size = layout.size - layout.core;
            this.flags = layout.flags - layout.core;
            this.tag = layout.smallTagIndex - layout.core;
            this.previous = layout.previousSize - layout.core;
            this.unused = layout.unusedBytes - layout.core;
        }
        /** Decodes the entry whose header starts at bytes[at]. */
        decode(bytes, at, out) {
            const core = at + this.layout.core;
            const k = this.key;
            const s0 = bytes[core + this.size] ^ k[this.size];
            const s1 = bytes[core + this.size + 1] ^ k[this.size + 1];
            const flags = bytes[core + this.flags] ^ k[this.flags];
            out.size = s0 | (s1 << 8);
            out.flags = flags;
            out.previousSize = (bytes[core + this.previous] ^ k[this.previous]) | ((bytes[core + this.previous + 1] ^ k[this.previous + 1]) << 8);
            out.unusedBytes = bytes[core + this.unused] ^ k[this.unused];
            out.checksumOk = (bytes[core + this.tag] ^ k[this.tag]) === (s0 ^ s1 ^ flags);
            return out;
        }
    }
    function newDecodedEntry() {
        return { size: 0, flags: 0, previousSize: 0, unusedBytes: 0, checksumOk: false };
    }

    const UNUSED_EXTENDED = 0x40;
    const UNUSED_STORED_AFTER = 0x3f;
    /**
     * Sets row.userAddress and row.userSize of the block at `entry` of `size` bytes. `unused` is
     * UnusedBytes without the LFH marker (0x80). False, with userSize 0, when the count cannot be
     * read or does not fit the block.
     */
    function decodeUserExtent(window, layout, entry, size, unused, row) {
        const granularity = layout.entry.granularity;
        row.userAddress = entry + granularity;
        row.userSize = 0;
        let count;
        let userAddress = entry + granularity;
        if ((unused & UNUSED_EXTENDED) !== 0) {
            const extended = entry + (unused & 0x3f) * granularity;
            if (!(extended > entry && extended + granularity <= entry + size && window.ensure(extended, granularity)))
                return false;
            count = u16(window.bytes, extended - window.base + layout.entry.unusedBytesLength);
            userAddress = extended + granularity;
        }
        else if (unused === UNUSED_STORED_AFTER) {
            if (!window.ensure(entry + size, layout.pointerSize))
                return false;
            count = pointer(window.bytes, entry + size - window.base, layout.pointerSize);
        }
        else {
            count = unused;
        }
        if (count > size)
            return false;
        row.userAddress = userAddress;
        row.userSize = size - count;
        return true;
    }

    // The NT heap back end: the entries of one segment, walked header by header from FirstEntry
    // (heap-internals.md §2.2). The walk of a segment ends, with a finding naming the address, at
    // the first header that fails its checksum or size bounds, or that cannot be read.
    /** UnusedBytes below this are pseudo-entry markers, not byte counts (§2.2: 1 segment, 3 uncommitted, 4 VirtualAlloc, 5 linked). */
    const SMALLEST_UNUSED_COUNT = 8;
    /** UnusedBytes with this bit belong to LFH blocks, never to a back-end entry (§2.2). */
    const LFH_MARKER$1 = 0x80;
    class BackendWalker {
        constructor(memory, layout, decoder, blocks, findings, 
        /** Called for each internal block while its bytes are still in the window. */
        onInternal) {
            this.memory = memory;
            this.layout = layout;
            this.decoder = decoder;
            this.blocks = blocks;
            this.findings = findings;
            this.onInternal = onInternal;
            this.entry = newDecodedEntry();
            /** Reused for every block: no object per block. */
            this.row = { address: 0, userAddress: 0, size: 0, userSize: 0, previousSize: 0, state: 0, kind: KIND_BACKEND, flags: 0, segment: 0, container: 0 };
        }
        walkSegment(segment, segmentIndex) {
            const runs = committedRuns(segment);
            for (let i = 0; i < runs.length; i++) {
                if (!this.walkRun(runs[i].start, runs[i].end, segmentIndex))
                    return;
            }
        }
        /** Walks [start, end); false when the segment's walk must end here. */
        walkRun(start, end, segmentIndex) {
            const granularity = this.layout.entry.granularity;
            const window = new MemoryWindow(this.memory, end);
            const e = this.entry;
            let cursor = start;
            let previousUnits = -1; // unknown for the first block of a run
            while (cursor < end) {
                if (!window.ensure(cursor, granularity)) {
                    this.findings.push({ kind: "Unreadable", address: window.unreadableAt, message: `heap entry at 0x${cursor.toString(16)} is unreadable (memory at 0x${window.unreadableAt.toString(16)})` });
                    return false;
                }
                const at = cursor - window.base;
                this.decoder.decode(window.bytes, at, e);
                const size = e.size * granularity;
                if (!e.checksumOk || size === 0 || cursor + size > end) {
                    const why = !e.checksumOk ? "header checksum mismatch" : `size 0x${size.toString(16)} runs past 0x${end.toString(16)}`;
                    this.findings.push({ kind: "Corruption", address: cursor, message: `corrupted heap entry at 0x${cursor.toString(16)}: ${why}` });
                    return false;
                }
                if (previousUnits >= 0 && e.previousSize !== previousUnits) {
                    this.findings.push({ kind: "Corruption", address: cursor, message: `heap entry at 0x${cursor.toString(16)}: PreviousSize 0x${e.previousSize.toString(16)} but the previous block has 0x${previousUnits.toString(16)} granules` });
                }
                const row = this.pushEntry(window, cursor, size, segmentIndex);
                if (this.blocks.state[row] === STATE_INTERNAL && (e.flags & FLAG_INTERNAL) !== 0) {
                    this.onInternal({ row, entry: cursor, end: cursor + size }, window);
                }
                previousUnits = e.size;
                cursor += size;
            }
            return true;
        }
        pushEntry(window, entry, size, segmentIndex) {
            const e = this.entry;
            const granularity = this.layout.entry.granularity;
            const row = this.row;
            row.address = entry;
            row.size = size;
            row.previousSize = e.previousSize * granularity;
            row.flags = e.flags;
            row.segment = segmentIndex;
            row.userAddress = entry + granularity;
            const unused = e.unusedBytes;
            if ((e.flags & FLAG_BUSY) === 0) {
                row.userSize = 0;
                row.state = STATE_FREE;
            }
            else if (unused < SMALLEST_UNUSED_COUNT) {
                row.userSize = size - unused;
                row.state = STATE_INTERNAL;
            }
            else {
                if (unused >= LFH_MARKER$1 || !decodeUserExtent(window, this.layout, entry, size, unused, row)) {
                    this.findings.push({ kind: "Corruption", address: entry, message: `heap entry at 0x${entry.toString(16)}: UnusedBytes 0x${unused.toString(16)} gives no user size that fits the block` });
                }
                row.state = (e.flags & FLAG_INTERNAL) !== 0 ? STATE_INTERNAL : STATE_BUSY;
            }
            return this.blocks.push(row);
        }
    }

    // The NT low-fragmentation heap front end (heap-internals.md §2.4). Its blocks live inside
    // UserBlocks containers, which are busy internal back-end blocks starting with a
    // _HEAP_USERDATA_HEADER (signature 0xF0E0D0C0); the container is found during the back-end
    // walk, so no LFH structure outside the heap has to be trusted to list the blocks.
    //   Windows 8-11: offsets decoded from EncodedOffsets with RtlpLFHKey, a busy bitmap, and a
    //   per-block SubSegmentCode that must decode back to the block's offset.
    //   Windows 7: blocks follow the header; size and count from the owning _HEAP_SUBSEGMENT.
    // In both, a block is busy when UnusedBytes & 0x3F is not 0 (§2.4 step 6; UNVERIFIED for Windows 7).
    const USERDATA_SIGNATURE = 0xf0e0d0c0;
    const LFH_MARKER = 0x80;
    class LfhDecoder {
        constructor(memory, layout, lfh, heap, lfhHeap, lfhKey, blocks, findings) {
            this.memory = memory;
            this.layout = layout;
            this.lfh = lfh;
            this.heap = heap;
            this.lfhHeap = lfhHeap;
            this.lfhKey = lfhKey;
            this.blocks = blocks;
            this.findings = findings;
            this.row = { address: 0, userAddress: 0, size: 0, userSize: 0, previousSize: 0, state: 0, kind: KIND_LFH, flags: 0, segment: 0, container: 0 };
        }
        /** Lists the blocks of `container` if it is a UserBlocks; leaves other internal blocks alone. */
        decode(container, window) {
            // The container's user data, past any extended header (+ust, §2.7): where UserBlocks starts.
            const userBlocks = this.blocks.userAddress[container.row];
            const length = container.end - userBlocks;
            if (length < this.lfh.userDataHeaderSize)
                return;
            if (!window.ensure(userBlocks, length)) {
                this.findings.push({ kind: "Unreadable", address: window.unreadableAt, message: `internal block 0x${container.entry.toString(16)} (perhaps LFH UserBlocks) is unreadable at 0x${window.unreadableAt.toString(16)}: its blocks are not listed` });
                return;
            }
            const bytes = window.bytes;
            const at = userBlocks - window.base;
            if (u32(bytes, at + this.lfh.userDataSignature) !== USERDATA_SIGNATURE)
                return;
            const geometry = this.lfh.scheme === "win8" ? this.win8Geometry(bytes, at, userBlocks) : this.win7Geometry(bytes, at, userBlocks);
            if (!geometry)
                return;
            if (geometry.first + geometry.count * geometry.stride > length || geometry.stride < this.layout.entry.granularity) {
                this.corrupt(userBlocks, `${geometry.count} blocks of 0x${geometry.stride.toString(16)} bytes at offset 0x${geometry.first.toString(16)} do not fit the container`);
                return;
            }
            this.listBlocks(window, userBlocks, geometry, this.blocks.segment[container.row]);
        }
        win8Geometry(bytes, at, userBlocks) {
            if (this.lfhKey === undefined) {
                this.corrupt(userBlocks, "RtlpLFHKey is unknown (no ntdll symbol): LFH blocks cannot be decoded");
                return undefined;
            }
            const decoded = (u32(bytes, at + this.lfh.encodedOffsets) ^ low32(userBlocks) ^ low32(this.lfhHeap) ^ this.lfhKey) >>> 0;
            const first = decoded & 0xffff;
            const stride = decoded >>> 16;
            const count = u32(bytes, at + this.lfh.busyBitmapSize);
            // MemProcFS's sanity bounds on decoded offsets (§2.4 step 3).
            if (first % 8 !== 0 || first < this.lfh.userDataHeaderSize || first > 0x1000 || stride % 4 !== 0) {
                this.corrupt(userBlocks, `EncodedOffsets decode to an implausible first offset 0x${first.toString(16)} / stride 0x${stride.toString(16)}`);
                return undefined;
            }
            const bitmapAddress = pointer(bytes, at + this.lfh.busyBitmapBuffer, this.layout.pointerSize);
            const bitmap = this.readBitmap(bitmapAddress, count);
            if (!bitmap)
                this.corrupt(userBlocks, `busy bitmap at 0x${bitmapAddress.toString(16)} is unreadable`);
            return { first, stride, count, bitmap };
        }
        win7Geometry(bytes, at, userBlocks) {
            const subSegment = pointer(bytes, at + this.lfh.userDataSubSegment, this.layout.pointerSize);
            const span = Math.max(this.lfh.subSegmentUserBlocks + this.layout.pointerSize, this.lfh.subSegmentBlockSize + 2, this.lfh.subSegmentBlockCount + 2);
            let sub;
            try {
                sub = this.memory.read(subSegment, span);
            }
            catch (e) {
                this.corrupt(userBlocks, `its subsegment 0x${subSegment.toString(16)} is unreadable`);
                return undefined;
            }
            if (pointer(sub, this.lfh.subSegmentUserBlocks, this.layout.pointerSize) !== userBlocks) {
                this.corrupt(userBlocks, `its subsegment 0x${subSegment.toString(16)} does not point back to it`);
                return undefined;
            }
            const stride = u16(sub, this.lfh.subSegmentBlockSize) * this.layout.entry.granularity;
            return { first: this.lfh.userDataHeaderSize, stride, count: u16(sub, this.lfh.subSegmentBlockCount), bitmap: undefined };
        }
        readBitmap(address, count) {
            try {
                return this.memory.read(address, Math.ceil(count / 8));
            }
            catch (e) {
                return undefined;
            }
        }
        listBlocks(window, userBlocks, g, segment) {
            const entry = this.layout.entry;
            const granularity = entry.granularity;
            const blockDivisor = this.layout.pointerSize === 8 ? 16 : 8; // block >> 4 (x64) or >> 3 (x86)
            const codeShift = this.layout.pointerSize === 8 ? 12 : 13;
            const checkCodes = this.lfh.scheme === "win8" && entry.subSegmentCode !== undefined && this.lfhKey !== undefined;
            const heapKey = checkCodes ? (this.lfhKey ^ low32(this.heap)) >>> 0 : 0;
            let badMarker = 0, badCode = 0, badBitmap = 0, firstBad = 0;
            const row = this.row;
            row.segment = segment;
            row.container = userBlocks;
            row.size = g.stride;
            for (let i = 0; i < g.count; i++) {
                const block = userBlocks + g.first + i * g.stride;
                if (!window.ensure(block, granularity))
                    break; // the container was readable as a whole: only after a window move
                const at = block - window.base;
                const unused = window.bytes[at + entry.unusedBytes];
                const busy = (unused & 0x3f) !== 0;
                if ((unused & LFH_MARKER) === 0) {
                    if (badMarker + badCode + badBitmap === 0)
                        firstBad = block;
                    badMarker++;
                }
                if (checkCodes) {
                    const code = u32(window.bytes, at + entry.subSegmentCode);
                    const x = (code ^ heapKey ^ low32(Math.floor(block / blockDivisor))) >>> 0;
                    if ((x & 0xffff) !== 0 || x >>> codeShift !== block - userBlocks) {
                        if (badMarker + badCode + badBitmap === 0)
                            firstBad = block;
                        badCode++;
                    }
                }
                if (g.bitmap && ((g.bitmap[i >> 3] >> (i & 7)) & 1) !== (busy ? 1 : 0)) {
                    if (badMarker + badCode + badBitmap === 0)
                        firstBad = block;
                    badBitmap++;
                }
                row.address = block;
                row.state = busy ? STATE_BUSY : STATE_FREE;
                row.flags = busy ? 1 : 0;
                if (busy) {
                    decodeUserExtent(window, this.layout, block, g.stride, unused & 0x7f, row);
                }
                else {
                    row.userAddress = block + granularity;
                    row.userSize = 0;
                }
                this.blocks.push(row);
            }
            if (badMarker + badCode + badBitmap > 0) {
                const parts = [];
                if (badMarker)
                    parts.push(`${badMarker} without the LFH marker`);
                if (badCode)
                    parts.push(`${badCode} whose SubSegmentCode does not decode to their offset`);
                if (badBitmap)
                    parts.push(`${badBitmap} whose busy bit disagrees with UnusedBytes`);
                this.findings.push({ kind: "Corruption", address: firstBad, message: `LFH UserBlocks 0x${userBlocks.toString(16)}: ${parts.join(", ")} (first at 0x${firstBad.toString(16)})` });
            }
        }
        corrupt(userBlocks, message) {
            this.findings.push({ kind: "Corruption", address: userBlocks, message: `LFH UserBlocks 0x${userBlocks.toString(16)}: ${message}` });
        }
    }

    // Blocks too large for a segment: each in its own VirtualAlloc'd region, listed on
    // _HEAP.VirtualAllocdBlocks (heap-internals.md §2.3). The region starts with a
    // _HEAP_VIRTUAL_ALLOC_ENTRY whose BusyBlock header is encoded like any other, and whose
    // Size field holds the unused byte count: requested = CommitSize - unused - sizeof(entry).
    const MAX_VIRTUAL_BLOCKS = 1 << 20;
    const MAX_COMMIT = Math.pow(2, 40);
    /** Appends the heap's VirtualAlloc'd blocks to `blocks`; returns how many were listed. */
    function walkVirtualAllocs(memory, layout, decoder, heap, blocks, findings) {
        const va = layout.virtualAlloc;
        const list = walkList(memory, heap + layout.heap.virtualAllocdBlocks, MAX_VIRTUAL_BLOCKS);
        if (list.problem)
            findings.push({ kind: "Corruption", address: list.problem.address, message: `VirtualAlloc list: ${list.problem.message}` });
        const header = newDecodedEntry();
        let listed = 0;
        for (let i = 0; i < list.links.length; i++) {
            const entry = list.links[i] - va.entry;
            let bytes;
            try {
                bytes = memory.read(entry, va.size);
            }
            catch (e) {
                findings.push({ kind: "Unreadable", address: entry, message: `VirtualAlloc block at 0x${entry.toString(16)} is unreadable` });
                continue;
            }
            const commit = pointer(bytes, va.commitSize, layout.pointerSize);
            decoder.decode(bytes, va.busyBlock, header);
            const userSize = commit - header.size - va.size;
            if (!header.checksumOk || !(commit > 0 && commit <= MAX_COMMIT) || userSize < 0) {
                findings.push({ kind: "Corruption", address: entry + va.busyBlock, message: `VirtualAlloc block at 0x${entry.toString(16)}: bad header (checksum ${header.checksumOk ? "ok" : "mismatch"}, CommitSize 0x${commit.toString(16)})` });
                continue;
            }
            blocks.push({
                address: entry + va.busyBlock,
                userAddress: entry + va.size,
                size: commit,
                userSize,
                previousSize: 0,
                state: STATE_BUSY,
                kind: KIND_VIRTUAL_ALLOC,
                flags: header.flags,
                segment: -1,
                container: 0,
            });
            listed++;
        }
        return listed;
    }

    // One walk of one NT heap: its segments' back-end entries (with the LFH blocks inside their
    // UserBlocks containers) and its VirtualAlloc'd blocks, as a columnar BlockTable plus findings.
    // Nothing here throws for bad target memory: what cannot be read or trusted becomes a finding.
    /** _HEAP.FrontEndHeapType of the LFH (heap-internals.md §1.2). */
    const FRONT_END_LFH = 2;
    function walkNtHeap(memory, layout, lfhKey, heap) {
        const findings = [];
        const blocks = new BlockTable();
        const walk = {
            heap,
            granularity: layout.entry.granularity,
            segments: [],
            blocks,
            virtualBlockCount: 0,
            lfh: false,
            counters: { lockCollisions: 0, totalMemoryLargeUCR: 0 },
            findings,
        };
        const h = layout.heap;
        const p = layout.pointerSize;
        let header;
        try {
            header = memory.read(heap.address, heapHeaderSpan(layout));
        }
        catch (e) {
            findings.push({ kind: "Unreadable", address: heap.address, message: `heap header at 0x${heap.address.toString(16)} is unreadable` });
            return walk;
        }
        // The key is the 8 core bytes of _HEAP.Encoding; an unencoded heap XORs with zeros (§2.2).
        const key = u32(header, h.encodeFlagMask) !== 0
            ? header.slice(h.encoding + layout.entry.core, h.encoding + layout.entry.core + 8)
            : new Uint8Array(8);
        const decoder = new EntryDecoder(layout.entry, key);
        walk.lfh = header[h.frontEndHeapType] === FRONT_END_LFH;
        if (h.lockCollisions !== undefined)
            walk.counters.lockCollisions = u32(header, h.lockCollisions);
        if (h.totalMemoryLargeUCR !== undefined)
            walk.counters.totalMemoryLargeUCR = pointer(header, h.totalMemoryLargeUCR, p);
        let lfh;
        if (walk.lfh && layout.lfh) {
            lfh = new LfhDecoder(memory, layout, layout.lfh, heap.address, pointer(header, h.frontEndHeap, p), lfhKey, blocks, findings);
        }
        else if (walk.lfh) {
            findings.push({ kind: "Corruption", address: heap.address, message: "the LFH is active but ntdll's symbols lack its types (_HEAP_USERDATA_HEADER, _HEAP_SUBSEGMENT): LFH blocks are listed as their containers only" });
        }
        const backend = new BackendWalker(memory, layout, decoder, blocks, findings, (container, window) => {
            if (lfh)
                lfh.decode(container, window);
        });
        walk.segments = readSegments(memory, layout, heap.address, findings);
        for (let i = 0; i < walk.segments.length; i++)
            backend.walkSegment(walk.segments[i], i);
        walk.virtualBlockCount = walkVirtualAllocs(memory, layout, decoder, heap.address, blocks, findings);
        return walk;
    }
    /** Bytes of _HEAP the walk reads: up to the last field it uses. */
    function heapHeaderSpan(layout) {
        const h = layout.heap;
        let end = Math.max(h.encoding + layout.entry.granularity, h.frontEndHeap + layout.pointerSize, h.frontEndHeapType + 1, h.encodeFlagMask + 4);
        if (h.lockCollisions !== undefined)
            end = Math.max(end, h.lockCollisions + 4);
        if (h.totalMemoryLargeUCR !== undefined)
            end = Math.max(end, h.totalMemoryLargeUCR + layout.pointerSize);
        return end;
    }

    class SegmentModel {
        constructor(__segment) {
            this.__segment = __segment;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Address: "The _HEAP_SEGMENT (the _HEAP itself for the first segment)",
                BaseAddress: "Start of the segment's reservation",
                FirstEntry: "The first block after the segment header",
                LastValidEntry: "End of the segment's reservation",
                ReservedBytes: "LastValidEntry - BaseAddress",
                CommittedBytes: "ReservedBytes minus the uncommitted ranges",
                UncommittedRanges: "The segment's uncommitted ranges, from UCRSegmentList",
            });
        }
        get Address() {
            return toInt64(this.__segment.address);
        }
        get BaseAddress() {
            return toInt64(this.__segment.baseAddress);
        }
        get FirstEntry() {
            return toInt64(this.__segment.firstEntry);
        }
        get LastValidEntry() {
            return toInt64(this.__segment.lastValidEntry);
        }
        get ReservedBytes() {
            return this.__segment.reservedBytes;
        }
        get CommittedBytes() {
            return this.__segment.committedBytes;
        }
        get UncommittedRanges() {
            return this.__segment.uncommittedRanges.map((range) => new UncommittedRangeModel(range));
        }
        toString() {
            const s = this.__segment;
            return `Segment ${hex0x(s.address)} [${hex0x(s.firstEntry)}, ${hex0x(s.lastValidEntry)}) committed ${hex0x(s.committedBytes)}`;
        }
    }
    class UncommittedRangeModel {
        constructor(__range) {
            this.__range = __range;
        }
        get Address() {
            return toInt64(this.__range.address);
        }
        get Size() {
            return this.__range.size;
        }
        toString() {
            return `${hex0x(this.__range.address)} - ${hex0x(this.__range.address + this.__range.size)} uncommitted`;
        }
    }

    class HeapModel {
        constructor(__target, __descriptor) {
            this.__target = __target;
            this.__descriptor = __descriptor;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Address: "The heap handle",
                Type: "NT or Segment, from the heap's signature",
                Flags: "_HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags",
                ListedIn: "Where the heap was found: PEB (PEB.ProcessHeaps) and/or DescriptorList (ntdll!RtlpProcessHeaps)",
                Granularity: "Block granularity in bytes: sizeof(_HEAP_ENTRY) (8 on x86, 16 on x64)",
                Segments: "The heap's segments, from _HEAP.SegmentList",
                Blocks: "Every block of the heap (back end, LFH, VirtualAlloc'd); the heap is walked on first use",
                Findings: "What the walk could not read or trust: corrupted headers, unreadable pages, broken lists",
                Summary: "The !heap -s numbers of this heap",
            });
        }
        get Address() {
            return toInt64(this.__descriptor.address);
        }
        get Type() {
            return this.__descriptor.type;
        }
        get Flags() {
            return this.__descriptor.flags;
        }
        get ListedIn() {
            return this.__descriptor.listedIn.slice();
        }
        get Granularity() {
            return this.__target.layout.entry.granularity;
        }
        get Segments() {
            if (!this.__segments)
                this.__segments = this.walk().segments.map((segment) => new SegmentModel(segment));
            return this.__segments;
        }
        get Blocks() {
            return new BlockCollection(this);
        }
        get Findings() {
            return this.walk().findings.map((finding) => new FindingModel(finding));
        }
        get Summary() {
            return new HeapSummaryModel(summarizeHeap(this.walk()));
        }
        /** Methods are not listed by dx: these serve dxheap's own code. */
        descriptor() {
            return this.__descriptor;
        }
        walkIfDone() {
            return this.__walkResult;
        }
        /** The walk of this heap; segment heaps cannot be walked yet and say so. */
        walk() {
            if (this.__descriptor.type !== "NT") {
                throw new Error(`heap ${hex0x(this.__descriptor.address)} is a segment heap: dxheap does not walk segment heaps yet`);
            }
            if (!this.__walkResult) {
                this.__walkResult = walkNtHeap(this.__target.memory, this.__target.layout, this.__target.lfhKey, this.__descriptor);
            }
            return this.__walkResult;
        }
        toString() {
            const d = this.__descriptor;
            return `${d.type} heap ${hexAddress(d.address, this.__target.layout.pointerSize)} (flags ${hex0x(d.flags)})`;
        }
    }
    class FindingModel {
        constructor(__finding) {
            this.__finding = __finding;
        }
        get Kind() {
            return this.__finding.kind;
        }
        get Address() {
            return toInt64(this.__finding.address);
        }
        get Message() {
            return this.__finding.message;
        }
        toString() {
            return `${this.__finding.kind}: ${this.__finding.message}`;
        }
    }

    // What dxheap adds to every process object: dx @$curprocess.Heaps. Registered as a parent
    // model of Debugger.Models.Process, so `this` is the process (api-notes §1.2).
    /** The heaps of the target's process as dx objects, and what enumerating them found wrong. */
    function listHeaps(target) {
        const list = enumerateHeaps(target.memory, target.layout, target.peb);
        return { heaps: list.heaps.map((heap) => new HeapModel(target, heap)), findings: list.findings };
    }
    class ProcessHeapsExtension {
        /** Every heap of the process: PEB.ProcessHeaps and ntdll's process heap descriptor list. */
        get Heaps() {
            return listHeaps(Target.of(this)).heaps;
        }
    }

    class CommandContext {
        constructor() {
            this.target = Target.of();
            const list = listHeaps(this.target);
            this.heaps = list.heaps;
            this.enumerationFindings = list.findings;
        }
        get pointerSize() {
            return this.target.layout.pointerSize;
        }
        /** The NT heaps, walked, with their models (segment heaps are not walked yet). */
        ntHeaps() {
            return this.heaps.filter((h) => h.Type === "NT").map((model) => ({ model, walk: model.walk() }));
        }
        /** The heap whose handle is `address`; a one-line error naming the choices otherwise. */
        heapAt(address) {
            for (let i = 0; i < this.heaps.length; i++) {
                if (this.heaps[i].descriptor().address === address)
                    return this.heaps[i];
            }
            throw new Error(`0x${address.toString(16)} is not a heap of this process (!heaps lists them)`);
        }
        /** Prints `text` and then every finding of the walks done so far. */
        print(text) {
            const lines = [text];
            const findings = this.enumerationFindings.slice();
            for (let i = 0; i < this.heaps.length; i++) {
                const walk = this.heaps[i].walkIfDone();
                if (walk)
                    findings.push(...walk.findings);
            }
            for (let i = 0; i < findings.length; i++)
                lines.push(`WARNING: ${findings[i].kind}: ${findings[i].message}\n`);
            host.diagnostics.debugLog(lines.join(""));
        }
    }

    // Text renderers for the `!heap` look-alike commands. Column order, widths and hex style
    // copy real WinDbg output: the seeds (000/001: -s, -stat, -flt; 003/004: -x, -srch) and
    // public transcripts of the modern x86/x64 layouts where a seed has only one width.
    // Every renderer returns lines ending in "\n". Choices not backed by a sample say so.
    /**
     * The fragmentation lines under a row print only past a threshold (§3.1: unknown). These
     * thresholds are INFERRED to fit every sample table (seeds 000 and 001, §3.1, and four
     * public x86/x64 transcripts):
     *  - "External fragmentation" prints from 10 % (printed values: 13–93 %; seed 000 prints it
     *    for heaps with as few as 27 free blocks and 189 KiB free, so no size condition shows).
     *  - "Virtual address fragmentation" prints from 10 % when at least 32 MiB is reserved but
     *    uncommitted. Printed: 34 % with 42.8 MiB uncommitted (seed 000), 84 % with 643 MiB
     *    (§3.1). Not printed: 55–81 % with under 18 MiB (seed 000, transcripts) and 20 % with
     *    16 MiB (seed 001, heap 00d40000).
     */
    const FRAGMENTATION_PERCENT_THRESHOLD = 10;
    const VA_FRAGMENTATION_MIN_UNCOMMITTED_BYTES = 32 * 1024 * 1024;
    /** The banner of seeds 000/001 ("NT HEAP STATS BELOW", preceded by two empty lines). */
    const STARS = "*".repeat(120);
    const SUMMARY_HEADER_1 = "  Heap     Flags   Reserv  Commit  Virt   Free  List   UCR  Virt  Lock  Fast ";
    const SUMMARY_HEADER_2 = "                    (k)     (k)    (k)     (k) length      blocks cont. heap ";
    /**
     * `!heap -s` for all heaps. x64 shifts the header right by 8 and widens the rule to 85
     * (public x64 transcripts). "Termination on corruption" is not printed: nothing here
     * knows it (its ntdll variable is UNVERIFIED, §3.1).
     */
    function formatHeapSummaryTable(summaries, options) {
        const widen = " ".repeat(options.pointerSize * 2 - 8);
        const rule = "-".repeat(77 + widen.length);
        const lines = ["", "", STARS, " ".repeat(46) + "NT HEAP STATS BELOW", STARS];
        if (options.lfhKey !== undefined)
            lines.push("LFH Key                   : 0x" + lfhKeyDigits(options.lfhKey, options.pointerSize));
        lines.push(widen + SUMMARY_HEADER_1, widen + SUMMARY_HEADER_2, rule);
        for (let i = 0; i < summaries.length; i++) {
            lines.push(summaryRow(summaries[i], options.pointerSize));
            appendFragmentationLines(summaries[i], lines);
        }
        lines.push(rule);
        return joinLines(lines);
    }
    function lfhKeyDigits(key, pointerSize) {
        if (typeof key === "number")
            return padHex(key, pointerSize * 2);
        return padHex(key.high, 8) + padHex(key.low, 8);
    }
    /** Widths measured on the whitespace-exact rows of seed 001; sizes in decimal KiB, Lock cont. in hex. */
    function summaryRow(s, pointerSize) {
        return (hexAddress(s.heapAddress, pointerSize) +
            " " +
            padHex(s.flags, 8) +
            padLeft(String(kib(s.reservedBytes)), 8) +
            padLeft(String(kib(s.committedBytes)), 7) +
            padLeft(String(kib(s.virtualBytes)), 7) +
            padLeft(String(kib(s.freeBytes)), 7) +
            padLeft(String(s.freeBlockCount), 6) +
            padLeft(String(s.uncommittedRangeCount), 6) +
            padLeft(String(s.virtualBlockCount), 5) +
            padLeft(hex(s.lockContention), 7) +
            padLeft(s.fastHeap, 6));
    }
    function appendFragmentationLines(s, lines) {
        if (s.externalFragmentation >= FRAGMENTATION_PERCENT_THRESHOLD) {
            lines.push(`    External fragmentation  ${s.externalFragmentation} % (${s.freeBlockCount} free blocks)`);
        }
        const uncommitted = s.reservedBytes - s.committedBytes;
        if (s.virtualAddressFragmentation >= FRAGMENTATION_PERCENT_THRESHOLD &&
            uncommitted >= VA_FRAGMENTATION_MIN_UNCOMMITTED_BYTES) {
            // "uncommited" is WinDbg's spelling.
            lines.push(`    Virtual address fragmentation  ${s.virtualAddressFragmentation} % (${s.uncommittedRangeCount} uncommited ranges)`);
        }
    }
    function kib(bytes) {
        return Math.floor(bytes / 1024);
    }
    // ---------------------------------------------------------------------------------------
    // !heap -stat -h
    /** Only TOTSIZE is seen in real output; ALLOCATIONSIZE and BLOCKCOUNT are UNVERIFIED (§3.2). */
    const GROUP_BY_LABELS = { A: "ALLOCATIONSIZE", B: "BLOCKCOUNT", S: "TOTSIZE" };
    /** `!heap -stat -h HEAP`, as in seed 001 (whitespace-exact): sizes in hex, percent to 2 decimals. */
    function formatSizeStatistics(heapAddress, groupBy, maxRows, stats, pointerSize) {
        const lines = [
            " heap @ " + hexAddress(heapAddress, pointerSize),
            "group-by: " + GROUP_BY_LABELS[groupBy] + " max-display: " + maxRows,
            "    size     #blocks     total     ( %) (percent of total busy bytes)",
        ];
        for (let i = 0; i < stats.rows.length; i++) {
            const row = stats.rows[i];
            // The seeds' percentages fit printf("%.2f") rounding and not truncation.
            lines.push(`    ${hex(row.size)} ${hex(row.count)} - ${hex(row.total)}  (${row.percent.toFixed(2)})`);
        }
        return joinLines(lines);
    }
    // ---------------------------------------------------------------------------------------
    // !heap -flt
    /**
     * One heap's part of `!heap -flt` (seed 001, whitespace-exact; x64 widths from public
     * transcripts): "_HEAP @" with the address unpadded, then, when rows match, the header and
     * one line per row. Size and Prev are in granules, UserSize is at least 5 hex digits.
     */
    function formatBlockRows(walk, rows, pointerSize) {
        const lines = ["    _HEAP @ " + hex(walk.heap.address)];
        if (rows.length > 0) {
            const digits = pointerSize * 2;
            lines.push(padLeft("HEAP_ENTRY", 8 + digits) + " Size Prev Flags" + padLeft("UserPtr", digits + 3) + " UserSize - state");
        }
        const blocks = walk.blocks;
        for (let i = 0; i < rows.length; i++) {
            const row = rows[i];
            lines.push("        " +
                hexAddress(blocks.address[row], pointerSize) +
                " " +
                padHex(granules(walk, blocks.size[row]), 4) +
                " " +
                padHex(granules(walk, blocks.previousSize[row]), 4) +
                "  [" +
                padHex(entryFlagsColumn(blocks.flags[row]), 2) +
                "]   " +
                hexAddress(blocks.userAddress[row], pointerSize) +
                "    " +
                padHex(blocks.userSize[row], 5) +
                " - " +
                entryStateText(blocks, row));
        }
        return joinLines(lines);
    }
    // ---------------------------------------------------------------------------------------
    // !heap -x [-v]
    /**
     * `!heap -x` for one block: the modern layout with the Unused column and a rule (public
     * x86 and x64 transcripts; seeds 003/004 show an older one without them). Size, PrevSize
     * and Unused in bytes. LFH rows print PrevSize "-" (§6c.6) and, in the Segment column, the
     * UserBlocks container (WinDbg prints the owning _HEAP_SUBSEGMENT, which the walk does not
     * record); VirtualAlloc rows print Segment 0 (a choice). With `references` (-v), the
     * "Search VM" line follows: the range is [entry, entry + size − 1], each hit "loc (value),"
     * as in seeds 003/004 (separating several hits by a space is a choice).
     */
    function formatFoundBlock(walk, row, pointerSize, references) {
        const digits = pointerSize * 2;
        const blocks = walk.blocks;
        const lines = [
            padRight("Entry", digits + 2) +
                padRight("User", digits + 2) +
                padRight("Heap", digits + 2) +
                padRight("Segment", digits) +
                padLeft("Size", 10) +
                padLeft("PrevSize", 10) +
                "  Unused    Flags",
            "-".repeat(45 + 4 * digits),
            hexAddress(blocks.address[row], pointerSize) +
                "  " +
                hexAddress(blocks.userAddress[row], pointerSize) +
                "  " +
                hexAddress(walk.heap.address, pointerSize) +
                "  " +
                hexAddress(segmentColumn(walk, row), pointerSize) +
                padLeft(hex(blocks.size[row]), 10) +
                (blocks.kind[row] === KIND_LFH ? "      -   " : padLeft(hex(blocks.previousSize[row]), 10)) +
                padLeft(hex(unusedBytes(blocks, row)), 10) +
                "  " +
                flagWords(blocks, row),
        ];
        if (references) {
            const start = blocks.address[row];
            const hits = [];
            for (let i = 0; i < references.length; i++) {
                hits.push(hexAddress(references[i].location, pointerSize) + " (" + hexAddress(references[i].value, pointerSize) + "),");
            }
            lines.push("", "Search VM for address range " +
                hexAddress(start, pointerSize) +
                " - " +
                hexAddress(start + blocks.size[row] - 1, pointerSize) +
                " : " +
                hits.join(" "));
        }
        return joinLines(lines);
    }
    function segmentColumn(walk, row) {
        const blocks = walk.blocks;
        if (blocks.kind[row] === KIND_LFH)
            return blocks.container[row];
        const segment = walk.segments[blocks.segment[row]];
        return segment ? segment.address : 0;
    }
    function unusedBytes(blocks, row) {
        return blocks.state[row] === STATE_FREE ? 0 : Math.max(0, blocks.size[row] - blocks.userSize[row]);
    }
    /**
     * The Flags words of `!heap -x` / `-l`, each followed by a space as in the transcripts
     * ("busy ", "busy extra fill ", "LFH;busy "); "internal" is preceded by a second space
     * ("busy extra fill  internal"). "VirtualAlloc" and "LFH;free" are choices; "user_flag"
     * (any settable flag) is from seeds 003/004.
     */
    function flagWords(blocks, row) {
        const state = blocks.state[row];
        const kind = blocks.kind[row];
        const busyOrFree = state === STATE_FREE ? "free " : "busy ";
        if (kind === KIND_LFH)
            return "LFH;" + busyOrFree;
        const flags = blocks.flags[row];
        let words = busyOrFree;
        if (flags & FLAG_EXTRA_PRESENT)
            words += "extra ";
        if (flags & FLAG_FILL_PATTERN)
            words += "fill ";
        if (kind === KIND_VIRTUAL_ALLOC)
            words += "VirtualAlloc ";
        else if (state === STATE_INTERNAL || flags & FLAG_INTERNAL)
            words += " internal ";
        if (flags & FLAG_SETTABLE)
            words += "user_flag ";
        return words;
    }
    // ---------------------------------------------------------------------------------------
    // !heap -srch
    /**
     * `!heap -srch`, as in seed 004 (whitespace-exact): for every hit the "_HEAP @" and header
     * lines again, the entry in upper-case hex with Size/Prev in granules, and, when given, the
     * symbol of the pattern value (every hit holds the same value, so one symbol serves all).
     * UserSize is printed with the pointer's width of digits (8 in the sample; 16 on x64 is a choice).
     */
    function formatSearchHits(walk, hits, pointerSize, patternSymbol) {
        const blocks = walk.blocks;
        const lines = [];
        for (let i = 0; i < hits.length; i++) {
            const row = hits[i].row;
            lines.push("    _HEAP @ " + upperAddress(walk.heap.address, pointerSize), "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state", "        " +
                upperAddress(blocks.address[row], pointerSize) +
                ": " +
                upperHex(granules(walk, blocks.size[row]), 4) +
                " : " +
                upperHex(granules(walk, blocks.previousSize[row]), 4) +
                " [" +
                upperHex(entryFlagsColumn(blocks.flags[row]), 2) +
                "] - " +
                upperAddress(blocks.userAddress[row], pointerSize) +
                " (" +
                upperAddress(blocks.userSize[row], pointerSize) +
                ") - " +
                entryStateText(blocks, row));
        }
        return joinLines(lines);
    }
    // ---------------------------------------------------------------------------------------
    // Shared pieces
    /**
     * The Flags column of -flt / -srch rows. Every modern sample prints [00] for busy blocks,
     * backend and VirtualAlloc alike (seeds 000/001, §6c.7), so the bits the state column
     * spells out (busy, VirtualAlloc/internal) are left out here. INFERRED; the XP-era samples
     * printed the raw byte ([01] in seed 004's -srch, [07] in §3.3's -flt legend).
     */
    function entryFlagsColumn(flags) {
        return flags & -10;
    }
    /** "(busy)", "(busy VirtualAlloc)" (seed 000), "(free)"; "(busy LFH)" and "(busy internal)" are choices. */
    function entryStateText(blocks, row) {
        let text = blocks.state[row] === STATE_FREE ? "(free" : "(busy";
        const kind = blocks.kind[row];
        if (kind === KIND_VIRTUAL_ALLOC)
            text += " VirtualAlloc";
        else if (kind === KIND_LFH)
            text += " LFH";
        else if (blocks.state[row] === STATE_INTERNAL)
            text += " internal";
        return text + ")";
    }
    function granules(walk, bytes) {
        return Math.floor(bytes / walk.granularity);
    }
    function upperAddress(value, pointerSize) {
        return hexAddress(value, pointerSize).toUpperCase();
    }
    function upperHex(value, width) {
        return padHex(value, width).toUpperCase();
    }
    function padLeft(text, width) {
        return text.length >= width ? text : " ".repeat(width - text.length) + text;
    }
    function padRight(text, width) {
        return text.length >= width ? text : text + " ".repeat(width - text.length);
    }
    function joinLines(lines) {
        return lines.length === 0 ? "" : lines.join("\n") + "\n";
    }

    // The ! commands. Each prints what the matching !heap switch prints and returns the same
    // result as dx objects, so `!heapfilter 0x400000` reads like `!heap -flt s 400000` and
    // `dx @$heapfilter(0x400000).First().UserAddress` goes on from there.
    const GROUPS = ["A", "B", "S"];
    const DEFAULT_MAX_ROWS = 20;
    /** !heaps — !heap -s: one row per NT heap, with the fragmentation lines. */
    function heaps() {
        const context = new CommandContext();
        const nt = context.ntHeaps();
        const summaries = nt.map((h) => summarizeHeap(h.walk));
        let text = formatHeapSummaryTable(summaries, { pointerSize: context.pointerSize, lfhKey: context.target.lfhKey });
        const segmentHeaps = context.heaps.filter((h) => h.Type === "Segment");
        if (segmentHeaps.length > 0) {
            text += "Segment heaps (not walked yet):\n";
            for (let i = 0; i < segmentHeaps.length; i++) {
                const d = segmentHeaps[i].descriptor();
                text += `${hexAddress(d.address, context.pointerSize)} ${hex(d.flags)}\n`;
            }
        }
        context.print(text);
        return summaries.map((s) => new HeapSummaryModel(s));
    }
    /** !heapstat [heap] [, "A"|"B"|"S"] [, max] — !heap -stat -h: busy blocks grouped by requested size. */
    function heapstat(heap, groupBy, maxRows) {
        const address = optional("heapstat", "a heap address (0 or nothing for all heaps)", heap, 0);
        const group = choice("heapstat", "a grouping", groupBy, GROUPS, "S");
        const max = optional("heapstat", "a row count", maxRows, DEFAULT_MAX_ROWS);
        if (max < 1)
            throw new Error(`heapstat: expected a row count of at least 1, got ${max}`);
        const context = new CommandContext();
        const chosen = address === 0 ? context.ntHeaps() : [onlyNtHeap(context, address, "heapstat")];
        let text = "";
        const results = [];
        for (let i = 0; i < chosen.length; i++) {
            const stats = sizeStatistics(chosen[i].walk, group, max);
            text += formatSizeStatistics(chosen[i].walk.heap.address, group, max, stats, context.pointerSize);
            results.push(new SizeStatisticsModel(chosen[i].walk.heap.address, group, stats));
        }
        context.print(text);
        return results;
    }
    /** !heapfilter size [, maxExclusive] — !heap -flt s / -flt r: busy blocks by requested size, [size, max). */
    function heapfilter(size, maxExclusive) {
        const min = required("heapfilter", "a size", size);
        const max = optional("heapfilter", "an exclusive upper bound", maxExclusive, min + 1);
        if (max <= min)
            throw new Error(`heapfilter: the upper bound 0x${hex(max)} must be above the size 0x${hex(min)} (the range is [size, max))`);
        const context = new CommandContext();
        const nt = context.ntHeaps();
        let text = "";
        const results = [];
        for (let i = 0; i < nt.length; i++) {
            const rows = filterBySize(nt[i].walk, min, max);
            text += formatBlockRows(nt[i].walk, rows, context.pointerSize);
            for (let r = 0; r < rows.length; r++)
                results.push(new BlockModel(nt[i].model, nt[i].walk, rows[r]));
        }
        context.print(text);
        return results;
    }
    /** !heapfind address [, true] — !heap -x [-v]: the block holding an address, and (true) every pointer into it. */
    function heapfind(address, searchReferences) {
        const target = required("heapfind", "an address", address);
        const withReferences = flag("heapfind", "whether to search the process for pointers into the block", searchReferences);
        const context = new CommandContext();
        const nt = context.ntHeaps();
        const location = findContainingBlock(nt.map((h) => h.walk), target);
        if (!location) {
            context.print(`0x${hex(target)} is not inside any block of the process's NT heaps\n`);
            return null;
        }
        const { model, walk } = nt[location.walkIndex];
        const start = walk.blocks.address[location.row];
        const references = withReferences
            ? findReferences(context.target.memory, context.target.regions(), start, start + walk.blocks.size[location.row], context.pointerSize)
            : undefined;
        context.print(formatFoundBlock(walk, location.row, context.pointerSize, references));
        return new FoundBlockModel(new BlockModel(model, walk, location.row), location.offset, references);
    }
    /** !heapsearch pattern [, width] — !heap -srch: where a 1, 2, 4 or 8-byte value occurs in busy user data. */
    function heapsearch(pattern, width) {
        if (pattern === undefined)
            throw new Error("heapsearch: expected a pattern");
        const context = new CommandContext();
        const bytes = optional("heapsearch", "a width (1, 2, 4 or 8)", width, context.pointerSize);
        if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8)
            throw new Error(`heapsearch: expected a width of 1, 2, 4 or 8, got ${bytes}`);
        const needle = patternBytes("heapsearch", pattern, bytes);
        const nt = context.ntHeaps();
        let text = "";
        const results = [];
        for (let i = 0; i < nt.length; i++) {
            const hits = searchPattern(context.target.memory, nt[i].walk, needle);
            if (hits.length > 0)
                text += formatSearchHits(nt[i].walk, hits, context.pointerSize);
            for (let h = 0; h < hits.length; h++)
                results.push(new PatternHitModel(new BlockModel(nt[i].model, nt[i].walk, hits[h].row), hits[h].location));
        }
        context.print(text || "no match\n");
        return results;
    }
    function onlyNtHeap(context, address, command) {
        const model = context.heapAt(address);
        if (model.Type !== "NT")
            throw new Error(`${command}: heap 0x${hex(address)} is a segment heap, which dxheap does not walk yet`);
        return { model, walk: model.walk() };
    }

    // dxheap's entry points, as WinDbg's JavaScript provider calls them (api-notes §1.1):
    // initializeScript returns one flat list of registrations; nothing is registered imperatively,
    // so uninitializeScript has nothing to undo.
    function initializeScript() {
        return [
            new host.apiVersionSupport(1, 3),
            new host.namedModelParent(ProcessHeapsExtension, "Debugger.Models.Process"),
            new host.functionAlias(heaps, "heaps"),
            new host.functionAlias(heapstat, "heapstat"),
            new host.functionAlias(heapfilter, "heapfilter"),
            new host.functionAlias(heapfind, "heapfind"),
            new host.functionAlias(heapsearch, "heapsearch"),
        ];
    }
    function uninitializeScript() { }

    exports.initializeScript = initializeScript;
    exports.uninitializeScript = uninitializeScript;

    return exports;

})({});
function initializeScript() { return __dxheap.initializeScript.apply(this, arguments); }
function uninitializeScript() { return __dxheap.uninitializeScript.apply(this, arguments); }
