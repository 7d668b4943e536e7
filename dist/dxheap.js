// dxheap: Windows heaps as WinDbg data-model objects. Load with .scriptload dxheap.js
"use strict";
var __dxheap = (function (exports) {

    const BLOCK_STATES = ["Busy", "Free", "Internal", "Freed"];
    const BLOCK_KINDS = ["Backend", "LFH", "VirtualAlloc", "VS", "Large", "PageRange", "PageHeap"];
    const STATE_BUSY = 0;
    const STATE_FREE = 1;
    const STATE_INTERNAL = 2;
    const STATE_FREED = 3;
    const KIND_BACKEND = 0;
    const KIND_LFH = 1;
    const KIND_VIRTUAL_ALLOC = 2;
    const KIND_VS = 3;
    const KIND_LARGE = 4;
    const KIND_PAGE_RANGE = 5;
    const KIND_PAGE_HEAP = 6;
    /** No container / no segment. */
    const NONE = -1;
    /** Rows per chunk: a chunk never moves once made, so growing the table never copies it. */
    const CHUNK_ROWS = 1 << 16;
    const U32_MAX = 0xffffffff;
    const I16_MAX = 0x7fff;
    /**
     * Collects rows while a walk runs, in fixed-size chunks (growing never copies), and seals them
     * into one exact-size BlockTable at the end: one copy in all, and no slack kept. A column starts
     * 32 bits (16 for segment) wide and is widened, once, by the first value that needs it.
     */
    class BlockTableBuilder {
        constructor() {
            /** Every chunk, the one being filled last. */
            this.chunks = [];
            /** The largest value each narrow column holds; Infinity once widened. */
            this.addressLimit = U32_MAX;
            this.sizeLimit = U32_MAX;
            this.segmentLimit = I16_MAX;
            this.traced = false;
            this.current = this.newChunk(0);
        }
        get count() {
            return this.current.firstRow + this.current.count;
        }
        /** Appends a row; returns its index. */
        push(address, userAddress, size, userSize, state, kind, segment, container, previousSize, flags) {
            // NaN and negative values fail these too, and so widen the column that then holds them as given.
            if (!(address >= 0 && address <= this.addressLimit && userAddress >= 0 && userAddress <= this.addressLimit))
                this.widen("address");
            if (!(size >= 0 && size <= this.sizeLimit && userSize >= 0 && userSize <= this.sizeLimit))
                this.widen("size");
            if (segment > this.segmentLimit)
                this.widen("segment");
            let c = this.current;
            if (c.count === CHUNK_ROWS)
                c = this.newChunk(c.firstRow + c.count);
            const i = c.count++;
            c.address[i] = address;
            c.userAddress[i] = userAddress;
            c.size[i] = size;
            c.userSize[i] = userSize;
            c.state[i] = state;
            c.kind[i] = kind;
            c.segment[i] = segment;
            c.container[i] = container;
            c.previousSize[i] = previousSize;
            c.flags[i] = flags;
            return c.firstRow + i;
        }
        /**
         * The chunk to write `rows` more rows into (rows ≤ CHUNK_ROWS), for a walker that appends many
         * at once (an LFH UserBlocks' blocks): it writes them from index chunk.count on, straight into
         * the columns, and adds how many it wrote to chunk.count. No address may exceed `addresses`, no
         * size `sizes`, no segment index be one no row pushed before had; previousSize and trace stay 0.
         */
        reserve(rows, addresses, sizes) {
            if (!(rows <= CHUNK_ROWS))
                throw new RangeError(`${rows} rows do not fit one chunk of ${CHUNK_ROWS}`);
            if (!(addresses <= this.addressLimit))
                this.widen("address");
            if (!(sizes <= this.sizeLimit))
                this.widen("size");
            const c = this.current;
            return c.count + rows <= CHUNK_ROWS ? c : this.newChunk(c.firstRow + c.count);
        }
        userAddressOf(row) {
            const c = this.chunkOf(row);
            return c.userAddress[row - c.firstRow];
        }
        segmentOf(row) {
            const c = this.chunkOf(row);
            return c.segment[row - c.firstRow];
        }
        /** Records where the trace of a pushed row is (see BlockTable.trace); the column exists only once used. */
        setTrace(row, value) {
            const c = this.chunkOf(row);
            if (!c.trace)
                c.trace = new Float64Array(CHUNK_ROWS);
            c.trace[row - c.firstRow] = value;
            this.traced = true;
        }
        seal() {
            const all = this.chunks;
            const n = this.count;
            const wide = (limit, pick) => concat(limit === U32_MAX ? new Uint32Array(n) : new Float64Array(n), all, pick);
            const table = {
                count: n,
                address: wide(this.addressLimit, (c) => c.address),
                userAddress: wide(this.addressLimit, (c) => c.userAddress),
                size: wide(this.sizeLimit, (c) => c.size),
                userSize: wide(this.sizeLimit, (c) => c.userSize),
                state: concat(new Uint8Array(n), all, (c) => c.state),
                kind: concat(new Uint8Array(n), all, (c) => c.kind),
                segment: concat(this.segmentLimit === I16_MAX ? new Int16Array(n) : new Int32Array(n), all, (c) => c.segment),
                container: concat(new Int32Array(n), all, (c) => c.container),
                previousSize: concat(new Uint32Array(n), all, (c) => c.previousSize),
                flags: concat(new Uint8Array(n), all, (c) => c.flags),
                trace: this.traced ? concatOptional(new Float64Array(n), all) : undefined,
            };
            this.chunks = [];
            this.traced = false;
            this.current = this.newChunk(0);
            return table;
        }
        /** A fresh chunk, the one now filled, its first row `firstRow`. */
        newChunk(firstRow) {
            const n = CHUNK_ROWS;
            const addresses = () => (this.addressLimit === U32_MAX ? new Uint32Array(n) : new Float64Array(n));
            const sizes = () => (this.sizeLimit === U32_MAX ? new Uint32Array(n) : new Float64Array(n));
            const c = {
                firstRow,
                count: 0,
                address: addresses(),
                userAddress: addresses(),
                size: sizes(),
                userSize: sizes(),
                state: new Uint8Array(n),
                kind: new Uint8Array(n),
                segment: this.segmentLimit === I16_MAX ? new Int16Array(n) : new Int32Array(n),
                container: new Int32Array(n),
                previousSize: new Uint32Array(n),
                flags: new Uint8Array(n),
                trace: undefined,
            };
            this.chunks.push(c);
            this.current = c;
            return c;
        }
        /** Makes a column pair (or the segment column) wide in every chunk so far and in the chunks to come. */
        widen(which) {
            const toDoubles = (column) => (column instanceof Float64Array ? column : Float64Array.from(column));
            for (let i = 0; i < this.chunks.length; i++) {
                const c = this.chunks[i];
                if (which === "address") {
                    c.address = toDoubles(c.address);
                    c.userAddress = toDoubles(c.userAddress);
                }
                else if (which === "size") {
                    c.size = toDoubles(c.size);
                    c.userSize = toDoubles(c.userSize);
                }
                else if (c.segment instanceof Int16Array) {
                    c.segment = Int32Array.from(c.segment);
                }
            }
            if (which === "address")
                this.addressLimit = Infinity;
            else if (which === "size")
                this.sizeLimit = Infinity;
            else
                this.segmentLimit = Infinity;
        }
        /** The chunk holding a row: the current one, else found by binary search (chunks may end short of CHUNK_ROWS). */
        chunkOf(row) {
            if (row >= this.current.firstRow)
                return this.current;
            let low = 0;
            let high = this.chunks.length - 1;
            while (low < high) {
                const middle = (low + high + 1) >> 1;
                if (this.chunks[middle].firstRow <= row)
                    low = middle;
                else
                    high = middle - 1;
            }
            return this.chunks[low];
        }
    }
    /** The chunks' columns one after the other. */
    function concat(out, chunks, pick) {
        let offset = 0;
        for (let i = 0; i < chunks.length; i++) {
            const column = pick(chunks[i]);
            const n = chunks[i].count;
            out.set(n === column.length ? column : column.subarray(0, n), offset);
            offset += n;
        }
        return out;
    }
    /** The trace columns of all chunks, 0 where a chunk has none. */
    function concatOptional(out, chunks) {
        let offset = 0;
        for (let i = 0; i < chunks.length; i++) {
            const column = chunks[i].trace;
            const n = chunks[i].count;
            if (column)
                out.set(n === column.length ? column : column.subarray(0, n), offset);
            offset += n;
        }
        return out;
    }
    /** A walk with nothing in it yet: walkers fill it in; a heap that cannot be walked keeps it, with its finding. */
    function emptyHeapWalk(address, type, flags, granularity) {
        return {
            address,
            type,
            flags,
            granularity,
            segments: [],
            blocks: new BlockTableBuilder().seal(),
            virtualBlockCount: 0,
            counters: { lockContention: 0, largeUncommittedBytes: 0, frontEnd: "" },
            findings: [],
        };
    }

    // `!heap -flt s SIZE` / `-flt r MIN MAX` (docs/heap-structures.md §3.3): busy blocks whose user
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

    /** Largest piece read at once: a whole process costs (committed bytes / 1 MiB) reads. */
    const SCAN_CHUNK_BYTES = 1 << 20;
    const PAGE$6 = 0x1000;
    /**
     * The readable runs of [start, end), in address order. Pieces end on absolute multiples of
     * SCAN_CHUNK_BYTES, so a value aligned to its own width (1, 2, 4 or 8 bytes) never straddles two.
     */
    function* readableRuns(memory, start, end) {
        let at = start;
        while (at < end) {
            const pieceEnd = Math.min(end, (Math.floor(at / SCAN_CHUNK_BYTES) + 1) * SCAN_CHUNK_BYTES);
            const runs = memory.readRuns(at, pieceEnd - at);
            for (let i = 0; i < runs.length; i++)
                yield runs[i];
            at = runs.length > 0 ? pieceEnd : nextReadablePage(memory, pieceEnd, end);
        }
    }
    /** The first readable page at or after `from` (probing by doubling steps, then bisecting), or `end`. */
    function nextReadablePage(memory, from, end) {
        let unreadable = from - 1; // the last address known unreadable
        for (let step = SCAN_CHUNK_BYTES;; step *= 2) {
            const probe = Math.min(end - 1, from + step);
            if (!readable(memory, probe)) {
                if (probe === end - 1)
                    return end;
                unreadable = probe;
                continue;
            }
            // The first readable page lies in (unreadable, probe]: bisect on page boundaries.
            let low = Math.floor(unreadable / PAGE$6) + 1;
            let high = Math.floor(probe / PAGE$6);
            while (low < high) {
                const middle = Math.floor((low + high) / 2);
                if (readable(memory, middle * PAGE$6))
                    high = middle;
                else
                    low = middle + 1;
            }
            return Math.max(from, low * PAGE$6);
        }
    }
    function readable(memory, address) {
        return memory.readPrefix(address, 1).length === 1;
    }

    /** Work reading more than this prints its progress. */
    const PROGRESS_BYTES = 256 * 1024 * 1024;
    /** Lines at most this often. */
    const PROGRESS_PERIOD_MS = 3000;
    class Progress {
        constructor(what, total, clock, print) {
            this.what = what;
            this.total = total;
            this.clock = clock;
            this.print = print;
            this.done = 0;
            this.next = clock() + PROGRESS_PERIOD_MS;
            print(`dxheap: ${what}: ${amount(total)} to read\n`);
        }
        /**
         * Progress of `what` over about `total` bytes, told by advance(); undefined for work below
         * PROGRESS_BYTES. For lazy work (generators), which may stop anywhere.
         */
        static start(what, total, clock = () => Date.now(), print = (line) => host.diagnostics.debugLog(line)) {
            return total > PROGRESS_BYTES ? new Progress(what, total, clock, print) : undefined;
        }
        /** Runs work, the progress of `what` over about `total` bytes being what `memory` reads meanwhile. */
        static around(memory, what, total, work) {
            const progress = Progress.start(what, total);
            if (!progress)
                return work();
            const previous = memory.onRead;
            // Work started inside other work counts for both (a walk a leak scan needs, say).
            memory.onRead = (bytes) => {
                progress.advance(bytes);
                if (previous)
                    previous(bytes);
            };
            try {
                return work();
            }
            finally {
                memory.onRead = previous;
            }
        }
        advance(bytes) {
            this.done += bytes;
            const now = this.clock();
            if (now < this.next)
                return;
            this.next = now + PROGRESS_PERIOD_MS;
            // Reads may cross a little more than the estimate (gaps between blocks): never past 100 %.
            const done = Math.min(this.done, this.total);
            this.print(`dxheap: ${this.what}: ${amount(done)} of ${amount(this.total)} (${Math.floor((done * 100) / this.total)}%)\n`);
        }
    }
    function amount(bytes) {
        return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${Math.round(bytes / (1 << 20))} MiB`;
    }

    // `!heap -x -v ADDR` (docs/heap-structures.md §3.4): every pointer-sized, pointer-aligned value
    // in the process that points into a block (the block itself is found by src/heap/address-index.ts).
    const TWO_POW_32 = 4294967296;
    /**
     * Every aligned pointer-sized value in the regions' readable memory that lies in
     * [start, endExclusive), in address order, found as the regions are read (nothing is kept).
     */
    function* findReferences(memory, regions, start, endExclusive, pointerSize) {
        const found = [];
        let total = 0;
        for (let r = 0; r < regions.length; r++)
            total += regions[r].size;
        const progress = Progress.start(`searching for pointers into 0x${start.toString(16)}`, total);
        for (let r = 0; r < regions.length; r++) {
            const region = regions[r];
            for (const run of readableRuns(memory, region.base, region.base + region.size)) {
                if (progress)
                    progress.advance(run.bytes.length);
                collectPointersInRange(run, pointerSize, start, endExclusive, found);
                for (let i = 0; i < found.length; i++)
                    yield found[i];
                found.length = 0;
            }
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

    // Ordering rows that are already nearly in order. Walks list blocks in address order, except
    // VirtualAlloc'd blocks listed after the segments and heaps that interleave in memory: a few
    // ascending runs. Merging those runs costs O(n log runs) comparisons, where a general sort of
    // hundreds of thousands of rows costs O(n log n) calls of its comparator.
    /**
     * The positions 0..n-1 in ascending `keys` order; equal keys by `rank` (lower first), then by
     * position. `rank` may be omitted (all equal).
     */
    function orderByKey(keys, rank) {
        const n = keys.length;
        let order = new Int32Array(n);
        for (let i = 0; i < n; i++)
            order[i] = i;
        const precedes = (a, b) => keys[a] < keys[b] || (keys[a] === keys[b] && rank !== undefined && rank[a] < rank[b]);
        // Run boundaries: a run ends where the next position must come before the one ahead of it.
        let bounds = [0];
        for (let i = 1; i < n; i++)
            if (precedes(i, i - 1))
                bounds.push(i);
        bounds.push(n);
        let spare = new Int32Array(n);
        while (bounds.length > 2) {
            const merged = [0];
            for (let r = 0; r + 1 < bounds.length; r += 2) {
                const start = bounds[r];
                const middle = bounds[r + 1];
                const end = r + 2 < bounds.length ? bounds[r + 2] : middle;
                // Runs cover consecutive positions, so taking the left one on a tie keeps position order.
                let left = start, right = middle, out = start;
                while (left < middle && right < end)
                    spare[out++] = precedes(order[right], order[left]) ? order[right++] : order[left++];
                while (left < middle)
                    spare[out++] = order[left++];
                while (right < end)
                    spare[out++] = order[right++];
                merged.push(end);
            }
            bounds = merged;
            const swap = order;
            order = spare;
            spare = swap;
        }
        return order;
    }

    // Reading busy blocks' user data in few, large reads: the blocks sorted by UserPtr are grouped in
    // windows of at most SCAN_CHUNK_BYTES whose gaps are small (reading a few unused bytes is cheaper
    // than another host call), and one window is held at a time. Pattern search reads all of each
    // block; type names read only its first pointer.
    /** Blocks closer than this are read together. */
    const MAX_GAP_IN_WINDOW = 64 * 1024;
    /**
     * The busy blocks with at least `minimum` user bytes, window by window, each window's readable
     * runs covering [UserPtr, UserPtr + wanted(row)) of its rows.
     */
    function* busyDataWindows(memory, walk, minimum, wanted) {
        const { state, userSize, count } = walk.blocks;
        const user = walk.blocks.userAddress;
        // One pass, into arrays sized for every row and then cut to the busy ones.
        const rows = new Int32Array(count);
        const allStarts = new Float64Array(count);
        let n = 0;
        for (let i = 0; i < count; i++) {
            if (state[i] !== STATE_BUSY || userSize[i] < minimum)
                continue;
            allStarts[n] = user[i];
            rows[n++] = i;
        }
        // A walk lists most blocks in address order already (VirtualAlloc'd blocks and segments out of
        // order aside): a few runs to merge.
        const order = orderByKey(allStarts.subarray(0, n));
        for (let i = 0; i < n; i++)
            order[i] = rows[order[i]];
        // A window never spans memory the heap says is uncommitted: reading into it only fails.
        const holes = [];
        for (let s = 0; s < walk.segments.length; s++) {
            const ranges = walk.segments[s].uncommittedRanges;
            for (let u = 0; u < ranges.length; u++)
                holes.push(ranges[u].address);
        }
        holes.sort((a, b) => a - b);
        let hole = 0;
        let first = 0;
        while (first < order.length) {
            const start = user[order[first]];
            let end = start + wanted(order[first]);
            let last = first;
            while (hole < holes.length && holes[hole] < end)
                hole++;
            while (last + 1 < order.length) {
                const next = order[last + 1];
                const nextEnd = user[next] + wanted(next);
                if (user[next] - end > MAX_GAP_IN_WINDOW || nextEnd - start > SCAN_CHUNK_BYTES)
                    break;
                if (hole < holes.length && holes[hole] < user[next])
                    break;
                if (nextEnd > end)
                    end = nextEnd;
                last++;
            }
            const runs = [];
            for (const run of readableRuns(memory, start, end))
                runs.push(run);
            yield { rows: order.subarray(first, last + 1), runs };
            first = last + 1;
        }
    }

    // `!heap -srch [-b|-w|-d|-q] PATTERN` (docs/heap-structures.md §3.5): where a 1-, 2-, 4- or
    // 8-byte value occurs in the heap's busy user data. INFERRED there: only busy user ranges
    // [UserPtr, UserPtr + UserSize) are scanned, at offsets aligned to the pattern width.
    /**
     * Hits in address order, found as the heap is read: one window of blocks (at most
     * SCAN_CHUNK_BYTES) is held at a time, so any number of hits costs no memory until kept.
     * `pattern` holds the value little-endian, 1, 2, 4 or 8 bytes wide. Runs come in address order
     * and, in each, the blocks by UserPtr (busy blocks do not overlap): hits come out in address order.
     */
    function* searchPattern(memory, walk, pattern) {
        const width = pattern.length;
        if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
            throw new RangeError(`A !heap -srch pattern is 1, 2, 4 or 8 bytes wide, not ${width}`);
        }
        const blocks = walk.blocks;
        let total = 0;
        for (let i = 0; i < blocks.count; i++)
            if (blocks.state[i] === STATE_BUSY && blocks.userSize[i] >= width)
                total += blocks.userSize[i];
        const progress = Progress.start(`!heapsearch in heap 0x${walk.address.toString(16)}`, total);
        for (const window of busyDataWindows(memory, walk, width, (row) => blocks.userSize[row])) {
            if (progress)
                for (let r = 0; r < window.runs.length; r++)
                    progress.advance(window.runs[r].bytes.length);
            for (let r = 0; r < window.runs.length; r++) {
                for (let k = 0; k < window.rows.length; k++)
                    yield* scanUserDataInRun(blocks, window.rows[k], window.runs[r], pattern);
            }
        }
    }
    function* scanUserDataInRun(blocks, row, run, pattern) {
        const width = pattern.length;
        const from = Math.max(blocks.userAddress[row], run.address);
        const to = Math.min(blocks.userAddress[row] + blocks.userSize[row], run.address + run.bytes.length);
        for (let location = from + alignUpOffset(from, width); location + width <= to; location += width) {
            if (matchesAt(run.bytes, location - run.address, pattern))
                yield { row, location };
        }
    }
    function matchesAt(bytes, offset, pattern) {
        for (let k = 0; k < pattern.length; k++) {
            if (bytes[offset + k] !== pattern[k])
                return false;
        }
        return true;
    }

    // `!heap -stat -h HEAP [-grp A|B|S [MaxDisplay]]` (docs/heap-structures.md §3.2): busy user
    // allocations grouped by requested size. LFH blocks count one by one and VirtualAlloc
    // blocks are included (§3.2: the 4 MiB row of docs/seeds.md seed 000 is a VirtualAlloc block); Internal
    // blocks (LFH UserBlocks containers) are left out so LFH bytes are not counted twice.
    function sizeStatistics(walk, groupBy, maxRows) {
        const rows = countBusyBySize(walk);
        let totalBusyBlocks = 0;
        let totalBusyBytes = 0;
        for (let i = 0; i < rows.length; i++) {
            totalBusyBlocks += rows[i].count;
            totalBusyBytes += rows[i].total;
        }
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
    /** Sizes below this are counted in an array indexed by size; the few larger ones in a map. */
    const DIRECT_SIZES = 1 << 16;
    /** One row per distinct requested size of the busy blocks, unordered, percent not yet set. */
    function countBusyBySize(walk) {
        const { state, userSize, count } = walk.blocks;
        // Counting is the whole work of !heapstat on a walked heap: an array slot per size costs a
        // few instructions a block, a Map entry several times more. The loop runs once per command,
        // mostly before the JIT has optimized it, so it reads no property per row.
        const small = new Uint32Array(DIRECT_SIZES);
        const large = new Map();
        for (let i = 0; i < count; i++) {
            if (state[i] !== STATE_BUSY)
                continue;
            const size = userSize[i];
            if (size < DIRECT_SIZES)
                small[size]++;
            else
                large.set(size, (large.get(size) || 0) + 1);
        }
        const rows = [];
        for (let size = 0; size < DIRECT_SIZES; size++) {
            if (small[size] !== 0)
                rows.push({ size, count: small[size], total: size * small[size], percent: 0 });
        }
        large.forEach((count, size) => rows.push({ size, count, total: size * count, percent: 0 }));
        return rows;
    }
    // Ties fall back to the larger size first so the order is total (deterministic).
    const ORDERINGS = {
        A: (a, b) => b.size - a.size,
        B: (a, b) => b.count - a.count || b.size - a.size,
        S: (a, b) => b.total - a.total || b.size - a.size,
    };

    // What `!heap -s` prints for one NT heap, or for a segment heap (docs/heap-structures.md §3.1). The column semantics there
    // are INFERRED from the labels and _HEAP_COUNTERS field names; the formulas below are the
    // ones that reproduce the real tables in the seeds (docs/seeds.md, seeds 000 and 001) and in §3.1.
    function summarizeHeap(walk) {
        const segments = sumSegments(walk);
        const free = countBackendFree(walk);
        const busy = countBusy(walk);
        const virtualBytes = Math.max(0, segments.reservedBytes - walk.counters.largeUncommittedBytes);
        return {
            heapAddress: walk.address,
            flags: walk.flags,
            reservedBytes: segments.reservedBytes,
            committedBytes: segments.committedBytes,
            virtualBytes,
            freeBytes: free.bytes,
            freeBlockCount: free.count,
            largestFreeBlock: free.largest,
            uncommittedRangeCount: segments.uncommittedRanges,
            virtualBlockCount: walk.virtualBlockCount,
            lockContention: walk.counters.lockContention,
            fastHeap: walk.counters.frontEnd,
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
    function summarizeSegmentHeap(walk) {
        const c = walk.segmentHeap;
        const segments = sumSegments(walk);
        const busy = countBusy(walk);
        const blocks = walk.blocks;
        let freeCount = 0;
        let largest = 0;
        let vsFree = 0;
        let largeBytes = 0;
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.kind[i] === KIND_LARGE)
                largeBytes += blocks.size[i];
            if (blocks.state[i] !== STATE_FREE)
                continue;
            freeCount++;
            if (blocks.size[i] > largest)
                largest = blocks.size[i];
            if (blocks.kind[i] === KIND_VS)
                vsFree += blocks.size[i];
        }
        const or = (value, fallback) => (value === undefined ? fallback : value);
        return {
            heapAddress: walk.address,
            flags: walk.flags,
            reservedBytes: or(c && c.reservedBytes, segments.reservedBytes),
            committedBytes: or(c && c.committedBytes, segments.committedBytes),
            freeCommittedBytes: or(c && c.freeCommittedBytes, 0),
            lfhFreeCommittedBytes: or(c && c.lfhFreeCommittedBytes, 0),
            vsFreeBytes: or(c && c.vsFreeCommittedBytes, vsFree),
            largeReservedBytes: or(c && c.largeReservedBytes, largeBytes),
            largeCommittedBytes: or(c && c.largeCommittedBytes, largeBytes),
            largeBlockCount: walk.virtualBlockCount,
            segmentsPerContext: c ? c.segmentsPerContext.slice() : [walk.segments.length],
            freeBlockCount: freeCount,
            largestFreeBlock: largest,
            busyBlockCount: busy.count,
            busyUserBytes: busy.bytes,
        };
    }
    /**
     * A page heap's walk lists its full-page blocks first (virtualBlockCount of them, busy then
     * delayed-free), then its light blocks (src/walkers/pageheap/heap.ts).
     */
    function summarizePageHeap(walk) {
        const b = walk.blocks;
        const out = {
            heapAddress: walk.address, flags: walk.flags, fullPageBusy: 0, fullPageBusyBytes: 0, freed: 0, freedBytes: 0,
            lightBusy: 0, lightBusyBytes: 0, normalHeap: walk.normalHeap || 0,
        };
        for (let row = 0; row < b.count; row++) {
            if (b.state[row] === STATE_FREED) {
                out.freed++;
                out.freedBytes += b.userSize[row];
            }
            else if (b.state[row] === STATE_BUSY && row < walk.virtualBlockCount) {
                out.fullPageBusy++;
                out.fullPageBusyBytes += b.userSize[row];
            }
            else if (b.state[row] === STATE_BUSY) {
                out.lightBusy++;
                out.lightBusyBytes += b.userSize[row];
            }
        }
        return out;
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
    /** A change, signed: +0x10, -0x10, 0x0. */
    function signedHex(value) {
        return value > 0 ? "+" + hex0x(value) : value < 0 ? "-" + hex0x(-value) : "0x0";
    }

    // A read-only list as dx wants one (docs/jsprovider.md §1.14): iterable, with each item labelled
    // by its index, and indexable (`Heaps[2]`, `Blocks[100]`) through the indexable concept. Items
    // are made only when asked for, so a million-block heap costs nothing until it is read.
    class IndexedList {
        *[Symbol.iterator]() {
            const n = this.itemCount();
            // Looked up once, not per item: the global `host` may be a slow lookup (a vm context's is).
            const IndexedValue = host.indexedValue;
            for (let i = 0; i < n; i++)
                yield new IndexedValue(this.itemAt(i), [i]);
        }
        /** How many items (for dxheap's own code; dx counts with .Count()). */
        count() {
            return this.itemCount();
        }
        getDimensionality() {
            return 1;
        }
        getValueAt(index) {
            const i = Number(index);
            const n = this.itemCount();
            if (!(Math.floor(i) === i && i >= 0 && i < n))
                throw new RangeError(`index ${String(index)} is outside [0, ${n})`);
            return this.itemAt(i);
        }
    }

    // Help text for dx (shown by `dx -v` and in WinDbg's data model views), attached through
    // Symbol.metadataDescriptor (docs/jsprovider.md §1.12).
    /** Help text per property; the properties named in `decimal` display in decimal (percentages, counts of a kind users read in decimal). */
    function help(texts, decimal = []) {
        const descriptor = {};
        for (const name in texts)
            descriptor[name] = decimal.indexOf(name) >= 0 ? { Help: texts[name], PreferredRadix: 10 } : { Help: texts[name] };
        return descriptor;
    }

    // A heap block as dx shows it: a light view over one row of the walk's BlockTable, made only
    // when dx asks for it (dx @$curprocess.Heaps[0].Blocks.Where(b => b.UserSize == 0x400000)).
    /** What every block of one walk shares: one object per walk, not per block. */
    class BlockSource {
        constructor(heap, walk) {
            this.heap = heap;
            this.walk = walk;
        }
    }
    /**
     * Address and UserAddress are plain numbers: a user-mode address is below 2^47, exact in a
     * double, and dx shows an integer from a script as an ordinal in hex like any address
     * (docs/jsprovider.md §1.14), takes it in comparisons and arithmetic (§1.4: numbers have the
     * Int64 math methods). A host.Int64 would cost a host call per block and property.
     */
    class BlockModel {
        constructor(__source, __row) {
            this.__source = __source;
            this.__row = __row;
        }
        /** A block of a walk that no collection holds (a command's single result). */
        static of(heap, walk, row) {
            return new BlockModel(new BlockSource(heap, walk), row);
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Address: "The HEAP_ENTRY, as !heap prints it (VirtualAlloc'd blocks: the BusyBlock header)",
                UserAddress: "The UserPtr: where the program's data starts",
                Size: "Bytes, header included (LFH: the block stride; VirtualAlloc'd: the committed size)",
                UserSize: "Bytes the program asked for; 0 for free blocks",
                State: "Busy, Free, Freed (a page heap's delayed-free block) or Internal (heap bookkeeping: segment headers, LFH UserBlocks, uncommitted-range sentinels)",
                Kind: "Backend, LFH or VirtualAlloc (NT heaps); VS, LFH, Large or PageRange (segment heaps); PageHeap",
                Flags: "The decoded _HEAP_ENTRY.Flags",
                Heap: "The heap holding the block",
                Segment: "The segment holding the block; null outside segments (VirtualAlloc'd, Large, page-heap blocks)",
                AllocationStack: "Who allocated the block (for a page heap's Freed block: who freed it): its frames (+ust or page heap), or why there are none and what to turn on",
                TypeName: "The C++ class of the object in the block, when its first pointer is that class's vftable; null otherwise",
                Referrers: "Referrers(): where the pointers to this block live (module!global, a thread's stack or register, another block, other memory), from the process's leak scan (made on first use)",
            });
        }
        /** Where the pointers to the block live; a method, so showing a block never starts the leak scan. */
        Referrers() {
            const { heap, walk } = this.__source;
            return walk.blocks.state[this.__row] === STATE_BUSY ? heap.referrersOf(this.__row) : [];
        }
        get AllocationStack() {
            const { heap, walk } = this.__source;
            if (walk.blocks.state[this.__row] === STATE_FREE)
                return null;
            return heap.stackOf(walk, this.__row);
        }
        get TypeName() {
            const { heap, walk } = this.__source;
            if (walk.blocks.state[this.__row] !== STATE_BUSY)
                return null;
            return heap.typeOf(walk, this.__row);
        }
        get Address() {
            return this.__source.walk.blocks.address[this.__row];
        }
        get UserAddress() {
            return this.__source.walk.blocks.userAddress[this.__row];
        }
        get Size() {
            return this.__source.walk.blocks.size[this.__row];
        }
        get UserSize() {
            return this.__source.walk.blocks.userSize[this.__row];
        }
        get State() {
            return BLOCK_STATES[this.__source.walk.blocks.state[this.__row]];
        }
        get Kind() {
            return BLOCK_KINDS[this.__source.walk.blocks.kind[this.__row]];
        }
        get Flags() {
            return this.__source.walk.blocks.flags[this.__row];
        }
        get Heap() {
            return this.__source.heap;
        }
        get Segment() {
            const { heap, walk } = this.__source;
            const index = walk.blocks.segment[this.__row];
            return index < 0 ? null : heap.segmentAt(walk, index);
        }
        toString() {
            const b = this.__source.walk.blocks;
            const i = this.__row;
            const user = b.state[i] === STATE_FREE ? "" : ` UserSize ${hex0x(b.userSize[i])}`;
            return `${hex0x(b.address[i])} ${BLOCK_STATES[b.state[i]]} ${BLOCK_KINDS[b.kind[i]]} Size ${hex0x(b.size[i])}${user}`;
        }
    }
    /** Heap.Blocks: the rows of one walk, made into BlockModels one at a time. */
    class BlockCollection extends IndexedList {
        constructor(heap, walk) {
            super();
            this.__source = new BlockSource(heap, walk);
        }
        itemCount() {
            return this.__source.walk.blocks.count;
        }
        itemAt(index) {
            return new BlockModel(this.__source, index);
        }
        toString() {
            return `${this.__source.walk.blocks.count} blocks`;
        }
    }
    /** Some blocks of some heaps (a command's result): indexable, one BlockModel made per item asked for. */
    class BlockSelection extends IndexedList {
        constructor(__parts) {
            super();
            this.__parts = __parts;
            /** Items before each part. */
            this.__starts = [];
            this.__sources = [];
            let n = 0;
            for (let i = 0; i < __parts.length; i++) {
                this.__starts.push(n);
                this.__sources.push(new BlockSource(__parts[i].heap, __parts[i].walk));
                n += __parts[i].rows.length;
            }
            this.__count = n;
        }
        itemCount() {
            return this.__count;
        }
        itemAt(index) {
            let part = this.__parts.length - 1;
            while (this.__starts[part] > index)
                part--;
            return new BlockModel(this.__sources[part], this.__parts[part].rows[index - this.__starts[part]]);
        }
        toString() {
            return `${this.__count} blocks`;
        }
    }

    // A result computed again each time it is iterated, holding nothing: dx @$heapsearch(0, 1).Take(10)
    // reads only what ten hits need, and .Count() keeps no hit (docs/jsprovider.md §1.14: any
    // iterable is a collection to dx and LINQ).
    class LazyCollection {
        constructor(__items, __display) {
            this.__items = __items;
            this.__display = __display;
        }
        [Symbol.iterator]() {
            return this.__items();
        }
        toString() {
            return this.__display;
        }
    }

    // Values crossing the host boundary. Inside dxheap addresses are JS numbers (user-mode
    // addresses are below 2^47, exact in a double); the host hands out and takes host.Int64.
    // Conversions split into 32-bit halves so no step ever rounds (docs/jsprovider.md §1.4).
    const TWO_32$5 = 4294967296;
    const MAX_EXACT = 9007199254740991; // 2^53 - 1
    /** An Int64 or number from the host as an exact JS number; throws if it needs more than 53 bits. */
    function toNumber(value) {
        if (typeof value === "number")
            return value;
        const high = value.getHighPart() >>> 0;
        const low = value.getLowPart() >>> 0;
        if (high > 0x1fffff)
            throw new RangeError(`0x${value.toString(16)} does not fit in 53 bits`);
        return high * TWO_32$5 + low;
    }
    /** A non-negative integer below 2^53 as a host.Int64. */
    function toInt64(value) {
        return host.Int64(value % TWO_32$5 >>> 0, Math.floor(value / TWO_32$5));
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
        throw new Error(`expected ${what} (a non-negative number or 64-bit value), got ${describe$1(value)}`);
    }
    /** A value as the user typed it, for error messages: strings quoted, 64-bit values in hex. */
    function describe$1(value) {
        if (value === undefined)
            return "nothing";
        if (typeof value === "string")
            return `"${value}"`;
        if (value !== null && typeof value === "object" && typeof value.getLowPart === "function") {
            return "0x" + value.toString(16);
        }
        return String(value);
    }

    class FindingModel {
        constructor(__finding) {
            this.__finding = __finding;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Kind: "Corruption (the heap contradicts itself), Unreadable (memory missing from the target), Unsupported (a kind, type or symbol dxheap cannot decode)",
                Address: "The address the finding is about",
                Message: "What is wrong",
            });
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

    /** What !heaps prints for one heap; also Heap.Summary. */
    class HeapSummaryModel {
        constructor(__summary) {
            this.__summary = __summary;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Heap: "The heap handle",
                Flags: "_HEAP.Flags",
                ReservedBytes: "Reserv: bytes reserved by the heap's segments",
                CommittedBytes: "Commit: bytes committed in the segments",
                VirtualBytes: "Virt: reserved bytes minus _HEAP.Counters.TotalMemoryLargeUCR",
                FreeBytes: "Free: bytes in free back-end blocks",
                FreeBlocks: "List length: free back-end blocks",
                LargestFreeBlock: "The largest free back-end block, in bytes",
                UncommittedRanges: "UCR: uncommitted ranges in the segments",
                VirtualBlocks: "Virt blocks: VirtualAlloc'd blocks",
                LockContention: "Lock cont.: _HEAP.Counters.LockCollisions",
                FastHeap: "Fast heap: LFH when the low-fragmentation front end is on",
                ExternalFragmentation: "Percent: 1 - largest free block / free bytes",
                VirtualAddressFragmentation: "Percent: 1 - committed / reserved",
                BusyBlocks: "Busy blocks of every kind (LFH blocks one by one, VirtualAlloc'd blocks included)",
                BusyBytes: "Bytes requested by the busy blocks",
            }, ["ExternalFragmentation", "VirtualAddressFragmentation"]);
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
        get ExternalFragmentation() { return this.__summary.externalFragmentation; }
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
        get [Symbol.metadataDescriptor]() {
            return help({
                Size: "The requested size, in bytes",
                Count: "Busy blocks of that size",
                TotalBytes: "Size * Count",
                Percent: "Percent of the heap's busy bytes, two decimals",
            }, ["Percent"]);
        }
        get Size() { return this.__row.size; }
        get Count() { return this.__row.count; }
        get TotalBytes() { return this.__row.total; }
        get Percent() { return Math.round(this.__row.percent * 100) / 100; }
        toString() {
            return `${hex0x(this.__row.size)} x ${hex0x(this.__row.count)} = ${hex0x(this.__row.total)} (${this.__row.percent.toFixed(2)}%)`;
        }
    }
    /** What !heapfind returns: the block holding an address, and who points into it. */
    class FoundBlockModel {
        constructor(__block, __offset, 
        /** Finds the references again on each iteration (none kept), or undefined without `true`. */
        __references) {
            this.__block = __block;
            this.__offset = __offset;
            this.__references = __references;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Block: "The innermost block holding the address (an LFH block rather than its UserBlocks container)",
                Offset: "The address minus the block's Address",
                References: "Pointer-sized values anywhere in the process that point into the block (only with true); read again each time",
            });
        }
        get Block() { return this.__block; }
        get Offset() { return this.__offset; }
        get References() {
            const references = this.__references;
            if (!references)
                return null;
            return new LazyCollection(() => mapIterator(references(), (r) => new ReferenceModel(r)), "");
        }
        toString() {
            return `${this.__block} (offset ${hex0x(this.__offset)})`;
        }
    }
    /** `items` with each value mapped; for lazy collections. */
    function* mapIterator(items, map) {
        for (let step = items.next(); !step.done; step = items.next())
            yield map(step.value);
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
    /** What !heapcheck reports for one heap. */
    class HeapCheckModel {
        constructor(__heap, __type, __findings) {
            this.__heap = __heap;
            this.__type = __type;
            this.__findings = __findings;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Heap: "The heap handle",
                Type: "NT, Segment or Unknown",
                Findings: "Everything the walk and the cross-checks found wrong (free lists, counters, hidden blocks, overlaps, encodings)",
            });
        }
        get Heap() { return toInt64(this.__heap); }
        get Type() { return this.__type; }
        get Findings() { return this.__findings.map((f) => new FindingModel(f)); }
        toString() {
            const n = this.__findings.length;
            return `${this.__type} heap ${hex0x(this.__heap)}: ${n === 0 ? "no problem found" : `${n} finding${n === 1 ? "" : "s"}`}`;
        }
    }
    /** What !heaps prints for a segment heap; also its Heap.Summary. */
    class SegmentHeapSummaryModel {
        constructor(__summary) {
            this.__summary = __summary;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Heap: "The heap handle",
                Flags: "_SEGMENT_HEAP.GlobalFlags",
                ReservedBytes: "Bytes reserved by the page segments (MemStats.TotalReservedPages)",
                CommittedBytes: "Bytes committed in the page segments (MemStats.TotalCommittedPages)",
                FreeCommittedBytes: "Committed bytes in free page ranges (MemStats.FreeCommittedPages)",
                LfhFreeCommittedBytes: "Committed bytes of LFH subsegments holding no busy block (MemStats.LfhFreeCommittedPages)",
                VsFreeBytes: "Bytes in free VS chunks (VsContext.FreeCommittedUnits)",
                LargeReservedBytes: "Bytes reserved by Large blocks (LargeReservedPages)",
                LargeCommittedBytes: "Bytes committed by Large blocks (LargeCommittedPages)",
                LargeBlocks: "Large blocks",
                Segments: "Page segments in each segment context",
                FreeBlocks: "Free VS chunks, LFH slots and page ranges",
                LargestFreeBlock: "The largest of them, in bytes",
                BusyBlocks: "Busy blocks of every kind",
                BusyBytes: "Bytes requested by the busy blocks",
            });
        }
        get Heap() { return toInt64(this.__summary.heapAddress); }
        get Flags() { return this.__summary.flags; }
        get ReservedBytes() { return this.__summary.reservedBytes; }
        get CommittedBytes() { return this.__summary.committedBytes; }
        get FreeCommittedBytes() { return this.__summary.freeCommittedBytes; }
        get LfhFreeCommittedBytes() { return this.__summary.lfhFreeCommittedBytes; }
        get VsFreeBytes() { return this.__summary.vsFreeBytes; }
        get LargeReservedBytes() { return this.__summary.largeReservedBytes; }
        get LargeCommittedBytes() { return this.__summary.largeCommittedBytes; }
        get LargeBlocks() { return this.__summary.largeBlockCount; }
        get Segments() { return this.__summary.segmentsPerContext.slice(); }
        get FreeBlocks() { return this.__summary.freeBlockCount; }
        get LargestFreeBlock() { return this.__summary.largestFreeBlock; }
        get BusyBlocks() { return this.__summary.busyBlockCount; }
        get BusyBytes() { return this.__summary.busyUserBytes; }
        toString() {
            const s = this.__summary;
            return `Segment heap ${hex0x(s.heapAddress)}: committed ${hex0x(s.committedBytes + s.largeCommittedBytes)}, ${s.busyBlockCount} busy blocks (${hex0x(s.busyUserBytes)} bytes), ${s.freeBlockCount} free`;
        }
    }
    /** What !heaps returns for a page heap (gflags +hpa). */
    class PageHeapSummaryModel {
        constructor(__summary) {
            this.__summary = __summary;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Heap: "The page heap's handle",
                Flags: "_HEAP.Flags at the handle",
                FullPageBlocks: "Busy full-page blocks (each in its own virtual block, a guard page after it)",
                FullPageBytes: "Bytes requested by them",
                FreedBlocks: "Delayed-free blocks (State Freed): freed, kept inaccessible to catch use after free",
                FreedBytes: "Bytes they held",
                LightBlocks: "Busy light blocks, inside the NormalHeap",
                LightBytes: "Bytes requested by them",
                NormalHeap: "The NT heap holding the light blocks, or 0",
            });
        }
        get Heap() { return toInt64(this.__summary.heapAddress); }
        get Flags() { return this.__summary.flags; }
        get FullPageBlocks() { return this.__summary.fullPageBusy; }
        get FullPageBytes() { return this.__summary.fullPageBusyBytes; }
        get FreedBlocks() { return this.__summary.freed; }
        get FreedBytes() { return this.__summary.freedBytes; }
        get LightBlocks() { return this.__summary.lightBusy; }
        get LightBytes() { return this.__summary.lightBusyBytes; }
        get NormalHeap() { return toInt64(this.__summary.normalHeap); }
        toString() {
            const s = this.__summary;
            return `Page heap ${hex0x(s.heapAddress)}: ${s.fullPageBusy} full-page and ${s.lightBusy} light busy blocks (${hex0x(s.fullPageBusyBytes + s.lightBusyBytes)} bytes), ${s.freed} freed`;
        }
    }
    /** What !heapstack returns: the block holding an address, the offset, and who allocated it. */
    class HeapStackModel {
        constructor(__block, __offset, __stack) {
            this.__block = __block;
            this.__offset = __offset;
            this.__stack = __stack;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Block: "The innermost block holding the address",
                Offset: "The address minus the block's Address",
                State: "Busy, Free, Internal or Freed (a page heap's delayed free)",
                AllocationStack: "Its allocation stack (for a Freed page-heap block, the freeing one), or why there is none",
            });
        }
        get Block() { return this.__block; }
        get Offset() { return this.__offset; }
        get State() { return this.__block.State; }
        get AllocationStack() { return this.__stack; }
        toString() {
            return `${this.__block} (offset ${hex0x(this.__offset)}): ${this.__stack}`;
        }
    }

    // What a walk could not read or trust. Findings are never thrown: they are collected, and a
    // corrupted heap can produce one per block, so they are aggregated as they come: per category
    // (one kind of problem in one place, e.g. "checksum mismatch in segment 0x…") the first few keep
    // their own address and message, the rest are only counted. Memory stays bounded however many
    // blocks are damaged.
    /** Findings kept with their own address per category; the rest are counted. */
    const EXAMPLES_PER_CATEGORY = 3;
    /** Categories kept; a heap damaged in more places than this is summarized by one count. */
    const MAX_CATEGORIES = 256;
    class FindingLog {
        constructor() {
            this.categories = [];
            this.byKey = {};
            this.overflow = 0;
        }
        /**
         * Records a finding. `category` groups findings of one problem in one place; `description`
         * says what they share (used once more than a few are seen).
         */
        add(kind, address, message, category = message, description = category) {
            const key = kind + "\u0000" + category;
            let found = this.byKey[key];
            if (!found) {
                if (this.categories.length >= MAX_CATEGORIES) {
                    this.overflow++;
                    return;
                }
                found = this.byKey[key] = { kind, examples: [], more: 0, description };
                this.categories.push(found);
            }
            if (found.examples.length < EXAMPLES_PER_CATEGORY)
                found.examples.push({ kind, address, message });
            else
                found.more++;
        }
        addFinding(finding, category) {
            this.add(finding.kind, finding.address, finding.message, category);
        }
        get isEmpty() {
            return this.categories.length === 0;
        }
        /** The findings, each category's examples followed by one line counting the rest. */
        list() {
            const out = [];
            for (let i = 0; i < this.categories.length; i++) {
                const c = this.categories[i];
                for (let k = 0; k < c.examples.length; k++)
                    out.push(c.examples[k]);
                if (c.more > 0) {
                    const last = c.examples[c.examples.length - 1];
                    out.push({ kind: c.kind, address: last.address, message: `and ${c.more} more like it (${c.description})` });
                }
            }
            if (this.overflow > 0) {
                out.push({ kind: "Corruption", address: 0, message: `and ${this.overflow} more findings in other places (only ${MAX_CATEGORIES} kinds of problem are kept)` });
            }
            return out;
        }
    }

    // Little-endian reads from byte arrays the walkers got in one large read.
    const TWO_32$4 = 4294967296;
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
        return high > 0x1fffff ? Infinity : high * TWO_32$4 + u32(bytes, at);
    }
    /** A pointer-sized value as exact hex digits with 0x, whatever its size (for messages). */
    function pointerHex(bytes, at, pointerSize) {
        if (pointerSize === 4)
            return "0x" + u32(bytes, at).toString(16);
        const high = u32(bytes, at + 4);
        const low = u32(bytes, at).toString(16);
        return high === 0 ? "0x" + low : "0x" + high.toString(16) + "0".repeat(8 - low.length) + low;
    }
    /** Low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
    function low32(value) {
        return value % TWO_32$4 >>> 0;
    }

    function walkList(memory, head, limit) {
        const size = memory.pointerSize;
        const links = [];
        const seen = new Set();
        let previous = head;
        let flink;
        try {
            flink = memory.read(head, size);
        }
        catch (e) {
            return { links, problem: { address: head, message: `list head at ${hex0x(head)} is not readable` } };
        }
        let link = pointer(flink, 0, size);
        while (link !== head) {
            if (!isFinite(link) || link === 0) {
                return { links, problem: { address: previous, message: `bad link ${pointerHex(flink, 0, size)} at ${hex0x(previous)}` } };
            }
            if (seen.has(link)) {
                return { links, problem: { address: link, message: `list loops back to ${hex0x(link)}` } };
            }
            if (links.length >= limit) {
                return { links, problem: { address: link, message: `list longer than ${limit} entries` } };
            }
            let entry;
            try {
                entry = memory.read(link, 2 * size);
            }
            catch (e) {
                return { links, problem: { address: link, message: `list entry at ${hex0x(link)} is not readable` } };
            }
            if (pointer(entry, size, size) !== previous) {
                return { links, problem: { address: link, message: `Blink of ${hex0x(link)} does not point back to ${hex0x(previous)}` } };
            }
            seen.add(link);
            links.push(link);
            previous = link;
            flink = entry;
            link = pointer(entry, 0, size);
        }
        return { links, problem: undefined };
    }

    // _HEAP_ENTRY.Flags bits (docs/heap-structures.md §1.4).
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
            this.sizeAt = layout.size;
            this.flagsAt = layout.flags;
            this.tagAt = layout.smallTagIndex;
            this.previousAt = layout.previousSize;
            this.unusedAt = layout.unusedBytes;
            const k = (offset) => key[offset - layout.core];
            this.kSize0 = k(layout.size);
            this.kSize1 = k(layout.size + 1);
            this.kFlags = k(layout.flags);
            this.kTag = k(layout.smallTagIndex);
            this.kPrevious0 = k(layout.previousSize);
            this.kPrevious1 = k(layout.previousSize + 1);
            this.kUnused = k(layout.unusedBytes);
        }
        /** Decodes the entry whose header starts at bytes[at]. */
        decode(bytes, at, out) {
            const s0 = bytes[at + this.sizeAt] ^ this.kSize0;
            const s1 = bytes[at + this.sizeAt + 1] ^ this.kSize1;
            const flags = bytes[at + this.flagsAt] ^ this.kFlags;
            out.size = s0 | (s1 << 8);
            out.flags = flags;
            out.previousSize = (bytes[at + this.previousAt] ^ this.kPrevious0) | ((bytes[at + this.previousAt + 1] ^ this.kPrevious1) << 8);
            out.unusedBytes = bytes[at + this.unusedAt] ^ this.kUnused;
            out.checksumOk = (bytes[at + this.tagAt] ^ this.kTag) === (s0 ^ s1 ^ flags);
            return out;
        }
    }
    function newDecodedEntry() {
        return { size: 0, flags: 0, previousSize: 0, unusedBytes: 0, checksumOk: false };
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
    // (host.memory.readMemoryValues over whole ranges, docs/jsprovider.md §1.6: each call is a round trip
    // into the engine); a read that fails is narrowed by halving down to pages, so one unreadable
    // page costs a few calls and the readable rest is still returned.
    const PAGE$5 = 0x1000;
    /** Failed ranges of at least this many pages are probed before being split (see collect). */
    const PROBE_THRESHOLD_PAGES = 16;
    /** Largest single read: big enough to make host calls rare, small enough to keep memory flat. */
    const MAX_READ = 4 * 1024 * 1024;
    /** Pages kept for small reads: a heap's structures (header, segments, UCR descriptors, list links) share few pages. */
    const CACHED_PAGES = 64;
    class HostMemory {
        constructor(pointerSize, context) {
            this.pointerSize = pointerSize;
            this.context = context;
            /**
             * Whole pages read for small reads, oldest first. One HostMemory serves one stop of the target
             * (src/heap/process-heaps.ts makes a new Target after a live target ran), so a page never goes stale.
             */
            this.pages = new Map();
            this.onRead = undefined;
        }
        read(address, length) {
            const page = Math.floor(address / PAGE$5) * PAGE$5;
            if (length > 0 && address + length <= page + PAGE$5) {
                const bytes = this.page(page);
                if (bytes)
                    return bytes.slice(address - page, address - page + length);
            }
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
            const firstPageEnd = Math.min(address + length, Math.floor(address / PAGE$5) * PAGE$5 + PAGE$5);
            // Within one page the read that failed was the first page's.
            if (firstPageEnd === address + length)
                return new Uint8Array(0);
            let low = firstPageEnd;
            let high = address + length;
            const first = this.tryRead(address, firstPageEnd - address);
            if (!first)
                return new Uint8Array(0);
            let readable = first;
            while (high - low > PAGE$5) {
                const middle = low + Math.max(1, Math.floor((high - low) / PAGE$5 / 2)) * PAGE$5;
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
            const firstPageEnd = Math.floor(address / PAGE$5) * PAGE$5 + PAGE$5;
            if (address + length <= firstPageEnd)
                return;
            const pages = Math.ceil((address + length - firstPageEnd) / PAGE$5);
            if (pages >= PROBE_THRESHOLD_PAGES && this.unreadableThroughout(address, length))
                return;
            const middle = pages <= 1 ? firstPageEnd : firstPageEnd + Math.floor(pages / 2) * PAGE$5;
            this.collect(address, middle - address, runs);
            this.collect(middle, address + length - middle, runs);
        }
        unreadableThroughout(address, length) {
            const lastPage = Math.floor((address + length - 1) / PAGE$5) * PAGE$5;
            const middlePage = Math.floor((address + length / 2) / PAGE$5) * PAGE$5;
            return !this.tryRead(address, 1) && !this.tryRead(middlePage, 1) && !this.tryRead(lastPage, 1);
        }
        /** The page at `page`, read whole once; null when it is not readable as a whole (a dump may hold part of a page). */
        page(page) {
            const cached = this.pages.get(page);
            if (cached !== undefined)
                return cached;
            const bytes = this.tryRead(page, PAGE$5) || null;
            if (this.pages.size === CACHED_PAGES)
                this.pages.delete(this.pages.keys().next().value);
            this.pages.set(page, bytes);
            return bytes;
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
        /**
         * One host read. Only a read the host refused is unreadable memory; a TypeError or RangeError
         * is a mistake in dxheap's arguments and propagates. A short answer is unreadable past its end.
         */
        readOnce(address, length) {
            if (length === 0)
                return new Uint8Array(0);
            let bytes;
            try {
                bytes = host.memory.readMemoryValues(toInt64(address), length, 1, false, this.context);
            }
            catch (e) {
                const name = e !== null && typeof e === "object" ? e.name : "";
                if (name === "TypeError" || name === "RangeError")
                    throw e;
                throw new UnreadableMemoryError(address, length);
            }
            if (bytes.length !== length)
                throw new UnreadableMemoryError(address + bytes.length, length - bytes.length);
            if (this.onRead)
                this.onRead(length);
            return bytes;
        }
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
        /** Takes bytes already read at `base` as the window's. */
        hold(base, bytes) {
            this.base = base;
            this.bytes = bytes;
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

    const MAX_SEGMENTS$1 = 4096;
    const MAX_UCRS = 1 << 16;
    /** Larger reservations than this are not a plausible segment: the header is corrupt. */
    const MAX_SEGMENT_BYTES = Math.pow(2, 40);
    function readSegments(memory, layout, heap, findings) {
        const list = walkList(memory, heap + layout.heap.segmentList, MAX_SEGMENTS$1);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `segment list: ${list.problem.message}`);
        const segments = [];
        for (let i = 0; i < list.links.length; i++) {
            const segment = readSegment(memory, layout, list.links[i] - layout.segment.segmentListEntry, findings);
            if (!segment)
                continue;
            // A segment whose range overlaps one already listed would list blocks twice (and lose others).
            const overlapped = overlapping(segments, segment.baseAddress, segment.lastValidEntry);
            if (overlapped) {
                findings.add("Corruption", segment.address, `segment ${hex0x(segment.address)} [${hex0x(segment.baseAddress)}, ${hex0x(segment.lastValidEntry)}) overlaps segment ${hex0x(overlapped.address)} [${hex0x(overlapped.baseAddress)}, ${hex0x(overlapped.lastValidEntry)}): it is not walked`);
                continue;
            }
            segments.push(segment);
        }
        return segments;
    }
    function overlapping(segments, start, end) {
        for (let i = 0; i < segments.length; i++) {
            if (start < segments[i].lastValidEntry && segments[i].baseAddress < end)
                return segments[i];
        }
        return undefined;
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
            findings.add("Unreadable", address, `segment header at ${hex0x(address)} is not readable`);
            return undefined;
        }
        const baseAddress = pointer(bytes, s.baseAddress, p);
        const firstEntry = pointer(bytes, s.firstEntry, p);
        const lastValidEntry = pointer(bytes, s.lastValidEntry, p);
        const reservedBytes = lastValidEntry - baseAddress;
        if (!(baseAddress <= address && address < firstEntry && firstEntry < lastValidEntry && reservedBytes <= MAX_SEGMENT_BYTES)) {
            const field = (offset) => pointerHex(bytes, offset, p);
            findings.add("Corruption", address, `segment ${hex0x(address)} has implausible bounds (base ${field(s.baseAddress)}, first entry ${field(s.firstEntry)}, last valid entry ${field(s.lastValidEntry)})`);
            return undefined;
        }
        const uncommittedRanges = readUncommittedRanges(memory, layout, address, firstEntry, lastValidEntry, findings);
        let uncommitted = 0;
        for (let i = 0; i < uncommittedRanges.length; i++)
            uncommitted += uncommittedRanges[i].size;
        return { address, baseAddress, firstEntry, lastValidEntry, reservedBytes, committedBytes: reservedBytes - uncommitted, uncommittedRanges };
    }
    /**
     * The segment's uncommitted ranges: inside [FirstEntry, LastValidEntry), not overlapping, and not
     * readable. Uncommitted memory is in no dump and cannot be read on a live target, so a range whose
     * first page reads is a descriptor lying over committed blocks: it is reported, and the walk goes
     * through it as committed memory instead of silently skipping the blocks it covers.
     */
    function readUncommittedRanges(memory, layout, segment, firstEntry, end, findings) {
        const u = layout.ucr;
        const p = layout.pointerSize;
        const list = walkList(memory, segment + layout.segment.ucrSegmentList, MAX_UCRS);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `uncommitted-range list of segment ${hex0x(segment)}: ${list.problem.message}`);
        const ranges = [];
        for (let i = 0; i < list.links.length; i++) {
            const descriptor = list.links[i] - u.segmentEntry;
            let bytes;
            try {
                bytes = memory.read(descriptor, Math.max(u.address, u.size) + p);
            }
            catch (e) {
                findings.add("Unreadable", descriptor, `uncommitted-range descriptor at ${hex0x(descriptor)} is not readable`);
                continue;
            }
            const address = pointer(bytes, u.address, p);
            const size = pointer(bytes, u.size, p);
            if (!(address >= firstEntry && size > 0 && address + size <= end)) {
                findings.add("Corruption", descriptor, `uncommitted range ${pointerHex(bytes, u.address, p)}+${pointerHex(bytes, u.size, p)} lies outside the entries of segment ${hex0x(segment)} [${hex0x(firstEntry)}, ${hex0x(end)})`);
                continue;
            }
            if (memory.readPrefix(address, 1).length > 0) {
                findings.add("Corruption", descriptor, `uncommitted range ${hex0x(address)}+${hex0x(size)} (descriptor ${hex0x(descriptor)}) is readable memory: the descriptor lies over committed blocks, which are walked`);
                continue;
            }
            ranges.push({ address, size });
        }
        ranges.sort((a, b) => a.address - b.address);
        for (let i = 1; i < ranges.length; i++) {
            if (ranges[i].address < ranges[i - 1].address + ranges[i - 1].size) {
                findings.add("Corruption", ranges[i].address, `uncommitted ranges ${hex0x(ranges[i - 1].address)}+${hex0x(ranges[i - 1].size)} and ${hex0x(ranges[i].address)}+${hex0x(ranges[i].size)} of segment ${hex0x(segment)} overlap`);
            }
        }
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

    const UNUSED_EXTENDED$2 = 0x40;
    const UNUSED_STORED_AFTER$1 = 0x3f;
    /**
     * Sets out.userAddress and out.userSize of the block at `entry` of `size` bytes. `unused` is
     * UnusedBytes without the LFH marker (0x80). False, with userSize 0, when the count cannot be
     * read or does not fit the block.
     */
    function decodeUserExtent(window, layout, entry, size, unused, out) {
        const granularity = layout.entry.granularity;
        out.userAddress = entry + granularity;
        out.userSize = 0;
        let count;
        let userAddress = entry + granularity;
        if ((unused & UNUSED_EXTENDED$2) !== 0) {
            const extended = entry + (unused & 0x3f) * granularity;
            if (!(extended > entry && extended + granularity <= entry + size && window.ensure(extended, granularity)))
                return false;
            count = u16(window.bytes, extended - window.base + layout.entry.unusedBytesLength);
            userAddress = extended + granularity;
        }
        else if (unused === UNUSED_STORED_AFTER$1) {
            if (!window.ensure(entry + size, layout.pointerSize))
                return false;
            count = pointer(window.bytes, entry + size - window.base, layout.pointerSize);
        }
        else {
            count = unused;
        }
        // The user data ends inside the block, or (x64) at most in the next header's first 8 bytes,
        // which a busy block may use (§2.2: PreviousBlockPrivateData).
        const spill = layout.pointerSize === 8 ? granularity / 2 : 0;
        if (count > size || userAddress + (size - count) > entry + size + spill)
            return false;
        out.userAddress = userAddress;
        out.userSize = size - count;
        return true;
    }

    const UNUSED_EXTENDED$1 = 0x40;
    const INFINITE$1 = 1 / 0;
    /** The +ust header's extended entry sits this many granules after the _HEAP_ENTRY (§2.7 [DLGHELP]). */
    const UST_EXTENDED_GRANULES = 2;
    /** unused: UnusedBytes without the LFH marker. */
    function traceLocation(window, layout, entry, size, unused, flags) {
        const granularity = layout.entry.granularity;
        if ((unused & UNUSED_EXTENDED$1) !== 0 && (unused & 0x3f) === UST_EXTENDED_GRANULES) {
            if (!window.ensure(entry + granularity, layout.pointerSize))
                return 0;
            const record = pointer(window.bytes, entry + granularity - window.base, layout.pointerSize);
            // pointer() gives Infinity for values no address can have; compared, not isFinite(): no global lookup per block.
            return record < INFINITE$1 ? record : 0;
        }
        if ((flags & FLAG_EXTRA_PRESENT) !== 0 && layout.extraBackTraceIndex !== undefined && size >= 2 * granularity) {
            const extra = entry + size - granularity;
            if (!window.ensure(extra, granularity))
                return 0;
            return -u16(window.bytes, extra - window.base + layout.extraBackTraceIndex);
        }
        return 0;
    }

    // The NT heap back end: the entries of one segment, walked header by header (docs/heap-structures.md
    // §2.2): first the segment's own header entry (_HEAP_SEGMENT.Entry, at the segment's address; in
    // segment 0 it holds the _HEAP), which !heap -a lists first, then every committed run from
    // FirstEntry. The walk of a run ends, with a finding naming the address, at the first header that
    // fails its checksum or size bounds, or that cannot be read.
    /** UnusedBytes below this are pseudo-entry markers, not byte counts (§2.2: 1 segment, 3 uncommitted, 4 VirtualAlloc, 5 linked). */
    const SMALLEST_UNUSED_COUNT = 8;
    const PAGE$4 = 0x1000;
    /** UnusedBytes with this bit belong to LFH blocks, never to a back-end entry (§2.2). */
    const LFH_MARKER$1 = 0x80;
    /** UnusedBytes escapes (§2.2): the count is stored after the block; an extended header precedes the user data. */
    const UNUSED_STORED_AFTER = 0x3f;
    const UNUSED_EXTENDED = 0x40;
    class BackendWalker {
        constructor(memory, layout, decoder, blocks, findings, 
        /** _HEAP.VirtualMemoryThreshold in bytes: no busy back-end block is larger; 0 when unknown. */
        largestBusyBlock, 
        /** Called for each internal block while its bytes are still in the window. */
        onInternal) {
            this.memory = memory;
            this.layout = layout;
            this.decoder = decoder;
            this.blocks = blocks;
            this.findings = findings;
            this.largestBusyBlock = largestBusyBlock;
            this.onInternal = onInternal;
            this.entry = newDecodedEntry();
            /** Reused for every block: no object per block. */
            this.extent = { userAddress: 0, userSize: 0 };
            /** The state of the row pushEntry pushed last. */
            this.pushedState = 0;
        }
        /**
         * The segment's own header entry, which must end at FirstEntry: pushed as a block, its size in
         * granules returned; or why it does not decode (nothing pushed, nothing reported: the caller
         * decides whether one bad header or a bad key is the finding).
         */
        walkHeader(segment, segmentIndex) {
            const granularity = this.layout.entry.granularity;
            // The header's page was read for the segment's fields already (HostMemory keeps it).
            const window = new MemoryWindow(this.memory, segment.firstEntry);
            let header;
            try {
                header = this.memory.read(segment.address, granularity);
            }
            catch (e) {
                return "is not readable";
            }
            const e = this.decoder.decode(header, 0, this.entry);
            if (!e.checksumOk)
                return "fails its checksum";
            if (segment.address + e.size * granularity !== segment.firstEntry) {
                return `is 0x${(e.size * granularity).toString(16)} bytes, not the 0x${(segment.firstEntry - segment.address).toString(16)} up to FirstEntry`;
            }
            window.hold(segment.address, header);
            this.pushEntry(window, segment.address, e.size * granularity, segmentIndex);
            return e.size;
        }
        /** The segment's committed runs from FirstEntry; headerUnits: its header's size in granules, or -1. */
        walkRuns(segment, segmentIndex, headerUnits) {
            const runs = committedRuns(segment);
            for (let i = 0; i < runs.length; i++) {
                const previousUnits = i === 0 && runs[i].start === segment.firstEntry ? headerUnits : -1;
                if (!this.walkRun(runs[i].start, runs[i].end, segmentIndex, previousUnits))
                    break;
            }
        }
        /** Walks [start, end); false when the segment's walk must end here. */
        walkRun(start, end, segmentIndex, previousUnits) {
            const granularity = this.layout.entry.granularity;
            const window = new MemoryWindow(this.memory, end);
            const e = this.entry;
            let cursor = start;
            while (cursor < end) {
                if (!window.ensure(cursor, granularity)) {
                    const resumed = this.resume(window.unreadableAt, end);
                    this.findings.add("Unreadable", window.unreadableAt, `heap entry at ${hex0x(cursor)} is not readable (memory at ${hex0x(window.unreadableAt)})` +
                        (resumed === undefined ? "" : `; the walk resumes at ${hex0x(resumed)}, the next readable page, where a valid header starts`));
                    if (resumed === undefined)
                        return false;
                    cursor = resumed;
                    previousUnits = -1;
                    continue;
                }
                this.decoder.decode(window.bytes, cursor - window.base, e);
                const size = e.size * granularity;
                const tooLarge = this.largestBusyBlock > 0 && size > this.largestBusyBlock && (e.flags & (FLAG_BUSY | FLAG_INTERNAL)) === FLAG_BUSY;
                if (!e.checksumOk || size === 0 || cursor + size > end || tooLarge) {
                    const why = !e.checksumOk ? "header checksum mismatch"
                        : tooLarge ? `a busy block of 0x${size.toString(16)} bytes, larger than the heap's VirtualMemoryThreshold (0x${this.largestBusyBlock.toString(16)}): its size is damaged`
                            : `size 0x${size.toString(16)} runs past ${hex0x(end)}`;
                    this.findings.add("Corruption", cursor, `corrupted heap entry at ${hex0x(cursor)}: ${why}`);
                    return false;
                }
                if (previousUnits >= 0 && e.previousSize !== previousUnits) {
                    this.findings.add("Corruption", cursor, `heap entry at ${hex0x(cursor)}: PreviousSize 0x${e.previousSize.toString(16)} but the previous block has 0x${previousUnits.toString(16)} granules`, `previous-size@${segmentIndex}`, `PreviousSize disagrees with the previous block in segment ${segmentIndex}`);
                }
                const row = this.pushEntry(window, cursor, size, segmentIndex);
                if (this.pushedState === STATE_INTERNAL && (e.flags & FLAG_INTERNAL) !== 0) {
                    this.onInternal({ row, entry: cursor, end: cursor + size }, window);
                }
                previousUnits = e.size;
                cursor += size;
            }
            return true;
        }
        /**
         * Where the walk can go on after unreadable memory at `unreadable`: the next readable page of
         * the run, if a header that fits the run starts there (an uncommitted range its descriptor no
         * longer names ends on a page with a block; a page missing from a dump usually does not).
         */
        resume(unreadable, end) {
            const page = Math.ceil((unreadable + 1) / PAGE$4) * PAGE$4;
            if (page >= end)
                return undefined;
            const next = nextReadablePage(this.memory, page, end);
            if (next >= end)
                return undefined;
            const window = new MemoryWindow(this.memory, end);
            if (!window.ensure(next, this.layout.entry.granularity))
                return undefined;
            const e = this.decoder.decode(window.bytes, next - window.base, this.entry);
            const size = e.size * this.layout.entry.granularity;
            return e.checksumOk && size > 0 && next + size <= end ? next : undefined;
        }
        pushEntry(window, entry, size, segmentIndex) {
            const e = this.entry;
            const granularity = this.layout.entry.granularity;
            const unused = e.unusedBytes;
            const flags = e.flags;
            let userAddress = entry + granularity;
            let userSize = 0;
            let state;
            if ((flags & FLAG_BUSY) === 0) {
                state = STATE_FREE;
            }
            else if (unused < SMALLEST_UNUSED_COUNT) {
                userSize = size - unused;
                state = STATE_INTERNAL;
            }
            else {
                // The plain count (decodeUserExtent's last case) inline: most blocks have it.
                if (unused < UNUSED_STORED_AFTER && unused <= size) {
                    userSize = size - unused;
                }
                else if (unused < LFH_MARKER$1 && decodeUserExtent(window, this.layout, entry, size, unused, this.extent)) {
                    userAddress = this.extent.userAddress;
                    userSize = this.extent.userSize;
                }
                else {
                    this.findings.add("Corruption", entry, `heap entry at ${hex0x(entry)}: UnusedBytes 0x${unused.toString(16)} gives no user size that fits the block`, `unused-bytes@${segmentIndex}`, `UnusedBytes gives no user size that fits the block, in segment ${segmentIndex}`);
                }
                state = (flags & FLAG_INTERNAL) !== 0 ? STATE_INTERNAL : STATE_BUSY;
            }
            this.pushedState = state;
            const row = this.blocks.push(entry, userAddress, size, userSize, state, KIND_BACKEND, segmentIndex, NONE, e.previousSize * granularity, flags);
            // Only an extended header (0x40) or HEAP_ENTRY_EXTRA_PRESENT names a trace (§2.7).
            if (state === STATE_BUSY && ((unused & UNUSED_EXTENDED) !== 0 || (flags & FLAG_EXTRA_PRESENT) !== 0)) {
                const trace = traceLocation(window, this.layout, entry, size, unused, flags);
                if (trace !== 0)
                    this.blocks.setTrace(row, trace);
            }
            return row;
        }
    }

    // The NT low-fragmentation heap front end (docs/heap-structures.md §2.4). Its blocks live inside
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
            /** Reused for every block: no object per block. */
            this.extent = { userAddress: 0, userSize: 0 };
        }
        /** Lists the blocks of `container` if it is a UserBlocks; leaves other internal blocks alone. */
        decode(container, window) {
            // The container's user data, past any extended header (+ust, §2.7): where UserBlocks starts.
            const userBlocks = this.blocks.userAddressOf(container.row);
            const length = container.end - userBlocks;
            if (length < this.lfh.userDataHeaderSize)
                return;
            if (!window.ensure(userBlocks, length)) {
                this.findings.add("Unreadable", window.unreadableAt, `internal block ${hex0x(container.entry)} (perhaps LFH UserBlocks) is not readable at ${hex0x(window.unreadableAt)}: its blocks are not listed`);
                return;
            }
            const bytes = window.bytes;
            const at = userBlocks - window.base;
            if (u32(bytes, at + this.lfh.userDataSignature) !== USERDATA_SIGNATURE)
                return;
            const geometry = this.lfh.scheme === "win8" ? this.win8Geometry(bytes, at, userBlocks) : this.win7Geometry(bytes, at, userBlocks);
            if (!geometry)
                return;
            // The count is checked against the container before anything is sized by it (a corrupted
            // SizeOfBitMap must not allocate a bitmap of 2^32 bits).
            if (geometry.first + geometry.count * geometry.stride > length || geometry.stride < this.layout.entry.granularity) {
                this.corrupt(userBlocks, `${geometry.count} blocks of 0x${geometry.stride.toString(16)} bytes at offset 0x${geometry.first.toString(16)} do not fit the container`);
                return;
            }
            if (geometry.bitmapAddress !== undefined) {
                geometry.bitmap = this.readBitmap(window, geometry.bitmapAddress, geometry.count);
                if (!geometry.bitmap)
                    this.corrupt(userBlocks, `busy bitmap at ${hex0x(geometry.bitmapAddress)} is not readable`);
            }
            this.listBlocks(window, userBlocks, geometry, container.row);
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
            return { first, stride, count, bitmapAddress, bitmap: undefined };
        }
        win7Geometry(bytes, at, userBlocks) {
            const subSegment = pointer(bytes, at + this.lfh.userDataSubSegment, this.layout.pointerSize);
            const span = Math.max(this.lfh.subSegmentUserBlocks + this.layout.pointerSize, this.lfh.subSegmentBlockSize + 2, this.lfh.subSegmentBlockCount + 2);
            let sub;
            try {
                sub = this.memory.read(subSegment, span);
            }
            catch (e) {
                this.corrupt(userBlocks, `its subsegment ${hex0x(subSegment)} is not readable`);
                return undefined;
            }
            if (pointer(sub, this.lfh.subSegmentUserBlocks, this.layout.pointerSize) !== userBlocks) {
                this.corrupt(userBlocks, `its subsegment ${hex0x(subSegment)} does not point back to it`);
                return undefined;
            }
            const stride = u16(sub, this.lfh.subSegmentBlockSize) * this.layout.entry.granularity;
            return { first: this.lfh.userDataHeaderSize, stride, count: u16(sub, this.lfh.subSegmentBlockCount), bitmapAddress: undefined, bitmap: undefined };
        }
        /** The bitmap normally lies in the UserBlocks header (§2.4 step 4), already in the window. */
        readBitmap(window, address, count) {
            const length = Math.ceil(count / 8);
            if (address >= window.base && address + length <= window.base + window.bytes.length) {
                return window.bytes.subarray(address - window.base, address - window.base + length);
            }
            try {
                return this.memory.read(address, length);
            }
            catch (e) {
                return undefined;
            }
        }
        /**
         * The blocks of a UserBlocks whose bytes decode() put in the window. 32-bit integer math only:
         * a block's offset in its UserBlocks is small, so the low 32 bits of block >> 4 (x64) or >> 3
         * (x86) are those of UserBlocks' plus the offset's share, with no division of a 47-bit double.
         */
        listBlocks(window, userBlocks, g, containerRow) {
            const entry = this.layout.entry;
            const granularity = entry.granularity;
            const pointerSize = this.layout.pointerSize;
            const blockShift = pointerSize === 8 ? 4 : 3; // block >> 4 (x64) or >> 3 (x86), §2.4 step 6
            const codeShift = pointerSize === 8 ? 12 : 13;
            const codeAt = entry.subSegmentCode === undefined ? 0 : entry.subSegmentCode;
            const unusedAt = entry.unusedBytes;
            const checkCodes = this.lfh.scheme === "win8" && entry.subSegmentCode !== undefined && this.lfhKey !== undefined;
            const heapKey = checkCodes ? (this.lfhKey ^ low32(this.heap)) >>> 0 : 0;
            const unit = 1 << blockShift;
            const userBlocksUnits = Math.floor(userBlocks / unit);
            const unitsLow = low32(userBlocksUnits);
            const unitsRest = userBlocks - userBlocksUnits * unit;
            // A busy block's user data may reach this far into the next header (§2.2, decodeUserExtent).
            const spill = pointerSize === 8 ? granularity / 2 : 0;
            const stride = g.stride;
            const bitmap = g.bitmap;
            const segment = this.blocks.segmentOf(containerRow);
            const extent = this.extent;
            const length = g.first + g.count * stride;
            let bytes = window.bytes;
            let origin = userBlocks - window.base;
            let badMarker = 0, badCode = 0, badBitmap = 0, badExtent = 0, firstBad = -1;
            // The rows go straight into the table's columns: no row is passed around block by block, and
            // what all of a UserBlocks' rows share is filled once.
            const rows = this.blocks.reserve(g.count, userBlocks + length, stride);
            const { address: addressColumn, userAddress: userColumn, userSize: userSizeColumn, state: stateColumn, flags: flagsColumn } = rows;
            const firstRow = rows.count;
            rows.size.fill(stride, firstRow, firstRow + g.count);
            rows.kind.fill(KIND_LFH, firstRow, firstRow + g.count);
            rows.segment.fill(segment, firstRow, firstRow + g.count);
            rows.container.fill(containerRow, firstRow, firstRow + g.count);
            let k = firstRow;
            for (let i = 0, offset = g.first; i < g.count; i++, offset += stride, k++) {
                const at = origin + offset;
                const block = userBlocks + offset;
                const unused = bytes[at + unusedAt];
                const busy = (unused & 0x3f) !== 0;
                let bad = false;
                if ((unused & LFH_MARKER) === 0) {
                    badMarker++;
                    bad = true;
                }
                if (checkCodes) {
                    const code = (bytes[at + codeAt] | (bytes[at + codeAt + 1] << 8) | (bytes[at + codeAt + 2] << 16) | (bytes[at + codeAt + 3] << 24)) >>> 0;
                    const x = (code ^ heapKey ^ ((unitsLow + ((unitsRest + offset) >>> blockShift)) >>> 0)) >>> 0;
                    if ((x & 0xffff) !== 0 || x >>> codeShift !== offset) {
                        badCode++;
                        bad = true;
                    }
                }
                if (bitmap !== undefined && ((bitmap[i >> 3] >> (i & 7)) & 1) !== (busy ? 1 : 0)) {
                    badBitmap++;
                    bad = true;
                }
                let userAddress = block + granularity;
                let userSize = 0;
                if (busy) {
                    const count = unused & 0x7f;
                    if ((count & 0x40) === 0 && count !== 0x3f) {
                        // The plain count (decodeUserExtent's last case, inline): the user data starts after the header.
                        if (count <= stride && count >= granularity - spill)
                            userSize = stride - count;
                        else {
                            badExtent++;
                            bad = true;
                        }
                    }
                    else {
                        // A count may lie after the block, past the window's bytes: the window can move.
                        if (decodeUserExtent(window, this.layout, block, stride, count, extent)) {
                            userAddress = extent.userAddress;
                            userSize = extent.userSize;
                        }
                        else {
                            badExtent++;
                            bad = true;
                        }
                        if (window.bytes !== bytes && !window.ensure(userBlocks, length))
                            break;
                        bytes = window.bytes;
                        origin = userBlocks - window.base;
                    }
                }
                if (bad && firstBad < 0)
                    firstBad = block;
                addressColumn[k] = block;
                userColumn[k] = userAddress;
                userSizeColumn[k] = userSize;
                stateColumn[k] = busy ? STATE_BUSY : STATE_FREE;
                flagsColumn[k] = busy ? 1 : 0;
                // Only an extended header (0x40) names a trace on an LFH block (§2.7); it lies inside the block.
                if (busy && (unused & 0x40) !== 0) {
                    const trace = traceLocation(window, this.layout, block, stride, unused & 0x7f, 0);
                    if (trace !== 0)
                        this.blocks.setTrace(rows.firstRow + k, trace);
                }
            }
            // The rows written: all of them, or those before a block whose bytes could not be read.
            rows.count = k;
            if (badMarker + badCode + badBitmap + badExtent > 0) {
                const parts = [];
                if (badMarker)
                    parts.push(`${badMarker} without the LFH marker`);
                if (badCode)
                    parts.push(`${badCode} whose SubSegmentCode does not decode to their offset`);
                if (badBitmap)
                    parts.push(`${badBitmap} whose busy bit disagrees with UnusedBytes`);
                if (badExtent)
                    parts.push(`${badExtent} whose UnusedBytes gives no user size that fits the block`);
                this.findings.add("Corruption", firstBad, `LFH UserBlocks ${hex0x(userBlocks)}: ${parts.join(", ")} (first at ${hex0x(firstBad)})`, "lfh-blocks", "LFH UserBlocks with blocks that fail their checks");
            }
        }
        corrupt(userBlocks, message) {
            this.findings.add("Corruption", userBlocks, `LFH UserBlocks ${hex0x(userBlocks)}: ${message}`, "lfh-userblocks", "LFH UserBlocks that cannot be decoded");
        }
    }

    // Blocks too large for a segment: each in its own VirtualAlloc'd region, listed on
    // _HEAP.VirtualAllocdBlocks (docs/heap-structures.md §2.3). The region starts, page-aligned, with
    // a _HEAP_VIRTUAL_ALLOC_ENTRY whose BusyBlock header is encoded like any other, and whose Size
    // field holds the unused byte count: requested = CommitSize - unused - sizeof(entry).
    // A corrupted list or entry must not make the walk long or the blocks huge: the list is bounded
    // by what the heap's own counter allows, every size by the entry's reservation and that counter,
    // and blocks may not overlap each other or the heap's segments.
    const PAGE$3 = 0x1000;
    /** No heap has more VirtualAlloc'd blocks than this (each is at least 508 KiB on x86). */
    const MAX_VIRTUAL_BLOCKS = 1 << 16;
    const MAX_COMMIT = Math.pow(2, 40);
    /**
     * Appends the heap's VirtualAlloc'd blocks to `blocks`; returns how many were listed.
     * `total`: _HEAP.Counters.TotalSizeInVirtualBlocks when the build has it (no block is larger).
     */
    function walkVirtualAllocs(memory, layout, decoder, heap, total, segments, blocks, findings) {
        const va = layout.virtualAlloc;
        const p = layout.pointerSize;
        const limit = total !== undefined && isFinite(total) ? Math.min(MAX_VIRTUAL_BLOCKS, Math.floor(total / PAGE$3) + 1) : MAX_VIRTUAL_BLOCKS;
        const list = walkList(memory, heap + layout.heap.virtualAllocdBlocks, limit);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `VirtualAlloc list: ${list.problem.message}`);
        const header = newDecodedEntry();
        const candidates = [];
        for (let i = 0; i < list.links.length; i++) {
            const entry = list.links[i] - va.entry;
            let bytes;
            try {
                bytes = memory.read(entry, va.size);
            }
            catch (e) {
                findings.add("Unreadable", entry, `VirtualAlloc block at ${hex0x(entry)} is not readable`, "va-unreadable", "VirtualAlloc blocks that are not readable");
                continue;
            }
            const commit = pointer(bytes, va.commitSize, p);
            const reserve = va.reserveSize !== undefined ? pointer(bytes, va.reserveSize, p) : commit;
            decoder.decode(bytes, va.busyBlock, header);
            const userSize = commit - header.size - va.size;
            const problem = entry % PAGE$3 !== 0 ? "it is not page-aligned"
                : !header.checksumOk ? "its header fails its checksum"
                    : !(commit > 0 && commit <= MAX_COMMIT && commit <= reserve) ? `CommitSize ${pointerHex(bytes, va.commitSize, p)} is not within its ReserveSize ${va.reserveSize !== undefined ? pointerHex(bytes, va.reserveSize, p) : "?"}`
                        : total !== undefined && commit > total ? `CommitSize ${hex0x(commit)} exceeds the heap's TotalSizeInVirtualBlocks ${hex0x(total)}`
                            : userSize < 0 ? `its unused byte count 0x${header.size.toString(16)} exceeds CommitSize ${hex0x(commit)}`
                                : undefined;
            if (problem) {
                findings.add("Corruption", entry + va.busyBlock, `VirtualAlloc block at ${hex0x(entry)}: ${problem}`, "va-header", "VirtualAlloc blocks with a bad header");
                continue;
            }
            // Windows 7 +ust: the block's _HEAP_ENTRY_EXTRA is the entry's ExtraStuff (§2.3, §2.7).
            const extra = (header.flags & FLAG_EXTRA_PRESENT) !== 0 && layout.virtualAllocExtraStuff !== undefined && layout.extraBackTraceIndex !== undefined
                ? u16(bytes, layout.virtualAllocExtraStuff + layout.extraBackTraceIndex) : 0;
            candidates.push({ entry, end: entry + commit, userSize, flags: header.flags, trace: extra > 0 ? -extra : 0, overlaps: undefined });
        }
        markOverlaps(candidates, segments);
        let listed = 0;
        for (let i = 0; i < candidates.length; i++) {
            const c = candidates[i];
            if (c.overlaps) {
                findings.add("Corruption", c.entry, `VirtualAlloc block [${hex0x(c.entry)}, ${hex0x(c.end)}) overlaps [${hex0x(c.overlaps.start)}, ${hex0x(c.overlaps.end)}) of the same heap: it is not listed`, "va-overlap", "VirtualAlloc blocks overlapping other blocks or segments of the heap");
                continue;
            }
            if (memory.readPrefix(c.end - 1, 1).length === 0) {
                findings.add("Unreadable", c.end - 1, `VirtualAlloc block at ${hex0x(c.entry)}: its last committed byte ${hex0x(c.end - 1)} is not in the dump`, "va-short", "VirtualAlloc blocks whose committed memory is not all in the dump");
            }
            const row = blocks.push(c.entry + va.busyBlock, c.entry + va.size, c.end - c.entry, c.userSize, STATE_BUSY, KIND_VIRTUAL_ALLOC, NONE, NONE, 0, c.flags);
            if (c.trace !== 0)
                blocks.setTrace(row, c.trace);
            listed++;
        }
        return listed;
    }
    /** Sorted by start, each block is checked against the furthest-reaching range before it (segments included): O(n log n). */
    function markOverlaps(candidates, segments) {
        const ranges = [];
        for (let i = 0; i < segments.length; i++)
            ranges.push({ start: segments[i].baseAddress, end: segments[i].lastValidEntry, candidate: undefined });
        for (let i = 0; i < candidates.length; i++)
            ranges.push({ start: candidates[i].entry, end: candidates[i].end, candidate: candidates[i] });
        ranges.sort((a, b) => a.start - b.start || (a.candidate ? 1 : 0) - (b.candidate ? 1 : 0));
        let reach;
        for (let i = 0; i < ranges.length; i++) {
            const r = ranges[i];
            if (reach && r.start < reach.end) {
                if (r.candidate) {
                    r.candidate.overlaps = { start: reach.start, end: reach.end };
                    continue;
                }
            }
            if (!reach || r.end > reach.end)
                reach = { start: r.start, end: r.end };
        }
    }

    // One walk of one NT heap: its segments' back-end entries (with the LFH blocks inside their
    // UserBlocks containers) and its VirtualAlloc'd blocks, as a columnar BlockTable plus findings.
    // Nothing here throws for bad target memory: what cannot be read or trusted becomes a finding.
    /** _HEAP.FrontEndHeapType of the LFH (docs/heap-structures.md §1.2). */
    const FRONT_END_LFH = 2;
    function walkNtHeap(view, address, flags) {
        const { memory, layout } = view;
        const findings = new FindingLog();
        const blocks = new BlockTableBuilder();
        const walk = emptyHeapWalk(address, "NT", flags, layout.entry.granularity);
        const h = layout.heap;
        const p = layout.pointerSize;
        let header;
        try {
            header = memory.read(address, heapHeaderSpan(layout));
        }
        catch (e) {
            findings.add("Unreadable", address, `heap header at ${hex0x(address)} is not readable`);
            walk.findings = findings.list();
            return walk;
        }
        const decoder = new EntryDecoder(layout.entry, encodingKey(header, layout, address, findings));
        const lfhActive = header[h.frontEndHeapType] === FRONT_END_LFH;
        walk.counters.frontEnd = lfhActive ? "LFH" : "";
        if (h.lockCollisions !== undefined)
            walk.counters.lockContention = u32(header, h.lockCollisions);
        if (h.totalMemoryLargeUCR !== undefined)
            walk.counters.largeUncommittedBytes = pointer(header, h.totalMemoryLargeUCR, p);
        let lfh;
        if (lfhActive && layout.lfh) {
            lfh = new LfhDecoder(memory, layout, layout.lfh, address, pointer(header, h.frontEndHeap, p), view.lfhKey, blocks, findings);
        }
        else if (lfhActive) {
            findings.add("Unsupported", address, "the LFH is active but ntdll's symbols lack its types (_HEAP_USERDATA_HEADER, _HEAP_SUBSEGMENT): LFH blocks are listed as their containers only");
        }
        // Busy back-end blocks are never larger than this: bigger requests are VirtualAlloc'd (§2.3).
        const threshold = h.virtualMemoryThreshold !== undefined ? u32(header, h.virtualMemoryThreshold) * layout.entry.granularity : 0;
        const backend = new BackendWalker(memory, layout, decoder, blocks, findings, threshold, (container, window) => {
            if (lfh)
                lfh.decode(container, window);
        });
        walk.segments = readSegments(memory, layout, address, findings);
        // Every segment starts with a header entry the key must decode: when none does, the key itself
        // is damaged, which is said once instead of once per header (and nothing more is decoded with it).
        const headers = walk.segments.map((segment, i) => backend.walkHeader(segment, i));
        if (headers.length > 0 && headers.every((result) => typeof result === "string")) {
            findings.add("Corruption", address + h.encoding, `no segment header of heap ${hex0x(address)} decodes with its _HEAP.Encoding key: the key (or EncodeFlagMask) is damaged, so no header of this heap can be trusted`);
            walk.blocks = blocks.seal();
            walk.findings = findings.list();
            return walk;
        }
        let committed = 0;
        for (let i = 0; i < walk.segments.length; i++)
            committed += walk.segments[i].committedBytes;
        Progress.around(memory, `walking NT heap ${hex0x(address)}`, committed, () => {
            for (let i = 0; i < walk.segments.length; i++) {
                const result = headers[i];
                const segment = walk.segments[i];
                if (typeof result === "string")
                    findings.add(result === "is not readable" ? "Unreadable" : "Corruption", segment.address, `the header entry of segment ${hex0x(segment.address)} ${result}`);
                backend.walkRuns(segment, i, typeof result === "number" ? result : -1);
            }
        });
        const virtualTotal = h.totalSizeInVirtualBlocks !== undefined ? pointer(header, h.totalSizeInVirtualBlocks, p) : undefined;
        walk.virtualBlockCount = walkVirtualAllocs(memory, layout, decoder, address, virtualTotal, walk.segments, blocks, findings);
        walk.blocks = blocks.seal();
        walk.findings = findings.list();
        return walk;
    }
    /**
     * The XOR key of the heap's entry headers: the 8 core bytes of _HEAP.Encoding when EncodeFlagMask
     * is set, zeros otherwise (§2.2). Its SegmentOffset and UnusedBytes bytes are 0 in every real
     * heap (§6c.2); a key with them set would turn every busy block into a pseudo-entry, so they are
     * taken as 0 and the damage is reported once.
     */
    function encodingKey(header, layout, heap, findings) {
        const h = layout.heap;
        if (u32(header, h.encodeFlagMask) === 0)
            return new Uint8Array(8);
        const key = header.slice(h.encoding + layout.entry.core, h.encoding + layout.entry.core + 8);
        const plain = [layout.entry.unusedBytes - layout.entry.core, layout.entry.unusedBytes - layout.entry.core - 1];
        if (key[plain[0]] !== 0 || key[plain[1]] !== 0) {
            findings.add("Corruption", heap + h.encoding + layout.entry.core + plain[1], `_HEAP.Encoding of heap ${hex0x(heap)} has SegmentOffset/UnusedBytes key bytes 0x${key[plain[1]].toString(16)}/0x${key[plain[0]].toString(16)}, which are 0 in every real heap: the key is damaged; those bytes are read as stored`);
            key[plain[0]] = 0;
            key[plain[1]] = 0;
        }
        return key;
    }
    /** Bytes of _HEAP the walk reads: up to the last field it uses. */
    function heapHeaderSpan(layout) {
        const h = layout.heap;
        const p = layout.pointerSize;
        let end = Math.max(h.encoding + layout.entry.granularity, h.frontEndHeap + p, h.frontEndHeapType + 1, h.encodeFlagMask + 4);
        const fields = [
            [h.lockCollisions, 4], [h.totalMemoryLargeUCR, p], [h.virtualMemoryThreshold, 4], [h.totalSizeInVirtualBlocks, p],
        ];
        for (let i = 0; i < fields.length; i++) {
            const at = fields[i][0];
            if (at !== undefined)
                end = Math.max(end, at + fields[i][1]);
        }
        return end;
    }

    // !heapcheck for an NT heap: what the walk found, checked against what the heap says of itself
    // (the beginnings of !heap -v, docs/heap-structures.md §3.8). Cheap checks run in every walk;
    // these read the heap again or follow every free-list link, so they run only when asked:
    //  - every entry of _HEAP.FreeLists is a free block the walk found, and every free block is on it;
    //  - _HEAP.TotalFreeSize equals the free blocks' granules, Counters.TotalSegments and TotalUCRs
    //    the segments and uncommitted ranges walked (UNVERIFIED that Windows keeps them exact:
    //    a disagreement is reported, it changes nothing);
    //  - no block hides another: a valid header inside a block whose PreviousSize points back at the
    //    block's start means the block's Size was damaged and swallowed its neighbours.
    function checkNtHeap(view, walk, findings) {
        const { memory, layout } = view;
        const h = layout.heap;
        let header;
        try {
            header = memory.read(walk.address, Math.max(h.encoding + layout.entry.granularity, h.encodeFlagMask + 4));
        }
        catch (e) {
            return; // the walk has reported the unreadable header
        }
        const decoder = new EntryDecoder(layout.entry, encodingKey(header, layout, walk.address, new FindingLog()));
        checkFreeLists(view, walk, findings);
        checkCounters(view, walk, findings);
        checkHiddenBlocks(view, walk, decoder, findings);
    }
    function checkFreeLists(view, walk, findings) {
        const { memory, layout } = view;
        if (layout.heap.freeLists === undefined || layout.freeEntryList === undefined)
            return;
        const blocks = walk.blocks;
        // Each free block the walk found, and whether a free list names it.
        const free = new Map();
        let freeCount = 0;
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.kind[i] === KIND_BACKEND && blocks.state[i] === STATE_FREE) {
                free.set(blocks.address[i], false);
                freeCount++;
            }
        }
        const list = walkList(memory, walk.address + layout.heap.freeLists, freeCount + 16);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `_HEAP.FreeLists: ${list.problem.message}`);
        for (let i = 0; i < list.links.length; i++) {
            const entry = list.links[i] - layout.freeEntryList;
            if (!free.has(entry)) {
                findings.add("Corruption", entry, `_HEAP.FreeLists names 0x${entry.toString(16)}, which is not a free block the walk found`, "free-list-stranger", "free-list entries that are not free blocks");
            }
            else {
                free.set(entry, true);
            }
        }
        if (list.problem)
            return; // a cut list cannot say which free blocks it misses
        free.forEach((listed, address) => {
            if (!listed)
                findings.add("Corruption", address, `free block ${hex0x(address)} is on no free list`, "free-list-missing", "free blocks on no free list");
        });
    }
    function checkCounters(view, walk, findings) {
        const { memory, layout } = view;
        const h = layout.heap;
        const p = layout.pointerSize;
        const read = (offset, size) => {
            if (offset === undefined)
                return undefined;
            try {
                const bytes = memory.read(walk.address + offset, size);
                return size === 4 ? u32(bytes, 0) : pointer(bytes, 0, p);
            }
            catch (e) {
                return undefined;
            }
        };
        const blocks = walk.blocks;
        let freeGranules = 0;
        for (let i = 0; i < blocks.count; i++) {
            if (blocks.kind[i] === KIND_BACKEND && blocks.state[i] === STATE_FREE)
                freeGranules += blocks.size[i] / walk.granularity;
        }
        let ucrs = 0;
        for (let i = 0; i < walk.segments.length; i++)
            ucrs += walk.segments[i].uncommittedRanges.length;
        const expect = (name, offset, size, walked, what) => {
            const value = read(offset, size);
            if (value !== undefined && value !== walked) {
                findings.add("Corruption", walk.address + offset, `_HEAP.${name} is 0x${value.toString(16)} but the walk found 0x${walked.toString(16)} ${what}`);
            }
        };
        expect("TotalFreeSize", h.totalFreeSize, p, freeGranules, "granules in free blocks");
        expect("Counters.TotalSegments", h.totalSegments, 4, walk.segments.length, "segments");
        expect("Counters.TotalUCRs", h.totalUCRs, 4, ucrs, "uncommitted ranges");
    }
    /** A header inside a back-end block that names the block's start as its previous block. */
    function checkHiddenBlocks(view, walk, decoder, findings) {
        const granularity = walk.granularity;
        const blocks = walk.blocks;
        const e = newDecodedEntry();
        for (let s = 0; s < walk.segments.length; s++) {
            // The segment's busy and free back-end blocks, in address order (containers and headers are bookkeeping).
            const rows = [];
            for (let i = 0; i < blocks.count; i++) {
                if (blocks.segment[i] === s && blocks.kind[i] === KIND_BACKEND && blocks.state[i] !== STATE_INTERNAL)
                    rows.push(i);
            }
            let first = 0;
            const runs = committedRuns(walk.segments[s]);
            for (let r = 0; r < runs.length; r++) {
                for (const run of readableRuns(view.memory, runs[r].start, runs[r].end)) {
                    const runEnd = run.address + run.bytes.length;
                    while (first < rows.length && blocks.address[rows[first]] + blocks.size[rows[first]] <= run.address)
                        first++;
                    for (let k = first; k < rows.length && blocks.address[rows[k]] < runEnd; k++) {
                        const i = rows[k];
                        const start = blocks.address[i];
                        const from = Math.max(start + granularity, run.address);
                        const to = Math.min(start + blocks.size[i], runEnd);
                        for (let q = from; q + granularity <= to; q += granularity) {
                            decoder.decode(run.bytes, q - run.address, e);
                            if (e.checksumOk && e.size > 0 && e.previousSize * granularity === q - start) {
                                findings.add("Corruption", start, `block ${hex0x(start)} (0x${blocks.size[i].toString(16)} bytes) holds a valid header at ${hex0x(q)} whose PreviousSize points back at it: its Size was damaged and hides the blocks from ${hex0x(q)} on`, "hidden-blocks", "blocks whose damaged Size hides the blocks after them");
                                break;
                            }
                        }
                    }
                }
            }
        }
    }

    // Arguments of the ! commands, as dx passes them (docs/jsprovider.md §1.16): numbers, host.Int64 for
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
    function text(command, what, value) {
        if (typeof value !== "string")
            throw new Error(`${command}: expected ${what}, got ${describe$1(value)}`);
        return value;
    }
    function flag(command, what, value) {
        if (value === undefined || value === false || value === 0)
            return false;
        if (value === true || value === 1)
            return true;
        throw new Error(`${command}: expected ${what} (true or false), got ${describe$1(value)}`);
    }
    function choice(command, what, value, choices, fallback) {
        if (value === undefined)
            return fallback;
        const text = String(value).toUpperCase();
        for (let i = 0; i < choices.length; i++)
            if (choices[i] === text)
                return choices[i];
        throw new Error(`${command}: expected ${what} (${choices.map((c) => `"${c}"`).join(", ")}), got ${describe$1(value)}`);
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
            throw new Error(`${command}: expected a pattern (a number or 64-bit value), got ${describe$1(value)}`);
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

    // What a command may print. Results that grow with the target (search hits, references, filter
    // rows) print their first rows and count the rest: the dx result of the same command holds them
    // all, lazily. A command's text therefore stays a few hundred KiB however big the heap is.
    /** Rows a command prints before it only counts them. */
    const MAX_PRINTED_ROWS = 2000;
    /** Findings printed after a command's text; the rest are in the heaps' Findings. */
    const MAX_PRINTED_FINDINGS = 100;
    class RowLimit {
        constructor(limit = MAX_PRINTED_ROWS) {
            this.limit = limit;
            this.printed = 0;
            /** Rows counted but not printed. */
            this.hidden = 0;
        }
        /** True when one more row may be printed; counts it either way. */
        take() {
            if (this.printed < this.limit) {
                this.printed++;
                return true;
            }
            this.hidden++;
            return false;
        }
        /** The line that says what was not printed, and where to find it; "" when nothing was left out. */
        note(what, query) {
            return this.hidden > 0 ? `... ${this.hidden} more ${what}; use ${query} to query them all\n` : "";
        }
    }

    // Types and globals of ntdll, from the symbols the debugger has loaded (host.getModuleType,
    // host.getModuleSymbolAddress; docs/jsprovider.md §1.7, §1.9). Layouts (src/layouts) ask this, never
    // a table of offsets, so every Windows build is read as its own symbols describe it.
    class ModuleSymbols {
        /** context: the process whose modules are meant (docs/jsprovider.md §1.7 contextInheritor). */
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
                const field = current ? fieldOf(current, parts[i]) : undefined;
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
    /**
     * A field by name, or undefined. The provider may answer an unknown name with undefined or by
     * throwing (docs/jsprovider.md §1.9 does not say which): both mean "no such field".
     */
    function fieldOf(type, name) {
        try {
            return type.fields[name] || undefined;
        }
        catch (e) {
            return undefined;
        }
    }

    function requiredFields(types) {
        const missing = [];
        return {
            missing,
            need(type, field) {
                const offset = types.fieldOffset(type, field);
                if (offset === undefined)
                    missing.push(`${type}.${field}`);
                return offset === undefined ? 0 : offset;
            },
            needSize(type) {
                const size = types.typeSize(type);
                if (size === undefined || size === 0)
                    missing.push(`sizeof(${type})`);
                return size === undefined ? 0 : size;
            },
        };
    }
    /** The first three missing names, then how many more. */
    function namedMissing(missing) {
        return missing.length <= 3 ? missing.join(", ") : `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more`;
    }

    class MissingSymbolsError extends Error {
        constructor(missing) {
            const named = namedMissing(missing);
            super(`ntdll's symbols do not describe ${named}: dxheap needs ntdll's types (check .sympath, then .reload /f ntdll.dll)`);
        }
    }
    /** Reads the layout from symbols; throws MissingSymbolsError naming every essential field that is absent. */
    function resolveNtHeapLayout(types) {
        var _a;
        const { missing, need, needSize } = requiredFields(types);
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
            peb: {
                processHeap: need("_PEB", "ProcessHeap"),
                numberOfHeaps: need("_PEB", "NumberOfHeaps"),
                maximumNumberOfHeaps: need("_PEB", "MaximumNumberOfHeaps"),
                processHeaps: need("_PEB", "ProcessHeaps"),
            },
            teb: {
                stackBase: need("_TEB", "NtTib.StackBase"),
                stackLimit: need("_TEB", "NtTib.StackLimit"),
                self: need("_TEB", "NtTib.Self"),
                peb: need("_TEB", "ProcessEnvironmentBlock"),
                exceptionList: need("_TEB", "NtTib.ExceptionList"),
                wowTebOffset: types.fieldOffset("_TEB", "WowTebOffset"),
                tlsSlots: types.fieldOffset("_TEB", "TlsSlots"),
            },
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
                virtualMemoryThreshold: types.fieldOffset("_HEAP", "VirtualMemoryThreshold"),
                totalFreeSize: types.fieldOffset("_HEAP", "TotalFreeSize"),
                freeLists: types.fieldOffset("_HEAP", "FreeLists"),
                totalSizeInVirtualBlocks: types.fieldOffset("_HEAP", "Counters.TotalSizeInVirtualBlocks"),
                totalSegments: types.fieldOffset("_HEAP", "Counters.TotalSegments"),
                totalUCRs: types.fieldOffset("_HEAP", "Counters.TotalUCRs"),
            },
            freeEntryList: types.fieldOffset("_HEAP_FREE_ENTRY", "FreeList"),
            extraBackTraceIndex: types.fieldOffset("_HEAP_ENTRY_EXTRA", "AllocatorBackTraceIndex"),
            virtualAllocExtraStuff: types.fieldOffset("_HEAP_VIRTUAL_ALLOC_ENTRY", "ExtraStuff"),
            ntGlobalFlag: types.fieldOffset("_PEB", "NtGlobalFlag"),
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
                reserveSize: types.fieldOffset("_HEAP_VIRTUAL_ALLOC_ENTRY", "ReserveSize"),
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

    const TEB32_FROM_TEB64 = 0x2000;
    /** The 32-bit ntdll among the modules (WinDbg's names), when the debugger knows its types; undefined otherwise. */
    function findWow64Ntdll(modules, processObject, native) {
        if (native.pointerSize !== 8)
            return undefined;
        for (let i = 0; i < modules.length; i++) {
            if (!/^ntdll_[0-9a-f]{8}$/.test(modules[i].name))
                continue;
            const symbols = new ModuleSymbols(modules[i].name, processObject);
            if (symbols.typeSize("_HEAP_ENTRY") !== 8)
                continue;
            try {
                return { module: modules[i].name, symbols, layout: resolveNtHeapLayout(symbols) };
            }
            catch (e) {
                return undefined; // its types are there but incomplete: the 64-bit side is still read
            }
        }
        return undefined;
    }
    /** A thread's two TEBs, from its TEB in the current view (either side), each checked by its NtTib.Self. */
    function tebPair(memory64, memory32, layout64, layout32, teb) {
        const isTeb64 = (address) => readPointer$1(memory64, address + layout64.teb.self, 8) === address;
        const isTeb32 = (address) => readPointer$1(memory32, address + layout32.teb.self, 4) === address;
        let teb64;
        let teb32;
        if (isTeb64(teb)) {
            teb64 = teb;
            const offset = layout64.teb.wowTebOffset !== undefined ? readI32(memory64, teb + layout64.teb.wowTebOffset) : 0;
            teb32 = offset ? teb + offset : readPointer$1(memory64, teb + layout64.teb.exceptionList, 8);
        }
        else if (isTeb32(teb)) {
            teb32 = teb;
            const offset = layout32.teb.wowTebOffset !== undefined ? readI32(memory32, teb + layout32.teb.wowTebOffset) : 0;
            teb64 = offset ? teb + offset : teb - TEB32_FROM_TEB64;
        }
        if (teb64 === undefined || teb32 === undefined || !isTeb64(teb64) || !isTeb32(teb32))
            return undefined;
        return { teb64, teb32 };
    }
    /** Both PEBs, from the first thread's TEB in the current view; undefined when the links do not check. */
    function wow64Pebs(memory64, memory32, layout64, layout32, teb) {
        const pair = tebPair(memory64, memory32, layout64, layout32, teb);
        if (!pair)
            return undefined;
        const peb64 = readPointer$1(memory64, pair.teb64 + layout64.teb.peb, 8);
        const peb32 = readPointer$1(memory32, pair.teb32 + layout32.teb.peb, 4);
        return peb64 && peb32 ? { peb64, peb32 } : undefined;
    }
    function readPointer$1(memory, address, size) {
        if (!isFinite(address) || address <= 0)
            return undefined;
        try {
            const value = pointer(memory.read(address, size), 0, size);
            return isFinite(value) ? value : undefined;
        }
        catch (e) {
            return undefined;
        }
    }
    function readI32(memory, address) {
        try {
            return u32(memory.read(address, 4), 0) | 0;
        }
        catch (e) {
            return 0;
        }
    }
    /**
     * The x86 registers a WOW64 thread saved when it last left 32-bit code, for the 64-bit view, whose
     * Registers are the 64-bit ones: TEB64.TlsSlots[1] (WOW64_TLS_CPURESERVED) points at
     * { USHORT Flags; USHORT Machine; WOW64_CONTEXT } (Microsoft Learn, WOW64_CONTEXT remarks: "Slot 1
     * of TLS holds a pointer to a structure that contains a WOW64_CONTEXT structure starting at offset
     * 4", stated for Vista to 8.1; later builds UNVERIFIED, so Machine must say i386). The register
     * offsets are WOW64_CONTEXT's in winnt.h, an ABI that does not change between builds.
     */
    function savedX86Registers(memory64, layout64, teb64) {
        if (layout64.teb.tlsSlots === undefined)
            return undefined;
        const area = readPointer$1(memory64, teb64 + layout64.teb.tlsSlots + 8 * WOW64_TLS_CPURESERVED, 8);
        if (area === undefined)
            return undefined;
        try {
            const bytes = memory64.read(area, CONTEXT_OFFSET + WOW64_CONTEXT_BYTES);
            if ((bytes[2] | (bytes[3] << 8)) !== IMAGE_FILE_MACHINE_I386)
                return undefined;
            const registers = {};
            for (const name in WOW64_CONTEXT_REGISTERS)
                registers[name] = u32(bytes, CONTEXT_OFFSET + WOW64_CONTEXT_REGISTERS[name]);
            return registers;
        }
        catch (e) {
            return undefined; // the CPU area is not in the dump
        }
    }
    const WOW64_TLS_CPURESERVED = 1;
    const IMAGE_FILE_MACHINE_I386 = 0x14c;
    const CONTEXT_OFFSET = 4;
    /** WOW64_CONTEXT (winnt.h): the general registers, after ContextFlags, Dr0-7 and the 112-byte FloatSave. */
    const WOW64_CONTEXT_REGISTERS = {
        edi: 0x9c, esi: 0xa0, ebx: 0xa4, edx: 0xa8, ecx: 0xac, eax: 0xb0, ebp: 0xb4, eip: 0xb8, esp: 0xc4,
    };
    const WOW64_CONTEXT_BYTES = 0xcc;

    /** The command whose output lists committed regions, one "base end" line each (see README). */
    const REGIONS_COMMAND = '!address -f:MEM_COMMIT -c:".echo %1 %2"';
    const REGISTERS = [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
        "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip",
    ];
    class Target {
        constructor(processObject, 
        /** The process's ntdll views, the program's first: [x86, x64] for a WOW64 process. */
        views, moduleList, 
        /** What kept a view out (a WOW64 process whose 32-bit side could not be found). */
        problems) {
            this.processObject = processObject;
            this.views = views;
            this.moduleList = moduleList;
            this.problems = problems;
        }
        /** A WOW64 process: both its 32-bit and its 64-bit ntdll are read. */
        get isWow64() {
            return this.views.length === 2;
        }
        /**
         * A process object (the current one by default): reads, symbols and commands happen in its
         * context (docs/jsprovider.md §1.7). Throws a one-line error when ntdll's symbols or the PEB
         * are missing.
         * A WOW64 process, in either of the debugger's views (its 64-bit one, or after .effmach x86),
         * gives both ntdlls: "ntdll" is the 64-bit one, ntdll_<base> the 32-bit one, and the PEBs come
         * from a thread's TEB pair, the current view's Environment being either of them (src/host/wow64.ts).
         */
        static of(processObject = host.currentProcess) {
            const debuggee = processObject;
            let block;
            try {
                const environment = debuggee.Environment;
                block = environment ? environment.EnvironmentBlock : undefined;
            }
            catch (e) {
                // The debugger types the PEB with ntdll's symbols: without them it cannot give it.
                throw new MissingSymbolsError(["_PEB"]);
            }
            if (!block || block.address === undefined)
                throw new Error("dxheap needs a user-mode process: this process has no PEB");
            const modules = listModules(debuggee);
            const symbols = new ModuleSymbols("ntdll", processObject);
            const layout = resolveNtHeapLayout(symbols);
            const native = view("ntdll", symbols, layout, userModePeb(block.address), processObject);
            const wow64 = findWow64Ntdll(modules, processObject, native.layout);
            if (!wow64)
                return new Target(debuggee, [native], modules, []);
            const memory32 = new HostMemory(4, processObject);
            for (const thread of iterate(debuggee.Threads)) {
                const pebs = wow64Pebs(native.memory, memory32, native.layout, wow64.layout, currentTeb(thread));
                if (!pebs)
                    continue;
                native.peb = pebs.peb64;
                return new Target(debuggee, [view(wow64.module, wow64.symbols, wow64.layout, pebs.peb32, processObject), native], modules, []);
            }
            const problem = {
                address: native.peb,
                message: `WOW64: ${wow64.module} is loaded, but no thread's TEB leads to a TEB32 and its PEB32 (TEB64 and TEB32 do not name each other): only the 64-bit heaps are listed`,
            };
            return new Target(debuggee, [native], modules, [problem]);
        }
        /** A key that names this process among the debugger's sessions. */
        static keyOf(processObject) {
            const target = processObject;
            let peb = "?";
            try {
                const environment = target.Environment;
                const block = environment ? environment.EnvironmentBlock : undefined;
                if (block && block.address !== undefined)
                    peb = block.address.toString(16);
            }
            catch (e) {
                // Without ntdll's types there is no PEB to name; Target.of says so.
            }
            return `${String(target.Id)}:${String(target.Name)}:${peb}`;
        }
        /** The process's name and id as the debugger gives them ("?" and 0 where it gives none). */
        identity() {
            let name = "";
            let id = 0;
            try {
                name = String(this.processObject.Name === undefined ? "" : this.processObject.Name);
                const value = Number(this.processObject.Id);
                if (Math.floor(value) === value && value >= 0)
                    id = value;
            }
            catch (e) {
                // A process object without these properties: the snapshot still names its heaps' blocks.
            }
            return { name: name || "?", id };
        }
        /** The view of an architecture, if the process has one. */
        viewOf(arch) {
            for (let i = 0; i < this.views.length; i++)
                if (this.views[i].arch === arch)
                    return this.views[i];
            return undefined;
        }
        /**
         * Committed regions of the process, from the debugger's !address, read once per Target. When
         * !address gives nothing (a dump without memory information) or fails, the fallback is the
         * threads' stacks and the module images, plus whatever ranges the caller adds (heap segments).
         */
        regions(extra = []) {
            if (!this.regionList) {
                let problem;
                let regions = [];
                try {
                    regions = parseRegionLines(host.namespace.Debugger.Utility.Control.ExecuteCommand(REGIONS_COMMAND));
                    if (regions.length === 0)
                        problem = "!address listed no committed region";
                }
                catch (e) {
                    problem = `!address failed (${e.message})`;
                }
                this.regionList = { regions, problem };
            }
            if (!this.regionList.problem)
                return this.regionList;
            return { regions: mergeRegions(this.stacksAndImages().concat(extra)), problem: this.regionList.problem };
        }
        /** Thread stacks [StackLimit, StackBase) from each TEB, and module images [base, base + size). */
        stacksAndImages() {
            const out = [];
            const threads = this.threads();
            for (let i = 0; i < threads.length; i++) {
                for (const s of threads[i].stacks)
                    if (s.limit < s.base)
                        out.push({ base: s.limit, size: s.base - s.limit });
            }
            const images = this.modules();
            for (let i = 0; i < images.length; i++)
                out.push({ base: images[i].base, size: images[i].size });
            return out;
        }
        /**
         * The process's threads, listed once per Target: id, stack bounds from the TEB (both TEBs of a
         * WOW64 thread), and the general registers where the target has a context (a dump may hold
         * none). A WOW64 thread seen from the 64-bit view gives its x86 registers from the context it
         * saved when it left 32-bit code (src/host/wow64.ts).
         */
        threads() {
            if (!this.threadList) {
                const list = [];
                const x86 = this.viewOf("x86");
                const x64 = this.viewOf("x64");
                for (const thread of iterate(this.processObject.Threads)) {
                    const t = thread;
                    const teb = currentTeb(t);
                    const registers = threadRegisters(t);
                    const stacks = [];
                    const pair = x86 && x64 && this.isWow64 ? tebPair(x64.memory, x86.memory, x64.layout, x86.layout, teb) : undefined;
                    if (pair && x86 && x64) {
                        if (registers.esp === undefined) {
                            const saved = savedX86Registers(x64.memory, x64.layout, pair.teb64);
                            if (saved)
                                for (const name in saved)
                                    registers[name] = saved[name];
                        }
                        stacks.push(threadStack(x86, pair.teb32, registers.esp), threadStack(x64, pair.teb64, registers.rsp));
                    }
                    else {
                        const own = this.views[this.views.length - 1];
                        stacks.push(threadStack(own, teb, own.arch === "x64" ? registers.rsp : registers.esp));
                    }
                    list.push({ id: Number(t.Id), stacks, registers });
                }
                this.threadList = list;
            }
            return this.threadList;
        }
        /** The process's modules by address, by WinDbg's names, listed once per Target. */
        modules() {
            return this.moduleList;
        }
        /** The module holding an address, or undefined. */
        moduleAt(address) {
            const list = this.modules();
            let low = 0;
            let high = list.length - 1;
            while (low <= high) {
                const middle = (low + high) >> 1;
                const m = list[middle];
                if (address < m.base)
                    high = middle - 1;
                else if (address >= m.base + m.size)
                    low = middle + 1;
                else
                    return m;
            }
            return undefined;
        }
    }
    function view(moduleName, symbols, layout, peb, processObject) {
        const memory = new HostMemory(layout.pointerSize, processObject);
        return { arch: layout.pointerSize === 8 ? "x64" : "x86", module: moduleName, memory, layout, peb, lfhKey: readLfhKey(memory, layout), symbols };
    }
    /** The PEB's address; a damaged TEB can name any, and one above 2^53 is no user-mode address (docs/jsprovider.md §1.4). */
    function userModePeb(address) {
        try {
            return toNumber(address);
        }
        catch (e) {
            throw new Error(`dxheap needs a user-mode process: the debugger gives the PEB at 0x${address.toString(16)}, which is no user-mode address`);
        }
    }
    /** The thread's TEB in the debugger's current view, or 0. */
    function currentTeb(thread) {
        try {
            return toNumber(thread.Environment.EnvironmentBlock.address);
        }
        catch (e) {
            return 0;
        }
    }
    /** The registers of the thread's context in the current view; none when the target has no context. */
    function threadRegisters(thread) {
        const registers = {};
        try {
            const user = thread.Registers.User;
            for (let i = 0; i < REGISTERS.length; i++) {
                const value = user[REGISTERS[i]];
                if (value !== undefined)
                    registers[REGISTERS[i]] = value.getHighPart() >>> 0 > 0x1fffff ? Infinity : toNumber(value);
            }
        }
        catch (e) {
            // No context: the stacks are scanned from their limits.
        }
        return registers;
    }
    /** A stack's bounds from its TEB (zeros when the TEB is not in the dump). */
    function threadStack(view, teb, pointer) {
        const tib = view.layout.teb;
        const p = view.layout.pointerSize;
        let base = 0;
        let limit = 0;
        try {
            if (teb > 0) {
                const bytes = view.memory.read(teb, Math.max(tib.stackBase, tib.stackLimit) + p);
                const b = readPointer(bytes, tib.stackBase, p);
                const l = readPointer(bytes, tib.stackLimit, p);
                // Bounds that are not a range are not a stack (a TEB read with the other side's layout).
                if (l < b && isFinite(b)) {
                    base = b;
                    limit = l;
                }
            }
        }
        catch (e) {
            // A TEB that is not in the dump: no stack to scan.
        }
        return { arch: view.arch, teb, base, limit, pointer };
    }
    /**
     * The process's modules by WinDbg's names: the file name without its extension, and where two
     * modules share it (a WOW64 process's two ntdll.dll), the later one gets _<base as 8 hex digits>,
     * as WinDbg writes ntdll_77a60000 (docs/heap-structures.md §6b; the suffix of a base above 4 GiB is
     * UNVERIFIED). A module without a usable base or size is left out.
     */
    function listModules(processObject) {
        const list = [];
        const seen = {};
        for (const image of iterate(processObject.Modules)) {
            try {
                const m = image;
                const base = toNumber(m.BaseAddress);
                const file = String(m.Name).replace(/^.*[\\/]/, "");
                const dot = file.lastIndexOf(".");
                let name = dot > 0 ? file.slice(0, dot) : file;
                if (seen[name.toLowerCase()])
                    name += "_" + ("00000000" + base.toString(16)).slice(-8);
                seen[name.toLowerCase()] = true;
                list.push({ base, size: toNumber(m.Size), name });
            }
            catch (e) {
                // Skipped, as said.
            }
        }
        return list.sort((a, b) => a.base - b.base);
    }
    function readLfhKey(memory, layout) {
        if (layout.lfhKeyAddress === undefined)
            return undefined;
        try {
            return u32(memory.read(layout.lfhKeyAddress, 4), 0);
        }
        catch (e) {
            return undefined;
        }
    }
    function readPointer(bytes, at, pointerSize) {
        return pointerSize === 4 ? u32(bytes, at) : u32(bytes, at + 4) * 4294967296 + u32(bytes, at);
    }
    function* iterate(collection) {
        if (!collection)
            return;
        try {
            for (const item of collection)
                yield item;
        }
        catch (e) {
            // A collection the debugger cannot list contributes nothing.
        }
    }
    /** Sorted, with overlapping or touching regions joined. */
    function mergeRegions(regions) {
        const sorted = regions.filter((r) => r.size > 0).sort((a, b) => a.base - b.base);
        const out = [];
        for (let i = 0; i < sorted.length; i++) {
            const last = out[out.length - 1];
            const r = sorted[i];
            if (last && r.base <= last.base + last.size) {
                last.size = Math.max(last.size, r.base + r.size - last.base);
            }
            else {
                out.push({ base: r.base, size: r.size });
            }
        }
        return out;
    }
    /**
     * The output of REGIONS_COMMAND → regions. Each useful line holds two hex numbers, the base and
     * the end of a region, with or without 0x and WinDbg's backtick (00000000`7ffe0000); other lines
     * (such as "*** Executing: …" echoes and headers) are ignored.
     */
    function parseRegionLines(lines) {
        const regions = [];
        const hexWord = /^(?:0x)?([0-9a-f]+)$/i;
        for (const line of lines) {
            const words = String(line).trim().replace(/`/g, "").split(/\s+/);
            if (words.length !== 2)
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
        return mergeRegions(regions);
    }
    let unreadableFingerprints = 0;
    /**
     * undefined for a dump; for a live target, the threads' ids, instruction and stack pointers: a
     * target that ran and stopped again has at least one of them changed (a break-in even adds a
     * thread). The data model offers scripts no event or counter for "the target ran"
     * (docs/jsprovider.md §1.10), so the cache is re-validated this way at a few host calls per thread.
     * A live thread whose registers cannot be read makes the fingerprint unique: nothing is reused.
     */
    function liveFingerprint(processObject) {
        if (!isLiveTarget())
            return undefined;
        const parts = [];
        for (const thread of iterate(processObject.Threads)) {
            try {
                const t = thread;
                const user = t.Registers.User;
                const pc = user.rip !== undefined ? user.rip : user.eip;
                const sp = user.rsp !== undefined ? user.rsp : user.esp;
                if (pc === undefined || sp === undefined)
                    throw new Error("no registers");
                parts.push(`${String(t.Id)}:${pc.toString(16)}:${sp.toString(16)}`);
            }
            catch (e) {
                return `unreadable ${++unreadableFingerprints}`;
            }
        }
        return parts.join(",");
    }
    function isLiveTarget() {
        try {
            const session = host.currentSession;
            return session.Attributes.Target.IsLiveTarget === true;
        }
        catch (e) {
            return false;
        }
    }

    /** The page-heap layout of one ntdll. Never throws: what is missing is named in `problem`. */
    function resolvePageHeapLayout(types, pointerSize) {
        const { missing, need, needSize } = requiredFields(types);
        const R = "_DPH_HEAP_ROOT";
        const B = "_DPH_HEAP_BLOCK";
        const I = "_DPH_BLOCK_INFORMATION";
        const layout = {
            pointerSize,
            forceFlags: types.fieldOffset("_HEAP", "ForceFlags"),
            pageHeapList: types.symbolAddress("RtlpDphPageHeapList"),
            root: {
                size: needSize(R),
                signature: need(R, "Signature"),
                busyNodesTable: need(R, "BusyNodesTable"),
                freeListHead: need(R, "pFreeAllocationListHead"),
                freeCount: need(R, "nFreeAllocations"),
                nextHeap: need(R, "NextHeap"),
                normalHeap: need(R, "NormalHeap"),
            },
            table: { balancedRoot: need("_RTL_AVL_TABLE", "BalancedRoot"), elementCount: need("_RTL_AVL_TABLE", "NumberGenericTableElements") },
            links: { leftChild: need("_RTL_BALANCED_LINKS", "LeftChild"), rightChild: need("_RTL_BALANCED_LINKS", "RightChild") },
            node: {
                size: needSize(B),
                tableLinks: need(B, "TableLinks"),
                nextAlloc: need(B, "pNextAlloc"),
                userAllocation: need(B, "pUserAllocation"),
                virtualBlock: need(B, "pVirtualBlock"),
                virtualBlockSize: need(B, "nVirtualBlockSize"),
                virtualAccessSize: need(B, "nVirtualAccessSize"),
                userRequestedSize: need(B, "nUserRequestedSize"),
                userActualSize: need(B, "nUserActualSize"),
                stackTrace: need(B, "StackTrace"),
            },
            info: {
                size: needSize(I),
                startStamp: need(I, "StartStamp"),
                requestedSize: need(I, "RequestedSize"),
                stackTrace: need(I, "StackTrace"),
                endStamp: need(I, "EndStamp"),
            },
            problem: undefined,
        };
        if (missing.length > 0) {
            const named = namedMissing(missing);
            layout.problem = `ntdll's symbols do not describe ${named}: page heaps cannot be walked`;
        }
        return layout;
    }

    /** _HEAP.ForceFlags bit of a page-heap handle (§1.7). */
    const HEAP_FLAG_PAGE_ALLOCS = 0x01000000;
    /** _DPH_HEAP_ROOT.Signature (§1.7). */
    const DPH_SIGNATURE = 0xffeeddcc;
    /** The root is one page after the handle (§1.7). */
    const ROOT_OFFSET = 0x1000;
    /** _DPH_BLOCK_INFORMATION stamps, start and end, busy and freed (§1.7). */
    const FULL_STAMPS = { busy: [0xabcdbbbb, 0xdcbabbbb], freed: [0xabcdbbba, 0xdcbabbba] };
    const LIGHT_STAMPS = { busy: [0xabcdaaaa, 0xdcbaaaaa], freed: [0xabcdaaa9, 0xdcbaaaa9] };
    function pageHeapLayout(view) {
        if (!view.pageHeap)
            view.pageHeap = resolvePageHeapLayout(view.symbols, view.layout.pointerSize);
        return view.pageHeap;
    }

    /** Records `value`, read at `at`, as the row's trace; 0 names none, and a value that is no address is a finding. */
    function recordTrace(blocks, row, value, at, findings) {
        if (value === 0)
            return;
        if (!isFinite(value)) {
            findings.add("Corruption", at, `the StackTrace pointer at ${hex0x(at)} is above 2^53, not a user-mode address: that block's stack is not known`, "trace-pointer");
            return;
        }
        blocks.setTrace(row, value);
    }
    /** A decoded value for a message: hex, or what a pointer above 2^53 is. */
    function shown$1(value) {
        return isFinite(value) ? hex0x(value) : "a value above 2^53";
    }

    // The full-page blocks of a page heap (docs/heap-structures.md §1.7, §2.6): each has a virtual block
    // of its own, described by a _DPH_HEAP_BLOCK node. Busy nodes form the root's BusyNodesTable, an
    // RTL_AVL_TABLE whose links are each node's TableLinks, keyed by pUserAllocation; delayed-free ones
    // are the root's pFreeAllocationListHead list, through pNextAlloc. Nodes sit together in node
    // pools and are read in stretches of pages, not one by one; a block's DPH_BLOCK_INFORMATION, alone
    // in its own virtual block, costs one read. Each node is checked before it is listed: the tree by
    // node count, AVL depth, key order and loops; the block by its user range, its sizes and stamps.
    /** More full-page blocks than any process has address space for (each takes at least two pages). */
    const MAX_NODES$1 = 1 << 20;
    /** No virtual block of a full-page allocation is larger (1 TiB). */
    const MAX_VIRTUAL_BLOCK = Math.pow(2, 40);
    const PAGE$2 = 0x1000;
    /** Node pools are read in stretches of up to this many bytes from a node's page (HostMemory.readPrefix). */
    const CHUNK = 0x8000;
    const MAX_CHUNKS = 64;
    class FullPageWalker {
        constructor(memory, layout, heap, blocks, findings) {
            this.memory = memory;
            this.layout = layout;
            this.heap = heap;
            this.blocks = blocks;
            this.findings = findings;
            this.seen = new Set();
            /** Rows listed. */
            this.count = 0;
            this.reader = new NodeReader(memory);
            this.limit = layout.pointerSize === 8 ? Math.pow(2, 47) : Math.pow(2, 32);
        }
        /**
         * The busy nodes, in key order (an in-order walk of the tree). The tree hangs off the table's
         * BalancedRoot, a sentinel; which of its children holds it is UNVERIFIED (§2.6 does not say), so
         * both are followed, left first.
         */
        walkBusy(root, rootBytes) {
            const l = this.layout;
            const p = l.pointerSize;
            const table = l.root.busyNodesTable;
            const where = `the BusyNodesTable of page heap ${hex0x(this.heap)}`;
            const elements = u32(rootBytes, table + l.table.elementCount);
            let bound = elements;
            if (elements > MAX_NODES$1) {
                this.findings.add("Corruption", root + table + l.table.elementCount, `${where} says it holds ${elements} nodes, more than any process has: at most ${MAX_NODES$1} are walked`);
                bound = MAX_NODES$1;
            }
            const maxDepth = avlHeight(bound);
            const state = { visited: 0, stopped: false, problems: 0 };
            const stack = [];
            const children = [l.links.leftChild, l.links.rightChild];
            for (let c = 0; c < 2 && !state.stopped; c++) {
                const sentinel = table + l.table.balancedRoot + children[c];
                let link = pointer(rootBytes, sentinel, p);
                let from = root + sentinel;
                let depth = 1;
                let low = 0;
                let high = Infinity;
                for (;;) {
                    while (link !== 0 && !state.stopped) {
                        const frame = this.enter(link, from, depth, low, high, bound, maxDepth, where, state);
                        if (!frame)
                            break;
                        stack.push(frame);
                        from = frame.node + l.node.tableLinks + l.links.leftChild;
                        link = pointer(frame.bytes, l.node.tableLinks + l.links.leftChild, p);
                        depth = frame.depth + 1;
                        high = frame.key;
                    }
                    const frame = stack.pop();
                    if (!frame)
                        break;
                    this.list(frame.node, frame.bytes, STATE_BUSY);
                    if (state.stopped)
                        continue; // the ancestors still held are listed, nothing more is entered
                    from = frame.node + l.node.tableLinks + l.links.rightChild;
                    link = pointer(frame.bytes, l.node.tableLinks + l.links.rightChild, p);
                    depth = frame.depth + 1;
                    low = frame.key;
                    high = frame.high;
                }
            }
            if (state.problems === 0 && state.visited !== elements) {
                this.findings.add("Corruption", root + table, `${where} links ${state.visited} nodes, but its NumberGenericTableElements is ${elements}`);
            }
        }
        /** The delayed-free nodes, in list order, bounded by nFreeAllocations. */
        walkFreed(root, rootBytes) {
            const l = this.layout;
            const p = l.pointerSize;
            const where = `the delayed-free list of page heap ${hex0x(this.heap)}`;
            const expected = u32(rootBytes, l.root.freeCount);
            const bound = Math.min(expected, MAX_NODES$1);
            let from = root + l.root.freeListHead;
            let node = pointer(rootBytes, l.root.freeListHead, p);
            let walked = 0;
            while (node !== 0) {
                if (!this.plausible(node)) {
                    this.findings.add("Corruption", from, `${where}: ${hex0x(from)} links to ${shown$1(node)}, not a node: the rest of the list is not walked`);
                    return;
                }
                if (this.seen.has(node)) {
                    this.findings.add("Corruption", node, `${where} links node ${hex0x(node)} a second time (a loop, or a busy node): the rest of the list is not walked`);
                    return;
                }
                if (walked >= bound) {
                    this.findings.add("Corruption", node, `${where} is longer than its nFreeAllocations (${expected}): the rest of the list is not walked`);
                    return;
                }
                const bytes = this.reader.read(node, l.node.size);
                if (!bytes) {
                    this.findings.add("Unreadable", node, `${where}: node ${hex0x(node)} is not readable: the rest of the list is not walked`);
                    return;
                }
                this.seen.add(node);
                walked++;
                this.list(node, bytes, STATE_FREED);
                from = node + l.node.nextAlloc;
                node = pointer(bytes, l.node.nextAlloc, p);
            }
            if (walked !== expected)
                this.findings.add("Corruption", root + l.root.freeCount, `${where} holds ${walked} nodes, but its nFreeAllocations is ${expected}`);
        }
        /** A node of the tree, checked and read; undefined (with a finding) when its subtree cannot be walked. */
        enter(link, from, depth, low, high, bound, maxDepth, where, state) {
            const l = this.layout;
            const node = link - l.node.tableLinks;
            if (!this.plausible(node)) {
                state.problems++;
                this.findings.add("Corruption", from, `${where}: ${hex0x(from)} links to ${shown$1(link)}, not a node: that subtree is not walked`, "avl-link");
                return undefined;
            }
            if (this.seen.has(node)) {
                state.problems++;
                this.findings.add("Corruption", from, `${where} loops: ${hex0x(from)} links back to node ${hex0x(node)}: the link is not followed`, "avl-loop");
                return undefined;
            }
            if (state.visited >= bound) {
                state.problems++;
                state.stopped = true;
                this.findings.add("Corruption", node, `${where} links more nodes than its NumberGenericTableElements (${bound}): the rest is not walked`);
                return undefined;
            }
            if (depth > maxDepth) {
                state.problems++;
                this.findings.add("Corruption", node, `${where} is deeper than an AVL tree of ${bound} nodes can be (${maxDepth}) at node ${hex0x(node)}: that subtree is not walked`, "avl-depth");
                return undefined;
            }
            const bytes = this.reader.read(node, l.node.size);
            if (!bytes) {
                state.problems++;
                this.findings.add("Unreadable", node, `${where}: node ${hex0x(node)} is not readable: that subtree is not walked`, "avl-unreadable");
                return undefined;
            }
            this.seen.add(node);
            state.visited++;
            const key = pointer(bytes, l.node.userAllocation, l.pointerSize);
            // Keyed by pUserAllocation (§2.6): a key outside its subtree's range breaks the order, not the walk.
            if (!(key > low && key < high)) {
                this.findings.add("Corruption", node, `${where}: node ${hex0x(node)} has key (pUserAllocation) ${shown$1(key)} out of its place in the tree's order`, "avl-order");
            }
            return { node, bytes, depth, key, low, high };
        }
        /** One node's block, checked (§2.6, §6c.9) and listed unless its user range is not inside its virtual block. */
        list(node, bytes, state) {
            const l = this.layout;
            const n = l.node;
            const p = l.pointerSize;
            const user = pointer(bytes, n.userAllocation, p);
            const virtualBlock = pointer(bytes, n.virtualBlock, p);
            const virtualSize = pointer(bytes, n.virtualBlockSize, p);
            const accessSize = pointer(bytes, n.virtualAccessSize, p);
            const requested = pointer(bytes, n.userRequestedSize, p);
            const actual = pointer(bytes, n.userActualSize, p);
            const what = `${state === STATE_BUSY ? "busy" : "delayed-free"} full-page block of node ${hex0x(node)}`;
            if (!(virtualBlock > 0 && virtualSize > 0 && virtualSize <= MAX_VIRTUAL_BLOCK && virtualBlock + virtualSize <= this.limit)) {
                this.findings.add("Corruption", node, `${what}: its virtual block (pVirtualBlock ${shown$1(virtualBlock)}, nVirtualBlockSize ${shown$1(virtualSize)}) is not in user memory: not listed`, "node-virtual");
                return;
            }
            // The DPH_BLOCK_INFORMATION and the user data lie inside the block's own virtual block (§2.6).
            const info = l.info.size;
            if (!(user >= virtualBlock + info && requested <= virtualSize && user + requested <= virtualBlock + virtualSize)) {
                this.findings.add("Corruption", node, `${what}: its user range (pUserAllocation ${shown$1(user)}, nUserRequestedSize ${shown$1(requested)}) with its DPH_BLOCK_INFORMATION is not inside its virtual block [${hex0x(virtualBlock)}, ${hex0x(virtualBlock + virtualSize)}): not listed`, "node-range");
                return;
            }
            const row = this.blocks.push(virtualBlock, user, virtualSize, requested, state, KIND_PAGE_HEAP, NONE, NONE, 0, 0);
            this.count++;
            recordTrace(this.blocks, row, pointer(bytes, n.stackTrace, p), node + n.stackTrace, this.findings);
            // The user data ends next to a no-access page inside the virtual block (§2.6, §6c.9). What
            // nVirtualAccessSize and nUserActualSize count is UNVERIFIED (§1.7 only names them): this holds
            // whether the access size is the accessible part or the whole block, and asks only that the
            // request fit the actual size.
            if (!(requested <= actual && accessSize <= virtualSize && user + requested <= virtualBlock + accessSize)) {
                this.findings.add("Corruption", node, `${what}: its sizes disagree (nUserRequestedSize ${shown$1(requested)}, nUserActualSize ${shown$1(actual)}, nVirtualAccessSize ${shown$1(accessSize)}, nVirtualBlockSize ${hex0x(virtualSize)})`, "node-sizes");
            }
            this.checkInformation(user - info, requested, state, what);
        }
        /**
         * The DPH_BLOCK_INFORMATION just before the user data (§2.6): stamps of the node's state, and the
         * node's request. A delayed-free block's pages may be left out of a dump (the notes do not say
         * whether they stay readable), so only a busy block's must be readable.
         */
        checkInformation(at, requested, state, what) {
            const i = this.layout.info;
            let bytes;
            try {
                bytes = this.memory.read(at, i.size);
            }
            catch (e) {
                if (state === STATE_BUSY)
                    this.findings.add("Unreadable", at, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} is not readable`, "info-unreadable");
                return;
            }
            const stamps = state === STATE_BUSY ? FULL_STAMPS.busy : FULL_STAMPS.freed;
            const start = u32(bytes, i.startStamp);
            const end = u32(bytes, i.endStamp);
            if (start !== stamps[0] || end !== stamps[1]) {
                this.findings.add("Corruption", at, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} has stamps ${hex0x(start)}/${hex0x(end)}, not ${hex0x(stamps[0])}/${hex0x(stamps[1])}`, "info-stamps");
                return;
            }
            const recorded = pointer(bytes, i.requestedSize, this.layout.pointerSize);
            if (recorded !== requested) {
                this.findings.add("Corruption", at, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(at)} has RequestedSize ${shown$1(recorded)}, its node ${hex0x(requested)}`, "info-size");
            }
        }
        /** Nodes are pointer-aligned user-mode memory. */
        plausible(address) {
            return isFinite(address) && address >= 0x10000 && address < this.limit && address % this.layout.pointerSize === 0;
        }
    }
    /** The greatest height of an AVL tree of n nodes: the largest h whose sparsest tree, N(h) = N(h-1) + N(h-2) + 1, has at most n. */
    function avlHeight(n) {
        let height = 0;
        let sparsest = 0; // N(height)
        let previous = 0; // N(height - 1)
        for (;;) {
            const next = height === 0 ? 1 : sparsest + previous + 1;
            if (next > n)
                return height;
            previous = sparsest;
            sparsest = next;
            height++;
        }
    }
    /**
     * Reads nodes from the readable stretch (up to CHUNK bytes) starting at their page, each stretch
     * read once while held; at most MAX_CHUNKS are held.
     */
    class NodeReader {
        constructor(memory) {
            this.memory = memory;
            this.runs = [];
        }
        /** [address, address + length), or undefined when any of it is unreadable. */
        read(address, length) {
            for (let i = 0; i < this.runs.length; i++) {
                const run = this.runs[i];
                if (run.address <= address && address + length <= run.address + run.bytes.length) {
                    return run.bytes.subarray(address - run.address, address - run.address + length);
                }
            }
            const page = Math.floor(address / PAGE$2) * PAGE$2;
            const bytes = this.memory.readPrefix(page, Math.max(CHUNK, address + length - page));
            if (bytes.length < address + length - page)
                return undefined;
            if (this.runs.length >= MAX_CHUNKS)
                this.runs = [];
            this.runs.push({ address: page, bytes });
            return bytes.subarray(address - page, address - page + length);
        }
    }

    // The light blocks of a page heap (docs/heap-structures.md §2.6): busy blocks of its NormalHeap, an
    // NT heap walked by the NT walker, whose user data starts with a DPH_BLOCK_INFORMATION stamped
    // 0xABCDAAAA (busy) or 0xABCDAAA9 (freed, its free delayed). The block is the NT block; the
    // program's data follows the DPH_BLOCK_INFORMATION, RequestedSize bytes of it (§1.7, §6c.8). Busy
    // blocks without a stamp are the NormalHeap's own and not listed. The headers are read one
    // committed run of a segment at a time, never one read per block.
    function listLightBlocks(memory, layout, normal, blocks, findings) {
        const i = layout.info;
        const p = layout.pointerSize;
        const nt = normal.blocks;
        const where = `NormalHeap ${hex0x(normal.address)}`;
        let window;
        let windowEnd = 0;
        for (let row = 0; row < nt.count; row++) {
            if (nt.state[row] !== STATE_BUSY || nt.userSize[row] < i.size)
                continue;
            const user = nt.userAddress[row];
            const segment = nt.segment[row];
            const runEnd = segment === NONE ? user + nt.userSize[row] : committedEnd(normal.segments[segment], user);
            if (!window || runEnd !== windowEnd) {
                window = new MemoryWindow(memory, runEnd);
                windowEnd = runEnd;
            }
            if (!window.ensure(user, i.size)) {
                findings.add("Unreadable", user, `${where}: the user data of busy block ${hex0x(nt.address[row])} is not readable: whether it is a light page-heap block is not known`, "light-unreadable");
                continue;
            }
            const at = user - window.base;
            const bytes = window.bytes;
            const start = u32(bytes, at + i.startStamp);
            const stamps = start === LIGHT_STAMPS.busy[0] ? LIGHT_STAMPS.busy : start === LIGHT_STAMPS.freed[0] ? LIGHT_STAMPS.freed : undefined;
            if (!stamps)
                continue;
            const what = `light block ${hex0x(nt.address[row])} of ${where}`;
            const requested = pointer(bytes, at + i.requestedSize, p);
            if (!(requested <= nt.userSize[row] - i.size)) {
                findings.add("Corruption", user, `${what}: its RequestedSize ${shown$1(requested)} does not fit in the 0x${(nt.userSize[row] - i.size).toString(16)} bytes after its DPH_BLOCK_INFORMATION: not listed`, "light-size");
                continue;
            }
            const end = u32(bytes, at + i.endStamp);
            if (end !== stamps[1]) {
                findings.add("Corruption", user, `${what}: its DPH_BLOCK_INFORMATION at ${hex0x(user)} has StartStamp ${hex0x(start)} but EndStamp ${hex0x(end)}, not ${hex0x(stamps[1])}`, "light-stamp");
            }
            const listed = blocks.push(nt.address[row], user + i.size, nt.size[row], requested, stamps === LIGHT_STAMPS.busy ? STATE_BUSY : STATE_FREED, KIND_PAGE_HEAP, NONE, NONE, 0, 0);
            recordTrace(blocks, listed, pointer(bytes, at + i.stackTrace, p), user + i.stackTrace, findings);
        }
    }
    /** Where the committed run of a segment holding `address` ends: at the next uncommitted range, or the segment's end. */
    function committedEnd(segment, address) {
        let end = segment.lastValidEntry;
        const ranges = segment.uncommittedRanges;
        for (let i = 0; i < ranges.length; i++)
            if (ranges[i].address > address && ranges[i].address < end)
                end = ranges[i].address;
        return end;
    }

    function resolveTraceLayout(types, pointerSize) {
        const t = "_RTL_STACK_TRACE_ENTRY";
        const depth = types.fieldOffset(t, "Depth");
        const index = types.fieldOffset(t, "Index");
        const backTrace = types.fieldOffset(t, "BackTrace");
        const size = types.typeSize(t);
        if (depth === undefined || index === undefined || backTrace === undefined || size === undefined)
            return undefined;
        const symbol = types.symbolAddress("RtlpStackTraceDataBase");
        const entryIndexArray = types.fieldOffset("_STACK_TRACE_DATABASE", "EntryIndexArray");
        return {
            record: { depth, index, backTrace, maxFrames: Math.floor((size - backTrace) / pointerSize) },
            database: symbol !== undefined && entryIndexArray !== undefined ? { symbol, entryIndexArray } : undefined,
        };
    }

    // Allocation stacks: the frames of the _RTL_STACK_TRACE_ENTRY a block names (docs/heap-structures.md
    // §1.8, §2.6, §2.7), or why there are none. A block names its trace in the walk's trace column
    // (BlockTable.trace): a record's address (Windows 8+ +ust headers, page heap) or minus an index
    // into the trace database (Windows 7). Each distinct record and index is read once per process.
    /** PEB.NtGlobalFlag bits (docs/heap-structures.md §1.1). */
    const FLG_USER_STACK_TRACE_DB = 0x1000;
    const FLG_HEAP_PAGE_ALLOCS = 0x02000000;
    /** The reasons that do not depend on the trace: one object each, handed out for every such block. */
    const NO_STACK$1 = {
        TraceDatabaseOff: { reason: "TraceDatabaseOff", message: "the process records no allocation stacks: PEB.NtGlobalFlag lacks +ust (0x1000); turn it on with gflags /i <program>.exe +ust and run the program again" },
        SegmentHeapNoTrace: { reason: "SegmentHeapNoTrace", message: "a segment-heap block: dxheap does not read +ust records on segment heaps yet (where Windows keeps them there is UNVERIFIED, docs/heap-structures.md §2.7); its referrers say who holds it" },
        VirtualAllocNoTrace: { reason: "VirtualAllocNoTrace", message: "a VirtualAlloc'd block: Windows keeps no allocation stack for these (docs/heap-structures.md §2.7); its referrers say who holds it" },
        BeforeTracing: { reason: "BeforeTracing", message: "the block has no trace header: it was allocated before stack tracing began, or by a path that records none" },
        NoTraceTypes: { reason: "NoTraceTypes", message: "ntdll's symbols do not describe _RTL_STACK_TRACE_ENTRY: stacks cannot be read (check .sympath, then .reload /f ntdll.dll)" },
    };
    /** Sentinels the +ust header holds instead of a record (docs/heap-structures.md §2.7 [DLGHELP]). */
    const SENTINELS = [0x01010000, 0x0101000000000000];
    class TraceReader {
        constructor(view, target) {
            this.view = view;
            this.target = target;
            this.records = new Map();
            /** The result of each trace column value asked about (a record's address, or minus an index). */
            this.results = new Map();
            this.indices = new Map();
            this.layout = resolveTraceLayout(view.symbols, view.layout.pointerSize);
            this.globalFlag = readGlobalFlag(view);
        }
        get tracing() {
            return this.globalFlag !== undefined && (this.globalFlag & (FLG_USER_STACK_TRACE_DB | FLG_HEAP_PAGE_ALLOCS)) !== 0;
        }
        /**
         * The stack of a walk's row, or why it has none: one result object per distinct trace and per
         * reason, so that grouping millions of blocks can key on it without making anything per block.
         */
        stack(walk, row) {
            const blocks = walk.blocks;
            const trace = blocks.trace ? blocks.trace[row] : 0;
            if (trace === 0) {
                if (!this.tracing)
                    return NO_STACK$1.TraceDatabaseOff;
                if (walk.type === "Segment")
                    return NO_STACK$1.SegmentHeapNoTrace;
                if (blocks.kind[row] === KIND_VIRTUAL_ALLOC)
                    return NO_STACK$1.VirtualAllocNoTrace;
                return NO_STACK$1.BeforeTracing;
            }
            if (!this.layout)
                return NO_STACK$1.NoTraceTypes;
            const known = this.results.get(trace);
            if (known)
                return known;
            const record = trace > 0 ? trace : this.recordOfIndex(-trace);
            const frames = record === undefined ? undefined : this.frames(record);
            let result;
            if (frames) {
                result = { frames };
            }
            else {
                const where = trace > 0 ? `trace record ${hex0x(trace)}` : `trace index ${-trace}${record === undefined ? "" : ` (record ${hex0x(record)})`}`;
                result = { reason: "TraceUnreadable", message: `the block names ${where}, which this dump does not hold (or which is not a trace record)` };
            }
            this.results.set(trace, result);
            return result;
        }
        /** The frames of a record, read once; undefined when unreadable or implausible. */
        frames(record) {
            if (this.records.has(record))
                return this.records.get(record);
            const frames = this.readRecord(record);
            this.records.set(record, frames);
            return frames;
        }
        /**
         * Depth holds the frame count (UNVERIFIED: one public reader takes the field called Index, §2.7):
         * both readings are tried, and the one whose frames all lie in modules and stop where the
         * stack stops (the next slot is not code) wins, Depth first.
         */
        readRecord(record) {
            const layout = this.layout;
            const p = this.view.layout.pointerSize;
            if (SENTINELS.indexOf(record) >= 0)
                return undefined;
            const r = layout.record;
            let bytes;
            try {
                bytes = this.view.memory.read(record, r.backTrace + r.maxFrames * p);
            }
            catch (e) {
                return undefined;
            }
            const slots = [];
            for (let i = 0; i < r.maxFrames; i++)
                slots.push(pointer(bytes, r.backTrace + i * p, p));
            const inModules = (n) => {
                for (let i = 0; i < n; i++)
                    if (!this.target.moduleAt(slots[i]))
                        return false;
                return true;
            };
            const ends = (n) => n === r.maxFrames || !this.target.moduleAt(slots[n]);
            const candidates = [u16(bytes, r.depth), u16(bytes, r.index)].filter((n) => n >= 1 && n <= r.maxFrames);
            for (let pass = 0; pass < 2; pass++) {
                for (let i = 0; i < candidates.length; i++) {
                    const n = candidates[i];
                    if (inModules(n) && (pass === 1 || ends(n)))
                        return slots.slice(0, n);
                }
            }
            return undefined;
        }
        /** Windows 7: RtlpStackTraceDataBase->EntryIndexArray[-index] (§1.8, §2.7). */
        recordOfIndex(index) {
            if (this.indices.has(index))
                return this.indices.get(index);
            const db = this.layout.database;
            const p = this.view.layout.pointerSize;
            let record;
            try {
                if (db && this.database === undefined) {
                    this.database = NaN; // until read: an unreadable database is tried once, not once per index
                    const base = pointer(this.view.memory.read(db.symbol, p), 0, p);
                    this.database = pointer(this.view.memory.read(base + db.entryIndexArray, p), 0, p);
                }
                if (this.database !== undefined && isFinite(this.database)) {
                    record = pointer(this.view.memory.read(this.database - index * p, p), 0, p);
                    if (!isFinite(record) || record === 0)
                        record = undefined;
                }
            }
            catch (e) {
                record = undefined;
            }
            this.indices.set(index, record);
            return record;
        }
    }
    function readGlobalFlag(view) {
        if (view.layout.ntGlobalFlag === undefined)
            return undefined;
        try {
            return u32(view.memory.read(view.peb + view.layout.ntGlobalFlag, 4), 0);
        }
        catch (e) {
            return undefined;
        }
    }

    /**
     * The page heaps among `handles`, then those only ntdll!RtlpDphPageHeapList names, each once. The
     * handles are read only when the process uses page heap at all (roots on that list, a list that
     * cannot be read, or +hpa in PEB.NtGlobalFlag): listing the heaps of other processes reads no heap.
     */
    function findPageHeapRoots(view, handles, limit, findings) {
        const layout = pageHeapLayout(view);
        // Without the _DPH_* types page heaps are walked as Unsupported, and say so there.
        if (layout.problem)
            return [];
        const list = readPageHeapList(view, layout, limit, findings);
        const onList = {};
        for (let i = 0; i < list.roots.length; i++)
            onList[list.roots[i].handle] = list.roots[i];
        const inUse = list.roots.length > 0 || list.damaged || usesPageHeap(view);
        const found = [];
        const seen = {};
        for (let i = 0; i < handles.length; i++) {
            const handle = handles[i];
            const root = onList[handle] || (inUse ? probeHandle(view, layout, handle) : undefined);
            if (root && !seen[handle]) {
                seen[handle] = true;
                found.push(root);
            }
        }
        for (let i = 0; i < list.roots.length; i++) {
            if (!seen[list.roots[i].handle]) {
                seen[list.roots[i].handle] = true;
                found.push(list.roots[i]);
            }
        }
        return found;
    }
    /** The roots on ntdll!RtlpDphPageHeapList; damaged when the list could not be followed to its end. */
    function readPageHeapList(view, layout, limit, findings) {
        const head = layout.pageHeapList;
        const roots = [];
        if (head === undefined)
            return { roots, damaged: false };
        const p = layout.pointerSize;
        try {
            // A zero Flink: ntdll has not initialized page heap (RtlpDphPageHeapListInitialized, §6).
            if (pointer(view.memory.read(head, p), 0, p) === 0)
                return { roots, damaged: false };
        }
        catch (e) {
            findings.add("Unreadable", head, `ntdll!RtlpDphPageHeapList at ${hex0x(head)} is not readable: page heaps are found from the listed heaps only`);
            return { roots, damaged: true };
        }
        const list = walkList(view.memory, head, limit);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `ntdll!RtlpDphPageHeapList: ${list.problem.message}`);
        for (let i = 0; i < list.links.length; i++) {
            const root = list.links[i] - layout.root.nextHeap;
            const read = readRoot(view, layout, root);
            if (read.bytes)
                roots.push({ handle: root - ROOT_OFFSET, normalHeap: normalHeapOf(layout, read.bytes) });
            else
                findings.add(read.problem.kind, root, `ntdll!RtlpDphPageHeapList: ${read.problem.message}: that page heap is found only if a heap list names it`);
        }
        return { roots, damaged: list.problem !== undefined };
    }
    /** +hpa in PEB.NtGlobalFlag (§1.1). */
    function usesPageHeap(view) {
        const at = view.layout.ntGlobalFlag;
        if (at === undefined)
            return false;
        try {
            return (u32(view.memory.read(view.peb + at, 4), 0) & FLG_HEAP_PAGE_ALLOCS) !== 0;
        }
        catch (e) {
            return false;
        }
    }
    /** The root of a handle with HEAP_FLAG_PAGE_ALLOCS and a signed root; else undefined (classify.ts says why). */
    function probeHandle(view, layout, handle) {
        if (layout.forceFlags === undefined)
            return undefined;
        try {
            if ((u32(view.memory.read(handle + layout.forceFlags, 4), 0) & HEAP_FLAG_PAGE_ALLOCS) === 0)
                return undefined;
        }
        catch (e) {
            return undefined;
        }
        const read = readRoot(view, layout, handle + ROOT_OFFSET);
        return read.bytes ? { handle, normalHeap: normalHeapOf(layout, read.bytes) } : undefined;
    }
    /** A root's bytes (sizeof(_DPH_HEAP_ROOT)) when it is readable and signed; otherwise what is wrong with it. */
    function readRoot(view, layout, root) {
        let bytes;
        try {
            bytes = view.memory.read(root, layout.root.size);
        }
        catch (e) {
            return { bytes: undefined, problem: { kind: "Unreadable", address: root, message: `the _DPH_HEAP_ROOT at ${hex0x(root)} is not readable` } };
        }
        const signature = u32(bytes, layout.root.signature);
        if (signature === DPH_SIGNATURE)
            return { bytes, problem: undefined };
        const message = `the _DPH_HEAP_ROOT at ${hex0x(root)} has signature ${hex0x(signature)}, not ${hex0x(DPH_SIGNATURE)}`;
        return { bytes: undefined, problem: { kind: "Corruption", address: root, message } };
    }
    /** DPH_HEAP_ROOT.NormalHeap; 0 for none, or for a value that is no address (the walk says which). */
    function normalHeapOf(layout, root) {
        const normalHeap = pointer(root, layout.root.normalHeap, layout.pointerSize);
        return isFinite(normalHeap) ? normalHeap : 0;
    }

    // One walk of one page heap (docs/heap-structures.md §1.7, §2.6): from the _DPH_HEAP_ROOT one page
    // after the handle, the busy full-page blocks (BusyNodesTable, in pUserAllocation order), the
    // delayed-free ones (pFreeAllocationListHead order), then the light blocks of its NormalHeap (in
    // that heap's order), as a columnar BlockTable plus findings. A page heap has no segments; every
    // full-page block is a virtual block of its own. Nothing here throws for bad target memory.
    /** ntWalkAt: the walk of an NT heap of the process, from its cache (the NormalHeap is walked once). */
    function walkPageHeap(view, address, flags, ntWalkAt) {
        const findings = new FindingLog();
        const blocks = new BlockTableBuilder();
        const walk = emptyHeapWalk(address, "PageHeap", flags, view.layout.entry.granularity);
        const layout = pageHeapLayout(view);
        if (layout.problem) {
            findings.add("Unsupported", address, layout.problem);
            walk.findings = findings.list();
            return walk;
        }
        const root = address + ROOT_OFFSET;
        const read = readRoot(view, layout, root);
        if (!read.bytes) {
            const problem = read.problem;
            // At the handle's address: the heap as a whole could not be walked (process-heaps.ts walkProblem).
            findings.add(problem.kind, problem.kind === "Unreadable" ? address : problem.address, `page heap ${hex0x(address)}: ${problem.message}`);
            walk.findings = findings.list();
            return walk;
        }
        const full = new FullPageWalker(view.memory, layout, address, blocks, findings);
        full.walkBusy(root, read.bytes);
        full.walkFreed(root, read.bytes);
        walk.virtualBlockCount = full.count;
        const normalHeap = normalHeapOf(layout, read.bytes);
        const normal = normalHeap === 0 ? undefined : ntWalkAt(normalHeap);
        if (normal) {
            walk.normalHeap = normalHeap;
            listLightBlocks(view.memory, layout, normal, blocks, findings);
        }
        else {
            findings.add("Corruption", root + layout.root.normalHeap, `the NormalHeap of page heap ${hex0x(address)} (${normalHeap === 0 ? "none" : hex0x(normalHeap)}) is not an NT heap of this process: its light blocks are not listed`);
        }
        walk.blocks = blocks.seal();
        walk.findings = findings.list();
        return walk;
    }

    /**
     * The segment-heap layout of one ntdll. Never throws: a missing essential field sets `problem`
     * (the heap is reported Unsupported), a missing component field adds a line to `gaps`.
     */
    function resolveSegmentHeapLayout(types, pointerSize) {
        var _a, _b;
        const { missing, need, needSize } = requiredFields(types);
        const opt = (type, field) => types.fieldOffset(type, field);
        const H = "_SEGMENT_HEAP";
        const D = "_HEAP_PAGE_RANGE_DESCRIPTOR";
        const segContexts = need(H, "SegContexts");
        const segContext = {
            size: needSize("_HEAP_SEG_CONTEXT"),
            segmentMask: need("_HEAP_SEG_CONTEXT", "SegmentMask"),
            unitShift: need("_HEAP_SEG_CONTEXT", "UnitShift"),
            firstDescriptorIndex: need("_HEAP_SEG_CONTEXT", "FirstDescriptorIndex"),
            segmentListHead: need("_HEAP_SEG_CONTEXT", "SegmentListHead"),
        };
        const pageSegmentSize = needSize("_HEAP_PAGE_SEGMENT");
        const descriptorSize = needSize(D);
        const pageSegment = {
            size: pageSegmentSize,
            listEntry: need("_HEAP_PAGE_SEGMENT", "ListEntry"),
            signature: need("_HEAP_PAGE_SEGMENT", "Signature"),
            descriptorCount: descriptorSize > 0 ? Math.floor(pageSegmentSize / descriptorSize) : 0,
        };
        const rangeFlags = need(D, "RangeFlags");
        const unusedBytes = need(D, "UnusedBytes");
        // UnitSize shares its byte with UnitOffset (§1.9); some dumps name only one of them.
        const unitSize = opt(D, "UnitSize") !== undefined ? opt(D, "UnitSize") : need(D, "UnitOffset");
        const key = opt(D, "Key");
        // The newer x64 variant's key is 2 bytes: EncodedCommitCount (u8) then PageCount (§1.9).
        const commitCount8 = opt("_HEAP_DESCRIPTOR_KEY", "EncodedCommitCount");
        const descriptor = {
            size: descriptorSize,
            rangeFlags,
            rangeFlagsMask: pointerSize === 4 ? 0x1f : 0xff,
            unitSize,
            unusedBytes,
            // A u32 UnusedBytes is 4-aligned (0x04); the newer x64 variant's u16 sits at 0x06 (§1.9).
            unusedBytesWidth: unusedBytes % 4 === 0 ? 4 : 2,
            // _HEAP_DESCRIPTOR_KEY: EncodedCommittedPageCount:16@0 on x64; on x86 the key's first byte is
            // RangeFlags ("Ignore:8@0") and the count is at bits 8..23 (§1.9).
            encodedCommittedPageCount: key === undefined ? undefined : commitCount8 !== undefined ? key + commitCount8 : key === rangeFlags ? key + 1 : key,
            encodedCommittedPageCountBits: commitCount8 !== undefined ? 8 : 16,
            committedPageCount: pointerSize === 8 ? opt(D, "CommittedPageCount") : undefined,
        };
        const gaps = [];
        const vs = resolveVs(types, gaps);
        const lfh = resolveLfh(types, gaps);
        const large = resolveLarge(types, gaps);
        const globalsAddress = types.symbolAddress("RtlpHpHeapGlobals");
        const globals = globalsAddress === undefined ? undefined : {
            address: globalsAddress,
            heapKey: (_a = opt("_RTLP_HP_HEAP_GLOBALS", "HeapKey")) !== null && _a !== void 0 ? _a : 0,
            // MemProcFS reads the LFH key at +8 (x64) / +4 (x86) when the type is unknown (§2.5).
            lfhKey: (_b = opt("_RTLP_HP_HEAP_GLOBALS", "LfhKey")) !== null && _b !== void 0 ? _b : pointerSize,
        };
        if (!globals)
            gaps.push("ntdll!RtlpHpHeapGlobals (the segment heap keys)");
        const heap = {
            segContexts,
            largeAllocMetadata: large ? opt(H, "LargeAllocMetadata") : undefined,
            largeReservedPages: opt(H, "LargeReservedPages"),
            largeCommittedPages: opt(H, "LargeCommittedPages"),
            totalReservedPages: opt(H, "MemStats.TotalReservedPages"),
            totalCommittedPages: opt(H, "MemStats.TotalCommittedPages"),
            freeCommittedPages: opt(H, "MemStats.FreeCommittedPages"),
            lfhFreeCommittedPages: opt(H, "MemStats.LfhFreeCommittedPages"),
            vsTotalCommittedUnits: opt(H, "VsContext.TotalCommittedUnits"),
            vsFreeCommittedUnits: opt(H, "VsContext.FreeCommittedUnits"),
        };
        if (large && heap.largeAllocMetadata === undefined)
            gaps.push(`${H}.LargeAllocMetadata (large blocks)`);
        let heapSpan = segContexts + 2 * segContext.size;
        const fields = [heap.largeAllocMetadata, heap.largeReservedPages, heap.largeCommittedPages, heap.totalReservedPages, heap.totalCommittedPages,
            heap.freeCommittedPages, heap.lfhFreeCommittedPages, heap.vsTotalCommittedUnits, heap.vsFreeCommittedUnits];
        for (let i = 0; i < fields.length; i++) {
            const at = fields[i];
            if (at !== undefined)
                heapSpan = Math.max(heapSpan, at + 2 * pointerSize);
        }
        if (pageSegment.descriptorCount < 2 && missing.length === 0)
            missing.push(`a _HEAP_PAGE_SEGMENT of descriptors (${pageSegmentSize}/${descriptorSize})`);
        return {
            pointerSize,
            granularity: 2 * pointerSize,
            heapSpan,
            heap,
            segContext,
            pageSegment,
            descriptor,
            vs,
            lfh,
            large: heap.largeAllocMetadata === undefined ? undefined : large,
            globals,
            pebOsBuildNumber: types.fieldOffset("_PEB", "OSBuildNumber"),
            problem: missing.length === 0 ? undefined
                : `ntdll symbols do not describe ${missing.join(", ")}: dxheap cannot walk segment heaps (check .sympath and run .reload /f ntdll.dll)`,
            gaps,
        };
    }
    function resolveVs(types, gaps) {
        var _a;
        const S = "_HEAP_VS_SUBSEGMENT";
        const C = "_HEAP_VS_CHUNK_HEADER";
        const subsegmentSize = types.typeSize(S);
        const chunkHeaderSize = types.typeSize(C);
        const size = types.fieldOffset(S, "Size");
        const signature = types.fieldOffset(S, "Signature");
        if (!subsegmentSize || !chunkHeaderSize || size === undefined || signature === undefined) {
            gaps.push(`${S}/${C} (VS chunks)`);
            return undefined;
        }
        return {
            size,
            signature,
            chunkHeaderSize,
            allocatedChunkBits: (_a = types.fieldOffset(C, "AllocatedChunkBits")) !== null && _a !== void 0 ? _a : chunkHeaderSize / 2,
            firstChunk: Math.ceil(subsegmentSize / chunkHeaderSize) * chunkHeaderSize,
        };
    }
    function resolveLfh(types, gaps) {
        const S = "_HEAP_LFH_SUBSEGMENT";
        const blockCount = types.fieldOffset(S, "BlockCount");
        const blockOffsets = types.fieldOffset(S, "BlockOffsets");
        const blockBitmap = types.fieldOffset(S, "BlockBitmap");
        if (blockCount === undefined || blockOffsets === undefined || blockBitmap === undefined) {
            gaps.push(`${S} (segment LFH blocks)`);
            return undefined;
        }
        return { blockCount, blockOffsets, blockBitmap };
    }
    function resolveLarge(types, gaps) {
        var _a, _b;
        const A = "_HEAP_LARGE_ALLOC_DATA";
        const root = types.fieldOffset("_RTL_RB_TREE", "Root");
        const min = types.fieldOffset("_RTL_RB_TREE", "Min");
        const left = (_a = types.fieldOffset("_RTL_BALANCED_NODE", "Left")) !== null && _a !== void 0 ? _a : types.fieldOffset("_RTL_BALANCED_NODE", "Children");
        const right = types.fieldOffset("_RTL_BALANCED_NODE", "Right");
        const nodeSize = types.typeSize(A);
        const virtualAddress = types.fieldOffset(A, "VirtualAddress");
        const allocatedPages = types.fieldOffset(A, "AllocatedPages");
        if (root === undefined || min === undefined || left === undefined || right === undefined || !nodeSize || virtualAddress === undefined || allocatedPages === undefined) {
            gaps.push(`${A}/_RTL_RB_TREE (large blocks)`);
            return undefined;
        }
        return { root, min, left, right, nodeSize, treeNode: (_b = types.fieldOffset(A, "TreeNode")) !== null && _b !== void 0 ? _b : 0, virtualAddress, allocatedPages };
    }

    /** From this build on the segment signature has no constant and LFH offsets shift (u32)(sub >> 12) (§6, §2.5). */
    const NEWER_ENCODING_BUILD = 26100;
    function segmentHeapContext(view) {
        if (!view.segmentHeap)
            view.segmentHeap = resolveContext(view);
        return view.segmentHeap;
    }
    function resolveContext(view) {
        const layout = resolveSegmentHeapLayout(view.symbols, view.layout.pointerSize);
        const p = layout.pointerSize;
        let keys;
        let keysProblem;
        const g = layout.globals;
        if (!g) {
            keysProblem = "ntdll has no RtlpHpHeapGlobals symbol: the segment heap keys are unknown";
        }
        else {
            try {
                const bytes = view.memory.read(g.address, Math.max(g.heapKey + p, g.lfhKey + 4));
                keys = { heapLo: u32(bytes, g.heapKey), heapHi: p === 8 ? u32(bytes, g.heapKey + 4) : 0, lfh: u32(bytes, g.lfhKey) };
            }
            catch (e) {
                keysProblem = `ntdll!RtlpHpHeapGlobals at ${hex0x(g.address)} is not readable: the segment heap keys are unknown`;
            }
        }
        let build;
        if (layout.pebOsBuildNumber !== undefined) {
            try {
                const reported = u16(view.memory.read(view.peb + layout.pebOsBuildNumber, 2), 0);
                // Windows 10 starts at 10240; anything else is not a build number.
                if (reported >= 10240)
                    build = reported;
            }
            catch (e) {
                build = undefined;
            }
        }
        const newerEncoding = build !== undefined ? build >= NEWER_ENCODING_BUILD : view.layout.heapDescriptors !== undefined;
        return { layout, keys, keysProblem, build, newerEncoding };
    }

    // The large blocks of a segment heap (docs/heap-structures.md §2.5 step 5): each is a
    // _HEAP_LARGE_ALLOC_DATA node of the red-black tree _SEGMENT_HEAP.LargeAllocMetadata, describing a
    // VirtualAlloc'd block: VirtualAddress (its low 16 bits are UnusedBytes) and AllocatedPages.
    // The tree is walked with bounds on depth and node count and a check for loops; its pointers may
    // be encoded, and how is UNVERIFIED (§2.5 step 5, §6b.6), so every decoding below is tried and the
    // first one that gives a sound tree is kept.
    const TWO_32$3 = 4294967296;
    const PAGE$1 = 4096;
    /** A red-black tree of 2^20 nodes is at most 40 deep; deeper means a corrupt or looping tree. */
    const MAX_DEPTH = 64;
    const MAX_NODES = 1 << 20;
    /**
     * How tree pointers decode. Plain: as stored. NodeXor: the notes' reading, Root ^ &tree and each
     * child ^ &its parent node. TreeXor: every pointer ^ &tree (the other reading a single XOR key
     * allows). A stored 0, or a pointer decoding to 0, is a null link in every mode.
     */
    const PLAIN = 0;
    const NODE_XOR = 1;
    const TREE_XOR = 2;
    class LargeBlockWalker {
        constructor(memory, large, pointerSize, blocks, findings) {
            this.memory = memory;
            this.large = large;
            this.pointerSize = pointerSize;
            this.blocks = blocks;
            this.findings = findings;
        }
        /**
         * Lists the large blocks of the tree at `tree` (whose bytes start at header[at]), in address
         * order; returns how many, and adds the tree's nodes to `metadata`. `own`: the heap's header and
         * page segments, which no large block overlaps (each is a VirtualAlloc of its own, §2.5 step 5).
         */
        walk(tree, header, at, metadata, own) {
            const l = this.large;
            const rootLow = u32(header, at + l.root);
            const rootHigh = this.pointerSize === 8 ? u32(header, at + l.root + 4) : 0;
            // RTL_RB_TREE.Encoded is bit 0 of Min (§1.9): the decoding it names is tried first.
            const encoded = (header[at + l.min] & 1) !== 0;
            const order = encoded ? [NODE_XOR, TREE_XOR, PLAIN] : [PLAIN, NODE_XOR, TREE_XOR];
            let best;
            for (let i = 0; i < order.length; i++) {
                const attempt = this.attempt(tree, rootLow, rootHigh, order[i], own);
                if (!attempt.problem && attempt.bad === 0) {
                    best = attempt;
                    break;
                }
                if (!best || attempt.va.length > best.va.length)
                    best = attempt;
            }
            const result = best;
            if (result.problem) {
                const more = result.problems > 1 ? ` (and ${result.problems - 1} more bad links)` : "";
                this.findings.add(result.problem.kind, result.problem.address, result.problem.message + more);
            }
            if (result.bad > 0) {
                this.findings.add("Corruption", result.firstBad, `large block tree ${hex0x(tree)}: ${result.bad} nodes describe implausible blocks (first ${hex0x(result.firstBad)}: ${result.firstWhy}): they are not listed`);
            }
            for (let i = 0; i < result.nodes.length; i++)
                metadata.push({ base: result.nodes[i], size: this.large.nodeSize });
            const rows = result.va.map((_, i) => i).sort((a, b) => result.va[a] - result.va[b]);
            for (let k = 0; k < rows.length; k++) {
                const i = rows[k];
                this.blocks.push(result.va[i], result.va[i], result.size[i], result.userSize[i], STATE_BUSY, KIND_LARGE, NONE, NONE, 0, 0);
            }
            return rows.length;
        }
        /** One decoding: every node reachable from the root, skipping (and reporting) bad links. */
        attempt(tree, rootLow, rootHigh, decoding, own) {
            const l = this.large;
            const p = this.pointerSize;
            const out = { nodes: [], va: [], size: [], userSize: [], bad: 0, firstBad: 0, firstWhy: "", problem: undefined, problems: 0 };
            const root = this.decode(rootLow, rootHigh, decoding === PLAIN ? 0 : tree);
            if (root === 0)
                return out;
            // Depth-first with an explicit stack: node, depth, and where the link to it is stored.
            const stackNode = [root];
            const stackDepth = [1];
            const stackFrom = [tree];
            const seen = new Set();
            const where = `large block tree ${hex0x(tree)}`;
            let visited = 0;
            while (stackNode.length > 0) {
                const link = stackNode.pop();
                const depth = stackDepth.pop();
                const from = stackFrom.pop();
                if (!this.plausible(link)) {
                    this.problem(out, "Corruption", from, `${where}: ${hex0x(from)} links to ${isFinite(link) ? hex0x(link) : "a value above 2^53"}, not a node: that subtree is not walked`);
                    continue;
                }
                if (seen.has(link)) {
                    this.problem(out, "Corruption", link, `${where} loops: ${hex0x(from)} links back to node ${hex0x(link)}: the link is not followed`);
                    continue;
                }
                if (depth > MAX_DEPTH) {
                    this.problem(out, "Corruption", link, `${where} is deeper than ${MAX_DEPTH} at node ${hex0x(link)}: that subtree is not walked`);
                    continue;
                }
                if (visited >= MAX_NODES) {
                    this.problem(out, "Corruption", link, `${where} has more than ${MAX_NODES} nodes: the rest is not walked`);
                    break;
                }
                seen.add(link);
                visited++;
                const node = link - l.treeNode;
                let bytes;
                try {
                    bytes = this.memory.read(node, l.nodeSize);
                }
                catch (e) {
                    this.problem(out, "Unreadable", node, `${where}: node ${hex0x(node)} is not readable: that subtree is not walked`);
                    continue;
                }
                out.nodes.push(node);
                const why = this.entry(bytes, out, own);
                if (why !== undefined && out.bad++ === 0) {
                    out.firstBad = node;
                    out.firstWhy = why;
                }
                const key = decoding === NODE_XOR ? link : decoding === TREE_XOR ? tree : 0;
                for (let c = 0; c < 2; c++) {
                    const at = l.treeNode + (c === 0 ? l.left : l.right);
                    const child = this.decode(u32(bytes, at), p === 8 ? u32(bytes, at + 4) : 0, key);
                    if (child !== 0) {
                        stackNode.push(child);
                        stackDepth.push(depth + 1);
                        stackFrom.push(node + at);
                    }
                }
            }
            return out;
        }
        problem(out, kind, address, message) {
            if (out.problems++ === 0)
                out.problem = { kind, address, message };
        }
        /**
         * One block: VA = VirtualAddress & ~0xFFFF (the low 16 bits are UnusedBytes), size =
         * AllocatedPages (bits 12 and up of its container) * 4 KiB, user size = size - UnusedBytes
         * (§1.9, §2.5 step 5). Why the values are implausible, if they are.
         */
        entry(bytes, out, own) {
            const l = this.large;
            const p = this.pointerSize;
            const low = u32(bytes, l.virtualAddress);
            const high = p === 8 ? u32(bytes, l.virtualAddress + 4) : 0;
            const unused = low & 0xffff;
            const va = high * TWO_32$3 + ((low & 0xffff0000) >>> 0);
            const pagesLow = u32(bytes, l.allocatedPages) >>> 12;
            const pagesHigh = p === 8 ? u32(bytes, l.allocatedPages + 4) : 0;
            const pages = pagesHigh * 0x100000 + pagesLow;
            const limit = p === 8 ? Math.pow(2, 47) : TWO_32$3;
            const size = pages * PAGE$1;
            if (va === 0)
                return "no address";
            if (pages === 0)
                return "no pages";
            if (va + size > limit)
                return "it ends past the user-mode range";
            if (unused >= size)
                return "its unused bytes fill it";
            for (let i = 0; i < own.length; i++) {
                if (va < own[i].base + own[i].size && own[i].base < va + size) {
                    return `block ${hex0x(va)} of 0x${size.toString(16)} bytes overlaps the heap's own ${hex0x(own[i].base)}`;
                }
            }
            out.va.push(va);
            out.size.push(size);
            out.userSize.push(size - unused);
            return undefined;
        }
        /** A stored pointer (32-bit halves) XOR key, as a number; 0 for a null link; Infinity above 2^53. */
        decode(low, high, key) {
            if (low === 0 && high === 0)
                return 0;
            const dl = (low ^ low32(key)) >>> 0;
            const dh = (high ^ Math.floor(key / TWO_32$3)) >>> 0;
            if (dh > 0x1fffff)
                return Infinity;
            return dh * TWO_32$3 + dl;
        }
        /** Nodes are pointer-aligned user-mode heap metadata. */
        plausible(address) {
            const limit = this.pointerSize === 8 ? Math.pow(2, 47) : TWO_32$3;
            return isFinite(address) && address >= 0x10000 && address < limit && address % this.pointerSize === 0;
        }
    }

    // The blocks of a segment-heap LFH subsegment (docs/heap-structures.md §2.5 step 4): a
    // _HEAP_LFH_SUBSEGMENT at the range's start whose BlockOffsets are encoded with the LFH key and the
    // subsegment's address, a bitmap of 2 bits per block (bit 0 busy, bit 1 "unused-bytes info
    // present"), then BlockCount blocks of BlockSize bytes, without headers.
    /** _HEAP_LFH_UNUSED_BYTES_INFO: OneByteUnused:1@15, UnusedBytes:14@0 (§1.9, §2.5 step 4). */
    const ONE_BYTE_UNUSED$1 = 0x8000;
    const UNUSED_MASK$1 = 0x3fff;
    /** Smallest LFH block and the alignment of block sizes and offsets. */
    const BLOCK_ALIGN = 8;
    class LfhSubsegmentWalker {
        constructor(memory, lfh, pointerSize, keys, 
        /** Try the 26100 shift (u32)(sub >> 12) first rather than (u32)sub >> 12 (§2.5 step 4, §6). */
        newerShift, blocks, findings) {
            this.memory = memory;
            this.lfh = lfh;
            this.pointerSize = pointerSize;
            this.keys = keys;
            this.newerShift = newerShift;
            this.blocks = blocks;
            this.findings = findings;
            this.geometry = { blockSize: 0, first: 0 };
        }
        /** Lists the blocks of the LFH subsegment in [start, end), after the container row `row`. */
        walk(start, end, row, segmentIndex) {
            const lfh = this.lfh;
            const window = new MemoryWindow(this.memory, end);
            if (!window.ensure(start, lfh.blockBitmap)) {
                this.unreadable(start, window);
                return;
            }
            const count = u16(window.bytes, start - window.base + lfh.blockCount);
            const encoded = u32(window.bytes, start - window.base + lfh.blockOffsets);
            // BlockBitmap is an array of pointer-sized words, 2 bits per block (§1.9).
            const bitmapBytes = Math.ceil((2 * count) / (8 * this.pointerSize)) * this.pointerSize;
            const g = this.geometry;
            if (!this.decodeOffsets(start, end, encoded, count, bitmapBytes)) {
                this.corrupt(start, `LFH subsegment ${hex0x(start)}: ${count} blocks at BlockOffsets decoding to size 0x${g.blockSize.toString(16)}, first offset 0x${g.first.toString(16)} do not fit its 0x${(end - start).toString(16)} bytes: its blocks are not listed`);
                return;
            }
            if (!window.ensure(start, lfh.blockBitmap + bitmapBytes)) {
                this.unreadable(start, window);
                return;
            }
            // At most 16 KiB (BlockCount is a u16): kept apart so that the window can move on with the blocks.
            const bitmap = window.bytes.slice(start - window.base + lfh.blockBitmap, start - window.base + lfh.blockBitmap + bitmapBytes);
            let badUnused = 0;
            let firstBadUnused = 0;
            for (let i = 0; i < count; i++) {
                const block = start + g.first + i * g.blockSize;
                const bits = (bitmap[i >> 2] >> ((i & 3) * 2)) & 3;
                if ((bits & 1) === 0) {
                    this.blocks.push(block, block, g.blockSize, 0, STATE_FREE, KIND_LFH, segmentIndex, row, 0, bits);
                    continue;
                }
                let unused = 0;
                if ((bits & 2) !== 0) {
                    if (!window.ensure(block, g.blockSize)) {
                        this.unreadable(start, window);
                        return;
                    }
                    const info = u16(window.bytes, block - window.base + g.blockSize - 2);
                    unused = (info & ONE_BYTE_UNUSED$1) !== 0 ? 1 : info & UNUSED_MASK$1;
                    if (unused > g.blockSize) {
                        if (badUnused++ === 0)
                            firstBadUnused = block;
                        unused = 0;
                    }
                }
                this.blocks.push(block, block, g.blockSize, g.blockSize - unused, STATE_BUSY, KIND_LFH, segmentIndex, row, 0, bits);
            }
            if (badUnused > 0) {
                this.corrupt(firstBadUnused, `LFH subsegment ${hex0x(start)}: ${badUnused} busy blocks count more unused bytes than their 0x${g.blockSize.toString(16)} bytes (first at ${hex0x(firstBadUnused)})`);
            }
        }
        /**
         * BlockOffsets.EncodedData ^ LfhKey ^ shift: BlockSize in the low 16 bits, FirstBlockOffset in
         * the high ones; shift = (u32)sub >> 12 before build 26100, (u32)(sub >> 12) from 26100. The two
         * differ only above 4 GiB on x64; the build's variant is tried first, the other when it does not
         * fit the subsegment (§2.5 step 4). Fills this.geometry; false when neither fits.
         */
        decodeOffsets(start, end, encoded, count, bitmapBytes) {
            const older = low32(start) >>> 12;
            const newer = low32(Math.floor(start / 4096));
            const first = this.newerShift ? newer : older;
            const second = this.newerShift ? older : newer;
            if (this.fits(start, end, encoded, first, count, bitmapBytes))
                return true;
            if (second !== first && this.fits(start, end, encoded, second, count, bitmapBytes))
                return true;
            this.fits(start, end, encoded, first, count, bitmapBytes); // the message shows the build's reading
            return false;
        }
        fits(start, end, encoded, shift, count, bitmapBytes) {
            const e = (encoded ^ this.keys.lfh ^ shift) >>> 0;
            const g = this.geometry;
            g.blockSize = e & 0xffff;
            g.first = e >>> 16;
            return count > 0 && g.blockSize >= BLOCK_ALIGN && g.blockSize % BLOCK_ALIGN === 0 && g.first % BLOCK_ALIGN === 0 &&
                g.first >= this.lfh.blockBitmap + bitmapBytes && start + g.first + count * g.blockSize <= end;
        }
        unreadable(start, window) {
            this.findings.add("Unreadable", window.unreadableAt, `LFH subsegment ${hex0x(start)} is not readable at ${hex0x(window.unreadableAt)}: its blocks are not listed`);
        }
        corrupt(address, message) {
            this.findings.add("Corruption", address, message, "lfh-subsegment", "segment LFH subsegments whose blocks could not all be listed");
        }
    }

    // The page segments of a segment heap and their page ranges (docs/heap-structures.md §2.5 steps 1
    // and 2): each segment context's SegmentListHead links _HEAP_PAGE_SEGMENT.ListEntry; a segment
    // starts with its descriptor array (_HEAP_PAGE_SEGMENT), one _HEAP_PAGE_RANGE_DESCRIPTOR per unit,
    // and its ranges are read from the descriptors of their first units. The segment's own header
    // units come first (Internal), then each range: a backend allocation (Busy), a free range (Free),
    // or a VS / LFH subsegment (Internal, followed by its chunks or blocks).
    const TWO_32$2 = 4294967296;
    /** More page segments than this in one context: the list is corrupt. */
    const MAX_SEGMENTS = 1 << 16;
    /** Units of 4 KiB to 1 MiB (§1.9: 4 KiB units in context 0, 64 KiB ones in context 1). */
    const MIN_UNIT_SHIFT = 12;
    const MAX_UNIT_SHIFT = 20;
    /** The page segment signature's constant before build 26100; 0 from 26100 (§2.5 step 1). */
    const SIGNATURE_CONSTANT = 0xa2e64ead;
    /** RangeFlags (§2.5 step 2): allocated ranges have 0x01 and 0x02; 0x1C is their type. */
    const RANGE_ALLOCATED = 0x01;
    const RANGE_ALLOCATED_FIRST = 0x03;
    const RANGE_TYPE = 0x1c;
    const RANGE_BACKEND = 0x00;
    const RANGE_LFH = 0x08;
    const RANGE_VS = 0x0c;
    class PageSegmentWalker {
        constructor(memory, context, blocks, findings, vs, lfh) {
            this.memory = memory;
            this.context = context;
            this.blocks = blocks;
            this.findings = findings;
            this.vs = vs;
            this.lfh = lfh;
        }
        /** Walks SegContexts[index] of the heap whose header is `header`, appending to `segments`; returns the segments walked. */
        walkContext(heap, header, index, segments) {
            const layout = this.context.layout;
            const c = layout.segContext;
            const p = layout.pointerSize;
            const at = layout.heap.segContexts + index * c.size;
            const contextAddress = heap + at;
            const head = contextAddress + c.segmentListHead;
            // A context that was never set up has a zeroed list head: nothing to walk (no finding).
            if (pointer(header, at + c.segmentListHead, p) === 0 && pointer(header, at + c.segmentListHead + p, p) === 0)
                return 0;
            const list = walkList(this.memory, head, MAX_SEGMENTS);
            if (list.problem) {
                // A link into memory the dump lacks (a dropped segment header) is Unreadable, not Corruption.
                const kind = this.readable(list.problem.address) ? "Corruption" : "Unreadable";
                this.findings.add(kind, list.problem.address, `segment list of segment context ${index} (${hex0x(contextAddress)}): ${list.problem.message}`);
            }
            if (list.links.length === 0)
                return 0;
            const unitShift = header[at + c.unitShift];
            const firstDescriptor = header[at + c.firstDescriptorIndex];
            const count = layout.pageSegment.descriptorCount;
            if (unitShift < MIN_UNIT_SHIFT || unitShift > MAX_UNIT_SHIFT || firstDescriptor === 0 || firstDescriptor >= count ||
                firstDescriptor * Math.pow(2, unitShift) < layout.pageSegment.size) {
                this.findings.add("Corruption", contextAddress, `segment context ${index} (${hex0x(contextAddress)}) has an implausible geometry (UnitShift ${unitShift}, FirstDescriptorIndex ${firstDescriptor}): its segments are not walked`);
                return 0;
            }
            const unit = Math.pow(2, unitShift);
            const segmentBytes = count * unit;
            // Any address's segment is addr & SegmentMask (§2.5 step 1): the mask must clear exactly the segment's bytes.
            const maskLow = u32(header, at + c.segmentMask);
            const maskHigh = p === 8 ? u32(header, at + c.segmentMask + 4) : 0xffffffff;
            if (maskHigh !== 0xffffffff || maskLow !== TWO_32$2 - segmentBytes) {
                this.findings.add("Corruption", contextAddress, `segment context ${index} (${hex0x(contextAddress)}): SegmentMask ${pointerHex(header, at + c.segmentMask, p)} does not match its ${hex0x(segmentBytes)}-byte segments`);
            }
            let walked = 0;
            for (let i = 0; i < list.links.length; i++) {
                const segment = list.links[i] - layout.pageSegment.listEntry;
                if (this.walkSegment(segment, contextAddress, unit, firstDescriptor, segments))
                    walked++;
            }
            return walked;
        }
        walkSegment(segment, contextAddress, unit, firstDescriptor, segments) {
            const layout = this.context.layout;
            const d = layout.descriptor;
            const count = layout.pageSegment.descriptorCount;
            const segmentBytes = count * unit;
            if (segment % segmentBytes !== 0) {
                this.findings.add("Corruption", segment, `page segment ${hex0x(segment)} is not aligned to its ${hex0x(segmentBytes)} bytes (SegmentMask, §2.5)`);
                return false;
            }
            let bytes;
            try {
                bytes = this.memory.read(segment, layout.pageSegment.size);
            }
            catch (e) {
                this.findings.add("Unreadable", segment, `page segment ${hex0x(segment)}: its descriptors are not readable`);
                return false;
            }
            if (!this.signatureOk(bytes, segment, contextAddress)) {
                this.findings.add("Corruption", segment, `page segment ${hex0x(segment)} fails its signature check (Signature ${pointerHex(bytes, layout.pageSegment.signature, layout.pointerSize)}): it is not walked`);
                return false;
            }
            const segmentIndex = segments.length;
            const uncommittedRanges = [];
            const record = {
                address: segment,
                baseAddress: segment,
                firstEntry: segment + firstDescriptor * unit,
                lastValidEntry: segment + segmentBytes,
                reservedBytes: segmentBytes,
                committedBytes: segmentBytes,
                uncommittedRanges,
            };
            segments.push(record);
            // The segment's own header units (its descriptor array), as !heap lists a segment's header first.
            const headerBytes = firstDescriptor * unit;
            this.blocks.push(segment, segment, headerBytes, headerBytes, STATE_INTERNAL, KIND_PAGE_RANGE, segmentIndex, NONE, 0, 0);
            let i = firstDescriptor;
            while (i < count) {
                const at = i * d.size;
                const units = bytes[at + d.unitSize];
                const start = segment + i * unit;
                if (units === 0 || i + units > count) {
                    this.findings.add("Corruption", start, `page segment ${hex0x(segment)}: descriptor ${i} (range ${hex0x(start)}) has ${units} units, past the segment's ${count}: the rest of the segment is not walked`);
                    break;
                }
                const size = units * unit;
                const flags = bytes[at + d.rangeFlags] & d.rangeFlagsMask;
                if ((flags & RANGE_ALLOCATED) === 0) {
                    this.blocks.push(start, start, size, 0, STATE_FREE, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
                    if (this.committedPages(bytes, at, size) === 0)
                        uncommittedRanges.push({ address: start, size });
                }
                else {
                    this.allocatedRange(bytes, at, flags, start, size, segmentIndex);
                }
                i += units;
            }
            let uncommitted = 0;
            for (let k = 0; k < uncommittedRanges.length; k++)
                uncommitted += uncommittedRanges[k].size;
            record.committedBytes = segmentBytes - uncommitted;
            return true;
        }
        allocatedRange(bytes, at, flags, start, size, segmentIndex) {
            const d = this.context.layout.descriptor;
            const type = flags & RANGE_TYPE;
            if ((flags & RANGE_ALLOCATED_FIRST) !== RANGE_ALLOCATED_FIRST || (type !== RANGE_BACKEND && type !== RANGE_LFH && type !== RANGE_VS)) {
                this.findings.add("Corruption", start, `page range ${hex0x(start)} has unknown RangeFlags 0x${flags.toString(16)}: listed as busy`, "range-flags", "page ranges with unknown RangeFlags");
            }
            if (type === RANGE_VS || type === RANGE_LFH) {
                const row = this.blocks.push(start, start, size, size, STATE_INTERNAL, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
                if (type === RANGE_VS && this.vs)
                    this.vs.walk(start, start + size, row, segmentIndex);
                if (type === RANGE_LFH && this.lfh)
                    this.lfh.walk(start, start + size, row, segmentIndex);
                return;
            }
            // A backend allocation served straight from the segment: user size = bytes - UnusedBytes (§2.5 step 2).
            const unused = d.unusedBytesWidth === 4 ? u32(bytes, at + d.unusedBytes) : u16(bytes, at + d.unusedBytes);
            let userSize = size - unused;
            if (unused >= size) {
                this.findings.add("Corruption", start, `page range ${hex0x(start)}: UnusedBytes 0x${unused.toString(16)} is not below its 0x${size.toString(16)} bytes`, "range-unused", "page ranges whose UnusedBytes exceed their size");
                userSize = size;
            }
            this.blocks.push(start, start, size, userSize, STATE_BUSY, KIND_PAGE_RANGE, segmentIndex, NONE, 0, flags);
        }
        /**
         * Committed pages of a free range (in units for the newer 8-bit count; only 0 matters here).
         * _HEAP_DESCRIPTOR_KEY.EncodedCommittedPageCount is stored complemented ([DECOMP], §2.5 step 2;
         * UNVERIFIED): that reading is taken when it fits the range, else the plain count (with 16 bits
         * the two never both fit: a range has fewer than 2^15 pages), else CommittedPageCount (x64).
         * 0 means the range is uncommitted.
         */
        committedPages(bytes, at, size) {
            const d = this.context.layout.descriptor;
            const pages = size / 4096;
            if (d.encodedCommittedPageCount !== undefined) {
                const mask = d.encodedCommittedPageCountBits === 8 ? 0xff : 0xffff;
                const raw = d.encodedCommittedPageCountBits === 8 ? bytes[at + d.encodedCommittedPageCount] : u16(bytes, at + d.encodedCommittedPageCount);
                const complemented = ~raw & mask;
                if (complemented <= pages)
                    return complemented;
                if (raw <= pages)
                    return raw;
            }
            if (d.committedPageCount !== undefined)
                return Math.min(bytes[at + d.committedPageCount], pages);
            return pages;
        }
        readable(address) {
            try {
                this.memory.read(address, this.context.layout.pointerSize);
                return true;
            }
            catch (e) {
                return false;
            }
        }
        /**
         * Signature ^ segment ^ HeapKey ^ C == &SegContexts[i] (§2.5 step 1), per 32-bit half. C is
         * 0xA2E64EADA2E64EAD before build 26100 and 0 from 26100; both are accepted whatever the build
         * (it can be ambiguous, and a false match is one chance in 2^63). On x86 the constant's low half is used (UNVERIFIED: §2.5 names the
         * 64-bit constant only). Without keys the check cannot be made and is skipped.
         */
        signatureOk(bytes, segment, contextAddress) {
            const keys = this.context.keys;
            if (!keys)
                return true;
            const layout = this.context.layout;
            const s = layout.pageSegment.signature;
            const lo = (u32(bytes, s) ^ low32(segment) ^ keys.heapLo ^ low32(contextAddress)) >>> 0;
            if (layout.pointerSize === 4)
                return lo === 0 || lo === SIGNATURE_CONSTANT;
            const hi = (u32(bytes, s + 4) ^ Math.floor(segment / TWO_32$2) ^ keys.heapHi ^ Math.floor(contextAddress / TWO_32$2)) >>> 0;
            return (lo === 0 && hi === 0) || (lo === SIGNATURE_CONSTANT && hi === SIGNATURE_CONSTANT);
        }
    }

    // The chunks of a VS subsegment (docs/heap-structures.md §2.5 step 3): a _HEAP_VS_SUBSEGMENT at the
    // range's start (Signature == Size ^ 0x2BED), then chunks, each with a _HEAP_VS_CHUNK_HEADER whose
    // first bytes are XOR-encoded with the chunk's address and RtlpHpHeapGlobals.HeapKey. The walk of a
    // subsegment ends, with a finding, at the first header that fails its checks.
    const TWO_32$1 = 4294967296;
    /** _HEAP_VS_SUBSEGMENT.Signature:15 == Size ^ 0x2BED (§2.5 step 3, [MEMPROCFS SegVS]). */
    const SUBSEGMENT_SIGNATURE_XOR = 0x2bed;
    /** AllocatedChunkBits.UnusedBytes:1@8: the chunk ends with a _HEAP_VS_UNUSED_BYTES_INFO (§1.9). */
    const CHUNK_HAS_UNUSED_INFO = 0x100;
    /** _HEAP_VS_UNUSED_BYTES_INFO: OneByteUnused:1@15, UnusedBytes:13@0 (§1.9, §2.5 step 3). */
    const ONE_BYTE_UNUSED = 0x8000;
    const UNUSED_MASK = 0x1fff;
    class VsSubsegmentWalker {
        constructor(memory, vs, pointerSize, 
        /** Bytes per unit of a chunk size: 16 on x64, 8 on x86 (§2.5 step 3). */
        granularity, keys, blocks, findings) {
            this.memory = memory;
            this.vs = vs;
            this.pointerSize = pointerSize;
            this.granularity = granularity;
            this.keys = keys;
            this.blocks = blocks;
            this.findings = findings;
            this.chunk = { units: 0, previousUnits: 0, allocated: 0 };
        }
        /** Lists the chunks of the VS subsegment in [start, end), after the container row `row`. */
        walk(start, end, row, segmentIndex) {
            const vs = this.vs;
            const window = new MemoryWindow(this.memory, end);
            if (!window.ensure(start, vs.firstChunk)) {
                this.findings.add("Unreadable", window.unreadableAt, `VS subsegment ${hex0x(start)} is not readable at ${hex0x(window.unreadableAt)}: its chunks are not listed`);
                return;
            }
            const size = u16(window.bytes, start - window.base + vs.size);
            const signature = u16(window.bytes, start - window.base + vs.signature) & 0x7fff;
            if (signature !== ((size ^ SUBSEGMENT_SIGNATURE_XOR) & 0x7fff)) {
                this.corrupt(start, `VS subsegment ${hex0x(start)}: Signature 0x${signature.toString(16)} does not match Size 0x${size.toString(16)} ^ 0x2bed: its chunks are not listed`);
                return;
            }
            // Size counts chunk units (16 bytes on x64, 8 on x86): UNVERIFIED, §2.5 step 3 gives no unit.
            // The signature vouches for the value, so when that reading does not fit the page range the
            // unit is taken to be wrong and the chunks are walked to the range's end (their own checks hold).
            let chunksEnd = start + size * this.granularity;
            if (chunksEnd > end || chunksEnd < start + vs.firstChunk)
                chunksEnd = end;
            const headerSize = vs.chunkHeaderSize;
            const c = this.chunk;
            let cursor = start + vs.firstChunk;
            let previousUnits = -1;
            while (cursor + headerSize <= chunksEnd) {
                if (!window.ensure(cursor, headerSize)) {
                    this.findings.add("Unreadable", window.unreadableAt, `VS chunk at ${hex0x(cursor)} is not readable (memory at ${hex0x(window.unreadableAt)}): the rest of subsegment ${hex0x(start)} is not listed`);
                    return;
                }
                this.decode(window.bytes, cursor - window.base, cursor);
                const bytes = c.units * this.granularity;
                const why = c.units === 0 || cursor + bytes > chunksEnd ? `size 0x${bytes.toString(16)} runs past ${hex0x(chunksEnd)}`
                    : c.allocated > 1 ? `Allocated is 0x${c.allocated.toString(16)}`
                        : previousUnits >= 0 && c.previousUnits !== previousUnits ? `UnsafePrevSize 0x${c.previousUnits.toString(16)} but the previous chunk has 0x${previousUnits.toString(16)} units`
                            : "";
                if (why) {
                    this.corrupt(cursor, `corrupted VS chunk header at ${hex0x(cursor)}: ${why}: the rest of subsegment ${hex0x(start)} is not listed`);
                    return;
                }
                if (c.allocated === 0) {
                    this.blocks.push(cursor, cursor + headerSize, bytes, 0, STATE_FREE, KIND_VS, segmentIndex, row, 0, 0);
                }
                else if (!this.pushBusy(window, cursor, bytes, row, segmentIndex)) {
                    return;
                }
                previousUnits = c.units;
                cursor += bytes;
            }
        }
        /**
         * x64: HeaderBits (u64) ^ chunk ^ HeapKey; UnsafeSize = bits 16..31, UnsafePrevSize = bits 32..47,
         * Allocated = bits 48..55. x86: u32 ^ chunk ^ HeapKey; UnsafeSize:15@1, UnsafePrevSize:15@16,
         * Allocated:1@31 (§1.9, §2.5 step 3). Done per 32-bit half.
         */
        decode(bytes, at, chunk) {
            const c = this.chunk;
            const low = (u32(bytes, at) ^ low32(chunk) ^ this.keys.heapLo) >>> 0;
            if (this.pointerSize === 8) {
                const high = (u32(bytes, at + 4) ^ Math.floor(chunk / TWO_32$1) ^ this.keys.heapHi) >>> 0;
                c.units = low >>> 16;
                c.previousUnits = high & 0xffff;
                c.allocated = (high >>> 16) & 0xff;
            }
            else {
                c.units = (low >>> 1) & 0x7fff;
                c.previousUnits = (low >>> 16) & 0x7fff;
                c.allocated = low >>> 31;
            }
        }
        /** A busy chunk: its request is the chunk minus the header minus the unused bytes its last 2 bytes count, if flagged (§2.5 step 3). */
        pushBusy(window, chunk, bytes, row, segmentIndex) {
            const headerSize = this.vs.chunkHeaderSize;
            if (!window.ensure(chunk, bytes)) {
                this.findings.add("Unreadable", window.unreadableAt, `VS chunk at ${hex0x(chunk)} is not readable (memory at ${hex0x(window.unreadableAt)}): the rest of its subsegment is not listed`);
                return false;
            }
            const at = chunk - window.base;
            let unused = 0;
            if ((u32(window.bytes, at + this.vs.allocatedChunkBits) & CHUNK_HAS_UNUSED_INFO) !== 0) {
                const info = u16(window.bytes, at + bytes - 2);
                unused = (info & ONE_BYTE_UNUSED) !== 0 ? 1 : info & UNUSED_MASK;
            }
            let userSize = bytes - headerSize - unused;
            if (userSize < 0) {
                this.findings.add("Corruption", chunk, `VS chunk at ${hex0x(chunk)}: 0x${unused.toString(16)} unused bytes do not fit its 0x${bytes.toString(16)} bytes`, "vs-unused", "VS chunks whose unused bytes do not fit them");
                userSize = bytes - headerSize;
            }
            this.blocks.push(chunk, chunk + headerSize, bytes, userSize, STATE_BUSY, KIND_VS, segmentIndex, row, 0, 1);
            return true;
        }
        corrupt(address, message) {
            this.findings.add("Corruption", address, message, "vs-subsegment", "VS subsegments whose chunks could not all be listed");
        }
    }

    // One walk of one segment heap (docs/heap-structures.md §2.5): the page segments of both segment
    // contexts with their page ranges (VS and LFH subsegments followed by their chunks and blocks),
    // then the large blocks, as a columnar BlockTable plus findings, and the heap's own counters for
    // its !heap -s numbers (§3.1 "Segment heaps"). Nothing here throws for bad target memory.
    const PAGE = 4096;
    function walkSegmentHeap(view, address, flags) {
        const findings = new FindingLog();
        const blocks = new BlockTableBuilder();
        const walk = emptyHeapWalk(address, "Segment", flags, view.layout.entry.granularity);
        const context = segmentHeapContext(view);
        const layout = context.layout;
        if (layout.problem) {
            findings.add("Unsupported", address, layout.problem);
            walk.findings = findings.list();
            return walk;
        }
        let header;
        try {
            header = view.memory.read(address, layout.heapSpan);
        }
        catch (e) {
            findings.add("Unreadable", address, `segment heap header at ${hex0x(address)} is not readable`);
            walk.findings = findings.list();
            return walk;
        }
        walk.segmentHeap = readCounters(layout, header);
        const keys = context.keys;
        if (!keys)
            findings.add("Unsupported", address, `${context.keysProblem}: segment signatures are not checked, VS chunks and segment LFH blocks are not listed`);
        for (let i = 0; i < layout.gaps.length; i++) {
            findings.add("Unsupported", address, `ntdll symbols do not describe ${layout.gaps[i]}: those are not listed`);
        }
        const vs = layout.vs && keys
            ? new VsSubsegmentWalker(view.memory, layout.vs, layout.pointerSize, layout.granularity, keys, blocks, findings) : undefined;
        const lfh = layout.lfh && keys
            ? new LfhSubsegmentWalker(view.memory, layout.lfh, layout.pointerSize, keys, context.newerEncoding, blocks, findings) : undefined;
        const pages = new PageSegmentWalker(view.memory, context, blocks, findings, vs, lfh);
        // Context 0's segments, then context 1's (§2.5 step 1).
        const counters = walk.segmentHeap;
        Progress.around(view.memory, `walking segment heap ${hex0x(address)}`, counters.committedBytes || 0, () => {
            for (let i = 0; i < 2; i++)
                counters.segmentsPerContext.push(pages.walkContext(address, header, i, walk.segments));
        });
        if (layout.large && layout.heap.largeAllocMetadata !== undefined) {
            const large = new LargeBlockWalker(view.memory, layout.large, layout.pointerSize, blocks, findings);
            walk.metadata = [];
            const own = [{ base: address, size: layout.heapSpan }];
            for (let i = 0; i < walk.segments.length; i++)
                own.push({ base: walk.segments[i].baseAddress, size: walk.segments[i].lastValidEntry - walk.segments[i].baseAddress });
            walk.virtualBlockCount = large.walk(address + layout.heap.largeAllocMetadata, header, layout.heap.largeAllocMetadata, walk.metadata, own);
        }
        walk.blocks = blocks.seal();
        walk.findings = findings.list();
        return walk;
    }
    /** MemStats, the VS context's units and the Large counters, in bytes (§1.9, §3.1). */
    function readCounters(layout, header) {
        const h = layout.heap;
        const p = layout.pointerSize;
        const value = (at, unit) => at === undefined ? undefined : pointer(header, at, p) * unit;
        return {
            reservedBytes: value(h.totalReservedPages, PAGE),
            committedBytes: value(h.totalCommittedPages, PAGE),
            freeCommittedBytes: value(h.freeCommittedPages, PAGE),
            lfhFreeCommittedBytes: value(h.lfhFreeCommittedPages, PAGE),
            vsCommittedBytes: value(h.vsTotalCommittedUnits, layout.granularity),
            vsFreeCommittedBytes: value(h.vsFreeCommittedUnits, layout.granularity),
            largeReservedBytes: value(h.largeReservedPages, PAGE),
            largeCommittedBytes: value(h.largeCommittedPages, PAGE),
            segmentsPerContext: [],
        };
    }

    // The one entry to every walker: the heap's type (src/heap/classify.ts) picks it. A heap of unknown
    // type gives an empty walk whose finding says why. ntWalkAt gives the walk of another NT heap of the
    // process from the process's cache: a page heap's light blocks are its NormalHeap's blocks.
    function walkHeap(view, address, identity, ntWalkAt) {
        switch (identity.type) {
            case "NT":
                return walkNtHeap(view, address, identity.flags);
            case "Segment":
                return walkSegmentHeap(view, address, identity.flags);
            case "PageHeap":
                return walkPageHeap(view, address, identity.flags, ntWalkAt);
            default:
                return emptyWalk(view, address, identity, identity.finding);
        }
    }
    function emptyWalk(view, address, identity, finding) {
        const walk = emptyHeapWalk(address, identity.type, identity.flags, view.layout.entry.granularity);
        walk.findings = [finding];
        return walk;
    }
    /** The walk of a heap whose walker failed (a bug in dxheap, not in the target): empty, and saying so. */
    function failedWalk(view, address, identity, error) {
        const message = `dxheap could not walk heap 0x${address.toString(16)}: ${String(error.message)} (an internal error; please report it with the dump)`;
        return emptyWalk(view, address, identity, { kind: "Unsupported", address, message });
    }

    // Names of code and data addresses as WinDbg writes them: module!symbol+0xoffset, module!symbol at
    // the symbol itself, module+0xoffset where the module has no symbols, the bare address outside
    // every module. Each distinct address is asked of the debugger once per process
    // (host.getModuleContainingSymbolInformation, docs/jsprovider.md §1.7), however many blocks share it.
    const VFTABLE = "::`vftable'";
    class Symbolizer {
        constructor(target) {
            this.target = target;
            // Maps, not objects: a 47-bit address is no array index, and as a property key it would be
            // turned into a string at every look-up.
            this.names = new Map();
            /** The vftable class at each module address asked (null: none), made once per address. */
            this.classes = new Map();
        }
        name(address) {
            let found = this.names.get(address);
            if (!found) {
                found = this.resolve(address);
                this.names.set(address, found);
            }
            return found;
        }
        /** The class of a C++ vftable: "Widget" for an address that is exactly Widget::`vftable'. */
        vftableClass(address) {
            if (!this.target.moduleAt(address))
                return undefined; // not code or data of a module: not asked
            let found = this.classes.get(address);
            if (found === undefined) {
                const name = this.name(address);
                const at = name.symbol && name.offset === 0 ? name.symbol.indexOf(VFTABLE) : -1;
                found = at > 0 ? name.symbol.slice(0, at) : null;
                this.classes.set(address, found);
            }
            return found === null ? undefined : found;
        }
        resolve(address) {
            const image = this.target.moduleAt(address);
            if (!image)
                return { text: hex0x(address), module: undefined, symbol: undefined, offset: 0 };
            let info = null;
            try {
                info = host.getModuleContainingSymbolInformation(toInt64(address), this.target.processObject);
            }
            catch (e) {
                info = null; // the provider may throw where no symbol contains the address (UNVERIFIED)
            }
            if (info && info.name) {
                // The name may or may not carry "module!" (UNVERIFIED): keep what follows it.
                const symbol = String(info.name).replace(/^[^!]*!/, "");
                const start = toNumber(info.address);
                if (start <= address && start >= image.base) {
                    const offset = address - start;
                    return { text: `${image.name}!${symbol}${offset ? "+" + hex0x(offset) : ""}`, module: image, symbol, offset };
                }
            }
            const offset = address - image.base;
            return { text: `${image.name}+${hex0x(offset)}`, module: image, symbol: undefined, offset };
        }
    }

    /** The first pointer of each busy block's user data; NaN where none was read. */
    function firstPointers(memory, walk) {
        const blocks = walk.blocks;
        const p = memory.pointerSize;
        const out = new Float64Array(blocks.count);
        out.fill(NaN);
        for (const window of busyDataWindows(memory, walk, p, () => p)) {
            for (let k = 0; k < window.rows.length; k++)
                out[window.rows[k]] = pointerIn(window.runs, blocks.userAddress[window.rows[k]], p);
        }
        return out;
    }
    /** The pointer at `address` if one of `runs` (sorted, as a window's) holds all its bytes, else NaN. */
    function pointerIn(runs, address, p) {
        let low = 0;
        let high = runs.length - 1;
        while (low <= high) {
            const middle = (low + high) >> 1;
            const run = runs[middle];
            if (address < run.address)
                high = middle - 1;
            else if (address >= run.address + run.bytes.length)
                low = middle + 1;
            else
                return address + p <= run.address + run.bytes.length ? pointer(run.bytes, address - run.address, p) : NaN;
        }
        return NaN;
    }

    const PE_SIGNATURE = 0x00004550;
    const SCN_MEM_WRITE = 0x80000000;
    /** The PE format allows at most 96 sections. */
    const MAX_SECTIONS = 96;
    const SECTION_HEADER = 40;
    /** [base + VirtualAddress, + VirtualSize) of each writable section; empty when the headers are not readable or not sane. */
    function writableSections(memory, base, imageSize) {
        try {
            const dos = memory.read(base, 0x40);
            if (dos[0] !== 0x4d || dos[1] !== 0x5a)
                return [];
            const nt = u32(dos, 0x3c);
            if (nt < 0x40 || nt > 0x1000)
                return [];
            const header = memory.read(base + nt, 24);
            if (u32(header, 0) !== PE_SIGNATURE)
                return [];
            const count = u16(header, 6);
            const optional = u16(header, 20);
            if (count > MAX_SECTIONS)
                return [];
            const table = memory.read(base + nt + 24 + optional, count * SECTION_HEADER);
            const out = [];
            for (let i = 0; i < count; i++) {
                const at = i * SECTION_HEADER;
                const size = u32(table, at + 8);
                const rva = u32(table, at + 12);
                const characteristics = u32(table, at + 36);
                if ((characteristics & SCN_MEM_WRITE) !== 0 && size > 0 && rva + size <= imageSize)
                    out.push({ base: base + rva, size });
            }
            return out;
        }
        catch (e) {
            return [];
        }
    }

    /** Pointers kept in the graph at most (4 bytes each): beyond, marking stops at what the roots reach. */
    const MAX_EDGES = 1 << 26;
    /**
     * The first root that marked each block: a memory location, or a thread's register (location NaN).
     * One entry per block marked from the roots, in typed arrays that grow in place.
     */
    class RootHits {
        constructor() {
            this.rows = new Int32Array(1024);
            this.locations = new Float64Array(1024);
            this.count = 0;
            this.registers = [];
        }
        add(row, location) {
            if (this.count === this.rows.length) {
                const rows = new Int32Array(this.count * 2);
                rows.set(this.rows);
                this.rows = rows;
                const locations = new Float64Array(this.count * 2);
                locations.set(this.locations);
                this.locations = locations;
            }
            this.rows[this.count] = row;
            this.locations[this.count++] = location;
        }
    }
    /** The top-level extents of the heaps (segments, VirtualAlloc'd and Large blocks), merged, for exclusion and a quick reject. */
    function heapExtents(walks) {
        const out = [];
        for (let w = 0; w < walks.length; w++) {
            const walk = walks[w];
            for (let s = 0; s < walk.segments.length; s++)
                out.push({ base: walk.segments[s].baseAddress, size: walk.segments[s].lastValidEntry - walk.segments[s].baseAddress });
            if (walk.metadata)
                for (let m = 0; m < walk.metadata.length; m++)
                    out.push(walk.metadata[m]);
            const { container, kind, segment, address, size, count } = walk.blocks;
            for (let i = 0; i < count; i++) {
                if (container[i] === NONE && (kind[i] === KIND_VIRTUAL_ALLOC || kind[i] === KIND_LARGE || segment[i] === NONE))
                    out.push({ base: address[i], size: size[i] });
            }
        }
        return mergeRegions(out);
    }
    /** The regions of `from` minus those of `minus` (both merged and sorted). */
    function subtract(from, minus) {
        const out = [];
        let m = 0;
        for (let i = 0; i < from.length; i++) {
            let start = from[i].base;
            const end = from[i].base + from[i].size;
            while (m < minus.length && minus[m].base + minus[m].size <= start)
                m++;
            for (let k = m; k < minus.length && minus[k].base < end; k++) {
                if (minus[k].base > start)
                    out.push({ base: start, size: minus[k].base - start });
                start = Math.max(start, minus[k].base + minus[k].size);
            }
            if (start < end)
                out.push({ base: start, size: end - start });
        }
        return out;
    }
    /** The parts of `a` inside `b` (both merged and sorted). */
    function intersect(a, b) {
        const out = [];
        let m = 0;
        for (let i = 0; i < a.length; i++) {
            const start = a[i].base;
            const end = a[i].base + a[i].size;
            while (m < b.length && b[m].base + b[m].size <= start)
                m++;
            for (let k = m; k < b.length && b[k].base < end; k++) {
                const from = Math.max(start, b[k].base);
                const to = Math.min(end, b[k].base + b[k].size);
                if (from < to)
                    out.push({ base: from, size: to - from });
            }
        }
        return out;
    }
    /**
     * `widths` gives each walk's pointer size (its ntdll's); roots are read with the program's, or
     * with both in a WOW64 process, whose roots hold 32-bit and 64-bit pointers. Walks not `counted`
     * (a page heap's NormalHeap, whose blocks the page heap lists) are neither scanned nor reported.
     */
    function scanLeaks(target, memory, walks, widths, counted, index) {
        const rootWidth = target.isWow64 ? "both" : target.views[0].layout.pointerSize;
        const extents = heapExtents(walks);
        const firstRow = [];
        let total = 0;
        for (let w = 0; w < walks.length; w++) {
            firstRow.push(total);
            total += walks[w].blocks.count;
        }
        const marked = new Uint8Array(total);
        const queue = [];
        /** The busy block whose user data holds `value`, as a global row, or -1. */
        const holder = (value) => {
            if (!inExtents(extents, value))
                return -1;
            let row = index.findRow(value);
            if (row < 0)
                return -1;
            // On x64 a busy block's last 8 bytes of user data may lie in the next block's header
            // (PreviousBlockPrivateData, docs/heap-structures.md §2.2): a value there is the block's before.
            if (value < walks[index.foundWalk].blocks.userAddress[row])
                row = index.findRow(walks[index.foundWalk].blocks.address[row] - 1);
            if (row < 0 || !counted[index.foundWalk])
                return -1;
            const b = walks[index.foundWalk].blocks;
            if (b.state[row] !== STATE_BUSY || value < b.userAddress[row] || value >= b.userAddress[row] + b.userSize[row])
                return -1;
            return firstRow[index.foundWalk] + row;
        };
        const hits = new RootHits();
        /** Marks the block `value` points into, from a root at `location` (NaN: a register, recorded by the caller). */
        const mark = (value, location) => {
            const g = holder(value);
            if (g >= 0 && !marked[g]) {
                marked[g] = 1;
                queue.push(g);
                if (location === location)
                    hits.add(g, location);
                return g;
            }
            return -1;
        };
        // Roots.
        const threads = target.threads();
        const stacks = [];
        const live = [];
        for (let t = 0; t < threads.length; t++) {
            const th = threads[t];
            for (const s of th.stacks) {
                if (!(s.limit < s.base))
                    continue;
                stacks.push({ base: s.limit, size: s.base - s.limit });
                const sp = s.pointer !== undefined && s.pointer >= s.limit && s.pointer < s.base ? s.pointer : s.limit;
                live.push({ base: sp, size: s.base - sp });
            }
            for (const name in th.registers) {
                const g = mark(th.registers[name], NaN);
                if (g >= 0)
                    hits.registers.push({ row: g, thread: t, register: name });
            }
        }
        const images = target.modules();
        const sections = [];
        for (let i = 0; i < images.length; i++) {
            const found = writableSections(memory, images[i].base, images[i].size);
            for (let k = 0; k < found.length; k++)
                sections.push(found[k]);
        }
        const regions = target.regions();
        const imageRegions = images.map((m) => ({ base: m.base, size: m.size }));
        // A stack holds no heap and no module image, and only committed memory is read: bounds taken
        // from a damaged TEB (gigabytes across every heap and hole) shrink to what a stack can be.
        const notStack = mergeRegions(extents.concat(imageRegions));
        const clip = (r) => subtract(regions.problem ? mergeRegions(r) : intersect(mergeRegions(r), regions.regions), notStack);
        const excluded = mergeRegions(extents.concat(clip(stacks), imageRegions));
        const rest = subtract(regions.regions, excluded);
        const roots = mergeRegions(clip(live).concat(sections, rest));
        const low = extents.length > 0 ? extents[0].base : 0;
        const high = extents.length > 0 ? extents[extents.length - 1].base + extents[extents.length - 1].size : 0;
        let rootBytes = 0;
        let busyBytes = 0;
        for (let r = 0; r < roots.length; r++)
            rootBytes += roots[r].size;
        // Passes over every row keep the columns and bounds in locals: they run once per command, much
        // of it before the JIT has optimized them, where each property look-up costs.
        for (let w = 0; w < walks.length; w++) {
            if (!counted[w])
                continue;
            const { state, userSize, count } = walks[w].blocks;
            const minimum = widths[w];
            for (let i = 0; i < count; i++)
                if (state[i] === STATE_BUSY && userSize[i] >= minimum)
                    busyBytes += userSize[i];
        }
        /** Per walk, the first edge of each row (-1 for rows not scanned) and how many it has. */
        const starts = [];
        const edgeCounts = [];
        const graph = new Edges(holder);
        let heapBytes = 0;
        let problem = regions.problem ? `${regions.problem}: only thread stacks, registers, module sections and heap memory were scanned, so blocks held only from other memory show as unreachable` : undefined;
        const firstPointers = [];
        Progress.around(memory, "leak scan", rootBytes + busyBytes, () => {
            for (let r = 0; r < roots.length; r++) {
                for (const run of readableRuns(memory, roots[r].base, roots[r].base + roots[r].size))
                    forEachPointer(run, rootWidth, low, high, mark);
            }
            // Every busy block's user data once: the pointers it holds into other busy blocks.
            for (let w = 0; w < walks.length; w++) {
                const blocks = walks[w].blocks;
                // The first edge of each scanned row, and how many it has.
                const start = new Int32Array(blocks.count).fill(-1);
                const counts = new Int32Array(blocks.count);
                starts.push(start);
                edgeCounts.push(counts);
                if (!counted[w]) {
                    firstPointers.push(undefined);
                    continue;
                }
                const firsts = new Float64Array(blocks.count).fill(NaN);
                firstPointers.push(firsts);
                const p = widths[w];
                for (const window of busyDataWindows(memory, walks[w], p, (r) => blocks.userSize[r])) {
                    heapBytes += scanWindow(window, blocks, p, low, high, graph, start, counts, firsts);
                }
            }
        });
        const edges = graph.edges;
        const edgeCount = graph.count;
        if (edgeCount >= MAX_EDGES)
            problem = `more than ${MAX_EDGES} pointers between blocks: marking stopped there, so some reachable blocks may show as unreachable`;
        // Marking follows the graph, nothing more is read.
        while (queue.length > 0) {
            const g = queue.pop();
            let w = 0;
            while (w + 1 < firstRow.length && firstRow[w + 1] <= g)
                w++;
            const row = g - firstRow[w];
            const first = starts[w][row];
            for (let e = first, end = first + edgeCounts[w][row]; e < end; e++) {
                const to = edges[e];
                if (!marked[to]) {
                    marked[to] = 1;
                    queue.push(to);
                }
            }
        }
        const unreachable = [];
        let unreachableCount = 0;
        let unreachableBytes = 0;
        let busyCount = 0;
        for (let w = 0; w < walks.length; w++) {
            const { state, userSize, count } = walks[w].blocks;
            const out = new Uint8Array(count);
            unreachable.push(out);
            if (!counted[w])
                continue;
            const first = firstRow[w];
            for (let row = 0; row < count; row++) {
                if (state[row] !== STATE_BUSY)
                    continue;
                busyCount++;
                if (!marked[first + row]) {
                    out[row] = 1;
                    unreachableCount++;
                    unreachableBytes += userSize[row];
                }
            }
        }
        return {
            unreachable, unreachableCount, unreachableBytes, busyCount, rootBytes, heapBytes, problem, firstPointers,
            roots: hits, edgeStarts: starts, edgeCounts, edges: edges.subarray(0, edgeCount), firstRow,
        };
    }
    /** The graph's edges: the global row of the block each pointer found points into. */
    class Edges {
        constructor(holder) {
            this.holder = holder;
            this.edges = new Int32Array(1 << 16);
            this.count = 0;
        }
        /** Adds the block holding `value`, if any, while the graph has room. */
        add(value) {
            const g = this.holder(value);
            if (g < 0 || this.count >= MAX_EDGES)
                return;
            if (this.count === this.edges.length) {
                const grown = new Int32Array(Math.min(MAX_EDGES, this.edges.length * 2));
                grown.set(this.edges);
                this.edges = grown;
            }
            this.edges[this.count++] = g;
        }
    }
    /**
     * The user data of a window's rows: each pointer into a busy block becomes an edge of the row,
     * each row's first pointer is kept. One loop for all the rows of a window (blocks are many and
     * small), over 32-bit words in place; returns the bytes scanned.
     */
    function scanWindow(window, blocks, p, low, high, graph, start, counts, firsts) {
        const runs = window.runs;
        const rows = window.rows;
        const span = spanOf(low, high);
        const add = (value) => graph.add(value);
        let bytes = 0;
        let r = 0;
        let words = runs.length > 0 ? wordsOf(runs[0]) : undefined;
        // The run's address modulo the pointer size, once per run: a row's alignment then comes from its
        // small offset in the run, with no floating-point remainder of a 47-bit address per row.
        let baseRemainder = runs.length > 0 ? runs[0].address % p : 0;
        for (let k = 0; k < rows.length; k++) {
            const row = rows[k];
            start[row] = graph.count;
            const before = graph.count;
            const from = blocks.userAddress[row];
            const size = blocks.userSize[row];
            const to = from + size;
            bytes += size;
            while (r < runs.length && runs[r].address + runs[r].bytes.length <= from) {
                words = ++r < runs.length ? wordsOf(runs[r]) : undefined;
                if (r < runs.length)
                    baseRemainder = runs[r].address % p;
            }
            if (r === runs.length)
                continue;
            const run = runs[r];
            const base = run.address;
            if (words === undefined || from < base || to > base + 4 * words.length || ((from - base + baseRemainder) & (p - 1)) !== 0) {
                // Rare: a row across runs, an unaligned buffer or block (the general path).
                if (base <= from && from + p <= base + run.bytes.length)
                    firsts[row] = pointer(run.bytes, from - base, p);
                for (let q = r; q < runs.length && runs[q].address < to; q++)
                    forEachPointer(runs[q], p, low, high, add, from, to);
                counts[row] = graph.count - before;
                continue;
            }
            // The row lies in the run: int32 math, and no global (Math, Infinity) is looked up per row.
            const i = (from - base) >> 2;
            const stop = i + ((size - (size % p)) >> 2);
            if (i < stop)
                firsts[row] = p === 4 ? words[i] : words[i + 1] > 0x1fffff ? INFINITE : words[i + 1] * TWO_32 + words[i];
            scanWords(words, i, stop, p, span, add);
            counts[row] = graph.count - before;
        }
        return bytes;
    }
    function inExtents(extents, value) {
        let low = 0;
        let high = extents.length - 1;
        while (low <= high) {
            const middle = (low + high) >> 1;
            const e = extents[middle];
            if (value < e.base)
                high = middle - 1;
            else if (value >= e.base + e.size)
                low = middle + 1;
            else
                return true;
        }
        return false;
    }
    const TWO_32 = 4294967296;
    const INFINITE = 1 / 0;
    function spanOf(low, high) {
        return { low, high, topLow: Math.floor(low / TWO_32), topHigh: Math.min(Math.floor((high - 1) / TWO_32), 0x1fffff) };
    }
    /**
     * The p-byte values of words[i..stop) (in 32-bit words, a whole number of values) that lie in the
     * span: visit(value, index of its first word). A scan looks at every word of gigabytes and most
     * are no heap address: on x64 the high half turns them away before a double is made, and only
     * exact doubles (high half at most 0x1FFFFF) are made.
     */
    function scanWords(words, i, stop, p, span, visit) {
        const { low, high, topLow, topHigh } = span;
        if (p === 4) {
            for (; i < stop; i++) {
                const value = words[i];
                if (value >= low && value < high)
                    visit(value, i);
            }
            return;
        }
        for (; i < stop; i += 2) {
            const top = words[i + 1];
            if (top < topLow || top > topHigh)
                continue;
            const value = top * TWO_32 + words[i];
            if (value >= low && value < high)
                visit(value, i);
        }
    }
    /** The run's bytes as 32-bit words in place, when its address and buffer allow it (a read's own buffer always does). */
    function wordsOf(run) {
        const bytes = run.bytes;
        if (run.address % 4 !== 0 || bytes.byteOffset % 4 !== 0)
            return undefined;
        return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    }
    /**
     * Every pointer-aligned, pointer-sized value of the run (within [from, to) when given) that lies
     * in [low, high), the heaps' span: a scan looks at every word of gigabytes, and most words are no
     * heap address, so they are turned away with two comparisons (x64: on the high half first).
     */
    function forEachPointer(run, width, low, high, visit, from = run.address, to = run.address + run.bytes.length) {
        const bytes = run.bytes;
        const step = width === 8 ? 8 : 4;
        let at = Math.max(from, run.address);
        at += (step - (at % step)) % step;
        const end = Math.min(to, run.address + bytes.length);
        if (at + step > end)
            return;
        const words = width === "both" ? undefined : wordsOf(run);
        if (words !== undefined) {
            // In place as 32-bit words (a read's own buffer is aligned): the roots, and big blocks that
            // cross reads.
            const i = (at - run.address) / 4;
            scanWords(words, i, i + Math.floor((end - at) / step) * (step / 4), step, spanOf(low, high), (value, word) => visit(value, run.address + 4 * word));
            return;
        }
        for (; at + step <= end; at += step) {
            const o = at - run.address;
            const word = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 0x1000000;
            if (width === 4) {
                if (word >= low && word < high)
                    visit(word, at);
                continue;
            }
            if (width === "both") {
                if (word >= low && word < high)
                    visit(word, at);
                if (at % 8 !== 0 || at + 8 > end)
                    continue;
            }
            const top = (bytes[o + 4] | (bytes[o + 5] << 8) | (bytes[o + 6] << 16)) + bytes[o + 7] * 0x1000000;
            const value = top * TWO_32 + word;
            if ((width === 8 || top > 0) && top <= 0x1fffff && value >= low && value < high)
                visit(value, at);
        }
    }

    // "The last value at or below x" in an ascending array of addresses, asked millions of times (the
    // leak scan asks once per pointer it finds). A bisection over hundreds of thousands of values
    // misses the cache at nearly every step; here the values are cut into clusters of nearby addresses
    // (a heap segment's blocks), each with a table of 4 KiB buckets holding the index of the first
    // value at or above each bucket, so a look-up reads one bucket and bisects the few values in it.
    // Sparse values (blocks gigabytes apart) start new clusters, and the tables are skipped altogether
    // when they would outgrow a few entries per value (a hostile spread), leaving plain bisection.
    const BUCKET = 4096;
    /** Values further apart than this start a new cluster: the gap costs no buckets. */
    const CLUSTER_GAP = 1 << 20;
    /** Buckets allowed per value (plus a constant): memory stays proportional to the values. */
    const BUCKETS_PER_VALUE = 4;
    class AscendingLookup {
        /** values: ascending (equal values allowed); kept by reference, not copied. */
        constructor(values) {
            this.values = values;
            const n = values.length;
            let clusters = 0;
            let buckets = 0;
            for (let i = 0, start = 0; i < n; i++) {
                if (i + 1 < n && values[i + 1] - values[i] <= CLUSTER_GAP)
                    continue;
                clusters++;
                buckets += bucketsOf(values[start], values[i]) + 1;
                start = i + 1;
            }
            // A hostile spread, or a value that is no number (a damaged table): bisection only.
            if (!(buckets <= BUCKETS_PER_VALUE * n + 4096))
                clusters = 0;
            this.clusterStart = new Float64Array(clusters);
            this.clusterBase = new Float64Array(clusters);
            this.clusterBuckets = new Int32Array(clusters);
            this.clusterLast = new Int32Array(clusters);
            this.first = new Int32Array(clusters === 0 ? 0 : buckets);
            let c = 0;
            let at = 0;
            for (let i = 0, start = 0; i < n && clusters > 0; i++) {
                if (i + 1 < n && values[i + 1] - values[i] <= CLUSTER_GAP)
                    continue;
                const base = Math.floor(values[start] / BUCKET) * BUCKET;
                const count = bucketsOf(values[start], values[i]);
                this.clusterStart[c] = values[start];
                this.clusterBase[c] = base;
                this.clusterBuckets[c] = at;
                this.clusterLast[c] = i;
                let k = start;
                for (let b = 0; b < count; b++) {
                    const bucketAddress = base + b * BUCKET;
                    while (k <= i && values[k] < bucketAddress)
                        k++;
                    this.first[at + b] = k;
                }
                this.first[at + count] = i + 1;
                at += count + 1;
                c++;
                start = i + 1;
            }
        }
        /** Index of the last value ≤ x, or -1. */
        lastAtOrBelow(x) {
            const clusters = this.clusterStart.length;
            if (clusters === 0)
                return bisect(this.values, x, 0, this.values.length - 1);
            const c = bisect(this.clusterStart, x, 0, clusters - 1);
            if (c < 0)
                return -1;
            const base = this.clusterBase[c];
            const b = Math.floor((x - base) / BUCKET);
            const at = this.clusterBuckets[c] + b;
            // Past the cluster's last bucket (its sentinel ends at `end`): its last value is the answer.
            const end = c + 1 < clusters ? this.clusterBuckets[c + 1] : this.first.length;
            if (at >= end - 1)
                return this.clusterLast[c];
            const low = this.first[at];
            // Values in [low, first[at + 1]) lie in x's bucket; the one before low is below the bucket.
            return bisect(this.values, x, low, this.first[at + 1] - 1, low - 1);
        }
    }
    /** Buckets from the one holding `from` to the one holding `to`. */
    function bucketsOf(from, to) {
        return Math.floor(to / BUCKET) - Math.floor(from / BUCKET) + 1;
    }
    /** The last index in [low, high] whose value is ≤ x, else `none`. */
    function bisect(values, x, low, high, none = -1) {
        let found = none;
        while (low <= high) {
            const mid = (low + high) >> 1;
            if (values[mid] <= x) {
                found = mid;
                low = mid + 1;
            }
            else {
                high = mid - 1;
            }
        }
        return found;
    }

    // Which block holds an address, over every walked heap of a process, in O(log n): the blocks that
    // no other block contains, sorted by address, and inside a container (an LFH UserBlocks) its own
    // blocks, which follow it in the walk's table in address order. Built once per process walk;
    // !heapfind, the reference scan and the leak scan all ask it.
    /** Overlapping blocks (only in corrupted heaps) are looked at this far back, no further. */
    const MAX_OVERLAP_STEPS = 64;
    class AddressIndex {
        constructor(walks) {
            this.walks = walks;
            /** The walk of the row findRow found last. */
            this.foundWalk = -1;
            let rows = 0;
            for (let w = 0; w < walks.length; w++)
                rows += walks[w].blocks.count;
            // Sized for every row, filled with those no other block holds (one pass), then cut to them.
            let starts = new Float64Array(rows);
            const walkOf = new Int32Array(rows);
            const rowOf = new Int32Array(rows);
            // At one start, a page heap's light block (a row of the page heap's walk) sorts after the
            // NormalHeap block holding it, so the lookup, which scans back from the last start, finds it first.
            const late = new Uint8Array(rows);
            let n = 0;
            for (let w = 0; w < walks.length; w++) {
                // Columns in locals: this pass runs once, mostly before the JIT has optimized it.
                const { container, address, count } = walks[w].blocks;
                const pageHeap = walks[w].type === "PageHeap" ? 1 : 0;
                for (let i = 0; i < count; i++) {
                    if (container[i] !== NONE)
                        continue;
                    starts[n] = address[i];
                    walkOf[n] = w;
                    rowOf[n] = i;
                    late[n] = pageHeap;
                    n++;
                }
            }
            const total = n;
            starts = starts.subarray(0, total);
            const order = orderByKey(starts, late);
            const sorted = new Float64Array(total);
            const walkOfSorted = new Int32Array(total);
            const rowOfSorted = new Int32Array(total);
            for (let i = 0; i < total; i++) {
                const o = order[i];
                sorted[i] = starts[o];
                walkOfSorted[i] = walkOf[o];
                rowOfSorted[i] = rowOf[o];
            }
            const sizes = walks.map((walk) => walk.blocks.size);
            const reachOf = new Float64Array(total);
            let reach = 0;
            for (let i = 0; i < total; i++) {
                const end = sorted[i] + sizes[walkOfSorted[i]][rowOfSorted[i]];
                if (end > reach)
                    reach = end;
                reachOf[i] = reach;
            }
            this.starts = sorted;
            this.walkOf = walkOfSorted;
            this.rowOf = rowOfSorted;
            this.reach = reachOf;
            this.lookup = new AscendingLookup(sorted);
        }
        get size() {
            return this.starts.length;
        }
        /** The innermost block whose [address, address + size) holds `address`. */
        find(address) {
            const row = this.findRow(address);
            return row < 0 ? undefined : { walk: this.foundWalk, row };
        }
        /** find() without an object (the leak scan asks once per pointer): the row, its walk in foundWalk; -1 when none. */
        findRow(address) {
            let i = this.lookup.lastAtOrBelow(address);
            for (let steps = 0; i >= 0 && steps < MAX_OVERLAP_STEPS && this.reach[i] > address; i--, steps++) {
                const w = this.walkOf[i];
                const row = this.rowOf[i];
                const blocks = this.walks[w].blocks;
                if (address < blocks.address[row] + blocks.size[row]) {
                    this.foundWalk = w;
                    return this.innermost(w, row, address);
                }
            }
            return -1;
        }
        /** A container's own blocks follow it in its table (in address order): the one holding address, else the container. */
        innermost(w, container, address) {
            const b = this.walks[w].blocks;
            // An LFH UserBlocks' blocks share one size and follow each other: the row is computed, then
            // checked (the leak scan asks once per pointer found, millions of times).
            const first = container + 1;
            if (first < b.count && b.container[first] === container && address >= b.address[first]) {
                const guess = first + Math.floor((address - b.address[first]) / b.size[first]);
                if (guess < b.count && b.container[guess] === container && b.address[guess] <= address && address < b.address[guess] + b.size[guess])
                    return guess;
            }
            // Otherwise, where its blocks end, by doubling steps then bisection: a UserBlocks may hold thousands.
            let low = container + 1;
            let high = low;
            for (let step = 1; high < b.count && b.container[high] === container; step *= 2) {
                low = high + 1;
                high = low + step;
            }
            if (high > b.count)
                high = b.count;
            while (low < high) {
                const mid = (low + high) >> 1;
                if (b.container[mid] === container)
                    low = mid + 1;
                else
                    high = mid;
            }
            // Binary search in rows [container + 1, low) for the last block starting at or below address.
            let found = -1;
            let lo = container + 1;
            let hi = low - 1;
            while (lo <= hi) {
                const mid = (lo + hi) >> 1;
                if (b.address[mid] <= address) {
                    found = mid;
                    lo = mid + 1;
                }
                else {
                    hi = mid - 1;
                }
            }
            return found >= 0 && address < b.address[found] + b.size[found] ? found : container;
        }
    }

    const NT_SEGMENT_SIGNATURE = 0xffeeffee;
    const NT_HEAP_SIGNATURE = 0xeeffeeff;
    const SEGMENT_HEAP_SIGNATURE = 0xddeeddee;
    function classifyHeap(view, address) {
        const { memory, layout } = view;
        const h = layout.heap;
        const s = layout.segmentHeap;
        try {
            if (u32(memory.read(address + h.segmentSignature, 4), 0) === NT_SEGMENT_SIGNATURE &&
                u32(memory.read(address + h.signature, 4), 0) === NT_HEAP_SIGNATURE) {
                return { type: "NT", flags: u32(memory.read(address + h.flags, 4), 0), finding: undefined };
            }
            if (s && u32(memory.read(address + s.signature, 4), 0) === SEGMENT_HEAP_SIGNATURE) {
                return { type: "Segment", flags: u32(memory.read(address + s.globalFlags, 4), 0), finding: undefined };
            }
            const page = pageHeapLayout(view);
            if (page.forceFlags !== undefined && (u32(memory.read(address + page.forceFlags, 4), 0) & HEAP_FLAG_PAGE_ALLOCS) !== 0) {
                const identity = { type: "PageHeap", flags: u32(memory.read(address + h.flags, 4), 0), finding: undefined };
                // Without the _DPH_* types the root cannot be checked; the walk says the heap is Unsupported.
                if (page.problem)
                    return identity;
                const root = readRoot(view, page, address + ROOT_OFFSET);
                if (root.bytes)
                    return identity;
                const problem = root.problem;
                return unknown(problem.kind === "Unreadable" ? "Unreadable" : "Corruption", problem.address, `heap ${hex0x(address)} is a page-heap handle (ForceFlags has HEAP_FLAG_PAGE_ALLOCS ${hex0x(HEAP_FLAG_PAGE_ALLOCS)}), but ${problem.message}`);
            }
            return unknown("Corruption", address, `heap ${hex0x(address)} has neither heap signature (NT 0xffeeffee/0xeeffeeff, segment 0xddeeddee)`);
        }
        catch (e) {
            return unknown("Unreadable", address, `the header of heap ${hex0x(address)} is not readable (not in the dump?)`);
        }
    }
    function unknown(kind, address, message) {
        return { type: "Unknown", flags: 0, finding: { kind, address, message } };
    }

    /** Far above any real process (the PEB array holds 16 at first and doubles); bounds every read. */
    const MAX_HEAPS = 4096;
    function enumerateHeaps(view, findings) {
        const { memory, layout, peb } = view;
        const heaps = [];
        const byAddress = {};
        const add = (address, source) => {
            const known = byAddress[address];
            if (known) {
                if (known.listedIn.indexOf(source) < 0)
                    known.listedIn.push(source);
                return;
            }
            const entry = { address, listedIn: [source] };
            byAddress[address] = entry;
            heaps.push(entry);
        };
        const processHeap = readProcessHeap(memory, layout, peb, findings);
        if (processHeap !== undefined)
            add(processHeap, "ProcessHeap");
        const listed = readProcessHeaps(memory, layout, peb, processHeap, findings);
        for (let i = 0; i < listed.length; i++)
            add(listed[i], "PEB");
        const described = readDescriptorList(memory, layout, findings);
        for (let i = 0; i < described.length; i++)
            add(described[i], "DescriptorList");
        return withPageHeapRoots(view, heaps, findings);
    }
    /**
     * The heaps with each page heap's NormalHeap right after it, and the page heaps only
     * ntdll!RtlpDphPageHeapList names (with their NormalHeaps) at the end, all listed in PageHeapRoot.
     */
    function withPageHeapRoots(view, heaps, findings) {
        const roots = findPageHeapRoots(view, heaps.map((heap) => heap.address), MAX_HEAPS, findings);
        if (roots.length === 0)
            return heaps;
        const normalHeapOf = {};
        for (let i = 0; i < roots.length; i++)
            normalHeapOf[roots[i].handle] = roots[i].normalHeap;
        const out = [];
        const byAddress = {};
        const place = (address, listedIn) => {
            const known = byAddress[address];
            if (!known) {
                out.push(byAddress[address] = { address, listedIn: listedIn.slice() });
                return;
            }
            for (let i = 0; i < listedIn.length; i++)
                if (known.listedIn.indexOf(listedIn[i]) < 0)
                    known.listedIn.push(listedIn[i]);
        };
        const placeWithNormalHeap = (address, listedIn) => {
            place(address, listedIn);
            const normalHeap = normalHeapOf[address];
            if (normalHeap)
                place(normalHeap, ["PageHeapRoot"]);
        };
        for (let i = 0; i < heaps.length; i++)
            placeWithNormalHeap(heaps[i].address, heaps[i].listedIn);
        for (let i = 0; i < roots.length; i++)
            if (!byAddress[roots[i].handle])
                placeWithNormalHeap(roots[i].handle, ["PageHeapRoot"]);
        return out;
    }
    function readProcessHeap(memory, layout, peb, findings) {
        const p = layout.pointerSize;
        try {
            const bytes = memory.read(peb + layout.peb.processHeap, p);
            const address = pointer(bytes, 0, p);
            if (address === 0)
                return undefined;
            if (!isFinite(address)) {
                findings.add("Corruption", peb, `PEB.ProcessHeap is ${pointerHex(bytes, 0, p)}, not a user-mode address`);
                return undefined;
            }
            return address;
        }
        catch (e) {
            findings.add("Unreadable", peb, `the PEB at ${hex0x(peb)} is not readable: its heap list cannot be read`);
            return undefined;
        }
    }
    /** The non-null slots of PEB.ProcessHeaps that NumberOfHeaps and MaximumNumberOfHeaps agree on. */
    function readProcessHeaps(memory, layout, peb, processHeap, findings) {
        const p = layout.pointerSize;
        let count;
        let capacity;
        let arrayBytes;
        try {
            count = u32(memory.read(peb + layout.peb.numberOfHeaps, 4), 0);
            capacity = u32(memory.read(peb + layout.peb.maximumNumberOfHeaps, 4), 0);
            arrayBytes = memory.read(peb + layout.peb.processHeaps, p);
        }
        catch (e) {
            return []; // readProcessHeap has said the PEB is unreadable
        }
        const array = pointer(arrayBytes, 0, p);
        if (count === 0) {
            if (processHeap !== undefined) {
                findings.add("Corruption", peb, `PEB.NumberOfHeaps is 0 while PEB.ProcessHeap is ${hex0x(processHeap)}: the PEB's heap array lists nothing`);
            }
            return [];
        }
        let slots = count;
        if (capacity > MAX_HEAPS) {
            findings.add("Corruption", peb, `PEB.MaximumNumberOfHeaps is ${capacity}, more than any process has (${MAX_HEAPS}): reading at most ${Math.min(count, MAX_HEAPS)} slots`);
            slots = Math.min(count, MAX_HEAPS);
        }
        else if (count > capacity) {
            findings.add("Corruption", peb, `PEB.NumberOfHeaps is ${count} but PEB.MaximumNumberOfHeaps is ${capacity}: reading the ${capacity} slots the array has`);
            slots = capacity;
        }
        if (array === 0 || !isFinite(array)) {
            findings.add("Corruption", peb, `PEB.ProcessHeaps is ${pointerHex(arrayBytes, 0, p)} while PEB.NumberOfHeaps is ${count}`);
            return [];
        }
        let bytes;
        try {
            bytes = memory.read(array, slots * p);
        }
        catch (e) {
            findings.add("Unreadable", array, `PEB.ProcessHeaps (${slots} slots at ${hex0x(array)}) is not readable: only heaps listed elsewhere are shown`);
            return [];
        }
        const heaps = [];
        let nulls = 0;
        for (let i = 0; i < slots; i++) {
            const heap = pointer(bytes, i * p, p);
            if (heap === 0 || !isFinite(heap))
                nulls++;
            else
                heaps.push(heap);
        }
        if (nulls > 0)
            findings.add("Corruption", array, `${nulls} of the first ${slots} PEB.ProcessHeaps slots (PEB.NumberOfHeaps ${count}) hold no heap`);
        return heaps;
    }
    function readDescriptorList(memory, layout, findings) {
        const descriptors = layout.heapDescriptors;
        if (!descriptors)
            return [];
        const p = layout.pointerSize;
        const list = walkList(memory, descriptors.listHead, MAX_HEAPS);
        if (list.problem)
            findings.add("Corruption", list.problem.address, `ntdll!RtlpProcessHeaps: ${list.problem.message}`);
        const heaps = [];
        for (let i = 0; i < list.links.length; i++) {
            const descriptor = list.links[i] - descriptors.link;
            try {
                const heap = pointer(memory.read(descriptor + descriptors.heap, p), 0, p);
                if (heap !== 0 && isFinite(heap))
                    heaps.push(heap);
            }
            catch (e) {
                findings.add("Unreadable", descriptor, `process heap descriptor at ${hex0x(descriptor)} is not readable`);
            }
        }
        return heaps;
    }

    // One cache per process of everything dxheap learns about its heaps — the list, each heap's
    // identity, each walk, the address index — shared by the dx objects and every command, so that a
    // dump is walked once per debugging session. Each step happens only when something asks for it:
    // `dx @$curprocess` does no heap work, and listing the heaps reads no heap.
    // On a live target the cache is checked against a fingerprint of the threads' registers before
    // it is reused: a target that ran has moved at least one thread, and is read again.
    /** A heap the process names, with what has been learnt of it so far. */
    class HeapRef {
        constructor(view, address, listedIn, 
        /** Position in ProcessHeaps.heaps(). */
        index, 
        /** The walk of another NT heap of the process (a page heap's NormalHeap), from the same cache. */
        ntWalkAt) {
            this.view = view;
            this.address = address;
            this.listedIn = listedIn;
            this.index = index;
            this.ntWalkAt = ntWalkAt;
        }
        /**
         * Whether the heap's busy blocks are its own: a page heap's NormalHeap holds the page heap's
         * light blocks, which the page heap's walk lists already, so process-wide counts, groups and the
         * leak scan take them from the page heap only.
         */
        get counted() {
            return !(this.listedIn.length === 1 && this.listedIn[0] === "PageHeapRoot");
        }
        /** What the heap's header says it is: reads a few bytes of it, once. */
        identity() {
            if (!this.identityResult)
                this.identityResult = classifyHeap(this.view, this.address);
            return this.identityResult;
        }
        /**
         * The heap's walk, made once. A walker must never throw for bad target memory; should one fail
         * anyway (a bug), the heap shows an empty walk and says so, instead of taking dx or a command down.
         */
        walk() {
            if (!this.walkResult) {
                try {
                    this.walkResult = walkHeap(this.view, this.address, this.identity(), this.ntWalkAt);
                }
                catch (e) {
                    this.walkResult = failedWalk(this.view, this.address, this.identity(), e);
                }
            }
            return this.walkResult;
        }
        /** Why the heap could not be walked at all (unknown kind, unreadable header, missing symbols), or undefined. */
        problem() {
            return walkProblem(this.walk());
        }
        /** The first pointer of each busy block's user data (for type names), read once, window by window. */
        firstPointers() {
            if (!this.pointers)
                this.pointers = firstPointers(this.view.memory, this.walk());
            return this.pointers;
        }
        /** First pointers the leak scan read with the blocks' data: kept, so type names read nothing more. */
        keepFirstPointers(pointers) {
            if (!this.pointers)
                this.pointers = pointers;
        }
        /** The walk if it has been done; nothing is read. */
        walkIfDone() {
            return this.walkResult;
        }
    }
    /**
     * Why a walk found nothing at all: a heap of unknown type, or one that listed no segment and no
     * block and says why at its own address (unreadable header, missing symbols, unsupported kind).
     */
    function walkProblem(walk) {
        if (walk.type !== "Unknown" && (walk.segments.length > 0 || walk.blocks.count > 0))
            return undefined;
        for (let i = 0; i < walk.findings.length; i++) {
            const f = walk.findings[i];
            if (walk.type === "Unknown" || (f.address === walk.address && f.kind !== "Corruption"))
                return f;
        }
        return undefined;
    }
    class ProcessHeaps {
        constructor(target, fingerprint) {
            this.target = target;
            this.fingerprint = fingerprint;
            this.enumerationFindings = new FindingLog();
            this.traceReaders = [];
        }
        /** A live target can run between two looks at it; a dump never changes. */
        get live() {
            return this.fingerprint !== undefined;
        }
        /**
         * The cache of a process (the current one by default), made on first use and reused while the
         * target has not run. Throws a one-line error when ntdll's symbols or the PEB are missing.
         */
        static of(processObject = host.currentProcess) {
            const key = Target.keyOf(processObject);
            const fingerprint = liveFingerprint(processObject);
            const cached = ProcessHeaps.cache[key];
            if (cached && cached.fingerprint === fingerprint)
                return cached;
            const fresh = new ProcessHeaps(Target.of(processObject), fingerprint);
            ProcessHeaps.cache[key] = fresh;
            return fresh;
        }
        /** Forgets every process (uninitializeScript). */
        static clear() {
            for (const key of Object.keys(ProcessHeaps.cache))
                delete ProcessHeaps.cache[key];
        }
        /** Every heap the process names, in the order it names them; nothing of the heaps is read. */
        heaps() {
            if (!this.heapList) {
                const list = [];
                const views = this.target.views;
                for (let v = 0; v < views.length; v++) {
                    const view = views[v];
                    const entries = enumerateHeaps(view, this.enumerationFindings);
                    const ntWalkAt = (address) => this.ntWalkAt(view, address);
                    for (let i = 0; i < entries.length; i++)
                        list.push(new HeapRef(view, entries[i].address, entries[i].listedIn, list.length, ntWalkAt));
                }
                this.heapList = list;
            }
            return this.heapList;
        }
        /** What was wrong in the lists that name the heaps. */
        findings() {
            this.heaps();
            const problems = this.target.problems.map((p) => ({ kind: "Unsupported", address: p.address, message: p.message }));
            return problems.concat(this.enumerationFindings.list());
        }
        /** Names of addresses, each asked of the debugger once per process. */
        symbolizer() {
            if (!this.names)
                this.names = new Symbolizer(this.target);
            return this.names;
        }
        /** The allocation stacks recorded by a view's ntdll, each record read once per process. */
        traces(view) {
            const i = this.target.views.indexOf(view);
            let reader = this.traceReaders[i];
            if (!reader)
                reader = this.traceReaders[i] = new TraceReader(view, this.target);
            return reader;
        }
        /** The walk of the NT heap of `view` at `address`, if the process lists one there (never a page heap: no walk waits on itself). */
        ntWalkAt(view, address) {
            const heaps = this.heaps();
            for (let i = 0; i < heaps.length; i++) {
                const heap = heaps[i];
                if (heap.view === view && heap.address === address)
                    return heap.identity().type === "NT" ? heap.walk() : undefined;
            }
            return undefined;
        }
        heapAt(address) {
            const heaps = this.heaps();
            for (let i = 0; i < heaps.length; i++)
                if (heaps[i].address === address)
                    return heaps[i];
            return undefined;
        }
        /** Every heap, walked. */
        walks() {
            return this.heaps().map((heap) => heap.walk());
        }
        /** The block holding an address, over every heap (walks them all on first use). */
        locate(address) {
            const heaps = this.heaps();
            const found = this.index().find(address);
            return found ? { heap: heaps[found.walk], row: found.row } : undefined;
        }
        /** The address index over every heap's walk (its walk numbers are the heaps' positions). */
        index() {
            if (!this.addressIndex)
                this.addressIndex = new AddressIndex(this.walks());
            return this.addressIndex;
        }
        /** The leak scan of the whole process (src/analysis/leaks.ts), made once; its arrays follow heaps(). */
        leaks() {
            if (!this.leakScan) {
                const heaps = this.heaps();
                const widths = heaps.map((heap) => heap.view.layout.pointerSize);
                const counted = heaps.map((heap) => heap.counted);
                this.leakScan = scanLeaks(this.target, this.target.views[0].memory, this.walks(), widths, counted, this.index());
                for (let i = 0; i < heaps.length; i++) {
                    const pointers = this.leakScan.firstPointers[i];
                    if (pointers)
                        heaps[i].keepFirstPointers(pointers);
                }
            }
            return this.leakScan;
        }
    }
    ProcessHeaps.cache = {};

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
    /** Heap.Segments. */
    class SegmentCollection extends IndexedList {
        constructor(__walk) {
            super();
            this.__walk = __walk;
            this.__models = [];
        }
        itemCount() {
            return this.__walk.segments.length;
        }
        itemAt(index) {
            let model = this.__models[index];
            if (!model)
                model = this.__models[index] = new SegmentModel(this.__walk.segments[index]);
            return model;
        }
        toString() {
            return `${this.__walk.segments.length} segments`;
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

    // Busy blocks grouped by who allocated them (identical allocation stacks) or by what they hold (the
    // C++ class their vftable pointer names, else their size), largest total first: UMDH's view and
    // more, for every heap of a process at once. Traces are read once per distinct record
    // (src/stacks/trace.ts), first pointers once per heap (src/stacks/types.ts), names once per address.
    /** withMembers false: each group's totals only, no rows kept (a summary of a million blocks). */
    function groupByStack(sources, member, withMembers = true) {
        const keys = new StackKeys();
        const groups = new Map();
        return group(sources, member, withMembers, (source, row) => {
            const stack = source.stack(row);
            const key = keys.of(stack);
            return groups.get(key) || added(groups, key, newGroup(key, stack, undefined));
        });
    }
    function groupByType(sources, member, withMembers = true) {
        const groups = new Map();
        return group(sources, member, withMembers, (source, row) => {
            const name = source.typeName(row);
            const by = name !== undefined ? name : source.walk.blocks.userSize[row];
            return groups.get(by) || added(groups, by, newGroup(name !== undefined ? name : `size ${hex0x(by)}`, undefined, name));
        });
    }
    /**
     * Suspect groups for triage: blocks sharing an allocation stack (or the same reason for none), a
     * type (or none) and a requested size, the finest grouping a leak keeps apart from its neighbours
     * (a leak in an LFH bucket shares its size with blocks from other stacks).
     */
    function groupBySuspect(sources, member) {
        const keys = new StackKeys();
        // Stack key, then type name ("" for none), then size: maps in maps, so no key is built per block.
        const groups = new Map();
        return group(sources, member, true, (source, row) => {
            const stack = source.stack(row);
            const stackKey = keys.of(stack);
            const name = source.typeName(row);
            const size = source.walk.blocks.userSize[row];
            const byType = groups.get(stackKey) || added(groups, stackKey, new Map());
            const bySize = byType.get(name === undefined ? "" : name) || added(byType, name === undefined ? "" : name, new Map());
            return bySize.get(size) || added(bySize, size, newGroup(stackKey + "|" + (name === undefined ? "" : name) + "|" + size, stack, name));
        });
    }
    /** The key of each stack result (results are one object per trace, src/stacks/trace.ts), made once. */
    class StackKeys {
        constructor() {
            this.keys = new Map();
        }
        of(stack) {
            let key = this.keys.get(stack);
            if (key === undefined) {
                key = "frames" in stack ? stack.frames.join(",") : `no stack: ${stack.reason}`;
                this.keys.set(stack, key);
            }
            return key;
        }
    }
    function newGroup(key, stack, typeName) {
        return { key, count: 0, totalBytes: 0, sizes: [], members: [], stack, typeName };
    }
    function added(map, key, value) {
        map.set(key, value);
        return value;
    }
    function group(sources, member, withMembers, groupOf) {
        const list = [];
        for (let s = 0; s < sources.length; s++) {
            const source = sources[s];
            const { state, userSize, count } = source.walk.blocks;
            for (let row = 0; row < count; row++) {
                if (state[row] !== STATE_BUSY || (member && !member(s, row)))
                    continue;
                const g = groupOf(source, row);
                if (g.count === 0)
                    list.push(g);
                const size = userSize[row];
                g.count++;
                g.totalBytes += size;
                // Most groups hold one size, or sizes in runs: the last one first.
                if (g.sizes[g.sizes.length - 1] !== size && g.sizes.length < 64 && g.sizes.indexOf(size) < 0)
                    g.sizes.push(size);
                if (!withMembers)
                    continue;
                const last = g.members[g.members.length - 1];
                if (last && last.source === s)
                    last.rows.push(row);
                else
                    g.members.push({ source: s, rows: [row] });
            }
        }
        for (let i = 0; i < list.length; i++)
            list[i].sizes.sort((a, b) => a - b);
        return list.sort((a, b) => b.totalBytes - a.totalBytes || b.count - a.count);
    }

    // An allocation stack as dx shows it, the way dps and k users read one: a frame per line,
    // innermost first, each its address and module!symbol+0xoffset (dx @$curprocess.Heaps[1].Blocks[5].AllocationStack).
    // A block without a stack gets a NoStack that says which case it is and what to do.
    class FrameModel {
        constructor(__address, __symbols) {
            this.__address = __address;
            this.__symbols = __symbols;
        }
        get [Symbol.metadataDescriptor]() {
            return help({ Address: "The return address", Symbol: "module!function+0xoffset, or module+0xoffset when the module has no symbols" });
        }
        get Address() {
            return toInt64(this.__address);
        }
        get Symbol() {
            return this.__symbols.name(this.__address).text;
        }
        toString() {
            return `${hex0x(this.__address)} ${this.Symbol}`;
        }
    }
    class StackModel extends IndexedList {
        constructor(__frames, __symbols) {
            super();
            this.__frames = __frames;
            this.__symbols = __symbols;
        }
        get [Symbol.metadataDescriptor]() {
            return help({ Frames: "How many frames the trace holds" });
        }
        get Frames() {
            return this.__frames.length;
        }
        itemCount() {
            return this.__frames.length;
        }
        itemAt(index) {
            return new FrameModel(this.__frames[index], this.__symbols);
        }
        /** The frames' addresses (for grouping; not shown by dx). */
        addresses() {
            return this.__frames.slice();
        }
        toString() {
            const top = this.__frames.length > 0 ? this.__symbols.name(this.__frames[0]).text : "";
            return `${this.__frames.length} frames: ${top}`;
        }
    }
    class NoStackModel {
        constructor(__reason, __message) {
            this.__reason = __reason;
            this.__message = __message;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Reason: "TraceDatabaseOff, BeforeTracing, VirtualAllocNoTrace, SegmentHeapNoTrace, TraceUnreadable or NoTraceTypes",
                Message: "What it means, and what to do",
            });
        }
        get Reason() {
            return this.__reason;
        }
        get Message() {
            return this.__message;
        }
        toString() {
            return `No stack (${this.__reason}): ${this.__message}`;
        }
    }
    function stackModel(result, symbols) {
        return "frames" in result ? new StackModel(result.frames, symbols) : new NoStackModel(result.reason, result.message);
    }

    // Busy blocks grouped by allocation stack or by type, as dx collections: dx @$curprocess.Heaps.ByStack(),
    // dx @$curprocess.Heaps[1].ByType().First().Blocks. Largest total first.
    function groupSources(heaps, refs) {
        const symbols = heaps.symbolizer();
        return refs.filter((ref) => !ref.problem()).map((ref) => {
            const walk = ref.walk();
            const traces = heaps.traces(ref.view);
            return {
                walk,
                heap: ref.index,
                stack: (row) => traces.stack(walk, row),
                typeName: (row) => {
                    const first = ref.firstPointers()[row];
                    return isFinite(first) ? symbols.vftableClass(first) : undefined;
                },
            };
        });
    }
    function stackGroups(heaps, refs, model, member) {
        const sources = groupSources(heaps, refs);
        return new GroupList(groupByStack(sources, member && ((s, row) => member(sources[s].heap, row))), sources, heaps, model, "stack");
    }
    function typeGroups(heaps, refs, model, member) {
        const sources = groupSources(heaps, refs);
        return new GroupList(groupByType(sources, member && ((s, row) => member(sources[s].heap, row))), sources, heaps, model, "type");
    }
    class GroupList extends IndexedList {
        constructor(__groups, __sources, __heaps, __model, __by) {
            super();
            this.__groups = __groups;
            this.__sources = __sources;
            this.__heaps = __heaps;
            this.__model = __model;
            this.__by = __by;
        }
        itemCount() {
            return this.__groups.length;
        }
        itemAt(index) {
            return new BlockGroupModel(this.__groups[index], this.__sources, this.__heaps, this.__model, this.__by);
        }
        toString() {
            return `${this.__groups.length} groups by ${this.__by}`;
        }
    }
    class BlockGroupModel {
        constructor(__group, __sources, __heaps, __model, __by) {
            this.__group = __group;
            this.__sources = __sources;
            this.__heaps = __heaps;
            this.__model = __model;
            this.__by = __by;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Count: "Busy blocks in the group",
                TotalBytes: "Bytes they hold (requested sizes)",
                Sizes: "The distinct requested sizes seen (at most 64)",
                Stack: "The allocation stack they share (stack groups), or why they have none",
                TypeName: "The C++ class they hold (type groups), or null when grouped by size",
                Blocks: "The blocks",
            });
        }
        get Count() {
            return this.__group.count;
        }
        get TotalBytes() {
            return this.__group.totalBytes;
        }
        get Sizes() {
            return this.__group.sizes.slice();
        }
        get Stack() {
            return this.__group.stack ? stackModel(this.__group.stack, this.__heaps.symbolizer()) : null;
        }
        get TypeName() {
            return this.__group.typeName === undefined ? null : this.__group.typeName;
        }
        get Blocks() {
            const refs = this.__heaps.heaps();
            return new BlockSelection(this.__group.members.map((m) => {
                const source = this.__sources[m.source];
                return { heap: this.__model(refs[source.heap]), walk: source.walk, rows: m.rows };
            }));
        }
        /** The group's key for dxheap's own code (frames joined, or the type or size). */
        key() {
            return this.__group.key;
        }
        toString() {
            const g = this.__group;
            const what = this.__by === "type" ? g.key : this.Stack.toString();
            return `${hex0x(g.count)} blocks, ${hex0x(g.totalBytes)} bytes: ${what}`;
        }
    }

    /** At most `max` referrers of a heap's row (heap: its position in the scan's walks), roots first. */
    function referrersOf(scan, heap, row, max) {
        const target = scan.firstRow[heap] + row;
        const out = [];
        const roots = scan.roots;
        for (let i = 0; i < roots.registers.length && out.length < max; i++) {
            if (roots.registers[i].row === target)
                out.push({ kind: "register", thread: roots.registers[i].thread, register: roots.registers[i].register });
        }
        for (let i = 0; i < roots.count && out.length < max; i++) {
            if (roots.rows[i] === target)
                out.push({ kind: "memory", location: roots.locations[i] });
        }
        const incoming = incomingOf(scan);
        let previous = -1;
        for (let i = incoming.starts[target]; i < incoming.starts[target + 1] && out.length < max; i++) {
            const from = incoming.from[i];
            // A block that points into the target twice is one referrer; the target itself is none.
            if (from === previous || from === target)
                continue;
            previous = from;
            let w = 0;
            while (w + 1 < scan.firstRow.length && scan.firstRow[w + 1] <= from)
                w++;
            out.push({ kind: "block", heap: w, row: from - scan.firstRow[w] });
        }
        return out;
    }
    const incomingOfScan = new WeakMap();
    /** Made on the first look-up and kept with the scan: one pass over the edges, then each look-up reads its own. */
    function incomingOf(scan) {
        let incoming = incomingOfScan.get(scan);
        if (incoming)
            return incoming;
        const walks = scan.edgeStarts.length;
        const total = walks > 0 ? scan.firstRow[walks - 1] + scan.edgeStarts[walks - 1].length : 0;
        const starts = new Int32Array(total + 1);
        for (let e = 0; e < scan.edges.length; e++)
            starts[scan.edges[e] + 1]++;
        for (let g = 0; g < total; g++)
            starts[g + 1] += starts[g];
        const next = starts.slice(0, total);
        const from = new Int32Array(scan.edges.length);
        for (let w = 0; w < walks; w++) {
            const first = scan.edgeStarts[w];
            const counts = scan.edgeCounts[w];
            for (let r = 0; r < first.length; r++) {
                if (first[r] < 0)
                    continue;
                for (let e = first[r], end = first[r] + counts[r]; e < end; e++)
                    from[next[scan.edges[e]]++] = scan.firstRow[w] + r;
            }
        }
        incoming = { starts, from };
        incomingOfScan.set(scan, incoming);
        return incoming;
    }

    const ALLOCATOR_MODULES = /^(ntdll(_[0-9a-f]{8})?|kernelbase|kernel32|ucrtbased?|msvcrt|msvcr\d+d?|vcruntime\d+d?)$/i;
    const ALLOCATOR_SYMBOLS = /^(operator new|operator new\[\]|malloc|calloc|realloc|_malloc_base|_calloc_base)$/;
    /** The first frame outside the allocators, else the last frame; undefined for no frames. */
    function callerFrame(frames, symbols) {
        for (let i = 0; i < frames.length; i++) {
            const name = symbols.name(frames[i]);
            if (name.module && ALLOCATOR_MODULES.test(name.module.name))
                continue;
            if (name.symbol && ALLOCATOR_SYMBOLS.test(name.symbol))
                continue;
            return frames[i];
        }
        return frames.length > 0 ? frames[frames.length - 1] : undefined;
    }

    // Where the pointers to a block live, named as a user reads them: module!global, thread N's stack
    // (in the frame of the function the nearest return address below the slot names), a thread's
    // register, inside another block (its type, or who allocated it), or other committed memory.
    /** How far below a stack slot the frame's function is looked for. */
    const FRAME_SEARCH_BYTES = 0x2000;
    class ReferrerModel {
        constructor(__kind, __location, __description, __block) {
            this.__kind = __kind;
            this.__location = __location;
            this.__description = __description;
            this.__block = __block;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Kind: "Global (a module's data), Stack (a thread's live stack), Register, Block (another busy block's user data) or Memory (other committed memory)",
                Location: "Where the pointer is (null for a register)",
                Description: "The place, named",
                Block: "The block holding the pointer (Kind Block), else null",
            });
        }
        get Kind() {
            return this.__kind;
        }
        get Location() {
            return this.__location === undefined ? null : toInt64(this.__location);
        }
        get Description() {
            return this.__description;
        }
        get Block() {
            return this.__block === undefined ? null : this.__block;
        }
        toString() {
            return this.__description;
        }
    }
    /** The referrers of a heap's row the leak scan saw (at most `max`), named. */
    function referrerModels(heaps, model, heap, row, max) {
        const found = referrersOf(heaps.leaks(), heap, row, max);
        return found.map((r) => describe(heaps, model, r));
    }
    function describe(heaps, model, referrer) {
        if (referrer.kind === "register")
            return new ReferrerModel("Register", undefined, `thread ${referrer.thread}'s register ${referrer.register}`, undefined);
        if (referrer.kind === "block") {
            const ref = heaps.heaps()[referrer.heap];
            const walk = ref.walk();
            const block = BlockModel.of(model(ref), walk, referrer.row);
            return new ReferrerModel("Block", walk.blocks.userAddress[referrer.row], `inside block ${hex0x(walk.blocks.userAddress[referrer.row])} ${whatBlock(heaps, ref, referrer.row)}`, block);
        }
        const location = referrer.location;
        const target = heaps.target;
        if (target.moduleAt(location)) {
            return new ReferrerModel("Global", location, `${heaps.symbolizer().name(location).text} (${hex0x(location)})`, undefined);
        }
        const threads = target.threads();
        for (let t = 0; t < threads.length; t++) {
            for (const stack of threads[t].stacks) {
                if (location < stack.limit || location >= stack.base)
                    continue;
                const side = target.isWow64 ? (stack.arch === "x86" ? "32-bit " : "64-bit ") : "";
                const ip = threads[t].registers[stack.arch === "x64" ? "rip" : "eip"];
                const frame = frameFunction(heaps, stack, location, ip);
                return new ReferrerModel("Stack", location, `thread ${t}'s ${side}stack at ${hex0x(location)}${frame ? `, in ${frame}'s frame` : ""}`, undefined);
            }
        }
        return new ReferrerModel("Memory", location, `committed memory at ${hex0x(location)} (no heap, module or stack)`, undefined);
    }
    /** "(type Widget)", "(allocated at leaky!Document::Load+0x3c)", or its size and why it has no stack. */
    function whatBlock(heaps, ref, row) {
        const walk = ref.walk();
        const first = ref.firstPointers()[row];
        const symbols = heaps.symbolizer();
        const type = walk.blocks.state[row] === STATE_BUSY && isFinite(first) ? symbols.vftableClass(first) : undefined;
        if (type !== undefined)
            return `of type ${type}`;
        const stack = heaps.traces(ref.view).stack(walk, row);
        const caller = "frames" in stack ? callerFrame(stack.frames, symbols) : undefined;
        return caller !== undefined ? `of ${hex0x(walk.blocks.userSize[row])} bytes allocated at ${symbols.name(caller).text}` : `of ${hex0x(walk.blocks.userSize[row])} bytes (no stack: ${"reason" in stack ? stack.reason : ""})`;
    }
    /**
     * The function whose frame holds a stack slot, where symbols allow: the nearest return address
     * below the slot points into that function (it was calling out when the dump was taken); with
     * none between the slot and the stack pointer, the slot is in the innermost frame, whose function
     * the instruction pointer names. A heuristic: a code pointer stored in a local looks the same.
     */
    function frameFunction(heaps, stack, location, ip) {
        const view = heaps.target.viewOf(stack.arch);
        if (!view)
            return undefined;
        const p = view.layout.pointerSize;
        const symbols = heaps.symbolizer();
        const named = (address) => {
            if (!heaps.target.moduleAt(address))
                return undefined;
            const name = symbols.name(address);
            return name.symbol && name.module ? `${name.module.name}!${name.symbol}` : undefined;
        };
        const bottom = stack.pointer !== undefined && stack.pointer <= location ? stack.pointer : Math.max(stack.limit, location - FRAME_SEARCH_BYTES);
        const low = Math.max(bottom, location - FRAME_SEARCH_BYTES);
        const start = low - (low % p);
        const bytes = view.memory.readPrefix(start, location - start);
        for (let at = Math.floor(bytes.length / p) * p - p; at >= 0; at -= p) {
            const found = named(pointer(bytes, at, p));
            if (found)
                return found;
        }
        return low === stack.pointer && ip !== undefined ? named(ip) : undefined;
    }

    /** Referrers listed per block. */
    const MAX_REFERRERS = 64;
    class HeapModel {
        constructor(__heaps, __ref) {
            this.__heaps = __heaps;
            this.__ref = __ref;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Address: "The heap handle",
                Architecture: "x86 or x64: which ntdll manages the heap (a WOW64 process has both; its 32-bit heaps come first)",
                Type: "NT, Segment, or Unknown (the header could not be read or has no heap signature), from the heap's signature",
                Flags: "_HEAP.Flags (NT) or _SEGMENT_HEAP.GlobalFlags",
                ListedIn: "Where the process names the heap: ProcessHeap (PEB.ProcessHeap), PEB (PEB.ProcessHeaps), DescriptorList (ntdll!RtlpProcessHeaps)",
                Granularity: "Block granularity in bytes: sizeof(_HEAP_ENTRY) (8 on x86, 16 on x64)",
                Segments: "The heap's segments",
                Blocks: "Every block of the heap (segment headers, back end, LFH, VirtualAlloc'd); the heap is walked on first use",
                Findings: "What the walk could not read, trust or decode: corrupted headers, unreadable pages, broken lists, unsupported kinds",
                Summary: "The !heap -s numbers of this heap",
                ByStack: "ByStack(): busy blocks grouped by identical allocation stack, largest total first",
                ByType: "ByType(): busy blocks grouped by C++ type (their vftable), else by size, largest total first",
            });
        }
        get Address() {
            return toInt64(this.__ref.address);
        }
        get Architecture() {
            return this.__ref.view.arch;
        }
        get Type() {
            return this.ref().identity().type;
        }
        get Flags() {
            return this.ref().identity().flags;
        }
        get ListedIn() {
            return this.__ref.listedIn.slice();
        }
        get Granularity() {
            return this.__ref.view.layout.entry.granularity;
        }
        get Segments() {
            return this.segmentsOf(this.ref().walk());
        }
        get Blocks() {
            return new BlockCollection(this, this.ref().walk());
        }
        get Findings() {
            return this.ref().walk().findings.map((finding) => new FindingModel(finding));
        }
        /** The !heap -s numbers, or, for a heap that could not be walked, why not. */
        get Summary() {
            const ref = this.ref();
            const problem = ref.problem();
            if (problem)
                return new FindingModel(problem);
            const walk = ref.walk();
            if (walk.type === "Segment")
                return new SegmentHeapSummaryModel(summarizeSegmentHeap(walk));
            return walk.type === "PageHeap" ? new PageHeapSummaryModel(summarizePageHeap(walk)) : new HeapSummaryModel(summarizeHeap(walk));
        }
        /** Busy blocks of this heap grouped by identical allocation stack, largest total first. */
        ByStack() {
            return stackGroups(this.__heaps, [this.ref()], () => this);
        }
        /** Busy blocks of this heap grouped by C++ type (vftable), else by size, largest total first. */
        ByType() {
            return typeGroups(this.__heaps, [this.ref()], () => this);
        }
        /** A block's allocation stack, or why it has none (for Block.AllocationStack). */
        stackOf(walk, row) {
            const ref = this.__ref;
            return stackModel(this.__heaps.traces(ref.view).stack(walk, row), this.__heaps.symbolizer());
        }
        /** The C++ class a busy block's vftable pointer names, or null (for Block.TypeName). */
        typeOf(walk, row) {
            const ref = this.__ref;
            let first;
            if (ref.walkIfDone() === walk) {
                first = ref.firstPointers()[row];
            }
            else {
                const p = ref.view.layout.pointerSize;
                const bytes = ref.view.memory.readPrefix(walk.blocks.userAddress[row], p);
                first = bytes.length === p && walk.blocks.userSize[row] >= p ? pointer(bytes, 0, p) : NaN;
            }
            if (!isFinite(first))
                return null;
            const name = this.__heaps.symbolizer().vftableClass(first);
            return name === undefined ? null : name;
        }
        /** Where the pointers to a block live, as the process's leak scan saw them (for Block.Referrers()). */
        referrersOf(row) {
            const heaps = this.__heaps;
            return referrerModels(heaps, (ref) => (ref === this.__ref ? this : new HeapModel(heaps, ref)), this.ref().index, row, MAX_REFERRERS);
        }
        /** The segment model of a walk's segment (for Block.Segment). */
        segmentAt(walk, index) {
            return this.segmentsOf(walk).getValueAt(index);
        }
        toString() {
            const identity = this.__ref.identity();
            return `${identity.type} heap ${hexAddress(this.__ref.address, this.__ref.view.layout.pointerSize)} (flags ${hex0x(identity.flags)})`;
        }
        segmentsOf(walk) {
            if (this.__segmentsOf !== walk) {
                this.__segments = new SegmentCollection(walk);
                this.__segmentsOf = walk;
            }
            return this.__segments;
        }
        /** The heap as the process's current cache knows it: re-read after a live target ran. */
        ref() {
            if (!this.__heaps.live)
                return this.__ref;
            const current = ProcessHeaps.of(this.__heaps.target.processObject);
            if (current !== this.__heaps) {
                this.__heaps = current;
                const found = current.heapAt(this.__ref.address);
                if (found)
                    this.__ref = found;
            }
            return this.__ref;
        }
    }

    class CommandContext {
        constructor() {
            this.heaps = ProcessHeaps.of();
            this.used = [];
            this.models = {};
        }
        /** The program's pointer size (a WOW64 process's is 4), for what belongs to no one heap. */
        get pointerSize() {
            return this.heaps.target.views[0].layout.pointerSize;
        }
        /** Every heap of the process, walked (kinds not walked yet give empty walks with a finding). */
        allHeaps() {
            return this.heaps.heaps().map((ref) => this.use(ref));
        }
        /**
         * The heaps that could be walked, whatever their kind (the others list no block and say why),
         * each block once: a page heap's NormalHeap is left out, its blocks being the page heap's.
         */
        walkedHeaps() {
            return this.allHeaps().filter((h) => !h.ref.problem() && h.ref.counted);
        }
        /** The heap whose handle is `address`, walked; a one-line error when it is not one or cannot be walked. */
        heapAt(command, address) {
            const ref = this.heaps.heapAt(address);
            if (!ref)
                throw new Error(`${command}: ${hex0x(address)} is not a heap of this process (!heaps lists them)`);
            const heap = this.use(ref);
            const problem = ref.problem();
            if (problem)
                throw new Error(`${command}: ${problem.message}`);
            return heap;
        }
        /** A heap (already walked by the cache) as one this command used. */
        use(ref) {
            for (let i = 0; i < this.used.length; i++)
                if (this.used[i].ref === ref)
                    return this.used[i];
            const heap = { ref, walk: ref.walk(), model: this.model(ref), width: ref.view.layout.pointerSize };
            this.used.push(heap);
            return heap;
        }
        model(ref) {
            let model = this.models[ref.index];
            if (!model)
                model = this.models[ref.index] = new HeapModel(this.heaps, ref);
            return model;
        }
        /**
         * Prints `text`, then the findings of the heap lists and of every heap the command used, at most
         * MAX_PRINTED_FINDINGS of them (each heap's are already aggregated per kind of problem).
         */
        print(text) {
            this.printWarnings(text, true);
        }
        /** Prints `text` and the heap lists' findings only (for a command that reports the walks' itself). */
        printWithoutWalkFindings(text) {
            this.printWarnings(text, false);
        }
        printWarnings(text, withWalks) {
            const lines = [text];
            const limit = new RowLimit(MAX_PRINTED_FINDINGS);
            const warn = (finding) => {
                if (limit.take())
                    lines.push(`WARNING: ${finding.kind}: ${finding.message}\n`);
            };
            this.heaps.findings().forEach(warn);
            if (withWalks)
                for (let h = 0; h < this.used.length; h++)
                    this.used[h].walk.findings.forEach(warn);
            lines.push(limit.note("findings", "dx @$curprocess.Heaps.Findings and dx @$curprocess.Heaps[i].Findings"));
            host.diagnostics.debugLog(lines.join(""));
        }
    }
    /** Prints the text of a command that used no heap (so has no finding to add). */
    function printText(text) {
        host.diagnostics.debugLog(text);
    }
    /**
     * A function alias that never throws into the debugger: a mistake in the arguments or anything
     * else that stops the command prints one "Error: …" line (WinDbg would add the script's line and
     * column to a thrown error) and the command returns nothing. More arguments than the command
     * takes are a mistake, not ignored.
     */
    function command(name, parameters, body) {
        return function (...args) {
            try {
                if (args.length > parameters) {
                    throw new Error(`${name}: expected at most ${parameters} argument${parameters === 1 ? "" : "s"}, got ${args.length}`);
                }
                return body(...args);
            }
            catch (e) {
                const message = String(e.message);
                host.diagnostics.debugLog(`Error: ${message.indexOf(`${name}: `) === 0 ? message : `${name}: ${message}`}\n`);
                return undefined;
            }
        };
    }

    // Text renderers for the `!heap` look-alike commands. Column order, widths and hex style
    // copy real WinDbg output: the seeds quoted in docs/seeds.md (000/001: -s, -stat, -flt; 003/004:
    // -x, -srch) and public transcripts of the modern x86/x64 layouts where a seed has only one width.
    // "§" below is docs/heap-structures.md.
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
    /**
     * The segment heaps' table after the NT one. WinDbg prints segment heaps in a table of their own
     * on Windows 10+ whose columns are UNVERIFIED (docs/heap-structures.md §3.1 "Segment heaps"):
     * these are a choice, from the counters a segment heap keeps (sizes in decimal KiB, like -s).
     */
    function formatSegmentHeapSummaryTable(summaries, pointerSize) {
        const widen = " ".repeat(pointerSize * 2 - 8);
        const rule = "-".repeat(86 + widen.length);
        const lines = ["", STARS, " ".repeat(45) + "SEGMENT HEAP STATS BELOW", STARS];
        lines.push(widen + "  Heap     Flags   Reserv  Commit  Free    VS free LFH free Large   Large Segments");
        lines.push(widen + "                    (k)     (k)    (k)      (k)      (k)   (k)  blocks          ");
        lines.push(rule);
        for (let i = 0; i < summaries.length; i++) {
            const s = summaries[i];
            lines.push(hexAddress(s.heapAddress, pointerSize) + " " + padHex(s.flags, 8) +
                padLeft(String(kib(s.reservedBytes)), 8) + padLeft(String(kib(s.committedBytes)), 7) +
                padLeft(String(kib(s.freeCommittedBytes)), 7) + padLeft(String(kib(s.vsFreeBytes)), 9) +
                padLeft(String(kib(s.lfhFreeCommittedBytes)), 9) + padLeft(String(kib(s.largeCommittedBytes)), 6) +
                padLeft(String(s.largeBlockCount), 8) + "  " + s.segmentsPerContext.join("+"));
        }
        lines.push(rule);
        return joinLines(lines);
    }
    /**
     * !heaps for page heaps (gflags +hpa): our own table in !heap -s's style (WinDbg's !heap -s prints
     * page heaps differently; no sample of it is quoted in docs/seeds.md).
     */
    function formatPageHeapTable(summaries, pointerSize) {
        const widen = " ".repeat(pointerSize * 2 - 8);
        const rule = "-".repeat(79 + 2 * widen.length);
        const lines = ["", STARS, " ".repeat(46) + "PAGE HEAP STATS BELOW", STARS];
        lines.push(widen + "  Heap     Flags   Full-page  Bytes (k)  Freed  Bytes (k)  Light  Bytes (k)  " + widen + "NormalHeap");
        lines.push(rule);
        for (let i = 0; i < summaries.length; i++) {
            const s = summaries[i];
            lines.push(hexAddress(s.heapAddress, pointerSize) + " " + padHex(s.flags, 8) +
                padLeft(String(s.fullPageBusy), 11) + padLeft(String(kib(s.fullPageBusyBytes)), 11) +
                padLeft(String(s.freed), 7) + padLeft(String(kib(s.freedBytes)), 11) +
                padLeft(String(s.lightBusy), 7) + padLeft(String(kib(s.lightBusyBytes)), 11) + "  " +
                (s.normalHeap ? hexAddress(s.normalHeap, pointerSize) : "-"));
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
        const lines = ["    _HEAP @ " + hex(walk.address)];
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
        const blocks = walk.blocks;
        const lines = [...blockTableHeader(pointerSize), blockTableRow(walk, row, pointerSize)];
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
    /** The column header and rule of -x and -l rows. */
    function blockTableHeader(pointerSize) {
        const digits = pointerSize * 2;
        return [
            padRight("Entry", digits + 2) + padRight("User", digits + 2) + padRight("Heap", digits + 2) + padRight("Segment", digits) +
                padLeft("Size", 10) + padLeft("PrevSize", 10) + "  Unused    Flags",
            "-".repeat(45 + 4 * digits),
        ];
    }
    /** One -x / -l row: Entry, User, Heap, Segment, Size, PrevSize, Unused, Flags. */
    function blockTableRow(walk, row, pointerSize) {
        const blocks = walk.blocks;
        return (hexAddress(blocks.address[row], pointerSize) + "  " + hexAddress(blocks.userAddress[row], pointerSize) + "  " +
            hexAddress(walk.address, pointerSize) + "  " + hexAddress(segmentColumn(walk, row), pointerSize) +
            padLeft(hex(blocks.size[row]), 10) +
            (blocks.kind[row] === KIND_LFH ? "      -   " : padLeft(hex(blocks.previousSize[row]), 10)) +
            padLeft(hex(unusedBytes(blocks, row)), 10) + "  " + flagWords(blocks, row));
    }
    function segmentColumn(walk, row) {
        const blocks = walk.blocks;
        if (blocks.kind[row] === KIND_LFH)
            return blocks.userAddress[blocks.container[row]];
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
        const busyOrFree = state === STATE_FREE ? "free " : state === STATE_FREED ? "freed " : "busy ";
        if (kind === KIND_LFH)
            return "LFH;" + busyOrFree;
        // Segment-heap blocks have no _HEAP_ENTRY flags: their kind (a choice, like the words above).
        if (kind !== KIND_BACKEND && kind !== KIND_VIRTUAL_ALLOC)
            return `${BLOCK_KINDS[kind]};${busyOrFree}${state === STATE_INTERNAL ? " internal " : ""}`;
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
            lines.push("    _HEAP @ " + upperAddress(walk.address, pointerSize), "   in HEAP_ENTRY: Size : Prev Flags - UserPtr UserSize - state", "        " +
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
    /**
     * "(busy)", "(busy VirtualAlloc)" (seed 000), "(free)"; "(busy LFH)", "(busy internal)", the
     * segment heap's "(busy VS)", "(busy Large)", "(busy PageRange)" and the page heap's "(busy PageHeap)",
     * "(freed PageHeap)" are choices.
     */
    function entryStateText(blocks, row) {
        let text = blocks.state[row] === STATE_FREE ? "(free" : blocks.state[row] === STATE_FREED ? "(freed" : "(busy";
        const kind = blocks.kind[row];
        if (kind === KIND_BACKEND) {
            if (blocks.state[row] === STATE_INTERNAL)
                text += " internal";
        }
        else {
            text += " " + BLOCK_KINDS[kind];
            if (blocks.state[row] === STATE_INTERNAL)
                text += " internal";
        }
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
    // ---------------------------------------------------------------------------------------
    // Allocation stacks: !heapstack, !heapstacks, !heaptypes
    /**
     * Stack lines as `!heap -p -a` prints a +ust or page-heap trace: the return address, then
     * module!function+0xoffset with the offset as wide as a pointer (public transcripts of -p -a; the
     * address without leading zeros is a choice).
     */
    function formatStackLines(frames, names, pointerSize, indent = "        ") {
        const lines = [];
        for (let i = 0; i < frames.length; i++) {
            const name = names(frames[i]);
            const where = name.module
                ? `${name.module.name}${name.symbol ? "!" + name.symbol : ""}+0x${padHex(name.offset, pointerSize * 2)}`
                : hex(frames[i]);
            lines.push(`${indent}${hex(frames[i])} ${where}`);
        }
        return joinLines(lines);
    }
    /** One group of !heapstacks: its count, bytes and sizes, then its stack or why it has none. */
    function formatStackGroup(count, bytes, sizes, stackText) {
        const shown = sizes.slice(0, 8).map((s) => "0x" + hex(s)).join(", ") + (sizes.length > 8 ? ", ..." : "");
        const text = stackText.replace(/\n$/, "");
        return `0x${hex(count)} blocks, 0x${hex(bytes)} bytes (sizes ${shown})${text.indexOf("\n") >= 0 || /^\s/.test(text) ? ":\n" + text : ": " + text}\n`;
    }
    /** !heaptypes: count, bytes and the class (or "size 0x…") per line. */
    function formatTypeRows(rows) {
        const lines = ["     count        bytes  type"];
        for (let i = 0; i < rows.length; i++) {
            lines.push(padLeft("0x" + hex(rows[i].count), 10) + padLeft("0x" + hex(rows[i].bytes), 13) + "  " + rows[i].key);
        }
        return joinLines(lines);
    }
    // ---------------------------------------------------------------------------------------
    // Snapshot differences: !heapdiff. UMDH's diff shows each trace's growth as
    // "+ bytes (new - old) count allocs" over its frames; these rows say the same in dxheap's words.
    /** A changed allocation stack: the change of its blocks and bytes (before -> after), its sizes and types, then its frames. */
    function formatStackChange(change) {
        const sizes = change.sizes.slice(0, 8).map(hex0x).join(", ") + (change.sizes.length > 8 ? ", ..." : "");
        const typed = change.types.filter((t) => t !== null);
        const types = typed.length === 0 ? "" : `, types ${typed.slice(0, 4).join(", ")}${typed.length > 4 ? ", ..." : ""}`;
        const head = `${changeText(change)}, sizes ${sizes}${types}`;
        if (!change.stack)
            return `${head}: no stack (${change.noStackReasons.join(", ")})\n`;
        return `${head}:\n` + joinLines(change.stack.map((frame) => "        " + frame));
    }
    /** Changed types or sizes, a line each: blocks and bytes gained, blocks before and after, the type or size. */
    function formatChangeRows(rows, keyTitle) {
        const lines = ["    blocks        bytes    before     after  " + keyTitle];
        for (let i = 0; i < rows.length; i++) {
            const c = rows[i].change;
            lines.push(padLeft(signedHex(c.countAfter - c.countBefore), 10) + padLeft(signedHex(c.bytesAfter - c.bytesBefore), 13) + padLeft(hex0x(c.countBefore), 10) + padLeft(hex0x(c.countAfter), 10) + "  " + rows[i].key);
        }
        return joinLines(lines);
    }
    /** "+0x258 blocks (0x960 -> 0xbb8), +0xa8c0 bytes (0x2a300 -> 0x34bc0)". */
    function changeText(change) {
        return `${signedHex(change.countAfter - change.countBefore)} blocks (${hex0x(change.countBefore)} -> ${hex0x(change.countAfter)}), ` +
            `${signedHex(change.bytesAfter - change.bytesBefore)} bytes (${hex0x(change.bytesBefore)} -> ${hex0x(change.bytesAfter)})`;
    }

    // The ! commands. Each prints what the matching !heap switch prints and returns the same
    // result as dx objects, so `!heapfilter 0x400000` reads like `!heap -flt s 400000` and
    // `dx @$heapfilter(0x400000).First().UserAddress` goes on from there.
    const GROUPS = ["A", "B", "S"];
    const DEFAULT_MAX_ROWS$1 = 20;
    /**
     * !heaps — !heap -s: one row per NT heap, with the fragmentation lines; a table of the segment
     * heaps, one of the page heaps; the heaps that could not be walked, and why.
     */
    const heaps = command("heaps", 0, () => {
        const context = new CommandContext();
        const all = context.allHeaps();
        const views = context.heaps.target.views;
        let text = "";
        const results = [];
        // A WOW64 process: the 32-bit heaps, then the 64-bit ones, each with its own table.
        for (let v = 0; v < views.length; v++) {
            const view = views[v];
            const own = all.filter((h) => h.ref.view === view && !h.ref.problem());
            const nt = own.filter((h) => h.walk.type === "NT").map((h) => summarizeHeap(h.walk));
            const segment = own.filter((h) => h.walk.type === "Segment").map((h) => summarizeSegmentHeap(h.walk));
            const page = own.filter((h) => h.walk.type === "PageHeap").map((h) => summarizePageHeap(h.walk));
            const width = view.layout.pointerSize;
            if (views.length > 1)
                text += `${v > 0 ? "\n" : ""}${view.arch === "x86" ? "32" : "64"}-bit heaps (${view.module}, PEB ${hexAddress(view.peb, width)}):\n`;
            text += formatHeapSummaryTable(nt, { pointerSize: width, lfhKey: view.lfhKey });
            if (segment.length > 0)
                text += formatSegmentHeapSummaryTable(segment, width);
            if (page.length > 0)
                text += formatPageHeapTable(page, width);
            for (let i = 0; i < nt.length; i++)
                results.push(new HeapSummaryModel(nt[i]));
            for (let i = 0; i < segment.length; i++)
                results.push(new SegmentHeapSummaryModel(segment[i]));
            for (let i = 0; i < page.length; i++)
                results.push(new PageHeapSummaryModel(page[i]));
        }
        const others = all.filter((h) => h.ref.problem());
        if (others.length > 0) {
            text += "Heaps that could not be walked:\n";
            for (let i = 0; i < others.length; i++) {
                text += `${hexAddress(others[i].walk.address, others[i].width)} ${others[i].walk.type}: ${others[i].ref.problem().message}\n`;
            }
        }
        context.print(text);
        return results;
    });
    /** !heapstat [heap] [, "A"|"B"|"S"] [, max] — !heap -stat -h: busy blocks grouped by requested size. */
    const heapstat = command("heapstat", 3, (heap, groupBy, maxRows) => {
        const address = optional("heapstat", "a heap address (0 or nothing for all heaps)", heap, 0);
        const group = choice("heapstat", "a grouping", groupBy, GROUPS, "S");
        const max = optional("heapstat", "a row count", maxRows, DEFAULT_MAX_ROWS$1);
        if (max < 1)
            throw new Error(`heapstat: expected a row count of at least 1, got ${max}`);
        const context = new CommandContext();
        const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heapstat", address)];
        let text = "";
        const results = [];
        for (let i = 0; i < chosen.length; i++) {
            const walk = chosen[i].walk;
            const stats = sizeStatistics(walk, group, max);
            text += formatSizeStatistics(walk.address, group, max, stats, chosen[i].width);
            results.push(new SizeStatisticsModel(walk.address, group, stats));
        }
        context.print(text);
        return results;
    });
    /** !heapfilter size [, maxExclusive] — !heap -flt s / -flt r: busy blocks by requested size, [size, max). */
    const heapfilter = command("heapfilter", 2, (size, maxExclusive) => {
        const min = required("heapfilter", "a size", size);
        const max = optional("heapfilter", "an exclusive upper bound", maxExclusive, min + 1);
        if (max <= min)
            throw new Error(`heapfilter: the upper bound 0x${hex(max)} must be above the size 0x${hex(min)} (the range is [size, max))`);
        const context = new CommandContext();
        const walked = context.walkedHeaps();
        const limit = new RowLimit();
        let text = "";
        const parts = [];
        for (let i = 0; i < walked.length; i++) {
            const rows = filterBySize(walked[i].walk, min, max);
            if (rows.length === 0)
                continue;
            parts.push({ heap: walked[i].model, walk: walked[i].walk, rows });
            const printed = [];
            for (let r = 0; r < rows.length; r++)
                if (limit.take())
                    printed.push(rows[r]);
            if (printed.length > 0)
                text += formatBlockRows(walked[i].walk, printed, walked[i].width);
        }
        const range = max === min + 1 ? `0x${hex(min)}` : `(0x${hex(min)}, 0x${hex(max)})`;
        if (parts.length === 0) {
            text = max === min + 1 ? `no busy blocks of size 0x${hex(min)}\n` : `no busy blocks of sizes [0x${hex(min)}, 0x${hex(max)})\n`;
        }
        context.print(text + limit.note("blocks", `dx @$heapfilter(${range})`));
        return new BlockSelection(parts);
    });
    /** !heapfind address [, true] — !heap -x [-v]: the block holding an address, and (true) every pointer into it. */
    const heapfind = command("heapfind", 2, (address, searchReferences) => {
        const target = required("heapfind", "an address", address);
        const withReferences = flag("heapfind", "whether to search the process for pointers into the block", searchReferences);
        const context = new CommandContext();
        const found = context.heaps.locate(target);
        if (!found) {
            context.allHeaps();
            context.print(`0x${hex(target)} is not inside any block of the process's heaps\n`);
            return null;
        }
        const heap = context.use(found.heap);
        const blocks = heap.walk.blocks;
        const start = blocks.address[found.row];
        const end = start + blocks.size[found.row];
        let note = "";
        let references;
        let printed;
        if (withReferences) {
            const segments = [];
            const walked = context.walkedHeaps();
            for (let i = 0; i < walked.length; i++) {
                for (const s of walked[i].walk.segments)
                    segments.push({ base: s.baseAddress, size: s.lastValidEntry - s.baseAddress });
            }
            const regions = context.heaps.target.regions(segments);
            if (regions.problem)
                note += `The region list was unavailable (${regions.problem}): scanning heap segments, thread stacks and module images only.\n`;
            const memory = found.heap.view.memory;
            // A WOW64 process's memory holds 32-bit pointers and 64-bit ones: every aligned 4-byte value
            // finds both (a 64-bit heap there lies below 4 GiB too, so a 64-bit pointer's low half is it).
            const width = context.heaps.target.isWow64 ? 4 : heap.width;
            references = () => findReferences(memory, regions.regions, start, end, width);
            const limit = new RowLimit();
            printed = [];
            for (const reference of findReferences(memory, regions.regions, start, end, width))
                if (limit.take())
                    printed.push(reference);
            note = limit.note("references", `dx @$heapfind(0x${hex(target)}, true).References`) + note;
        }
        context.print(formatFoundBlock(heap.walk, found.row, heap.width, printed) + note);
        return new FoundBlockModel(BlockModel.of(heap.model, heap.walk, found.row), target - start, references);
    });
    /** !heapsearch pattern [, width] — !heap -srch: where a 1, 2, 4 or 8-byte value occurs in busy user data. */
    const heapsearch = command("heapsearch", 2, (pattern, width) => {
        if (pattern === undefined)
            throw new Error("heapsearch: expected a pattern");
        const context = new CommandContext();
        const bytes = optional("heapsearch", "a width (1, 2, 4 or 8)", width, context.pointerSize);
        if (bytes !== 1 && bytes !== 2 && bytes !== 4 && bytes !== 8)
            throw new Error(`heapsearch: expected a width of 1, 2, 4 or 8, got ${bytes}`);
        const needle = patternBytes("heapsearch", pattern, bytes);
        const walked = context.walkedHeaps();
        // Each hit prints three lines, as !heap -srch does (docs/seeds.md seed 004): a third of the usual rows.
        const limit = new RowLimit(MAX_PRINTED_ROWS / 2);
        let text = "";
        let hits = 0;
        for (let i = 0; i < walked.length; i++) {
            for (const hit of searchPattern(walked[i].ref.view.memory, walked[i].walk, needle)) {
                hits++;
                if (limit.take())
                    text += formatSearchHits(walked[i].walk, [hit], walked[i].width);
            }
        }
        const query = `dx @$heapsearch(${describePattern(pattern)}, ${bytes})`;
        context.print((hits === 0 ? "no match\n" : text) + limit.note("matches", query));
        return new LazyCollection(() => allHits(walked, needle), `${hits} matches`);
    });
    function* allHits(walked, needle) {
        for (let i = 0; i < walked.length; i++) {
            for (const hit of searchPattern(walked[i].ref.view.memory, walked[i].walk, needle)) {
                yield new PatternHitModel(BlockModel.of(walked[i].model, walked[i].walk, hit.row), hit.location);
            }
        }
    }
    /** A pattern as the user can type it again. */
    function describePattern(pattern) {
        return typeof pattern === "number" ? `0x${hex(pattern)}` : `0x${pattern.toString(16)}`;
    }
    /** !heapcheck [heap] — !heap -v's idea: every cross-check on every heap (or one), and their findings. */
    const heapcheck = command("heapcheck", 1, (heap) => {
        const address = optional("heapcheck", "a heap address (0 or nothing for all heaps)", heap, 0);
        const context = new CommandContext();
        const chosen = address === 0 ? context.allHeaps() : [context.use(context.heapAt("heapcheck", address).ref)];
        const limit = new RowLimit(MAX_PRINTED_FINDINGS);
        let text = "";
        const results = [];
        for (let i = 0; i < chosen.length; i++) {
            const { ref, walk } = chosen[i];
            const log = new FindingLog();
            if (walk.type === "NT")
                checkNtHeap(ref.view, walk, log);
            const found = walk.findings.concat(log.list());
            text += `${hexAddress(walk.address, chosen[i].width)} ${walk.type} heap: ${found.length === 0 ? "no problem found" : `${found.length} finding${found.length === 1 ? "" : "s"}`}\n`;
            for (let f = 0; f < found.length; f++)
                if (limit.take())
                    text += `    ${found[f].kind}: ${found[f].message}\n`;
            results.push(new HeapCheckModel(walk.address, walk.type, found));
        }
        text += limit.note("findings", `dx @$heapcheck(${address === 0 ? "" : "0x" + hex(address)})`);
        // The walks' own findings are part of the report above; only the heap lists' are added after it.
        context.printWithoutWalkFindings(text);
        return results;
    });
    /**
     * !heapstack address — !heap -p -a: the heap and block holding the address (any kind), the
     * offset in it, busy or freed, and its allocation stack, or why there is none.
     */
    const heapstack = command("heapstack", 1, (address) => {
        const target = required("heapstack", "an address", address);
        const context = new CommandContext();
        const found = context.heaps.locate(target);
        if (!found) {
            context.allHeaps();
            context.print(`address ${hex(target)} is not inside any block of the process's heaps\n`);
            return null;
        }
        const heap = context.use(found.heap);
        const blocks = heap.walk.blocks;
        const stack = context.heaps.traces(found.heap.view).stack(heap.walk, found.row);
        const symbols = context.heaps.symbolizer();
        let text = `    address ${hex(target)} found in\n` + formatBlockRows(heap.walk, [found.row], heap.width);
        text += `    offset 0x${hex(target - blocks.address[found.row])} in the block, ${BLOCK_STATES[blocks.state[found.row]].toLowerCase()}\n`;
        text += "frames" in stack ? formatStackLines(stack.frames, (a) => symbols.name(a), heap.width) : `    no allocation stack (${stack.reason}): ${stack.message}\n`;
        context.print(text);
        return new HeapStackModel(BlockModel.of(heap.model, heap.walk, found.row), target - blocks.address[found.row], stackModel(stack, symbols));
    });
    /** !heapstacks [heap] [, max] — busy blocks grouped by allocation stack, largest total first (UMDH's view). */
    const heapstacks = command("heapstacks", 2, (heap, maxGroups) => {
        const address = optional("heapstacks", "a heap address (0 or nothing for all heaps)", heap, 0);
        const max = optional("heapstacks", "a group count", maxGroups, DEFAULT_MAX_ROWS$1);
        const context = new CommandContext();
        const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heapstacks", address)];
        const groups = stackGroups(context.heaps, chosen.map((h) => h.ref), (ref) => context.model(ref));
        const symbols = context.heaps.symbolizer();
        const limit = new RowLimit(max);
        let text = groups.count() === 0 ? "no busy blocks\n" : "";
        for (let i = 0; i < groups.count(); i++) {
            if (!limit.take())
                continue;
            const g = groups.getValueAt(i);
            const stack = g.Stack;
            const stackText = stack instanceof StackModel ? formatStackLines(stack.addresses(), (a) => symbols.name(a), context.pointerSize) : `no stack (${stack.Reason})`;
            text += formatStackGroup(g.Count, g.TotalBytes, g.Sizes, stackText.replace(/\n$/, ""));
        }
        context.print(text + limit.note("groups", `dx @$heapstacks(${address === 0 ? "0" : "0x" + hex(address)}, ${groups.count()})`));
        return groups;
    });
    /** !heaptypes [heap] [, max] — busy blocks grouped by C++ type (their vftable), else by size, largest total first. */
    const heaptypes = command("heaptypes", 2, (heap, maxGroups) => {
        const address = optional("heaptypes", "a heap address (0 or nothing for all heaps)", heap, 0);
        const max = optional("heaptypes", "a group count", maxGroups, DEFAULT_MAX_ROWS$1);
        const context = new CommandContext();
        const chosen = address === 0 ? context.walkedHeaps() : [context.heapAt("heaptypes", address)];
        const groups = typeGroups(context.heaps, chosen.map((h) => h.ref), (ref) => context.model(ref));
        const rows = [];
        for (let i = 0; i < Math.min(max, groups.count()); i++) {
            const g = groups.getValueAt(i);
            rows.push({ count: g.Count, bytes: g.TotalBytes, key: g.key() });
        }
        const hidden = groups.count() - rows.length;
        context.print(formatTypeRows(rows) + (hidden > 0 ? `... ${hidden} more groups; use dx @$heaptypes(${address === 0 ? "0" : "0x" + hex(address)}, ${groups.count()}) to query them all\n` : ""));
        return groups;
    });

    class LeakReportModel {
        constructor(__scan, __blocks, 
        /** Groups the unreachable blocks (by stack or type) when first asked: stacks cost reads of their records. */
        __group) {
            this.__scan = __scan;
            this.__blocks = __blocks;
            this.__group = __group;
        }
        /** The leak scan of a process (made once by its cache), its unreachable blocks grouped and listed. */
        static of(heaps, model) {
            const scan = heaps.leaks();
            const refs = heaps.heaps().filter((ref) => !ref.problem() && ref.counted);
            const member = (heap, row) => scan.unreachable[heap][row] === 1;
            const parts = refs.map((ref) => {
                const rows = [];
                const flags = scan.unreachable[ref.index];
                for (let row = 0; row < flags.length; row++)
                    if (flags[row])
                        rows.push(row);
                return { heap: model(ref), walk: ref.walk(), rows };
            });
            return new LeakReportModel(scan, new BlockSelection(parts), (by) => (by === "stack" ? stackGroups : typeGroups)(heaps, refs, model, member));
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                UnreachableBlocks: "Busy blocks nothing in the process points to (roots: live stacks, registers, module globals, other committed memory outside the heaps)",
                UnreachableBytes: "Bytes they hold",
                BusyBlocks: "Busy blocks scanned",
                RootBytes: "Bytes of roots scanned",
                HeapBytes: "Bytes of heap user data scanned",
                Problem: "What limited the scan, or null",
                ByStack: "The unreachable blocks grouped by allocation stack, largest total first",
                ByType: "The unreachable blocks grouped by C++ type, else size, largest total first",
                Blocks: "The unreachable blocks",
            });
        }
        get UnreachableBlocks() { return this.__scan.unreachableCount; }
        get UnreachableBytes() { return this.__scan.unreachableBytes; }
        get BusyBlocks() { return this.__scan.busyCount; }
        get RootBytes() { return this.__scan.rootBytes; }
        get HeapBytes() { return this.__scan.heapBytes; }
        get Problem() { return this.__scan.problem === undefined ? null : this.__scan.problem; }
        get ByStack() {
            if (!this.__byStack)
                this.__byStack = this.__group("stack");
            return this.__byStack;
        }
        get ByType() {
            if (!this.__byType)
                this.__byType = this.__group("type");
            return this.__byType;
        }
        get Blocks() { return this.__blocks; }
        /** For the command's text. */
        scan() { return this.__scan; }
        blocks() { return this.__blocks; }
        toString() {
            return `${this.__scan.unreachableCount} unreachable blocks (0x${this.__scan.unreachableBytes.toString(16)} bytes) of ${this.__scan.busyCount} busy`;
        }
    }

    const SUMMARY_GROUPS = 10;
    /** !heapleaks [max] — !heap -l: busy blocks nothing points to, ranked by stack and by type, then the blocks (at most max). */
    const heapleaks = command("heapleaks", 1, (maxRows) => {
        const max = optional("heapleaks", "a row count", maxRows, 2000);
        const context = new CommandContext();
        const walked = context.walkedHeaps();
        const report = LeakReportModel.of(context.heaps, (ref) => context.model(ref));
        const scan = report.scan();
        const byStack = report.ByStack;
        const byType = report.ByType;
        let text = `Scanned 0x${hex(scan.rootBytes)} bytes of roots (live stacks, registers, module globals, other memory) and 0x${hex(scan.heapBytes)} bytes of heap data.\n`;
        if (scan.problem)
            text += `Note: ${scan.problem}.\n`;
        text += `0x${hex(scan.unreachableCount)} of 0x${hex(scan.busyCount)} busy blocks are unreachable, holding 0x${hex(scan.unreachableBytes)} bytes.\n`;
        if (scan.unreachableCount > 0) {
            text += "\nBy allocation stack (largest first):\n" + stackSummary(context, byStack);
            text += "\nBy type or size (largest first):\n" + typeSummary(byType);
            const limit = new RowLimit(max);
            let headerWidth = 0;
            for (let i = 0; i < walked.length; i++) {
                // A header per pointer size: a WOW64 process's 64-bit heaps print wider rows.
                const width = walked[i].width;
                const flags = scan.unreachable[walked[i].ref.index];
                for (let row = 0; row < flags.length; row++) {
                    if (!flags[row] || !limit.take())
                        continue;
                    if (width !== headerWidth)
                        text += "\n" + blockTableHeader((headerWidth = width)).join("\n") + "\n";
                    text += blockTableRow(walked[i].walk, row, width) + "\n";
                }
            }
            text += limit.note("blocks", "dx @$heapleaks().Blocks");
        }
        context.print(text);
        return report;
    });
    function stackSummary(context, groups) {
        const symbols = context.heaps.symbolizer();
        let text = "";
        for (let i = 0; i < Math.min(SUMMARY_GROUPS, groups.count()); i++) {
            const g = groups.getValueAt(i);
            const stack = g.Stack;
            const stackText = stack instanceof StackModel ? formatStackLines(stack.addresses(), (a) => symbols.name(a), context.pointerSize).replace(/\n$/, "") : `no stack (${stack.Reason})`;
            text += formatStackGroup(g.Count, g.TotalBytes, g.Sizes, stackText);
        }
        if (groups.count() > SUMMARY_GROUPS)
            text += `... ${groups.count() - SUMMARY_GROUPS} more stacks; use dx @$heapleaks().ByStack\n`;
        return text;
    }
    function typeSummary(groups) {
        const rows = [];
        for (let i = 0; i < Math.min(SUMMARY_GROUPS, groups.count()); i++) {
            const g = groups.getValueAt(i);
            rows.push({ count: g.Count, bytes: g.TotalBytes, key: g.key() });
        }
        return formatTypeRows(rows) + (groups.count() > SUMMARY_GROUPS ? `... ${groups.count() - SUMMARY_GROUPS} more; use dx @$heapleaks().ByType\n` : "");
    }

    /** Snapshots kept; taking one more drops the oldest. */
    const MAX_STORED_SNAPSHOTS = 32;
    const stored = [];
    let taken = 0;
    let latestDiff;
    /** The name a snapshot gets when none is given: snap1, snap2, … (one not in the store). */
    function defaultSnapshotName() {
        let n = taken + 1;
        while (storedSnapshot(`snap${n}`))
            n++;
        return `snap${n}`;
    }
    /** Keeps a snapshot as the newest; what it replaced (same name) and what it pushed out (the oldest). */
    function storeSnapshot(snapshot) {
        const at = indexOf(snapshot.name);
        if (at >= 0)
            stored.splice(at, 1);
        stored.push(snapshot);
        taken++;
        const dropped = stored.length > MAX_STORED_SNAPSHOTS ? stored.shift().name : undefined;
        return { replaced: at >= 0, dropped };
    }
    function storedSnapshot(name) {
        const at = indexOf(name);
        return at >= 0 ? stored[at] : undefined;
    }
    /** Every stored snapshot, oldest first. */
    function storedSnapshots() {
        return stored.slice();
    }
    function recordDiff(diff) {
        latestDiff = diff;
    }
    /** The most recent diff !heapdiff computed, or undefined. */
    function lastDiff() {
        return latestDiff;
    }
    /** Forgets every snapshot and the last diff (uninitializeScript). */
    function clearSnapshots() {
        stored.length = 0;
        taken = 0;
        latestDiff = undefined;
    }
    function indexOf(name) {
        for (let i = 0; i < stored.length; i++)
            if (stored[i].name === name)
                return i;
        return -1;
    }

    // Snapshots of a process's busy blocks and the difference of two: UMDH's job, inside the debugger.
    // A snapshot counts busy blocks per (allocation stack, C++ type, requested size). Stacks are kept
    // as WinDbg names their frames (module!symbol+0xoffset), never as addresses, so that snapshots of
    // two dumps of one program compare whatever ASLR did to its modules. The file format (version 1)
    // is docs/snapshot-format.md; reading one checks every field and every bound it states.
    // Pure: the command layer gives the names, the clock and the file text.
    const SNAPSHOT_FORMAT = "dxheap-snapshot";
    const SNAPSHOT_VERSION = 1;
    /** Groups a snapshot keeps (and a file may hold); the blocks of any further group are only counted. */
    const MAX_SNAPSHOT_GROUPS = 1000000;
    /** Characters a snapshot file may hold: the text is parsed whole, and engines cap a string near 2^29 characters. */
    const MAX_SNAPSHOT_CHARS = 256 * 1024 * 1024;
    const MAX_FRAMES = 1024;
    const MAX_TEXT = 4096;
    const MAX_NAME$1 = 256;
    /** Stands for "no stack" and "no type" in keys: frame and type names hold no control character. */
    const NO_STACK = "\u0001";
    /** The snapshot of every busy block of `sources`; `frameName` names a return address as WinDbg does. */
    function takeSnapshot(header, sources, frameName, maxGroups = MAX_SNAPSHOT_GROUPS) {
        const named = new Map();
        const stacks = new Map();
        // Stack key, then type (NO_STACK for none), then size: maps in maps, so nothing is built per block.
        const groups = new Map();
        const list = [];
        let omittedBlocks = 0;
        let omittedBytes = 0;
        for (let s = 0; s < sources.length; s++) {
            const source = sources[s];
            const blocks = source.walk.blocks;
            for (let row = 0; row < blocks.count; row++) {
                if (blocks.state[row] !== STATE_BUSY)
                    continue;
                const result = source.stack(row);
                let stack = stacks.get(result);
                if (!stack) {
                    if ("frames" in result) {
                        stack = named.get(result.frames);
                        if (!stack) {
                            const names = result.frames.map(frameName);
                            stack = { key: names.join("\n"), names, reason: undefined };
                            named.set(result.frames, stack);
                        }
                    }
                    else {
                        stack = { key: NO_STACK + "\u0000" + result.reason, names: null, reason: result.reason };
                    }
                    stacks.set(result, stack);
                }
                const typeName = source.typeName(row);
                const type = typeName === undefined ? null : typeName;
                const size = blocks.userSize[row];
                let byType = groups.get(stack.key);
                if (!byType)
                    groups.set(stack.key, (byType = new Map()));
                let bySize = byType.get(type === null ? NO_STACK : type);
                if (!bySize)
                    byType.set(type === null ? NO_STACK : type, (bySize = new Map()));
                let group = bySize.get(size);
                if (!group) {
                    if (list.length >= maxGroups) {
                        omittedBlocks++;
                        omittedBytes += size;
                        continue;
                    }
                    group = stack.names ? { stack: stack.names, type, size, count: 0, bytes: 0 } : { stack: null, noStackReason: stack.reason, type, size, count: 0, bytes: 0 };
                    bySize.set(size, group);
                    list.push(group);
                }
                group.count++;
                group.bytes += size;
            }
        }
        list.sort((a, b) => b.bytes - a.bytes || b.count - a.count);
        const snapshot = { name: header.name, takenAt: header.takenAt, process: header.process, pointerSize: header.pointerSize, stacks: header.stacks, groups: list };
        if (omittedBlocks > 0)
            snapshot.omitted = { blocks: omittedBlocks, bytes: omittedBytes };
        return snapshot;
    }
    /** Busy blocks and bytes a snapshot counts (its omitted blocks not included). */
    function snapshotTotals(snapshot) {
        let blocks = 0;
        let bytes = 0;
        for (let i = 0; i < snapshot.groups.length; i++) {
            blocks += snapshot.groups[i].count;
            bytes += snapshot.groups[i].bytes;
        }
        return { blocks, bytes };
    }
    // ---------------------------------------------------------------------------------------------
    // The file: JSON, a group per line, ASCII only (the data model's text writer writes ASCII by default).
    /** The snapshot as the lines of its file (docs/snapshot-format.md). */
    function snapshotLines(snapshot) {
        const header = {
            format: SNAPSHOT_FORMAT,
            version: SNAPSHOT_VERSION,
            name: snapshot.name,
            takenAt: snapshot.takenAt,
            process: { name: snapshot.process.name, id: snapshot.process.id },
            pointerSize: snapshot.pointerSize,
            stacks: snapshot.stacks,
        };
        if (snapshot.omitted)
            header.omitted = snapshot.omitted;
        const head = asciiJson(header);
        const lines = [head.slice(0, -1) + ',"groups":['];
        const groups = snapshot.groups;
        for (let i = 0; i < groups.length; i++) {
            const g = groups[i];
            const fields = { stack: g.stack };
            if (g.stack === null && g.noStackReason !== undefined)
                fields.noStackReason = g.noStackReason;
            fields.type = g.type;
            fields.size = g.size;
            fields.count = g.count;
            fields.bytes = g.bytes;
            lines.push(asciiJson(fields) + (i + 1 < groups.length ? "," : ""));
        }
        lines.push("]}");
        return lines;
    }
    /** JSON with every character outside printable ASCII escaped (\uXXXX), which every JSON reader reads back. */
    function asciiJson(value) {
        return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4));
    }
    /**
     * The snapshot a file's text holds; throws a one-line Error saying what is wrong: not JSON (a
     * truncated file is that too), another format or version, a missing, unknown or bad field, a
     * bound passed.
     */
    function parseSnapshot(text) {
        if (text.length > MAX_SNAPSHOT_CHARS)
            throw new Error(`it holds ${text.length} characters, more than the ${MAX_SNAPSHOT_CHARS} a snapshot file may`);
        let data;
        try {
            data = JSON.parse(text);
        }
        catch (e) {
            throw new Error(`not JSON (${oneLine(e.message)}); a file cut short reads so too`);
        }
        if (data === null || typeof data !== "object" || Array.isArray(data))
            throw new Error(`not a dxheap snapshot: the JSON is ${shown(data)}, not an object`);
        const root = data;
        if (root.format !== SNAPSHOT_FORMAT)
            throw new Error(`not a dxheap snapshot: its format is ${shown(root.format)}, not "${SNAPSHOT_FORMAT}"`);
        if (root.version !== SNAPSHOT_VERSION)
            throw new Error(`version ${shown(root.version)} is not supported (this dxheap reads version ${SNAPSHOT_VERSION})`);
        known(root, "", ["format", "version", "name", "takenAt", "process", "pointerSize", "stacks", "groups", "omitted"]);
        const owner = object(root.process, "process");
        known(owner, "process.", ["name", "id"]);
        const pointerSize = root.pointerSize;
        if (pointerSize !== 4 && pointerSize !== 8)
            throw bad("pointerSize", "4 or 8", pointerSize);
        if (typeof root.stacks !== "boolean")
            throw bad("stacks", "true or false", root.stacks);
        const takenAt = text1(root.takenAt, "takenAt", MAX_NAME$1);
        if (isNaN(Date.parse(takenAt)))
            throw bad("takenAt", "an ISO 8601 time", takenAt);
        const snapshot = {
            name: text1(root.name, "name", MAX_NAME$1),
            takenAt,
            process: { name: text1(owner.name, "process.name", MAX_TEXT), id: count(owner.id, "process.id", 0) },
            pointerSize,
            stacks: root.stacks,
            groups: [],
        };
        if (root.omitted !== undefined) {
            const omitted = object(root.omitted, "omitted");
            known(omitted, "omitted.", ["blocks", "bytes"]);
            snapshot.omitted = { blocks: count(omitted.blocks, "omitted.blocks", 1), bytes: count(omitted.bytes, "omitted.bytes", 0) };
        }
        if (!Array.isArray(root.groups))
            throw bad("groups", "an array", root.groups);
        if (root.groups.length > MAX_SNAPSHOT_GROUPS)
            throw new Error(`it holds ${root.groups.length} groups, more than the ${MAX_SNAPSHOT_GROUPS} a snapshot may`);
        const seen = new Map();
        for (let i = 0; i < root.groups.length; i++) {
            const at = `groups[${i}]`;
            const g = object(root.groups[i], at);
            known(g, at + ".", ["stack", "noStackReason", "type", "size", "count", "bytes"]);
            let stack = null;
            if (g.stack !== null) {
                if (!Array.isArray(g.stack) || g.stack.length === 0 || g.stack.length > MAX_FRAMES)
                    throw bad(`${at}.stack`, `null or 1 to ${MAX_FRAMES} frames`, g.stack);
                stack = g.stack.map((frame, f) => symbolText(frame, `${at}.stack[${f}]`));
            }
            const group = { stack, type: g.type === null ? null : symbolText(g.type, `${at}.type`), size: count(g.size, `${at}.size`, 0), count: count(g.count, `${at}.count`, 1), bytes: count(g.bytes, `${at}.bytes`, 0) };
            if (g.noStackReason !== undefined) {
                if (stack !== null)
                    throw new Error(`bad field ${at}.noStackReason: a group with a stack has no reason to lack one`);
                group.noStackReason = text1(g.noStackReason, `${at}.noStackReason`, MAX_NAME$1);
            }
            if (group.bytes !== group.count * group.size)
                throw bad(`${at}.bytes`, `count * size = ${group.count * group.size}`, g.bytes);
            const key = groupKey(stack, group.type, group.size) + "\u0000" + (group.noStackReason || "");
            if (seen.has(key))
                throw new Error(`bad field ${at}: the same stack, type and size as groups[${seen.get(key)}]`);
            seen.set(key, i);
            snapshot.groups.push(group);
        }
        return snapshot;
    }
    function object(value, what) {
        if (value === null || typeof value !== "object" || Array.isArray(value))
            throw bad(what, "an object", value);
        return value;
    }
    function known(value, prefix, fields) {
        for (const field of Object.keys(value))
            if (fields.indexOf(field) < 0)
                throw new Error(`unknown field ${prefix}${field}`);
        for (let i = 0; i < fields.length; i++) {
            const optional = fields[i] === "omitted" || fields[i] === "noStackReason";
            if (!optional && !(fields[i] in value))
                throw new Error(`missing field ${prefix}${fields[i]}`);
        }
    }
    function text1(value, field, max) {
        if (typeof value !== "string" || value.length === 0 || value.length > max)
            throw bad(field, `a string of 1 to ${max} characters`, value);
        return value;
    }
    /** A frame or type name: no control character (frames are joined by line ends in keys). */
    function symbolText(value, field) {
        const text = text1(value, field, MAX_TEXT);
        if (/[\u0000-\u001f]/.test(text))
            throw bad(field, "a name without control characters", value);
        return text;
    }
    function count(value, field, min) {
        if (typeof value !== "number" || Math.floor(value) !== value || value < min || value > 9007199254740991) {
            throw bad(field, min === 0 ? "a non-negative integer" : `an integer of at least ${min}`, value);
        }
        return value;
    }
    function bad(field, expected, got) {
        return new Error(`bad field ${field}: expected ${expected}, got ${shown(got)}`);
    }
    /** A JSON value as an error message shows it: short, on one line. */
    function shown(value) {
        const text = value === undefined ? "nothing" : JSON.stringify(value);
        return text.length > 60 ? text.slice(0, 57) + "..." : text;
    }
    function oneLine(text) {
        return text.replace(/\s+/g, " ").trim();
    }
    const MAX_LISTED = 64;
    /** What changed from `before` to `after`. */
    function diffSnapshots(before, after) {
        const groups = new Map();
        const add = (snapshot, isAfter) => {
            for (let i = 0; i < snapshot.groups.length; i++) {
                const g = snapshot.groups[i];
                const key = groupKey(g.stack, g.type, g.size);
                let change = groups.get(key);
                if (!change) {
                    change = { stack: g.stack, type: g.type, size: g.size, noStackReasons: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 };
                    groups.set(key, change);
                }
                if (g.noStackReason !== undefined && change.noStackReasons.indexOf(g.noStackReason) < 0)
                    change.noStackReasons.push(g.noStackReason);
                if (isAfter) {
                    change.countAfter += g.count;
                    change.bytesAfter += g.bytes;
                }
                else {
                    change.countBefore += g.count;
                    change.bytesBefore += g.bytes;
                }
            }
        };
        add(before, false);
        add(after, true);
        const total = { countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 };
        const stacks = new Map();
        const types = new Map();
        const sizes = new Map();
        groups.forEach((g) => {
            accumulate(total, g);
            const changed = g.countBefore !== g.countAfter || g.bytesBefore !== g.bytesAfter;
            const stackKey = g.stack === null ? NO_STACK : g.stack.join("\n");
            let stack = stacks.get(stackKey);
            if (!stack)
                stacks.set(stackKey, (stack = { stack: g.stack, noStackReasons: [], types: [], sizes: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
            accumulate(stack, g);
            for (let i = 0; i < g.noStackReasons.length; i++)
                listOnce(stack.noStackReasons, g.noStackReasons[i]);
            if (changed) {
                listOnce(stack.types, g.type);
                listOnce(stack.sizes, g.size);
            }
            const typeKey = g.type === null ? "" : "=" + g.type;
            let type = types.get(typeKey);
            if (!type)
                types.set(typeKey, (type = { type: g.type, sizes: [], countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
            accumulate(type, g);
            if (changed)
                listOnce(type.sizes, g.size);
            let size = sizes.get(g.size);
            if (!size)
                sizes.set(g.size, (size = { size: g.size, countBefore: 0, countAfter: 0, bytesBefore: 0, bytesAfter: 0 }));
            accumulate(size, g);
        });
        const byStack = changedRows(stacks);
        for (let i = 0; i < byStack.length; i++) {
            byStack[i].types.sort(byTypeName);
            byStack[i].sizes.sort((a, b) => a - b);
            byStack[i].noStackReasons.sort();
        }
        const byType = changedRows(types);
        for (let i = 0; i < byType.length; i++)
            byType[i].sizes.sort((a, b) => a - b);
        return { before, after, total, groups, byStack, byType, bySize: changedRows(sizes) };
    }
    /** The change of one exact group (stack, type, size) from diff.before to diff.after; undefined when neither snapshot has it. */
    function growthOf(diff, stack, type, size) {
        const change = diff.groups.get(groupKey(stack, type, size));
        return change && { count: change.countAfter - change.countBefore, bytes: change.bytesAfter - change.bytesBefore };
    }
    /** A group's identity in a diff: frames joined by line ends (no frame holds one), or none; the type or none; the size. */
    function groupKey(stack, type, size) {
        return keyOf(stack === null ? NO_STACK : stack.join("\n"), type, size);
    }
    function keyOf(stackKey, type, size) {
        return `${stackKey}\u0000${type === null ? NO_STACK : type}\u0000${size}`;
    }
    function accumulate(into, from) {
        into.countBefore += from.countBefore;
        into.countAfter += from.countAfter;
        into.bytesBefore += from.bytesBefore;
        into.bytesAfter += from.bytesAfter;
    }
    function listOnce(list, value) {
        if (list.length < MAX_LISTED && list.indexOf(value) < 0)
            list.push(value);
    }
    function byTypeName(a, b) {
        return a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;
    }
    /** The rows that changed, the largest byte growth first, then the largest count growth; ties keep their order. */
    function changedRows(rows) {
        const out = [];
        rows.forEach((row) => {
            if (row.countBefore !== row.countAfter || row.bytesBefore !== row.bytesAfter)
                out.push(row);
        });
        return out.sort((a, b) => b.bytesAfter - b.bytesBefore - (a.bytesAfter - a.bytesBefore) || b.countAfter - b.countBefore - (a.countAfter - a.countBefore));
    }

    // The leak triage: the manual hunt (!heap -s → -stat -h → -flt s → -p -a) as one ranking. Busy
    // blocks are grouped by allocation stack, type and requested size (src/analysis/groups.ts
    // groupBySuspect), each group scored by what it holds, how much of it nothing points to, how many
    // blocks it has and how it grew since the last snapshot; the heaps are ranked by the memory they
    // hold, and the ones whose free space is the problem are named.
    /** A heap is reported fragmented when its free blocks hold at least this share of its committed bytes... */
    const FRAGMENTED_SHARE = 0.5;
    /** ...and at least this much. */
    const FRAGMENTED_BYTES = 1 << 20;
    /**
     * The score of a group (README "How suspects are ranked"):
     *   bytes × (1 + unreachable share) × (1 + log10(count) / 4) + 2 × bytes grown.
     * Bytes lead; blocks nothing points to count double; many blocks of one kind weigh more than one
     * block of the same total (a thousand: 1.75×); growth since the last snapshot counts twice.
     */
    function suspectScore(bytes, unreachableBytes, count, grownBytes) {
        const unreachableShare = bytes > 0 ? unreachableBytes / bytes : 0;
        return bytes * (1 + unreachableShare) * (1 + Math.log(Math.max(count, 1)) / Math.LN10 / 4) + 2 * Math.max(grownBytes, 0);
    }
    function triage(heaps, sources, unreachable, growth, maxSuspects) {
        const byHeap = {};
        for (let i = 0; i < heaps.length; i++)
            byHeap[heaps[i].heap] = heaps[i];
        const groups = groupBySuspect(sources);
        const scored = [];
        for (let i = 0; i < groups.length; i++) {
            const g = groups[i];
            let unreachableCount = 0;
            let unreachableBytes = 0;
            let giant = false;
            let heap = -1;
            let heapBytes = -1;
            for (let m = 0; m < g.members.length; m++) {
                const source = sources[g.members[m].source];
                const blocks = source.walk.blocks;
                const rows = g.members[m].rows;
                let bytes = 0;
                for (let k = 0; k < rows.length; k++) {
                    const row = rows[k];
                    bytes += blocks.userSize[row];
                    if (unreachable(source.heap, row)) {
                        unreachableCount++;
                        unreachableBytes += blocks.userSize[row];
                    }
                    if (blocks.kind[row] === KIND_VIRTUAL_ALLOC || blocks.kind[row] === KIND_LARGE)
                        giant = true;
                }
                if (bytes > heapBytes) {
                    heapBytes = bytes;
                    heap = source.heap;
                }
            }
            const size = g.sizes[0];
            const grown = growth ? growth(g, size) : undefined;
            const busy = byHeap[heap] ? byHeap[heap].busyBytes : 0;
            scored.push({
                group: g,
                size,
                heap,
                heapShare: busy > 0 ? (100 * heapBytes) / busy : 0,
                unreachableCount,
                unreachableBytes,
                growth: grown,
                giant,
                score: suspectScore(g.totalBytes, unreachableBytes, g.count, grown ? grown.bytes : 0),
            });
        }
        scored.sort((a, b) => b.score - a.score || b.group.count - a.group.count);
        let busyBlocks = 0;
        let busyBytes = 0;
        let unreachableCount = 0;
        let unreachableBytes = 0;
        let tracedBlocks = 0;
        for (let i = 0; i < scored.length; i++) {
            const stack = scored[i].group.stack;
            if (stack && "frames" in stack)
                tracedBlocks += scored[i].group.count;
            busyBlocks += scored[i].group.count;
            busyBytes += scored[i].group.totalBytes;
            unreachableCount += scored[i].unreachableCount;
            unreachableBytes += scored[i].unreachableBytes;
        }
        const ranked = heaps.slice().sort((a, b) => b.committedBytes - a.committedBytes);
        return {
            heaps: ranked,
            suspects: scored.slice(0, maxSuspects),
            groupCount: scored.length,
            fragmented: ranked.filter((h) => h.freeBytes >= FRAGMENTED_BYTES && h.freeBytes >= FRAGMENTED_SHARE * h.committedBytes),
            busyBlocks,
            busyBytes,
            unreachableCount,
            unreachableBytes,
            tracedBlocks,
        };
    }
    /**
     * A heap's numbers from its walk: committed and free as !heap -s counts them (src/analysis/summary.ts),
     * committed including the blocks the heap holds outside its segments (VirtualAlloc'd, Large,
     * full-page); busy = busy blocks' requested bytes.
     */
    function triageHeap(heap, walk, unreachable) {
        const blocks = walk.blocks;
        let outside = 0;
        let busyBlocks = 0;
        let busyBytes = 0;
        let unreachableBytes = 0;
        let freeBlocks = 0;
        for (let row = 0; row < blocks.count; row++) {
            if (blocks.segment[row] === NONE && blocks.container[row] === NONE && blocks.kind[row] !== KIND_LARGE)
                outside += blocks.size[row];
            if (blocks.state[row] === STATE_BUSY) {
                busyBlocks++;
                busyBytes += blocks.userSize[row];
                if (unreachable(row))
                    unreachableBytes += blocks.userSize[row];
            }
            else if (blocks.state[row] === STATE_FREE && blocks.container[row] === NONE) {
                freeBlocks += blocks.size[row];
            }
        }
        if (walk.type === "Segment") {
            const s = summarizeSegmentHeap(walk);
            const free = s.freeCommittedBytes + s.lfhFreeCommittedBytes + s.vsFreeBytes;
            return { heap, walk, committedBytes: s.committedBytes + s.largeCommittedBytes, freeBytes: free, busyBlocks, busyBytes, unreachableBytes };
        }
        if (walk.type === "NT") {
            const s = summarizeHeap(walk);
            return { heap, walk, committedBytes: s.committedBytes + outside, freeBytes: s.freeBytes, busyBlocks, busyBytes, unreachableBytes };
        }
        return { heap, walk, committedBytes: outside, freeBytes: freeBlocks, busyBlocks, busyBytes, unreachableBytes };
    }

    /** Suspects kept in the dx result (the command prints fewer). */
    const KEPT_SUSPECTS = 50;
    /** Blocks named per suspect, and referrers looked up for its first block. */
    const SAMPLES = 3;
    const REFERRERS = 8;
    class TriageModel {
        constructor(__heaps, __model, __result, __sources, __stacks) {
            this.__heaps = __heaps;
            this.__model = __model;
            this.__result = __result;
            this.__sources = __sources;
            this.__stacks = __stacks;
        }
        /** Triage of a process's walked heaps (the NormalHeaps of page heaps are counted through their page heaps). */
        static of(heaps, model, maxSuspects = KEPT_SUSPECTS) {
            const scan = heaps.leaks();
            const refs = heaps.heaps().filter((ref) => !ref.problem() && ref.counted);
            const sources = groupSources(heaps, refs);
            const unreachable = (heap, row) => scan.unreachable[heap][row] === 1;
            const triageHeaps = refs.map((ref) => triageHeap(ref.index, ref.walk(), (row) => unreachable(ref.index, row)));
            const diff = lastDiff();
            const symbols = heaps.symbolizer();
            // Growth from the last !heapdiff, matched by the group's frames as WinDbg names them, type and size.
            const growth = diff && ((group, size) => {
                const frames = group.stack && "frames" in group.stack ? group.stack.frames.map((a) => symbols.name(a).text) : null;
                return growthOf(diff, frames, group.typeName === undefined ? null : group.typeName, size);
            });
            const result = triage(triageHeaps, sources, unreachable, growth, Math.max(maxSuspects, KEPT_SUSPECTS));
            return new TriageModel(heaps, model, result, sources, stackStatus(heaps, result));
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Stacks: "Whether busy blocks carry allocation stacks (gflags +ust), and how to turn them on when they do not",
                Heaps: "The walked heaps by committed bytes (segments plus blocks outside them), largest first",
                Suspects: "Groups of busy blocks sharing an allocation stack, type and size, by score (README: how suspects are ranked)",
                FragmentedHeaps: "Heaps whose free blocks hold at least half of their committed bytes (and 1 MiB)",
                BusyBlocks: "Busy blocks in the heaps triaged",
                BusyBytes: "Bytes they hold (requested sizes)",
                UnreachableBlocks: "Busy blocks the leak scan found nothing pointing to",
                UnreachableBytes: "Bytes they hold",
            });
        }
        get Stacks() {
            return this.__stacks.on ? `on: ${this.__stacks.traced} of ${this.__result.busyBlocks} busy blocks have one` : `off: ${this.__stacks.advice}`;
        }
        get Heaps() {
            return this.__result.heaps.map((h) => new TriageHeapModel(this.__model(this.__heaps.heaps()[h.heap]), h));
        }
        get Suspects() {
            if (!this.__suspects)
                this.__suspects = new SuspectList(this.__heaps, this.__model, this.__result, this.__sources);
            return this.__suspects;
        }
        get FragmentedHeaps() {
            return this.__result.fragmented.map((h) => new TriageHeapModel(this.__model(this.__heaps.heaps()[h.heap]), h));
        }
        get BusyBlocks() {
            return this.__result.busyBlocks;
        }
        get BusyBytes() {
            return this.__result.busyBytes;
        }
        get UnreachableBlocks() {
            return this.__result.unreachableCount;
        }
        get UnreachableBytes() {
            return this.__result.unreachableBytes;
        }
        /** For the command's text. */
        result() {
            return this.__result;
        }
        stackStatus() {
            return this.__stacks;
        }
        toString() {
            const top = this.__result.suspects[0];
            return top ? `${this.__result.groupCount} suspect groups; first: ${this.Suspects.getValueAt(0).toString()}` : "no busy blocks";
        }
    }
    class TriageHeapModel {
        constructor(__heap, __numbers) {
            this.__heap = __heap;
            this.__numbers = __numbers;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Heap: "The heap",
                CommittedBytes: "Its segments' committed bytes plus the blocks it holds outside them (VirtualAlloc'd, Large, page-heap)",
                FreeBytes: "Bytes in its free blocks",
                BusyBlocks: "Its busy blocks",
                BusyBytes: "Bytes they hold (requested sizes)",
                UnreachableBytes: "Bytes of its busy blocks the leak scan found unreachable",
            });
        }
        get Heap() {
            return this.__heap;
        }
        get CommittedBytes() {
            return this.__numbers.committedBytes;
        }
        get FreeBytes() {
            return this.__numbers.freeBytes;
        }
        get BusyBlocks() {
            return this.__numbers.busyBlocks;
        }
        get BusyBytes() {
            return this.__numbers.busyBytes;
        }
        get UnreachableBytes() {
            return this.__numbers.unreachableBytes;
        }
        toString() {
            return `${this.__heap.toString()}: committed ${hex0x(this.__numbers.committedBytes)}, busy ${hex0x(this.__numbers.busyBytes)}`;
        }
    }
    class SuspectList extends IndexedList {
        constructor(__heaps, __model, __result, __sources) {
            super();
            this.__heaps = __heaps;
            this.__model = __model;
            this.__result = __result;
            this.__sources = __sources;
        }
        itemCount() {
            return this.__result.suspects.length;
        }
        itemAt(index) {
            return new SuspectModel(this.__heaps, this.__model, this.__result.suspects[index], index, this.__sources);
        }
        toString() {
            return `${this.__result.suspects.length} of ${this.__result.groupCount} suspect groups`;
        }
    }
    class SuspectModel {
        constructor(__heaps, __model, __suspect, __rank, __sources) {
            this.__heaps = __heaps;
            this.__model = __model;
            this.__suspect = __suspect;
            this.__rank = __rank;
            this.__sources = __sources;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Rank: "1 for the first suspect",
                Score: "bytes × (1 + unreachable share) × (1 + log10(count) / 4) + 2 × bytes grown since the last snapshot",
                Count: "Busy blocks in the group",
                Size: "The requested size they share",
                TotalBytes: "Bytes they hold",
                Heap: "The heap holding most of them",
                HeapShare: "Percent of that heap's busy bytes they hold",
                Giant: "true for a VirtualAlloc'd (or segment-heap Large) block: Windows keeps no allocation stack for it",
                TypeName: "The C++ class their vftable names, or null",
                Stack: "The allocation stack they share, or why they have none",
                Unreachable: "How many of them the leak scan found nothing pointing to",
                UnreachableBytes: "Bytes those hold",
                Growth: "Change since the last snapshot (!heapdiff), or null",
                Samples: "The first few blocks",
                Blocks: "Every block of the group",
                Referrers: "Where the pointers to the first block live: module!global, a thread's stack or register, another block",
                Next: "The command to dig further",
            }, ["Rank", "HeapShare", "Score"]);
        }
        get Rank() {
            return this.__rank + 1;
        }
        get Score() {
            return Math.round(this.__suspect.score);
        }
        get Count() {
            return this.__suspect.group.count;
        }
        get Size() {
            return this.__suspect.size;
        }
        get TotalBytes() {
            return this.__suspect.group.totalBytes;
        }
        get Heap() {
            return this.__model(this.__heaps.heaps()[this.__suspect.heap]);
        }
        get HeapShare() {
            return Math.round(this.__suspect.heapShare * 100) / 100;
        }
        get Giant() {
            return this.__suspect.giant;
        }
        get TypeName() {
            return this.__suspect.group.typeName === undefined ? null : this.__suspect.group.typeName;
        }
        get Stack() {
            return this.__suspect.group.stack ? stackModel(this.__suspect.group.stack, this.__heaps.symbolizer()) : null;
        }
        get Unreachable() {
            return this.__suspect.unreachableCount;
        }
        get UnreachableBytes() {
            return this.__suspect.unreachableBytes;
        }
        get Growth() {
            const g = this.__suspect.growth;
            return g ? { Count: g.count, Bytes: g.bytes } : null;
        }
        get Samples() {
            return this.samples().map((s) => BlockModel.of(this.__model(s.ref), s.ref.walk(), s.row));
        }
        get Blocks() {
            const refs = this.__heaps.heaps();
            return new BlockSelection(this.__suspect.group.members.map((m) => {
                const source = this.__sources[m.source];
                return { heap: this.__model(refs[source.heap]), walk: source.walk, rows: m.rows };
            }));
        }
        get Referrers() {
            const first = this.samples()[0];
            return first ? referrerModels(this.__heaps, this.__model, first.ref.index, first.row, REFERRERS) : [];
        }
        get Next() {
            return this.next()[0];
        }
        /** The commands to dig further: the block's stack or references, then the group's blocks. */
        next() {
            const first = this.samples()[0];
            const address = first ? hex0x(first.ref.walk().blocks.userAddress[first.row]) : "0x0";
            const group = this.__suspect.group;
            const dig = group.stack && "frames" in group.stack ? `!heapstack ${address}` : `!heapfind (${address}, true)`;
            return [dig, `dx @$heapTriage().Suspects[${this.__rank}].Blocks`];
        }
        /** The group (for the command's text). */
        suspect() {
            return this.__suspect;
        }
        /** The first SAMPLES blocks, in the order the group lists them. */
        samples() {
            const out = [];
            const refs = this.__heaps.heaps();
            const members = this.__suspect.group.members;
            for (let m = 0; m < members.length && out.length < SAMPLES; m++) {
                const ref = refs[this.__sources[members[m].source].heap];
                for (let k = 0; k < members[m].rows.length && out.length < SAMPLES; k++)
                    out.push({ ref, row: members[m].rows[k] });
            }
            return out;
        }
        toString() {
            const s = this.__suspect;
            return `${hex0x(s.group.count)} blocks of ${hex0x(s.size)} bytes (${hex0x(s.group.totalBytes)})${s.giant ? ", a VirtualAlloc'd giant" : ""}, ${hex0x(s.unreachableCount)} unreachable`;
        }
    }
    function stackStatus(heaps, result) {
        if (result.tracedBlocks > 0)
            return { on: true, traced: result.tracedBlocks, advice: undefined };
        const name = String(heaps.target.processObject.Name || "<program>.exe").replace(/^.*[\\/]/, "");
        return {
            on: false,
            traced: 0,
            advice: `no busy block carries an allocation stack; run "gflags /i ${name} +ust" (Debugging Tools for Windows) and restart the program to record them`,
        };
    }

    // !heaptriage: the leak hunt in one command. The first screen answers "what is leaking, and who
    // allocated or holds it": the totals and whether stacks are on, the heaps by committed bytes, then
    // the suspects by score, each with its stack (or its referrers), sample blocks and the next command;
    // after them what dominates the largest heaps and which heaps are fragmented.
    const DEFAULT_SUSPECTS = 5;
    /** Suspects printed at most, whatever max asks (each takes up to a dozen lines); dx holds them all. */
    const MAX_PRINTED_SUSPECTS = 200;
    /** Heaps shown in the table, and heaps whose dominant sizes, stacks and types are shown. */
    const HEAP_ROWS = 8;
    const DOMINANT_HEAPS = 3;
    const DOMINANT_ROWS = 3;
    /** Frames printed per suspect, from the first one outside the allocators. */
    const SUSPECT_FRAMES = 6;
    /** !heaptriage [max] — heaps, suspects (max of them in detail, 5 by default), dominant groups, fragmentation. */
    const heaptriage = command("heaptriage", 1, (maxSuspects) => {
        const max = optional("heaptriage", "a suspect count", maxSuspects, DEFAULT_SUSPECTS);
        if (max < 1)
            throw new Error(`heaptriage: expected a suspect count of at least 1, got ${max}`);
        const context = new CommandContext();
        const walked = context.walkedHeaps();
        const model = TriageModel.of(context.heaps, (ref) => context.model(ref), max);
        const result = model.result();
        const symbols = context.heaps.symbolizer();
        const widthOf = (heap) => context.heaps.heaps()[heap].view.layout.pointerSize;
        const stacks = model.stackStatus();
        let text = `Leak triage: ${walked.length} heaps, ${hex0x(result.busyBlocks)} busy blocks holding ${hex0x(result.busyBytes)} bytes.\n`;
        text += stacks.on
            ? `Allocation stacks: on (${hex0x(stacks.traced)} of ${hex0x(result.busyBlocks)} busy blocks have one).\n`
            : `Allocation stacks: OFF: ${stacks.advice}.\n`;
        text += `Leak scan: ${hex0x(result.unreachableCount)} busy blocks (${hex0x(result.unreachableBytes)} bytes) are unreachable: nothing in the process points to them.\n`;
        const diff = lastDiff();
        if (diff)
            text += `Growth: from the last !heapdiff, ${diff.before.name} (${diff.before.process.name}) -> ${diff.after.name} (${diff.after.process.name}).\n`;
        text += "\nHeaps by committed bytes:\n" + heapTable(result.heaps.slice(0, HEAP_ROWS), context);
        if (result.heaps.length > HEAP_ROWS)
            text += `  ... ${result.heaps.length - HEAP_ROWS} more; use dx @$heapTriage().Heaps\n`;
        text += "\nSuspects, by score (bytes, doubled where unreachable, weighted by count and growth; README explains):\n";
        const suspects = model.Suspects;
        const shown = Math.min(max, suspects.count(), MAX_PRINTED_SUSPECTS);
        for (let i = 0; i < shown; i++)
            text += suspectText(suspects.getValueAt(i), context, symbols, widthOf);
        if (result.groupCount > shown)
            text += `... ${result.groupCount - shown} more groups; use dx @$heapTriage().Suspects (the first ${suspects.count()})\n`;
        for (let i = 0; i < Math.min(DOMINANT_HEAPS, result.heaps.length); i++)
            text += dominance(result.heaps[i], context, symbols, widthOf(result.heaps[i].heap));
        text += result.fragmented.length === 0
            ? "\nFragmentation: no heap's free blocks hold half of its committed bytes.\n"
            : "\nFragmented heaps (free blocks hold at least half of the committed bytes):\n" + heapTable(result.fragmented, context);
        context.print(text);
        return model;
    });
    function heapTable(heaps, context) {
        const width = Math.max(...heaps.map((h) => context.heaps.heaps()[h.heap].view.layout.pointerSize), 4) * 2;
        let text = `  ${"Heap".padEnd(width)}  Type        Committed         Free   Busy blocks   Busy bytes  Unreachable\n`;
        for (let i = 0; i < heaps.length; i++) {
            const h = heaps[i];
            const ref = context.heaps.heaps()[h.heap];
            text += `  ${hexAddress(ref.address, ref.view.layout.pointerSize).padStart(width)}  ${h.walk.type.padEnd(8)}` +
                `${hex0x(h.committedBytes).padStart(13)}${hex0x(h.freeBytes).padStart(13)}${hex0x(h.busyBlocks).padStart(14)}` +
                `${hex0x(h.busyBytes).padStart(13)}${hex0x(h.unreachableBytes).padStart(13)}\n`;
        }
        return text;
    }
    function suspectText(suspect, context, symbols, widthOf) {
        const s = suspect.suspect();
        const heapRef = context.heaps.heaps()[s.heap];
        const width = widthOf(s.heap);
        const blocks = s.group.count === 1 ? "1 block" : `${hex0x(s.group.count)} blocks`;
        let text = `#${suspect.Rank}  ${blocks} of ${hex0x(s.size)} bytes = ${hex0x(s.group.totalBytes)} bytes, ${s.heapShare.toFixed(2)}% of heap ${hexAddress(heapRef.address, heapRef.view.layout.pointerSize)}`;
        text += s.unreachableCount === 0 ? ", all reachable" : s.unreachableCount === s.group.count ? ", all unreachable" : `, ${hex0x(s.unreachableCount)} unreachable`;
        if (s.growth) {
            const g = s.growth;
            const signed = (n) => (n < 0 ? "-" : "+") + hex0x(Math.abs(n));
            text += g.count === 0 && g.bytes === 0 ? ", unchanged in the last diff" : `, ${signed(g.count)} blocks (${signed(g.bytes)} bytes) in the last diff`;
        }
        text += "\n";
        if (s.giant)
            text += "    a VirtualAlloc'd giant: Windows keeps no allocation stack for these\n";
        if (s.group.typeName !== undefined)
            text += `    type: ${s.group.typeName}\n`;
        const stack = s.group.stack;
        let referrers = s.giant;
        if (stack && "frames" in stack) {
            const caller = callerFrame(stack.frames, symbols);
            const from = caller === undefined ? 0 : stack.frames.indexOf(caller);
            const frames = stack.frames.slice(from, from + SUSPECT_FRAMES);
            text += `    allocated at ${caller === undefined ? "?" : symbols.name(caller).text}:\n` + formatStackLines(frames, (a) => symbols.name(a), width);
            if (stack.frames.length > from + SUSPECT_FRAMES)
                text += `        ... ${stack.frames.length - from - SUSPECT_FRAMES} more frames\n`;
        }
        else if (stack && !s.giant) {
            text += `    no allocation stack (${stack.reason})\n`;
            referrers = true;
        }
        if (referrers) {
            const found = suspect.Referrers;
            if (found.length === 0)
                text += `    held by: nothing the scan saw${s.unreachableCount > 0 ? " (unreachable)" : ""}\n`;
            for (let i = 0; i < found.length; i++)
                text += `    ${i === 0 ? "held by:" : "        "} ${found[i].Description}\n`;
        }
        const samples = suspect.samples().map((b) => hexAddress(b.ref.walk().blocks.userAddress[b.row], b.ref.view.layout.pointerSize));
        text += `    blocks: ${samples.join(" ")}${s.group.count > samples.length ? " ..." : ""}\n`;
        const next = suspect.next();
        text += `    next: ${next[0]}\n          ${next[1]}\n`;
        return text;
    }
    /** What dominates a heap's busy bytes: its largest sizes, stacks (by caller) and types. */
    function dominance(heap, context, symbols, width) {
        const ref = context.heaps.heaps()[heap.heap];
        const walk = heap.walk;
        if (heap.busyBytes === 0)
            return "";
        const share = (bytes) => `${((100 * bytes) / heap.busyBytes).toFixed(2)}%`;
        const sizes = sizeStatistics(walk, "S", DOMINANT_ROWS).rows.map((r) => `${hex0x(r.size)} x ${hex0x(r.count)} (${share(r.total)})`);
        const sources = groupSources(context.heaps, [ref]);
        const stacks = groupByStack(sources, undefined, false).slice(0, DOMINANT_ROWS).map((g) => {
            const caller = g.stack && "frames" in g.stack ? callerFrame(g.stack.frames, symbols) : undefined;
            const where = caller !== undefined ? symbols.name(caller).text : g.stack && "reason" in g.stack ? `no stack (${g.stack.reason})` : "?";
            return `${where} (${share(g.totalBytes)})`;
        });
        const types = groupByType(sources, undefined, false).slice(0, DOMINANT_ROWS).map((g) => `${g.key} (${share(g.totalBytes)})`);
        return `\nHeap ${hexAddress(ref.address, width)}: what holds its ${hex0x(heap.busyBytes)} busy bytes\n` +
            `    sizes:  ${sizes.join(", ")}\n    stacks: ${stacks.join(", ")}\n    types:  ${types.join(", ")}\n`;
    }

    // Text files, through the data model's file system: host.namespace.Debugger.Utility.FileSystem
    // (docs/jsprovider.md §1.10; Microsoft Learn dbgmodel-namespace-file-system, dbgmodel-object-file,
    // dbgmodel-object-text-reader, dbgmodel-object-text-writer). The text is ASCII, the encoding the
    // pages give as the default, passed explicitly: callers escape anything else. Every failure is
    // an Error of one line naming the file.
    /** Characters handed to the text writer at once: each Write is a call into the provider. */
    const WRITE_CHUNK = 1 << 20;
    /** Writes `lines` (each ended by "\n") to `path`, replacing the file if it exists. */
    function writeTextFile(path, lines) {
        const fileSystem = host.namespace.Debugger.Utility.FileSystem;
        let file;
        try {
            file = fileSystem.CreateFile(path, "CreateAlways");
        }
        catch (e) {
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
            if (chunk !== "")
                writer.Write(chunk);
        }
        catch (e) {
            throw new Error(`cannot write ${path}: ${reason(e)}`);
        }
        finally {
            close(file);
        }
    }
    /** The text of `path`, lines joined by "\n"; refuses a file of more than maxChars characters before reading it. */
    function readTextFile(path, maxChars) {
        const fileSystem = host.namespace.Debugger.Utility.FileSystem;
        let file;
        try {
            if (!fileSystem.FileExists(path))
                throw new Error("no such file");
            file = fileSystem.OpenFile(path);
        }
        catch (e) {
            throw new Error(`cannot open ${path}: ${reason(e)}`);
        }
        try {
            const size = fileSize(file);
            if (size > maxChars)
                throw new Error(`it holds ${size} bytes, above the limit of ${maxChars}`);
            const lines = [];
            let total = 0;
            for (const line of fileSystem.CreateTextReader(file, "Ascii").ReadLineContents()) {
                total += line.length + 1;
                if (total > maxChars + 1)
                    throw new Error(`it holds more than ${maxChars} characters, the limit`);
                lines.push(line);
            }
            return lines.join("\n");
        }
        catch (e) {
            throw new Error(`cannot read ${path}: ${reason(e)}`);
        }
        finally {
            close(file);
        }
    }
    function fileSize(file) {
        const size = file.Size;
        return typeof size === "number" ? size : toNumber(size);
    }
    function close(file) {
        try {
            file.Close();
        }
        catch (e) {
            // Closing after a failed read or write: the failure is what the caller reports.
        }
    }
    /** An error's message on one line. */
    function reason(e) {
        return String(e && e.message !== undefined ? e.message : e).replace(/\s+/g, " ").trim();
    }

    // Snapshots and their differences as dx shows them: dx @$heapsnap().Groups, dx @$heapdiff().ByStack.First().Stack,
    // dx @$heapdiff("snap1", "snap2").ByType.Where(t => t.CountDelta > 0).
    class SnapshotModel {
        /** file: where the snapshot was written or read, if anywhere. */
        constructor(__snapshot, __file) {
            this.__snapshot = __snapshot;
            this.__file = __file;
            this.__totals = snapshotTotals(__snapshot);
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Name: "The snapshot's name (snap1, snap2, … unless one was given)",
                TakenAt: "When it was taken (ISO 8601, UTC)",
                ProcessName: "The process it was taken of",
                ProcessId: "Its id",
                PointerSize: "The program's pointer size",
                Stacks: "Whether the process recorded allocation stacks (+ust): without them every group's Stack is null",
                Blocks: "Busy blocks counted",
                Bytes: "Bytes they hold (requested sizes)",
                Groups: "The busy blocks grouped by allocation stack, type and requested size, largest total first",
                OmittedBlocks: "Busy blocks left out: the snapshot keeps at most 1,000,000 groups",
                File: "The file it was saved to or loaded from, or null",
            });
        }
        get Name() { return this.__snapshot.name; }
        get TakenAt() { return this.__snapshot.takenAt; }
        get ProcessName() { return this.__snapshot.process.name; }
        get ProcessId() { return this.__snapshot.process.id; }
        get PointerSize() { return this.__snapshot.pointerSize; }
        get Stacks() { return this.__snapshot.stacks; }
        get Blocks() { return this.__totals.blocks; }
        get Bytes() { return this.__totals.bytes; }
        get Groups() { return new SnapshotGroupList(this.__snapshot.groups); }
        get OmittedBlocks() { return this.__snapshot.omitted ? this.__snapshot.omitted.blocks : 0; }
        get File() { return this.__file === undefined ? null : this.__file; }
        toString() {
            return `${this.__snapshot.name}: ${hex0x(this.__totals.blocks)} busy blocks, ${hex0x(this.__totals.bytes)} bytes in ${hex0x(this.__snapshot.groups.length)} groups`;
        }
    }
    class SnapshotGroupList extends IndexedList {
        constructor(__groups) {
            super();
            this.__groups = __groups;
        }
        itemCount() {
            return this.__groups.length;
        }
        itemAt(index) {
            return new SnapshotGroupModel(this.__groups[index]);
        }
        toString() {
            return `${this.__groups.length} groups`;
        }
    }
    class SnapshotGroupModel {
        constructor(__group) {
            this.__group = __group;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Stack: "The allocation stack, innermost frame first, as WinDbg names the frames; null when the blocks have none",
                NoStackReason: "Why they have none (TraceDatabaseOff, BeforeTracing, VirtualAllocNoTrace, SegmentHeapNoTrace, TraceUnreadable, NoTraceTypes), or null",
                TypeName: "The C++ class their vftable pointer names, or null",
                Size: "The requested size of each block",
                Count: "Busy blocks",
                Bytes: "Count * Size",
            });
        }
        get Stack() { return this.__group.stack && this.__group.stack.slice(); }
        get NoStackReason() { return this.__group.noStackReason === undefined ? null : this.__group.noStackReason; }
        get TypeName() { return this.__group.type; }
        get Size() { return this.__group.size; }
        get Count() { return this.__group.count; }
        get Bytes() { return this.__group.bytes; }
        toString() {
            const g = this.__group;
            const where = g.stack ? g.stack[0] : `no stack (${g.noStackReason})`;
            return `${hex0x(g.count)} x ${hex0x(g.size)} bytes${g.type === null ? "" : " " + g.type}: ${where}`;
        }
    }
    class SnapshotDiffModel {
        constructor(__diff, __before, __after) {
            this.__diff = __diff;
            this.__before = __before;
            this.__after = __after;
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Before: "The earlier snapshot",
                After: "The later snapshot",
                CountDelta: "Busy blocks gained (negative: lost)",
                BytesDelta: "Bytes gained (negative: lost)",
                ByStack: "What changed per allocation stack (its blocks of every type and size), largest byte growth first",
                ByType: "What changed per C++ type (TypeName null: blocks without one), largest byte growth first",
                BySize: "What changed per requested size, largest byte growth first",
            });
        }
        get Before() { return this.__before; }
        get After() { return this.__after; }
        get CountDelta() { return this.__diff.total.countAfter - this.__diff.total.countBefore; }
        get BytesDelta() { return this.__diff.total.bytesAfter - this.__diff.total.bytesBefore; }
        get ByStack() {
            return new ChangeList(this.__diff.byStack, (c) => new StackChangeModel(c), "stacks");
        }
        get ByType() {
            return new ChangeList(this.__diff.byType, (c) => new TypeChangeModel(c), "types");
        }
        get BySize() {
            return new ChangeList(this.__diff.bySize, (c) => new SizeChangeModel(c), "sizes");
        }
        toString() {
            return `${this.__diff.before.name} -> ${this.__diff.after.name}: ${signedHex(this.CountDelta)} blocks, ${signedHex(this.BytesDelta)} bytes`;
        }
    }
    class ChangeList extends IndexedList {
        constructor(__changes, __model, __what) {
            super();
            this.__changes = __changes;
            this.__model = __model;
            this.__what = __what;
        }
        itemCount() {
            return this.__changes.length;
        }
        itemAt(index) {
            return this.__model(this.__changes[index]);
        }
        toString() {
            return `${this.__changes.length} ${this.__what} changed`;
        }
    }
    const CHANGE_HELP = {
        CountBefore: "Busy blocks before",
        CountAfter: "Busy blocks after",
        CountDelta: "CountAfter - CountBefore",
        BytesBefore: "Bytes before (requested sizes)",
        BytesAfter: "Bytes after",
        BytesDelta: "BytesAfter - BytesBefore",
    };
    /** Before, after and their difference: what every row of a diff shows. */
    class ChangeModel {
        constructor(__change) {
            this.__change = __change;
        }
        get CountBefore() { return this.__change.countBefore; }
        get CountAfter() { return this.__change.countAfter; }
        get CountDelta() { return this.__change.countAfter - this.__change.countBefore; }
        get BytesBefore() { return this.__change.bytesBefore; }
        get BytesAfter() { return this.__change.bytesAfter; }
        get BytesDelta() { return this.__change.bytesAfter - this.__change.bytesBefore; }
        changeText() {
            return `${signedHex(this.CountDelta)} blocks, ${signedHex(this.BytesDelta)} bytes`;
        }
    }
    class StackChangeModel extends ChangeModel {
        constructor(__stack) {
            super(__stack);
            this.__stack = __stack;
        }
        get [Symbol.metadataDescriptor]() {
            return help(Object.assign({ Stack: "The allocation stack, innermost frame first, as WinDbg names the frames; null for the blocks without one", NoStackReasons: "Why those blocks have none (empty for a stack)", TypeNames: "The C++ types whose blocks changed (null: blocks without one)", Sizes: "The requested sizes whose blocks changed" }, CHANGE_HELP));
        }
        get Stack() { return this.__stack.stack && this.__stack.stack.slice(); }
        get NoStackReasons() { return this.__stack.noStackReasons.slice(); }
        get TypeNames() { return this.__stack.types.slice(); }
        get Sizes() { return this.__stack.sizes.slice(); }
        toString() {
            const s = this.__stack;
            return `${this.changeText()}: ${s.stack ? s.stack[0] : `no stack (${s.noStackReasons.join(", ")})`}`;
        }
    }
    class TypeChangeModel extends ChangeModel {
        constructor(__type) {
            super(__type);
            this.__type = __type;
        }
        get [Symbol.metadataDescriptor]() {
            return help(Object.assign({ TypeName: "The C++ class, or null for the blocks without one", Sizes: "The requested sizes whose blocks changed" }, CHANGE_HELP));
        }
        get TypeName() { return this.__type.type; }
        get Sizes() { return this.__type.sizes.slice(); }
        toString() {
            return `${this.changeText()}: ${this.__type.type === null ? "(no type)" : this.__type.type}`;
        }
    }
    class SizeChangeModel extends ChangeModel {
        constructor(__size) {
            super(__size);
            this.__size = __size;
        }
        get [Symbol.metadataDescriptor]() {
            return help(Object.assign({ Size: "The requested size" }, CHANGE_HELP));
        }
        get Size() { return this.__size.size; }
        toString() {
            return `${this.changeText()}: size ${hex0x(this.__size.size)}`;
        }
    }

    // !heapsnap and !heapdiff: UMDH's job inside the debugger. A snapshot counts the busy blocks per
    // allocation stack, type and requested size (src/analysis/snapshot.ts); it is kept script-wide
    // (src/analysis/snapshot-store.ts) and may be saved as a file (docs/snapshot-format.md), which
    // another session, on another dump of the program, compares with its own process.
    //
    // Arguments are dx values (docs/jsprovider.md §1.16), so names and paths are quoted strings, and
    // several go in parentheses: !heapsnap ("before", "C:\\snaps\\before.json"). One rule tells a
    // file from a snapshot name: a string ending in .json or holding \ or / is a file.
    /** The process as it is now, as a snapshot argument of !heapdiff. */
    const CURRENT = "current";
    const MAX_NAME = 256;
    const DEFAULT_MAX_ROWS = 20;
    const NONE_CHANGED = "    none changed\n";
    /** A snapshot argument names a file when it ends in .json or holds a path separator; otherwise a stored snapshot (or "current"). */
    function isSnapshotFile(argument) {
        return /\.json$/i.test(argument) || /[\\/]/.test(argument);
    }
    /**
     * !heapsnap [name] [, file] — a snapshot of the current process's busy blocks, kept in the store
     * as `name` (snap1, snap2, … by default); with a file (given alone, or after the name), also
     * written there as JSON, replacing the file.
     */
    const heapsnap = command("heapsnap", 2, (first, second) => {
        const what = "a snapshot name or a file (a path ending in .json)";
        let name;
        let file;
        if (first !== undefined) {
            const argument = text("heapsnap", what, first);
            if (isSnapshotFile(argument) && second === undefined)
                file = argument;
            else
                name = snapshotName(argument);
        }
        if (second !== undefined) {
            file = text("heapsnap", "a file (a path ending in .json)", second);
            if (!isSnapshotFile(file))
                throw new Error(`heapsnap: expected a file (a path ending in .json, or holding \\ or /), got "${file}"`);
        }
        const context = new CommandContext();
        const snapshot = snapshotOf(context, name !== undefined ? name : defaultSnapshotName());
        if (file !== undefined)
            saveSnapshot(file, snapshot);
        const kept = storeSnapshot(snapshot);
        const totals = snapshotTotals(snapshot);
        let summary = `Snapshot ${snapshot.name} of ${processText(snapshot)}: ${hex0x(totals.blocks)} busy blocks, ${hex0x(totals.bytes)} bytes, `;
        summary += `in ${hex0x(snapshot.groups.length)} groups by allocation stack, type and size. `;
        summary += snapshot.stacks
            ? "The process records allocation stacks."
            : "The process records no allocation stacks (turn them on with gflags /i <program>.exe +ust and run it again): its blocks compare by type and size only.";
        if (snapshot.omitted)
            summary += ` ${hex0x(snapshot.omitted.blocks)} busy blocks in further groups were only counted: a snapshot keeps ${MAX_SNAPSHOT_GROUPS} groups at most.`;
        if (file !== undefined)
            summary += ` Saved to ${file}.`;
        if (kept.replaced)
            summary += ` It replaces the earlier snapshot ${snapshot.name}.`;
        if (kept.dropped !== undefined)
            summary += ` The store keeps ${MAX_STORED_SNAPSHOTS} snapshots: ${kept.dropped}, the oldest, was dropped.`;
        summary += ` Compare two with !heapdiff.\n`;
        context.print(summary);
        return new SnapshotModel(snapshot, file);
    });
    /**
     * !heapdiff [a [, b [, max]]] — what changed from snapshot a to snapshot b, UMDH's diff: per
     * allocation stack, then per type and per size, largest byte growth first, at most max rows each
     * (20). a and b are stored snapshots, files, or "current" (the process now). With no argument:
     * the last two snapshots taken (or the only one and the current process); with a alone, b is the
     * current process.
     */
    const heapdiff = command("heapdiff", 3, (first, second, maxRows) => {
        const max = optional("heapdiff", "a row count", maxRows, DEFAULT_MAX_ROWS);
        if (max < 1)
            throw new Error(`heapdiff: expected a row count of at least 1, got ${max}`);
        const what = 'a snapshot name, a file (a path ending in .json) or "current"';
        let names;
        if (first === undefined) {
            const all = storedSnapshots();
            if (all.length === 0)
                throw new Error("heapdiff: expected two snapshots to compare: none was taken yet (take one with !heapsnap, or name files)");
            names = all.length === 1 ? [all[0].name, CURRENT] : [all[all.length - 2].name, all[all.length - 1].name];
        }
        else {
            names = [text("heapdiff", what, first), second === undefined ? CURRENT : text("heapdiff", what, second)];
        }
        let context;
        let current;
        const resolve = (argument) => {
            if (argument === CURRENT) {
                if (!context)
                    context = new CommandContext();
                if (!current)
                    current = snapshotOf(context, CURRENT);
                return { snapshot: current, file: undefined };
            }
            if (isSnapshotFile(argument))
                return { snapshot: loadSnapshot(argument), file: argument };
            const stored = storedSnapshot(argument);
            if (!stored) {
                const taken = storedSnapshots().map((s) => s.name);
                const file = "a file (a path ending in .json, or holding \\ or /)";
                if (taken.length === 0)
                    throw new Error(`heapdiff: expected ${file} or "${CURRENT}", got "${argument}": no snapshot was taken yet`);
                throw new Error(`heapdiff: expected a snapshot taken (${taken.join(", ")}), ${file} or "${CURRENT}", got "${argument}"`);
            }
            return { snapshot: stored, file: undefined };
        };
        const before = resolve(names[0]);
        const after = resolve(names[1]);
        const diff = diffSnapshots(before.snapshot, after.snapshot);
        recordDiff(diff);
        const query = `dx @$heapdiff(${names.map((n) => JSON.stringify(n)).join(", ")})`;
        let out = `Comparing ${snapshotText(before.snapshot, before.file)} with ${snapshotText(after.snapshot, after.file)}:\n`;
        out += changeText(diff.total) + "\n";
        out += notes(before.snapshot, after.snapshot);
        if (diff.byStack.length === 0 && diff.byType.length === 0 && diff.bySize.length === 0) {
            out += "No busy block changed.\n";
        }
        else {
            // Blocks may change type but not stack (or size): a section may be empty when another is not.
            out += "\nBy allocation stack, largest growth first:\n" + (diff.byStack.length === 0 ? NONE_CHANGED : "");
            const stacks = new RowLimit(max);
            for (let i = 0; i < diff.byStack.length; i++)
                if (stacks.take())
                    out += formatStackChange(diff.byStack[i]);
            out += stacks.note("stacks", `${query}.ByStack`);
            const types = diff.byType.map((c) => ({ change: c, key: c.type === null ? "(no type)" : c.type }));
            out += "\nBy type, largest growth first:\n" + changeTable(types, "type", max, `${query}.ByType`);
            const sizes = diff.bySize.map((c) => ({ change: c, key: hex0x(c.size) }));
            out += "\nBy size, largest growth first:\n" + changeTable(sizes, "size", max, `${query}.BySize`);
        }
        if (context)
            context.print(out);
        else
            printText(out);
        return new SnapshotDiffModel(diff, new SnapshotModel(before.snapshot, before.file), new SnapshotModel(after.snapshot, after.file));
    });
    /** The first `max` rows as a table, then what was left out. */
    function changeTable(rows, keyTitle, max, query) {
        if (rows.length === 0)
            return NONE_CHANGED;
        const limit = new RowLimit(max);
        const shown = [];
        for (let i = 0; i < rows.length; i++)
            if (limit.take())
                shown.push(rows[i]);
        return formatChangeRows(shown, keyTitle) + limit.note(keyTitle === "type" ? "types" : "sizes", query);
    }
    /** The busy blocks of the command's process now, named `name`; reuses the process's walks, traces and names. */
    function snapshotOf(context, name) {
        const heaps = context.heaps;
        const symbols = heaps.symbolizer();
        const views = heaps.target.views;
        let stacks = false;
        for (let i = 0; i < views.length; i++)
            if (heaps.traces(views[i]).tracing)
                stacks = true;
        const header = { name, takenAt: new Date().toISOString(), process: heaps.target.identity(), pointerSize: context.pointerSize, stacks };
        const sources = groupSources(heaps, context.walkedHeaps().map((h) => h.ref));
        return takeSnapshot(header, sources, (address) => symbols.name(address).text);
    }
    function snapshotName(argument) {
        if (argument === CURRENT)
            throw new Error(`heapsnap: expected a snapshot name other than "${CURRENT}", which names the process as it is now`);
        if (argument.length === 0 || argument.length > MAX_NAME || /[\u0000-\u001f]/.test(argument) || isSnapshotFile(argument)) {
            throw new Error(`heapsnap: expected a snapshot name (1 to ${MAX_NAME} printable characters, not ending in .json, without \\ or /), got ${JSON.stringify(argument.slice(0, 60))}`);
        }
        return argument;
    }
    function saveSnapshot(file, snapshot) {
        const lines = snapshotLines(snapshot);
        let chars = 0;
        for (let i = 0; i < lines.length; i++)
            chars += lines[i].length + 1;
        if (chars > MAX_SNAPSHOT_CHARS) {
            throw new Error(`heapsnap: the snapshot takes ${chars} characters as JSON, more than the ${MAX_SNAPSHOT_CHARS} a snapshot file may hold: not saved, not kept`);
        }
        try {
            writeTextFile(file, lines);
        }
        catch (e) {
            throw new Error(`heapsnap: ${e.message}; the snapshot was not kept`);
        }
    }
    function loadSnapshot(file) {
        const content = (() => {
            try {
                return readTextFile(file, MAX_SNAPSHOT_CHARS);
            }
            catch (e) {
                throw new Error(`heapdiff: ${e.message}`);
            }
        })();
        try {
            return parseSnapshot(content);
        }
        catch (e) {
            throw new Error(`heapdiff: ${file} is not a snapshot dxheap reads: ${e.message}`);
        }
    }
    function processText(snapshot) {
        return `${snapshot.process.name}, pid ${hex0x(snapshot.process.id)}`;
    }
    function snapshotText(snapshot, file) {
        return `${snapshot.name} (${file !== undefined ? file + "; " : ""}${processText(snapshot)})`;
    }
    /** What limits the comparison: stacks missing on either side, another program or pointer size, blocks left out. */
    function notes(before, after) {
        let out = "";
        if (!before.stacks && !after.stacks)
            out += "Note: neither records allocation stacks: compare the types and sizes.\n";
        else if (!before.stacks || !after.stacks)
            out += `Note: only ${before.stacks ? before.name : after.name} records allocation stacks: its stacks all seem new (or gone); compare the types and sizes.\n`;
        if (before.process.name !== after.process.name)
            out += `Note: the snapshots are of different programs (${before.process.name}, ${after.process.name}).\n`;
        if (before.pointerSize !== after.pointerSize)
            out += `Note: the pointer sizes differ (${before.pointerSize}, ${after.pointerSize}): sizes of the same objects differ too.\n`;
        const sides = [before, after];
        for (let i = 0; i < 2; i++) {
            const omitted = sides[i].omitted;
            if (omitted)
                out += `Note: ${sides[i].name} left out ${hex0x(omitted.blocks)} busy blocks (${hex0x(omitted.bytes)} bytes) past its group limit: they are not compared.\n`;
        }
        return out;
    }

    /**
     * Heaps: every heap the process names. Nothing is read until an item, the count or Findings is
     * asked for; listing them reads the PEB and ntdll's list, not the heaps.
     */
    class HeapCollection extends IndexedList {
        constructor(__process) {
            super();
            this.__process = __process;
            this.__models = [];
        }
        get [Symbol.metadataDescriptor]() {
            return help({
                Findings: "What was wrong in the lists that name the heaps (PEB.ProcessHeaps, ntdll's descriptor list), or why they could not be read",
                ByStack: "ByStack(): busy blocks of every heap grouped by identical allocation stack (count, bytes, sizes, stack), largest total first",
                ByType: "ByType(): busy blocks of every heap grouped by C++ type (their vftable), else by size, largest total first",
                Leaks: "Leaks(): the leak scan, as !heapleaks returns it, without its text",
                Triage: "Triage(): the leak triage, as !heaptriage returns it, without its text",
            });
        }
        get Findings() {
            const heaps = this.cache();
            const findings = heaps ? heaps.findings() : [this.__problem];
            return findings.map((finding) => new FindingModel(finding));
        }
        /** Busy blocks of every heap grouped by identical allocation stack, largest total first. */
        ByStack() {
            const heaps = this.cache();
            return heaps ? stackGroups(heaps, heaps.heaps().filter((ref) => ref.counted), (ref) => this.itemAt(ref.index)) : this.Findings;
        }
        /** Busy blocks of every heap grouped by C++ type (vftable), else by size, largest total first. */
        ByType() {
            const heaps = this.cache();
            return heaps ? typeGroups(heaps, heaps.heaps().filter((ref) => ref.counted), (ref) => this.itemAt(ref.index)) : this.Findings;
        }
        /** The leak scan (what !heapleaks returns), without printing. */
        Leaks() {
            const heaps = this.cache();
            return heaps ? LeakReportModel.of(heaps, (ref) => this.itemAt(ref.index)) : this.Findings;
        }
        /** The leak triage (what !heaptriage returns), without printing. */
        Triage() {
            const heaps = this.cache();
            return heaps ? TriageModel.of(heaps, (ref) => this.itemAt(ref.index)) : this.Findings;
        }
        itemCount() {
            const heaps = this.cache();
            return heaps ? heaps.heaps().length : 0;
        }
        itemAt(index) {
            let model = this.__models[index];
            if (!model) {
                const heaps = this.cache();
                model = this.__models[index] = new HeapModel(heaps, heaps.heaps()[index]);
            }
            return model;
        }
        /** No heap work: dx shows this when it shows the process. */
        toString() {
            return this.__problem ? `Unsupported: ${this.__problem.message}` : "";
        }
        cache() {
            if (!this.__heaps && !this.__problem) {
                try {
                    this.__heaps = ProcessHeaps.of(this.__process);
                }
                catch (e) {
                    this.__problem = { kind: "Unsupported", address: 0, message: e.message };
                }
            }
            return this.__heaps;
        }
    }
    class ProcessHeapsExtension {
        get [Symbol.metadataDescriptor]() {
            return help({ Heaps: "Every heap of the process: PEB.ProcessHeap, PEB.ProcessHeaps and ntdll's process heap descriptor list" });
        }
        get Heaps() {
            return new HeapCollection(this);
        }
    }

    // dxheap's entry points, as WinDbg's JavaScript provider calls them (docs/jsprovider.md §1.1):
    // initializeScript returns one flat list of registrations; nothing is registered imperatively.
    // uninitializeScript drops the per-process heap caches and the snapshots.
    function initializeScript() {
        return [
            new host.apiVersionSupport(1, 3),
            new host.namedModelParent(ProcessHeapsExtension, "Debugger.Models.Process"),
            new host.functionAlias(heaps, "heaps"),
            new host.functionAlias(heapstat, "heapstat"),
            new host.functionAlias(heapfilter, "heapfilter"),
            new host.functionAlias(heapfind, "heapfind"),
            new host.functionAlias(heapsearch, "heapsearch"),
            new host.functionAlias(heapcheck, "heapcheck"),
            new host.functionAlias(heapstack, "heapstack"),
            new host.functionAlias(heapstacks, "heapstacks"),
            new host.functionAlias(heaptypes, "heaptypes"),
            new host.functionAlias(heapleaks, "heapleaks"),
            new host.functionAlias(heapleaks, "heapLeaks"),
            new host.functionAlias(heaptriage, "heaptriage"),
            new host.functionAlias(heaptriage, "heapTriage"),
            new host.functionAlias(heapsnap, "heapsnap"),
            new host.functionAlias(heapdiff, "heapdiff"),
        ];
    }
    function uninitializeScript() {
        ProcessHeaps.clear();
        clearSnapshots();
    }

    exports.initializeScript = initializeScript;
    exports.uninitializeScript = uninitializeScript;

    return exports;

})({});
function initializeScript() { return __dxheap.initializeScript.apply(this, arguments); }
function uninitializeScript() { return __dxheap.uninitializeScript.apply(this, arguments); }
