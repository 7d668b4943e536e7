// dxheap: Windows heaps as WinDbg data-model objects. Load with .scriptload dxheap.js
"use strict";
var __dxheap = (function (exports) {

    // Little-endian reads from byte arrays the walkers got in one large read.
    const TWO_32$1 = 4294967296;
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
        return high > 0x1fffff ? Infinity : high * TWO_32$1 + u32(bytes, at);
    }
    /** Low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
    function low32(value) {
        return value % TWO_32$1 >>> 0;
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

    // How analyses see target memory. src/host/memory.ts implements it over host.memory;
    // pure-logic tests implement it over a byte array.
    class UnreadableMemoryError extends Error {
        constructor(address, length) {
            super(`Unable to read memory at 0x${address.toString(16)} (0x${length.toString(16)} bytes)`);
            this.address = address;
            this.length = length;
        }
    }

    // Values crossing the host boundary. Inside dxheap addresses are JS numbers (user-mode
    // addresses are below 2^47, exact in a double); the host hands out and takes host.Int64.
    // Conversions split into 32-bit halves so no step ever rounds (api-notes §1.4).
    const TWO_32 = 4294967296;
    /** An Int64 or number from the host as an exact JS number; throws if it needs more than 53 bits. */
    function toNumber(value) {
        if (typeof value === "number")
            return value;
        const high = value.getHighPart() >>> 0;
        const low = value.getLowPart() >>> 0;
        if (high > 0x1fffff)
            throw new RangeError(`0x${value.toString(16)} does not fit in 53 bits`);
        return high * TWO_32 + low;
    }
    /** A non-negative integer below 2^53 as a host.Int64. */
    function toInt64(value) {
        return host.Int64(value % TWO_32 >>> 0, Math.floor(value / TWO_32));
    }

    // The one memory reader: every byte dxheap reads goes through HostMemory. Reads are large
    // (host.memory.readMemoryValues over whole ranges, api-notes §1.6: each call is a round trip
    // into the engine); a read that fails is narrowed by halving down to pages, so one unreadable
    // page costs a few calls and the readable rest is still returned.
    const PAGE = 0x1000;
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
        /** Reads [address, address+length) or, when that fails, its readable pages, appending to runs. */
        collect(address, length, runs) {
            let bytes;
            try {
                bytes = this.readOnce(address, length);
            }
            catch (e) {
                if (!(e instanceof UnreadableMemoryError))
                    throw e;
            }
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
            const middle = pages <= 1 ? firstPageEnd : firstPageEnd + Math.floor(pages / 2) * PAGE;
            this.collect(address, middle - address, runs);
            this.collect(middle, address + length - middle, runs);
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

    // Hex formatting the way WinDbg prints it: bare lower-case digits, addresses padded to the
    // target's pointer width (8 digits on x86, 16 on x64), no 0x and no backtick in !heap tables.
    /** Digits of a non-negative integer below 2^53, no prefix. */
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

    const EMPTY = new Uint8Array(0);
    class MemoryWindow {
        /** end: reads stop here unless a request itself reaches further. */
        constructor(memory, end) {
            this.memory = memory;
            this.end = end;
            /** Address of bytes[0]. */
            this.base = 0;
            this.bytes = EMPTY;
            /** After ensure() returned false: the first address that could not be read. */
            this.unreadableAt = 0;
        }
        /** Makes [address, address + length) available in bytes; false when part of it is unreadable. */
        ensure(address, length) {
            if (address >= this.base && address + length <= this.base + this.bytes.length)
                return true;
            const want = Math.max(length, Math.min(MAX_READ, this.end - address));
            const runs = this.memory.readRuns(address, want);
            this.base = address;
            this.bytes = runs.length > 0 && runs[0].address === address ? runs[0].bytes : EMPTY;
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

    const FLAG_BUSY = 0x01;
    /** "Internal" blocks such as LFH UserBlocks (§1.4, §2.4). */
    const FLAG_INTERNAL = 0x08;
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

    // The NT heap back end: the entries of one segment, walked header by header from FirstEntry
    // (heap-internals.md §2.2). The walk of a segment ends, with a finding naming the address, at
    // the first header that fails its checksum or size bounds, or that cannot be read.
    /** UnusedBytes below this are pseudo-entry markers, not byte counts (§2.2: 1 segment, 3 uncommitted, 4 VirtualAlloc, 5 linked). */
    const SMALLEST_UNUSED_COUNT = 8;
    /** UnusedBytes & 0x3F == 0x3F: the count is stored after the block (§2.2). */
    const UNUSED_STORED_AFTER = 0x3f;
    /** UnusedBytes & 0x40: an extended entry (0x3F bits: its distance in granules) holds the count (§2.2, §2.7). */
    const UNUSED_EXTENDED = 0x40;
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
                this.userExtent(window, entry, size, unused, row);
                row.state = (e.flags & FLAG_INTERNAL) !== 0 ? STATE_INTERNAL : STATE_BUSY;
            }
            return this.blocks.push(row);
        }
        /** Where the user data starts and how many bytes were requested, with the UnusedBytes escapes of §2.2. */
        userExtent(window, entry, size, unused, row) {
            const granularity = this.layout.entry.granularity;
            const p = this.layout.pointerSize;
            if ((unused & UNUSED_EXTENDED) !== 0 && unused < 0x80) {
                const extended = entry + (unused & 0x3f) * granularity;
                if (extended > entry && extended + granularity <= entry + size && window.ensure(extended, granularity)) {
                    const count = u16(window.bytes, extended - window.base + this.layout.entry.unusedBytesLength);
                    if (count <= size) {
                        row.userAddress = extended + granularity;
                        row.userSize = size - count;
                        return;
                    }
                }
                this.findings.push({ kind: "Corruption", address: entry, message: `heap entry at 0x${entry.toString(16)}: bad extended entry (UnusedBytes 0x${unused.toString(16)})` });
                row.userSize = 0;
                return;
            }
            if (unused === UNUSED_STORED_AFTER) {
                // x64: the next header's PreviousBlockPrivateData holds the count [DECOMP]. x86: UNVERIFIED, read the same way.
                if (window.ensure(entry + size, p)) {
                    const count = pointer(window.bytes, entry + size - window.base, p);
                    if (count <= size) {
                        row.userSize = size - count;
                        return;
                    }
                }
                this.findings.push({ kind: "Corruption", address: entry, message: `heap entry at 0x${entry.toString(16)}: unused byte count stored after the block is unreadable or too large` });
                row.userSize = 0;
                return;
            }
            if (unused > size || unused >= 0x80) {
                this.findings.push({ kind: "Corruption", address: entry, message: `heap entry at 0x${entry.toString(16)}: UnusedBytes 0x${unused.toString(16)} does not fit the block` });
                row.userSize = 0;
                return;
            }
            row.userSize = size - unused;
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
            const userBlocks = container.entry + this.layout.entry.granularity;
            const length = container.end - userBlocks;
            if (length < this.lfh.userDataHeaderSize || !window.ensure(userBlocks, length))
                return;
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
                row.userAddress = block + granularity;
                row.state = busy ? STATE_BUSY : STATE_FREE;
                row.flags = busy ? 1 : 0;
                row.userSize = busy ? this.userSize(window, block, g.stride, unused) : 0;
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
        /** Requested bytes of a busy LFH block: stride minus UnusedBytes & 0x3F, with the escapes of §2.2. */
        userSize(window, block, stride, unused) {
            const granularity = this.layout.entry.granularity;
            if ((unused & 0x40) !== 0) {
                const extended = block + (unused & 0x3f) * granularity;
                if (extended + granularity <= block + stride && window.ensure(extended, granularity)) {
                    this.row.userAddress = extended + granularity;
                    return Math.max(0, stride - u16(window.bytes, extended - window.base + this.layout.entry.unusedBytesLength));
                }
                return 0;
            }
            if ((unused & 0x3f) === 0x3f) {
                const p = this.layout.pointerSize;
                if (!window.ensure(block + stride, p))
                    return 0;
                return Math.max(0, stride - pointer(window.bytes, block + stride - window.base, p));
            }
            return stride - (unused & 0x3f);
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

    // A heap block as dx shows it: a light view over one row of the walk's BlockTable, made only
    // when dx asks for it (dx @$curprocess.Heaps[0].Blocks.Where(b => b.UserSize == 0x400000)).
    class BlockModel {
        constructor(__heap, __walk, __row) {
            this.__heap = __heap;
            this.__walk = __walk;
            this.__row = __row;
        }
        /** The HEAP_ENTRY, as !heap prints it (VirtualAlloc blocks: the BusyBlock header). */
        get Address() {
            return toInt64(this.__walk.blocks.address[this.__row]);
        }
        /** The UserPtr. */
        get UserAddress() {
            return toInt64(this.__walk.blocks.userAddress[this.__row]);
        }
        /** Bytes, header included (LFH: the block stride; VirtualAlloc: the committed size). */
        get Size() {
            return this.__walk.blocks.size[this.__row];
        }
        /** Bytes the program asked for (0 for free blocks). */
        get UserSize() {
            return this.__walk.blocks.userSize[this.__row];
        }
        get State() {
            return BLOCK_STATES[this.__walk.blocks.state[this.__row]];
        }
        get Kind() {
            return BLOCK_KINDS[this.__walk.blocks.kind[this.__row]];
        }
        /** The decoded _HEAP_ENTRY.Flags (1 busy, 8 internal, ...). */
        get Flags() {
            return this.__walk.blocks.flags[this.__row];
        }
        get Heap() {
            return this.__heap;
        }
        /** The segment holding the block; null for VirtualAlloc'd blocks. */
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
            return `${this.__heap.walk().blocks.count} blocks`;
        }
    }

    class SegmentModel {
        constructor(__segment) {
            this.__segment = __segment;
        }
        /** The _HEAP_SEGMENT (the _HEAP itself for the first segment). */
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
        get Address() {
            return toInt64(this.__descriptor.address);
        }
        /** "NT" or "Segment", from the heap's signature. */
        get Type() {
            return this.__descriptor.type;
        }
        /** _HEAP.Flags (NT heap) or _SEGMENT_HEAP.GlobalFlags (segment heap). */
        get Flags() {
            return this.__descriptor.flags;
        }
        /** Where the heap is listed: "PEB" (PEB.ProcessHeaps) and/or "DescriptorList" (ntdll!RtlpProcessHeaps). */
        get ListedIn() {
            return this.__descriptor.listedIn.slice();
        }
        /** Block granularity in bytes: sizeof(_HEAP_ENTRY). */
        get Granularity() {
            return this.walk().granularity;
        }
        get Segments() {
            if (!this.__segments)
                this.__segments = this.walk().segments.map((segment) => new SegmentModel(segment));
            return this.__segments;
        }
        get Blocks() {
            return new BlockCollection(this);
        }
        /** What the walk could not read or trust: corrupted headers, unreadable pages. */
        get Findings() {
            return this.walk().findings.map((finding) => new FindingModel(finding));
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
    class ProcessHeapsExtension {
        /** Every heap of the process: PEB.ProcessHeaps and ntdll's process heap descriptor list. */
        get Heaps() {
            const target = Target.of(this);
            const list = enumerateHeaps(target.memory, target.layout, target.peb);
            return list.heaps.map((heap) => new HeapModel(target, heap));
        }
    }

    // dxheap's entry points, as WinDbg's JavaScript provider calls them (api-notes §1.1):
    // initializeScript returns one flat list of registrations; nothing is registered imperatively,
    // so uninitializeScript has nothing to undo.
    function initializeScript() {
        return [
            new host.apiVersionSupport(1, 3),
            new host.namedModelParent(ProcessHeapsExtension, "Debugger.Models.Process"),
        ];
    }
    function uninitializeScript() { }

    exports.initializeScript = initializeScript;
    exports.uninitializeScript = uninitializeScript;

    return exports;

})({});
function initializeScript() { return __dxheap.initializeScript.apply(this, arguments); }
function uninitializeScript() { return __dxheap.uninitializeScript.apply(this, arguments); }
