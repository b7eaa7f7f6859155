public import Answering
public import Foundation
import GRDB
public import Logging
public import Storage
import Synchronization

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
    /// Sends a turn's first reply as soon as the turn is written.
    public let sender: OutboxSender
    /// Behaviour.
    public let settings: ConversationSettings
    /// Where decisions are logged.
    public let logger: Logger
    /// Where customers' files are kept (for showing a photo to a model that can see).
    public let mediaStore: CustomerMediaStore?

    /// Creates a processor.
    public init(
        database: AppDatabase,
        answerer: Answerer,
        credits: any CreditGate,
        channel: any OutboundChannel,
        sender: OutboxSender,
        settings: ConversationSettings,
        logger: Logger,
        mediaStore: CustomerMediaStore? = nil
    ) {
        self.mediaStore = mediaStore
        self.database = database
        self.answerer = answerer
        self.credits = credits
        self.channel = channel
        self.sender = sender
        self.settings = settings
        self.logger = logger
    }

    /// Answers a claimed turn. Throws only when the database fails; the turn then stays claimed and is answered again
    /// after a restart. The first reply is sent at once, its attempt timed by `sendClock` (the outbox's time).
    public func process(
        _ claimed: ClaimedTurn,
        now: @escaping @Sendable () -> Date = Date.init,
        sendClock: (@Sendable () -> Date)? = nil
    ) async throws {
        let started = ContinuousClock.now
        let conversation = claimed.conversation
        let agent = try conversation.agentId.flatMap { try database.agent(id: $0) }
        let phrases = Phrases.forLanguage(agent?.language ?? "pt-BR")
        let files = customerFiles(of: claimed, phrases: phrases)
        // What the customer said: typed text, captions and the words of their voice notes, in order.
        let typed = files.words.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        let asked = typed.joined(separator: "\n")
        // What the answer record says was asked: the customer's words, or what they sent.
        let question = typed.isEmpty ? files.attachments.map(Self.placeholder).joined(separator: "\n") : asked
        var log = logger
        log[metadataKey: "conversation"] = "\(conversation.id ?? 0)"

        func finish(
            _ outcome: AnswerRecord.Outcome,
            text: String?,
            passages: [Passage] = [],
            promptTokens: Int = 0,
            completionTokens: Int = 0,
            generated: GeneratedAnswer? = nil,
            offer: ButtonOffer? = nil,
            changes: @escaping @Sendable (inout Conversation) -> Void = { _ in },
            debit: @escaping @Sendable (Database) throws -> Int64 = { _ in 0 }
        ) async throws {
            var replies = text.map { channel.prepare($0, for: conversation) } ?? []
            // Buttons go under the last message when it is short enough to carry them, else under a question of their own.
            if let offer, offer.alwaysSeparate || (replies.last?.count ?? .max) > Self.buttonBodyLimit {
                replies.append(offer.question)
            }
            let latency = Int((ContinuousClock.now - started) / .milliseconds(1))
            let sources = AnswerRecord.encodeSources(passages.map { AnswerRecord.Source(chunkID: $0.chunkID, score: $0.score) })
            let record = AnswerRecord(
                conversationId: conversation.id!,
                turnId: claimed.turn.id,
                question: question,
                text: text ?? "",
                outcome: outcome,
                sources: sources,
                latencyMs: latency,
                promptTokens: promptTokens,
                completionTokens: completionTokens,
                cost: 0,
                createdAt: now(),
                model: generated?.model,
                modelTier: generated?.tier.rawValue
            )
            try await finishTurn(
                claimed,
                answer: record,
                replies: replies,
                options: offer.map { .buttons($0.buttons) },
                changes: changes,
                now: now,
                sendClock: sendClock,
                debit: debit
            )
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
        // "Did it help?": a tap on Sim / Não (or the word typed right after the question) is feedback on the answer it
        // was asked under, not a question. A turn of nothing else gets a short reply.
        let feedback = feedbackReplies(in: claimed)
        for (message, helpful) in feedback {
            try await database.recordFeedback(
                conversationID: conversation.id!,
                promptWamid: message.quotedWamid,
                helpful: helpful,
                source: "customer",
                now: now()
            )
        }
        if let last = feedback.last, feedback.count == claimed.messages.count {
            try await replyWithoutAnswer(
                claimed,
                last.helpful ? phrases.feedbackThanks : phrases.feedbackSorry,
                options: last.helpful || !settings.handoffButton
                    ? nil : .buttons([ReplyButton(id: ReplyButton.handoff, title: phrases.handoffButton)]),
                outcome: last.helpful ? "feedback_helpful" : "feedback_not_helpful",
                log: log,
                now: now,
                sendClock: sendClock
            )
            return
        }
        // A customer flooding the assistant is told so once and handed to a person: no more model calls for now.
        if settings.customerTurnsPerHour != nil || settings.customerSpendPerDay != nil {
            let usage = try database.customerUsage(conversationID: conversation.id!, now: now())
            let turns = settings.customerTurnsPerHour.map { usage.turnsLastHour >= $0 } ?? false
            let spend = settings.customerSpendPerDay.map { usage.spentLastDay >= $0 } ?? false
            if turns || spend {
                if let last = claimed.messages.last?.wamid { await channel.markRead(messageID: last, in: conversation) }
                log.warning(
                    "customer over the flood limit; handed to a person",
                    metadata: ["turns_last_hour": "\(usage.turnsLastHour)", "spent_last_day": "\(usage.spentLastDay)"]
                )
                let humanUntil = now().addingTimeInterval(settings.humanTimeout)
                try await finish(
                    .handoff,
                    text: phrases.tooManyMessages,
                    changes: { conversation in
                        conversation.mode = .human
                        conversation.humanUntil = humanUntil
                        conversation.consecutiveUnanswered = 0
                    }
                )
                return
            }
        }
        // "Oi" with nothing to search for: the agent's topics to choose from, rather than "not found".
        if settings.topicList, let agent, files.attachments.isEmpty, files.problems.isEmpty, Answerer.isVague(asked),
            !claimed.messages.contains(where: { $0.buttonID != nil }),
            !Answerer.asksForPerson(asked, keywords: agent.handoffKeywords + Phrases.defaultHandoffKeywords),
            let agentID = agent.id
        {
            let topics = try database.documentTopics(ofAgent: agentID).prefix(10)
            if topics.count >= 2 {
                let rows = topics.map { ReplyButton(id: ReplyButton.topic($0.documentID), title: $0.title) }
                try await replyWithoutAnswer(
                    claimed,
                    phrases.chooseTopic,
                    options: .list(rows, button: phrases.topicsButton),
                    outcome: "topics_offered",
                    log: log,
                    now: now,
                    sendClock: sendClock
                )
                return
            }
        }
        // Files that could not be used are explained; with nothing else to answer, that is the whole reply.
        if typed.isEmpty && !files.attachments.contains(where: \.hasContent) {
            try await replyWithoutAnswer(
                claimed,
                files.problems.isEmpty ? nil : files.problems.joined(separator: "\n\n"),
                outcome: "file_not_usable",
                log: log,
                now: now,
                sendClock: sendClock
            )
            return
        }
        // The read receipt goes out while the answer is being written (it is awaited before the reply is queued, so it
        // still reaches WhatsApp first).
        async let readReceipt: Void = {
            if let last = claimed.messages.last?.wamid { await channel.markRead(messageID: last, in: conversation) }
        }()

        let reference = "turn:\(claimed.turn.id!)"
        let budget = TurnBudget(credits: credits, reference: reference)
        func line(_ message: ConversationMessage) -> ConversationLine {
            ConversationLine(
                speaker: message.direction == "in" ? .customer : (message.author == "operator" ? .staff : .assistant),
                text: message.text
            )
        }
        let history = claimed.history.map(line)
        let quoted = claimed.messages.compactMap { $0.quotedWamid.flatMap { claimed.quoted[$0] } }
            .reduce(into: [ConversationMessage]()) { if !$0.contains($1) { $0.append($1) } }
            .sorted { ($0.id ?? 0) < ($1.id ?? 0) }
            .map(line)
        let answer = try await answerer.answer(
            asked,
            agent: agent,
            context: AnswerContext(
                history: history,
                unansweredInARow: conversation.consecutiveUnanswered,
                handoffAfterUnanswered: settings.unansweredBeforeHandoff,
                budget: budget,
                attachments: files.attachments,
                quoted: quoted,
                now: now(),
                asksForPerson: claimed.messages.contains { $0.buttonID == ReplyButton.handoff }
            )
        )
        // A caption the documents do not cover was about the file that could not be used: saying why is the answer.
        if answer.outcome == .unanswered && !files.problems.isEmpty {
            await readReceipt
            try await finishTurn(
                claimed,
                answer: nil,
                replies: channel.prepare(files.problems.joined(separator: "\n\n"), for: conversation),
                now: now,
                sendClock: sendClock
            )
            log.info("turn answered", metadata: ["outcome": "file_not_usable"])
            return
        }
        if let failure = answer.modelFailure {
            log.warning("language model unavailable; answering with quoted passages", metadata: ["error": "\(failure)"])
        }
        if let generated = answer.generated, let failure = generated.primaryFailure {
            log.warning(
                "primary language model unavailable; the fallback answered",
                metadata: ["error": "\(failure)", "model": "\(generated.model)"]
            )
        }
        if answer.outcome == .outOfCredits { log.warning("no credit left: not calling the language model") }

        let changes: @Sendable (inout Conversation) -> Void
        switch answer.outcome {
        case .handoff, .outOfCredits:
            // Outside opening hours the customer waits for the next opening: the assistant's time-out counts from then.
            let humanUntil = max(now(), answer.personAvailableAt ?? now()).addingTimeInterval(settings.humanTimeout)
            changes = { conversation in
                conversation.mode = .human
                conversation.humanUntil = humanUntil
                conversation.consecutiveUnanswered = 0
            }
        case .unanswered:
            let unanswered = conversation.consecutiveUnanswered + 1
            changes = {
                $0.mode = .assistant
                $0.humanUntil = nil
                $0.consecutiveUnanswered = unanswered
            }
        case .generated, .extractive:
            changes = {
                $0.mode = .assistant
                $0.humanUntil = nil
                $0.consecutiveUnanswered = 0
            }
        }
        await readReceipt
        let hold = budget.hold
        try await finish(
            AnswerRecord.Outcome(answer.outcome),
            text: (files.problems + [answer.text]).joined(separator: "\n\n"),
            passages: answer.passages,
            promptTokens: answer.generated?.promptTokens ?? 0,
            completionTokens: answer.generated?.completionTokens ?? 0,
            generated: answer.generated,
            offer: try buttonOffer(for: answer.outcome, conversationID: conversation.id!, phrases: phrases, now: now()),
            changes: changes
        ) { [credits] db in
            guard let generated = answer.generated, let hold else { return 0 }
            return try credits.settle(
                hold,
                promptTokens: generated.promptTokens,
                completionTokens: generated.completionTokens,
                tier: generated.tier,
                reference: reference,
                in: db
            )
        }
    }
}

