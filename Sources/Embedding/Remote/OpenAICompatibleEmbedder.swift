public import AsyncHTTPClient
import Foundation
public import Logging
import Synchronization

/// Embeddings from an OpenAI-compatible HTTP API (OpenAI, Ollama's `/v1`, vLLM, LocalAI, …).
///
/// Sends `POST {baseURL}/embeddings` with `{"model": …, "input": [...]}` in batches of ``Configuration/batchSize``,
/// reads `data[i].embedding` (ordered by `index`), and L2-normalizes every vector. 429 and 5xx answers and
/// connection failures are retried with exponential backoff (honouring `Retry-After`); other errors are thrown.
public struct OpenAICompatibleEmbedder: Embedder {
    /// Where and how to call the API.
    public struct Configuration: Sendable {
        /// The API root including its version path, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
        public var baseURL: String
        /// Sent as `Authorization: Bearer <apiKey>` when set.
        public var apiKey: String?
        /// The `model` field of the request.
        public var model: String
        /// The vectors' length; every answer is checked against it. 0 means "learn it from the first answer" (after which
        /// ``OpenAICompatibleEmbedder/dimension`` reports it); ``OpenAICompatibleEmbedder/discover(_:httpClient:)`` asks up front.
        public var dimension: Int
        /// Texts per request.
        public var batchSize: Int
        /// Retries after the first attempt for 429, 5xx and connection errors.
        public var maxRetries: Int
        /// The first retry's delay; doubled for each further retry (with jitter), capped at 30 s.
        public var initialBackoff: Duration
        /// Deadline of one HTTP request.
        public var requestTimeout: Duration
        /// Prepended to texts in the query role (e.g. `query: ` for an E5 model served remotely; empty for OpenAI's).
        public var queryPrefix: String
        /// Prepended to texts in the passage role.
        public var passagePrefix: String

        /// A configuration with defaults: batches of 64, 4 retries from 0.5 s, 60 s per request, no prefixes.
        public init(
            baseURL: String,
            apiKey: String? = nil,
            model: String,
            dimension: Int,
            batchSize: Int = 64,
            maxRetries: Int = 4,
            initialBackoff: Duration = .milliseconds(500),
            requestTimeout: Duration = .seconds(60),
            queryPrefix: String = "",
            passagePrefix: String = ""
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.dimension = dimension
            self.batchSize = max(1, batchSize)
            self.maxRetries = max(0, maxRetries)
            self.initialBackoff = initialBackoff
            self.requestTimeout = requestTimeout
            self.queryPrefix = queryPrefix
            self.passagePrefix = passagePrefix
        }
    }

    /// `openai:<model>`.
    public var modelIdentity: String { "openai:\(configuration.model)" }
    /// The configured vector length, or the one learned from the first answer when configured as 0 (0 until then).
    public var dimension: Int { configuration.dimension > 0 ? configuration.dimension : learned.withLock { $0 } }
    /// The configuration in use.
    public let configuration: Configuration
    private let httpClient: HTTPClient
    private let logger: Logger
    private let learned = LearnedDimension()

    /// Creates an embedder using `httpClient` (default: ``sharedHTTPClient``).
    public init(
        configuration: Configuration,
        httpClient: HTTPClient = Self.sharedHTTPClient,
        logger: Logger = Logger(label: "balcao.embedding.openai")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Asks the API for one vector to learn its dimension, and returns an embedder configured with it.
    public static func discover(
        _ configuration: Configuration,
        httpClient: HTTPClient = Self.sharedHTTPClient
    ) async throws -> OpenAICompatibleEmbedder {
        var probe = configuration
        probe.dimension = 0
        let vectors = try await OpenAICompatibleEmbedder(configuration: probe, httpClient: httpClient).request(["dimension probe"])
        var config = configuration
        config.dimension = vectors[0].count
        return OpenAICompatibleEmbedder(configuration: config, httpClient: httpClient)
    }

    /// Embeds texts in batches; one unit vector per text, in order.
    public func embed(_ texts: [String], role: EmbeddingRole) async throws -> [[Float]] {
        let prefix = role == .query ? configuration.queryPrefix : configuration.passagePrefix
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(start + configuration.batchSize, texts.count)
            // Some servers reject empty strings; a single space embeds as "nothing" everywhere.
            let batch = texts[start..<end].map { t in
                let s = prefix + t
                return s.isEmpty ? " " : s
            }
            out.append(contentsOf: try await request(batch))
            start = end
        }
        return out
    }

    /// A process-wide `HTTPClient` on which a refused or failed connection fails the attempt at once, so that a server
    /// that is down costs the retries' backoff, not ``Configuration/requestTimeout`` per attempt spent reconnecting
    /// inside the connection pool (`HTTPClient.shared`'s behaviour). Lives as long as the process; never shut it down.
    public static var sharedHTTPClient: HTTPClient { embeddingHTTPClient }

