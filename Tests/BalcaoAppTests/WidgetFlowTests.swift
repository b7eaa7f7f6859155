import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// The website's chat widget over loopback: the endpoints a page of an allowed origin calls, the real daemon, its
/// workers and the fake LLM. (The script itself runs in Chromium: Tests/Browser/test_widget.py.)
@Suite("Website chat widget, end to end")
struct WidgetFlowTests {
    static let site = "http://shop.test:8000"
    static let token = "0123456789abcdef0123456789abcdef"

    static func start() async throws -> WhatsAppHarness {
        let harness = try await WhatsAppHarness.start()
        var agent = try #require(try harness.daemon.balcao.database.agent(named: "loja"))
        agent.widgetOrigins = [site]
        agent.widgetShowsSources = true
        try await harness.daemon.balcao.database.save(&agent)
        return harness
    }

    static func post(_ client: some TestClientProtocol, text: String, origin: String? = site, visitor: String = token) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let origin { headers[HTTPField.Name("Origin")!] = origin }
        let body = try JSONSerialization.data(withJSONObject: ["agent": "loja", "visitor": visitor, "text": text])
        return try await client.execute(uri: "/widget/v1/messages", method: .post, headers: headers, body: ByteBuffer(data: body))
    }

    static func poll(_ client: some TestClientProtocol, origin: String = site, after: Int64 = 0) async throws -> (TestResponse, [[String: Any]]) {
        let response = try await client.execute(
            uri: "/widget/v1/messages?agent=loja&visitor=\(token)&after=\(after)",
            method: .get,
            headers: [HTTPField.Name("Origin")!: origin]
        )
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
        return (response, object?["messages"] as? [[String: Any]] ?? [])
    }

    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!

    @Test("a visitor's question from an allowed site is answered with its source; an operator's reply reaches the widget")
    func answered() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let config = try await client.execute(uri: "/widget/v1/config?agent=loja", method: .get, headers: [HTTPField.Name("Origin")!: Self.site])
            #expect(config.status == .ok && config.headers[Self.allowOrigin] == Self.site)
            #expect(String(buffer: config.body).contains(#""showSources":true"#))

            let sent = try await Self.post(client, text: "Qual o prazo para devolução?")
            #expect(sent.status == .accepted && sent.headers[Self.allowOrigin] == Self.site)
            var messages: [[String: Any]] = []
            #expect(
                await eventually(timeout: .seconds(60)) {
                    messages = (try? await Self.poll(client).1) ?? []
                    return messages.contains { $0["author"] as? String == "assistant" }
                }
            )
            #expect(messages.first?["author"] as? String == "customer" && messages.first?["text"] as? String == "Qual o prazo para devolução?")
            let answer = try #require(messages.first { $0["author"] as? String == "assistant" })
            let text = try #require(answer["text"] as? String)
            #expect(text.contains("7 dias") && !text.contains("**"), "\(text)")
            let source = try #require((answer["sources"] as? [[String: String]])?.first)
            #expect(source["title"] == "politica.txt")
            // The source's link opens the document, as plain text that can run nothing.
            let link = try #require(source["url"].flatMap(URL.init(string:)))
            #expect(link.path.hasPrefix("/widget/v1/documents/"))
            let opened = try await client.execute(uri: link.path + "?" + (link.query ?? ""), method: .get)
            #expect(opened.status == .ok && String(buffer: opened.body).contains("7 dias corridos"))
            #expect(opened.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(opened.headers[HTTPField.Name("Content-Security-Policy")!]?.hasPrefix("sandbox") == true)
            #expect(try await client.execute(uri: link.path + "9?agent=loja", method: .get).status == .notFound)
            #expect(try await client.execute(uri: link.path + "?agent=outro", method: .get).status == .notFound)
            // Nothing went to WhatsApp.
            #expect(harness.graph.sentMessages.isEmpty)

            let conversation = try #require(try await harness.daemon.balcao.database.reader.read { db in try Conversation.fetchOne(db) })
            #expect(conversation.channel == .web && conversation.phoneNumberID == "web:loja")
            #expect(conversation.customerID.hasPrefix("v-") && !conversation.customerID.contains(Self.token), "the token is stored only as a digest")

            let last = messages.compactMap { $0["id"] as? Int64 ?? ($0["id"] as? Int).map(Int64.init) }.max() ?? 0
            _ = try #require(
                try await harness.daemon.balcao.conversations.replyAsOperator(conversationID: conversation.id!, text: "Oi, aqui é a Júlia.")
            )
            #expect(
                await eventually(timeout: .seconds(30)) {
                    ((try? await Self.poll(client, after: last).1) ?? []).contains { $0["author"] as? String == "operator" }
                }
            )
        }
    }

    static func postJSON(_ client: some TestClientProtocol, _ path: String, _ object: [String: String]) async throws -> TestResponse {
        let headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("Origin")!: site]
        return try await client.execute(
            uri: path,
            method: .post,
            headers: headers,
            body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
        )
    }

    @Test("a visitor handed to a person no one has answered is asked for a contact, after the notice; it is kept with the conversation")
    func contact() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let handoff = ["agent": "loja", "visitor": Self.token, "text": "Quero falar com uma pessoa", "button": "balcao:handoff"]
            #expect(try await Self.postJSON(client, "/widget/v1/messages", handoff).status == .accepted)
            var poll: [String: Any] = [:]
            #expect(
                await eventually(timeout: .seconds(60)) {
                    let response = try? await client.execute(
                        uri: "/widget/v1/messages?agent=loja&visitor=\(Self.token)&after=0",
                        method: .get,
                        headers: [HTTPField.Name("Origin")!: Self.site]
                    )
                    poll = response.flatMap { (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any] } ?? [:]
                    return poll["askContact"] as? Bool == true
                }
            )
            #expect((poll["contactNotice"] as? String)?.contains("apagá-los") == true)
            let bad = try await Self.postJSON(
                client,
                "/widget/v1/contact",
                ["agent": "loja", "visitor": Self.token, "name": "Maria", "contact": "amanhã"]
            )
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("bad_contact"))
            let good = try await Self.postJSON(
                client,
                "/widget/v1/contact",
                ["agent": "loja", "visitor": Self.token, "name": "Maria <b>Silva</b>", "contact": "+55 (11) 91234-5678"]
            )
            #expect(good.status == .noContent && good.headers[Self.allowOrigin] == Self.site)
            let (_, _) = try await Self.poll(client)
            let after = try await client.execute(
                uri: "/widget/v1/messages?agent=loja&visitor=\(Self.token)&after=0",
                method: .get,
                headers: [HTTPField.Name("Origin")!: Self.site]
            )
            #expect(String(buffer: after.body).contains(#""askContact":false"#))
            // Another visitor, who never wrote, has no conversation to keep it with.
            let stranger = ["agent": "loja", "visitor": "fedcba9876543210fedcba9876543210", "name": "Ana", "contact": "ana@example.com"]
            #expect(try await Self.postJSON(client, "/widget/v1/contact", stranger).status == .badRequest)
        }
        let conversation = try #require(try await harness.daemon.balcao.database.reader.read { db in try Conversation.fetchOne(db) })
        #expect(conversation.customerContact?.name == "Maria <b>Silva</b>" && conversation.customerContact?.contact == "+55 (11) 91234-5678")
        #expect(conversation.customerName == "Maria <b>Silva</b>", "the name left names the conversation in the list")
    }

    @Test("a page of another origin, or none, gets nothing: 403 without CORS headers, and nothing is stored")
    func disallowedOrigin() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            for origin in ["http://evil.test", "http://shop.test", "https://shop.test:8000", "null"] as [String?] + [nil] {
                let refused = try await Self.post(client, text: "Oi", origin: origin)
                #expect(refused.status == .forbidden, "\(origin ?? "no origin")")
                #expect(refused.headers[Self.allowOrigin] == nil)
            }
            let (read, _) = try await Self.poll(client, origin: "http://evil.test")
            #expect(read.status == .forbidden && read.headers[Self.allowOrigin] == nil)
            let config = try await client.execute(
                uri: "/widget/v1/config?agent=loja",
                method: .get,
                headers: [HTTPField.Name("Origin")!: "http://evil.test"]
            )
            #expect(config.status == .forbidden && config.headers[Self.allowOrigin] == nil)
            let preflight = try await client.execute(
                uri: "/widget/v1/messages",
                method: .options,
                headers: [HTTPField.Name("Origin")!: Self.site, HTTPField.Name("Access-Control-Request-Method")!: "POST"]
            )
            #expect(preflight.status == .noContent && preflight.headers[Self.allowOrigin] == Self.site)
            let evilPreflight = try await client.execute(
                uri: "/widget/v1/messages",
                method: .options,
                headers: [HTTPField.Name("Origin")!: "http://evil.test"]
            )
            #expect(evilPreflight.status == .forbidden && evilPreflight.headers[Self.allowOrigin] == nil)
            let script = try await client.execute(uri: "/widget.js", method: .get)
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("application/javascript") == true)
        }
        let stored = try await harness.daemon.balcao.database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhookInbox") }
        #expect(stored == 0)
    }

    @Test("limits: a message over 2,000 characters is refused with 413, a visitor's sixth message in a burst with 429 and Retry-After")
    func limits() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            #expect(try await Self.post(client, text: String(repeating: "a", count: 2_001)).status == .contentTooLarge)
            #expect(try await Self.post(client, text: "   ").status == .badRequest)
            #expect(try await Self.post(client, text: "Oi", visitor: "short").status == .badRequest)
            for index in 1...5 { #expect(try await Self.post(client, text: "Mensagem \(index)").status == .accepted) }
            let refused = try await Self.post(client, text: "Mensagem 6")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            // Another visitor is not held back by the first one's burst.
            #expect(try await Self.post(client, text: "Oi", visitor: "fedcba9876543210fedcba9876543210").status == .accepted)
        }
    }
}
