#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The snapshot file format (little-endian, version 2).
///
/// A 256-byte header, then sections each starting on a 64-byte boundary: vectors (`slots × stride`), per-vector scales
/// (`slots` Float32; the int8 codes' scale, 1 for the other storage types), level-0 lists
/// (`slots × (2M + 1)` UInt32), upper-list offsets (`slots` UInt32), the upper-list arena (`upperUsed` UInt32), levels
/// (`slots` UInt8), ids (`slots` Int64), flags (`slots` UInt8), the model identity (UTF-8). Padding is zero.
///
/// Header: `0` magic "BALCVIX\0" · `8` version u32 · `12` header size u32 · `16` dimension u32 · `20` metric u8 ·
/// `21` storage u8 · `24` M u32 · `28` efConstruction u32 · `32` slots u64 · `40` live count u64 · `48` entry point u64
/// (`level << 32 | slot`, or `0xFFFF_FFFF` when empty) · `56` last sequence u64 · `64` upperUsed u64 · `72` identity
/// bytes u64 · `80` vector stride u64 · `88` file size u64 · `96` payload checksum u64 · `248` header checksum u64
/// (over bytes 0..<248). Checksums are `checksum64` (`bvk_checksum64`); the payload checksum chains over everything after the
/// header in file order, section by section, padding included (see `Layout.pieces`).
///
/// History: version 1 had no scales section (and no int8 storage); such files load as
/// ``VectorIndexError/unsupportedVersion(_:)``, so the caller rebuilds them.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("BALCVIX".utf8) + [0]
    static let version: UInt32 = 2
    static let headerSize = 256

    /// The checksum stored at byte 248 of a header, over bytes `0 ..< 248`.
    static func headerChecksum(_ header: UnsafeRawPointer) -> UInt64 { checksum64(header, 248, 0) }

    struct Layout {
        var sections: [(offset: Int, length: Int)]
        var fileSize: Int

        init(slots: Int, stride: Int, maxM0: Int, upperUsed: Int, identityBytes: Int) {
            let lengths = [slots * stride, slots * 4, slots * (maxM0 + 1) * 4, slots * 4, upperUsed * 4, slots, slots * 8, slots, identityBytes]
            var offset = SnapshotFormat.headerSize
            sections = []
            for length in lengths {
                offset = (offset + 63) & ~63
                sections.append((offset, length))
                offset += length
            }
            fileSize = offset
        }

        /// Everything after the header, in file order, as the checksum covers it: each section and the zero padding
        /// before it (`section == nil`). Empty pieces are left out.
        var pieces: [(offset: Int, length: Int, section: Int?)] {
            var result: [(offset: Int, length: Int, section: Int?)] = []
            var position = SnapshotFormat.headerSize
            for (i, s) in sections.enumerated() {
                if s.offset > position { result.append((position, s.offset - position, nil)) }
                if s.length > 0 { result.append((s.offset, s.length, i)) }
                position = s.offset + s.length
            }
            return result
        }
    }
}

