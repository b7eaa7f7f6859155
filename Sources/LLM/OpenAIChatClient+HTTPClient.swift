public import AsyncHTTPClient
import Logging

extension OpenAIChatClient {
    /// A process-wide `HTTPClient` configured for LLM calls, the default of ``init(configuration:httpClient:clock:logger:)``.
    ///
    /// Like `HTTPClient.shared` it lives as long as the process and must never be shut down. Unlike it, a refused or
    /// failed connection fails the attempt at once (``httpClientConfiguration()``), so an LLM server that is down is
    /// noticed in milliseconds, retried by the client's own backoff and counted by its circuit breaker, instead of
    /// waiting out the whole request timeout inside the connection pool.
    public static var sharedHTTPClient: HTTPClient { llmHTTPClient }

    /// The configuration of ``sharedHTTPClient``, for a caller that creates (and later shuts down) its own client:
    /// connection establishment is not retried inside the pool (the chat client retries whole attempts), and
    /// connecting may take at most 10 seconds.
    public static func httpClientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        return configuration
    }
}

/// Created on first use; never deinitialized, so never needs (nor may have) `shutdown()`.
private let llmHTTPClient = HTTPClient(
    eventLoopGroup: HTTPClient.defaultEventLoopGroup,
    configuration: OpenAIChatClient.httpClientConfiguration(),
    backgroundActivityLogger: Logger(label: "balcao.llm.http")
)
