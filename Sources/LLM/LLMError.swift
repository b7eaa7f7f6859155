/// Why a chat completion failed.
///
/// Every kind means the same thing to the answering pipeline (answer extractively instead), but the kind says why,
/// for logs, metrics and the admin page. ``Kind/circuitOpen`` is raised without any network call.
public struct LLMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of failure.
    public enum Kind: Sendable, Hashable {
        /// HTTP 429 after all retries.
        case rateLimited
        /// HTTP 5xx after all retries.
        case server(status: Int)
        /// An attempt took longer than the configured timeout (after all retries).
        case timeout
        /// HTTP 401 or 403: the API key is missing, wrong or lacks access. Not retried.
        case unauthorized
        /// HTTP 400, 404, 413, 422 or another 4xx: the request (or model name, or URL) is wrong. Not retried.
        case badRequest(message: String)
        /// The connection failed (refused, reset, DNS, TLS) after all retries.
        case transport
        /// The circuit breaker is open after repeated failures: no call was made.
        case circuitOpen
        /// The server answered 2xx with something that is not a chat completion.
        case malformedResponse
        /// The total deadline passed before an attempt could succeed (the next backoff would not fit).
        case deadlineExceeded
        /// The calling task was cancelled.
        case cancelled
    }

    /// The category.
    public var kind: Kind
    /// What happened, for logs (includes the server's error message when it sent one).
    public var message: String
    /// HTTP attempts made before giving up (0 for ``Kind/circuitOpen``).
    public var attempts: Int
    /// The HTTP status the server answered with, when it answered.
    public var httpStatus: Int?

    /// An error of a kind with a message.
    public init(_ kind: Kind, _ message: String, attempts: Int = 0) {
        self.kind = kind
        self.message = message
        self.attempts = attempts
    }

    /// Whether another attempt may succeed (429, 5xx, timeouts and connection failures).
    public var isRetryable: Bool {
        switch kind {
        case .rateLimited, .server, .timeout, .transport: true
        case .unauthorized, .badRequest, .circuitOpen, .malformedResponse, .deadlineExceeded, .cancelled: false
        }
    }

    /// Whether the failure says the service is unhealthy (counts towards opening the circuit breaker).
    /// Client mistakes (401, 400) do not: the service is up and answering.
    var countsAsServiceFailure: Bool {
        switch kind {
        case .rateLimited, .server, .timeout, .transport, .malformedResponse: true
        case .unauthorized, .badRequest, .circuitOpen, .deadlineExceeded, .cancelled: false
        }
    }

    /// A message for logs.
    public var description: String {
        let attemptsNote = attempts > 1 ? " (after \(attempts) attempts)" : ""
        return "LLM \(kindName): \(message)\(attemptsNote)"
    }

    /// A short, stable name of the kind (`rate_limited`, `server_503`, …), for metrics and stored answer records.
    public var kindName: String {
        switch kind {
        case .rateLimited: "rate_limited"
        case .server(let status): "server_\(status)"
        case .timeout: "timeout"
        case .unauthorized: "unauthorized"
        case .badRequest: "bad_request"
        case .transport: "transport"
        case .circuitOpen: "circuit_open"
        case .malformedResponse: "malformed_response"
        case .deadlineExceeded: "deadline_exceeded"
        case .cancelled: "cancelled"
        }
    }
}
