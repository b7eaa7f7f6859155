public import Foundation

/// An approved message template of the business (the only message WhatsApp delivers more than 24 hours after the
/// customer's last message), as `GET /{waba_id}/message_templates` describes it.
public struct MessageTemplate: Sendable, Hashable, Codable {
    /// Its name (`retomar_atendimento`).
    public var name: String
    /// Its language code (`pt_BR`).
    public var language: String
    /// `APPROVED`, `PENDING`, `REJECTED`, …: only approved ones can be sent.
    public var status: String
    /// `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    public var category: String
    /// The body's text with `{{1}}`, `{{2}}` … placeholders.
    public var body: String
    /// A text header, if it has one.
    public var header: String?

    /// A template.
    public init(name: String, language: String, status: String, category: String, body: String, header: String? = nil) {
        self.name = name
        self.language = language
        self.status = status
        self.category = category
        self.body = body
        self.header = header
    }

    /// Whether it can be sent.
    public var isApproved: Bool { status.uppercased() == "APPROVED" }

    /// How many body parameters it takes: the highest `{{n}}` in the body.
    public var parameterCount: Int {
        body.matches(of: /\{\{\s*(\d+)\s*\}\}/).compactMap { Int($0.output.1) }.max() ?? 0
    }

    /// The body with `parameters` in place of `{{1}}`, `{{2}}` … (what the customer reads).
    public func rendered(with parameters: [String]) -> String {
        // One pass: a value holding "{{1}}" is text, never replaced in turn.
        body.replacing(/\{\{\s*(\d+)\s*\}\}/) { match in
            Int(match.output.1).flatMap { $0 >= 1 && $0 <= parameters.count ? parameters[$0 - 1] : nil } ?? String(match.output.0)
        }
    }
}

extension GraphAPIWire {
    /// The templates of a `GET /{waba_id}/message_templates` answer (`data[]`: `name`, `language`, `status`,
    /// `category`, `components[]` with the `BODY` and a text `HEADER`). Entries without a name or a body are skipped.
    public static func parseTemplates(status: Int, body: Data, retryAfter: String? = nil) throws(GraphAPIError) -> [MessageTemplate] {
        try checkReadResponse(status: status, body: body, retryAfter: retryAfter)
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let data = object["data"] as? [[String: Any]]
        else { throw .invalidResponse(status: status, body: snippet(body)) }
        return data.compactMap { entry in
            guard let name = entry["name"] as? String, !name.isEmpty else { return nil }
            let components = entry["components"] as? [[String: Any]] ?? []
            func text(_ type: String) -> String? {
                components.first { ($0["type"] as? String)?.uppercased() == type }?["text"] as? String
            }
            guard let bodyText = text("BODY") else { return nil }
            return MessageTemplate(
                name: name,
                language: entry["language"] as? String ?? "",
                status: entry["status"] as? String ?? "",
                category: entry["category"] as? String ?? "",
                body: bodyText,
                header: text("HEADER")
            )
        }
    }
}

extension GraphAPIClient {
    /// The business's message templates (`GET /{waba_id}/message_templates`, up to 250), every status.
    public func messageTemplates(businessAccountID: String) async throws(GraphAPIError) -> [MessageTemplate] {
        try Self.check(id: businessAccountID, naming: "WhatsApp Business Account id", maxLength: 64)
        let path = "\(businessAccountID)/message_templates?fields=name,language,status,category,components&limit=250"
        let (status, data, retryAfter) = try await call(path: path, body: nil, phoneNumberID: "")
        return try GraphAPIWire.parseTemplates(status: status, body: data, retryAfter: retryAfter)
    }
}
