import Foundation
import Testing

@testable import VectorIndex

/// A fresh temporary directory for one test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "vectorindex-tests-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Persistence")
struct PersistenceTests {
    @Test("save and load round trip, for every metric and storage type", arguments: VectorStorage.allCases)
    func roundTrip(storage: VectorStorage) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for metric in VectorMetric.allCases {
            let data = items(makeData(.clustered, n: 800, d: 24, seed: 51))
            let queries = makeData(.clustered, n: 20, d: 24, seed: 52)
            let index = try HNSWIndex(dimension: 24, metric: metric, storage: storage, m: 8, efConstruction: 60)
            try index.addBatch(data, threads: 1)
            index.remove(ids: [3, 5, 8])
            let path = dir + "/index-\(metric).vix"
            try index.save(to: path, lastSequence: 4242, modelIdentity: "model/é-v1")
            #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

            let (loaded, info) = try HNSWIndex.load(from: path)
            #expect(info.lastSequence == 4242)
            #expect(info.modelIdentity == "model/é-v1")
            #expect(info.dimension == 24 && info.metric == metric && info.storage == storage && info.count == 797)
            #expect(loaded.count == 797 && loaded.deletedCount == 3)
            #expect(!loaded.contains(id: 5) && loaded.contains(id: 6))
            for q in queries {
                #expect(try loaded.search(q, k: 10, ef: 50) == index.search(q, k: 10, ef: 50))
                #expect(try loaded.exactSearch(q, k: 10) == index.exactSearch(q, k: 10))
            }
            // The loaded index keeps working: it grows out of the mapping, removes and saves again.
            let more = items(makeData(.clustered, n: 300, d: 24, seed: 53), firstID: 10_000)
            try loaded.addBatch(more, threads: 1)
            loaded.remove(id: 6)
            #expect(loaded.count == 797 + 300 - 1)
            try loaded.save(to: path, lastSequence: 4243, modelIdentity: "model/é-v1")
            let (again, info2) = try HNSWIndex.load(from: path)
            #expect(info2.lastSequence == 4243 && again.count == loaded.count)
            let all = data.filter { ![3, 5, 8, 6].contains($0.id) } + more
            let pool = metric == .cosine ? all.map { ($0.id, normalized($0.vector)) } : all
            let r1 = try recall(loaded, pool, queries: queries, ef: 128, metric: metric)
            let r2 = try recall(again, pool, queries: queries, ef: 128, metric: metric)
            #expect(r1 >= 0.95 && r2 >= 0.95, "recall \(r1) \(r2) for \(metric)")
        }
    }

    @Test("an empty index round-trips")
    func emptyIndex() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let index = try HNSWIndex(dimension: 8)
        try index.save(to: dir + "/empty.vix", lastSequence: 0, modelIdentity: "")
        let (loaded, info) = try HNSWIndex.load(from: dir + "/empty.vix", efSearch: 10, exactFilterMinimum: 5)
        #expect(loaded.count == 0 && info.modelIdentity == "")
        #expect(loaded.defaultEfSearch == 10 && loaded.exactFilterMinimum == 5 && loaded.exactFilterFraction == 0.1)
        #expect(try loaded.search([1, 0, 0, 0, 0, 0, 0, 0], k: 3).isEmpty)
        try loaded.add(id: 1, vector: [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(try loaded.search([1, 0, 0, 0, 0, 0, 0, 0], k: 3).map(\.id) == [1])
    }

    @Test("truncated, corrupt and foreign files are rejected with a clear error")
    func damagedFiles() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let index = try HNSWIndex(dimension: 16, storage: .float16, m: 8, efConstruction: 40)
        try index.addBatch(items(makeData(.random, n: 300, d: 16, seed: 61)))
        let path = dir + "/good.vix"
        try index.save(to: path, lastSequence: 1, modelIdentity: "m")
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        func write(_ bytes: Data, _ name: String) -> String {
            let p = dir + "/" + name
            _ = FileManager.default.createFile(atPath: p, contents: bytes)
            return p
        }
        func loadError(_ p: String) -> VectorIndexError? {
            do {
                _ = try HNSWIndex.load(from: p)
                return nil
            } catch { return error }
        }

        // Truncated anywhere: in the header, in the middle, one byte short.
        for cut in [0, 100, good.count / 2, good.count - 1] {
            let error = loadError(write(good.prefix(cut), "cut\(cut).vix"))
            guard case .truncated = error else {
                Issue.record("cut at \(cut): expected .truncated, got \(String(describing: error))")
                continue
            }
        }
        // A flipped byte in the payload (vectors, links, ids) or in the header.
        for offset in [300, good.count / 2, good.count - 3, 40] {
            var bad = good
            bad[offset] ^= 0x5A
            let error = loadError(write(bad, "flip\(offset).vix"))
            guard case .corrupt = error else {
                Issue.record("flip at \(offset): expected .corrupt, got \(String(describing: error))")
                continue
            }
        }
        // Trailing garbage, a foreign file, a missing file.
        guard case .corrupt = loadError(write(good + Data([1, 2, 3]), "long.vix")) else {
            Issue.record("trailing bytes not detected")
            return
        }
        #expect(loadError(write(Data(repeating: 7, count: 4096), "foreign.vix")) == .notAnIndexFile(path: dir + "/foreign.vix"))
        // A file of another format version (version 1 had no scales section) with a valid header checksum: the
        // caller is told to rebuild.
        for version: UInt32 in [1, SnapshotFormat.version + 1] {
            var other = good
            other.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
                raw.storeBytes(of: SnapshotFormat.headerChecksum(raw.baseAddress!).littleEndian, toByteOffset: 248, as: UInt64.self)
            }
            #expect(loadError(write(other, "v\(version).vix")) == .unsupportedVersion(Int(version)))
        }
        guard case .io = loadError(dir + "/missing.vix") else {
            Issue.record("missing file not reported as I/O error")
            return
        }
        // The good file still loads.
        #expect(try HNSWIndex.load(from: path).index.count == 300)
    }

    @Test("kill -9 during save leaves the old or the new file, never a broken one")
    func killDuringSave() throws {
        guard let binary = annBenchmarkBinary() else {
            Issue.record("ANNBenchmark binary not found next to the test bundle; build the package first")
            return
        }
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/loop.vix"
        var loads = 0
        var lastSequence: UInt64 = 0
        var rng = TestRNG(71)
        for round in 0..<8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["save-loop", path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The first round waits for a first snapshot (however slow the machine), so there is an old file to keep;
            // then every round kills the child at a random moment while it saves over and over.
            if round == 0 {
                var waited = 0
                while !FileManager.default.fileExists(atPath: path) && waited < 120_000 {
                    usleep(10_000)
                    waited += 10
                }
            }
            usleep(UInt32(Int.random(in: 20_000...400_000, using: &rng)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                let (index, info) = try HNSWIndex.load(from: path)
                // Every snapshot is self-consistent: its identity names the count it holds.
                #expect(info.modelIdentity == "save-loop/\(index.count)")
                #expect(index.count == 500 + Int(info.lastSequence % 7))
                #expect(info.lastSequence >= 1)
                lastSequence = info.lastSequence
                loads += 1
            } catch {
                Issue.record("round \(round): snapshot broken after kill -9: \(error)")
            }
        }
        #expect(loads > 0, "no snapshot was ever completed")
        #expect(lastSequence >= 1)
    }
}

/// The ANNBenchmark executable built beside the test bundle (it has the `save-loop` mode).
func annBenchmarkBinary() -> String? {
    var candidates = [String]()
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append((exe as NSString).deletingLastPathComponent)
    }
    candidates.append((CommandLine.arguments[0] as NSString).deletingLastPathComponent)
    for bundle in Bundle.allBundles { candidates.append((bundle.bundlePath as NSString).deletingLastPathComponent) }
    for dir in candidates {
        // The test binary may sit inside `<name>.xctest/…`: walk up a few levels.
        var d = dir
        for _ in 0..<4 {
            let p = d + "/ANNBenchmark"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
            d = (d as NSString).deletingLastPathComponent
        }
    }
    return nil
}
