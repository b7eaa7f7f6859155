public import Conversations
import Crypto
public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import Storage

/// Limits of the widget's endpoints.
public struct WidgetLimits: Sendable, Hashable {
    /// The longest message a visitor may send, in characters.
    public var maxMessageCharacters = 2_000
    /// Messages one visitor may send a minute, in bursts of up to half as many (0: no limit).
    public var visitorMessagesPerMinute = 10
    /// Messages one network address may send a minute, all its visitors together, in bursts of up to half as many (0: no
    /// limit).
    public var addressMessagesPerMinute = 30
    /// How long one event stream stays open before the browser reconnects.
    public var streamLifetime: Duration = .seconds(15)

    public init() {}
}

/// The website chat widget's endpoints, for pages of the origins each agent allows:
///
/// - `GET /widget.js`, `GET /widget.css`: the script a page embeds and its style.
/// - `GET /widget/v1/config?agent=`: the agent's title, language and whether sources are shown.
/// - `POST /widget/v1/messages` `{"agent","visitor","text","button"?}`: stored in the durable inbox, then `202`.
/// - `GET /widget/v1/messages?agent=&visitor=&after=`: the conversation's messages after a cursor (polling).
/// - `GET /widget/v1/events?agent=&visitor=&after=`: the same as server-sent events, and `typing` while an answer is
///   being written; woken by the database's changes, closed after ``WidgetLimits/streamLifetime``.
///
/// Every answer to an allowed page carries `Access-Control-Allow-Origin` with its origin; a page of another origin, or
/// a request without one, gets `403` and no CORS header, so its browser gets nothing. No cookie is read or set: the
/// visitor is the random token the widget keeps in the page's `localStorage`, stored only as a digest.
public struct WidgetRoutes<Context: RequestContext>: Sendable {
    let database: AppDatabase
    /// The documents' originals (a source's link opens one).
    let originals: OriginalStore
    /// The folder that holds `widget.js` and `widget.css`.
    let assets: URL
    let incoming: IncomingDeliveries
    let limits: WidgetLimits
    let visitors: KeyedRateLimiter?
    let addresses: KeyedRateLimiter?
    /// The client's address (behind the packaged proxy: the address it names).
    let remoteAddress: @Sendable (Request, Context) -> String
    let clock: @Sendable () -> Date
    /// Rung by changes to messages and turns: wakes the event streams.
    let changes: WorkBell
    /// Called for each message stored (metrics).
    let onAccepted: @Sendable () -> Void
    let logger: Logger

    public init(
        database: AppDatabase,
        originals: OriginalStore,
        assets: URL,
        incoming: IncomingDeliveries,
        limits: WidgetLimits = WidgetLimits(),
        remoteAddress: @escaping @Sendable (Request, Context) -> String,
        clock: @escaping @Sendable () -> Date = Date.init,
        onAccepted: @escaping @Sendable () -> Void = {},
        logger: Logger
    ) {
        self.database = database
        self.originals = originals
        self.assets = assets
        self.incoming = incoming
        self.limits = limits
        func limiter(_ perMinute: Int) -> KeyedRateLimiter? {
            perMinute > 0 ? KeyedRateLimiter(perMinute: perMinute, burst: max(1, perMinute / 2), clock: clock) : nil
        }
        self.visitors = limiter(limits.visitorMessagesPerMinute)
        self.addresses = limiter(limits.addressMessagesPerMinute)
        self.remoteAddress = remoteAddress
        self.clock = clock
        self.changes = database.workBell(ringingOnChangesTo: ["message", "turn", "conversation"])
        self.onAccepted = onAccepted
        self.logger = logger
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("widget.js") { _, _ in try asset("widget.js", type: "application/javascript; charset=utf-8") }
        router.get("widget.css") { _, _ in try asset("widget.css", type: "text/css; charset=utf-8") }
        router.get("widget/v1/config") { request, _ in try await config(request) }
        router.on("widget/v1/messages", method: .options) { request, _ in try preflight(request) }
        router.post("widget/v1/messages") { request, context in try await post(request, context: context) }
        router.get("widget/v1/messages") { request, _ in try await poll(request) }
        router.get("widget/v1/events") { request, _ in try await events(request) }
        router.get("widget/v1/documents/:id") { request, context in try document(request, id: context.parameters.get("id", as: Int64.self)) }
        router.on("widget/v1/contact", method: .options) { request, _ in try preflight(request) }
        router.post("widget/v1/contact") { request, context in try await postContact(request, context: context) }
    }

