// ANNBenchmark: the Swift side of `make bench-ann` (scripts/bench-ann.sh), plus a `save-loop` mode the tests use to
// kill a process in the middle of saving.
//
//   ANNBenchmark bench DATADIR OUT.json [--storage f32|f16|i8] [--m 16] [--efc 200] [--efs 16,32,64,128,256]
//                [--threads 1,2] [--build-threads 2] [--k 10] [--save FILE | --load FILE]
//   ANNBenchmark save-loop PATH
import Dispatch
import VectorIndex

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU seconds used by the whole process so far (all threads).
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Resident set size in MiB, from /proc/self/statm.
func rssMiB() -> Double {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0
    var resident = 0
    _ = withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return Double(resident * Int(sysconf(Int32(_SC_PAGESIZE)))) / 1_048_576
}

/// Writes a line to standard error.
func logLine(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

func fail(_ message: String) -> Never {
    logLine("ANNBenchmark: \(message)")
    exit(2)
}

/// Reads an .fvecs/.ivecs file: per row an Int32 dimension then that many 4-byte values.
func readVecs<T>(_ path: String, as: T.Type) -> (rows: [[T]], dim: Int) {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    fseek(f, 0, SEEK_END)
    let bytes = ftell(f)
    fseek(f, 0, SEEK_SET)
    var d: Int32 = 0
    guard fread(&d, 4, 1, f) == 1, d > 0 else { fail("bad header in \(path)") }
    let rowBytes = 4 * (Int(d) + 1)
    let n = bytes / rowBytes
    fseek(f, 0, SEEK_SET)
    var raw = [UInt32](repeating: 0, count: n * (Int(d) + 1))
    guard raw.withUnsafeMutableBytes({ fread($0.baseAddress, rowBytes, n, f) }) == n else { fail("short read in \(path)") }
    var rows = [[T]]()
    rows.reserveCapacity(n)
    raw.withUnsafeBytes { buffer in
        for i in 0..<n {
            let start = buffer.baseAddress! + i * rowBytes + 4
            rows.append(Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: T.self), count: Int(d))))
        }
    }
    return (rows, Int(d))
}

