public import Foundation
import OpeningHours
public import Retrieval
public import Storage

/// What the assistant does with one question, and why: the one decision behind WhatsApp turns, `balcao ask` and the
/// admin page's playground (``Answerer/answer(_:agent:context:)``), so that they cannot answer differently.
public struct Answer: Sendable {
    /// What kind of answer it is.
    public enum Outcome: String, Sendable, Hashable {
        /// Written by the language model from the passages.
        case generated
        /// The passages quoted (no model configured, or the model failed: ``Answer/modelFailure``).
        case extractive
        /// No passage answers the question: the agent's out-of-scope message.
        case unanswered
        /// Handed to a person (``Answer/handoffReason``).
        case handoff
        /// The model was not called: no credit left.
        case outOfCredits = "out_of_credits"
    }

    /// Why the question was handed to a person.
    public enum HandoffReason: String, Sendable, Hashable {
        /// The question asked for a person (a handoff keyword of the agent's, or a default one).
        case askedForPerson = "asked_for_person"
        /// Too many questions in a row without a good passage.
        case repeatedlyUnanswered = "repeatedly_unanswered"
        /// No credit left to pay for an answer.
        case outOfCredits = "out_of_credits"
        /// The business is closed and its assistant answers nothing then (``Agent/OutsideHoursPolicy/awayMessageOnly``).
        case outsideHours = "outside_hours"
    }

    /// What kind of answer it is.
    public var outcome: Outcome
    /// What the customer is told.
    public var text: String
    /// The passages found, best first, with their scores (empty when the question was handed off before searching).
    public var passages: [Passage]
    /// The model's answer with its token counts, when it wrote it.
    public var generated: GeneratedAnswer?
    /// Why it was handed to a person, when it was.
    public var handoffReason: HandoffReason?
    /// Why the model's answer was replaced by quoted passages, when it failed.
    public var modelFailure: String?
    /// Handed to a person outside the agent's opening hours: when a person is there again (`nil` when none is within
    /// the schedule's horizon, or the business is open).
    public var personAvailableAt: Date?
}

/// How the caller pays for a model call: WhatsApp turns hold credits; `balcao ask` and the playground, used by the
/// owner, do not.
public protocol ModelBudget: Sendable {
    /// Holds the most one answer may cost (``Answerer/completionTokenLimit`` tokens of completion); `false` when no
    /// credit is left, and the model is not called.
    func reserve() async throws -> Bool
    /// Ends the hold without a debit: the model failed, and the passages are quoted instead.
    func release() async
}

/// A file the customer sent with the question, as far as answering is concerned: the text read from it and, for a
/// model that can see, the picture itself.
public struct CustomerAttachment: Sendable, Hashable {
    /// What it was.
    public enum Kind: String, Sendable, Hashable {
        /// A photo or a sticker (its text read by OCR).
        case picture
        /// A document (its text extracted).
        case document
    }

    /// What it was.
    public var kind: Kind
    /// A document's file name.
    public var name: String?
    /// The text read from it (empty when a picture held none).
    public var text: String
    /// OCR's mean confidence (0–1), for pictures.
    public var confidence: Double?
    /// A document's pages.
    public var pageCount: Int?
    /// The picture as a `data:` URL, for a model that can see; `nil` otherwise.
    public var imageURL: String?

    /// Describes an attachment.
    public init(kind: Kind, name: String? = nil, text: String, confidence: Double? = nil, pageCount: Int? = nil, imageURL: String? = nil) {
        self.kind = kind
        self.name = name
        self.text = text
        self.confidence = confidence
        self.pageCount = pageCount
        self.imageURL = imageURL
    }

    /// Whether it gives the model anything: text, or a picture it can see.
    public var hasContent: Bool { !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || imageURL != nil }
}

/// What the decision knows beyond the question.
public struct AnswerContext: Sendable {
    /// The conversation so far, oldest first.
    public var history: [ConversationLine]
    /// Questions in a row this customer already asked without a good passage.
    public var unansweredInARow: Int
    /// A question without a good passage that makes this many in a row is handed to a person; `nil`: never.
    public var handoffAfterUnanswered: Int?
    /// Who pays for the model call; `nil`: nobody (the owner's own questions).
    public var budget: (any ModelBudget)?
    /// Files the customer sent with the question (photos, documents), read.
    public var attachments: [CustomerAttachment]
    /// Earlier messages the customer's question replies to (a quoted message), oldest first.
    public var quoted: [ConversationLine]
    /// Now, from the caller's clock: whether the business is open is decided at this instant.
    public var now: Date
    /// The customer asked for a person another way than in words (a "Falar com atendente" button).
    public var asksForPerson: Bool

    /// A context; the defaults are a first question, never handed off for lack of passages, free.
    public init(
        history: [ConversationLine] = [],
        unansweredInARow: Int = 0,
        handoffAfterUnanswered: Int? = nil,
        budget: (any ModelBudget)? = nil,
        attachments: [CustomerAttachment] = [],
        quoted: [ConversationLine] = [],
        now: Date = Date(),
        asksForPerson: Bool = false
    ) {
        self.asksForPerson = asksForPerson
        self.quoted = quoted
        self.now = now
        self.history = history
        self.unansweredInARow = unansweredInARow
        self.handoffAfterUnanswered = handoffAfterUnanswered
        self.budget = budget
        self.attachments = attachments
    }
}

