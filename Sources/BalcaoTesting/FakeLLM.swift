import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fake OpenAI-compatible LLM server for tests: a real Hummingbird HTTP server on `127.0.0.1` with an OS-assigned
/// port, answering `POST /v1/chat/completions` in the OpenAI wire format (and `POST /v1/embeddings` with
/// ``FakeEmbeddings``' deterministic vectors, `GET /v1/models` with one model).
///
/// By default every request is answered with a fixed reply (``setReply(_:)``); a ``Responder`` closure can compute the
/// answer from the request instead. Failures are scripted with ``failNext(_:status:retryAfter:message:)``, one-off
/// answers with ``enqueue(_:)``, slowness with ``setDelay(_:)``. Every request is recorded (``requests``), failed ones
/// included, so tests can assert on the prompt that was sent.
///
/// ```swift
/// let llm = try await FakeLLM.start(reply: "Abrimos às 9h.")
/// defer { Task { await llm.stop() } }
/// llm.failNext(2, status: 500)
/// // point the client at llm.baseURL (ends in /v1)
/// ```
///
/// Speaks the wire format only: it does not depend on Balcão's `LLM` module.
public final class FakeLLM: Sendable {
    /// One chat message as the client sent it.
    public struct Message: Sendable, Hashable, Codable {
        /// `system`, `user` or `assistant`.
        public var role: String
        /// The message text (with content parts, the text parts joined).
        public var content: String
        /// The `image_url` parts' URLs, when the content was sent as parts.
        public var imageURLs: [String]

        /// A message.
        public init(role: String, content: String, imageURLs: [String] = []) {
            self.role = role
            self.content = content
            self.imageURLs = imageURLs
        }

        private enum CodingKeys: String, CodingKey { case role, content }
        private struct Part: Decodable {
            struct ImageURL: Decodable { let url: String }
            let type: String
            let text: String?
            let image_url: ImageURL?
        }

