import Foundation
import LLM
import Logging
import Storage
import Synchronization
import WhatsApp

/// The chat model of the effective settings, rebuilt when they change (the client keeps its circuit breaker between
/// answers, so it is built once per settings version, not per call), with the `[llm_fallback]` model behind it when
/// one is configured.
final class LiveChatModel: Sendable {
    private let settings: LiveSettings
    private let timeoutSeconds: Double
    private let metrics: BalcaoMetrics
    private let logger: Logger
    private let cache = Mutex<(version: Int, model: (any ChatModel)?)?>(nil)
    /// The fallback, built once: its settings come from the configuration only, and its circuit breaker must outlive
    /// changes of the primary's settings.
    private let fallback: (any ChatModel)?

    init(
        settings: LiveSettings,
        timeoutSeconds: Double,
        fallback: BalcaoConfiguration.LLMFallback = .init(),
        metrics: BalcaoMetrics,
        logger: Logger
    ) {
        self.settings = settings
        self.timeoutSeconds = timeoutSeconds
        self.metrics = metrics
        self.logger = logger
        self.fallback = fallback.baseURL.flatMap { $0.isEmpty ? nil : $0 }.map { baseURL in
            let client = OpenAIChatClient(
                configuration: .init(
                    baseURL: baseURL,
                    apiKey: fallback.apiKey,
                    model: fallback.model ?? "gpt-4o-mini",
                    timeout: .milliseconds(Int64(fallback.timeoutSeconds * 1000)),
                    totalDeadline: .milliseconds(Int64(fallback.timeoutSeconds * 1000 * 2))
                ),
                logger: logger
            )
            return InstrumentedChatModel(base: client, metrics: metrics)
        }
    }

    /// Whether a fallback model is configured.
    var hasFallback: Bool { fallback != nil }

    /// The model now; `nil` when no base URL is set (extractive answers).
    func current() -> (any ChatModel)? {
        let version = settings.version
        return cache.withLock { cache in
            if let cache, cache.version == version { return cache.model }
            let current = settings.current
            let model: (any ChatModel)? = current.llmBaseURL.flatMap { $0.isEmpty ? nil : $0 }.map { baseURL in
                let client = OpenAIChatClient(
                    configuration: .init(
                        baseURL: baseURL,
                        apiKey: current.llmAPIKey,
                        model: current.llmModel ?? "gpt-4o-mini",
                        timeout: .milliseconds(Int64(timeoutSeconds * 1000)),
                        totalDeadline: .milliseconds(Int64(timeoutSeconds * 1000 * 2))
                    ),
                    logger: logger
                )
                let primary = InstrumentedChatModel(base: client, metrics: metrics)
                return fallback.map { FallbackChatModel(primary: primary, fallback: $0) } ?? primary
            }
            cache = (version, model)
            return model
        }
    }
}

/// The Graph API with the access token in effect at each call.
struct LiveGraphAPI: GraphAPI {
    let settings: LiveSettings
    let baseURL: String
    let logger: Logger

    var client: GraphAPIClient {
        GraphAPIClient(baseURL: baseURL, accessToken: settings.current.whatsappAccessToken ?? "", logger: logger)
    }

    func send(_ message: OutgoingMessage, from phoneNumberID: String) async throws(GraphAPIError) -> SentMessage {
        try await client.send(message, from: phoneNumberID)
    }

    func markAsRead(messageID: String, phoneNumberID: String, typingIndicator: Bool) async throws(GraphAPIError) {
        try await client.markAsRead(messageID: messageID, phoneNumberID: phoneNumberID, typingIndicator: typingIndicator)
    }
}
