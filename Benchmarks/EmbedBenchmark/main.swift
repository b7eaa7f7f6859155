// EmbedBenchmark: speed, memory and retrieval quality of LocalE5Embedder.
//
//   EmbedBenchmark speed --model FILE --corpus corpus.jsonl [--queries queries.jsonl] [--threads 1,2] [--repeat N]
//   EmbedBenchmark rss --model FILE
//   EmbedBenchmark --score-faquad --model FILE --data DIR     (DIR holds corpus.jsonl and queries.jsonl)
//
// Every mode prints one JSON object on stdout; progress goes to stderr.
import Embedding
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var mode = "speed"
    var model = ""
    var corpus = ""
    var queries = ""
    var data = ""
    var threads = [1, 2]
    var repeatCount = 1
    var latencyQueries = 50
    var portable = false
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    if let first = args.first, !first.hasPrefix("-") {
        o.mode = first
        args.removeFirst()
    }
    var i = 0
    func value() -> String {
        i += 1
        guard i < args.count else { fail("missing value for \(args[i - 1])") }
        return args[i]
    }
    while i < args.count {
        switch args[i] {
        case "--score-faquad": o.mode = "score-faquad"
        case "--model": o.model = value()
        case "--corpus": o.corpus = value()
        case "--queries": o.queries = value()
        case "--data": o.data = value()
        case "--threads": o.threads = value().split(separator: ",").compactMap { Int($0) }
        case "--repeat": o.repeatCount = max(1, Int(value()) ?? 1)
        case "--latency-queries": o.latencyQueries = max(1, Int(value()) ?? 50)
        case "--portable": o.portable = true
        default: fail("unknown argument \(args[i])")
        }
        i += 1
    }
    if o.model.isEmpty { fail("--model FILE is required") }
    return o
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedBenchmark: \(message)\n".utf8))
    exit(2)
}

func log(_ message: String) { FileHandle.standardError.write(Data("\(message)\n".utf8)) }

func readJSONL(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// (VmRSS, VmHWM) in MB from /proc/self/status.
func memoryMB() -> (rss: Double, peak: Double) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var rss = 0.0
    var hwm = 0.0
    for line in status.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, let kb = Double(parts[1]) else { continue }
        if parts[0] == "VmRSS:" { rss = kb / 1024 }
        if parts[0] == "VmHWM:" { hwm = kb / 1024 }
    }
    return (rss, hwm)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func cpuTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func threadCPUTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
}

func load(_ o: Options) -> (LocalE5Embedder, Double) {
    let start = now()
    do {
        let e = try LocalE5Embedder(modelFile: URL(fileURLWithPath: o.model))
        return (e, now() - start)
    } catch {
        fail("\(error)")
    }
}

let options = parse()
if options.portable { setenv("BALCAO_EMBED_KERNELS", "portable", 1) }

