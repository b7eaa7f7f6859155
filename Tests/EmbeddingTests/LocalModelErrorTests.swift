import Embedding
import Foundation
import Testing

@Suite("LocalE5Embedder model file errors")
struct LocalModelErrorTests {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-embed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a missing file says how to fetch the model")
    func missing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("e5-small-q4.bin")
        #expect(throws: LocalModelError.missingModel(path: url.path)) { try LocalE5Embedder(modelFile: url) }
        do {
            _ = try LocalE5Embedder(modelFile: url)
        } catch {
            #expect(error.description.contains("scripts/fetch-model.sh"))
            #expect(error.description.contains("make run"))
        }
        #expect(LocalE5Embedder.findModel(in: [dir]) == nil)
        #expect(throws: LocalModelError.noModelFound(searched: [dir.path])) { try LocalE5Embedder.locateModel(in: [dir]) }
        #expect(LocalModelError.noModelFound(searched: [dir.path]).description.contains("fetch-model.sh"))
    }

    @Test("the default model is found in a list of directories, full vocabulary first")
    func locate() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("e5-small-enpt-q4.bin").path, contents: Data([1]))
        #expect(try LocalE5Embedder.locateModel(in: [URL(fileURLWithPath: "/nonexistent"), dir]).lastPathComponent == "e5-small-enpt-q4.bin")
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("e5-small-q4.bin").path, contents: Data([1]))
        #expect(try LocalE5Embedder.locateModel(in: [dir]).lastPathComponent == "e5-small-q4.bin")
    }

    @Test("a file that is not a model is reported corrupt")
    func garbage() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("e5-small-q4.bin")
        try Data("<html>404 Not Found</html>".utf8).write(to: url)
        expectCorrupt(url, mentioning: "magic")
        try Data().write(to: url)
        expectCorrupt(url, mentioning: "empty")
    }

    @Test("a truncated or damaged model file is reported corrupt")
    func damaged() throws {
        let source = TestSupport.modelDirectory.appendingPathComponent(E5ModelVariant.englishPortuguese.fileName)
        guard FileManager.default.fileExists(atPath: source.path) else {
            Issue.record("Model file missing at \(source.path): run `bash scripts/fetch-model.sh` (make test fetches it first).")
            return
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Data(contentsOf: source)
        let url = dir.appendingPathComponent(E5ModelVariant.englishPortuguese.fileName)

        try bytes.prefix(5_000_000).write(to: url)
        expectCorrupt(url, mentioning: "")

        // A good copy loads and leaves a verification sidecar.
        try bytes.write(to: url)
        let ok = try LocalE5Embedder(modelFile: url, threads: 1)
        #expect(ok.sha256 == E5ModelVariant.englishPortuguese.sha256)
        let sidecar = url.appendingPathExtension("verified")
        #expect(FileManager.default.fileExists(atPath: sidecar.path))
        #expect(try LocalE5Embedder(modelFile: url, threads: 1).modelIdentity == ok.modelIdentity)

        // One flipped bit in the weights, same size: the stale sidecar is not trusted and the checksum catches it.
        var damaged = bytes
        damaged[damaged.count - 1000] ^= 0x10
        try damaged.write(to: url)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 5)], ofItemAtPath: url.path)
        expectCorrupt(url, mentioning: "SHA-256")
    }

    func expectCorrupt(_ url: URL, mentioning word: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try LocalE5Embedder(modelFile: url, threads: 1)
            Issue.record("loading \(url.lastPathComponent) should fail", sourceLocation: sourceLocation)
        } catch {
            guard case .corruptModel = error else {
                Issue.record("expected corruptModel, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.description.contains("corrupt"), sourceLocation: sourceLocation)
            #expect(error.description.contains("fetch-model.sh"), sourceLocation: sourceLocation)
            if !word.isEmpty { #expect(error.description.contains(word), "\(error.description)", sourceLocation: sourceLocation) }
        }
    }
}
