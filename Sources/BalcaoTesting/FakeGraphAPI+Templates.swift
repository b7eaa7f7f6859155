import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A message template as the fake serves it (`GET /{waba_id}/message_templates`).
public struct MessageTemplateFixture: Sendable, Hashable {
    public var id: String
    public var name: String
    public var language: String
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`.
    public var status: String
    /// `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    public var category: String
    /// The body's text, with `{{1}}`, `{{2}}` … placeholders.
    public var body: String
    /// A text header, if any.
    public var header: String?

    /// A template.
    public init(id: String, name: String, language: String, status: String, category: String, body: String, header: String? = nil) {
        self.id = id
        self.name = name
        self.language = language
        self.status = status
        self.category = category
        self.body = body
        self.header = header
    }
}

extension FakeGraphAPI {
    /// The WhatsApp Business Account id the fake answers for.
    public static let businessAccountID = "102290129340398"

    /// What the fake serves unless told otherwise: two approved Portuguese templates (one with two parameters), an
    /// approved English one, and a rejected and a pending one (which an operator must not be offered).
    public static let defaultTemplates: [MessageTemplateFixture] = [
        .init(
            id: "1402118360641700",
            name: "retomar_atendimento",
            language: "pt_BR",
            status: "APPROVED",
            category: "UTILITY",
            body: "Olá, {{1}}! Aqui é da Loja Exemplo, sobre a sua mensagem: {{2}}. Responda esta mensagem para continuarmos.",
            header: "Retomando seu atendimento"
        ),
        .init(
            id: "1402118360641701",
            name: "pedido_pronto",
            language: "pt_BR",
            status: "APPROVED",
            category: "UTILITY",
            body: "Seu pedido {{1}} está pronto para retirada."
        ),
        .init(
            id: "1402118360641702",
            name: "follow_up",
            language: "en_US",
            status: "APPROVED",
            category: "UTILITY",
            body: "Hi {{1}}, about your message: {{2}}."
        ),
        .init(id: "1402118360641703", name: "promo_natal", language: "pt_BR", status: "REJECTED", category: "MARKETING", body: "Promoção!"),
        .init(id: "1402118360641704", name: "aviso_novo", language: "pt_BR", status: "PENDING", category: "UTILITY", body: "Aviso {{1}}."),
    ]

    /// Replaces the templates served.
    public func setTemplates(_ templates: [MessageTemplateFixture]) { state.withLock { $0.templates = templates } }

    /// How many times the template list was read (to see the daemon's cache work).
    public var templateReadCount: Int { state.withLock { $0.templateReads } }

    /// `GET /{waba_id}/message_templates?fields=…&limit=…` as Meta answers it: `{"data": [{"name", "language",
    /// "status", "category", "id", "components": [{"type": "HEADER", "format": "TEXT", "text"}, {"type": "BODY",
    /// "text"}]}], "paging": {"cursors": {"before", "after"}}}`; 401 / code 190 without the right token, 400 / code 100
    /// for another account.
    func messageTemplates(_ request: Request, businessAccountID: String?) -> Response {
        if let refusal = refusingWrongToken(request) { return refusal }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        guard businessAccountID == Self.businessAccountID else {
            let body = Self.errorBody(
                GraphError(httpStatus: 400, code: 100, message: "(#100) Unsupported get request.", details: "Object does not exist")
            )
            return Response(status: .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let templates = state.withLock { state in
            state.templateReads += 1
            return state.templates
        }
        let data: [[String: Any]] = templates.map { template in
            var components: [[String: Any]] = []
            if let header = template.header { components.append(["type": "HEADER", "format": "TEXT", "text": header]) }
            components.append(["type": "BODY", "text": template.body])
            return [
                "name": template.name, "language": template.language, "status": template.status, "category": template.category,
                "id": template.id, "components": components, "parameter_format": "POSITIONAL",
            ]
        }
        let object: [String: Any] = ["data": data, "paging": ["cursors": ["before": "QVFIU0", "after": "QVFIU1"]]]
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}
