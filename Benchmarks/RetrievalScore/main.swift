// RetrievalScore: retrieval quality of Balcão's own search code on a benchmark (FaQuAD by default).
//
// Indexes every passage of `corpus.jsonl` as one chunk of its own document in a fresh Balcão database (AppDatabase,
// registerUpload + replaceChunks, so the keyword index goes through the product's FTS5 tokenizer), embeds the passages
// with LocalE5Embedder and stores the vectors (AppDatabase.storeVectors, then the daemon's HNSWChunkIndex), and scores
// every question of `queries.jsonl` by hit@1, hit@5 and MRR@10 for:
//   keyword  AppDatabase.searchChunks (FTS5 BM25 over stemmed, accent-folded terms)
//   dense    exact dot product over the stored vectors (and the HNSW index, for comparison)
//   hybrid   Retrieval.SearchService with its default fusion (what the daemon runs)
// plus a sweep of reciprocal-rank-fusion settings over the same keyword and dense lists (for tuning SearchService).
//
//   RetrievalScore --corpus C --queries Q --model M [--out FILE | --no-out] [--threads 2] [--dataset faquad]
//                  [--rankings-out FILE]   (the hybrid's rankings by question id, for scripts/retrieval/score.py)
//   RetrievalScore --database DATA_DIR --queries Q --model M --rankings-out FILE   (DatabaseScore.swift)
import Embedding
import Foundation
import Logging
import Retrieval
import Storage
import VectorIndex

// MARK: - Arguments and data

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("retrieval-score: \(message)\n".utf8))
    exit(1)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data("retrieval-score: \(message)\n".utf8))
}

/// Formats a figure with three decimals.
func f3(_ x: Double) -> String { String(format: "%.3f", x) }

struct Options {
    var corpus = "../shared/retrieval/faquad/corpus.jsonl"
    var queries = "../shared/retrieval/faquad/queries.jsonl"
    var model = "balcao-data/models/e5-small-q4.bin"
    var out: String? = "bench-results/retrieval-direct.json"
    var threads = LocalE5Embedder.defaultThreads
    var dataset = "faquad"
    var keywordOnly = false
    var database: String?
    var rankingsOut: String?

    init(_ arguments: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < arguments.count else { fail("missing value for \(arguments[i - 1])") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--corpus": corpus = value()
            case "--queries": queries = value()
            case "--model": model = value()
            case "--out": out = value()
            case "--no-out": out = nil
            case "--threads": threads = Int(value()) ?? threads
            case "--dataset": dataset = value()
            case "--keyword-only": keywordOnly = true
            case "--database": database = value()
            case "--rankings-out": rankingsOut = value()
            default: fail("unknown argument \(arguments[i])")
            }
            i += 1
        }
    }
}

struct Passage {
    let id: String
    let text: String
}
struct Question {
    let id: String
    let text: String
    let gold: Set<String>
}

func readJSONLines(_ path: String) -> [[String: Any]] {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        fail("cannot read \(path)")
    }
    return text.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

// MARK: - Metrics

struct Scores: Codable {
    var hit1 = 0.0, hit5 = 0.0, mrr10 = 0.0

    enum CodingKeys: String, CodingKey {
        case hit1 = "hit@1"
        case hit5 = "hit@5"
        case mrr10 = "mrr@10"
    }

    /// Scores rankings (passage ids, best first), one per question.
    init(_ rankings: [[String]], _ questions: [Question]) {
        for (ranked, question) in zip(rankings, questions) {
            guard let position = ranked.prefix(10).firstIndex(where: { question.gold.contains($0) }) else { continue }
            mrr10 += 1 / Double(position + 1)
            if position == 0 { hit1 += 1 }
            if position < 5 { hit5 += 1 }
        }
        let n = Double(questions.count)
        hit1 /= n
        hit5 /= n
        mrr10 /= n
    }
}

/// Reciprocal rank fusion, as in the reference (`eval.py`: score 1/(k + rank), rank from 1, ties by first list order).
func fuse(_ lists: [(ids: [Int64], weight: Double)], k: Double, depth: Int) -> [Int64] {
    var scores: [Int64: Double] = [:]
    for list in lists {
        for (rank, id) in list.ids.prefix(depth).enumerated() { scores[id, default: 0] += list.weight / (k + Double(rank + 1)) }
    }
    return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
}

/// Exact nearest neighbours by dot product (unit vectors): the vector side without approximation.
struct ExactIndex: VectorSearchIndex {
    let vectors: [(Int64, [Float])]

