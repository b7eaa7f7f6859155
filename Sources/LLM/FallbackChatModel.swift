/// Which of the configured models wrote a completion: the primary (`[llm]`) or the fallback (`[llm_fallback]`).
///
/// Each has its own prices, so the answer is charged at the price of the one that wrote it.
public enum ChatModelTier: String, Sendable, Hashable, Codable, CaseIterable {
    /// `[llm]`.
    case primary
    /// `[llm_fallback]`, asked when the primary could not answer.
    case fallback
}

/// The primary model, and a second one asked when the primary cannot answer: its circuit breaker is open, its retries
/// are exhausted, or it refuses the request. Only when both fail does the caller fall back to quoted passages.
///
/// The completion says which one wrote it (``ChatCompletion/tier``) and, when it was the fallback, why the primary did
/// not (``ChatCompletion/primaryFailure``).
public struct FallbackChatModel: ChatModel {
    /// The model asked first.
    public let primary: any ChatModel
    /// The model asked when the primary fails.
    public let fallback: any ChatModel

    /// A primary with a fallback.
    public init(primary: any ChatModel, fallback: any ChatModel) {
        self.primary = primary
        self.fallback = fallback
    }

    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        do {
            var completion = try await primary.complete(request)
            completion.tier = .primary
            return completion
        } catch let primaryError as LLMError where primaryError.kind != .cancelled {
            do {
                var completion = try await fallback.complete(request)
                completion.tier = .fallback
                completion.primaryFailure = primaryError.description
                return completion
            } catch var fallbackError as LLMError {
                // Both failed: the error names both, with the fallback's kind (the last word on whether to retry).
                fallbackError.message = "primary: \(primaryError.description); fallback: \(fallbackError.message)"
                throw fallbackError
            }
        }
    }
}
