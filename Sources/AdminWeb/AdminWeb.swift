public import Answering
public import Conversations
public import Credits
public import Foundation
public import HTTPAPI
public import HTTPTypes
public import Hummingbird
public import Ingestion
public import Logging
public import Retrieval
public import Storage
import Synchronization
public import WhatsApp

/// How the admin page behaves (the `[admin]` configuration section and test knobs).
public struct AdminConfiguration: Sendable {
    /// The directory holding `templates/`, `strings/` and `assets/`.
    public var webRoot: URL
    /// `Secure` on cookies: `true`/`false`, or `nil` to set it when the request came over TLS (`X-Forwarded-Proto: https`).
    public var secureCookies: Bool?
    /// The longest a session lasts.
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// A session unused this long ends.
    public var sessionIdleTimeout: TimeInterval = 2 * 3600
    /// bcrypt cost factor.
    public var bcryptCost: UInt8 = 12
    /// Failed sign-ins (or setup codes) an address may make per window.
    public var signInAttempts = 5
    /// The window of the sign-in limit, in seconds.
    public var signInWindow: TimeInterval = 900
    /// The clock (tests move it to expire sessions).
    public var now: @Sendable () -> Date = { Date() }

    /// A configuration serving files from `webRoot`.
    public init(webRoot: URL) {
        self.webRoot = webRoot
    }

    /// Where the web files are: the configured `[admin] web_root`, else `<executable dir>/../share/balcao/web` when it
    /// exists (the installed package), else the source checkout's `Resources/web`.
    public static func locateWebRoot(configured: String?) -> URL {
        if let configured, !configured.isEmpty { return URL(fileURLWithPath: configured, isDirectory: true) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/balcao/web", isDirectory: true)
        if FileManager.default.fileExists(atPath: installed.appendingPathComponent("templates").path) { return installed }
        return sourceWebRoot
    }

    /// `Resources/web` of the source checkout this file was compiled from.
    public static var sourceWebRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources/web", isDirectory: true)
    }
}

/// The daemon's parts the admin pages use, handed over by `BalcaoApp` (AdminWeb does not depend on it).
public struct AdminEnvironment: Sendable {
    /// The database.
    public var database: AppDatabase
    /// Seals secrets stored in the database.
    public var secrets: SecretBox
    /// The credit ledger.
    public var ledger: CreditLedger
    /// Document uploads, listing and deletion.
    public var library: DocumentLibrary
    /// Hybrid search over the documents.
    public var search: SearchService
    /// Builds answers (playground).
    public var answerer: Answerer
    /// The conversation flow (takeover, release, operator replies).
    public var conversations: ConversationsService
    /// The logger.
    public var logger: Logger
    /// The effective LLM and WhatsApp settings (the settings page saves into it); `nil` hides the settings page.
    public var liveSettings: LiveSettings?
    /// The Graph API base URL ("test connection" reads the phone number there).
    public var graphBaseURL: String
    /// Customers' data rights: export and erasure (LGPD).
    public var customerData: CustomerData {
        conversations.customerData(mediaIn: library.originals.directory)
    }
    /// The business's approved templates, offered when a customer's 24 hours are over; `nil`: no
    /// `[whatsapp] business_account_id`.
    public var templates: TemplateCatalog?
    /// Whether answers are paid for with credits (some model price is set). When not, a low balance stops nothing and
    /// no page warns about it.
    public var answersAreMetered: Bool

    /// The parts.
    public init(
        database: AppDatabase,
        secrets: SecretBox,
        ledger: CreditLedger,
        library: DocumentLibrary,
        search: SearchService,
        answerer: Answerer,
        conversations: ConversationsService,
        logger: Logger,
        liveSettings: LiveSettings? = nil,
        graphBaseURL: String = "https://graph.facebook.com/v25.0",
        answersAreMetered: Bool = true,
        templates: TemplateCatalog? = nil
    ) {
        self.templates = templates
        self.answersAreMetered = answersAreMetered
        self.liveSettings = liveSettings
        self.graphBaseURL = graphBaseURL
        self.database = database
        self.secrets = secrets
        self.ledger = ledger
        self.library = library
        self.search = search
        self.answerer = answerer
        self.conversations = conversations
        self.logger = logger
    }
}

