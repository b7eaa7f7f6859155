import Foundation
public import LLM
public import Retrieval
public import Storage

/// One earlier message of the conversation, for the prompt.
public struct ConversationLine: Sendable, Hashable {
    /// Who said it.
    public enum Speaker: String, Sendable { case customer, assistant, staff }
    /// Who said it.
    public var speaker: Speaker
    /// What was said.
    public var text: String

    /// Creates a line.
    public init(speaker: Speaker, text: String) {
        self.speaker = speaker
        self.text = text
    }
}

/// An answer written by the language model.
public struct GeneratedAnswer: Sendable, Hashable {
    /// The answer in Markdown.
    public var text: String
    /// Tokens read.
    public var promptTokens: Int
    /// Tokens written.
    public var completionTokens: Int
    /// The model that answered.
    public var model: String
    /// Which configured model it was: the primary, or the fallback when the primary could not answer.
    public var tier: ChatModelTier = .primary
    /// Why the primary did not answer, when the fallback did.
    public var primaryFailure: String?
}

/// Builds answers from the business's documents: retrieval, then the language model, or a quoted (extractive) answer
/// when there is no model or it is down.
public struct Answerer: Sendable {
    /// Hybrid search over the documents.
    public let search: SearchService
    /// The chat model in effect now; `nil` means extractive answers only. Read at every answer, so a model changed
    /// while the daemon runs (admin settings) is used from the next answer on.
    public var chatModel: (any ChatModel)? { chatModelProvider() }
    private let chatModelProvider: @Sendable () -> (any ChatModel)?
    /// How many passages the prompt carries.
    public let passageCount: Int

    /// Creates an answerer.
    public init(search: SearchService, chatModel: (any ChatModel)?, passageCount: Int = 5) {
        self.init(search: search, chatModelProvider: { chatModel }, passageCount: passageCount)
    }

    /// Creates an answerer whose chat model is looked up at every answer (`nil`: extractive answers).
    public init(
        search: SearchService,
        chatModelProvider: @escaping @Sendable () -> (any ChatModel)?,
        passageCount: Int = 5
    ) {
        self.search = search
        self.chatModelProvider = chatModelProvider
        self.passageCount = passageCount
    }

    /// The passages for a question, restricted to the agent's documents when there is an agent.
    public func retrieve(_ question: String, agent: Agent?) async throws -> RetrievedPassages {
        // By id: an agent deleted meanwhile has no documents, so nothing is found.
        let outcome = try await search.retrieve(question, limit: passageCount, agentID: agent?.id)
        return RetrievedPassages(passages: outcome.results, isRelevant: outcome.relevance.isRelevant)
    }

    /// Asks the language model, with the agent's persona, the passages and the recent conversation.
    public func generate(
        question: String,
        agent: Agent?,
        passages: [Passage],
        history: [ConversationLine],
        attachments: [CustomerAttachment] = [],
        quoted: [ConversationLine] = []
    ) async throws -> GeneratedAnswer {
        guard let chatModel else { throw AnsweringError.noModel }
        let messages = PromptBuilder.messages(
            question: question,
            agent: agent,
            passages: passages,
            history: history,
            attachments: attachments,
            quoted: quoted
        )
        let completion = try await chatModel.complete(ChatRequest(messages: messages, temperature: 0.2, maxTokens: Self.completionTokenLimit))
        let text = completion.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AnsweringError.emptyAnswer }
        return GeneratedAnswer(
            text: text,
            promptTokens: completion.usage.promptTokens,
            completionTokens: completion.usage.completionTokens,
            model: completion.model,
            tier: completion.tier,
            primaryFailure: completion.primaryFailure
        )
    }

    /// An answer quoted from the best passages, each with its source.
    public func extractive(passages: [Passage], language: String) -> String {
        let phrases = Phrases.forLanguage(language)
        var lines = [phrases.extractiveIntro]
        for passage in passages.prefix(2) {
            let excerpt = Self.excerpt(passage.text, limit: 600)
            lines.append("")
            lines.append(excerpt.split(separator: "\n").map { "> " + $0 }.joined(separator: "\n"))
            lines.append("— _\(passage.citation(pageWord: phrases.page))_")
        }
        return lines.joined(separator: "\n")
    }

    /// The question's words that carry meaning (``RelevanceGate/meaningfulWords(_:)``).
    static func meaningfulWords(_ question: String) -> [String] { RelevanceGate.meaningfulWords(question) }

    /// Whether a message says nothing to search for ("oi", "bom dia", "?"): greetings and chat words only.
    public static func isVague(_ question: String) -> Bool {
        !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && meaningfulWords(question).isEmpty
    }

    /// At most `limit` characters, cut at a sentence or word end.
    static func excerpt(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        let prefix = String(text.prefix(limit))
        if let end = prefix.lastIndex(where: { ".!?".contains($0) }), prefix.distance(from: prefix.startIndex, to: end) > limit / 2 {
            return String(prefix[...end])
        }
        if let space = prefix.lastIndex(of: " ") { return String(prefix[..<space]) + "…" }
        return prefix + "…"
    }
}

/// Why an answer could not be generated.
public enum AnsweringError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No chat model is configured.
    case noModel
    /// The model returned nothing.
    case emptyAnswer

    public var description: String {
        switch self {
        case .noModel: return "No language model is configured."
        case .emptyAnswer: return "The language model returned an empty answer."
        }
    }
}
