public import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A stand-in for the WhatsApp Cloud API (`graph.facebook.com`): a real HTTP server on `127.0.0.1` with an OS-assigned
/// port, speaking Meta's wire format.
///
/// It accepts `POST /{version}/{phone_number_id}/messages` (the version segment is optional), checks
/// `Authorization: Bearer {accessToken}` (else 401 with error 190), records every request, and answers like Meta:
/// `{"messaging_product":"whatsapp","contacts":[{"input":…,"wa_id":…}],"messages":[{"id":"wamid.…"}]}` for sends,
/// `{"success":true}` for mark-as-read. Invalid bodies get Meta's 400 / code 100. Tests script failures and delays with
/// ``failNext(_:with:)``, ``delayNext(_:by:)`` and ``enqueue(_:)``.
///
/// Like Meta, it can tell the daemon what became of each accepted message: after ``deliverStatuses(_:)`` every accepted
/// send is followed by signed status webhooks (`sent`, `delivered`, …) posted to the daemon, each echoing the send's
/// `biz_opaque_callback_data`, and retried until the daemon answers 200 (it may be down). ``onAcceptedSend(_:)`` runs
/// a test's code after a send is recorded as accepted and before the answer goes back (to kill the daemon right there).
///
/// ```swift
/// let graph = try await FakeGraphAPI.start()
/// defer { Task { await graph.stop() } }
/// graph.failNext(1, with: .rateLimit)              // the first send gets 429 / 130429
/// // … point the daemon's graph_base_url at graph.baseURL …
/// let sent = await graph.waitForRequests(2)
/// ```
///
/// Deliberately independent of the `WhatsApp` module.
public final class FakeGraphAPI: Sendable {
    /// An error Meta returns: `{"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}`.
    public struct GraphError: Sendable, Equatable {
        /// The HTTP status it is sent with.
        public var httpStatus: Int
        /// `error.code`.
        public var code: Int
        /// `error.error_subcode`, omitted when `nil`.
        public var subcode: Int?
        /// `error.message`.
        public var message: String
        /// `error.type`.
        public var type: String
        /// `error.error_data.details`, omitted when `nil`.
        public var details: String?

        /// Creates an error.
        public init(httpStatus: Int, code: Int, subcode: Int? = nil, message: String, type: String = "OAuthException", details: String? = nil) {
            self.httpStatus = httpStatus
            self.code = code
            self.subcode = subcode
            self.message = message
            self.type = type
            self.details = details
        }

        /// 131047, HTTP 400: outside the 24-hour customer service window.
        public static let reEngagement = GraphError(
            httpStatus: 400,
            code: 131047,
            message: "(#131047) Re-engagement message",
            details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
        )
        /// 190 / 463, HTTP 401: the access token expired.
        public static let expiredToken = GraphError(
            httpStatus: 401,
            code: 190,
            subcode: 463,
            message: "Error validating access token: Session has expired on Friday, 26-Apr-24 06:00:00 PDT."
        )
        /// 190, HTTP 401: the access token is invalid.
        public static let invalidToken = GraphError(
            httpStatus: 401,
            code: 190,
            message: "Invalid OAuth access token - Cannot parse access token"
        )
        /// 130429, HTTP 429: throughput rate limit.
        public static let rateLimit = GraphError(
            httpStatus: 429,
            code: 130429,
            subcode: 2_494_055,
            message: "(#130429) Rate limit hit",
            details: "Message failed to send because there were too many messages sent from this phone number in a short period of time"
        )
        /// 131056, HTTP 400: pair rate limit (too many messages to one user).
        public static let pairRateLimit = GraphError(
            httpStatus: 400,
            code: 131056,
            subcode: 2_494_071,
            message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            details:
                "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."
        )
        /// 131026, HTTP 400: message undeliverable.
        public static let undeliverable = GraphError(
            httpStatus: 400,
            code: 131026,
            message: "(#131026) Message Undeliverable",
            details: "Message Undeliverable."
        )
        /// 100, HTTP 400: invalid parameter.
        public static let invalidParameter = GraphError(httpStatus: 400, code: 100, message: "(#100) Invalid parameter")
        /// 131000, HTTP 500: something went wrong.
        public static let somethingWentWrong = GraphError(
            httpStatus: 500,
            code: 131000,
            message: "(#131000) Something went wrong",
            details: "Something went wrong"
        )
        /// 2, HTTP 503: temporary service downtime.
        public static let serviceUnavailable = GraphError(
            httpStatus: 503,
            code: 2,
            message: "(#2) Service temporarily unavailable"
        )
        /// 131048, HTTP 400: spam rate limit.
        public static let spamRateLimit = GraphError(
            httpStatus: 400,
            code: 131048,
            message: "(#131048) Spam rate limit hit",
            details: "Message failed to send because there are restrictions on how many messages can be sent from this phone number."
        )
        /// 368, HTTP 403: temporarily blocked for policy violations.
        public static let policyBlocked = GraphError(
            httpStatus: 403,
            code: 368,
            message: "(#368) Temporarily blocked for policies violations"
        )
        /// 131031, HTTP 403: account locked.
        public static let accountLocked = GraphError(
            httpStatus: 403,
            code: 131031,
            message: "(#131031) Business Account locked"
        )
    }