    func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws {}
    func remove(chunkIDs: [Int64]) async throws {}
    func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch] {
        let scored = vectors.filter { allowed?.contains($0.0) ?? true }.map { id, v -> VectorMatch in
            var dot: Float = 0
            for i in 0..<min(v.count, query.count) { dot += v[i] * query[i] }
            return VectorMatch(chunkID: id, score: dot)
        }
        return Array(scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.chunkID < $1.chunkID }.prefix(limit))
    }
}

/// Serves precomputed question vectors (the same model's output) so the fusion sweep and the service share them.
struct PrecomputedEmbedder: Embedder {
    let base: LocalE5Embedder
    let cache: [String: [Float]]
    var modelIdentity: String { base.modelIdentity }
    var dimension: Int { base.dimension }

    func embed(_ texts: [String], role: EmbeddingRole) async throws -> [[Float]] {
        if role == .query, texts.allSatisfy({ cache[$0] != nil }) { return texts.map { cache[$0]! } }
        return try await base.embed(texts, role: role)
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: - Run

let options = Options(Array(CommandLine.arguments.dropFirst()))
if let root = options.database {
    guard let out = options.rankingsOut else { fail("--database needs --rankings-out FILE") }
    try await scoreDatabase(
        root: URL(fileURLWithPath: root),
        queriesPath: options.queries,
        modelPath: options.model,
        threads: options.threads,
        out: out
    )
    exit(0)
}
let passages = readJSONLines(options.corpus).compactMap { row -> Passage? in
    guard let id = row["id"] as? String, let text = row["text"] as? String else { return nil }
    return Passage(id: id, text: text)
}
let questions = readJSONLines(options.queries).compactMap { row -> Question? in
    guard let id = row["id"] as? String, let text = row["text"] as? String, let gold = row["gold"] as? [String] else { return nil }
    return Question(id: id, text: text, gold: Set(gold))
}
guard !passages.isEmpty, !questions.isEmpty else { fail("no passages or no questions") }
note("\(passages.count) passages, \(questions.count) questions (\(options.dataset))")

let root = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-retrieval-\(UUID().uuidString)", isDirectory: true)
let directory = DataDirectory(root: root)
try FileManager.default.createDirectory(at: directory.index, withIntermediateDirectories: true)
let database = try AppDatabase.open(at: directory.database)

// Index: one document per passage, one chunk per document (passages average ~120 words, like one product chunk).
let clock = ContinuousClock()
var passageOfChunk: [Int64: String] = [:]
var chunkOfPassage: [String: Int64] = [:]
let indexStart = clock.now
for (ordinal, passage) in passages.enumerated() {
    let upload = try await database.registerUpload(
        filename: "\(passage.id).txt",
        sha256: "retrieval-score-\(ordinal)-\(passage.id)",
        bytes: Int64(passage.text.utf8.count),
        format: "text",
        sealedPassword: nil,
        agentName: nil
    )
    let words = passage.text.split(whereSeparator: \.isWhitespace).count
    let stored = try await database.replaceChunks(
        documentID: upload.document.id!,
        with: [NewChunk(text: passage.text, section: "", pageStart: nil, pageEnd: nil, tokenCount: words)]
    ).stored
    passageOfChunk[stored[0].id!] = passage.id
    chunkOfPassage[passage.id] = stored[0].id!
}
let keywordIndexSeconds = seconds(clock.now - indexStart)

@MainActor func passageIDs(_ chunkIDs: [Int64]) -> [String] { chunkIDs.compactMap { passageOfChunk[$0] } }

// Keyword-only.
let listDepth = 100
var keywordLists: [[Int64]] = []
var keywordTimes: [Double] = []
for question in questions {
    let start = clock.now
    let hits = try database.searchChunks(question.text, limit: listDepth)
    keywordTimes.append(seconds(clock.now - start) * 1000)
    keywordLists.append(hits.map(\.chunkID))
}
let keywordScores = Scores(keywordLists.map(passageIDs), questions)
note(String(format: "keyword: hit@1 %.3f hit@5 %.3f MRR@10 %.3f", keywordScores.hit1, keywordScores.hit5, keywordScores.mrr10))

struct Row {
    var method: String
    var scores: Scores
    var note: String
}
var rows = [Row(method: "keyword (FTS5 BM25, Snowball pt stems)", scores: keywordScores, note: "AppDatabase.searchChunks")]
var extra: [String: Any] = [
    "keyword_index_seconds": keywordIndexSeconds,
    "keyword_query_ms_median": median(keywordTimes),
]
var denseScores: Scores?
var hybridScores: Scores?
var exactHybridScores: Scores?
var sweep: [[String: Any]] = []
var fusionSettings: [String: Any] = [:]

if !options.keywordOnly {
    let embedder: LocalE5Embedder
    do {
        embedder = try LocalE5Embedder(modelFile: URL(fileURLWithPath: options.model), threads: options.threads)
    } catch {
        fail("\(error) (fetch it with `bash scripts/fetch-model.sh balcao-data/models`)")
    }
    note("embedding \(passages.count) passages with \(embedder.modelIdentity) (\(LocalE5Embedder.kernelImplementation), \(options.threads) threads)")
    var start = clock.now
    let passageVectors = embedder.embedBlocking(passages.map(\.text), role: .passage, threads: options.threads)
    let passageSeconds = seconds(clock.now - start)
    try await database.storeVectors(
        zip(passages, passageVectors).map { (chunkID: chunkOfPassage[$0.id]!, vector: $1) },
        model: embedder.modelIdentity
    )
    note("embedding \(questions.count) questions")
    start = clock.now
    let questionVectors = embedder.embedBlocking(questions.map(\.text), role: .query, threads: options.threads)
    let questionSeconds = seconds(clock.now - start)
    extra["passages_per_s_wall"] = Double(passages.count) / passageSeconds
    extra["questions_per_s_wall"] = Double(questions.count) / questionSeconds

    // Dense-only, exact: every stored vector, dot product.
    let stored = try database.vectors(after: 0)
    var denseLists: [[Int64]] = []
    for q in questionVectors {
        let scored = stored.map { v -> (Int64, Float) in
            var dot: Float = 0
            for i in 0..<q.count { dot += q[i] * v.vector[i] }
            return (v.chunkID, dot)
        }
        denseLists.append(scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(listDepth).map(\.0))
    }
    let dense = Scores(denseLists.map(passageIDs), questions)
    denseScores = dense
    rows.append(Row(method: "dense (e5-small, exact)", scores: dense, note: "LocalE5Embedder, dot product over stored vectors"))

    // Dense through the daemon's HNSW index.
    let logger = Logger(label: "retrieval-score")
    let index = try HNSWChunkIndex(
        database: database,
        directory: directory,
        modelIdentity: embedder.modelIdentity,
        dimension: embedder.dimension,
        logger: logger
    )
    var hnswLists: [[Int64]] = []
    for q in questionVectors {
        hnswLists.append(try await index.nearest(to: q, limit: listDepth, among: nil).map(\.chunkID))
    }
    let hnsw = Scores(hnswLists.map(passageIDs), questions)
    rows.append(Row(method: "dense (e5-small, HNSW)", scores: hnsw, note: "HNSWChunkIndex.nearest"))

    // Diagnostic: recall@10 of the HNSW lists against the exact ones, for the daemon's index and for graphs built here
    // with the same settings on one thread (float16 and float32 storage).
    func recallAt10(_ lists: [[Int64]]) -> Double {
        let found = zip(lists, denseLists).map { Set($0.prefix(10)).intersection($1.prefix(10)).count }.reduce(0, +)
        return Double(found) / Double(10 * questions.count)
    }
    var recall: [String: Double] = ["HNSWChunkIndex": recallAt10(hnswLists)]
    for (storage, threads) in [(VectorStorage.float16, 1), (.float16, 2), (.float32, 1), (.float32, 2)] {
        let name = "HNSWIndex \(storage == .float16 ? "float16" : "float32"), \(threads) build thread\(threads == 1 ? "" : "s")"
        let graph = try HNSWIndex(dimension: embedder.dimension, metric: .cosine, storage: storage, m: 16, efConstruction: 200, efSearch: 96)
        try graph.addBatch(stored.map { (id: $0.chunkID, vector: $0.vector) }, threads: threads)
        recall[name] = recallAt10(try questionVectors.map { try graph.search($0, k: listDepth, ef: max(96, 2 * listDepth)).map(\.id) })
    }
    extra["hnsw_recall_at_10_vs_exact"] = recall
    note("HNSW recall@10 vs exact: \(recall.map { "\($0.key) \(f3($0.value))" }.sorted().joined(separator: ", "))")

    // Hybrid: the product's SearchService with its defaults.
    let cache = Dictionary(zip(questions.map(\.text), questionVectors), uniquingKeysWith: { first, _ in first })
    let service = SearchService(
        database: database,
        embedder: PrecomputedEmbedder(base: embedder, cache: cache),
        vectorIndex: index
    )
    var hybridLists: [[Int64]] = []
    var hybridTimes: [Double] = []
    for question in questions {
        let start = clock.now
        // A result's other sources (the same text in another passage) rank with it, as the API scorer counts them.
        hybridLists.append(try await service.search(question.text, limit: 10).flatMap { [$0.chunkID] + $0.alsoIn.map(\.chunkID) })
        hybridTimes.append(seconds(clock.now - start) * 1000)
    }
    let hybrid = Scores(hybridLists.map(passageIDs), questions)
    hybridScores = hybrid
    if let out = options.rankingsOut {
        let rankings = Dictionary(zip(questions.map(\.id), hybridLists.map(passageIDs)), uniquingKeysWith: { first, _ in first })
        try JSONSerialization.data(withJSONObject: ["rankings": ["hybrid": rankings]]).write(to: URL(fileURLWithPath: out))
    }
    rows.append(
        Row(
            method: "hybrid (SearchService, HNSWChunkIndex)",
            scores: hybrid,
            note: "the daemon's configuration: RRF of keyword and HNSW lists, service defaults"
        )
    )

    // The same service over an exact vector index: the fusion without the HNSW approximation.
    let exactService = SearchService(
        database: database,
        embedder: PrecomputedEmbedder(base: embedder, cache: cache),
        vectorIndex: ExactIndex(vectors: stored.map { ($0.chunkID, $0.vector) })
    )
    var exactHybridLists: [[Int64]] = []
    for question in questions {
        exactHybridLists.append(try await exactService.search(question.text, limit: 10).flatMap { [$0.chunkID] + $0.alsoIn.map(\.chunkID) })
    }
    let exactHybrid = Scores(exactHybridLists.map(passageIDs), questions)
    exactHybridScores = exactHybrid
    rows.append(
        Row(method: "hybrid (SearchService, exact vector search)", scores: exactHybrid, note: "service defaults over an exact dot-product index")
    )
    extra["hybrid_query_ms_median_without_embedding"] = median(hybridTimes)
    fusionSettings = [
        "k": service.fusionK, "keyword_weight": service.keywordWeight, "vector_weight": 1.0,
        "depth_for_limit_10": service.fusionDepth(forLimit: 10),
    ]

    // The reference's fusion (k 60, top 100 of each list, equal weights) and a sweep around it.
    func fused(k: Double, depth: Int, keywordWeight: Double) -> Scores {
        let lists = zip(keywordLists, denseLists).map { keyword, dense in
            fuse([(keyword, keywordWeight), (dense, 1)], k: k, depth: depth)
        }
        return Scores(lists.map(passageIDs), questions)
    }
    let reference = fused(k: 60, depth: 100, keywordWeight: 1)
    rows.append(Row(method: "hybrid (reference RRF: k 60, depth 100, equal weights)", scores: reference, note: "eval.py's fusion"))
    for k in [5.0, 10, 20, 30, 60] {
        for depth in [20, 40, 100] {
            for weight in [1.0, 1.25, 1.5, 2.0] {
                let s = fused(k: k, depth: depth, keywordWeight: weight)
                sweep.append(["k": k, "depth": depth, "keyword_weight": weight, "hit@1": s.hit1, "hit@5": s.hit5, "mrr@10": s.mrr10])
            }
        }
    }
}

// MARK: - Report

let referenceFigures: [String: [String: Double]] = [
    "keyword": ["hit@1": 0.817, "hit@5": 0.962, "mrr@10": 0.880],
    "dense": ["hit@1": 0.718, "hit@5": 0.929, "mrr@10": 0.807],
    "hybrid": ["hit@1": 0.791, "hit@5": 0.976, "mrr@10": 0.872],
]

print("")
print("Retrieval on \(options.dataset): \(passages.count) passages, \(questions.count) questions")
print("")
print("| method | hit@1 | hit@5 | MRR@10 |")
print("|---|---|---|---|")
for row in rows {
    print("| \(row.method) | \(f3(row.scores.hit1)) | \(f3(row.scores.hit5)) | \(f3(row.scores.mrr10)) |")
}
let isFaQuAD = options.dataset == "faquad"
if isFaQuAD {
    print("")
    print("Reference (eval.py, Python): BM25+stop+stem .817 / .962 / .880; e5-small .718 / .929 / .807; RRF .791 / .976 / .872")
}

// The goals (issues 4 and 5) are FaQuAD's; other data sets get figures only.
var goals: [[String: Any]] =
    !isFaQuAD
    ? []
    : [
        [
            "goal": "keyword-only hit@5 vs BM25+stem reference (>=)", "measured": keywordScores.hit5, "target": 0.962,
            "met": keywordScores.hit5 >= 0.962 - 1e-9,
        ],
        [
            "goal": "keyword-only MRR@10 vs BM25+stem reference (>=)", "measured": keywordScores.mrr10, "target": 0.880,
            "met": keywordScores.mrr10 >= 0.880 - 1e-9,
        ],
    ]
if isFaQuAD, let dense = denseScores, let hybrid = hybridScores {
    goals.append([
        "goal": "dense-only MRR@10 = 0.807 +/- 0.005 (Swift embedder vs reference)", "measured": dense.mrr10, "target": 0.807,
        "met": abs(dense.mrr10 - 0.807) <= 0.005,
    ])
    goals.append([
        "goal": "hybrid hit@5 >= 0.975 (SearchService + HNSWChunkIndex, as the daemon runs)", "measured": hybrid.hit5, "target": 0.975,
        "met": hybrid.hit5 >= 0.975,
    ])
    goals.append([
        "goal": "hybrid MRR@10 >= 0.88 (SearchService + HNSWChunkIndex, as the daemon runs)", "measured": hybrid.mrr10, "target": 0.88,
        "met": hybrid.mrr10 >= 0.88,
    ])
    if let exact = exactHybridScores {
        goals.append([
            "goal": "hybrid hit@5 >= 0.975 (SearchService + exact vector search)", "measured": exact.hit5, "target": 0.975,
            "met": exact.hit5 >= 0.975,
        ])
        goals.append([
            "goal": "hybrid MRR@10 >= 0.88 (SearchService + exact vector search)", "measured": exact.mrr10, "target": 0.88,
            "met": exact.mrr10 >= 0.88,
        ])
    }
}
if !goals.isEmpty {
    print("")
    print("| goal | measured | target | met |")
    print("|---|---|---|---|")
}
for goal in goals {
    let met = (goal["met"] as? Bool) == true ? "yes" : "NO"
    print("| \(goal["goal"] as? String ?? "") | \(f3(goal["measured"] as? Double ?? 0)) | \(f3(goal["target"] as? Double ?? 0)) | \(met) |")
}
if !sweep.isEmpty {
    func figure(_ s: [String: Any], _ key: String) -> Double { s[key] as? Double ?? 0 }
    let best = sweep.sorted { figure($0, "mrr@10") > figure($1, "mrr@10") }.filter { figure($0, "hit@5") >= 0.975 }
    print("")
    print("Fusion sweep over the same lists (top 5 by MRR@10 among settings with hit@5 >= 0.975):")
    for s in best.prefix(5) {
        let k = s["k"] as? Double ?? 0
        let depth = s["depth"] as? Int ?? 0
        let weight = s["keyword_weight"] as? Double ?? 0
        print(
            "  k \(Int(k)) depth \(depth) keyword weight \(weight): hit@1 \(f3(s["hit@1"] as? Double ?? 0)) hit@5 \(f3(s["hit@5"] as? Double ?? 0)) MRR@10 \(f3(s["mrr@10"] as? Double ?? 0))"
        )
    }
}

if let out = options.out {
    var methods: [String: Any] = [:]
    for row in rows {
        methods[row.method] = ["hit@1": row.scores.hit1, "hit@5": row.scores.hit5, "mrr@10": row.scores.mrr10, "how": row.note]
    }
    let document: [String: Any] = [
        "benchmark": "retrieval",
        "dataset": options.dataset,
        "date": ISO8601DateFormatter().string(from: Date()),
        "machine": ["cpus": ProcessInfo.processInfo.activeProcessorCount],
        "passages": passages.count,
        "questions": questions.count,
        "methods": methods,
        "reference": isFaQuAD ? referenceFigures : [:],
        "fusion": fusionSettings,
        "fusion_sweep": sweep,
        "timing": extra,
        "goals": goals,
    ]
    let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    let url = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
    note("wrote \(out)")
}
try? FileManager.default.removeItem(at: root)
