import Answering
import BalcaoTesting
import Foundation
import GRDB
import Logging
import Retrieval
import Storage
import Synchronization
import Testing

@testable import Conversations

/// A turn sends its first reply itself, in the transaction that ends it, instead of leaving it to the outbox workers
/// (one commit and one hop less between a customer's message and the reply) — except while sending is paused.
@Suite("A turn sends its reply")
struct TurnSendsReplyTests {
    /// Records what is sent and answers with the outcomes given, in order (then `.sent`).
    final class RecordingChannel: OutboundChannel {
        private let state: Mutex<(sent: [String], outcomes: [SendOutcome])>
        init(outcomes: [SendOutcome] = []) { state = Mutex(([], outcomes)) }
        var sent: [String] { state.withLock { $0.sent } }

        func prepare(_ markdown: String, for conversation: Conversation) -> [String] { [markdown] }
        func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
            state.withLock { state in
                state.sent.append(text)
                return state.outcomes.isEmpty ? .sent(messageID: "wamid.OUT\(state.sent.count)") : state.outcomes.removeFirst()
            }
        }
        func sendTemplate(
            name: String,
            language: String,
            parameters: [String],
            to conversation: Conversation,
            callbackData: String
        ) async -> SendOutcome {
            .refused(.doNotRetry, code: nil, reason: "no templates here")
        }
        func markRead(messageID: String, in conversation: Conversation) async {}
        func retryDelay(attempt: Int) -> TimeInterval { 1 }
    }

    /// A service with no outbox worker at all: whatever reaches the channel was sent by a turn.
    static func service(_ database: AppDatabase, channel: RecordingChannel) -> ConversationsService {
        var settings = ConversationSettings()
        settings.sendConcurrency = 0
        settings.quietPeriod = 0
        settings.textOnlyMessage = "Só texto."
        let search = SearchService(database: database, embedder: nil, vectorIndex: NoVectorIndex())
        return ConversationsService(
            database: database,
            decoders: [.whatsapp: HandoffTests.UnusedDecoder()],
            answerer: Answerer(search: search, chatModel: nil),
            credits: UnmeteredCredits(),
            channel: channel,
            settings: settings,
            logger: Logger(label: "test")
        )
    }

    /// A customer's text message, applied to the inbox now.
    static func receive(_ text: String, id: String, from customer: String = "5511999990000", database: AppDatabase) async throws {
        let message = InboundMessage(
            id: id,
            phoneNumberID: "PN1",
            customerID: customer,
            addressing: "to",
            customerName: "Ana",
            timestamp: Date(),
            kind: "text",
            content: .text(text)
        )
        let inbox = try await database.storeWebhook(body: Data("{}".utf8), now: Date())
        _ = try await database.applyWebhook(id: inbox, events: [.message(message)], quietPeriod: 0, textOnlyReply: { _ in "" }, now: Date())
    }

    static func outbox(_ database: AppDatabase) throws -> [OutboxItem] {
        try database.reader.read { db in try OutboxItem.order(Column("id")).fetchAll(db) }
    }

    static func turnsDone(_ database: AppDatabase) throws -> Int {
        try database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM turn WHERE state = 'done'") ?? 0 }
    }

    @Test("with no outbox worker running, the turn's reply still goes out, once, recorded as sent on its first attempt")
    func turnSendsItsReply() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let channel = RecordingChannel()
        let service = Self.service(test.database, channel: channel)
        let running = Task { try await service.run() }
        defer { running.cancel() }

        try await Self.receive("Qual o prazo de troca?", id: "wamid.1", database: test.database)
        #expect(try await eventually { try Self.outbox(test.database).first?.state == .sent })
        let items = try Self.outbox(test.database)
        #expect(items.map(\.state) == [.sent])
        #expect(items.first?.attempts == 1)
        #expect(channel.sent.count == 1)
    }

    @Test("after WhatsApp asked the operator to act, another customer's turn leaves its reply queued for the outbox workers")
    func pausedSendingLeavesTheReplyQueued() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let channel = RecordingChannel(outcomes: [.refused(.stopAndAlert, code: 190, reason: "token expired")])
        let service = Self.service(test.database, channel: channel)
        let running = Task { try await service.run() }
        defer { running.cancel() }

        try await Self.receive("Qual o prazo de troca?", id: "wamid.1", database: test.database)
        #expect(try await eventually { try Self.outbox(test.database).first?.lastError == "token expired" })
        try await Self.receive("E o frete?", id: "wamid.2", from: "5511999990002", database: test.database)
        #expect(try await eventually { try Self.turnsDone(test.database) == 2 })

        // The refused reply waits for the pause to end; the other conversation's reply, next of its own and so free to
        // go, was not tried during the pause.
        let items = try Self.outbox(test.database)
        #expect(items.map(\.state) == [.pending, .pending])
        #expect(items.map(\.attempts) == [1, 0])
        #expect(channel.sent.count == 1)
    }
}