    // MARK: Assets

    func asset(_ name: String, type: String) throws -> Response {
        let data: Data
        do { data = try Data(contentsOf: assets.appendingPathComponent(name)) } catch { return Response(status: .notFound) }
        var headers: HTTPFields = [.contentType: type, .cacheControl: "public, max-age=300"]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "cross-origin"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// A query parameter read as a form field (`+` is a space, as `URLSearchParams` writes it, then percent-decoded).
    static func parameter(_ name: String, of request: Request) -> String? {
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    // MARK: Origins

    static var originField: HTTPField.Name { HTTPField.Name("Origin")! }

    /// The page's origin, lowercased, when it sent one.
    static func origin(of request: Request) -> String? {
        guard let origin = request.headers[originField]?.trimmingCharacters(in: .whitespaces).lowercased(), !origin.isEmpty, origin != "null"
        else { return nil }
        return origin
    }

    /// An allowed origin as agents store it: `scheme://host[:port]`, lowercased, without a path or a trailing slash.
    public static func normalizedOrigin(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let url = URL(string: trimmed), let scheme = url.scheme, scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty,
            url.path.isEmpty || url.path == "/", url.query == nil, url.fragment == nil, url.user == nil
        else { return nil }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// The agent named by the request when it answers the widget and allows the page's origin; else why not.
    func allowedAgent(_ name: String?, origin: String?) throws -> Result<(Agent, String), WidgetRefusal> {
        guard let name, !name.isEmpty, name.count <= 100, let agent = try database.agent(named: name), agent.answers(.web) else {
            return .failure(.unknownAgent)
        }
        guard let origin, agent.widgetOrigins.contains(origin) else { return .failure(.originNotAllowed) }
        return .success((agent, origin))
    }

    /// The headers of an answer to an allowed page.
    static func corsHeaders(_ origin: String) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("Access-Control-Allow-Origin")!] = origin
        headers[HTTPField.Name("Vary")!] = "Origin"
        headers[HTTPField.Name("Access-Control-Expose-Headers")!] = "Retry-After"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; frame-ancestors \(origin)"
        return headers
    }

    /// `OPTIONS`: a page of an origin some agent allows may post JSON.
    func preflight(_ request: Request) throws -> Response {
        guard let origin = Self.origin(of: request), try database.agents().contains(where: { $0.answers(.web) && $0.widgetOrigins.contains(origin) })
        else { return WidgetRefusal.originNotAllowed.response }
        var headers = Self.corsHeaders(origin)
        headers[HTTPField.Name("Access-Control-Allow-Methods")!] = "GET, POST"
        headers[HTTPField.Name("Access-Control-Allow-Headers")!] = "Content-Type"
        headers[HTTPField.Name("Access-Control-Max-Age")!] = "600"
        return Response(status: .noContent, headers: headers)
    }

    // MARK: Endpoints

    struct ConfigJSON: Encodable {
        var agent: String
        var title: String
        var language: String
        var showSources: Bool
    }

    func config(_ request: Request) async throws -> Response {
        switch try allowedAgent(Self.parameter("agent", of: request), origin: Self.origin(of: request)) {
        case .failure(let refusal): return refusal.response
        case .success(let (agent, origin)):
            let title = agent.widgetTitle.flatMap { $0.isEmpty ? nil : $0 } ?? agent.name
            return try Self.json(
                ConfigJSON(agent: agent.name, title: title, language: agent.language, showSources: agent.widgetShowsSources),
                origin: origin
            )
        }
    }

    struct PostJSON: VisitorBody {
        static var shape: String { #"{"agent", "visitor", "text"}"# }
        var agent: String?
        var visitor: String?
        var text: String?
        var button: String?
    }

    struct AcceptedJSON: Encodable {
        var id: String
    }

    /// The stored form of a visitor's token: a digest, so that neither the database nor the admin page holds the
    /// secret that reads the conversation.
    public static func visitorID(token: String) -> String {
        "v-" + SHA256.hash(data: Data(token.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// A token the widget made: 16 to 128 letters, digits, `-` or `_`.
    static func isToken(_ text: String) -> Bool {
        (16...128).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// A visitor's `POST`: its JSON body, the agent it names, the page's origin that agent allows, and the visitor.
    struct VisitorPost<Body: VisitorBody> {
        var input: Body
        var agent: Agent
        var origin: String
        var visitor: String
    }

    /// A post read, or the answer that refuses it.
    enum Admission<Body: VisitorBody> {
        case admitted(VisitorPost<Body>)
        case refused(Response)
    }

    /// Reads a visitor's `POST` of `Body` (within `limit` bytes) from a page the named agent allows; or the refusal.
    func admit<Body: VisitorBody>(_ request: Request, as type: Body.Type, limit: Int) async throws -> Admission<Body> {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch { return .refused(WidgetRefusal.tooLarge.response) }
        guard let input = try? JSONDecoder().decode(Body.self, from: Data(buffer: body)) else {
            return .refused(WidgetRefusal.badRequest("The body must be \(Body.shape).").response)
        }
        switch try allowedAgent(input.agent, origin: Self.origin(of: request)) {
        case .failure(let refusal): return .refused(refusal.response)
        case .success(let (agent, origin)):
            guard let token = input.visitor, Self.isToken(token) else {
                return .refused(WidgetRefusal.badRequest("The visitor token is missing or malformed.").response(origin: origin))
            }
            return .admitted(VisitorPost(input: input, agent: agent, origin: origin, visitor: Self.visitorID(token: token)))
        }
    }

    /// The refusal when the visitor, or their address, has sent too much lately.
    func throttled<Body>(_ post: VisitorPost<Body>, request: Request, context: Context) -> Response? {
        guard let wait = visitors?.take(post.agent.name + "/" + post.visitor) ?? addresses?.take(remoteAddress(request, context)) else { return nil }
        return WidgetRefusal.tooMany(retryAfter: wait).response(origin: post.origin)
    }

    func post(_ request: Request, context: Context) async throws -> Response {
        let post: VisitorPost<PostJSON>
        switch try await admit(request, as: PostJSON.self, limit: 16 * 1024) {
        case .refused(let refusal): return refusal
        case .admitted(let admitted): post = admitted
        }
        let (agent, allowed, visitor) = (post.agent, post.origin, post.visitor)
        let text = (post.input.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return WidgetRefusal.badRequest("Write a message.").response(origin: allowed) }
        guard text.count <= limits.maxMessageCharacters else { return WidgetRefusal.tooLarge.response(origin: allowed) }
        let button = post.input.button.flatMap { $0.hasPrefix("balcao:") && $0.count <= 100 ? $0 : nil }
        if let refusal = throttled(post, request: request, context: context) { return refusal }
        let delivery = WidgetDelivery(
            id: "web.\(UUID().uuidString.lowercased())",
            agent: agent.name,
            visitor: visitor,
            text: text,
            button: button,
            receivedAt: clock()
        )
        do {
            _ = try await incoming.receiving { try await database.storeWebhook(body: try delivery.encoded(), channel: .web, now: clock()) }
        } catch {
            logger.error("could not store a widget message", metadata: ["error": "\(error)"])
            return WidgetRefusal.unavailable.response(origin: allowed)
        }
        onAccepted()
        return try Self.json(AcceptedJSON(id: delivery.id), status: .accepted, origin: allowed)
    }

    /// One message as the widget draws it.
    struct MessageJSON: Encodable {
        struct Source: Encodable {
            var title: String
            /// Where the visitor opens the document (`/widget/v1/documents/{id}?agent=…` on this daemon).
            var url: String?
        }
        struct Button: Encodable {
            var id: String
            var title: String
        }
        var id: Int64
        var author: String
        var text: String
        var createdAt: Date
        var sources: [Source]?
        var buttons: [Button]?

        init(_ message: CustomerThreadMessage, agent: String, base: String?) {
            id = message.id
            author = message.author
            text = message.text
            createdAt = message.createdAt
            let query = "?agent=" + (agent.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            sources =
                message.sources.isEmpty
                ? nil
                : message.sources.map { source in
                    Source(title: source.title, url: base.map { "\($0)/widget/v1/documents/\(source.documentID)\(query)" })
                }
            buttons = message.buttons.isEmpty ? nil : message.buttons.map { Button(id: $0.id, title: $0.title) }
        }
    }

    /// The visitor's conversation after `after`, with sources when the agent shows them.
    func thread(_ agent: Agent, visitor: String, after: Int64) throws -> CustomerThread {
        try database.customerThread(
            accountID: WidgetDelivery.accountID(agent: agent.name),
            customerID: visitor,
            afterID: after,
            withSources: agent.widgetShowsSources
        )
    }

    struct PollJSON: Encodable {
        var messages: [MessageJSON]
        var typing: Bool
        var askContact: Bool
        var contactNotice: String?
    }

    /// Whether the widget should ask the visitor how to be answered later: the agent asks, they wait for a person no
    /// one has answered yet, and they left nothing.
    static func asksContact(_ agent: Agent, _ thread: CustomerThread) -> Bool {
        agent.widgetAsksContact && thread.waitsUnanswered && !thread.hasContact
    }

    /// The privacy notice above the form: the agent's, or the default in its language.
    public static func contactNotice(_ agent: Agent) -> String {
        if let notice = agent.widgetContactNotice?.trimmingCharacters(in: .whitespacesAndNewlines), !notice.isEmpty { return notice }
        return defaultContactNotice(language: agent.language)
    }

    /// The default privacy notice (pt-BR, en, es).
    public static func defaultContactNotice(language: String) -> String {
        switch language.lowercased().prefix(2) {
        case "en":
            "So that someone from our team can answer you later, leave your name and an e-mail or phone. We use them only to "
                + "answer this conversation, and you can ask us to erase them at any time."
        case "es":
            "Para que alguien de nuestro equipo te responda más tarde, deja tu nombre y un correo o teléfono. Los usamos solo "
                + "para responder esta conversación y puedes pedir que los borremos cuando quieras."
        default:
            "Para que uma pessoa da nossa equipe responda depois, deixe seu nome e um e-mail ou telefone. Usamos esses dados só "
                + "para responder a este atendimento, e você pode pedir para apagá-los quando quiser."
        }
    }

    /// The agent, the page's origin, the visitor and the cursor of a read, or the refusal.
    func reader(_ request: Request) throws -> Result<(Agent, String, String, Int64), WidgetRefusal> {
        switch try allowedAgent(Self.parameter("agent", of: request), origin: Self.origin(of: request)) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let (agent, origin)):
            guard let token = Self.parameter("visitor", of: request), Self.isToken(token) else {
                return .failure(.badRequest("The visitor token is missing or malformed."))
            }
            let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
            let after = max(0, lastEventID ?? Self.parameter("after", of: request).flatMap { Int64($0) } ?? 0)
            return .success((agent, origin, Self.visitorID(token: token), after))
        }
    }

    func poll(_ request: Request) async throws -> Response {
        switch try reader(request) {
        case .failure(let refusal): return refusal.response
        case .success(let (agent, origin, visitor, after)):
            let view = try thread(agent, visitor: visitor, after: after)
            let ask = Self.asksContact(agent, view)
            let base = Self.publicBase(of: request)
            return try Self.json(
                PollJSON(
                    messages: view.messages.map { MessageJSON($0, agent: agent.name, base: base) },
                    typing: view.typing,
                    askContact: ask,
                    contactNotice: ask ? Self.contactNotice(agent) : nil
                ),
                origin: origin
            )
        }
    }

    func events(_ request: Request) async throws -> Response {
        let agent: Agent
        let origin: String
        let visitor: String
        let start: Int64
        switch try reader(request) {
        case .failure(let refusal): return refusal.response
        case .success(let found): (agent, origin, visitor, start) = found
        }
        let changes = changes
        let lifetime = limits.streamLifetime
        let base = Self.publicBase(of: request)
        let body = ResponseBody { writer in
            var after = start
            var typing: Bool?
            // Said at the start of every stream, then at each change: a form left open while the stream was down closes.
            var asking: Bool?
            let notice = Self.contactNotice(agent)
            let deadline = ContinuousClock.now + lifetime
            var buffer = ByteBuffer(string: "retry: 2000\n\n")
            let encoder = Self.encoder
            while ContinuousClock.now < deadline, !Task.isCancelled {
                let ticket = changes.ticket()
                let view = try thread(agent, visitor: visitor, after: after)
                for message in view.messages {
                    after = max(after, message.id)
                    buffer.writeString("id: \(message.id)\nevent: message\ndata: ")
                    buffer.writeBytes(try encoder.encode(MessageJSON(message, agent: agent.name, base: base)))
                    buffer.writeString("\n\n")
                }
                if view.typing != typing {
                    typing = view.typing
                    buffer.writeString("event: typing\ndata: {\"typing\":\(view.typing)}\n\n")
                }
                let ask = Self.asksContact(agent, view)
                if ask != asking {
                    asking = ask
                    buffer.writeString("event: contact\ndata: ")
                    buffer.writeBytes(try encoder.encode(ContactEventJSON(ask: ask, notice: ask ? notice : nil)))
                    buffer.writeString("\n\n")
                }
                if buffer.readableBytes == 0 { buffer.writeString(":\n\n") }
                try await writer.write(buffer)
                buffer.clear()
                await changes.wait(since: ticket, atMost: deadline - ContinuousClock.now)
            }
            try await writer.finish(nil)
        }
        var headers = Self.corsHeaders(origin)
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: body)
    }

    struct ContactEventJSON: Encodable {
        var ask: Bool
        var notice: String?
    }

    struct ContactJSON: VisitorBody {
        static var shape: String { #"{"agent", "visitor", "name", "contact"}"# }
        var agent: String?
        var visitor: String?
        var name: String?
        var contact: String?
    }

    /// `POST /widget/v1/contact` `{"agent","visitor","name","contact"}`: kept with the visitor's conversation, `204`.
    func postContact(_ request: Request, context: Context) async throws -> Response {
        let post: VisitorPost<ContactJSON>
        switch try await admit(request, as: ContactJSON.self, limit: 4 * 1024) {
        case .refused(let refusal): return refusal
        case .admitted(let admitted): post = admitted
        }
        let allowed = post.origin
        let name = (post.input.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let contact = (post.input.contact ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { return WidgetRefusal.badRequest("Write a name.").response(origin: allowed) }
        guard CustomerContact.isReachable(contact) else { return WidgetRefusal.badContact.response(origin: allowed) }
        if let refusal = throttled(post, request: request, context: context) { return refusal }
        let saved = try await database.saveContact(
            CustomerContact(name: name, contact: contact, at: clock()),
            accountID: WidgetDelivery.accountID(agent: post.agent.name),
            customerID: post.visitor
        )
        guard saved else { return WidgetRefusal.badRequest("Write a message first.").response(origin: allowed) }
        return Response(status: .noContent, headers: Self.corsHeaders(allowed))
    }

    /// This daemon's address as the page reached it (`https://host` behind the packaged proxy, which names the scheme).
    static func publicBase(of request: Request) -> String? {
        guard let host = request.head.authority, !host.isEmpty,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) })
        else { return nil }
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" ? "https" : "http"
        return "\(scheme)://\(host)"
    }

    /// `GET /widget/v1/documents/{id}?agent=`: the original of a document the agent answers from, when the agent shows
    /// its sources — opened in the visitor's browser, so as a download that can run nothing (`sandbox`).
    func document(_ request: Request, id: Int64?) throws -> Response {
        guard let id, let name = Self.parameter("agent", of: request), let agent = try database.agent(named: name), agent.answers(.web),
            agent.widgetShowsSources, !agent.widgetOrigins.isEmpty, let agentID = agent.id,
            try database.documentIDs(ofAgent: agentID).contains(id), let document = try database.document(id: id), document.status == .indexed
        else { return Response(status: .notFound) }
        let file = originals.url(forSHA256: document.sha256)
        guard let data = try? Data(contentsOf: file, options: .mappedIfSafe) else { return Response(status: .notFound) }
        var headers: HTTPFields = [.contentType: Self.mediaType(of: document.filename), .cacheControl: "private, max-age=300"]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        let encoded = document.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "document"
        headers[HTTPField.Name("Content-Disposition")!] = "inline; filename*=UTF-8''\(encoded)"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// The type a document is served as (text as plain text, whatever it holds).
    static func mediaType(of filename: String) -> String {
        switch (filename as NSString).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        case "tif", "tiff": "image/tiff"
        case "txt", "md", "csv": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    // MARK: Answers

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, origin: String) throws -> Response {
        var headers = corsHeaders(origin)
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}

/// The body of a visitor's `POST`: every one names the agent and the visitor's token.
protocol VisitorBody: Decodable {
    /// What the body must look like, for the error.
    static var shape: String { get }
    var agent: String? { get }
    var visitor: String? { get }
}

/// Why a widget request is refused.
enum WidgetRefusal: Error {
    case unknownAgent
    case originNotAllowed
    case badRequest(String)
    case tooLarge
    case tooMany(retryAfter: Int)
    case unavailable
    case badContact

    var status: HTTPResponse.Status {
        switch self {
        case .unknownAgent: .notFound
        case .originNotAllowed: .forbidden
        case .badRequest, .badContact: .badRequest
        case .tooLarge: .contentTooLarge
        case .tooMany: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    var code: String {
        switch self {
        case .unknownAgent: "unknown_agent"
        case .originNotAllowed: "origin_not_allowed"
        case .badRequest: "bad_request"
        case .tooLarge: "too_large"
        case .tooMany: "rate_limited"
        case .unavailable: "unavailable"
        case .badContact: "bad_contact"
        }
    }

    var message: String {
        switch self {
        case .unknownAgent: "There is no such agent, or it does not answer the website's widget."
        case .originNotAllowed: "This page's origin may not show this agent's widget: add it to the agent's allowed sites."
        case .badRequest(let reason): reason
        case .tooLarge: "The message is too long."
        case .tooMany: "Too many messages: wait a moment."
        case .unavailable: "The message could not be stored; send it again in a moment."
        case .badContact: "Write an e-mail address or a phone number with its area code."
        }
    }

    /// The refusal without any CORS header (a page that may not see the answer).
    var response: Response { response(origin: nil) }

    /// The refusal, readable by `origin`'s page when it is an allowed one.
    func response(origin: String?) -> Response {
        var headers: HTTPFields = origin.map { WidgetRoutes<BasicRequestContext>.corsHeaders($0) } ?? [.cacheControl: "no-store"]
        headers[.contentType] = "application/json; charset=utf-8"
        if case .tooMany(let seconds) = self { headers[.retryAfter] = String(seconds) }
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let body = "{\"error\":{\"code\":\"\(code)\",\"message\":\"\(escaped)\"}}"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