/// A group of admin pages: a type that registers its routes. List it in ``AdminWeb/pageModules``.
public protocol AdminPageModule: Sendable {
    /// Adds the module's routes.
    static func register(on routes: AdminRoutes)
}

/// The admin web page at `/admin`: sign-in, sessions, roles, CSRF, security headers, layout and the pages.
///
/// `BalcaoApp` builds one in `buildRouter` and calls ``addRoutes(to:)``.
public final class AdminWeb: Sendable {
    /// The daemon's parts.
    public let environment: AdminEnvironment
    /// The behaviour.
    public let configuration: AdminConfiguration
    /// Templates, strings and assets.
    public let renderer: AdminRenderer
    /// The users.
    public let users: AdminUsers
    /// The sessions.
    public let sessions: AdminSessions
    /// The audit log.
    public let audit: AdminAudit
    /// The sign-in limit per address.
    public let signInLimiter: AttemptLimiter
    private let setupCode = Mutex<String?>(nil)

    /// Every page group, in registration order. Add new page modules here.
    static let pageModules: [any AdminPageModule.Type] = [
        AuthPages.self,
        DashboardPages.self,
        CreditsPages.self,
        SettingsPages.self,
        UsersPages.self,
        AuditPages.self,
        AgentsPages.self,
        AgentHoursPages.self,
        DocumentsPages.self,
        ConversationsPages.self,
    ]

    /// Loads the web files and, while no user exists, creates the one-time setup code and logs it
    /// (`admin setup code: XXXX-XXXX-XXXX`).
    public init(environment: AdminEnvironment, configuration: AdminConfiguration) throws {
        self.environment = environment
        self.configuration = configuration
        renderer = try AdminRenderer(webRoot: configuration.webRoot)
        users = AdminUsers(database: environment.database, bcryptCost: configuration.bcryptCost, now: configuration.now)
        sessions = AdminSessions(
            database: environment.database,
            lifetime: configuration.sessionLifetime,
            idleTimeout: configuration.sessionIdleTimeout,
            now: configuration.now
        )
        audit = AdminAudit(database: environment.database, now: configuration.now)
        signInLimiter = AttemptLimiter(limit: configuration.signInAttempts, window: configuration.signInWindow, now: configuration.now)
        if try !users.hasUsers() {
            let code = Self.makeSetupCode()
            setupCode.withLock { $0 = code }
            environment.logger.notice("admin setup code: \(code) (open /admin in a browser to create the first owner)")
        }
    }

    /// The setup code while it is still unused and no user exists; `nil` otherwise.
    public var pendingSetupCode: String? {
        setupCode.withLock { $0 }
    }

    /// Uses up the setup code when `candidate` matches it (constant-time); `true` when it did.
    func consumeSetupCode(_ candidate: String) -> Bool {
        setupCode.withLock { code in
            guard let expected = code, AdminTokens.constantTimeEquals(expected, candidate.uppercased()) else { return false }
            code = nil
            return true
        }
    }

    /// Gives the code back when creating the owner failed for another reason (weak password).
    func restoreSetupCode(_ code: String) {
        setupCode.withLock { current in if current == nil { current = code.uppercased() } }
    }

    /// `XXXX-XXXX-XXXX` from an alphabet without look-alikes (no 0/O, 1/I).
    static func makeSetupCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return stride(from: 0, to: 12, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// Mounts every admin route under `/admin` of `router`.
    public func addRoutes(to router: Router<ServerRequestContext>) {
        let group = router.group("admin", context: AdminRequestContext.self).add(middleware: AdminMiddleware(admin: self))
        let routes = AdminRoutes(admin: self, group: group)
        group.get("assets/{name}") { [renderer] request, context in
            renderer.assets.response(name: context.parameters.get("name") ?? "", request: request)
        }
        for module in Self.pageModules { module.register(on: routes) }
    }
}

/// Registers admin routes with their access rule; the wrapper signs out, refuses roles and checks CSRF before the
/// handler runs.
///
/// ```swift
/// enum ThingsPages: AdminPageModule {
///     static func register(on routes: AdminRoutes) {
///         routes.get("things") { request, context in
///             routes.admin.renderer.page("things", titleKey: "things_title", data: ["rows": rows], context: context)
///         }
///         routes.post("things/{id}/delete", access: .owner) { request, context, form in
///             try await routes.admin.audit.record("thing.delete", target: id, context: context)
///             return .redirect(to: "/admin/things", flash: Flash(.success, routes.admin.text("things_deleted", context)))
///         }
///     }
/// }
/// ```
public struct AdminRoutes {
    /// The admin page (renderer, users, audit, environment).
    public let admin: AdminWeb
    let group: RouterGroup<AdminRequestContext>