extension TurnProcessor {
    /// Ends a turn with a reply that answers no question — why a file could not be used, thanks for feedback, the
    /// topics to choose from — after the read receipt: no answer record (it is neither answered nor unanswered).
    func replyWithoutAnswer(
        _ claimed: ClaimedTurn,
        _ text: String?,
        options: ReplyOptions? = nil,
        outcome: String,
        log: Logger,
        now: @escaping @Sendable () -> Date,
        sendClock: (@Sendable () -> Date)?
    ) async throws {
        if let last = claimed.messages.last?.wamid { await channel.markRead(messageID: last, in: claimed.conversation) }
        try await finishTurn(
            claimed,
            answer: nil,
            replies: text.map { channel.prepare($0, for: claimed.conversation) } ?? [],
            options: options,
            now: now,
            sendClock: sendClock
        )
        log.info("turn answered", metadata: ["outcome": "\(outcome)"])
    }

    /// The longest message that carries reply buttons itself (WhatsApp's limit for an interactive body).
    static let buttonBodyLimit = 1024

    /// Reply buttons offered with an answer, and the question they go under when the answer cannot carry them.
    struct ButtonOffer {
        var buttons: [ReplyButton]
        /// Sent (as the last message) when the answer is too long to carry the buttons, or always when ``alwaysSeparate``.
        var question: String
        var alwaysSeparate = false
    }