switch options.mode {
case "rss":
    let before = memoryMB()
    let (embedder, loadSeconds) = load(options)
    let loaded = memoryMB()
    _ = embedder.embedBlocking(["passage de aquecimento: um texto curto para carregar as páginas."], role: .passage, threads: 1)
    let after = memoryMB()
    emit([
        "model": options.model, "identity": embedder.modelIdentity, "load_seconds": loadSeconds,
        "rss_before_load_mb": before.rss, "rss_after_load_mb": loaded.rss, "rss_after_one_embedding_mb": after.rss,
        "peak_rss_mb": after.peak, "kernels": LocalE5Embedder.kernelImplementation,
    ])

case "speed":
    if options.corpus.isEmpty { fail("--corpus is required") }
    let passages = readJSONL(options.corpus).compactMap { $0["text"] as? String }
    var queries = options.queries.isEmpty ? [] : readJSONL(options.queries).compactMap { $0["text"] as? String }
    if queries.isEmpty { queries = ["Qual é o prazo de entrega do pedido?"] }
    let (embedder, loadSeconds) = load(options)
    let tokens = passages.reduce(0) { $0 + embedder.inputIDs(for: $1, role: .passage).count }
    log("Swift: \(passages.count) passages, \(tokens) tokens, kernels \(LocalE5Embedder.kernelImplementation)")
    _ = embedder.embedBlocking(Array(passages.prefix(4)), role: .passage, threads: 1)  // warm up
    var runs: [[String: Any]] = []
    for t in options.threads {
        var best = Double.infinity
        var bestCPU = 0.0
        for _ in 0..<options.repeatCount {
            let (w0, c0) = (now(), cpuTime())
            _ = embedder.embedBlocking(passages, role: .passage, threads: t)
            let (wall, cpu) = (now() - w0, cpuTime() - c0)
            if wall < best { (best, bestCPU) = (wall, cpu) }
        }
        log(String(format: "Swift %d thread(s): %.2f passages/s (%.1f s wall, %.1f s CPU)", t, Double(passages.count) / best, best, bestCPU))
        runs.append([
            "threads": t, "seconds_wall": best, "seconds_cpu": bestCPU, "passages_per_s": Double(passages.count) / best,
            "tokens_per_s": Double(tokens) / best, "passages_per_s_cpu": Double(passages.count) / bestCPU * Double(t),
        ])
    }
    // Single-query latency: each query alone, one thread.
    let sample = Array(queries.prefix(options.latencyQueries))
    _ = embedder.embedBlocking([sample[0]], role: .query, threads: 1)
    var latencies: [Double] = []
    var cpuLatencies: [Double] = []
    var queryTokens = 0
    for q in sample {
        queryTokens += embedder.inputIDs(for: q, role: .query).count
        let (t0, c0) = (now(), threadCPUTime())
        _ = embedder.embedBlocking([q], role: .query, threads: 1)  // one thread: runs on this thread
        latencies.append((now() - t0) * 1000)
        cpuLatencies.append((threadCPUTime() - c0) * 1000)
    }
    latencies.sort()
    cpuLatencies.sort()
    let mem = memoryMB()
    emit([
        "engine": "swift", "model": options.model, "identity": embedder.modelIdentity, "kernels": LocalE5Embedder.kernelImplementation,
        "passages": passages.count, "tokens": tokens, "load_seconds": loadSeconds, "runs": runs,
        "query_latency_ms": [
            "median": latencies[latencies.count / 2], "p90": latencies[min(latencies.count - 1, latencies.count * 9 / 10)],
            "min": latencies[0], "queries": latencies.count, "mean_tokens": Double(queryTokens) / Double(latencies.count),
            "cpu_median": cpuLatencies[cpuLatencies.count / 2],
        ],
        "rss_mb_end": mem.rss, "peak_rss_mb_end": mem.peak,
    ])

case "score-faquad":
    if options.data.isEmpty { fail("--data DIR is required") }
    let corpus = readJSONL(options.data + "/corpus.jsonl")
    let queryRows = readJSONL(options.data + "/queries.jsonl")
    let ids = corpus.map { $0["id"] as? String ?? "" }
    let (embedder, _) = load(options)
    let t0 = now()
    let docVectors = embedder.embedBlocking(corpus.map { $0["text"] as? String ?? "" }, role: .passage)
    let queryVectors = embedder.embedBlocking(queryRows.map { $0["text"] as? String ?? "" }, role: .query)
    let seconds = now() - t0
    var hit1 = 0.0
    var hit5 = 0.0
    var mrr = 0.0
    for (q, row) in zip(queryVectors, queryRows) {
        let gold = Set(row["gold"] as? [String] ?? [])
        // Exact dot-product search; ties broken by corpus order.
        let scores = docVectors.map { d in zip(q, d).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(10)
        if let pos = ranked.firstIndex(where: { gold.contains(ids[$0]) }) {
            mrr += 1 / Double(pos + 1)
            if pos == 0 { hit1 += 1 }
            if pos < 5 { hit5 += 1 }
        }
    }
    let n = Double(queryRows.count)
    emit([
        "method": "dense-only", "embedder": embedder.modelIdentity, "benchmark": "faquad", "queries": queryRows.count,
        "passages": corpus.count, "hit@1": hit1 / n, "hit@5": hit5 / n, "mrr@10": mrr / n, "embed_seconds": seconds,
        "goal": ["goal": "dense-only MRR@10 on FaQuAD", "measured": mrr / n, "target": "0.807 ± 0.005", "met": abs(mrr / n - 0.807) <= 0.005],
    ])

default:
    fail("unknown mode \(options.mode)")
}
