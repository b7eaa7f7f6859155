import AdminWeb
import AsyncHTTPClient
import BalcaoApp
import BalcaoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// The admin pages against the running daemon: WhatsApp deliveries through the fake Graph API, the event stream.
@Suite("Admin pages, live: takeover silences the assistant; new messages stream to the thread")
struct AdminLiveTests {
    static let appSecret = "app-secret-for-admin-tests"
    static let phoneNumberID = "106540352242922"

    /// A daemon answering WhatsApp through `graph`, with an agent that knows the return policy.
    static func harness(graph: FakeGraphAPI) async throws -> AdminHarness {
        let harness = try AdminHarness { configuration in
            configuration.whatsapp.appSecret = appSecret
            configuration.whatsapp.verifyToken = "verify"
            configuration.whatsapp.accessToken = graph.accessToken
            configuration.whatsapp.graphBaseURL = graph.baseURL
            configuration.whatsapp.quietPeriodSeconds = 0.2
        }
        try await harness.createUsers()
        let file = harness.dataDirectory.appendingPathComponent("politica.txt")
        try Data(PagesFixture.policy.utf8).write(to: file)
        _ = try await harness.balcao.library.add(fileAt: file, agent: "loja", password: nil)
        while let job = try await harness.balcao.database.claimNextJob() { await harness.balcao.pipeline.run(job) }
        var agent = try #require(try harness.balcao.database.agent(named: "loja"))
        agent.isDefault = true
        try await harness.balcao.database.save(&agent)
        return harness
    }

    /// A signed text-message webhook from the customer, as Meta sends it.
    static func deliver(_ text: String, client: some TestClientProtocol) async throws {
        let change: [String: Any] = [
            "messaging_product": "whatsapp",
            "metadata": ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID],
            "contacts": [["profile": ["name": "Maria"], "wa_id": "5511999990001"]],
            "messages": [
                [
                    "from": "5511999990001", "id": "wamid.\(UUID().uuidString)", "timestamp": String(Int(Date().timeIntervalSince1970)),
                    "type": "text", "text": ["body": text],
                ]
            ],
        ]
        let object: [String: Any] = [
            "object": "whatsapp_business_account", "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": change]]]],
        ]
        let body = try JSONSerialization.data(withJSONObject: object)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name(WebhookSigner.headerName)!] = WebhookSigner.sign(body: body, appSecret: appSecret)
        let response = try await client.execute(uri: "/webhooks/whatsapp", method: .post, headers: headers, body: ByteBuffer(data: body))
        #expect(response.status == .ok)
    }

    @Test("after a takeover the assistant stops answering: the Graph API receives only the operator's reply")
    func takeoverSilencesTheAssistant() async throws {
        let graph = try await FakeGraphAPI.start()
        let harness = try await Self.harness(graph: graph)
        let database = harness.balcao.database
        try await harness.application().test(.live) { client in
            try await Self.deliver("Qual o prazo de devolução dos produtos?", client: client)
            let first = await graph.waitForRequests(1) { !$0.isMarkAsRead }
            #expect(first.count == 1, "the assistant answers before the takeover")
            let conversation = try #require(try database.conversations().first)

            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            try await browser.get("/admin/conversations/\(conversation.id!)")
            #expect(try await browser.post("/admin/conversations/\(conversation.id!)/takeover").status == .seeOther)

            try await Self.deliver("E qual o prazo de devolução para trocas?", client: client)
            // The delivery is applied (a turn opened for it) and that turn is done, without a reply.
            let pending = {
                try await database.reader.read { db in
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT (SELECT COUNT(*) FROM webhookInbox WHERE processedAt IS NULL)
                                 + (SELECT COUNT(*) FROM turn WHERE state != 'done')
                            """
                    )
                }
            }
            #expect(try await eventually { try await pending() == 0 }, "the customer's turn was handled (silently)")
            try await Task.sleep(for: .milliseconds(500))
            #expect(graph.sentMessages.count == 1, "the assistant answered after the takeover: \(graph.sentMessages.compactMap(\.textBody))")

            #expect(
                try await browser.post("/admin/conversations/\(conversation.id!)/reply", [("text", "Oi Maria, aqui é a Rita.")]).status == .seeOther
            )
            let sent = await graph.waitForRequests(2) { !$0.isMarkAsRead }
            try await Task.sleep(for: .milliseconds(500))
            #expect(graph.sentMessages.count == 2)
            #expect(sent.last?.textBody == "Oi Maria, aqui é a Rita.")
        }
        await graph.stop()
    }

    @Test("the event stream sends a new message of the thread as it is written")
    func eventStream() async throws {
        let graph = try await FakeGraphAPI.start()
        let harness = try await Self.harness(graph: graph)
        let database = harness.balcao.database
        try await harness.application().test(.live) { client in
            try await Self.deliver("Qual o prazo de devolução dos produtos?", client: client)
            _ = await graph.waitForRequests(1) { !$0.isMarkAsRead }
            let conversation = try #require(try database.conversations().first)
            let lastID = try #require(try database.messages(ofConversation: conversation.id!).last?.id)
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let port = try #require(client.port)

            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/admin/conversations/\(conversation.id!)/events?after=\(lastID)")
            request.headers.add(name: "Cookie", value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            #expect(response.headers.first(name: "Content-Security-Policy") != nil)
            let writer = Task {
                try await Task.sleep(for: .milliseconds(700))
                try await database.enqueueReply(conversationID: conversation.id!, text: "Mensagem <i>ao vivo</i>", author: "operator")
            }
            var received = ""
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if received.contains("ao vivo") { break }
            }
            _ = try await writer.value
            #expect(received.contains("event: message"))
            #expect(received.contains(#""text":"Mensagem <i>ao vivo<\/i>""#) || received.contains(#""text":"Mensagem <i>ao vivo</i>""#))
            #expect(received.contains(#""author":"operator""#))
        }
        await graph.stop()
    }
}