    /// "Falar com atendente" under an answer that found nothing (it offers a person); "Isso ajudou? Sim / Não" after an
    /// answer, when asked for and not asked in this conversation within the interval.
    func buttonOffer(for outcome: Answer.Outcome, conversationID: Int64, phrases: Phrases, now: Date) throws -> ButtonOffer? {
        switch outcome {
        case .unanswered where settings.handoffButton:
            return ButtonOffer(buttons: [ReplyButton(id: ReplyButton.handoff, title: phrases.handoffButton)], question: phrases.offerPerson)
        case .generated, .extractive:
            guard settings.feedbackButtons else { return nil }
            if let asked = try database.lastFeedbackQuestion(conversationID: conversationID), now.timeIntervalSince(asked) < settings.feedbackInterval
            {
                return nil
            }
            return ButtonOffer(
                buttons: [ReplyButton(id: ReplyButton.helpful, title: phrases.yes), ReplyButton(id: ReplyButton.notHelpful, title: phrases.no)],
                question: phrases.feedbackQuestion,
                alwaysSeparate: true
            )
        default:
            return nil
        }
    }

    /// The turn's messages that say whether an answer helped: a tap on its buttons, or "sim"/"não" typed alone right
    /// after the question (where buttons could not be shown).
    func feedbackReplies(in claimed: ClaimedTurn) -> [(message: ConversationMessage, helpful: Bool)] {
        let askedLast = claimed.history.last.map { $0.direction == "out" && $0.replyButtons.contains { $0.id == ReplyButton.helpful } } ?? false
        return claimed.messages.compactMap { message in
            switch message.buttonID {
            case ReplyButton.helpful: return (message, true)
            case ReplyButton.notHelpful: return (message, false)
            default:
                guard askedLast, message.buttonID == nil else { return nil }
                let word = message.text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
                    .trimmingCharacters(in: CharacterSet.punctuationCharacters.union(.whitespacesAndNewlines))
                if Self.yesWords.contains(word) { return (message, true) }
                if Self.noWords.contains(word) { return (message, false) }
                return nil
            }
        }
    }

