import BalcaoTesting
import Embedding
import Foundation
import Testing

/// A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings wire format (Fixtures/fake_openai_embeddings.py).
final class FakeOpenAIServer {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    let port: Int
    let logFile: URL

    init() throws {
        let script = Bundle.module.url(forResource: "fake_openai_embeddings", withExtension: "py", subdirectory: "Fixtures")!
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString).json")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, logFile.path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = ""
        let deadline = Date().addingTimeInterval(20)
        while !line.contains("\n") && Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw FakeServerError.didNotStart(line)
        }
        self.port = port
    }

    enum FakeServerError: Error { case didNotStart(String) }

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// The requests the server saw: (model, number of inputs, Authorization header).
    func requests() -> [(model: String, count: Int, auth: String?)] {
        guard let data = try? Data(contentsOf: logFile),
            let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return rows.map { ($0["model"] as? String ?? "", $0["count"] as? Int ?? -1, $0["auth"] as? String) }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logFile)
    }
}

@Suite("OpenAICompatibleEmbedder over real HTTP")
struct OpenAICompatibleEmbedderTests {
    func config(
        _ server: FakeOpenAIServer,
        model: String = "text-embedding-test",
        key: String? = "test-key"
    ) -> OpenAICompatibleEmbedder.Configuration {
        .init(baseURL: server.baseURL, apiKey: key, model: model, dimension: 3, batchSize: 4, maxRetries: 4, initialBackoff: .milliseconds(5))
    }

    @Test("batches, orders by index, sends the key and normalizes")
    func batches() async throws {
        let server = try FakeOpenAIServer()
        let embedder = OpenAICompatibleEmbedder(configuration: config(server))
        let texts = (1...10).map { String(repeating: "x", count: $0) }
        let vectors = try await embedder.embed(texts, role: .passage)
        #expect(vectors.count == 10)
        for (i, v) in vectors.enumerated() {
            let raw: [Float] = [Float(i + 1), 3, 4]
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(zip(v, raw).allSatisfy { abs($0 - $1 / norm) < 1e-6 }, "vector \(i): \(v)")
        }
        let log = server.requests()
        #expect(log.map(\.count) == [4, 4, 2])
        #expect(log.allSatisfy { $0.auth == "Bearer test-key" && $0.model == "text-embedding-test" })
        #expect(embedder.modelIdentity == "openai:text-embedding-test")
        #expect(embedder.dimension == 3)
    }

    @Test("role prefixes are applied")
    func prefixes() async throws {
        let server = try FakeOpenAIServer()
        var c = config(server)
        c.queryPrefix = "query: "
        let v = try await OpenAICompatibleEmbedder(configuration: c).embed(["ab"], role: .query)[0]
        let raw: [Float] = [9, 3, 4]
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(v[0] - 9 / norm) < 1e-6)
    }

    @Test("429 and 5xx are retried with backoff")
    func retries() async throws {
        let server = try FakeOpenAIServer()
        let embedder = OpenAICompatibleEmbedder(configuration: config(server, model: "flaky-3"))
        let vectors = try await embedder.embed(["a", "b"], role: .query)
        #expect(vectors.count == 2)
        #expect(server.requests().count == 4)
    }

    @Test("retries give up after maxRetries")
    func givesUp() async throws {
        let server = try FakeOpenAIServer()
        var c = config(server, model: "broken")
        c.maxRetries = 2
        await #expect(throws: OpenAIEmbeddingError.self) { try await OpenAICompatibleEmbedder(configuration: c).embed(["a"], role: .query) }
        #expect(server.requests().count == 3)
    }

    @Test("other client errors are not retried")
    func noRetryOn4xx() async throws {
        let server = try FakeOpenAIServer()
        do {
            _ = try await OpenAICompatibleEmbedder(configuration: config(server, model: "bad-request")).embed(["a"], role: .query)
            Issue.record("expected an error")
        } catch let error as OpenAIEmbeddingError {
            guard case .http(let status, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(status == 400)
        }
        do {
            _ = try await OpenAICompatibleEmbedder(configuration: config(server, key: "wrong")).embed(["a"], role: .query)
            Issue.record("expected an error")
        } catch let error as OpenAIEmbeddingError {
            guard case .http(let status, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(status == 401)
        }
        #expect(server.requests().count == 2)
    }

    @Test("discover learns the dimension; a mismatch is an error")
    func dimension() async throws {
        let server = try FakeOpenAIServer()
        var c = config(server)
        c.dimension = 0
        let discovered = try await OpenAICompatibleEmbedder.discover(c)
        #expect(discovered.dimension == 3)
        let learning = OpenAICompatibleEmbedder(configuration: c)
        #expect(learning.dimension == 0)
        _ = try await learning.embed(["a"], role: .passage)
        #expect(learning.dimension == 3)
        c.dimension = 5
        await #expect(throws: OpenAIEmbeddingError.dimensionMismatch(expected: 5, got: 3)) {
            try await OpenAICompatibleEmbedder(configuration: c).embed(["a"], role: .passage)
        }
    }

    @Test("an unreachable server is a transport error after retries, noticed at once rather than after the request timeout")
    func unreachable() async throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let c = OpenAICompatibleEmbedder.Configuration(
            baseURL: refusing.baseURL + "/v1",
            model: "m",
            dimension: 3,
            maxRetries: 1,
            initialBackoff: .milliseconds(1),
            requestTimeout: .seconds(180)
        )
        // Noticed at once (milliseconds), not after waiting out each attempt's 180 s timeout; a wide bound, because a
        // loaded CI machine can resume this task many seconds late.
        let started = ContinuousClock.now
        defer { #expect(ContinuousClock.now - started < .seconds(90)) }
        do {
            _ = try await OpenAICompatibleEmbedder(configuration: c).embed(["a"], role: .query)
            Issue.record("expected an error")
        } catch let error as OpenAIEmbeddingError {
            guard case .transport = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }
}
