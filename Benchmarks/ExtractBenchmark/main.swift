// ExtractBenchmark: runs Balcão's extractor over the shared corpus.
//
//   ExtractBenchmark score --corpus DIR --out FILE.json   per-file/page text, errors and timings (scored by scripts/extract/score.py)
//   ExtractBenchmark bench --corpus DIR [--runs N]        PDF timings vs pdftotext on the non-hostile corpus PDFs (JSON)
//   ExtractBenchmark dump FILE [--password P]             print the blocks of one file
import Extraction
import Foundation

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func option(_ name: String, in args: [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func errorKind(_ error: ExtractionError) -> String { error.kind }

func loadManifest(_ corpus: URL) -> [[String: Any]] {
    guard let data = try? Data(contentsOf: corpus.appendingPathComponent("manifest.json")),
        let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else { fail("cannot read manifest.json in \(corpus.path)") }
    return list
}

func pagesText(_ doc: ExtractedDocument) -> [String] {
    guard let count = doc.pageCount, doc.format == .pdf else { return [doc.plainText] }
    var pages = Array(repeating: [String](), count: count)
    for block in doc.blocks {
        let p = max(1, min(count, block.page ?? 1)) - 1
        pages[p].append(block.text)
    }
    return pages.map { $0.joined(separator: "\n\n") }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func runOne(_ extractor: DocumentExtractor, _ url: URL, password: String?) -> [String: Any] {
    let t0 = now()
    do {
        let doc = try extractor.extract(fileAt: url, password: password)
        return [
            "ok": true, "seconds": now() - t0, "pages": pagesText(doc), "page_count": doc.pageCount ?? 0,
            "warnings": doc.warnings, "format": doc.format.rawValue,
            "kinds": doc.blocks.map { "\($0.kind)" },
        ]
    } catch {
        return ["ok": false, "seconds": now() - t0, "error": errorKind(error), "reason": error.reason]
    }
}

func score(_ args: [String]) {
    guard let corpusPath = option("--corpus", in: args), let out = option("--out", in: args) else {
        fail("usage: ExtractBenchmark score --corpus DIR --out FILE")
    }
    let corpus = URL(fileURLWithPath: corpusPath)
    let extractor = DocumentExtractor()
    var results: [String: Any] = [:]
    for entry in loadManifest(corpus) {
        guard let file = entry["file"] as? String else { continue }
        let url = corpus.appendingPathComponent(file)
        var record: [String: Any] = ["nopw": runOne(extractor, url, password: nil)]
        if let password = entry["password"] as? String {
            record["pw"] = runOne(extractor, url, password: password)
            record["wrongpw"] = runOne(extractor, url, password: password + "-wrong")
        }
        if entry["kind"] as? String == "txt", let data = try? Data(contentsOf: url) {
            let t0 = now()
            let decoded = DocumentExtractor.decodeText(data)
            record["decoded"] = ["text": decoded.text, "encoding": decoded.encoding, "seconds": now() - t0]
        }
        results[file] = record
        FileHandle.standardError.write(Data("\(file)\n".utf8))
    }
    guard let json = try? JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]) else { fail("json") }
    do { try json.write(to: URL(fileURLWithPath: out)) } catch { fail("cannot write \(out)") }
}

/// Runs `pdftotext -enc UTF-8 FILE -` and reads its output (as measure.py does); returns the page count or nil.
/// Spawned with posix_spawn directly: Foundation's Process adds tens of milliseconds per launch on Linux,
/// which would flatter Balcão.
func runPdftotext(_ executable: URL, _ url: URL) -> Int? {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = [executable.path, "-enc", "UTF-8", url.path, "-"]
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable.path, &actions, nil, &cArgs, environ)
    close(fds[1])
    guard rc == 0 else {
        close(fds[0])
        return nil
    }
    var formFeeds = 0
    var lastByte: UInt8 = 0x0C
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 65_536) }
        if n <= 0 { break }
        for k in 0..<n where buffer[k] == 0x0C { formFeeds += 1 }
        lastByte = buffer[n - 1]
    }
    close(fds[0])
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    lastChildCPU = seconds(usage.ru_utime) + seconds(usage.ru_stime)
    guard status == 0 else { return nil }
    return formFeeds + (lastByte == 0x0C ? 0 : 1)
}

nonisolated(unsafe) var lastChildCPU = 0.0

func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

/// CPU time (user + system) of this process so far, all threads.
func processCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func findExecutable(_ name: String) -> URL? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
}

/// Times Balcão's extraction and pdftotext on each non-hostile corpus PDF, alternating the two in every round so
/// that load from other processes hits both alike; keeps the best time of each.
func bench(_ args: [String]) {
    guard let corpusPath = option("--corpus", in: args) else { fail("usage: ExtractBenchmark bench --corpus DIR") }
    let runs = Int(option("--runs", in: args) ?? "3") ?? 3
    let corpus = URL(fileURLWithPath: corpusPath)
    guard let pdftotext = findExecutable("pdftotext") else { fail("pdftotext not found (apt-get install poppler-utils)") }
    let extractor = DocumentExtractor()
    var files: [String] = []
    for entry in loadManifest(corpus) where entry["kind"] as? String == "pdf" && entry["hostile"] == nil {
        if let file = entry["file"] as? String { files.append(file) }
    }
    var perFile: [[String: Any]] = []
    for file in files {
        let url = corpus.appendingPathComponent(file)
        var best = Double.infinity
        var bestTool = Double.infinity
        var bestCPU = Double.infinity
        var bestToolCPU = Double.infinity
        var pages = 0
        var toolPages: Int? = nil
        var status = "ok"
        for _ in 0..<runs {
            let t0 = now()
            let c0 = processCPU()
            do {
                let doc = try extractor.extract(fileAt: url)
                pages = doc.pageCount ?? 0
            } catch {
                status = errorKind(error)
                pages = 0
            }
            best = min(best, now() - t0)
            bestCPU = min(bestCPU, processCPU() - c0)
            let t1 = now()
            toolPages = runPdftotext(pdftotext, url)
            bestTool = min(bestTool, now() - t1)
            bestToolCPU = min(bestToolCPU, lastChildCPU)
        }
        var row: [String: Any] = [
            "file": file, "pages": pages, "balcao_s": best, "balcao_cpu_s": bestCPU,
            "pdftotext_cpu_s": bestToolCPU, "balcao_status": status,
        ]
        row["pdftotext_s"] = toolPages == nil ? NSNull() : bestTool
        row["pdftotext_pages"] = toolPages ?? NSNull()
        perFile.append(row)
        FileHandle.standardError.write(Data("\(file)\n".utf8))
    }
    let result: [String: Any] = ["runs": runs, "files": perFile]
    guard let json = try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]) else { fail("json") }
    print(String(decoding: json, as: UTF8.self))
}

func dump(_ args: [String]) {
    guard args.count >= 3 else { fail("usage: ExtractBenchmark dump FILE [--password P]") }
    let url = URL(fileURLWithPath: args[2])
    do {
        let doc = try DocumentExtractor().extract(fileAt: url, password: option("--password", in: args))
        print("format=\(doc.format) pages=\(doc.pageCount.map(String.init) ?? "-") blocks=\(doc.blocks.count)")
        for w in doc.warnings { print("warning: \(w)") }
        for b in doc.blocks { print("[p\(b.page.map(String.init) ?? "-") \(b.kind)] \(b.text)") }
    } catch {
        print("error \(errorKind(error)): \(error.reason)")
        exit(1)
    }
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "score": score(args)
case "bench": bench(args)
case "dump": dump(args)
default: fail("usage: ExtractBenchmark score|bench|dump …")
}