    static let yesWords: Set<String> = ["sim", "s", "yes", "y", "ajudou", "sim ajudou", "si"]
    static let noWords: Set<String> = ["nao", "n", "no", "nao ajudou"]

    /// Ends a turn: records `answer` (none when nothing was answered: a file could not be used), queues the
    /// `replies` (already prepared for the channel) and sends the first at once — rather than after a hop through the
    /// outbox workers; a failed attempt is theirs to retry, as for any claimed send.
    func finishTurn(
        _ claimed: ClaimedTurn,
        answer: AnswerRecord?,
        replies: [String],
        options: ReplyOptions? = nil,
        changes: @escaping @Sendable (inout Conversation) -> Void = { _ in },
        now: @escaping @Sendable () -> Date,
        sendClock: (@Sendable () -> Date)?,
        debit: @escaping @Sendable (Database) throws -> Int64 = { _ in 0 }
    ) async throws {
        let sending = try await database.finishTurn(
            claimed,
            answer: answer,
            replies: replies,
            options: options,
            conversationChanges: changes,
            now: now(),
            claimingFirstReply: !sender.isPaused(at: (sendClock ?? now)()),
            debit: debit
        )
        if let sending { _ = try await sender.send(sending, now: sendClock ?? now) }
    }

    /// A turn's files as the answer sees them, and a sentence for each one that could not be used.
    struct CustomerFiles {
        /// The messages' words in order: typed text, captions, and transcripts of voice notes.
        var words: [String] = []
        var attachments: [CustomerAttachment] = []
        var problems: [String] = []
    }

