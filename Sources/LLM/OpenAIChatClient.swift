public import AsyncHTTPClient
import Foundation
public import Logging

/// A ``ChatModel`` speaking the OpenAI chat-completions API (OpenAI, Ollama's `/v1`, vLLM, LocalAI, llama.cpp server…).
///
/// Sends `POST {baseURL}/chat/completions` with `{"model", "messages", "temperature"?, "max_tokens"?, "stream": false}`
/// and `Authorization: Bearer {apiKey}` when a key is set, and reads `choices[0].message.content`, `finish_reason`
/// and `usage`.
///
/// **Retries**: 429, 408, 5xx, timeouts and connection errors are retried up to ``Configuration/maxAttempts`` attempts
/// in all, with exponential backoff and jitter, waiting at least what `Retry-After` (seconds or an HTTP date) or
/// `retry-after-ms` asks. A `Retry-After` longer than ``Configuration/maxRetryAfter`` ends the retries at once, and so
/// does a backoff that would not fit in ``Configuration/totalDeadline``. Other 4xx answers (400, 401, 403, 404, 422…)
/// and malformed answers are not retried.
///
/// **Circuit breaker**: after ``CircuitBreaker/Configuration/failureThreshold`` consecutive failed attempts the client
/// fails fast with ``LLMError/Kind/circuitOpen`` (no network call) for a cool-down, then lets one probe through.
/// The breaker is shared by copies of the client.
///
/// **HTTP client lifecycle**: by default the process-wide ``sharedHTTPClient`` is used; it lives as long as the process
/// and is never shut down. A caller that passes its own `HTTPClient` owns it: create it with
/// ``httpClientConfiguration()`` (so that a refused connection fails fast), share that one client between all chat
/// clients, and call `try await httpClient.shutdown()` once, after the last request (e.g. when the daemon stops).
public struct OpenAIChatClient: ChatModel {
    /// Where and how to call the API.
    public struct Configuration: Sendable, Hashable {
        /// The API root including its version path: `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`.
        /// A trailing slash is fine; a URL that already ends in `/chat/completions` is used as it is.
        public var baseURL: String
        /// Sent as `Authorization: Bearer <apiKey>` when non-empty.
        public var apiKey: String?
        /// The `model` field of every request.
        public var model: String
        /// Deadline of one HTTP attempt, response body included (`llm.timeout_seconds`), in real time.
        public var timeout: Duration
        /// Attempts in all, the first included (at least 1).
        public var maxAttempts: Int
        /// The delay before the first retry; doubled for each further one, with ±25 % jitter.
        public var initialBackoff: Duration
        /// The longest backoff between attempts (before jitter).
        public var maxBackoff: Duration
        /// The longest `Retry-After` honoured; a server asking for more ends the retries.
        public var maxRetryAfter: Duration
        /// The budget of one ``OpenAIChatClient/complete(_:)`` call, all attempts and waits included.
        public var totalDeadline: Duration
        /// When the circuit opens and for how long.
        public var circuitBreaker: CircuitBreaker.Configuration
        /// The JSON field that carries ``ChatRequest/maxTokens``.
        public var maxTokensField: MaxTokensField
        /// Answers larger than this are rejected as malformed.
        public var maxResponseBytes: Int

        /// How the reply-length limit is named on the wire.
        public enum MaxTokensField: String, Sendable, Hashable {
            /// `max_tokens`: understood by every OpenAI-compatible server.
            case maxTokens = "max_tokens"
            /// `max_completion_tokens`: required by OpenAI's reasoning models, which reject `max_tokens`.
            case maxCompletionTokens = "max_completion_tokens"
        }

        /// A configuration. Defaults: 60 s per attempt, 3 attempts from 0.5 s backoff (at most 8 s apart), `Retry-After`
        /// up to 30 s, 120 s in all, circuit open after 5 consecutive failures for 30 s, answers up to 8 MiB.
        public init(
            baseURL: String,
            apiKey: String? = nil,
            model: String,
            timeout: Duration = .seconds(60),
            maxAttempts: Int = 3,
            initialBackoff: Duration = .milliseconds(500),
            maxBackoff: Duration = .seconds(8),
            maxRetryAfter: Duration = .seconds(30),
            totalDeadline: Duration = .seconds(120),
            circuitBreaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(),
            maxTokensField: MaxTokensField = .maxTokens,
            maxResponseBytes: Int = 8 << 20
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.timeout = max(.milliseconds(1), timeout)
            self.maxAttempts = max(1, maxAttempts)
            self.initialBackoff = max(.zero, initialBackoff)
            self.maxBackoff = max(.zero, maxBackoff)
            self.maxRetryAfter = max(.zero, maxRetryAfter)
            self.totalDeadline = max(.milliseconds(1), totalDeadline)
            self.circuitBreaker = circuitBreaker
            self.maxTokensField = maxTokensField
            self.maxResponseBytes = max(1024, maxResponseBytes)
        }

