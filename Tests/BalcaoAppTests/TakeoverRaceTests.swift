import Foundation
import GRDB
import Storage
import Testing

@testable import Conversations

/// A person taking a conversation over while the assistant is still writing its answer.
@Suite("Takeover during an answer")
struct TakeoverRaceTests {
    /// A conversation with one due turn, claimed as a worker would claim it.
    func claimedTurn(_ database: AppDatabase) async throws -> ClaimedTurn {
        let now = Date()
        let message = InboundMessage(
            id: "wamid.race",
            phoneNumberID: "1",
            customerID: "5511999990001",
            addressing: "to",
            customerName: "Maria",
            timestamp: now,
            kind: "text",
            content: .text("Qual o prazo de devolução?")
        )
        let inbox = try await database.storeWebhook(body: Data("{}".utf8))
        _ = try await database.applyWebhook(id: inbox, events: [.message(message)], quietPeriod: 0, textOnlyReply: { _ in "" }, now: now)
        return try #require(try await database.claimDueTurn(now: now.addingTimeInterval(1)))
    }

    func outgoing(_ database: AppDatabase) throws -> Int {
        try database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? -1 }
    }

    @Test("a takeover while the answer is written: the answer is recorded, nothing is sent, the person keeps the conversation")
    func takeoverWins() async throws {
        let database = try AppDatabase.inMemory()
        let claimed = try await claimedTurn(database)
        #expect(claimed.conversation.mode == .assistant)
        let until = Date().addingTimeInterval(3600)
        _ = try await database.setMode(conversationID: claimed.conversation.id!, .human, until: until)

        let answer = AnswerRecord(
            conversationId: claimed.conversation.id!,
            turnId: claimed.turn.id,
            question: "Qual o prazo de devolução?",
            text: "7 dias.",
            outcome: .generated,
            sources: "[]",
            latencyMs: 5,
            promptTokens: 10,
            completionTokens: 3,
            cost: 0,
            createdAt: Date()
        )
        try await database.finishTurn(
            claimed,
            answer: answer,
            replies: ["7 dias."],
            conversationChanges: {
                $0.mode = .assistant
                $0.humanUntil = nil
            }
        )
        #expect(try outgoing(database) == 0, "the assistant's reply was queued after a person took over")
        let conversation = try #require(try database.conversation(id: claimed.conversation.id!))
        #expect(conversation.mode == .human, "finishing the turn handed the conversation back to the assistant")
        #expect(try database.answers(ofConversation: claimed.conversation.id!).count == 1, "the answer (and its cost) is still recorded")
    }

    @Test("without a takeover the reply is queued and the changes applied")
    func noTakeover() async throws {
        let database = try AppDatabase.inMemory()
        let claimed = try await claimedTurn(database)
        try await database.finishTurn(claimed, answer: nil, replies: ["7 dias."], conversationChanges: { $0.consecutiveUnanswered = 0 })
        #expect(try outgoing(database) == 1)
        // A handoff decided by the turn itself is not mistaken for a takeover.
        let second = try await claimedTurn2(database, conversation: claimed.conversation)
        try await database.finishTurn(second, answer: nil, replies: ["Vou chamar alguém."], conversationChanges: { $0.mode = .human })
        #expect(try outgoing(database) == 2)
        #expect(try database.conversation(id: claimed.conversation.id!)?.mode == .human)
    }

    func claimedTurn2(_ database: AppDatabase, conversation: Conversation) async throws -> ClaimedTurn {
        let now = Date().addingTimeInterval(2)
        let message = InboundMessage(
            id: "wamid.race.2",
            phoneNumberID: "1",
            customerID: "5511999990001",
            addressing: "to",
            customerName: "Maria",
            timestamp: now,
            kind: "text",
            content: .text("Quero falar com um atendente")
        )
        let inbox = try await database.storeWebhook(body: Data("{}".utf8))
        _ = try await database.applyWebhook(id: inbox, events: [.message(message)], quietPeriod: 0, textOnlyReply: { _ in "" }, now: now)
        return try #require(try await database.claimDueTurn(now: now.addingTimeInterval(1)))
    }
}
