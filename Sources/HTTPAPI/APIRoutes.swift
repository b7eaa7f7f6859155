public import Conversations
public import Credits
public import Hummingbird
public import Ingestion
public import Logging
import OpenAPIHummingbird
public import Retrieval
public import Storage

/// The JSON API: the OpenAPI document at `/api/v1/openapi.json`, the token-protected routes under `/api/v1`
/// (documents, search, agents, conversations, credits) and Stripe's signed webhook.
public struct APIRoutes: Sendable {
    /// The bearer token every `/api/v1` route needs.
    public var token: String
    /// Where documents, agents and conversations are read.
    public var database: AppDatabase
    /// Uploads and deletions of documents.
    public var library: DocumentLibrary
    /// `GET /api/v1/search`.
    public var search: SearchService
    /// Hand-off and operator replies.
    public var conversations: ConversationsService
    /// The balance, its entries and top-ups.
    public var ledger: CreditLedger
    /// Stripe's signing secret; `nil` refuses its webhooks.
    public var stripeWebhookSecret: String?
    /// Where storage failures and refused webhooks are logged.
    public var logger: Logger
    /// The requests the token may make (`nil`: no limit).
    public var rateLimiter: RequestRateLimiter?

    /// The API over these parts.
    public init(
        token: String,
        database: AppDatabase,
        library: DocumentLibrary,
        search: SearchService,
        conversations: ConversationsService,
        ledger: CreditLedger,
        stripeWebhookSecret: String?,
        logger: Logger,
        rateLimiter: RequestRateLimiter? = nil
    ) {
        self.rateLimiter = rateLimiter
        self.token = token
        self.database = database
        self.library = library
        self.search = search
        self.conversations = conversations
        self.ledger = ledger
        self.stripeWebhookSecret = stripeWebhookSecret
        self.logger = logger
    }

    /// Adds the routes to `router`: the operations generated from `openapi.json`, the upload beside them, and Stripe's
    /// webhook.
    public func add(to router: Router<ServerRequestContext>) throws {
        router.get("api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        var api = router.group("api/v1")
            .add(middleware: BearerTokenMiddleware<ServerRequestContext>(token: token))
        if let rateLimiter { api = api.add(middleware: RequestRateLimitMiddleware<ServerRequestContext>(limiter: rateLimiter)) }
        api =
            api
            .add(middleware: StorageFailureMiddleware<ServerRequestContext>(logger: logger))
            .add(middleware: OpenAPIErrorMiddleware<ServerRequestContext>())
        let operations = BalcaoAPI(
            database: database,
            library: library,
            search: search,
            conversations: conversations,
            ledger: ledger,
            logger: logger
        )
        try operations.registerHandlers(on: api, configuration: APIJSON.configuration, middlewares: [JSONRequestBodyMiddleware()])
        DocumentUploadRoute<ServerRequestContext>(library: library).add(to: api)
        StripeWebhookRoute<ServerRequestContext>(ledger: ledger, secret: stripeWebhookSecret, logger: logger).add(to: router)
    }
}