    /// A `GET` route (paths are relative to `/admin`).
    public func get(
        _ path: RouterPath,
        access: AdminAccess = .signedIn,
        _ handler: @escaping @Sendable (Request, AdminRequestContext) async throws -> Response
    ) {
        group.get(path) { request, context in
            if let refusal = try Self.refusal(access: access, request: request, context: context) { return refusal }
            return try await handler(request, context)
        }
    }

    /// A `POST` route with an `application/x-www-form-urlencoded` body: the body is read (at most 1 MiB) and the
    /// anti-forgery token (`csrf_token` field or `X-CSRF-Token` header) checked before the handler runs.
    public func post(
        _ path: RouterPath,
        access: AdminAccess = .signedIn,
        _ handler: @escaping @Sendable (Request, AdminRequestContext, AdminForm) async throws -> Response
    ) {
        group.post(path) { request, context in
            if let refusal = try Self.refusal(access: access, request: request, context: context) { return refusal }
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            let form = AdminForm(body: String(buffer: buffer))
            try Self.checkCSRF(form["csrf_token"] ?? request.headers[AdminRoutes.csrfHeader], context: context)
            return try await handler(request, context, form)
        }
    }

    /// A `POST` route whose body the handler reads itself (uploads): the anti-forgery token must come in the
    /// `X-CSRF-Token` header or the `csrf_token` query parameter, and is checked before the body is touched.
    public func postStream(
        _ path: RouterPath,
        access: AdminAccess = .signedIn,
        _ handler: @escaping @Sendable (Request, AdminRequestContext) async throws -> Response
    ) {
        group.post(path) { request, context in
            if let refusal = try Self.refusal(access: access, request: request, context: context) { return refusal }
            try Self.checkCSRF(
                request.headers[AdminRoutes.csrfHeader] ?? request.uri.queryParameters["csrf_token"].map(String.init),
                context: context
            )
            return try await handler(request, context)
        }
    }

    /// The header fetch/XHR requests carry the token in.
    public static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// Throws ``AdminError/csrf`` unless `candidate` is the request's anti-forgery token (constant-time comparison).
    public static func checkCSRF(_ candidate: String?, context: AdminRequestContext) throws {
        let expected = context.csrfToken
        guard let candidate, !expected.isEmpty, AdminTokens.constantTimeEquals(candidate, expected) else { throw AdminError.csrf }
    }

    /// The response that ends a request the access rule refuses: signed out → 303 to the sign-in page (401 JSON for
    /// `.json` and event-stream requests); an operator on an owner route → ``AdminError/forbidden`` (403).
    static func refusal(access: AdminAccess, request: Request, context: AdminRequestContext) throws -> Response? {
        switch access {
        case .anyone:
            return nil
        case .signedIn, .owner:
            guard let identity = context.identity else {
                let path = request.uri.path
                if path.hasSuffix(".json") || path.hasSuffix("/events") || (request.headers[.accept] ?? "").contains("text/event-stream") {
                    return .json(["error": "signed_out"], status: .unauthorized)
                }
                return .redirect(to: "/admin/login")
            }
            if access == .owner, identity.role != .owner { throw AdminError.forbidden }
            return nil
        }
    }
}

extension AdminWeb {
    /// A localized text in the request's language.
    public func text(_ key: String, _ context: AdminRequestContext, _ values: [String: String] = [:]) -> String {
        renderer.localizer.text(key, context.language, values)
    }
}
