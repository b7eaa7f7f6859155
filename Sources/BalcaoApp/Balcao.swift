public import Answering
public import Conversations
public import Credits
public import Embedding
import Extraction
public import Foundation
public import HTTPAPI
public import Ingestion
import LLM
public import Logging
import OCR
public import Retrieval
import Speech
public import Storage
import WebChat
public import WhatsApp

/// The daemon's parts, wired once from a configuration and shared by `balcao serve`, every CLI command and the tests.
///
/// Explicit constructor injection: each part receives what it uses; nothing is looked up from a container.
public struct Balcao: Sendable {
    /// The configuration it was built from.
    public let configuration: BalcaoConfiguration
    /// The data directory.
    public let directory: DataDirectory
    /// The database.
    public let database: AppDatabase
    /// Seals secrets stored in the database.
    public let secrets: SecretBox
    /// The effective LLM and WhatsApp settings: the configuration file's, overridden by those saved on the admin page.
    public let liveSettings: LiveSettings
    /// The embedder, or `nil` when none is available (keyword-only search).
    public let embedder: (any Embedder)?
    /// The vector index.
    public let vectorIndex: any VectorSearchIndex
    /// Document uploads, listing and deletion.
    public let library: DocumentLibrary
    /// The ingestion pipeline.
    public let pipeline: IngestionPipeline
    /// Hybrid search.
    public let search: SearchService
    /// Builds answers (the language model when configured, quoted passages otherwise).
    public let answerer: Answerer
    /// The prepaid credit ledger.
    public let ledger: CreditLedger
    /// Prices of model answers.
    public let pricing: CreditPricing
    /// Whether answers are paid for with credits: some price of `[credits]` or, with a fallback model, of
    /// `[llm_fallback]` is set. When not (the default), credits are neither held nor debited.
    public let isMetered: Bool
    /// The background work of answering customers.
    public let conversations: ConversationsService
    /// The logger.
    public let logger: Logger
    /// The Prometheus metrics served at `/metrics` (this daemon's own registry).
    public let metrics: BalcaoMetrics
    /// Customers' data rights: export and erasure (LGPD).
    public var customerData: CustomerData {
        conversations.customerData(mediaIn: directory)
    }
    /// The business's approved templates (`[whatsapp] business_account_id`), for operators' replies after 24 hours.
    public let templateCatalog: TemplateCatalog?
    /// The API token's request budget (`[server] api_requests_per_minute`; `nil`: no limit), timed by the daemon's clock.
    public let apiRateLimiter: RequestRateLimiter?

