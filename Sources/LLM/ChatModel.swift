/// A chat language model: the seam between the answering pipeline and whatever produces the text.
///
/// ``OpenAIChatClient`` is the production implementation; tests may supply their own. Implementations throw ``LLMError``
/// so that callers can tell "fall back to an extractive answer now" (every kind) from programming errors.
public protocol ChatModel: Sendable {
    /// Sends the conversation and returns the model's reply.
    func complete(_ request: ChatRequest) async throws -> ChatCompletion
}

/// Who wrote a chat message.
public enum ChatRole: String, Sendable, Codable, Hashable {
    /// Instructions that frame the conversation (persona, rules, retrieved passages).
    case system
    /// The customer (or the question being asked).
    case user
    /// The model's earlier replies.
    case assistant
}

/// One message of a chat conversation.
public struct ChatMessage: Sendable, Codable, Hashable {
    /// Who wrote it.
    public var role: ChatRole
    /// Its text.
    public var content: String
    /// Images shown with it, as URLs (`data:image/jpeg;base64,…` for a customer's photo). Sent as OpenAI's
    /// `image_url` content parts, so only to a model that can see (`[llm] vision`).
    public var imageURLs: [String]

    /// A message with a role, text and, for a model that can see, images.
    public init(role: ChatRole, content: String, imageURLs: [String] = []) {
        self.role = role
        self.content = content
        self.imageURLs = imageURLs
    }

    private enum CodingKeys: String, CodingKey { case role, content, imageURLs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(ChatRole.self, forKey: .role)
        content = try container.decode(String.self, forKey: .content)
        imageURLs = try container.decodeIfPresent([String].self, forKey: .imageURLs) ?? []
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// What to ask the model.
public struct ChatRequest: Sendable, Hashable {
    /// The conversation, oldest first (usually one system message, then alternating user/assistant).
    public var messages: [ChatMessage]
    /// Sampling temperature; `nil` leaves the server's default.
    public var temperature: Double?
    /// The most tokens the reply may have; `nil` leaves the server's default. Also the basis of a cost estimate.
    public var maxTokens: Int?

    /// A request with the given messages and optional sampling settings.
    public init(messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil) {
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}

/// Tokens a completion consumed, as billed.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens of the request (`usage.prompt_tokens`).
    public var promptTokens: Int
    /// Tokens of the reply (`usage.completion_tokens`).
    public var completionTokens: Int
    /// `true` when the server sent no `usage` and the counts were estimated (about 4 characters a token).
    public var isEstimated: Bool

    /// Usage figures.
    public init(promptTokens: Int, completionTokens: Int, isEstimated: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.isEstimated = isEstimated
    }

    /// Prompt plus completion tokens.
    public var totalTokens: Int { promptTokens + completionTokens }

    /// A rough token count for `text`: one token per 4 UTF-8 bytes, rounded up (what OpenAI's docs suggest for English;
    /// it overestimates slightly for Portuguese and code, which is the safe side for billing estimates).
    public static func estimateTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// A rough prompt token count: the messages' text plus a few tokens of framing each.
    public static func estimatePromptTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(3) { $0 + 4 + estimateTokens($1.content) + $1.imageURLs.count * imageTokens }
    }

    /// What one image costs a model that can see, roughly (OpenAI bills a low-detail image at 85 tokens and a
    /// high-detail one at up to about 1,100): the middle of that, for estimates only.
    public static let imageTokens = 765
}

/// The model's reply and what it cost.
public struct ChatCompletion: Sendable, Hashable {
    /// The reply text (`choices[0].message.content`; empty when the server sent none).
    public var text: String
    /// Tokens consumed, read from the response's `usage` (or estimated, see ``TokenUsage/isEstimated``).
    public var usage: TokenUsage
    /// The model that answered, as the server names it (falls back to the configured model).
    public var model: String
    /// Why generation stopped (`stop`, `length`, `content_filter`, …), when the server says.
    public var finishReason: String?
    /// Time from the first attempt to the decoded reply, retries and backoff included.
    public var latency: Duration
    /// HTTP attempts made (1 when the first one succeeded).
    public var attempts: Int
    /// Which configured model wrote it (``FallbackChatModel``); a lone model is the primary.
    public var tier: ChatModelTier = .primary
    /// Why the primary did not answer, when the fallback did.
    public var primaryFailure: String?

    /// A completion.
    public init(text: String, usage: TokenUsage, model: String, finishReason: String?, latency: Duration, attempts: Int = 1) {
        self.text = text
        self.usage = usage
        self.model = model
        self.finishReason = finishReason
        self.latency = latency
        self.attempts = attempts
    }

    /// `true` when the reply was cut off by the token limit (`finish_reason == "length"`).
    public var wasTruncated: Bool { finishReason == "length" }
}