    /// What to do with one upcoming request: wait, then answer normally or fail.
    public struct ScriptedResponse: Sendable {
        /// How long to wait before answering (a client with a shorter timeout sees a timeout).
        public var delay: Duration
        /// The Graph error to answer with; `nil` answers normally.
        public var error: GraphError?
        /// A raw answer (status and body) instead; wins over `error`.
        public var raw: (status: Int, body: String)?
        /// Whether it answers a mark-as-read call instead of a message send.
        public var forMarkAsRead: Bool
        /// The request is handled normally (a send accepted, recorded, its statuses queued), then the connection closes
        /// before the answer is complete: the sender cannot know whether the message went out.
        public var dropsAnswer: Bool

        /// Creates a scripted response (for the next message send, or the next mark-as-read call).
        public init(
            delay: Duration = .zero,
            error: GraphError? = nil,
            raw: (status: Int, body: String)? = nil,
            forMarkAsRead: Bool = false,
            dropsAnswer: Bool = false
        ) {
            self.delay = delay
            self.error = error
            self.raw = raw
            self.forMarkAsRead = forMarkAsRead
            self.dropsAnswer = dropsAnswer
        }
    }

    /// One request the fake received.
    public struct RecordedRequest: Sendable {
        /// The HTTP method.
        public var method: String
        /// The path, e.g. `/v25.0/106540352242922/messages`.
        public var path: String
        /// The version segment (`v25.0`), `nil` when the path had none.
        public var apiVersion: String?
        /// The `{phone_number_id}` segment.
        public var phoneNumberID: String
        /// Headers with lowercase names (repeated headers joined with `, `).
        public var headers: [String: String]
        /// The body as received.
        public var body: Data
        /// The HTTP status the fake answered with.
        public var responseStatus: Int
        /// The message id the fake returned for an accepted send.
        public var responseMessageID: String?
        /// When the request arrived (for latency measurements).
        public var receivedAt = ContinuousClock.now
        /// `true` for a mark-as-read (`"status":"read"`) request; read from the body once, when it arrived (a filter over
        /// thousands of recorded requests, polled while a benchmark waits, parsed every body again each time).
        public let isMarkAsRead: Bool