    /// Opens the data directory and database and builds every part.
    ///
    /// - Parameters:
    ///   - embedder: overrides the configured embedder (tests inject a small deterministic one); `.some(nil)` disables it.
    ///   - clock: the time of the conversation flow's decisions (opening hours, hand-off time-outs, the outbox's
    ///     attempts); tests move it.
    public static func open(
        configuration: BalcaoConfiguration,
        logger: Logger = Logger(label: "balcao"),
        embedder override: (any Embedder)?? = nil,
        clock: @escaping @Sendable () -> Date = Date.init
    ) throws -> Balcao {
        let metrics = BalcaoMetrics()
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        try directory.create()
        let database = try AppDatabase.open(at: directory.database)
        metrics.countWriteTransactions(of: database)
        let secrets = try SecretBox(keyFile: directory.secretKey)
        let embedder: (any Embedder)? = try override ?? EmbedderFactory.make(configuration: configuration, directory: directory, logger: logger)
        let vectorIndex: any VectorSearchIndex =
            try embedder.map {
                try HNSWChunkIndex(database: database, directory: directory, modelIdentity: $0.modelIdentity, dimension: $0.dimension, logger: logger)
            } ?? NoVectorIndex()
        let originals = OriginalStore(directory: directory)
        let pipeline = IngestionPipeline(
            database: database,
            originals: originals,
            reader: documentReader(configuration: configuration, logger: logger, ocr: configuration.ocr.settings),
            embedder: embedder,
            vectorIndex: vectorIndex,
            secrets: secrets,
            maxAttempts: configuration.storage.ingestionMaxAttempts,
            logger: logger
        )
        let library = DocumentLibrary(
            database: database,
            originals: originals,
            secrets: secrets,
            vectorIndex: vectorIndex,
            maxUploadBytes: configuration.server.maxUploadBytes
        )
        let search = SearchService(
            database: database,
            embedder: embedder,
            vectorIndex: InstrumentedVectorIndex(base: vectorIndex, metrics: metrics)
        )
        let liveSettings = try LiveSettings(
            base: ConnectionSettings(
                llmBaseURL: configuration.llm.baseURL,
                llmModel: configuration.llm.model,
                llmAPIKey: configuration.llm.apiKey,
                whatsappAccessToken: configuration.whatsapp.accessToken,
                whatsappAppSecret: configuration.whatsapp.appSecret,
                whatsappVerifyToken: configuration.whatsapp.verifyToken
            ),
            database: database,
            secrets: secrets
        )
        // The chat model and the Graph API client follow the live settings: saved on the admin page, used by the next answer.
        let chatModel = LiveChatModel(
            settings: liveSettings,
            timeoutSeconds: configuration.llm.timeoutSeconds,
            fallback: configuration.llmFallback,
            metrics: metrics,
            logger: logger
        )
        if chatModel.current() == nil {
            logger.notice("no language model configured: answers quote the documents ([llm] base_url)")
            if chatModel.hasFallback { logger.warning("[llm_fallback] is used only beside [llm]: set [llm] base_url too") }
        }
        let answerer = Answerer(search: search, chatModelProvider: { chatModel.current() })
        let credits = configuration.credits
        let ledger = CreditLedger(
            database: database,
            configuration: .init(floor: CreditAmount(credits: credits.floor), lowBalanceThreshold: CreditAmount(credits: credits.lowBalanceThreshold))
        )
        let pricing = CreditPricing(
            pricePer1kInputTokens: CreditAmount(credits: credits.pricePer1kInputTokens),
            pricePer1kOutputTokens: CreditAmount(credits: credits.pricePer1kOutputTokens),
            pricePerAnswer: CreditAmount(credits: credits.pricePerAnswer)
        )
        let fallback = configuration.llmFallback
        let fallbackPricing = CreditPricing(
            pricePer1kInputTokens: CreditAmount(credits: fallback.pricePer1kInputTokens),
            pricePer1kOutputTokens: CreditAmount(credits: fallback.pricePer1kOutputTokens),
            pricePerAnswer: CreditAmount(credits: fallback.pricePerAnswer)
        )
        let metered = !pricing.isFree || (chatModel.hasFallback && !fallbackPricing.isFree)
        let gate: any CreditGate =
            metered ? LedgerCreditGate(ledger: ledger, pricing: pricing, fallbackPricing: fallbackPricing, logger: logger) : UnmeteredCredits()
        let graph = LiveGraphAPI(settings: liveSettings, baseURL: configuration.whatsapp.graphBaseURL, logger: logger)
        var settings = ConversationSettings()
        settings.quietPeriod = configuration.whatsapp.quietPeriodSeconds
        settings.humanTimeout = configuration.whatsapp.handoffTimeoutMinutes * 60
        let flow = configuration.conversations
        settings.handoffButton = flow.handoffButton
        settings.feedbackButtons = flow.feedbackButtons
        settings.topicList = flow.topicList
        settings.feedbackInterval = flow.feedbackIntervalHours * 3600
        settings.followUp = flow.followUp
        settings.followUpAfter = flow.followUpAfterMinutes * 60
        settings.closeAfter = flow.closeAfterHours > 0 ? flow.closeAfterHours * 3600 : nil
        // A month is 30.44 days (a year of 365.25 days in twelve).
        settings.retention = flow.retentionMonths > 0 ? flow.retentionMonths * 30.44 * 86_400 : nil
        settings.customerTurnsPerHour = configuration.limits.customerTurnsPerHour > 0 ? configuration.limits.customerTurnsPerHour : nil
        settings.customerSpendPerDay =
            configuration.limits.customerCreditsPerDay > 0 ? CreditAmount(credits: configuration.limits.customerCreditsPerDay).micros : nil
        settings.reconcileAfter = configuration.whatsapp.reconcileAfterSeconds
        settings.textOnlyMessage = configuration.whatsapp.textOnlyMessage
        settings.windowTemplate = configuration.whatsapp.templateName.map {
            ConversationSettings.Template(name: $0, language: configuration.whatsapp.templateLanguage)
        }
        settings.media.enabled = configuration.media.enabled
        settings.media.maxBytes = configuration.media.maxMB << 20
        settings.media.retention = configuration.media.retentionDays * 86_400
        settings.media.showsPicturesToModel = configuration.llm.vision
        // Customers' files are read by the knowledge base's isolated reader, with sections kept whole, and at most
        // 10 scanned pages each: a customer's 300-page scan must not hold the one media worker for hours.
        var customerOCR = configuration.ocr.settings
        customerOCR?.maximumPages = 10
        let speech = speechSettings(configuration: configuration, directory: directory, logger: logger)
        let transcriptionService = configuration.speech.provider == "openai" ? transcriptionClient(configuration: configuration.speech) : nil
        settings.media.transcribesRecordings = speech != nil || transcriptionService != nil
        settings.media.maximumRecordingSeconds = configuration.speech.maxSeconds
        let customerData = CustomerData(database: database, mediaStore: CustomerMediaStore(directory: directory))
        let mediaReader = CustomerMediaReader { [configuration, logger, customerOCR] language in
            documentReader(
                configuration: configuration,
                logger: logger,
                chunker: Chunker(maxTokens: 1_000_000, overlapTokens: 0),
                ocr: customerOCR,
                speech: speech.map { speech in
                    var speech = speech
                    speech.language = language
                    return speech
                }
            )
        }
        let readsRecordings = settings.media.enabled && settings.media.transcribesRecordings
        var decoders: [MessagingChannel: any WebhookDecoding] = [
            .whatsapp: WhatsAppWebhookDecoder(readsMedia: settings.media.enabled, readsRecordings: readsRecordings)
        ]
        var channels: [MessagingChannel: any OutboundChannel] = [.whatsapp: WhatsAppChannel(api: graph, logger: logger, metrics: metrics)]
        // The website's widget is always there; each agent's allowed sites decide which pages may show it.
        decoders[.web] = WidgetDeliveryDecoder()
        channels[.web] = WebChatChannel()
        var instagramFetcher: InstagramMediaFetcher?
        if configuration.instagram.isConfigured {
            let client = GraphAPIClient(
                baseURL: configuration.instagram.graphBaseURL,
                accessToken: configuration.instagram.accessToken ?? "",
                logger: logger
            )
            decoders[.instagram] = InstagramWebhookAdapter(readsMedia: settings.media.enabled, readsRecordings: readsRecordings)
            channels[.instagram] = InstagramChannel(client: client, logger: logger, metrics: metrics)
            instagramFetcher = InstagramMediaFetcher(client: client)
        }
        var conversations = ConversationsService(
            database: database,
            decoders: decoders,
            answerer: answerer,
            credits: gate,
            channel: ChannelSwitch(channels),
            settings: settings,
            logger: logger,
            media: settings.media.enabled
                ? (
                    store: CustomerMediaStore(directory: directory),
                    fetcher: ChannelMediaFetcher(whatsapp: WhatsAppMediaFetcher(api: graph), instagram: instagramFetcher),
                    reader: transcriptionService.map {
                        RemoteTranscriptionMediaReader(local: mediaReader, service: $0, maximumSeconds: configuration.speech.maxSeconds)
                    } ?? mediaReader
                ) : nil
        )
        conversations.onUnconfirmedSend = { _ in metrics.sendUnconfirmed() }
        conversations.clock = clock
        conversations.customerData = customerData
        return Balcao(
            configuration: configuration,
            directory: directory,
            database: database,
            secrets: secrets,
            liveSettings: liveSettings,
            embedder: embedder,
            vectorIndex: vectorIndex,
            library: library,
            pipeline: pipeline,
            search: search,
            answerer: answerer,
            ledger: ledger,
            pricing: pricing,
            isMetered: metered,
            conversations: conversations,
            logger: logger,
            metrics: metrics,
            templateCatalog: configuration.whatsapp.businessAccountID.flatMap { $0.isEmpty ? nil : $0 }.map { id in
                TemplateCatalog(businessAccountID: id, now: clock) { graph.client }
            },
            apiRateLimiter: configuration.server.apiRequestsPerMinute > 0
                ? RequestRateLimiter(limit: configuration.server.apiRequestsPerMinute, now: clock) : nil
        )
    }