extension Answerer {
    /// The most tokens the model may write for one answer (also what a credit hold covers).
    public static let completionTokenLimit = 700

    /// Decides what to answer: a person when asked for; else the passages found for the agent; the agent's
    /// out-of-scope message when none is relevant (handed to a person after too many in a row); the model's answer
    /// when one is configured and paid for, else — or when it fails — the passages quoted.
    ///
    /// - Throws: only when the database or the search fails; a failing model is an extractive answer.
    ///
    /// Files the customer sent (``AnswerContext/attachments``) join the search with the beginning of their text, and
    /// go to the model whole (within a budget); with one that has content, the model is asked even when no passage of
    /// the documents is relevant (the customer may ask about their own file). Without a model they only help the search.
    public func answer(_ question: String, agent: Agent?, context: AnswerContext = AnswerContext()) async throws -> Answer {
        let phrases = Phrases.forLanguage(agent?.language ?? "pt-BR")
        let closedHours = agent.flatMap { agent in agent.isOpen(at: context.now) ? nil : agent.openingHours }
        /// A handoff: outside hours, the customer is told when a person will answer.
        func handoff(_ reason: Answer.HandoffReason, passages: [Passage]) -> Answer {
            guard let closedHours else { return Answer(outcome: .handoff, text: phrases.handoff, passages: passages, handoffReason: reason) }
            var answer = Answer(
                outcome: .handoff,
                text: closedHours.handoffOutsideHours(at: context.now, language: agent?.language ?? "pt-BR"),
                passages: passages,
                handoffReason: reason
            )
            answer.personAvailableAt = closedHours.nextOpening(after: context.now)
            return answer
        }
        if let closedHours, let agent, agent.outsideHours == .awayMessageOnly {
            let next = closedHours.nextOpening(after: context.now)
            let text =
                agent.awayMessage.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                ?? phrases.awayMessage(next: closedHours.nextOpeningPhrase(after: context.now, language: agent.language))
            var answer = Answer(outcome: .handoff, text: text, passages: [], handoffReason: .outsideHours)
            answer.personAvailableAt = next
            return answer
        }
        if context.asksForPerson || Self.asksForPerson(question, keywords: (agent?.handoffKeywords ?? []) + Phrases.defaultHandoffKeywords) {
            return handoff(.askedForPerson, passages: [])
        }
        let query = Self.searchQuery(question, attachments: context.attachments)
        let retrieved = query.isEmpty ? RetrievedPassages(passages: [], isRelevant: false) : try await retrieve(query, agent: agent)
        let passages = retrieved.passages
        let customerContent = context.attachments.contains(where: \.hasContent) && chatModel != nil
        guard retrieved.isRelevant || customerContent else {
            if let limit = context.handoffAfterUnanswered, context.unansweredInARow + 1 >= limit {
                return handoff(.repeatedlyUnanswered, passages: passages)
            }
            return Answer(outcome: .unanswered, text: agent?.outOfScopeMessage ?? phrases.outOfScope, passages: passages)
        }
        let language = agent?.language ?? "pt-BR"
        guard chatModel != nil else {
            return Answer(outcome: .extractive, text: extractive(passages: passages, language: language), passages: passages)
        }
        if let budget = context.budget, try await !budget.reserve() {
            return Answer(
                outcome: .outOfCredits,
                text: agent?.outOfCreditsMessage ?? phrases.outOfCredits,
                passages: passages,
                handoffReason: .outOfCredits
            )
        }
        do {
            let generated = try await generate(
                question: question,
                agent: agent,
                passages: retrieved.isRelevant ? passages : [],
                history: context.history,
                attachments: context.attachments,
                quoted: context.quoted
            )
            return Answer(outcome: .generated, text: generated.text, passages: passages, generated: generated)
        } catch {
            await context.budget?.release()
            return Answer(
                outcome: .extractive,
                text: extractive(passages: passages, language: language),
                passages: passages,
                modelFailure: String(describing: error)
            )
        }
    }

    /// The most characters of each attachment's text that join the search.
    static let attachmentQueryLimit = 600

    /// What is searched for: the question and the beginning of each attachment's text.
    static func searchQuery(_ question: String, attachments: [CustomerAttachment]) -> String {
        let parts = [question] + attachments.map { String($0.text.prefix(attachmentQueryLimit)) }
        return parts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// Whether the text asks for a person: a keyword as a whole word or phrase, accents and case ignored.
    public static func asksForPerson(_ text: String, keywords: [String]) -> Bool {
        let folded = " " + RelevanceGate.fold(text).split { !($0.isLetter || $0.isNumber) }.joined(separator: " ") + " "
        return keywords.contains { keyword in
            let key = RelevanceGate.fold(keyword).split { !($0.isLetter || $0.isNumber) }.joined(separator: " ")
            return !key.isEmpty && folded.contains(" \(key) ")
        }
    }
}
