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

/// Instagram Direct end to end over loopback: signed deliveries to `/webhooks/instagram`, the real daemon, and the fake
/// Graph API speaking Instagram's Send API.
@Suite("Instagram Direct, end to end")
struct InstagramFlowTests {
    static let appSecret = "instagram-app-secret"
    static let verifyToken = "ig-verify"
    static let account = "17841400000000001"

    static func start(clock: ConversationLifecycleTests.MovableClock = .init()) async throws -> WhatsAppHarness {
        try await WhatsAppHarness.start(
            configure: { configuration in
                configuration.instagram.appSecret = appSecret
                configuration.instagram.verifyToken = verifyToken
                configuration.instagram.accessToken = "test-access-token"
                configuration.instagram.graphBaseURL = configuration.whatsapp.graphBaseURL
            },
            clock: { clock.now() }
        )
    }

    /// A Direct message as Meta delivers it (Tests/InstagramTests/Fixtures/text-message.json's shape).
    static func textDelivery(
        _ text: String,
        from customer: String = "6020000000000001",
        mid: String = "aWdf\(UUID().uuidString)",
        at sent: Date = Date()
    )
        -> Data
    {
        delivery(["mid": mid, "text": text], from: customer, at: sent)
    }

    static func delivery(_ message: [String: Any], from customer: String = "6020000000000001", at sent: Date = Date()) -> Data {
        let milliseconds = Int(sent.timeIntervalSince1970 * 1000)
        let object: [String: Any] = [
            "object": "instagram",
            "entry": [
                [
                    "id": account, "time": milliseconds,
                    "messaging": [["sender": ["id": customer], "recipient": ["id": account], "timestamp": milliseconds, "message": message]],
                ]
            ],
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    @discardableResult
    static func deliver(_ body: Data, client: some TestClientProtocol, signature: String?? = .none) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        let header: String? = signature ?? WebhookSigner.sign(body: body, appSecret: appSecret)
        if let header { headers[HTTPField.Name(WebhookSigner.headerName)!] = header }
        return try await client.execute(uri: "/webhooks/instagram", method: .post, headers: headers, body: ByteBuffer(data: body))
    }

    static func instagramConversation(_ harness: WhatsAppHarness) throws -> Conversation {
        let conversations = try harness.daemon.balcao.database.reader.read { db in try Conversation.fetchAll(db) }
        #expect(conversations.count == 1)
        return try #require(conversations.first)
    }

    @Test("a signed Direct message gets exactly one plain-text reply through the Send API, even delivered twice")
    func answered() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        let body = Self.textDelivery("Qual o prazo para devolução?")
        try await harness.run { client in
            #expect(try await Self.deliver(body, client: client).status == .ok)
            #expect(try await Self.deliver(body, client: client).status == .ok)
            let sent = await harness.waitForSends(1, settle: .seconds(1))
            #expect(sent.count == 1)
            let reply = try #require(sent.first)
            #expect(reply.isInstagram && reply.phoneNumberID == Self.account && reply.authorization == "Bearer test-access-token")
            #expect((reply.json?["recipient"] as? [String: String])?["id"] == "6020000000000001")
            #expect(reply.instagramTag.messagingType == "RESPONSE" && reply.instagramTag.tag == nil)
            // The model wrote "**7 dias**": Direct shows no formatting, so the asterisks are gone.
            let text = try #require(reply.textBody)
            #expect(text.contains("7 dias") && !text.contains("*"), "\(text)")
        }
        let conversation = try Self.instagramConversation(harness)
        #expect(conversation.channel == .instagram && conversation.customerID == "6020000000000001" && conversation.phoneNumberID == Self.account)
        let messages = try harness.daemon.balcao.database.messages(ofConversation: conversation.id!)
        #expect(messages.filter { $0.direction == "in" }.count == 1)
        #expect(messages.first { $0.direction == "out" }?.status == "sent")
        #expect(harness.llm?.requestCount == 1)
    }

