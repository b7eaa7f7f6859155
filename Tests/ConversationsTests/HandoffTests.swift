import Answering
import Foundation
import Logging
import Retrieval
import Storage
import Testing

@testable import Conversations

/// Take-over, release and an operator's reply: the use cases the admin page and the API share
/// (``ConversationsService/takeOver(conversationID:)`` and its siblings), against a real database file and one clock.
@Suite("Hand-off to a person")
struct HandoffTests {
    /// Sends nothing: these tests never run the sender (the outbox is read instead).
    struct UnusedChannel: OutboundChannel {
        func prepare(_ markdown: String, for conversation: Conversation) -> [String] { [markdown] }
        func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
            .unknown(reason: "not used")
        }
        func sendTemplate(
            name: String,
            language: String,
            parameters: [String],
            to conversation: Conversation,
            callbackData: String
        ) async -> SendOutcome {
            .unknown(reason: "not used")
        }
        func markRead(messageID: String, in conversation: Conversation) async {}
        func retryDelay(attempt: Int) -> TimeInterval { 1 }
    }

    /// Bodies are never decoded here: conversations are opened by applying events directly.
    struct UnusedDecoder: WebhookDecoding {
        struct Unused: Error {}
        func events(from body: Data) throws -> [InboundEvent] { throw Unused() }
    }

    static func service(_ database: AppDatabase, clock: ManualClock, humanTimeout: TimeInterval = 3600) -> ConversationsService {
        var settings = ConversationSettings()
        settings.humanTimeout = humanTimeout
        let search = SearchService(database: database, embedder: nil, vectorIndex: NoVectorIndex())
        var service = ConversationsService(
            database: database,
            decoders: [.whatsapp: UnusedDecoder()],
            answerer: Answerer(search: search, chatModel: nil),
            credits: UnmeteredCredits(),
            channel: UnusedChannel(),
            settings: settings,
            logger: Logger(label: "test")
        )
        service.clock = { clock.now }
        return service
    }

    /// Opens a conversation with one customer message; returns its id.
    static func openConversation(_ database: AppDatabase, at date: Date) async throws -> Int64 {
        let message = InboundMessage(
            id: "wamid.1",
            phoneNumberID: "PN1",
            customerID: "5511999990000",
            addressing: "to",
            customerName: "Ana",
            timestamp: date,
            kind: "text",
            content: .text("Qual o prazo de troca?")
        )
        let inbox = try await database.storeWebhook(body: Data("{}".utf8), now: date)
        let applied = try await database.applyWebhook(
            id: inbox,
            events: [.message(message)],
            quietPeriod: 0,
            textOnlyReply: { _ in "" },
            now: date
        )
        #expect(applied.newMessages == 1)
        return try #require(try database.messages(ofConversation: 1).first?.conversationId)
    }

    @Test("take-over silences the assistant until the hand-off deadline by the service's clock; release gives it back")
    func takeOverAndRelease() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let clock = ManualClock()
        let service = Self.service(test.database, clock: clock, humanTimeout: 1800)
        let id = try await Self.openConversation(test.database, at: clock.now)
        clock.advance(seconds: 60)

        let taken = try #require(try await service.takeOver(conversationID: id))
        #expect(taken.mode == .human)
        #expect(taken.humanUntil == clock.now.addingTimeInterval(1800))
        #expect(try test.database.conversation(id: id)?.mode == .human)

        let released = try #require(try await service.release(conversationID: id))
        #expect(released.mode == .assistant)
        #expect(released.humanUntil == nil)
        #expect(try await service.takeOver(conversationID: 999) == nil)
        #expect(try await service.release(conversationID: 999) == nil)
    }

    @Test("an operator's reply is queued for sending and takes the conversation over if the assistant had it")
    func operatorReply() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let clock = ManualClock()
        let service = Self.service(test.database, clock: clock, humanTimeout: 600)
        let id = try await Self.openConversation(test.database, at: clock.now)

        let messageID = try #require(try await service.replyAsOperator(conversationID: id, text: "Oi Ana, aqui é a Júlia."))
        let conversation = try #require(try test.database.conversation(id: id))
        #expect(conversation.mode == .human)
        #expect(conversation.humanUntil == clock.now.addingTimeInterval(600))
        let outbox = try #require(try test.database.outboxItem(ofMessage: messageID))
        #expect(outbox.state == .pending)
        let sent = try #require(try test.database.messages(ofConversation: id).last)
        #expect(sent.author == "operator" && sent.text == "Oi Ana, aqui é a Júlia.")

        // A second reply while the person has it keeps the deadline the take-over set.
        clock.advance(seconds: 120)
        _ = try await service.replyAsOperator(conversationID: id, text: "Já verifico.")
        #expect(try test.database.conversation(id: id)?.humanUntil == conversation.humanUntil)
        #expect(try await service.replyAsOperator(conversationID: 999, text: "?") == nil)
    }
}