        /// `content` as OpenAI sends it: a string, or an array of `text` and `image_url` parts.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if let text = try? container.decode(String.self, forKey: .content) {
                content = text
                imageURLs = []
            } else {
                let parts = try container.decode([Part].self, forKey: .content)
                content = parts.compactMap { $0.type == "text" ? $0.text : nil }.joined()
                imageURLs = parts.compactMap { $0.type == "image_url" ? $0.image_url?.url : nil }
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(content, forKey: .content)
        }
    }

    /// A request the server received.
    public struct RecordedRequest: Sendable {
        /// The request path, e.g. `/v1/chat/completions`.
        public var path: String
        /// Request headers, names lowercased (the last value of a repeated header).
        public var headers: [String: String]
        /// The raw body bytes.
        public var body: [UInt8]

        /// The body as UTF-8 text.
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        /// The `Authorization` header, if any.
        public var authorization: String? { headers["authorization"] }
        /// The body's top-level JSON object (`nil` when it is not one).
        public var jsonObject: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
        /// The `model` field.
        public var model: String? { decoded?.model }
        /// The `messages` field (empty when absent or malformed).
        public var messages: [Message] { decoded?.messages ?? [] }
        /// The `temperature` field.
        public var temperature: Double? { decoded?.temperature }
        /// The `max_tokens` (or `max_completion_tokens`) field.
        public var maxTokens: Int? { decoded?.max_tokens ?? decoded?.max_completion_tokens }
        /// The `stream` field.
        public var stream: Bool? { decoded?.stream }

        struct Envelope: Decodable {
            let model: String?
            let messages: [Message]?
            let temperature: Double?
            let max_tokens: Int?
            let max_completion_tokens: Int?
            let stream: Bool?
        }
        var decoded: Envelope? { try? JSONDecoder().decode(Envelope.self, from: Data(body)) }
        /// Every message's content joined by blank lines (handy for `contains` assertions on the prompt).
        public var prompt: String { messages.map(\.content).joined(separator: "\n\n") }
    }

    /// An answer the server sends.
    public struct Reply: Sendable {
        /// HTTP status code.
        public var status: Int
        /// Extra response headers.
        public var headers: [String: String]
        /// The body bytes.
        public var body: [UInt8]
        /// How long to wait before sending it (added to the server-wide ``FakeLLM/setDelay(_:)``).
        public var delay: Duration

        /// An arbitrary answer.
        public init(status: Int, headers: [String: String] = [:], body: [UInt8], delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }

        /// The same answer, sent after `delay` (e.g. to make one attempt time out).
        public func delayed(by delay: Duration) -> Reply {
            var reply = self
            reply.delay = delay
            return reply
        }

        /// An arbitrary text body (e.g. malformed JSON) with status 200 by default.
        public static func raw(_ text: String, status: Int = 200, contentType: String = "application/json") -> Reply {
            Reply(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
        }

        /// A well-formed chat completion. `usage: nil` leaves the `usage` object out (some servers do).
        public static func completion(
            _ text: String,
            model: String = "fake-model",
            finishReason: String = "stop",
            usage: (prompt: Int, completion: Int)? = (10, 5)
        ) -> Reply {
            let body = Completion(
                id: "chatcmpl-fake-\(UUID().uuidString.prefix(8))",
                object: "chat.completion",
                created: Int(Date().timeIntervalSince1970),
                model: model,
                choices: [.init(index: 0, message: Message(role: "assistant", content: text), finish_reason: finishReason)],
                usage: usage.map {
                    .init(prompt_tokens: $0.prompt, completion_tokens: $0.completion, total_tokens: $0.prompt + $0.completion)
                }
            )
            // Encoded as a Codable value: JSONSerialization cost a benchmark's shared cores more than the daemon's turn.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(body)) ?? Data()
            return Reply(status: 200, headers: ["Content-Type": "application/json"], body: Array(data))
        }

        private struct Completion: Encodable {
            struct Choice: Encodable {
                let index: Int
                let message: Message
                let finish_reason: String
            }
            struct Usage: Encodable {
                let prompt_tokens: Int
                let completion_tokens: Int
                let total_tokens: Int
            }
            let id: String
            let object: String
            let created: Int
            let model: String
            let choices: [Choice]
            let usage: Usage?
        }

        /// An OpenAI-style error: `{"error": {"message", "type", "code"}}`, with `Retry-After` when given.
        public static func error(status: Int, message: String = "fake failure", retryAfter: String? = nil) -> Reply {
            let object: [String: Any] = ["error": ["message": message, "type": "fake_error", "code": status] as [String: Any]]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            var headers = ["Content-Type": "application/json"]
            if let retryAfter { headers["Retry-After"] = retryAfter }
            return Reply(status: status, headers: headers, body: Array(data))
        }
    }

    /// Computes the answer to a request (called for requests that no scripted failure or queued reply answers).
    public typealias Responder = @Sendable (RecordedRequest) async -> Reply

    private struct State {
        var reply = "Resposta de teste."
        var responder: Responder?
        var queue: [Reply] = []
        var delay: Duration = .zero
        var requests: [RecordedRequest] = []
        var embeddingDelay: Duration = .zero
        var embeddingRequests = 0
        var transcript = "Qual o prazo para devolução?"
        var transcriptionRequests: [RecordedRequest] = []
    }

    /// The state the request handler and the test share.
    private final class Shared: Sendable {
        let state = Mutex(State())

        func answer(_ request: RecordedRequest) async -> Reply {
            let (queued, delay, responder, reply) = state.withLock { state in
                state.requests.append(request)
                let queued = state.queue.isEmpty ? nil : state.queue.removeFirst()
                return (queued, state.delay, state.responder, state.reply)
            }
            let answer: Reply
            if let queued {
                answer = queued
            } else if let responder {
                answer = await responder(request)
            } else {
                let decoded = request.decoded  // parsed once
                let promptTokens = (decoded?.messages ?? []).reduce(3) { $0 + 4 + ($1.content.utf8.count + 3) / 4 }
                answer = .completion(reply, model: decoded?.model ?? "fake-model", usage: (promptTokens, (reply.utf8.count + 3) / 4))
            }
            let wait = delay + answer.delay
            if wait > .zero { try? await Task.sleep(for: wait) }
            return answer
        }
    }

    /// Why ``start(reply:responder:)`` failed.
    public enum StartError: Error {
        /// The server stopped before it was listening.
        case didNotStart
    }

    /// The server's port on 127.0.0.1.
    public let port: Int
    private let shared: Shared
    private let server: Mutex<Server?>

    private struct Server: Sendable {
        let group: ServiceGroup
        let task: Task<Void, Never>
    }

    private init(port: Int, shared: Shared, server: Server) {
        self.port = port
        self.shared = shared
        self.server = Mutex(server)
    }

    /// The API root to configure clients with: `http://127.0.0.1:<port>/v1`.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Starts a server answering `reply` (or whatever `responder` returns) and waits until it listens.
    public static func start(reply: String = "Resposta de teste.", responder: Responder? = nil) async throws -> FakeLLM {
        let shared = Shared()
        shared.state.withLock {
            $0.reply = reply
            $0.responder = responder
        }
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = RecordedRequest(path: request.uri.path, headers: headers, body: Array(buffer.readableBytesView))
            let reply = await shared.answer(recorded)
            var fields = HTTPFields()
            for (name, value) in reply.headers {
                if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
            }
            return Response(status: .init(code: reply.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        router.post("v1/embeddings") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            let delay = shared.state.withLock { state in
                state.embeddingRequests += 1
                return state.embeddingDelay
            }
            if delay > .zero { try? await Task.sleep(for: delay) }
            let (status, body) = FakeEmbeddings.answer(Data(buffer.readableBytesView))
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        // OpenAI's speech to text: multipart/form-data with `file` and `model` → {"text": …}; 400 without them.
        router.post("v1/audio/transcriptions") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = RecordedRequest(path: request.uri.path, headers: headers, body: Array(buffer.readableBytesView))
            let transcript = shared.state.withLock { state in
                state.transcriptionRequests.append(recorded)
                return state.transcript
            }
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            let text = recorded.bodyText
            guard headers["content-type"]?.hasPrefix("multipart/form-data; boundary=") == true, text.contains("name=\"file\""),
                text.contains("name=\"model\"")
            else {
                let error = #"{"error":{"message":"file and model are required","type":"invalid_request_error"}}"#
                return Response(status: .badRequest, headers: fields, body: .init(byteBuffer: ByteBuffer(string: error)))
            }
            let body = (try? JSONEncoder().encode(["text": transcript])) ?? Data()
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("v1/models") { _, _ -> Response in
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            return Response(
                status: .ok,
                headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: #"{"object":"list","data":[{"id":"fake-model","object":"model","owned_by":"fake"}]}"#))
            )
        }
        var logger = Logger(label: "balcao.testing.fake-llm")
        logger.logLevel = .error
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-llm"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do { try await group.run() } catch { logger.error("fake LLM server stopped: \(error)") }
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw StartError.didNotStart
        }
        return FakeLLM(port: port, shared: shared, server: Server(group: group, task: task))
    }

    /// Stops the server gracefully (it stops listening, finishes requests in progress, closes idle connections) and
    /// waits until it has closed. Calling it again does nothing.
    public func stop() async {
        guard
            let server = server.withLock({ s -> Server? in
                defer { s = nil }
                return s
            })
        else { return }
        await server.group.triggerGracefulShutdown()
        await server.task.value
    }

    // MARK: Scripting

    /// Answers every later request (not otherwise scripted) with a completion of `text`.
    public func setReply(_ text: String) {
        shared.state.withLock {
            $0.reply = text
            $0.responder = nil
        }
    }

    /// Computes later answers with `responder` (`nil` goes back to the fixed reply).
    public func setResponder(_ responder: Responder?) {
        shared.state.withLock { $0.responder = responder }
    }

    /// Fails the next `count` requests with `status` (an OpenAI-style error body, `Retry-After` when given).
    public func failNext(_ count: Int, status: Int, retryAfter: String? = nil, message: String = "fake failure") {
        let reply = Reply.error(status: status, message: message, retryAfter: retryAfter)
        shared.state.withLock { $0.queue.append(contentsOf: repeatElement(reply, count: max(0, count))) }
    }

    /// Answers the next request not already scripted with `reply` (replies queue up in order).
    public func enqueue(_ reply: Reply) {
        shared.state.withLock { $0.queue.append(reply) }
    }

    /// Waits `delay` before answering each later request (`.zero` for none).
    public func setDelay(_ delay: Duration) {
        shared.state.withLock { $0.delay = delay }
    }

    /// Waits `delay` before answering each later `POST /v1/embeddings` (`.zero` for none).
    public func setEmbeddingDelay(_ delay: Duration) {
        shared.state.withLock { $0.embeddingDelay = delay }
    }

    /// How many `POST /v1/embeddings` requests were received.
    public var embeddingRequestCount: Int { shared.state.withLock { $0.embeddingRequests } }

    /// What `POST /v1/audio/transcriptions` answers from now on.
    public func setTranscript(_ text: String) { shared.state.withLock { $0.transcript = text } }

    /// The `POST /v1/audio/transcriptions` requests received, oldest first.
    public var transcriptionRequests: [RecordedRequest] { shared.state.withLock { $0.transcriptionRequests } }

    /// Every request received so far, oldest first.
    public var requests: [RecordedRequest] { shared.state.withLock { $0.requests } }

    /// How many requests were received.
    public var requestCount: Int { shared.state.withLock { $0.requests.count } }

    /// The last request received.
    public var lastRequest: RecordedRequest? { shared.state.withLock { $0.requests.last } }

    /// Forgets recorded requests and scripted replies, and removes the delay (the fixed reply and responder stay).
    public func reset() {
        shared.state.withLock {
            $0.requests = []
            $0.queue = []
            $0.delay = .zero
        }
    }
}