    func customerFiles(of claimed: ClaimedTurn, phrases: Phrases) -> CustomerFiles {
        var files = CustomerFiles()
        for message in claimed.messages {
            files.words.append(message.text)
            guard let id = message.id, let media = claimed.media[id] else { continue }
            switch media.state {
            case .read where media.kind == .audio:
                // A voice note is the customer's message: its words join the typed ones.
                let transcript = media.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                if transcript.isEmpty { files.problems.append(phrases.recordingNotUnderstood) } else { files.words.append(transcript) }
            case .read:
                let attachment = CustomerAttachment(
                    kind: media.isPicture ? .picture : .document,
                    name: media.filename,
                    text: media.text ?? "",
                    confidence: media.confidence,
                    pageCount: media.pageCount,
                    imageURL: media.isPicture ? pictureURL(media) : nil
                )
                if attachment.hasContent {
                    files.attachments.append(attachment)
                } else {
                    files.problems.append(phrases.pictureWithoutText)
                }
            case .failed:
                files.problems.append(Self.sentence(for: media.failure ?? .unreadable, phrases: phrases, media: settings.media))
            case .pending, .fetching:
                continue  // never claimed so; a file settled meanwhile is for the next turn's reader
            }
        }
        return files
    }

    /// The picture as a `data:` URL when the model is shown pictures and the file is still kept and small enough.
    func pictureURL(_ media: CustomerMedia) -> String? {
        guard settings.media.showsPicturesToModel, let store = mediaStore, media.isKept, let id = media.id,
            let bytes = media.byteCount, bytes <= settings.media.maxPictureBytesForModel,
            let data = try? Data(contentsOf: store.url(forMediaID: id))
        else { return nil }
        return "data:\(media.mimeType ?? "image/jpeg");base64,\(data.base64EncodedString())"
    }

    /// What the customer is told about a file that could not be used.
    static func sentence(for failure: CustomerMedia.Failure, phrases: Phrases, media: MediaSettings) -> String {
        switch failure {
        case .tooLarge: return phrases.mediaTooLarge(limitBytes: media.maxBytes)
        case .tooLong: return phrases.recordingTooLong(limitSeconds: media.maximumRecordingSeconds)
        case .unsupportedType: return phrases.mediaUnsupported
        case .unreadable: return phrases.mediaUnreadable
        case .unavailable, .notStored: return phrases.mediaUnavailable
        }
    }

    /// What the answer record says was asked when the customer sent only files.
    static func placeholder(_ attachment: CustomerAttachment) -> String {
        switch attachment.kind {
        case .picture: "[foto]"
        case .document: "[documento" + (attachment.name.map { " \($0)" } ?? "") + "]"
        }
    }
}

/// A turn's credits as the answer's budget: the hold taken before the model is called, settled by the transaction that
/// records the answer, or released when the model fails.
final class TurnBudget: ModelBudget {
    let credits: any CreditGate
    let reference: String
    private let held = Mutex<CreditHold?>(nil)

    init(credits: any CreditGate, reference: String) {
        self.credits = credits
        self.reference = reference
    }

    /// The hold, while one is taken.
    var hold: CreditHold? { held.withLock { $0 } }

    func reserve() async throws -> Bool {
        guard let hold = try await credits.reserve(reference: reference) else { return false }
        held.withLock { $0 = hold }
        return true
    }

    func release() async {
        guard
            let hold = held.withLock({ held in
                defer { held = nil }
                return held
            })
        else { return }
        try? await credits.release(hold)
    }
}

extension AnswerRecord.Outcome {
    init(_ outcome: Answer.Outcome) {
        switch outcome {
        case .generated: self = .generated
        case .extractive: self = .extractive
        case .unanswered: self = .unanswered
        case .handoff: self = .handoff
        case .outOfCredits: self = .outOfCredits
        }
    }
}
