public import AsyncHTTPClient
public import Foundation
public import Logging

/// The WhatsApp Cloud API over HTTPS with AsyncHTTPClient: `POST {baseURL}/{phone_number_id}/messages` with
/// `Authorization: Bearer {accessToken}`.
///
/// It makes exactly one attempt per call; retrying is the caller's decision (``GraphAPIError/policy``, ``RetryBackoff``),
/// because a retry after an ambiguous failure may send the message twice.
public struct GraphAPIClient: GraphAPI {
    /// `graph_base_url` without a trailing slash, e.g. `https://graph.facebook.com/v25.0`.
    public let baseURL: String
    /// The time one call may take, connection included.
    public let timeout: Duration
    let accessToken: String
    let httpClient: HTTPClient
    private let logger: Logger

    /// The default `graph_base_url`.
    public static let defaultBaseURL = "https://graph.facebook.com/v25.0"

    /// Creates a client.
    /// - Parameters:
    ///   - baseURL: `graph_base_url`, including the API version (`https://graph.facebook.com/v25.0`).
    ///   - accessToken: A System User access token. It is never logged.
    ///   - httpClient: The client to use; the process-wide shared one by default (not shut down by this type).
    ///   - timeout: The deadline of one call; a call still unanswered by then fails with ``GraphAPIError/timeout(requestMayHaveBeenSent:)``.
    ///   - logger: Debug lines per call (status, code, fbtrace id); never the token.
    public init(
        baseURL: String = GraphAPIClient.defaultBaseURL,
        accessToken: String,
        httpClient: HTTPClient = GraphAPIClient.sharedHTTPClient,
        timeout: Duration = .seconds(20),
        logger: Logger = Logger(label: "balcao.whatsapp.graph")
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.accessToken = accessToken
        self.httpClient = httpClient
        self.timeout = timeout
        self.logger = logger
    }

    /// Sends `message` from `phoneNumberID`. See ``GraphAPI/send(_:from:)``.
    public func send(_ message: OutgoingMessage, from phoneNumberID: String) async throws(GraphAPIError) -> SentMessage {
        let body = try GraphAPIWire.messageBody(message)
        let (status, data, retryAfter) = try await post(body, phoneNumberID: phoneNumberID)
        return try GraphAPIWire.parseSendResponse(status: status, body: data, retryAfter: retryAfter)
    }

    /// Marks `messageID` read, with the typing indicator when asked. See ``GraphAPI/markAsRead(messageID:phoneNumberID:typingIndicator:)``.
    public func markAsRead(messageID: String, phoneNumberID: String, typingIndicator: Bool) async throws(GraphAPIError) {
        guard !messageID.isEmpty else { throw .invalidRequest("empty message id") }
        let body = GraphAPIWire.markAsReadBody(messageID: messageID, typingIndicator: typingIndicator)
        let (status, data, retryAfter) = try await post(body, phoneNumberID: phoneNumberID)
        try GraphAPIWire.parseSuccessResponse(status: status, body: data, retryAfter: retryAfter)
    }

    /// The characters a phone number or media id may contain (in practice they are all digits).
    private static let allowedIDCharacters = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-")

    /// What identifies the business's number on WhatsApp.
    public struct PhoneNumberIdentity: Sendable, Hashable {
        /// The number as customers see it (`+55 11 …`); `nil` when the token was checked without a phone number id.
        public var displayNumber: String?
        /// The business name Meta verified.
        public var verifiedName: String?
    }

    /// One small real request that proves the access token (and the phone number id, when given) — the admin page's
    /// "Test connection" and `balcao doctor`: `GET /{phone-number-id}?fields=display_phone_number,verified_name`, or
    /// `GET /me` without one.
    public func probe(phoneNumberID: String?) async throws(GraphAPIError) -> PhoneNumberIdentity {
        let path: String
        if let phoneNumberID {
            try Self.check(id: phoneNumberID)
            path = "\(phoneNumberID)?fields=display_phone_number,verified_name"
        } else {
            path = "me"
        }
        let (status, data, retryAfter) = try await call(path: path, body: nil, phoneNumberID: phoneNumberID ?? "")
        try GraphAPIWire.checkReadResponse(status: status, body: data, retryAfter: retryAfter)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        return PhoneNumberIdentity(
            displayNumber: phoneNumberID.map { object?["display_phone_number"] as? String ?? $0 },
            verifiedName: object?["verified_name"] as? String
        )
    }

