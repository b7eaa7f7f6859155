public import AsyncHTTPClient
import Logging

extension GraphAPIClient {
    /// The process-wide `HTTPClient` of Graph API calls, the default of ``init(baseURL:accessToken:httpClient:timeout:logger:)``.
    ///
    /// `HTTPClient.shared`'s configuration without its idle read timeout: every call already has its own deadline
    /// (``timeout``). With that timeout, AsyncHTTPClient 1.37.0 traps the whole process ("Invalid state. Waiting for
    /// response data must start after request head was sent", `IdleReadStateMachine.requestEndSent`) when a pooled
    /// connection gets a new request while the previous one's timer state is still set; the webhook fuzzer hit it within
    /// a few hundred deliveries, with the fake Graph API answering media downloads at once. Without an idle read timeout
    /// that state machine is never created. Like `HTTPClient.shared` it lives as long as the process and must never be
    /// shut down.
    public static var sharedHTTPClient: HTTPClient { graphHTTPClient }

    /// The configuration of ``sharedHTTPClient``: `HTTPClient.shared`'s (redirects, decompression, pool), connecting
    /// within 10 seconds, and no idle read timeout.
    public static func httpClientConfiguration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        return configuration
    }
}

/// Created on first use; never deinitialized, so never needs (nor may have) `shutdown()`.
private let graphHTTPClient = HTTPClient(
    eventLoopGroup: HTTPClient.defaultEventLoopGroup,
    configuration: GraphAPIClient.httpClientConfiguration(),
    backgroundActivityLogger: Logger(label: "balcao.whatsapp.http")
)