    @Test("a photo sent on Direct is fetched from its attachment address and read: its words reach the prompt, one reply")
    func photo() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.png(CustomerMediaTests.printedQuestion), mimeType: "image/png")
        // Meta's CDN serves Instagram's attachments; here the fake's own lookaside path, on the Graph API's host.
        let url = "http://127.0.0.1:\(harness.graph.port)/whatsapp_business/attachments/?mid=\(mediaID)"
        let attachment: [String: Any] = ["type": "image", "payload": ["url": url]]
        let body = Self.delivery(["mid": "aWdfphoto", "attachments": [attachment]])
        try await harness.run { client in
            let status = try await Self.deliver(body, client: client).status
            #expect(status == .ok)
            let sent = await harness.waitForSends(1, settle: .seconds(1))
            #expect(sent.count == 1 && sent.first?.isInstagram == true)
        }
        let system = try #require(harness.llm?.lastRequest?.messages.first { $0.role == "system" }?.content)
        #expect(system.contains("devolução de"), "the photo's text is not in the prompt")
        #expect(harness.graph.mediaDownloadCount == 1)
    }

    @Test("an attachment address off Meta's hosts is never fetched: the customer is told the file could not be used")
    func foreignAttachment() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        let attachment: [String: Any] = ["type": "image", "payload": ["url": "https://evil.example/steal-token.jpg"]]
        let body = Self.delivery(["mid": "aWdfforeign", "attachments": [attachment]])
        try await harness.run { client in
            let status = try await Self.deliver(body, client: client).status
            #expect(status == .ok)
            let sent = await harness.waitForSends(1, settle: .seconds(1))
            #expect(sent.count == 1)
        }
        let media = try CustomerMediaTests.onlyMedia(harness)
        #expect(media.state == .failed && media.failureDetail?.contains("Meta's hosts") == true)
        #expect(harness.graph.mediaDownloadCount == 0)
    }

    @Test("forged and unsigned deliveries are refused and nothing is stored; the verification handshake takes only its token")
    func forged() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        let body = Self.textDelivery("Oi")
        try await harness.run { client in
            let forged = WebhookSigner.sign(body: body, appSecret: "not-the-secret")
            #expect(try await Self.deliver(body, client: client, signature: .some(forged)).status == .forbidden)
            #expect(try await Self.deliver(body, client: client, signature: .some(nil)).status == .unauthorized)
            // WhatsApp's secret does not sign Instagram's deliveries.
            let whatsapp = WebhookSigner.sign(body: body, appSecret: WhatsAppHarness.appSecret)
            #expect(try await Self.deliver(body, client: client, signature: .some(whatsapp)).status == .forbidden)
            let challenge = "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444"
            let verified = try await client.execute(uri: challenge, method: .get)
            #expect(verified.status == .ok && String(buffer: verified.body) == "1158201444")
            let wrong = try await client.execute(
                uri: "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=\(WhatsAppHarness.verifyToken)&hub.challenge=1",
                method: .get
            )
            #expect(wrong.status == .forbidden)
        }
        let stored = try await harness.daemon.balcao.database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhookInbox") }
        #expect(stored == 0)
        #expect(harness.graph.sentMessages.isEmpty)
    }

    @Test("story mentions and reactions are recorded, never answered; the business's own echoes are skipped")
    func recordedOnly() async throws {
        let harness = try await Self.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let mention = Self.delivery([
                "mid": "aWdfmention",
                "attachments": [["type": "story_mention", "payload": ["url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"]]],
            ])
            #expect(try await Self.deliver(mention, client: client).status == .ok)
            let echo = Self.delivery(["mid": "aWdfecho", "text": "Olá!", "is_echo": true])
            #expect(try await Self.deliver(echo, client: client).status == .ok)
            try await harness.daemon.balcao.conversations.drainInbox()
            try await Task.sleep(for: .seconds(1))
        }
        #expect(harness.graph.sentMessages.isEmpty)
        let conversation = try Self.instagramConversation(harness)
        let kinds = try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).map(\.kind)
        #expect(kinds == ["story_mention"])
    }

    @Test("an operator's reply after 24 hours goes with the HUMAN_AGENT tag; after 7 days it is refused with the reason")
    func humanAgentWindow() async throws {
        let clock = ConversationLifecycleTests.MovableClock()
        let harness = try await Self.start(clock: clock)
        defer { Task { await harness.stop() } }
        let service = harness.daemon.balcao.conversations
        try await harness.run { client in
            #expect(try await Self.deliver(Self.textDelivery("Qual o prazo para devolução?", at: clock.now()), client: client).status == .ok)
            _ = await harness.waitForSends(1)
            let conversation = try Self.instagramConversation(harness)

            // 30 hours later: outside the standard window, inside the human agent's 7 days.
            clock.advance(30 * 3600)
            #expect(service.replyWindow(for: conversation, byPerson: false) != .open)
            #expect(service.replyWindow(for: conversation, byPerson: true) == .humanAgentOnly)
            _ = try #require(try await service.replyAsOperator(conversationID: conversation.id!, text: "Oi, aqui é a Júlia: pode trocar sim."))
            let sent = await harness.waitForSends(2)
            let late = try #require(sent.last)
            #expect(late.textBody == "Oi, aqui é a Júlia: pode trocar sim.")
            #expect(late.instagramTag.messagingType == "MESSAGE_TAG" && late.instagramTag.tag == "HUMAN_AGENT")

            // Eight days after the customer's message: refused before anything is queued, through the API too.
            clock.advance(7 * 24 * 3600)
            await #expect(throws: ReplyRefused.self) {
                try await service.replyAsOperator(conversationID: conversation.id!, text: "Ainda está aí?")
            }
            let response = try await client.execute(
                uri: "/api/v1/conversations/\(conversation.id!)/reply",
                method: .post,
                headers: [.authorization: harness.daemon.authorization, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"text":"Ainda está aí?"}"#)
            )
            #expect(response.status == .conflict)
            #expect(String(buffer: response.body).contains("7 days"), "\(String(buffer: response.body))")
        }
        #expect(harness.graph.sentMessages.count == 2)
        let outgoing = try harness.daemon.balcao.database.messages(ofConversation: try Self.instagramConversation(harness).id!).filter {
            $0.direction == "out"
        }
        #expect(outgoing.count == 2 && outgoing.last?.kind == "human_agent")
    }
}