    /// Refuses, before anything is sent, an id that would not stay one path segment (`kind` names it in the error).
    static func check(id: String, naming kind: String = "phone number id", maxLength: Int = .max) throws(GraphAPIError) {
        guard !id.isEmpty, id.count <= maxLength, id.allSatisfy({ Self.allowedIDCharacters.contains($0) }) else {
            throw .invalidRequest("invalid \(kind) \"\(id.prefix(64))\"")
        }
    }

    private func post(_ body: Data, phoneNumberID: String) async throws(GraphAPIError) -> (Int, Data, String?) {
        try Self.check(id: phoneNumberID)
        return try await call(path: "\(phoneNumberID)/messages", body: body, phoneNumberID: phoneNumberID)
    }

    /// `POST {base}/{accountID}/messages` with a JSON body — the Send API of every Meta messaging product (Instagram's
    /// too, whose account id goes where WhatsApp's phone number id does): the status, the body and `Retry-After`.
    public func postMessages(_ body: Data, accountID: String) async throws(GraphAPIError) -> (status: Int, body: Data, retryAfter: String?) {
        try Self.check(id: accountID, naming: "account id")
        let (status, data, retryAfter) = try await call(path: "\(accountID)/messages", body: body, phoneNumberID: accountID)
        return (status, data, retryAfter)
    }

    /// `POST {base}/{path}` with a JSON body, or `GET {base}/{path}` without one.
    func call(path: String, body: Data?, phoneNumberID: String) async throws(GraphAPIError) -> (Int, Data, String?) {
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw .invalidRequest("graph base URL must start with http:// or https://")
        }
        if Task.isCancelled { throw .cancelled }
        var request = HTTPClientRequest(url: "\(baseURL)/\(path)")
        request.method = body == nil ? .GET : .POST
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body))
        }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let started = ContinuousClock.now
        do {
            let response = try await httpClient.execute(request, timeout: .milliseconds(milliseconds))
            var bytes: [UInt8] = []
            for try await chunk in response.body {
                bytes.append(contentsOf: chunk.readableBytesView)
                if bytes.count > 1 << 20 {
                    throw GraphAPIError.invalidResponse(status: Int(response.status.code), body: "response larger than 1 MiB")
                }
            }
            let status = Int(response.status.code)
            logger.debug(
                "graph call answered",
                metadata: ["status": "\(status)", "phone_number_id": "\(phoneNumberID)", "elapsed": "\(ContinuousClock.now - started)"]
            )
            return (status, Data(bytes), response.headers.first(name: "Retry-After"))
        } catch let error as GraphAPIError {
            throw error
        } catch {
            let classified = Self.classify(error)
            logger.debug("graph call failed", metadata: ["error": "\(classified)", "phone_number_id": "\(phoneNumberID)"])
            throw classified
        }
    }

    /// Maps an AsyncHTTPClient/NIO error to a ``GraphAPIError``, deciding whether the request may have gone out.
    static func classify(_ error: any Error) -> GraphAPIError {
        if error is CancellationError { return .cancelled }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout,
                .httpProxyHandshakeTimeout:
                return .timeout(requestMayHaveBeenSent: false)
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return .timeout(requestMayHaveBeenSent: true)
            case .cancelled:
                return .cancelled
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return .transport(error.description, requestMayHaveBeenSent: false)
            default:
                return .transport(error.description, requestMayHaveBeenSent: true)
            }
        }
        // Failures to establish the connection (refused, unreachable, DNS) come from NIO's connection setup.
        let typeName = String(reflecting: type(of: error))
        let text = String(describing: error)
        let connectionPhase =
            typeName.contains("NIOConnectionError") || typeName.contains("SSLError")
            || [
                "connection refused", "connect(descriptor", "No route to host", "Network is unreachable", "NXDOMAIN",
                "could not resolve", "Name or service not known",
            ].contains { text.localizedCaseInsensitiveContains($0) }
        return .transport(text, requestMayHaveBeenSent: !connectionPhase)
    }
}
