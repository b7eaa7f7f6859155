public import Foundation

/// The business's approved templates, read from the Graph API and kept for a while (templates change rarely; an
/// operator opening conversations should not cost a Graph call each): what the admin page offers when a customer's 24
/// hours are over.
public actor TemplateCatalog {
    /// The WhatsApp Business Account whose templates are read.
    public let businessAccountID: String
    /// How long a read list is used before the next read.
    public let lifetime: TimeInterval
    private let client: @Sendable () -> GraphAPIClient
    private let now: @Sendable () -> Date
    private var cached: (at: Date, templates: [MessageTemplate])?

    /// A catalog of `businessAccountID`'s templates, read through the client `client` gives at each read (the access
    /// token in effect then).
    public init(
        businessAccountID: String,
        lifetime: TimeInterval = 600,
        now: @escaping @Sendable () -> Date = Date.init,
        client: @escaping @Sendable () -> GraphAPIClient
    ) {
        self.businessAccountID = businessAccountID
        self.lifetime = lifetime
        self.now = now
        self.client = client
    }

    /// The approved templates, by language then name; read again when the cached list is older than ``lifetime`` or
    /// `refresh` is set.
    public func approved(refresh: Bool = false) async throws(GraphAPIError) -> [MessageTemplate] {
        let date = now()
        if !refresh, let cached, date.timeIntervalSince(cached.at) < lifetime { return cached.templates }
        let templates = try await client().messageTemplates(businessAccountID: businessAccountID)
            .filter(\.isApproved)
            .sorted { ($0.language, $0.name) < ($1.language, $1.name) }
        cached = (date, templates)
        return templates
    }
}