    /// The local speech-to-text settings: `nil` when `[speech] provider` is `none`, or the model is missing (voice notes
    /// then get the "text only" reply).
    static func speechSettings(configuration: BalcaoConfiguration, directory: DataDirectory, logger: Logger) -> SpeechSettings? {
        let speech = configuration.speech
        guard speech.provider == "local" else { return nil }
        let file =
            speech.modelPath.map { URL(fileURLWithPath: $0) }
            ?? EmbedderFactory.modelDirectories(configuration: configuration, directory: directory)
            .map { $0.appendingPathComponent(BalcaoConfiguration.Speech.defaultModelFile) }
            .first { FileManager.default.isReadableFile(atPath: $0.path) }
        guard let file, FileManager.default.isReadableFile(atPath: file.path) else {
            logger.warning(
                "the speech model is missing: voice notes get the text-only reply until it is installed",
                metadata: ["fix": "run `make run` or `bash scripts/fetch-speech-model.sh \(directory.models.path)`"]
            )
            return nil
        }
        return SpeechSettings(modelPath: file.path, threads: speech.threads, maximumSeconds: speech.maxSeconds)
    }

    /// The OpenAI-compatible transcription service of `[speech] provider = "openai"`.
    static func transcriptionClient(configuration speech: BalcaoConfiguration.Speech) -> OpenAITranscriptionClient? {
        guard let baseURL = speech.baseURL else { return nil }
        return OpenAITranscriptionClient(configuration: .init(baseURL: baseURL, apiKey: speech.apiKey, model: speech.model))
    }

