public import Answering
public import Foundation
import GRDB
public import Logging
public import Storage

/// Answers one turn: handoff requests, retrieval, credits, the model or a quoted answer, and the reply queued in the
/// same transaction that ends the turn and debits the cost.
public struct TurnProcessor: Sendable {
    /// The store.
    public let database: AppDatabase
    /// Builds answers.
    public let answerer: Answerer
    /// Pays for model answers.
    public let credits: any CreditGate
    /// Formats replies and marks messages read.
    public let channel: any OutboundChannel
    /// Behaviour.
    public let settings: ConversationSettings
    /// Where decisions are logged.
    public let logger: Logger

    /// Creates a processor.
    public init(
        database: AppDatabase, answerer: Answerer, credits: any CreditGate, channel: any OutboundChannel, settings: ConversationSettings,
        logger: Logger
    ) {
        self.database = database
        self.answerer = answerer
        self.credits = credits
        self.channel = channel
        self.settings = settings
        self.logger = logger
    }

    /// Answers a claimed turn. Throws only when the database fails; the turn then stays claimed and is answered again
    /// after a restart.
    public func process(_ claimed: ClaimedTurn, now: @Sendable () -> Date = Date.init) async throws {
        let started = ContinuousClock.now
        let conversation = claimed.conversation
        let question = claimed.messages.map(\.text).joined(separator: "\n")
        let agent = try conversation.agentId.flatMap { try database.agent(id: $0) }
        let phrases = Phrases.forLanguage(agent?.language ?? "pt-BR")
        var log = logger
        log[metadataKey: "conversation"] = "\(conversation.id ?? 0)"

        func finish(
            _ outcome: AnswerRecord.Outcome, text: String?, passages: [Passage] = [], promptTokens: Int = 0, completionTokens: Int = 0,
            changes: @escaping @Sendable (inout Conversation) -> Void = { _ in },
            debit: @escaping @Sendable (Database) throws -> Int64 = { _ in 0 }
        ) async throws {
            let replies = text.map(channel.prepare) ?? []
            let latency = Int((ContinuousClock.now - started) / .milliseconds(1))
            let sources = "[" + passages.map { "{\"chunk_id\":\($0.chunkID),\"score\":\($0.score)}" }.joined(separator: ",") + "]"
            let record = AnswerRecord(
                conversationId: conversation.id!, turnId: claimed.turn.id, question: question, text: text ?? "", outcome: outcome,
                sources: sources, latencyMs: latency, promptTokens: promptTokens, completionTokens: completionTokens, cost: 0,
                createdAt: now())
            try await database.finishTurn(claimed, answer: record, replies: replies, conversationChanges: changes, now: now(), debit: debit)
            log.info("turn answered", metadata: ["outcome": "\(outcome.rawValue)", "latency_ms": "\(latency)"])
        }

        // A person is handling this customer: stay silent until released or timed out.
        if conversation.mode == .human {
            if let until = conversation.humanUntil, until <= now() {
                log.info("handoff timed out; the assistant answers again")
            } else {
                try await database.finishTurn(claimed, answer: nil, replies: [], now: now())
                return
            }
        }
        let backToAssistant: @Sendable (inout Conversation) -> Void = { $0.mode = .assistant; $0.humanUntil = nil }

        if let last = claimed.messages.last?.wamid { await channel.markRead(messageID: last, in: conversation) }

        let humanUntil = now().addingTimeInterval(settings.humanTimeout)
        let handoff: @Sendable (inout Conversation) -> Void = {
            $0.mode = .human
            $0.humanUntil = humanUntil
            $0.consecutiveUnanswered = 0
        }
        if Self.asksForHuman(question, keywords: (agent?.handoffKeywords ?? []) + Phrases.defaultHandoffKeywords) {
            try await finish(.handoff, text: phrases.handoff, changes: handoff)
            return
        }

        let retrieved = try await answerer.retrieve(question, agent: agent)
        guard retrieved.isRelevant else {
            let unanswered = conversation.consecutiveUnanswered + 1
            if unanswered >= settings.unansweredBeforeHandoff {
                try await finish(.handoff, text: phrases.handoff, passages: retrieved.passages, changes: handoff)
            } else {
                try await finish(
                    .unanswered, text: agent?.outOfScopeMessage ?? phrases.outOfScope, passages: retrieved.passages,
                    changes: { backToAssistant(&$0); $0.consecutiveUnanswered = unanswered })
            }
            return
        }
        let answered: @Sendable (inout Conversation) -> Void = { backToAssistant(&$0); $0.consecutiveUnanswered = 0 }
        let passages = retrieved.passages
        let language = agent?.language ?? "pt-BR"

        guard answerer.chatModel != nil else {
            try await finish(.extractive, text: answerer.extractive(passages: passages, language: language), passages: passages, changes: answered)
            return
        }
        guard let reservation = try await credits.reserve(reference: "turn:\(claimed.turn.id!)") else {
            log.warning("no credit left: not calling the language model")
            try await finish(.outOfCredits, text: agent?.outOfCreditsMessage ?? phrases.outOfCredits, passages: passages, changes: handoff)
            return
        }
        let history = claimed.history.map { message in
            ConversationLine(speaker: message.direction == "in" ? .customer : (message.author == "operator" ? .staff : .assistant), text: message.text)
        }
        do {
            let generated = try await answerer.generate(question: question, agent: agent, passages: passages, history: history)
            try await finish(
                .generated, text: generated.text, passages: passages, promptTokens: generated.promptTokens,
                completionTokens: generated.completionTokens, changes: answered
            ) { [credits] db in
                try credits.settle(
                    reservation, promptTokens: generated.promptTokens, completionTokens: generated.completionTokens,
                    reference: "turn:\(claimed.turn.id!)", in: db)
            }
        } catch {
            try? await credits.release(reservation)
            log.warning("language model unavailable; answering with quoted passages", metadata: ["error": "\(error)"])
            try await finish(.extractive, text: answerer.extractive(passages: passages, language: language), passages: passages, changes: answered)
        }
    }

    /// Whether the text asks for a person: a keyword as a whole word or phrase, accents and case ignored.
    static func asksForHuman(_ text: String, keywords: [String]) -> Bool {
        let folded = " " + fold(text).split { !($0.isLetter || $0.isNumber) }.joined(separator: " ") + " "
        return keywords.contains { keyword in
            let key = fold(keyword).split { !($0.isLetter || $0.isNumber) }.joined(separator: " ")
            return !key.isEmpty && folded.contains(" \(key) ")
        }
    }

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }
}