func option(_ args: [String], _ name: String, _ fallback: String) -> String {
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func runBench(_ args: [String]) {
    guard args.count >= 2 else { fail("usage: bench DATADIR OUT.json [options]") }
    let dataDir = args[0]
    let outPath = args[1]
    let storageNames: [String: VectorStorage] = ["f32": .float32, "f16": .float16, "i8": .int8]
    guard let storage = storageNames[option(args, "--storage", "f32")] else { fail("--storage must be f32, f16 or i8") }
    let m = Int(option(args, "--m", "16"))!
    let efc = Int(option(args, "--efc", "200"))!
    let efs = option(args, "--efs", "16,32,64,128,256").split(separator: ",").map { Int($0)! }
    let threadCounts = option(args, "--threads", "1,2").split(separator: ",").map { Int($0)! }
    let buildThreads = Int(option(args, "--build-threads", "2"))!
    let k = Int(option(args, "--k", "10"))!

    let (base, dim) = readVecs(dataDir + "/base.fvecs", as: Float.self)
    let (queries, _) = readVecs(dataDir + "/query.fvecs", as: Float.self)
    let (truth, _) = readVecs(dataDir + "/groundtruth.ivecs", as: Int32.self)
    let items: [(id: Int64, vector: [Float])] = base.enumerated().map { (Int64($0.offset), $0.element) }
    let rssBefore = rssMiB()

    let start = now()
    let startCPU = cpuNow()
    let index: HNSWIndex
    let loadPath = option(args, "--load", "")
    let savePath = option(args, "--save", "")
    do {
        if !loadPath.isEmpty {
            index = try HNSWIndex.load(from: loadPath).index
        } else {
            index = try HNSWIndex(
                dimension: dim,
                metric: .cosine,
                storage: storage,
                m: m,
                efConstruction: efc,
                initialCapacity: base.count
            )
            try index.addBatch(items, threads: buildThreads)
        }
    } catch { fail("build failed: \(error)") }
    let buildSeconds = now() - start
    let buildCPUSeconds = cpuNow() - startCPU
    let rssAfter = rssMiB()
    if !savePath.isEmpty {
        do { try index.save(to: savePath, lastSequence: UInt64(base.count), modelIdentity: "ann-benchmark") } catch {
            fail("save failed: \(error)")
        }
    }
    let storageName = ["float32", "float16", "int8"][Int(index.storage.rawValue)]
    logLine("swift \(storageName): built \(base.count) in \(buildSeconds) s, rss +\(rssAfter - rssBefore) MiB")

    var runs = [String]()
    for threads in threadCounts {
        for ef in efs {
            var best = Double.infinity
            var bestCPU = Double.infinity
            var found = [[Int64]](repeating: [], count: queries.count)
            for _ in 0..<2 {
                let t0 = now()
                let c0 = cpuNow()
                if threads == 1 {
                    for (i, q) in queries.enumerated() { found[i] = (try? index.search(q, k: k, ef: ef))!.map(\.id) }
                } else {
                    let box = ResultBox(count: queries.count)
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        var i = t
                        while i < queries.count {
                            box.set(i, (try? index.search(queries[i], k: k, ef: ef))!.map(\.id))
                            i += threads
                        }
                    }
                    found = box.values
                }
                best = min(best, now() - t0)
                bestCPU = min(bestCPU, cpuNow() - c0)
            }
            var hits = 0
            for i in 0..<queries.count {
                let gt = Set(truth[i].prefix(k).map { Int64($0) })
                hits += found[i].filter { gt.contains($0) }.count
            }
            let recall = Double(hits) / Double(queries.count * k)
            let qps = Double(queries.count) / best
            // Queries per CPU-second of one core: robust on a shared, loaded machine.
            let cpuQPS = Double(queries.count) * Double(threads) / bestCPU
            logLine("swift \(storageName) threads=\(threads) ef=\(ef): recall \(recall) qps \(qps) cpu-qps \(cpuQPS)")
            runs.append("{\"threads\": \(threads), \"ef\": \(ef), \"recall\": \(recall), \"qps\": \(qps), \"cpu_qps\": \(cpuQPS)}")
        }
    }
    let json = """
        {"library": "balcao-vectorindex", "storage": "\(storageName)", \
        "kernel_level": \(index.kernelLevel), "n": \(base.count), "dim": \(dim), "m": \(m), "ef_construction": \(efc), \
        "build_threads": \(buildThreads), "build_seconds": \(buildSeconds), "build_cpu_seconds": \(buildCPUSeconds), "rss_before_mb": \(rssBefore), \
        "rss_after_mb": \(rssAfter), "rss_index_mb": \(rssAfter - rssBefore), "index_bytes": \(index.memoryFootprint), \
        "runs": [\(runs.joined(separator: ", "))]}

        """
    guard let f = fopen(outPath, "w") else { fail("cannot write \(outPath)") }
    fputs(json, f)
    fclose(f)
}

/// Collects per-query results from several threads (each index written by one thread only).
final class ResultBox: @unchecked Sendable {
    private(set) var values: [[Int64]]
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init(count: Int) {
        values = .init(repeating: [], count: count)
        pthread_mutex_init(lock, nil)
    }
    func set(_ i: Int, _ v: [Int64]) {
        pthread_mutex_lock(lock)
        values[i] = v
        pthread_mutex_unlock(lock)
    }
}

/// Saves a changing index to `path` over and over, printing each completed sequence number, until killed.
/// Each snapshot `s` holds ids `0 ..< 500 + s % 7` of a 32-dimensional set, with `lastSequence == s`.
func runSaveLoop(_ path: String) {
    var rng = SystemRandomNumberGenerator()
    do {
        let index = try HNSWIndex(dimension: 32, metric: .cosine, storage: .float32, m: 8, efConstruction: 40)
        var items = [(id: Int64, vector: [Float])]()
        for i in 0..<600 { items.append((Int64(i), (0..<32).map { _ in Float.random(in: -1...1, using: &rng) })) }
        try index.addBatch(Array(items.prefix(500)), threads: 1)
        let deadline = now() + 60
        var sequence: UInt64 = 1
        while now() < deadline {
            let want = 500 + Int(sequence % 7)
            index.remove(ids: Int64(want)..<600)
            try index.addBatch(Array(items[500..<want]), threads: 1)
            try index.save(to: path, lastSequence: sequence, modelIdentity: "save-loop/\(want)")
            let line = "saved \(sequence)\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
            sequence += 1
        }
    } catch {
        fail("save-loop failed: \(error)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "bench": runBench(Array(arguments.dropFirst()))
case "save-loop":
    guard arguments.count >= 2 else { fail("usage: save-loop PATH") }
    runSaveLoop(arguments[1])
default:
    fail("usage: ANNBenchmark bench DATADIR OUT.json [options] | save-loop PATH")
}
