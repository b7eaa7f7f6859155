public import AdminWeb
public import Foundation
public import HTTPAPI
import HTTPTypes
public import Hummingbird
import Ingestion
import Logging
import NIOCore
import Retrieval
import ServiceLifecycle
import Storage
import WebChat

/// The request context of every route (Hummingbird's basic context plus the client's address).
public typealias BalcaoRequestContext = ServerRequestContext

/// Builds the daemon's HTTP application: the router, the background services and the start-up work.
///
/// `balcao serve` and the tests call this same function; only the configuration differs. `configurationFile` is the file
/// the configuration was read from, included in scheduled backups.
/// - Parameter admin: the admin web page to mount; `nil` builds one from the configuration (tests pass their own).
public func buildApplication(_ balcao: Balcao, configurationFile: URL? = nil, admin: AdminWeb? = nil) throws -> some ApplicationProtocol {
    let router = try buildRouter(balcao, admin: admin)
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(balcao.configuration.server.host, port: balcao.configuration.server.port),
            serverName: "balcao"
        ),
        onServerRunning: { _ in SystemdNotifier.notify("READY=1\nSTATUS=listening") },
        logger: balcao.logger
    )
    var ingestion = IngestionService(pipeline: balcao.pipeline, concurrency: balcao.configuration.storage.ingestionWorkers)
    ingestion.onJobFinished = { [metrics = balcao.metrics] outcome, duration in metrics.ingestion(outcome: outcome.metricLabel, duration: duration) }
    app.addServices(ingestion)
    // Holds left by a crash would otherwise keep credit out of reach until they expire. They are released before the
    // conversations service takes its first turn (services start together, so `beforeServerStarts` could release a
    // hold a new turn had just taken).
    app.addServices(
        PreparedService(balcao.conversations) {
            let released = try await balcao.ledger.releaseAllOpenReservations()
            if released > 0 { balcao.logger.notice("released credit holds left by an earlier run", metadata: ["count": "\(released)"]) }
        }
    )
    if let backups = balcao.backupService(configurationFile: configurationFile) { app.addServices(backups) }
    if let index = balcao.vectorIndex as? HNSWChunkIndex {
        app.addServices(VectorIndexSnapshotService(index: index, interval: .seconds(30), logger: balcao.logger))
    }
    return app
}

/// The routes: health checks, the OpenAPI document, the token-protected `/api/v1` and the admin web page at `/admin`.
public func buildRouter(_ balcao: Balcao, admin: AdminWeb? = nil) throws -> Router<BalcaoRequestContext> {
    let token = try balcao.apiToken()
    let router = Router(context: BalcaoRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    addOperationsRoutes(to: router, balcao: balcao)
    try APIRoutes(
        token: token,
        database: balcao.database,
        library: balcao.library,
        search: balcao.search,
        conversations: balcao.conversations,
        ledger: balcao.ledger,
        stripeWebhookSecret: balcao.configuration.credits.stripeWebhookSecret,
        logger: balcao.logger,
        rateLimiter: balcao.apiRateLimiter
    ).add(to: router)
    let liveSettings = balcao.liveSettings
    let instagram = balcao.configuration.instagram
    let webhooks: [(MessagingChannel, @Sendable () -> MetaWebhookController<BalcaoRequestContext>.Secrets, String)] = [
        (
            .whatsapp, { .init(verifyToken: liveSettings.current.whatsappVerifyToken, appSecret: liveSettings.current.whatsappAppSecret) },
            "WhatsApp is not configured: set [whatsapp] app_secret."
        ),
        (
            .instagram, { .init(verifyToken: instagram.verifyToken, appSecret: instagram.appSecret) },
            "Instagram is not configured: set [instagram] app_secret."
        ),
    ]
    for (channel, secrets, missingSecret) in webhooks {
        MetaWebhookController<BalcaoRequestContext>(
            channel: channel,
            secrets: secrets,
            missingSecret: missingSecret,
            database: balcao.database,
            maxBodyBytes: balcao.configuration.whatsapp.maxBodyBytes,
            incoming: balcao.conversations.incoming,
            metrics: balcao.metrics,
            logger: balcao.logger
        ).addRoutes(to: router)
    }
    let metrics = balcao.metrics
    var widgetLimits = WidgetLimits()
    widgetLimits.visitorMessagesPerMinute = balcao.configuration.widget.visitorMessagesPerMinute
    widgetLimits.addressMessagesPerMinute = balcao.configuration.widget.addressMessagesPerMinute
    widgetLimits.maxMessageCharacters = balcao.configuration.widget.maxMessageChars
    WidgetRoutes<BalcaoRequestContext>(
        database: balcao.database,
        originals: OriginalStore(directory: balcao.directory),
        assets: AdminConfiguration.locateWebRoot(configured: balcao.configuration.admin.webRoot).appendingPathComponent("widget", isDirectory: true),
        incoming: balcao.conversations.incoming,
        limits: widgetLimits,
        remoteAddress: { request, context in clientAddress(request, peer: context.remoteAddress) },
        clock: balcao.conversations.clock,
        onAccepted: { metrics.webhookReceived(channel: .web) },
        logger: balcao.logger
    ).addRoutes(to: router)
    try (admin ?? balcao.adminWeb()).addRoutes(to: router)
    return router
}

/// The client's address: the peer's, or — when the peer is the reverse proxy on this machine — the one it names in
/// `X-Real-IP` (as the packaged nginx example sets it).
func clientAddress(_ request: Request, peer: String) -> String {
    guard peer == "127.0.0.1" || peer == "::1", let forwarded = request.headers[HTTPField.Name("X-Real-IP")!], !forwarded.isEmpty else { return peer }
    return String(forwarded.prefix(64))
}

/// The body of `/healthz` and `/readyz`.
struct HealthStatus: ResponseEncodable, Sendable {
    var status: String
}

/// A service that runs `prepare` to completion before the service it wraps starts.
struct PreparedService<Base: Service>: Service {
    let base: Base
    let prepare: @Sendable () async throws -> Void

    init(_ base: Base, prepare: @escaping @Sendable () async throws -> Void) {
        self.base = base
        self.prepare = prepare
    }

    func run() async throws {
        try await prepare()
        try await base.run()
    }
}