extension HNSWIndex {
    /// Writes a snapshot atomically: to `path + ".tmp"`, fsync, rename over `path`, fsync the directory. A crash at
    /// any point leaves either the previous file or the new one. Inserts wait while the snapshot is written; searches
    /// go on.
    ///
    /// - Parameters:
    ///   - lastSequence: the caller's sequence number of the last change the index contains (replay starts after it).
    ///   - modelIdentity: identity of the model that made the vectors.
    public func save(to path: String, lastSequence: UInt64, modelIdentity: String) throws(VectorIndexError) {
        try withStableSnapshot { (graph: Graph, live: Int) throws(VectorIndexError) in
            let identity = Array(modelIdentity.utf8)
            let slots = graph.slotCount
            let upperUsed = graph.upperUsed
            let layout = SnapshotFormat.Layout(
                slots: slots,
                stride: graph.vectorStride,
                maxM0: graph.maxM0,
                upperUsed: upperUsed,
                identityBytes: identity.count
            )
            let identityBuffer = UnsafeMutableRawPointer.allocate(byteCount: max(identity.count, 1), alignment: 8)
            defer { identityBuffer.deallocate() }
            identityBuffer.copyMemory(from: identity, byteCount: identity.count)
            do {
                let pointers: [UnsafeRawPointer?] = [
                    UnsafeRawPointer(graph.vectors), UnsafeRawPointer(graph.scales), UnsafeRawPointer(graph.links0),
                    UnsafeRawPointer(graph.upperOffsets),
                    UnsafeRawPointer(graph.upperLinks), UnsafeRawPointer(graph.levels), UnsafeRawPointer(graph.ids),
                    UnsafeRawPointer(graph.flags), UnsafeRawPointer(identityBuffer),
                ]
                let zeros = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
                defer { zeros.deallocate() }
                zeros.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
                var checksum: UInt64 = 0
                for piece in layout.pieces {
                    let p = piece.section.map { pointers[$0]! } ?? UnsafeRawPointer(zeros)
                    checksum = checksum64(p, piece.length, checksum)
                }
                let headerBuffer = UnsafeMutableRawPointer.allocate(byteCount: SnapshotFormat.headerSize, alignment: 64)
                defer { headerBuffer.deallocate() }
                headerBuffer.initializeMemory(as: UInt8.self, repeating: 0, count: SnapshotFormat.headerSize)
                do {
                    let h = UnsafeMutableRawBufferPointer(start: headerBuffer, count: SnapshotFormat.headerSize)
                    h.copyBytes(from: SnapshotFormat.magic)
                    h.storeBytes(of: SnapshotFormat.version.littleEndian, toByteOffset: 8, as: UInt32.self)
                    h.storeBytes(of: UInt32(SnapshotFormat.headerSize).littleEndian, toByteOffset: 12, as: UInt32.self)
                    h.storeBytes(of: UInt32(graph.dimension).littleEndian, toByteOffset: 16, as: UInt32.self)
                    h.storeBytes(of: graph.metric.rawValue, toByteOffset: 20, as: UInt8.self)
                    h.storeBytes(of: graph.storage.rawValue, toByteOffset: 21, as: UInt8.self)
                    h.storeBytes(of: UInt32(graph.maxM).littleEndian, toByteOffset: 24, as: UInt32.self)
                    h.storeBytes(of: UInt32(efConstruction).littleEndian, toByteOffset: 28, as: UInt32.self)
                    h.storeBytes(of: UInt64(slots).littleEndian, toByteOffset: 32, as: UInt64.self)
                    h.storeBytes(of: UInt64(live).littleEndian, toByteOffset: 40, as: UInt64.self)
                    h.storeBytes(of: graph.packedEntry.littleEndian, toByteOffset: 48, as: UInt64.self)
                    h.storeBytes(of: lastSequence.littleEndian, toByteOffset: 56, as: UInt64.self)
                    h.storeBytes(of: UInt64(upperUsed).littleEndian, toByteOffset: 64, as: UInt64.self)
                    h.storeBytes(of: UInt64(identity.count).littleEndian, toByteOffset: 72, as: UInt64.self)
                    h.storeBytes(of: UInt64(graph.vectorStride).littleEndian, toByteOffset: 80, as: UInt64.self)
                    h.storeBytes(of: UInt64(layout.fileSize).littleEndian, toByteOffset: 88, as: UInt64.self)
                    h.storeBytes(of: checksum.littleEndian, toByteOffset: 96, as: UInt64.self)
                    let headerChecksum = SnapshotFormat.headerChecksum(h.baseAddress!)
                    h.storeBytes(of: headerChecksum.littleEndian, toByteOffset: 248, as: UInt64.self)
                }

                let temporary = path + ".tmp"
                let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw .io(operation: "open", path: temporary, errno: errno) }
                var closed = false
                defer { if !closed { close(fd) } }
                var position = 0
                try writeAll(fd, headerBuffer, SnapshotFormat.headerSize, path: temporary)
                position = SnapshotFormat.headerSize
                for (i, section) in layout.sections.enumerated() {
                    if section.offset > position {
                        try writeAll(fd, zeros, section.offset - position, path: temporary)
                    }
                    if section.length > 0 { try writeAll(fd, pointers[i]!, section.length, path: temporary) }
                    position = section.offset + section.length
                }
                guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: temporary, errno: errno) }
                closed = true
                guard close(fd) == 0 else { throw .io(operation: "close", path: temporary, errno: errno) }
                guard rename(temporary, path) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
                try syncDirectory(of: path)
            }
        }
    }

    /// Maps a snapshot written by ``save(to:lastSequence:modelIdentity:)`` and returns the index with what the
    /// snapshot carries. Vectors and lists stay in the (private, copy-on-write) mapping until the index grows.
    ///
    /// - Throws: ``VectorIndexError/truncated(path:expectedBytes:actualBytes:)``, ``VectorIndexError/corrupt(path:reason:)``,
    ///   ``VectorIndexError/notAnIndexFile(path:)`` or ``VectorIndexError/unsupportedVersion(_:)`` when the file cannot
    ///   be trusted (the caller then rebuilds from its database), ``VectorIndexError/io(operation:path:errno:)`` when it
    ///   cannot be read.
    /// - Parameters: `efSearch`, `exactFilterFraction`, `exactFilterMinimum`, `autoCompactFraction`: the run-time
    ///   settings of ``init(dimension:metric:storage:m:efConstruction:efSearch:initialCapacity:exactFilterFraction:exactFilterMinimum:autoCompactFraction:seed:kernelLevel:)``
    ///   (the file keeps only what shapes the graph).
    public static func load(
        from path: String,
        efSearch: Int = 64,
        exactFilterFraction: Double = 0.1,
        exactFilterMinimum: Int = 2048,
        autoCompactFraction: Double = 0.5
    ) throws(VectorIndexError) -> (index: HNSWIndex, info: VectorIndexSnapshotInfo) {
        let settings = LoadSettings(
            efSearch: max(efSearch, 1),
            exactFilterFraction: exactFilterFraction,
            exactFilterMinimum: exactFilterMinimum,
            autoCompactFraction: autoCompactFraction
        )
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        let size = Int(st.st_size)
        guard size >= SnapshotFormat.headerSize else {
            if size >= 8 {
                var magic = [UInt8](repeating: 0, count: 8)
                let got = magic.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8, 0) }
                if got == 8 && magic != SnapshotFormat.magic { throw .notAnIndexFile(path: path) }
            }
            throw .truncated(path: path, expectedBytes: SnapshotFormat.headerSize, actualBytes: size)
        }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .io(operation: "mmap", path: path, errno: errno)
        }
        do {
            return try parse(base: base, size: size, path: path, settings: settings)
        } catch {
            munmap(base, size)
            throw error
        }
    }

    private static func parse(
        base: UnsafeMutableRawPointer,
        size: Int,
        path: String,
        settings: LoadSettings
    ) throws(VectorIndexError)
        -> (index: HNSWIndex, info: VectorIndexSnapshotInfo)
    {
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let magic = Array(UnsafeRawBufferPointer(start: base, count: 8))
        guard magic == SnapshotFormat.magic else { throw .notAnIndexFile(path: path) }
        guard SnapshotFormat.headerChecksum(base) == u64(248) else { throw .corrupt(path: path, reason: "header checksum mismatch") }
        let version = u32(8)
        guard version == SnapshotFormat.version, Int(u32(12)) == SnapshotFormat.headerSize else {
            throw .unsupportedVersion(Int(version))
        }
        let dimension = Int(u32(16))
        guard let metric = VectorMetric(rawValue: base.load(fromByteOffset: 20, as: UInt8.self)),
            let storage = VectorStorage(rawValue: base.load(fromByteOffset: 21, as: UInt8.self))
        else { throw .corrupt(path: path, reason: "unknown metric or storage type") }
        let m = Int(u32(24))
        let efConstruction = Int(u32(28))
        let slots = Int(u64(32))
        let liveCount = Int(u64(40))
        let entry = u64(48)
        let lastSequence = u64(56)
        let upperUsed = Int(u64(64))
        let identityBytes = Int(u64(72))
        let stride = Int(u64(80))
        let fileSize = Int(u64(88))
        guard (1...65536).contains(dimension), (2...128).contains(m), stride == Graph.stride(dimension: dimension, storage: storage),
            slots < Int(UInt32.max), upperUsed < Int(UInt32.max), identityBytes < 1 << 20
        else { throw .corrupt(path: path, reason: "implausible header values") }
        let layout = SnapshotFormat.Layout(slots: slots, stride: stride, maxM0: 2 * m, upperUsed: upperUsed, identityBytes: identityBytes)
        guard layout.fileSize == fileSize else { throw .corrupt(path: path, reason: "header sizes disagree") }
        guard size >= fileSize else { throw .truncated(path: path, expectedBytes: fileSize, actualBytes: size) }
        guard size == fileSize else { throw .corrupt(path: path, reason: "\(size - fileSize) trailing bytes") }
        var checksum: UInt64 = 0
        for piece in layout.pieces {
            checksum = checksum64(base + piece.offset, piece.length, checksum)
        }
        guard checksum == u64(96) else { throw .corrupt(path: path, reason: "payload checksum mismatch") }

        let s = layout.sections
        let scales = (base + s[1].offset).bindMemory(to: Float.self, capacity: max(slots, 1))
        let links0 = (base + s[2].offset).bindMemory(to: UInt32.self, capacity: max(slots * (2 * m + 1), 1))
        let upperOffsets = (base + s[3].offset).bindMemory(to: UInt32.self, capacity: max(slots, 1))
        let upperLinks = (base + s[4].offset).bindMemory(to: UInt32.self, capacity: max(upperUsed, 1))
        let levels = (base + s[5].offset).bindMemory(to: UInt8.self, capacity: max(slots, 1))
        let ids = (base + s[6].offset).bindMemory(to: Int64.self, capacity: max(slots, 1))
        let flags = (base + s[7].offset).bindMemory(to: UInt8.self, capacity: max(slots, 1))
        let identity = String(decoding: UnsafeRawBufferPointer(start: base + s[8].offset, count: identityBytes), as: UTF8.self)

        // Structural validation, so that even a file with a valid checksum cannot send a search out of bounds.
        if entry != Graph.noEntry {
            guard Int(UInt32(truncatingIfNeeded: entry)) < slots, Int(entry >> 32) <= 31 else {
                throw .corrupt(path: path, reason: "entry point out of range")
            }
        }
        var idToSlot = [Int64: UInt32](minimumCapacity: liveCount)
        var deleted = 0
        for slot in 0..<slots {
            let level = Int(levels[slot])
            guard level <= 31 else { throw .corrupt(path: path, reason: "level out of range") }
            guard scales[slot].isFinite, scales[slot] >= 0 else { throw .corrupt(path: path, reason: "bad vector scale") }
            let list0 = links0 + slot * (2 * m + 1)
            guard Int(list0[0]) <= 2 * m else { throw .corrupt(path: path, reason: "neighbour count out of range") }
            for j in 0..<Int(list0[0]) where Int(list0[1 + j]) >= slots {
                throw .corrupt(path: path, reason: "neighbour id out of range")
            }
            if level > 0 {
                let start = Int(upperOffsets[slot])
                guard start + level * (m + 1) <= upperUsed else { throw .corrupt(path: path, reason: "upper lists out of range") }
                for l in 0..<level {
                    let list = upperLinks + start + l * (m + 1)
                    guard Int(list[0]) <= m else { throw .corrupt(path: path, reason: "neighbour count out of range") }
                    for j in 0..<Int(list[0]) where Int(list[1 + j]) >= slots {
                        throw .corrupt(path: path, reason: "neighbour id out of range")
                    }
                }
            }
            switch flags[slot] {
            case SlotFlag.present: idToSlot[ids[slot]] = UInt32(slot)
            case SlotFlag.present | SlotFlag.deleted: deleted += 1
            case 0:
                flags[slot] = SlotFlag.present | SlotFlag.deleted
                deleted += 1  // never linked: treat as deleted
            default: throw .corrupt(path: path, reason: "bad slot flags")
            }
        }
        guard idToSlot.count == liveCount else { throw .corrupt(path: path, reason: "live count disagrees with the slots") }

        let graph = Graph(
            mappedDimension: dimension,
            metric: metric,
            storage: storage,
            m: m,
            slotCount: slots,
            upperUsed: upperUsed,
            entry: entry,
            vectors: base + s[0].offset,
            scales: scales,
            links0: links0,
            upperOffsets: upperOffsets,
            upperLinks: upperLinks,
            levels: levels,
            ids: ids,
            flags: flags,
            mapping: (base, size)
        )
        let index = HNSWIndex(
            loaded: graph,
            efConstruction: max(efConstruction, m),
            idToSlot: idToSlot,
            deletedCount: deleted,
            settings: settings
        )
        let info = VectorIndexSnapshotInfo(
            lastSequence: lastSequence,
            modelIdentity: identity,
            dimension: dimension,
            metric: metric,
            storage: storage,
            count: liveCount
        )
        return (index, info)
    }
}

private func writeAll(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int, path: String) throws(VectorIndexError) {
    var done = 0
    while done < count {
        let n = write(fd, pointer + done, min(count - done, 1 << 30))
        if n < 0 {
            if errno == EINTR { continue }
            throw .io(operation: "write", path: path, errno: errno)
        }
        done += n
    }
}

private func syncDirectory(of path: String) throws(VectorIndexError) {
    var directory = "."
    if let slash = path.lastIndex(of: "/") {
        directory = slash == path.startIndex ? "/" : String(path[..<slash])
    }
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(operation: "open", path: directory, errno: errno) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: directory, errno: errno) }
}