        /// The full endpoint URL: ``baseURL`` joined with `chat/completions`.
        public var chatCompletionsURL: String {
            var base = baseURL.trimmingCharacters(in: .whitespacesAndNewlines)
            while base.hasSuffix("/") { base.removeLast() }
            if base.hasSuffix("/chat/completions") { return base }
            return base + "/chat/completions"
        }
    }

    /// The configuration in use.
    public let configuration: Configuration
    /// The circuit breaker guarding this endpoint (shared by copies of this client).
    public let circuitBreaker: CircuitBreaker
    let httpClient: HTTPClient
    let clock: any LLMClock
    let logger: Logger

    /// A client. `httpClient` defaults to ``sharedHTTPClient`` (see the type's documentation for the lifecycle);
    /// `clock` times backoff waits, the total deadline and the breaker's cool-down.
    public init(
        configuration: Configuration,
        httpClient: HTTPClient = OpenAIChatClient.sharedHTTPClient,
        clock: any LLMClock = SystemLLMClock(),
        logger: Logger = Logger(label: "balcao.llm")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.clock = clock
        self.logger = logger
        self.circuitBreaker = CircuitBreaker(configuration: configuration.circuitBreaker, clock: clock)
    }

    /// Asks the model; retries and trips the circuit breaker as described on the type. Throws ``LLMError`` only.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        let body = try encodeBody(request)
        let start = clock.now()
        let deadline = start + configuration.totalDeadline
        var attempt = 0
        var lastError: LLMError?
        while true {
            attempt += 1
            if Task.isCancelled { throw LLMError(.cancelled, "the request was cancelled", attempts: attempt - 1) }
            let permit: CircuitBreaker.Permit
            do {
                permit = try circuitBreaker.acquire()
            } catch {
                guard var last = lastError else { throw error }
                last.message += "; the circuit breaker is now open"
                throw last
            }
            let remaining = deadline - clock.now()
            guard remaining > .zero else {
                circuitBreaker.recordNeutral(permit)
                throw lastError ?? LLMError(.deadlineExceeded, "the total deadline passed", attempts: attempt - 1)
            }
            do {
                let reply = try await attemptOnce(body, timeout: min(configuration.timeout, remaining))
                circuitBreaker.recordSuccess()
                var completion = reply
                completion.latency = clock.now() - start
                completion.attempts = attempt
                if completion.usage.isEstimated {
                    if completion.usage.promptTokens == 0 {
                        completion.usage.promptTokens = TokenUsage.estimatePromptTokens(request.messages)
                    }
                    logger.notice("LLM answer carried no usage; token counts estimated", metadata: ["model": "\(completion.model)"])
                }
                return completion
            } catch let failure as AttemptFailure {
                var error = failure.error
                error.attempts = attempt
                switch error.kind {
                case .cancelled:
                    circuitBreaker.recordNeutral(permit)
                    throw error
                default:
                    if error.countsAsServiceFailure { circuitBreaker.recordFailure() } else { circuitBreaker.recordSuccess() }
                }
                lastError = error
                guard error.isRetryable, attempt < configuration.maxAttempts else { throw error }
                var delay = backoff(afterAttempt: attempt)
                if let asked = failure.retryAfter {
                    if asked > configuration.maxRetryAfter {
                        let allowed = CircuitBreaker.format(configuration.maxRetryAfter)
                        error.message += "; the server asked to wait \(CircuitBreaker.format(asked)), more than the \(allowed) allowed"
                        throw error
                    }
                    delay = max(delay, asked)
                }
                if clock.now() + delay >= deadline {
                    error.message += "; no time left for another attempt within \(CircuitBreaker.format(configuration.totalDeadline))"
                    throw error
                }
                logger.warning(
                    "LLM request failed, retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)", "delay": "\(CircuitBreaker.format(delay))"]
                )
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    throw LLMError(.cancelled, "cancelled while waiting to retry", attempts: attempt)
                }
            }
        }
    }

    /// The current state of the circuit breaker.
    public var circuitState: CircuitBreaker.State { circuitBreaker.currentState }

    /// `min(maxBackoff, initialBackoff · 2^(attempt−1))`, ±25 % jitter.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let base = min(configuration.maxBackoff, configuration.initialBackoff * (1 << min(attempt - 1, 20)))
        return base * Double.random(in: 0.75...1.25)
    }

    // MARK: One attempt

    /// Why one attempt failed, with the server's requested wait if any.
    struct AttemptFailure: Error {
        var error: LLMError
        var retryAfter: Duration?
    }

    private struct RawResponse: Sendable {
        var status: Int
        var retryAfter: String?
        var retryAfterMilliseconds: String?
        var body: [UInt8]
    }

    private struct AttemptTimedOut: Error {}

    private func attemptOnce(_ body: [UInt8], timeout: Duration) async throws -> ChatCompletion {
        let raw: RawResponse
        do {
            raw = try await withThrowingTaskGroup(of: RawResponse.self) { group in
                group.addTask { try await self.send(body, timeout: timeout) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw AttemptTimedOut()
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw AttemptTimedOut() }
                return first
            }
        } catch is AttemptTimedOut {
            throw AttemptFailure(error: LLMError(.timeout, "no complete answer within \(CircuitBreaker.format(timeout))"))
        } catch let failure as AttemptFailure {
            throw failure
        } catch {
            throw AttemptFailure(error: Self.transportError(error, timeout: timeout))
        }
        return try interpret(raw)
    }

    private func send(_ body: [UInt8], timeout: Duration) async throws -> RawResponse {
        var request = HTTPClientRequest(url: configuration.chatCompletionsURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let key = configuration.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(body)
        let c = timeout.components
        let nanoseconds = c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
        let response = try await httpClient.execute(request, timeout: .nanoseconds(nanoseconds))
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes.append(contentsOf: chunk.readableBytesView)
            if bytes.count > configuration.maxResponseBytes {
                throw AttemptFailure(error: LLMError(.malformedResponse, "answer larger than \(configuration.maxResponseBytes) bytes"))
            }
        }
        return RawResponse(
            status: Int(response.status.code),
            retryAfter: response.headers.first(name: "Retry-After"),
            retryAfterMilliseconds: response.headers.first(name: "retry-after-ms"),
            body: bytes
        )
    }

    private static func transportError(_ error: any Error, timeout: Duration) -> LLMError {
        if error is CancellationError { return LLMError(.cancelled, "the request was cancelled") }
        if let http = error as? HTTPClientError {
            switch http {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout:
                return LLMError(.timeout, "no complete answer within \(CircuitBreaker.format(timeout)) (\(http))")
            case .cancelled:
                return LLMError(.cancelled, "the request was cancelled")
            default:
                break
            }
        }
        return LLMError(.transport, "cannot reach the LLM server: \(error)")
    }

    private func interpret(_ raw: RawResponse) throws -> ChatCompletion {
        let status = raw.status
        if (200..<300).contains(status) {
            do {
                return try Self.decode(raw.body, configuredModel: configuration.model)
            } catch let error as LLMError {
                throw AttemptFailure(error: error)
            }
        }
        let detail = Self.serverMessage(raw.body)
        let retryAfter = Self.retryAfter(seconds: raw.retryAfter, milliseconds: raw.retryAfterMilliseconds, now: clock.currentDate())
        var error: LLMError
        switch status {
        case 429: error = LLMError(.rateLimited, "HTTP 429 Too Many Requests: \(detail)")
        case 408: error = LLMError(.timeout, "HTTP 408 Request Timeout: \(detail)")
        case 401, 403: error = LLMError(.unauthorized, "HTTP \(status): \(detail) (check llm.api_key)")
        case 500...: error = LLMError(.server(status: status), "HTTP \(status): \(detail)")
        default: error = LLMError(.badRequest(message: detail), "HTTP \(status): \(detail)")
        }
        error.httpStatus = status
        throw AttemptFailure(error: error, retryAfter: (status == 429 || status >= 500) ? retryAfter : nil)
    }

    // MARK: Wire format

    private struct RequestBody: Encodable {
        struct Message: Encodable {
            let role: String
            let content: String
            let imageURLs: [String]

            enum CodingKeys: String, CodingKey { case role, content }

            /// Plain text as a string; with images, OpenAI's content parts: the text, then one `image_url` part each.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(role, forKey: .role)
                if imageURLs.isEmpty {
                    try container.encode(content, forKey: .content)
                } else {
                    let parts =
                        [ContentPart(type: "text", text: content, image_url: nil)]
                        + imageURLs.map { ContentPart(type: "image_url", text: nil, image_url: .init(url: $0)) }
                    try container.encode(parts, forKey: .content)
                }
            }
        }
        struct ContentPart: Encodable {
            struct ImageURL: Encodable { let url: String }
            let type: String
            let text: String?
            let image_url: ImageURL?
        }
        let model: String
        let messages: [Message]
        let temperature: Double?
        let maxTokens: Int?
        let maxTokensField: Configuration.MaxTokensField

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(model, forKey: Key("model"))
            try container.encode(messages, forKey: Key("messages"))
            try container.encodeIfPresent(temperature, forKey: Key("temperature"))
            try container.encodeIfPresent(maxTokens, forKey: Key(maxTokensField.rawValue))
            try container.encode(false, forKey: Key("stream"))
        }
    }

    func encodeBody(_ request: ChatRequest) throws(LLMError) -> [UInt8] {
        let body = RequestBody(
            model: configuration.model,
            messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content, imageURLs: $0.imageURLs) },
            temperature: request.temperature,
            maxTokens: request.maxTokens,
            maxTokensField: configuration.maxTokensField
        )
        do {
            return Array(try JSONEncoder().encode(body))
        } catch {
            throw LLMError(.badRequest(message: "cannot encode the request"), "cannot encode the request: \(error)")
        }
    }

    private struct ResponseBody: Decodable {
        struct Choice: Decodable {
            let message: Message?
            let text: String?
            let finishReason: String?
            enum CodingKeys: String, CodingKey {
                case message, text
                case finishReason = "finish_reason"
            }
        }
        struct Message: Decodable {
            let content: String?
            enum CodingKeys: String, CodingKey { case content }
            struct Part: Decodable {
                let text: String?
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                if let text = try? container.decodeIfPresent(String.self, forKey: .content) {
                    content = text
                } else if let parts = try? container.decodeIfPresent([Part].self, forKey: .content) {
                    content = parts.compactMap(\.text).joined()
                } else {
                    content = nil
                }
            }
        }
        struct Usage: Decodable {
            let promptTokens: Int?
            let completionTokens: Int?
            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens"
                case completionTokens = "completion_tokens"
            }
        }
        let model: String?
        let choices: [Choice]?
        let usage: Usage?
    }

    private static func decode(_ bytes: [UInt8], configuredModel: String) throws -> ChatCompletion {
        let parsed: ResponseBody
        do {
            parsed = try JSONDecoder().decode(ResponseBody.self, from: Data(bytes))
        } catch {
            throw LLMError(.malformedResponse, "the answer is not a chat completion: \(describe(error)); body starts \(preview(bytes))")
        }
        guard let choice = parsed.choices?.first else {
            let message = serverMessage(bytes)
            throw LLMError(.malformedResponse, "the answer has no choices: \(message)")
        }
        let text = choice.message?.content ?? choice.text ?? ""
        let usage: TokenUsage
        if let prompt = parsed.usage?.promptTokens, let completion = parsed.usage?.completionTokens {
            usage = TokenUsage(promptTokens: prompt, completionTokens: completion)
        } else {
            // No usage: the completion is estimated from the text here, the prompt by `complete(_:)` from the messages.
            usage = TokenUsage(
                promptTokens: parsed.usage?.promptTokens ?? 0,
                completionTokens: parsed.usage?.completionTokens ?? TokenUsage.estimateTokens(text),
                isEstimated: true
            )
        }
        return ChatCompletion(
            text: text,
            usage: usage,
            model: parsed.model ?? configuredModel,
            finishReason: choice.finishReason,
            latency: .zero
        )
    }

    /// The server's error message: `error.message`, a string `error`, or the start of the body.
    static func serverMessage(_ bytes: [UInt8]) -> String {
        struct Envelope: Decodable {
            struct Detail: Decodable { let message: String? }
            let error: Detail?
        }
        struct Plain: Decodable { let error: String? }
        if let detail = try? JSONDecoder().decode(Envelope.self, from: Data(bytes)), let message = detail.error?.message {
            return message
        }
        if let plain = try? JSONDecoder().decode(Plain.self, from: Data(bytes)), let message = plain.error {
            return message
        }
        return bytes.isEmpty ? "(empty body)" : preview(bytes)
    }

    private static func preview(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self)
        return bytes.count > 300 ? "\"\(text)…\"" : "\"\(text)\""
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): "invalid JSON (\(context.debugDescription))"
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context): "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }

    // MARK: Retry-After

    /// The wait a `Retry-After` (delay-seconds or HTTP-date) or `retry-after-ms` header asks for, if any.
    static func retryAfter(seconds: String?, milliseconds: String?, now: Date) -> Duration? {
        if let ms = milliseconds.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), ms >= 0, ms.isFinite {
            return .milliseconds(Int64(min(ms, 86_400_000)))
        }
        guard let value = seconds?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let delay = Double(value) {
            guard delay >= 0, delay.isFinite else { return nil }
            return .milliseconds(Int64(min(delay, 86_400) * 1000))
        }
        guard let date = parseHTTPDate(value) else { return nil }
        let delta = date.timeIntervalSince(now)
        return .milliseconds(Int64(min(max(0, delta), 86_400) * 1000))
    }

    /// Parses the three HTTP-date formats of RFC 9110 (IMF-fixdate, RFC 850, asctime).
    static func parseHTTPDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
        return nil
    }
}