        /// A request as it arrived and what the fake answered; whether it marks a message read is read from the body
        /// unless the caller, which parsed it already, says.
        public init(
            method: String,
            path: String,
            apiVersion: String?,
            phoneNumberID: String,
            headers: [String: String],
            body: Data,
            responseStatus: Int,
            responseMessageID: String?,
            receivedAt: ContinuousClock.Instant = ContinuousClock.now,
            isMarkAsRead: Bool? = nil
        ) {
            self.method = method
            self.path = path
            self.apiVersion = apiVersion
            self.phoneNumberID = phoneNumberID
            self.headers = headers
            self.body = body
            self.responseStatus = responseStatus
            self.responseMessageID = responseMessageID
            self.receivedAt = receivedAt
            self.isMarkAsRead =
                isMarkAsRead ?? (((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["status"] as? String == "read")
        }

        /// The body parsed as a JSON object, or `nil`.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }

        /// The `Authorization` header.
        public var authorization: String? { headers["authorization"] }

        /// What the customer reads: `text.body` of a text message, or `interactive.body.text` of one with buttons
        /// (WhatsApp); `message.text` (Instagram).
        public var textBody: String? {
            (json?["text"] as? [String: Any])?["body"] as? String
                ?? ((json?["interactive"] as? [String: Any])?["body"] as? [String: Any])?["text"] as? String
                ?? (json?["message"] as? [String: Any])?["text"] as? String
        }

        /// Whether it is an Instagram Send API message (`recipient.id`, no `messaging_product`).
        public var isInstagram: Bool { json?["messaging_product"] == nil && (json?["recipient"] as? [String: Any])?["id"] != nil }

        /// An Instagram message's `messaging_type` and `tag` (`MESSAGE_TAG`, `HUMAN_AGENT`).
        public var instagramTag: (messagingType: String?, tag: String?) { (json?["messaging_type"] as? String, json?["tag"] as? String) }

        /// An Instagram message's quick replies, as `(payload, title)`.
        public var quickReplies: [(payload: String, title: String)] {
            ((json?["message"] as? [String: Any])?["quick_replies"] as? [[String: Any]] ?? []).compactMap { reply in
                guard let payload = reply["payload"] as? String, let title = reply["title"] as? String else { return nil }
                return (payload, title)
            }
        }

        /// The rows of a list message, as `(id, title)`, in order (none for other messages).
        public var listRows: [(id: String, title: String)] {
            let action = (json?["interactive"] as? [String: Any])?["action"] as? [String: Any]
            return (action?["sections"] as? [[String: Any]] ?? []).flatMap { $0["rows"] as? [[String: Any]] ?? [] }.compactMap { row in
                guard let id = row["id"] as? String, let title = row["title"] as? String else { return nil }
                return (id, title)
            }
        }

        /// The label of the button that opens a list message.
        public var listButton: String? { ((json?["interactive"] as? [String: Any])?["action"] as? [String: Any])?["button"] as? String }

        /// The reply buttons of an interactive message, as `(id, title)`, in order (none for other messages).
        public var replyButtons: [(id: String, title: String)] {
            let action = (json?["interactive"] as? [String: Any])?["action"] as? [String: Any]
            return (action?["buttons"] as? [[String: Any]] ?? []).compactMap { button in
                guard let reply = button["reply"] as? [String: Any], let id = reply["id"] as? String, let title = reply["title"] as? String
                else { return nil }
                return (id, title)
            }
        }
    }

    /// Where and how the fake posts the status webhooks of accepted messages.
    public struct StatusWebhooks: Sendable {
        /// The daemon's webhook URL (`http://127.0.0.1:{port}/webhooks/whatsapp`).
        public var url: URL
        /// The app secret that signs each body (`X-Hub-Signature-256`).
        public var appSecret: String
        /// The states reported for each accepted message, in order, one webhook each.
        public var states: [String]
        /// The wait before posting a webhook again after a failed attempt (no connection, or an answer other than 200).
        public var retryInterval: Duration

        /// Describes status delivery.
        public init(url: URL, appSecret: String, states: [String] = ["sent", "delivered"], retryInterval: Duration = .milliseconds(200)) {
            self.url = url
            self.appSecret = appSecret
            self.states = states
            self.retryInterval = retryInterval
        }
    }

    struct State {
        var requests: [RecordedRequest] = []
        var script: [ScriptedResponse] = []
        var nextID = 1
        var statusWebhooks: StatusWebhooks?
        var statusQueue: [Data] = []
        var statusesDelivered = 0
        var statusDelivery: Task<Void, Never>?
        var acceptedHook: (@Sendable (RecordedRequest) async -> Void)?
        var media: [String: StoredMedia] = [:]
        var mediaDownloadFailures: [Int] = []
        var mediaDownloads = 0
        var templates: [MessageTemplateFixture] = FakeGraphAPI.defaultTemplates
        var templateReads = 0
    }

    /// `http://127.0.0.1:{port}/{apiVersion}`: the `graph_base_url` to configure.
    public let baseURL: String
    /// The bound port.
    public let port: Int
    /// The only bearer token accepted.
    public let accessToken: String
    let state: Mutex<State>
    private let task: Task<Void, Never>

    private init(baseURL: String, port: Int, accessToken: String, task: Task<Void, Never>) {
        self.baseURL = baseURL
        self.port = port
        self.accessToken = accessToken
        self.state = Mutex(State())
        self.task = task
    }

    deinit {
        task.cancel()
        state.withLock { $0.statusDelivery?.cancel() }
    }

    /// Why the server could not start.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Starts a server on `127.0.0.1` with a port chosen by the OS.
    /// - Parameters:
    ///   - accessToken: The token requests must carry.
    ///   - apiVersion: The version segment of ``baseURL``.
    public static func start(accessToken: String = "test-access-token", apiVersion: String = "v25.0") async throws -> FakeGraphAPI {
        let holder = Holder()
        let router = Router()
        // The trie router wants one parameter name per level: `first` is the version, or the phone number id when alone.
        router.post(":first/:second/messages") { request, context in
            let version = context.parameters.get("first")
            let phone = context.parameters.get("second")
            return try await holder.fake?.handle(request, version: version, phone: phone) ?? Response(status: .serviceUnavailable)
        }
        router.post(":first/messages") { request, context in
            let phone = context.parameters.get("first")
            return try await holder.fake?.handle(request, version: nil, phone: phone) ?? Response(status: .serviceUnavailable)
        }
        // `GET /{version}/me`: what a token check (`balcao doctor`) calls; 401 with a Graph error for a wrong token.
        router.get(":first/me") { request, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            guard let fake = holder.fake else { return Response(status: .serviceUnavailable) }
            let authorized = request.headers[.authorization] == "Bearer \(fake.accessToken)"
            let body =
                authorized
                ? #"{"id":"102290129340398","name":"Fake Business"}"#
                : #"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"fake"}}"#
            return Response(status: authorized ? .ok : .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        // The download URL `GET /{media-id}` gives, like Meta's lookaside host: the file's bytes, with the token checked.
        router.get("whatsapp_business/attachments") { request, _ in
            await holder.fake?.downloadMedia(request) ?? Response(status: .serviceUnavailable)
        }
        // `GET /{phone_number_id}` (what a "test connection" reads): the number's display fields, with the token checked;
        // `GET /{media-id}` of a file added with ``addMedia(_:mimeType:)``: where and what it is.
        // `GET /{version}/{waba_id}/message_templates`: the business's templates, in Meta's wire format.
        router.get(":first/:second/message_templates") { request, context in
            holder.fake?.messageTemplates(request, businessAccountID: context.parameters.get("second"))
                ?? Response(status: .serviceUnavailable)
        }
        router.get(":first/:second") { request, context in
            holder.fake?.object(request, id: context.parameters.get("second")) ?? Response(status: .serviceUnavailable)
        }
        router.get(":first") { request, context in
            holder.fake?.object(request, id: context.parameters.get("first")) ?? Response(status: .serviceUnavailable)
        }
        let logger = {
            var logger = Logger(label: "FakeGraphAPI")
            logger.logLevel = .critical  // cancellation on stop() logs errors that mean nothing here
            return logger
        }()
        let (ports, continuation) = AsyncStream<Int?>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port)
                continuation.finish()
            },
            logger: logger
        )
        let task = Task {
            do { try await app.run() } catch { logger.error("fake Graph API stopped: \(error)") }
            continuation.finish()
        }
        var bound: Int?
        for await port in ports {
            bound = port
            break
        }
        guard let port = bound else {
            task.cancel()
            throw StartError(description: "the fake Graph API did not start listening")
        }
        let fake = FakeGraphAPI(
            baseURL: "http://127.0.0.1:\(port)/\(apiVersion)",
            port: port,
            accessToken: accessToken,
            task: task
        )
        holder.fake = fake
        return fake
    }

