import BalcaoApp
import BalcaoTesting
import Credits
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Agents and credits API")
struct AgentsAndCreditsAPITests {
    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("agents: create, read, update (partial), conflict on a taken name, delete")
    func agentsCRUD() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        let headers: HTTPFields = [.authorization: daemon.authorization, .contentType: "application/json"]
        try await app.test(.router) { client in
            let created = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(
                    string:
                        #"{"name": "Vendas", "persona": "Você é a vendedora.", "phone_number_ids": ["111"], "handoff_keywords": ["gerente"], "is_default": true}"#
                )
            )
            #expect(created.status == .created)
            let agent = try json(created)
            let id = try #require(agent["id"] as? Int)
            #expect(agent["language"] as? String == "pt-BR")
            #expect(agent["phone_number_ids"] as? [String] == ["111"])
            #expect(agent["documents"] as? [Int] == [])

            let conflict = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name": "Vendas"}"#)
            )
            #expect(conflict.status == .conflict)
            let invalid = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"persona": "x"}"#)
            )
            #expect(invalid.status == .badRequest)

            let updated = try await client.execute(
                uri: "/api/v1/agents/\(id)",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: #"{"name": "Vendas", "language": "en"}"#)
            )
            #expect(updated.status == .ok)
            let after = try json(updated)
            #expect(after["language"] as? String == "en")
            #expect(after["persona"] as? String == "Você é a vendedora.")
            #expect(try daemon.balcao.database.agent(forPhoneNumberID: "111")?.name == "Vendas")

            let list = try json(try await client.execute(uri: "/api/v1/agents", method: .get, headers: headers))
            #expect((list["agents"] as? [[String: Any]])?.count == 1)
            #expect(try await client.execute(uri: "/api/v1/agents/\(id)", method: .delete, headers: headers).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/agents/\(id)", method: .get, headers: headers).status == .notFound)
        }
    }

    @Test("a request the generated decoding refuses gets the API's own 4xx error, naming what was wrong")
    func decodingFailures() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        let json: HTTPFields = [.authorization: daemon.authorization, .contentType: "application/json"]
        try await app.test(.router) { client in
            func refusal(_ uri: String, _ method: HTTPRequest.Method, headers: HTTPFields, body: String? = nil) async throws -> (Int, String, String)
            {
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                let error = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: String]])
                return (response.status.code, error["error"]?["code"] ?? "", error["error"]?["message"] ?? "")
            }
            let missing = try await refusal("/api/v1/agents", .post, headers: json, body: #"{"nome": "Vendas"}"#)
            #expect(missing.0 == 400 && missing.1 == "bad_request" && missing.2 == "The body needs the field “name”.")
            let wrongType = try await refusal("/api/v1/agents", .post, headers: json, body: #"{"name": "Vendas", "documents": ["x"]}"#)
            #expect(wrongType.0 == 400 && wrongType.2 == "The field “documents[0]” must be a whole number.")
            let notJSON = try await refusal("/api/v1/credits/topups", .post, headers: json, body: #"{"amount": "#)
            #expect(notJSON.0 == 400 && notJSON.2 == "The body is not valid JSON for this operation.")
            let parameter = try await refusal("/api/v1/documents/abc", .get, headers: json)
            #expect(parameter.0 == 400 && parameter.2.contains("whole number") && parameter.2.contains("id = abc"))
            let form: HTTPFields = [.authorization: daemon.authorization, .contentType: "application/x-www-form-urlencoded"]
            let mediaType = try await refusal("/api/v1/agents", .post, headers: form, body: "name=Vendas")
            #expect(mediaType.0 == 415 && mediaType.1 == "unsupported_media_type")
            let large = try await refusal(
                "/api/v1/agents",
                .post,
                headers: json,
                body: #"{"name": ""# + String(repeating: "a", count: 1 << 20) + #""}"#
            )
            #expect(large.0 == 413 && large.1 == "too_large")
            #expect(try daemon.balcao.database.agents().isEmpty)
        }
    }

    @Test("a NUL escaped in any string of a body is kept as U+FFFD, so the agent listed is the agent accepted")
    func nulCharacters() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        let headers: HTTPFields = [.authorization: daemon.authorization, .contentType: "application/json"]
        try await app.test(.router) { client in
            // Found by make test's schemathesis run (seed 1096791197): the name was stored whole and read back as "".
            let created = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name": "\u0000", "phone_number_ids": ["\u0000"], "persona": "a\u0000b", "instructions": "\\u0000"}"#)
            )
            #expect(created.status == .created)
            let id = try #require(try json(created)["id"] as? Int)
            let listed = try json(try await client.execute(uri: "/api/v1/agents/\(id)", method: .get, headers: headers))
            #expect(listed["name"] as? String == "\u{FFFD}")
            #expect(listed["phone_number_ids"] as? [String] == ["\u{FFFD}"])
            #expect(listed["persona"] as? String == "a\u{FFFD}b")
            // An escaped backslash before "u0000" is the text \u0000, not a NUL.
            #expect(listed["instructions"] as? String == #"\u0000"#)
            let whitespace = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name": " \u0009 "}"#)
            )
            #expect(whitespace.status == .badRequest)
            // Blank is what the document's pattern (`\S`, ECMAScript's) calls blank: U+0085 (NEXT LINE) is not, though
            // Foundation trims it (make test's schemathesis run, seed 12345, had a name of one U+0085 refused).
            let nextLine = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name": "\u0085"}"#)
            )
            #expect(nextLine.status == .created)
            #expect(try json(nextLine)["name"] as? String == "\u{85}")
            let ideographicSpace = try await client.execute(
                uri: "/api/v1/agents",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"name": "\u3000\u2028"}"#)
            )
            #expect(ideographicSpace.status == .badRequest)
        }
    }

    @Test("credits: top-ups are idempotent by external id and show in the ledger")
    func topUps() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        let headers: HTTPFields = [.authorization: daemon.authorization, .contentType: "application/json"]
        try await app.test(.router) { client in
            let body = #"{"amount": 25.5, "reason": "Pix recebido", "external_id": "pix-1"}"#
            #expect(
                try await client.execute(uri: "/api/v1/credits/topups", method: .post, headers: headers, body: ByteBuffer(string: body)).status
                    == .created
            )
            #expect(
                try await client.execute(uri: "/api/v1/credits/topups", method: .post, headers: headers, body: ByteBuffer(string: body)).status == .ok
            )
            let bad = try await client.execute(
                uri: "/api/v1/credits/topups",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: #"{"amount": -1, "reason": "x"}"#)
            )
            #expect(bad.status == .badRequest)
            let credits = try json(try await client.execute(uri: "/api/v1/credits", method: .get, headers: headers))
            #expect(credits["balance"] as? String == CreditAmount(credits: 25.5).formatted)
            let ledger = try #require(credits["ledger"] as? [[String: Any]])
            #expect(ledger.count == 1)
            #expect(ledger.first?["actor"] as? String == "api")
            #expect(ledger.first?["reason"] as? String == "Pix recebido")
        }
    }

    @Test("Stripe: a signed checkout.session.completed credits once; forged or stale signatures are refused")
    func stripeWebhook() async throws {
        let secret = "whsec_test_secret"
        let daemon = try TestDaemon { $0.credits.stripeWebhookSecret = secret }
        let app = try buildApplication(daemon.balcao)
        let event = Data(
            #"{"id": "evt_123", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1", "payment_status": "paid", "metadata": {"credits": "100"}}}}"#
                .utf8
        )
        @Sendable func post(_ client: some TestClientProtocol, signature: String) async throws -> TestResponse {
            try await client.execute(
                uri: "/webhooks/payments/stripe",
                method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: signature],
                body: ByteBuffer(data: event)
            )
        }
        try await app.test(.router) { client in
            let valid = StripeWebhook.signatureHeader(payload: event, secret: secret, timestamp: Date())
            #expect(try await post(client, signature: valid).status == .ok)
            #expect(try await post(client, signature: valid).status == .ok)
            let balance = try await daemon.balcao.ledger.balance()
            #expect(balance == CreditAmount(credits: 100))

            let forged = StripeWebhook.signatureHeader(payload: event, secret: "whsec_other", timestamp: Date())
            #expect(try await post(client, signature: forged).status == .badRequest)
            let stale = StripeWebhook.signatureHeader(payload: event, secret: secret, timestamp: Date().addingTimeInterval(-600))
            #expect(try await post(client, signature: stale).status == .badRequest)
            let after = try await daemon.balcao.ledger.balance()
            #expect(after == CreditAmount(credits: 100))
        }
    }
}