    private struct RequestBody: Encodable {
        let model: String
        let input: [String]
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            let embedding: [Float]
            let index: Int?
        }
        let data: [Item]
    }

    private func request(_ batch: [String]) async throws -> [[Float]] {
        let url = configuration.baseURL.hasSuffix("/") ? configuration.baseURL + "embeddings" : configuration.baseURL + "/embeddings"
        let body = try JSONEncoder().encode(RequestBody(model: configuration.model, input: batch))
        var attempt = 0
        while true {
            try Task.checkCancellation()
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json")
            if let key = configuration.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            request.body = .bytes(Array(body))
            var retryAfter: Duration?
            var failure = OpenAIEmbeddingError.transport("no attempt")
            do {
                let timeout = configuration.requestTimeout.components
                let response = try await httpClient.execute(
                    request,
                    timeout: .milliseconds(timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000)
                )
                var bytes: [UInt8] = []
                for try await chunk in response.body {
                    bytes.append(contentsOf: chunk.readableBytesView)
                    if bytes.count > 256 << 20 { throw OpenAIEmbeddingError.invalidResponse("response larger than 256 MiB") }
                }
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    return try decode(bytes, expected: batch.count)
                }
                let text = String(decoding: bytes.prefix(500), as: UTF8.self)
                failure = .http(status: status, body: text)
                guard status == 429 || status >= 500 else { throw failure }
                if let value = response.headers.first(name: "Retry-After"), let seconds = Double(value), seconds >= 0 {
                    retryAfter = .milliseconds(Int(min(seconds, 30) * 1000))
                }
            } catch let error as OpenAIEmbeddingError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failure = .transport("\(error)")
            }
            guard attempt < configuration.maxRetries else { throw failure }
            let backoff = min(configuration.initialBackoff * (1 << min(attempt, 16)), .seconds(30))
            let jittered = backoff * Double.random(in: 0.8...1.2)
            let delay = max(retryAfter ?? .zero, jittered)
            logger.warning("embedding request failed, retrying", metadata: ["error": "\(failure)", "attempt": "\(attempt + 1)", "delay": "\(delay)"])
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }

    private func decode(_ bytes: [UInt8], expected: Int) throws -> [[Float]] {
        let parsed: ResponseBody
        do {
            parsed = try JSONDecoder().decode(ResponseBody.self, from: Data(bytes))
        } catch {
            throw OpenAIEmbeddingError.invalidResponse("cannot decode the answer: \(error)")
        }
        guard parsed.data.count == expected else {
            throw OpenAIEmbeddingError.invalidResponse("expected \(expected) embeddings, got \(parsed.data.count)")
        }
        let ordered = parsed.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return try ordered.map { item in
            let v = item.element.embedding
            let expected = dimension
            if expected > 0 && v.count != expected {
                throw OpenAIEmbeddingError.dimensionMismatch(expected: expected, got: v.count)
            }
            if expected == 0 { learned.withLock { if $0 == 0 { $0 = v.count } } }
            guard !v.isEmpty else { throw OpenAIEmbeddingError.invalidResponse("empty embedding") }
            return normalized(v)
        }
    }
}

/// Why a call to an OpenAI-compatible embeddings API failed.
public enum OpenAIEmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A non-2xx answer (after retries for 429/5xx).
    case http(status: Int, body: String)
    /// The connection failed (after retries).
    case transport(String)
    /// The answer was not the expected JSON.
    case invalidResponse(String)
    /// A vector had a different length than configured.
    case dimensionMismatch(expected: Int, got: Int)

    /// A message for logs.
    public var description: String {
        switch self {
        case .http(let status, let body): "embeddings API answered HTTP \(status): \(body)"
        case .transport(let message): "embeddings API unreachable: \(message)"
        case .invalidResponse(let message): "embeddings API gave an invalid answer: \(message)"
        case .dimensionMismatch(let expected, let got): "embeddings API returned \(got)-dimensional vectors, configured \(expected)"
        }
    }
}

/// The dimension an embedder configured with 0 learns from its first answer; shared by copies of the embedder.
private final class LearnedDimension: Sendable {
    private let value = Mutex(0)
    func withLock<R: Sendable>(_ body: (inout Int) -> R) -> R { value.withLock { body(&$0) } }
}

/// `v / ‖v‖` (a zero vector stays zero).
func normalized(_ v: [Float]) -> [Float] {
    var sum = 0.0
    for x in v { sum += Double(x) * Double(x) }
    guard sum > 0 else { return v }
    let inv = Float(1 / sum.squareRoot())
    return v.map { $0 * inv }
}

/// Created on first use; never deinitialized, so never needs (nor may have) `shutdown()`.
private let embeddingHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
    return HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: configuration,
        backgroundActivityLogger: Logger(label: "balcao.embedding.http")
    )
}()