    /// The display phone number `GET /{phone_number_id}` reports.
    public static let displayPhoneNumber = "+55 11 4000-0000"
    /// The verified business name `GET /{phone_number_id}` reports.
    public static let verifiedName = "Balcão Teste"

    /// `GET /{id}`: a media file's description when `id` names one, else the phone number's fields.
    func object(_ request: Request, id: String?) -> Response {
        if let id, let media = state.withLock({ $0.media[id] }) { return mediaInfo(request, id: id, media: media) }
        return phoneNumber(request, phone: id)
    }

    /// Meta's answer to a read without the right token (401, code 190); `nil` when the token is right.
    func refusingWrongToken(_ request: Request) -> Response? {
        guard request.headers[.authorization] != "Bearer \(accessToken)" else { return nil }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.errorBody(.invalidToken))))
    }

    /// Answers `GET /{phone_number_id}` like Meta: 401 / code 190 without the right token, else the number's fields.
    func phoneNumber(_ request: Request, phone: String?) -> Response {
        if let refusal = refusingWrongToken(request) { return refusal }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = #"{"display_phone_number":"\#(Self.displayPhoneNumber)","verified_name":"\#(Self.verifiedName)","id":"\#(phone ?? "")"}"#
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Stops the server (and the delivery of status webhooks) and waits until it has closed.
    public func stop() async {
        let delivery = state.withLock { state in
            defer { state.statusDelivery = nil }
            state.statusWebhooks = nil
            return state.statusDelivery
        }
        delivery?.cancel()
        await delivery?.value
        task.cancel()
        await task.value
    }

    // MARK: Status webhooks

    /// Posts status webhooks for every message accepted from now on (`nil` stops; those already queued are dropped).
    public func deliverStatuses(_ webhooks: StatusWebhooks?) {
        state.withLock { state in
            state.statusWebhooks = webhooks
            if webhooks == nil { state.statusQueue.removeAll() }
        }
    }

    /// Status webhooks queued and not yet answered 200 by the daemon.
    public var pendingStatusWebhooks: Int { state.withLock { $0.statusQueue.count } }

    /// Status webhooks the daemon answered 200 so far.
    public var deliveredStatusWebhooks: Int { state.withLock { $0.statusesDelivered } }

    /// Runs `hook` for each accepted message send after it is recorded (and its statuses queued), before the answer goes
    /// back: Meta has the message, the sender does not know yet. `nil` removes it.
    public func onAcceptedSend(_ hook: (@Sendable (RecordedRequest) async -> Void)?) {
        state.withLock { $0.acceptedHook = hook }
    }

    /// A status webhook body as Meta sends it (PROTOCOL.md §3.10): one `statuses[]` item for `messageID` with
    /// `biz_opaque_callback_data` when given, addressed to `recipient` (`recipient_id`) or `recipientUserID`
    /// (`recipient_user_id`), from the business number `phoneNumberID`.
    public static func statusWebhookBody(
        messageID: String,
        status: String,
        phoneNumberID: String,
        recipient: String?,
        recipientUserID: String? = nil,
        callbackData: String?,
        timestamp: Date = Date()
    ) -> Data {
        var item: [String: Any] = ["id": messageID, "status": status, "timestamp": String(Int(timestamp.timeIntervalSince1970))]
        if let recipient { item["recipient_id"] = recipient }
        if let recipientUserID { item["recipient_user_id"] = recipientUserID }
        if let callbackData { item["biz_opaque_callback_data"] = callbackData }
        if status == "sent" || status == "delivered" {
            item["pricing"] = ["billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"]
        }
        let value: [String: Any] = [
            "messaging_product": "whatsapp", "metadata": ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID],
            "statuses": [item],
        ]
        let object: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": value]]]],
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// The status webhook body of an accepted send `request` in state `status`, echoing its callback data; `nil` for a
    /// request the fake did not accept as a message.
    public static func statusWebhookBody(for request: RecordedRequest, status: String) -> Data? {
        guard let messageID = request.responseMessageID, let json = request.json else { return nil }
        return statusWebhookBody(
            messageID: messageID,
            status: status,
            phoneNumberID: request.phoneNumberID,
            recipient: json["to"] as? String,
            recipientUserID: json["recipient"] as? String,
            callbackData: json["biz_opaque_callback_data"] as? String
        )
    }

    private func queueStatuses(for request: RecordedRequest) {
        state.withLock { state in
            guard let webhooks = state.statusWebhooks else { return }
            state.statusQueue += webhooks.states.compactMap { Self.statusWebhookBody(for: request, status: $0) }
            if state.statusDelivery == nil, !state.statusQueue.isEmpty {
                state.statusDelivery = Task { [weak self] in await self?.deliverQueuedStatuses() }
            }
        }
    }

    /// Posts queued status webhooks in order, each until the daemon answers 200, then ends (the next accepted send
    /// starts it again).
    private func deliverQueuedStatuses() async {
        while !Task.isCancelled {
            let next: (body: Data, webhooks: StatusWebhooks)? = state.withLock { state in
                guard let webhooks = state.statusWebhooks, let body = state.statusQueue.first else {
                    state.statusDelivery = nil
                    return nil
                }
                return (body, webhooks)
            }
            guard let next else { return }
            let status = await LoopbackHTTP.post(
                next.body,
                to: next.webhooks.url,
                headers: [
                    "Content-Type": "application/json",
                    WebhookSigner.headerName: WebhookSigner.sign(body: next.body, appSecret: next.webhooks.appSecret),
                ]
            )
            if status == 200 {
                state.withLock { state in
                    if state.statusQueue.first == next.body { state.statusQueue.removeFirst() }
                    state.statusesDelivered += 1
                }
            } else {
                try? await Task.sleep(for: next.webhooks.retryInterval)
            }
        }
    }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// The send requests received so far (mark-as-read excluded).
    public var sentMessages: [RecordedRequest] { requests.filter { !$0.isMarkAsRead } }

    /// Makes the next `count` message sends (or mark-as-read calls) fail with `error`.
    public func failNext(_ count: Int = 1, with error: GraphError, forMarkAsRead: Bool = false) {
        state.withLock { $0.script += Array(repeating: ScriptedResponse(error: error, forMarkAsRead: forMarkAsRead), count: count) }
    }

    /// Makes the next `count` message sends (or mark-as-read calls) answer `status` with `body` as is (e.g. a proxy's
    /// 502 HTML page).
    public func failNext(_ count: Int = 1, status: Int, body: String, forMarkAsRead: Bool = false) {
        state.withLock { $0.script += Array(repeating: ScriptedResponse(raw: (status, body), forMarkAsRead: forMarkAsRead), count: count) }
    }

    /// Makes the next `count` requests wait `delay` before answering normally.
    public func delayNext(_ count: Int = 1, by delay: Duration) {
        state.withLock { $0.script += Array(repeating: ScriptedResponse(delay: delay), count: count) }
    }

    /// Appends one scripted response; scripted responses are used in order, each by the next request of its kind
    /// (message send, or mark-as-read call).
    public func enqueue(_ response: ScriptedResponse) {
        state.withLock { $0.script.append(response) }
    }

    /// Forgets recorded requests and pending scripts (status delivery and the accepted-send hook stay as they are).
    public func reset() {
        state.withLock { state in
            state.requests = []
            state.script = []
        }
    }

    /// Waits until at least `count` requests matching `filter` arrived (or `timeout` passed), and returns those received.
    public func waitForRequests(
        _ count: Int,
        timeout: Duration = .seconds(120),
        where filter: @Sendable (RecordedRequest) -> Bool = { _ in true }
    ) async -> [RecordedRequest] {
        // Counted under the lock: copying every recorded request on each look cost a benchmark's waits real time.
        _ = await eventually(timeout: timeout) { state.withLock { $0.requests.lazy.filter(filter).count } >= count }
        return requests.filter(filter)
    }

    // MARK: Handling

    private func handle(_ request: Request, version: String?, phone: String?) async throws -> Response {
        let arrived = ContinuousClock.now
        let buffer = try await request.body.collect(upTo: 4 << 20)
        let body = Data(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        let authorized = headers["authorization"] == "Bearer \(accessToken)"
        // A script answers the next request of its kind, so that a daemon's mark-as-read call (made before each answer)
        // does not use up a failure meant for the send.
        let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]  // parsed once per request
        let isMarkAsRead = json?["status"] as? String == "read"
        let scripted: ScriptedResponse? =
            authorized
            ? state.withLock { state in
                state.script.firstIndex { $0.forMarkAsRead == isMarkAsRead }.map { state.script.remove(at: $0) }
            } : nil
        if let scripted, scripted.delay > .zero { try? await Task.sleep(for: scripted.delay) }

        var status = 200
        var answer: String
        var messageID: String?
        if !authorized {
            status = 401
            answer = Self.errorBody(
                GraphError(httpStatus: 401, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
            )
        } else if let raw = scripted?.raw {
            status = raw.status
            answer = raw.body
        } else if let error = scripted?.error {
            status = error.httpStatus
            answer = Self.errorBody(error)
        } else {
            (status, answer, messageID) = accept(json)
        }
        let record = RecordedRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            apiVersion: version,
            phoneNumberID: phone ?? "",
            headers: headers,
            body: body,
            responseStatus: status,
            responseMessageID: messageID,
            receivedAt: arrived,
            isMarkAsRead: isMarkAsRead
        )
        let hook = state.withLock { state in
            state.requests.append(record)
            return state.acceptedHook
        }
        if messageID != nil {
            if !record.isInstagram { queueStatuses(for: record) }
            await hook?(record)
        }
        var responseHeaders: HTTPFields = [.contentType: "application/json"]
        if status == 401 {
            responseHeaders[.wwwAuthenticate] = #"OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token""#
        }
        if scripted?.dropsAnswer == true {
            // A body that fails while being written: the server closes the connection mid-answer.
            let length = answer.utf8.count
            let half = String(answer.prefix(length / 2))
            return Response(
                status: HTTPResponse.Status(code: status),
                headers: responseHeaders,
                body: ResponseBody(contentLength: length) { writer in
                    try await writer.write(ByteBuffer(string: half))
                    throw AnswerDropped()
                }
            )
        }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: responseHeaders,
            body: .init(byteBuffer: ByteBuffer(string: answer))
        )
    }

    /// Validates a well-authorised body as Meta would and builds the success answer.
    private func accept(_ json: [String: Any]?) -> (Int, String, String?) {
        func invalid(_ details: String) -> (Int, String, String?) {
            (400, Self.errorBody(GraphError(httpStatus: 400, code: 100, message: "(#100) Invalid parameter", details: details)), nil)
        }
        guard let json else {
            return invalid("The request body is not a JSON object")
        }
        if json["messaging_product"] == nil, json["recipient"] is [String: Any] { return acceptInstagram(json) }
        guard json["messaging_product"] as? String == "whatsapp" else {
            return invalid("The parameter messaging_product is required.")
        }
        if let status = json["status"] {
            guard status as? String == "read", let id = json["message_id"] as? String, !id.isEmpty else {
                return invalid("status must be read and message_id is required")
            }
            return (200, #"{"success":true}"#, nil)
        }
        let to = json["to"] as? String
        let recipient = json["recipient"] as? String
        guard let address = to ?? recipient, !address.isEmpty else { return invalid("The parameter to is required.") }
        switch json["type"] as? String ?? "text" {
        case "text":
            guard let text = (json["text"] as? [String: Any])?["body"] as? String, !text.isEmpty else {
                return invalid("The parameter text['body'] is required.")
            }
            guard text.count <= 4096 else { return invalid("Param text['body'] must be at most 4096 characters long.") }
        case "template":
            guard let template = json["template"] as? [String: Any], template["name"] as? String != nil,
                (template["language"] as? [String: Any])?["code"] as? String != nil
            else { return invalid("The parameters template['name'] and template['language']['code'] are required.") }
        case "interactive":
            // Reply buttons as Meta checks them: a body of 1 to 1024 characters, 1 to 3 buttons with unique ids and
            // titles of 1 to 20 characters.
            if let interactive = json["interactive"] as? [String: Any], interactive["type"] as? String == "list" {
                // A list as Meta checks it: a body, a button of 1 to 20 characters, 1 to 10 rows in all with unique ids,
                // titles of 1 to 24 characters and descriptions of at most 72.
                let action = interactive["action"] as? [String: Any]
                let rows = (action?["sections"] as? [[String: Any]] ?? []).flatMap { $0["rows"] as? [[String: Any]] ?? [] }
                let ids = rows.compactMap { $0["id"] as? String }
                guard let body = (interactive["body"] as? [String: Any])?["text"] as? String, !body.isEmpty,
                    let button = action?["button"] as? String, (1...20).contains(button.count), (1...10).contains(rows.count),
                    ids.count == rows.count, Set(ids).count == ids.count,
                    rows.allSatisfy({ (1...24).contains(($0["title"] as? String)?.count ?? 0) && (($0["description"] as? String)?.count ?? 0) <= 72 })
                else { return invalid("interactive list: a body, action.button of 1 to 20 characters and 1 to 10 rows titled in 1 to 24.") }
                break
            }
            guard let interactive = json["interactive"] as? [String: Any], interactive["type"] as? String == "button",
                let body = (interactive["body"] as? [String: Any])?["text"] as? String, (1...1024).contains(body.count),
                let buttons = (interactive["action"] as? [String: Any])?["buttons"] as? [[String: Any]], (1...3).contains(buttons.count)
            else { return invalid("interactive: type button, body.text of 1 to 1024 characters and 1 to 3 action.buttons are required.") }
            let replies = buttons.compactMap { $0["reply"] as? [String: Any] }
            let ids = replies.compactMap { $0["id"] as? String }
            let titles = replies.compactMap { $0["title"] as? String }
            guard replies.count == buttons.count, ids.count == buttons.count, titles.count == buttons.count,
                Set(ids).count == ids.count, titles.allSatisfy({ (1...20).contains($0.count) })
            else { return invalid("Each button needs a unique reply.id and a reply.title of 1 to 20 characters.") }
        default:
            break
        }
        let id = state.withLock { state -> String in
            defer { state.nextID += 1 }
            return "wamid.FAKE\(String(format: "%06d", state.nextID))"
        }
        let contact: [String: Any] = to != nil ? ["input": address, "wa_id": address] : ["input": address, "user_id": address]
        let answer: [String: Any] = ["messaging_product": "whatsapp", "contacts": [contact], "messages": [["id": id]]]
        let data = (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data()
        return (200, String(decoding: data, as: UTF8.self), id)
    }

    /// Validates an Instagram Send API message as Meta does (developers.facebook.com/docs/messenger-platform/send-messages):
    /// `recipient.id`, a `message.text` of 1 to 1,000 characters, a known `messaging_type` (`MESSAGE_TAG` with a tag),
    /// at most 13 quick replies titled in 1 to 20 characters; answers `{"recipient_id": …, "message_id": …}`.
    private func acceptInstagram(_ json: [String: Any]) -> (Int, String, String?) {
        func invalid(_ message: String) -> (Int, String, String?) {
            (400, Self.errorBody(GraphError(httpStatus: 400, code: 100, message: "(#100) \(message)", type: "IGApiException")), nil)
        }
        guard let recipient = (json["recipient"] as? [String: Any])?["id"] as? String, !recipient.isEmpty else {
            return invalid("The parameter recipient is required")
        }
        guard let message = json["message"] as? [String: Any], let text = message["text"] as? String, (1...1_000).contains(text.count) else {
            return invalid("message.text must have 1 to 1000 characters")
        }
        switch json["messaging_type"] as? String ?? "RESPONSE" {
        case "RESPONSE", "UPDATE": break
        case "MESSAGE_TAG":
            guard json["tag"] as? String == "HUMAN_AGENT" else { return invalid("Instagram accepts only the HUMAN_AGENT tag") }
        default: return invalid("Invalid messaging_type")
        }
        if let replies = message["quick_replies"] {
            guard let replies = replies as? [[String: Any]], (1...13).contains(replies.count),
                replies.allSatisfy({
                    $0["content_type"] as? String == "text" && (1...20).contains(($0["title"] as? String)?.count ?? 0)
                        && !(($0["payload"] as? String) ?? "").isEmpty
                })
            else { return invalid("quick_replies: 1 to 13, content_type text, a title of 1 to 20 characters and a payload") }
        }
        let id = state.withLock { state -> String in
            defer { state.nextID += 1 }
            return "aWdfFAKE\(String(format: "%06d", state.nextID))"
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["recipient_id": recipient, "message_id": id], options: [.sortedKeys])) ?? Data()
        return (200, String(decoding: data, as: UTF8.self), id)
    }

    static func errorBody(_ error: GraphError) -> String {
        var object: [String: Any] = [
            "message": error.message, "type": error.type, "code": error.code,
            "fbtrace_id": "AFakeTrace\(error.code)",
        ]
        if let subcode = error.subcode { object["error_subcode"] = subcode }
        if let details = error.details { object["error_data"] = ["messaging_product": "whatsapp", "details": details] }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": object], options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Ends an answer early (``FakeGraphAPI/ScriptedResponse/dropsAnswer``).
private struct AnswerDropped: Error {}

/// Lets the routes reach the fake created after them.
private final class Holder: Sendable {
    private let storage = Mutex<FakeGraphAPI?>(nil)

    var fake: FakeGraphAPI? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