    /// Reads documents in a child process with the configured limits (in-process only when no `balcao` executable is
    /// known: a test runner that did not name one).
    static func documentReader(
        configuration: BalcaoConfiguration,
        logger: Logger,
        chunker: Chunker = Chunker(),
        ocr: OCRSettings?,
        speech: SpeechSettings? = nil
    ) -> any DocumentReading {
        let extraction = ExtractionLimits(maxFileBytes: configuration.server.maxUploadBytes)
        let storage = configuration.storage
        let executable =
            storage.extractorExecutable.isEmpty
            ? IsolatedDocumentReader.currentExecutable() : URL(fileURLWithPath: storage.extractorExecutable)
        guard let executable else {
            logger.warning("documents are read in-process: no balcao executable to isolate them in ([storage] extractor_executable)")
            return InProcessDocumentReader(extractor: DocumentExtractor(limits: extraction, ocr: ocr, speech: speech), chunker: chunker)
        }
        let limits = IsolatedDocumentReader.Limits(
            timeout: .seconds(storage.extractionTimeoutSeconds),
            memoryBytes: storage.extractionMemoryMB << 20
        )
        return IsolatedDocumentReader(
            executable: executable,
            limits: limits,
            extraction: extraction,
            ocr: ocr,
            speech: speech,
            chunker: chunker
        )
    }

    /// The API token: the configured one, or one generated on first start and kept in `<data_dir>/api_token` (mode 0600).
    public func apiToken() throws -> String {
        if let token = configuration.server.apiToken { return token }
        let file = directory.root.appendingPathComponent("api_token")
        if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !existing.isEmpty
        {
            return existing
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard FileManager.default.createFile(atPath: file.path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(description: "Cannot write the API token file \(file.path)") }
        logger.notice("generated an API token", metadata: ["file": "\(file.path)"])
        return token
    }
}
