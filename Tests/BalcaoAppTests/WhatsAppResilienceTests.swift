import BalcaoApp
import BalcaoTesting
import Conversations
import Credits
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Graph API errors, credits, handoff and crashes.
@Suite("WhatsApp answering: errors, credits, handoff, crashes")
struct WhatsAppResilienceTests {
    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("a 130429 rate limit is retried and the reply is sent once")
    func rateLimitRetried() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        harness.graph.failNext(1, with: .rateLimit)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let attempts = await harness.graph.waitForRequests(2, timeout: .seconds(120)) { !$0.isMarkAsRead }
            #expect(attempts.count == 2)
            #expect(attempts.first?.responseStatus == 429)
            #expect(attempts.last?.responseStatus == 200)
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let outgoing = { try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).filter { $0.direction == "out" } }
            #expect(try await eventually { try outgoing().map(\.status) == ["sent"] }, "\((try? outgoing().map(\.status)) ?? [])")
            #expect(harness.graph.requests.filter { !$0.isMarkAsRead }.count == 2, "no attempt after the one that succeeded")
        }
    }

    @Test("131047 (outside the 24-hour window) is not retried; the message shows why")
    func reEngagementNotRetried() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        harness.graph.failNext(1, with: .reEngagement)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            _ = await harness.graph.waitForRequests(1) { !$0.isMarkAsRead }
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let last = { try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).last }
            #expect(try await eventually { try last()?.status == "failed" })
            #expect(try last()?.statusReason?.isEmpty == false)
            try await Task.sleep(for: .seconds(1.5))
            #expect(harness.sentTexts.count == 1, "a failed send must not be retried")
        }
    }

    @Test("190 (invalid token) stops sending and raises an alert; the reply is kept, not lost")
    func invalidTokenAlerts() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        harness.graph.failNext(1, with: .invalidToken)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            _ = await harness.graph.waitForRequests(1) { !$0.isMarkAsRead }
            #expect(try await eventually { try harness.daemon.balcao.database.openAlerts().first?.message.contains("190") == true })
            try await Task.sleep(for: .seconds(1))
            #expect(harness.sentTexts.count == 1, "sending stays paused")
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let out = try #require(try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).last)
            #expect(out.status == "queued")
        }
    }

    @Test("outside the 24-hour window the configured template is sent instead")
    func windowTemplate() async throws {
        let harness = try await WhatsAppHarness.start { $0.whatsapp.templateName = "retomar_conversa" }
        defer { Task { await harness.stop() } }
        let balcao = harness.daemon.balcao
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            _ = await harness.waitForSends(1)
            let conversation = try #require(try balcao.database.conversations().first)
            // The customer's last message is now 25 hours old.
            try await balcao.database.writer.write { db in
                try db.execute(
                    sql: "UPDATE conversation SET lastInboundAt = ? WHERE id = ?",
                    arguments: [Date().addingTimeInterval(-25 * 3600), conversation.id]
                )
            }
            try await balcao.database.enqueueReply(conversationID: conversation.id!, text: "Olá de novo!", author: "operator")
            let sent = await harness.waitForSends(2)
            #expect(sent.count == 2)
            #expect(sent.last?.json?["type"] as? String == "template")
            #expect((sent.last?.json?["template"] as? [String: Any])?["name"] as? String == "retomar_conversa")
        }
    }

    @Test("asking for a person hands off: the assistant stays silent until released; operators reply through the outbox")
    func handoff() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let auth: HTTPFields = [.authorization: harness.daemon.authorization, .contentType: "application/json"]
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Quero falar com um atendente"), client: client)
            let first = await harness.waitForSends(1)
            #expect(first.last?.textBody?.contains("Vou chamar uma pessoa") == true)
            #expect(harness.llm?.requestCount == 0)

            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            try await Task.sleep(for: .seconds(1))
            #expect(harness.sentTexts.count == 1, "the assistant must stay silent in human mode")

            let list = try json(try await client.execute(uri: "/api/v1/conversations?mode=human", method: .get, headers: auth))
            let id = try #require((list["conversations"] as? [[String: Any]])?.first?["id"] as? Int)
            let reply = try await client.execute(
                uri: "/api/v1/conversations/\(id)/reply",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"text": "Oi, aqui é a Ana!"}"#)
            )
            #expect(reply.status == .accepted)
            let afterReply = await harness.waitForSends(2)
            #expect(afterReply.last?.textBody == "Oi, aqui é a Ana!")

            let released = try await client.execute(uri: "/api/v1/conversations/\(id)/release", method: .post, headers: auth)
            #expect(try json(released)["mode"] as? String == "assistant")
            try await harness.deliver(WhatsAppHarness.textWebhook("E qual o prazo para devolução?"), client: client)
            let afterRelease = await harness.waitForSends(3)
            #expect(afterRelease.count == 3)
            #expect(afterRelease.last?.textBody?.contains("7 dias") == true)

            let thread = try json(try await client.execute(uri: "/api/v1/conversations/\(id)", method: .get, headers: auth))
            let authors = (thread["messages"] as? [[String: Any]])?.compactMap { $0["author"] as? String } ?? []
            #expect(authors.contains("operator"))
            #expect((thread["answers"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String } == ["handoff", "generated"])
        }
    }

    @Test("statuses move a reply forward only, and never trigger a reply")
    func monotonicStatuses() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(1)
            let messageID = try #require(sent.first?.responseMessageID)
            for status in ["delivered", "read", "sent", "delivered"] {
                try await harness.deliver(WhatsAppHarness.statusWebhook(messageID: messageID, status: status), client: client)
            }
            // Every status applied (in order, each with its inbox entry), then the furthest one stands.
            #expect(try await eventually { try harness.daemon.balcao.database.unprocessedWebhooks().isEmpty })
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let out = try #require(try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).last)
            #expect(out.status == "read")
            #expect(harness.sentTexts.count == 1)
        }
    }

    @Test("with no credit left the model is not called and the customer gets the out-of-credits message")
    func zeroBalance() async throws {
        let harness = try await WhatsAppHarness.start {
            $0.credits.pricePer1kInputTokens = 0.5
            $0.credits.pricePer1kOutputTokens = 1.5
        }
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.first?.textBody?.contains("não consigo responder automaticamente") == true)
            #expect(harness.llm?.requestCount == 0)
        }
    }

    @Test("concurrent turns never spend past the floor, and each answer is debited by its real cost")
    func noOverdraw() async throws {
        let harness = try await WhatsAppHarness.start { configuration in
            configuration.credits.pricePerAnswer = 1
            configuration.credits.floor = 0
        }
        defer { Task { await harness.stop() } }
        let balcao = harness.daemon.balcao
        // The hold covers the most an answer may cost (1 credit flat), so 3.5 credits pay for at most 3 answers.
        _ = try await balcao.ledger.topUp(amount: CreditAmount(credits: 3.5), reason: "test", actor: "test")
        try await harness.run { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for customer in 0..<8 {
                    group.addTask {
                        try await harness.deliver(
                            WhatsAppHarness.textWebhook("Qual o prazo para devolução?", from: "55119000000\(customer)"),
                            client: client
                        )
                    }
                }
                try await group.waitForAll()
            }
            let sent = await harness.waitForSends(8, settle: .seconds(1))
            #expect(sent.count == 8)
            let balance = try await balcao.ledger.balance()
            #expect(balance >= .zero)
            #expect(balance == CreditAmount(credits: 0.5))
            #expect(harness.llm?.requestCount == 3)
            let outOfCredits = sent.filter { $0.textBody?.contains("não consigo responder automaticamente") == true }
            #expect(outOfCredits.count == 5)
        }
    }
}
