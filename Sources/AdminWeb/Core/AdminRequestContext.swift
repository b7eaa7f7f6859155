public import HTTPAPI
public import Hummingbird

/// Who may use a route of the admin page.
public enum AdminAccess: Sendable, Hashable {
    /// Anyone, signed in or not (sign-in, setup, assets).
    case anyone
    /// Any signed-in user (operators and owners).
    case signedIn
    /// Owners only.
    case owner
}

/// A role of an admin user.
public enum AdminRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Everything: settings, users, credit top-ups, audit log.
    case owner
    /// Day-to-day work: conversations, documents, agents, playground, unanswered questions, dashboard.
    case `operator`
}

/// The signed-in user of a request and their session.
public struct AdminIdentity: Sendable, Hashable {
    /// The user.
    public var user: AdminUser
    /// The session's row id.
    public var sessionID: Int64
    /// The session's anti-forgery token (the hidden `csrf_token` field and the `X-CSRF-Token` header).
    public var csrfToken: String

    /// The user's role.
    public var role: AdminRole { user.role }
}

/// The request context of `/admin` routes: the signed-in user (if any), the language and the time the request started.
///
/// Filled by the admin middleware before a handler runs; handlers read ``identity`` (guaranteed non-nil on routes
/// registered with ``AdminAccess/signedIn`` or ``AdminAccess/owner``).
public struct AdminRequestContext: ChildRequestContext {
    /// The storage every context carries.
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address (`""` when unknown).
    public let remoteAddress: String
    /// When the daemon started working on the request (for `Server-Timing`).
    public let startedAt: ContinuousClock.Instant
    /// The signed-in user, `nil` when signed out.
    public internal(set) var identity: AdminIdentity?
    /// The language pages are rendered in.
    public internal(set) var language: AdminLanguage = .portuguese
    /// The request's path (`/admin/dashboard`), for the navigation bar and the language switch.
    public internal(set) var currentPath = "/admin"
    /// The anti-forgery token of a signed-out browser (double-submit cookie), used by the setup and sign-in forms.
    var anonymousCSRF: String?
    /// A one-time message carried over from the previous request.
    var flash: Flash?
    /// Whether cookies set on this request get `Secure`.
    var secureCookies = false

    /// Creates the context from the daemon's.
    public init(context: ServerRequestContext) throws {
        coreContext = context.coreContext
        remoteAddress = context.remoteAddress
        startedAt = .now
    }

    /// Form posts are small; uploads stream their body and do not go through this limit.
    public var maxUploadSize: Int { 1 << 20 }

    /// The anti-forgery token forms of this request must carry.
    public var csrfToken: String { identity?.csrfToken ?? anonymousCSRF ?? "" }

    /// The name the audit log records for this request: the signed-in user's name, or `anonymous`.
    public var actorName: String { identity?.user.username ?? "anonymous" }

    /// Milliseconds since the request started.
    var elapsedMilliseconds: Double {
        let elapsed = ContinuousClock.now - startedAt
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// A one-time message shown at the top of the next page (after a redirect).
public struct Flash: Sendable, Hashable, Codable {
    /// How it looks.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Something worked.
        case success
        /// Something failed.
        case error
        /// Neutral information.
        case info
    }

    /// How it looks.
    public var kind: Kind
    /// The text (already localized).
    public var text: String

    /// A message.
    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
}
