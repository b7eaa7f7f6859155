public import Foundation
public import OCR

/// Everything the daemon can be told, with the defaults that make `balcao serve` work with no configuration at all:
/// `127.0.0.1:8080`, data in `./balcao-data`, the local embedder when its model is present, extractive answers.
///
/// Read from one TOML file (sections `[server] [storage] [llm] [llm_fallback] [embedding] [whatsapp] [instagram] [credits] [admin]`…); any key can be
/// overridden by an environment variable `BALCAO_<SECTION>_<KEY>` (`BALCAO_SERVER_PORT=9000`), and every secret may be
/// given as a file instead (`api_token_file = "/run/credentials/balcao.service/api_token"`).
public struct BalcaoConfiguration: Sendable, Hashable {
    /// The HTTP server.
    public struct Server: Sendable, Hashable {
        /// Address to listen on.
        public var host = "127.0.0.1"
        /// Port to listen on.
        public var port = 8080
        /// Bearer token for `/api/v1`; when unset, one is generated in the data directory on first start.
        public var apiToken: String?
        /// Largest accepted upload.
        public var maxUploadBytes = 50 * 1024 * 1024
        /// Requests the API token may make a minute (bursts up to as many); beyond, `429` with `Retry-After`. 0: no limit.
        public var apiRequestsPerMinute = 120
        /// The PEM certificate served for this host by the TLS reverse proxy in front of the daemon (which speaks
        /// plain HTTP itself); `balcao doctor` warns before it expires.
        public var tlsCertificate: String?
    }

    /// Where data lives and how documents are processed.
    public struct Storage: Sendable, Hashable {
        /// The data directory.
        public var dataDirectory = "./balcao-data"
        /// Documents processed at once.
        public var ingestionWorkers = 2
        /// A failing ingestion job is retried until it has run this many times.
        public var ingestionMaxAttempts = 3
        /// Reading one document (extraction and chunking, in a child process) is stopped after this many seconds of
        /// wall-clock or processor time, and the document ends `failed`.
        public var extractionTimeoutSeconds = 120
        /// Memory (address space) the child process reading one document may use, in MiB.
        public var extractionMemoryMB = 1024
        /// The `balcao` executable that reads documents in a child process; empty means the running one. When the
        /// running program is not `balcao` (a test runner) and none is set, documents are read in-process.
        public var extractorExecutable = ""
    }

    /// The embedding model.
    public struct Embedding: Sendable, Hashable {
        /// `local` (in-process multilingual-e5-small), `openai` (an OpenAI-compatible `/embeddings` API) or `none`.
        public var provider = "local"
        /// The local model file; by default looked for in `<data_dir>/models` and `/usr/share/balcao/models`.
        public var modelPath: String?
        /// Base URL of the remote API (`openai` provider).
        public var baseURL: String?
        /// API key of the remote API.
        public var apiKey: String?
        /// Model name of the remote API.
        public var model: String?
        /// Vector length of the remote model (`openai` provider).
        public var dimension: Int?
        /// Threads the local model uses for a batch.
        public var threads = 2
    }

    /// The OpenAI-compatible chat model.
    public struct LLM: Sendable, Hashable {
        /// Base URL (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, …); unset means extractive answers only.
        public var baseURL: String?
        /// API key.
        public var apiKey: String?
        /// Model name.
        public var model: String?
        /// Request timeout.
        public var timeoutSeconds = 60.0
        /// The model can see pictures (OpenAI `image_url` content): customers' photos are shown to it with their text.
        public var vision = false
    }

    /// A second OpenAI-compatible chat model, asked when the primary cannot answer (its circuit breaker is open, or a
    /// request exhausted its retries), before answers fall back to quoted passages. Used only beside `[llm]`.
    public struct LLMFallback: Sendable, Hashable {
        /// Base URL; unset means no fallback.
        public var baseURL: String?
        /// API key.
        public var apiKey: String?
        /// Model name.
        public var model: String?
        /// Request timeout.
        public var timeoutSeconds = 60.0
        /// Price of 1,000 prompt tokens of this model, in credits.
        public var pricePer1kInputTokens = 0.0
        /// Price of 1,000 completion tokens of this model, in credits.
        public var pricePer1kOutputTokens = 0.0
        /// A flat price per answer of this model, in credits.
        public var pricePerAnswer = 0.0
    }

    /// The WhatsApp Cloud API.
    public struct WhatsApp: Sendable, Hashable {
        /// Token Meta echoes when verifying the webhook.
        public var verifyToken: String?
        /// App secret that signs webhook bodies.
        public var appSecret: String?
        /// Access token for the Graph API.
        public var accessToken: String?
        /// Graph API base URL.
        public var graphBaseURL = "https://graph.facebook.com/v25.0"
        /// Messages of one customer closer together than this form one turn and get one answer.
        public var quietPeriodSeconds = 2.5
        /// A reply whose send outcome is unknown (timeout, lost connection, daemon killed mid-send) is sent again only
        /// after this many seconds with no status webhook naming it.
        public var reconcileAfterSeconds = 90.0
        /// After a handoff the assistant answers again by itself after this many minutes.
        public var handoffTimeoutMinutes = 240.0
        /// Largest accepted webhook body.
        public var maxBodyBytes = 1024 * 1024
        /// The WhatsApp Business Account id (WABA): the admin page lists its approved templates for replies after the
        /// 24-hour window (unset: no template picker).
        public var businessAccountID: String?
        /// Approved template sent outside the 24-hour window (unset: such replies are marked failed).
        public var templateName: String?
        /// Language code of that template.
        public var templateLanguage = "pt_BR"
        /// Reply to media the assistant cannot read (unset: the localized default).
        public var textOnlyMessage: String?
    }

    /// Instagram Direct, through Meta's Messenger Platform for Instagram (the channel is on when `app_secret` and
    /// `access_token` are set; conversations share WhatsApp's quiet period, hand-off time-out and reconcile time).
    public struct Instagram: Sendable, Hashable {
        /// Token Meta echoes when verifying `/webhooks/instagram`.
        public var verifyToken: String?
        /// App secret that signs webhook bodies (`X-Hub-Signature-256`).
        public var appSecret: String?
        /// The access token replies are sent with (the Instagram account's, or its Facebook page's).
        public var accessToken: String?
        /// Graph API base URL.
        public var graphBaseURL = "https://graph.facebook.com/v25.0"

        /// Whether the channel can receive and answer.
        public var isConfigured: Bool { appSecret?.isEmpty == false && accessToken?.isEmpty == false }
    }

    /// The website's chat widget (which sites may show it is each agent's setting).
    public struct Widget: Sendable, Hashable {
        /// Messages one visitor may send a minute, in bursts of half as many (0: no limit).
        public var visitorMessagesPerMinute = 10
        /// Messages one network address may send a minute, all its visitors together (0: no limit).
        public var addressMessagesPerMinute = 30
        /// The longest message a visitor may send, in characters.
        public var maxMessageChars = 2_000
    }

    /// The prepaid credit balance that pays for language-model answers.
    public struct Credits: Sendable, Hashable {
        /// Price of 1,000 prompt tokens, in credits.
        public var pricePer1kInputTokens = 0.0
        /// Price of 1,000 completion tokens, in credits.
        public var pricePer1kOutputTokens = 0.0
        /// A flat price per answer, in credits (added to the token prices).
        public var pricePerAnswer = 0.0
        /// The balance never goes below this (concurrent answers included).
        public var floor = 0.0
        /// Below this balance an alert is raised.
        public var lowBalanceThreshold = 10.0
        /// Signing secret of the Stripe webhook (`whsec_…`).
        public var stripeWebhookSecret: String?
    }

    /// How conversations go: buttons, "did it help?", the follow-up after a silence, closing.
    public struct Conversations: Sendable, Hashable {
        /// An answer that found nothing carries a "Falar com atendente" reply button.
        public var handoffButton = true
        /// A message with nothing to search for ("oi") gets the agent's topics as a list to choose from.
        public var topicList = true
        /// Answers are followed by "Isso ajudou? Sim / Não" buttons, at most once per conversation per interval.
        public var feedbackButtons = false
        /// The least time between two "Isso ajudou?" questions in one conversation.
        public var feedbackIntervalHours = 24.0
        /// One follow-up ("Posso ajudar em mais alguma coisa?") after the customer has been silent this long.
        public var followUp = false
        /// The silence before the follow-up.
        public var followUpAfterMinutes = 120.0
        /// A conversation without any message for this long closes (its resolution is recorded); 0: never.
        public var closeAfterHours = 24.0
        /// A customer silent this many months is erased with everything held about them (LGPD); 0: kept.
        public var retentionMonths = 12.0
    }

    /// Limits on what one customer may use, against floods (a script, a stuck phone, a prank).
    public struct Limits: Sendable, Hashable {
        /// A customer whose turns in the last hour reach this many is told so and handed to a person; 0: no limit.
        public var customerTurnsPerHour = 30
        /// A customer whose answers cost this many credits in the last 24 hours is handed to a person; 0: no limit.
        public var customerCreditsPerDay = 0.0
    }

    /// Scheduled backups (`balcao backup` works without them).
    public struct Backup: Sendable, Hashable {
        /// Hours between two scheduled backups; 0 turns them off.
        public var intervalHours = 0.0
        /// Scheduled backups kept; older ones are deleted.
        public var keep = 7
        /// Where scheduled backups are written (default `<data_dir>/backups`).
        public var directory: String?
    }

    /// Logging.
    public struct Log: Sendable, Hashable {
        /// `json` (one object per line) or `text`; unset: JSON when standard output is not a terminal or under systemd.
        public var format: String?
    }

    /// The admin web page at `/admin`.
    public struct Admin: Sendable, Hashable {
        /// The directory with `templates/`, `strings/` and `assets/`; unset: the installed one, else the source checkout's.
        public var webRoot: String?
        /// `Secure` on the admin cookies: `true`, `false`, or unset to set it when the request came over TLS.
        public var secureCookies: Bool?
        /// How long a sign-in lasts.
        public var sessionHours = 12.0
    }

    /// Reading scans and images (Tesseract, on the box).
    public struct OCR: Sendable, Hashable {
        /// Read scanned PDF pages and images; when off they end as `needs_ocr`.
        public var enabled = true
        /// Tesseract languages, `+`-separated; their data packages must be installed (`tesseract-ocr-por`, …).
        public var languages = "por+eng"
        /// The longest one page may take to be read.
        public var pageTimeoutSeconds = 60
        /// The directory with the `.traineddata` files; unset: Tesseract's own.
        public var dataPath: String?

        /// What the extractor is given: `nil` when OCR is off.
        public var settings: OCRSettings? {
            guard enabled else { return nil }
            var settings = OCRSettings()
            settings.languages = languages
            settings.pageTimeLimit = .seconds(pageTimeoutSeconds)
            settings.dataPath = dataPath
            return settings
        }
    }

    /// Photos, stickers and documents customers send in conversations.
    public struct Media: Sendable, Hashable {
        /// Fetch and read them; when off they get the "text only" reply.
        public var enabled = true
        /// The largest file fetched, in MiB.
        public var maxMB = 20
        /// Days a fetched file is kept before it is deleted (what was read from it stays with the conversation).
        public var retentionDays = 30.0
    }

    /// Voice notes transcribed on this machine (whisper.cpp).
    public struct Speech: Sendable, Hashable {
        /// `local` (whisper.cpp on this machine), `openai` (an OpenAI-compatible `/audio/transcriptions` service) or
        /// `none` (voice notes get the "text only" reply).
        public var provider = "local"
        /// The whisper.cpp model; unset: `whisper-base-multilingual-q8_0.bin` in the models directories.
        public var modelPath: String?
        /// Threads one transcription uses.
        public var threads = 1
        /// Longer voice notes are not transcribed, locally or by a service; the customer is asked for a shorter one.
        public var maxSeconds = 180.0
        /// For `openai`: the API root (`https://api.openai.com/v1`).
        public var baseURL: String?
        /// For `openai`: the API key.
        public var apiKey: String?
        /// For `openai`: the model.
        public var model = "whisper-1"

        /// The model `make setup` installs.
        public static let defaultModelFile = "whisper-base-multilingual-q8_0.bin"
    }

    /// The HTTP server.
    public var server = Server()
    /// Storage and ingestion.
    public var storage = Storage()
    /// Embeddings.
    public var embedding = Embedding()
    /// The chat model.
    public var llm = LLM()
    /// The chat model asked when the first one cannot answer.
    public var llmFallback = LLMFallback()
    /// WhatsApp.
    public var whatsapp = WhatsApp()
    /// Instagram Direct.
    public var instagram = Instagram()
    /// The website's chat widget.
    public var widget = Widget()
    /// Credits.
    public var credits = Credits()
    /// Flood limits per customer.
    public var limits = Limits()
    /// Buttons, feedback, follow-up and closing.
    public var conversations = Conversations()
    /// Scheduled backups.
    public var backup = Backup()
    /// Logging.
    public var log = Log()
    /// The admin web page.
    public var admin = Admin()
    /// OCR of scans and images.
    public var ocr = OCR()
    /// Customers' files.
    public var media = Media()
    /// Voice notes.
    public var speech = Speech()

    /// The embedded defaults.
    public init() {}

    /// The data directory, resolved against the current directory.
    public var dataDirectoryURL: URL {
        URL(fileURLWithPath: storage.dataDirectory, isDirectory: true).standardizedFileURL
    }
}

/// A configuration problem, with what to fix.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var description: String
}

extension BalcaoConfiguration {
    /// Every key the file may contain, by section; a key not listed is reported, since it is almost always a typo.
    static let knownKeys: [String: Set<String>] = [
        "server": ["host", "port", "api_token", "max_upload_bytes", "tls_certificate", "api_requests_per_minute"],
        "storage": [
            "data_dir", "ingestion_workers", "ingestion_max_attempts", "extraction_timeout_seconds", "extraction_memory_mb",
            "extractor_executable",
        ],
        "embedding": ["provider", "model_path", "base_url", "api_key", "model", "dimension", "threads"],
        "llm": ["base_url", "api_key", "model", "timeout_seconds", "vision"],
        "llm_fallback": [
            "base_url", "api_key", "model", "timeout_seconds", "price_per_1k_input_tokens", "price_per_1k_output_tokens",
            "price_per_answer",
        ],
        "whatsapp": [
            "verify_token", "app_secret", "access_token", "graph_base_url", "quiet_period_seconds", "handoff_timeout_minutes",
            "max_body_bytes", "template_name", "template_language", "text_only_message", "reconcile_after_seconds", "business_account_id",
        ],
        "instagram": ["verify_token", "app_secret", "access_token", "graph_base_url"],
        "widget": ["visitor_messages_per_minute", "address_messages_per_minute", "max_message_chars"],
        "credits": [
            "price_per_1k_input_tokens", "price_per_1k_output_tokens", "price_per_answer", "floor", "low_balance_threshold",
            "stripe_webhook_secret",
        ],
        "limits": ["customer_turns_per_hour", "customer_credits_per_day"],
        "conversations": [
            "handoff_button", "topic_list", "feedback_buttons", "feedback_interval_hours", "follow_up", "follow_up_after_minutes",
            "close_after_hours",
            "retention_months",
        ],
        "backup": ["interval_hours", "keep", "directory"],
        "log": ["format"],
        "admin": ["web_root", "secure_cookies", "session_hours"],
        "ocr": ["enabled", "languages", "page_timeout_seconds", "data_path"],
        "media": ["enabled", "max_mb", "retention_days"],
        "speech": ["provider", "model_path", "threads", "max_seconds", "base_url", "api_key", "model"],
    ]

    /// Loads the configuration: embedded defaults, then the file (when given), then `BALCAO_*` environment variables.
    public static func load(file: URL?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BalcaoConfiguration {
        var values: [String: String] = [:]
        var origins: [String: String] = [:]
        if let file {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw ConfigurationError(description: "Cannot read the configuration file \(file.path): \(error.localizedDescription)")
            }
            for (key, value) in try ConfigurationFile(parsing: text, path: file.path, knownKeys: knownKeys).values {
                values[key] = value
                origins[key] = file.path
            }
        }
        for (section, keys) in knownKeys {
            for key in keys {
                for name in [key, key + "_file"] {
                    let variable = "BALCAO_\(section.uppercased())_\(name.uppercased())"
                    if let value = environment[variable] {
                        values["\(section).\(name)"] = value
                        origins["\(section).\(name)"] = "environment variable \(variable)"
                    }
                }
            }
        }
        return try BalcaoConfiguration(values: values, origins: origins)
    }

    /// Reads settings given as text by `section.key`; `origins` says where each came from (the file's path, the
    /// environment variable), which errors about that setting name first.
    init(values: [String: String], origins: [String: String] = [:]) throws {
        let reader = ValueReader(values: values, origins: origins)
        server.host = reader.string("server.host") ?? server.host
        server.port = try reader.integer("server.port", in: 0...65535) ?? server.port
        server.apiToken = try reader.secret("server.api_token")
        server.maxUploadBytes = try reader.integer("server.max_upload_bytes", in: 1...(1 << 40)) ?? server.maxUploadBytes
        server.tlsCertificate = reader.string("server.tls_certificate")
        server.apiRequestsPerMinute =
            try reader.integer("server.api_requests_per_minute", in: 0...1_000_000) ?? server.apiRequestsPerMinute
        storage.dataDirectory = reader.string("storage.data_dir") ?? storage.dataDirectory
        storage.ingestionWorkers = try reader.integer("storage.ingestion_workers", in: 1...64) ?? storage.ingestionWorkers
        storage.ingestionMaxAttempts = try reader.integer("storage.ingestion_max_attempts", in: 1...100) ?? storage.ingestionMaxAttempts
        storage.extractionTimeoutSeconds =
            try reader.integer("storage.extraction_timeout_seconds", in: 1...86_400) ?? storage.extractionTimeoutSeconds
        storage.extractionMemoryMB = try reader.integer("storage.extraction_memory_mb", in: 64...1_048_576) ?? storage.extractionMemoryMB
        storage.extractorExecutable = reader.string("storage.extractor_executable") ?? storage.extractorExecutable
        embedding.provider = reader.string("embedding.provider") ?? embedding.provider
        guard ["local", "openai", "none"].contains(embedding.provider) else {
            throw reader.problem(
                "embedding.provider",
                "[embedding] provider must be \"local\", \"openai\" or \"none\", not \"\(embedding.provider)\""
            )
        }
        embedding.modelPath = reader.string("embedding.model_path")
        embedding.baseURL = reader.string("embedding.base_url")
        embedding.apiKey = try reader.secret("embedding.api_key")
        embedding.model = reader.string("embedding.model")
        embedding.dimension = try reader.integer("embedding.dimension", in: 1...65536)
        embedding.threads = try reader.integer("embedding.threads", in: 1...256) ?? embedding.threads
        if embedding.provider == "openai" && (embedding.baseURL == nil || embedding.model == nil || embedding.dimension == nil) {
            throw ConfigurationError(description: "[embedding] provider = \"openai\" needs base_url, model and dimension")
        }
        llm.baseURL = reader.string("llm.base_url")
        llm.apiKey = try reader.secret("llm.api_key")
        llm.model = reader.string("llm.model")
        llm.timeoutSeconds = try reader.double("llm.timeout_seconds") ?? llm.timeoutSeconds
        llmFallback.baseURL = reader.string("llm_fallback.base_url")
        llmFallback.apiKey = try reader.secret("llm_fallback.api_key")
        llmFallback.model = reader.string("llm_fallback.model")
        llmFallback.timeoutSeconds = try reader.double("llm_fallback.timeout_seconds") ?? llmFallback.timeoutSeconds
        llmFallback.pricePer1kInputTokens =
            try reader.double("llm_fallback.price_per_1k_input_tokens", allowZero: true) ?? llmFallback.pricePer1kInputTokens
        llmFallback.pricePer1kOutputTokens =
            try reader.double("llm_fallback.price_per_1k_output_tokens", allowZero: true) ?? llmFallback.pricePer1kOutputTokens
        llmFallback.pricePerAnswer = try reader.double("llm_fallback.price_per_answer", allowZero: true) ?? llmFallback.pricePerAnswer
        whatsapp.verifyToken = try reader.secret("whatsapp.verify_token")
        whatsapp.businessAccountID = reader.string("whatsapp.business_account_id")
        whatsapp.appSecret = try reader.secret("whatsapp.app_secret")
        whatsapp.accessToken = try reader.secret("whatsapp.access_token")
        whatsapp.graphBaseURL = reader.string("whatsapp.graph_base_url") ?? whatsapp.graphBaseURL
        whatsapp.quietPeriodSeconds = try reader.double("whatsapp.quiet_period_seconds", allowZero: true) ?? whatsapp.quietPeriodSeconds
        whatsapp.handoffTimeoutMinutes = try reader.double("whatsapp.handoff_timeout_minutes") ?? whatsapp.handoffTimeoutMinutes
        whatsapp.reconcileAfterSeconds = try reader.double("whatsapp.reconcile_after_seconds") ?? whatsapp.reconcileAfterSeconds
        whatsapp.maxBodyBytes = try reader.integer("whatsapp.max_body_bytes", in: 1024...(64 << 20)) ?? whatsapp.maxBodyBytes
        whatsapp.templateName = reader.string("whatsapp.template_name")
        whatsapp.templateLanguage = reader.string("whatsapp.template_language") ?? whatsapp.templateLanguage
        whatsapp.textOnlyMessage = reader.string("whatsapp.text_only_message")
        instagram.verifyToken = try reader.secret("instagram.verify_token")
        instagram.appSecret = try reader.secret("instagram.app_secret")
        instagram.accessToken = try reader.secret("instagram.access_token")
        instagram.graphBaseURL = reader.string("instagram.graph_base_url") ?? instagram.graphBaseURL
        widget.visitorMessagesPerMinute =
            try reader.integer("widget.visitor_messages_per_minute", in: 0...10_000) ?? widget.visitorMessagesPerMinute
        widget.addressMessagesPerMinute =
            try reader.integer("widget.address_messages_per_minute", in: 0...100_000) ?? widget.addressMessagesPerMinute
        widget.maxMessageChars = try reader.integer("widget.max_message_chars", in: 1...4_096) ?? widget.maxMessageChars
        credits.pricePer1kInputTokens = try reader.double("credits.price_per_1k_input_tokens", allowZero: true) ?? credits.pricePer1kInputTokens
        credits.pricePer1kOutputTokens = try reader.double("credits.price_per_1k_output_tokens", allowZero: true) ?? credits.pricePer1kOutputTokens
        credits.pricePerAnswer = try reader.double("credits.price_per_answer", allowZero: true) ?? credits.pricePerAnswer
        credits.floor = try reader.double("credits.floor", allowZero: true) ?? credits.floor
        credits.lowBalanceThreshold = try reader.double("credits.low_balance_threshold", allowZero: true) ?? credits.lowBalanceThreshold
        credits.stripeWebhookSecret = try reader.secret("credits.stripe_webhook_secret")
        limits.customerTurnsPerHour =
            try reader.integer("limits.customer_turns_per_hour", in: 0...100_000) ?? limits.customerTurnsPerHour
        limits.customerCreditsPerDay = try reader.double("limits.customer_credits_per_day", allowZero: true) ?? limits.customerCreditsPerDay
        conversations.handoffButton = try reader.boolean("conversations.handoff_button") ?? conversations.handoffButton
        conversations.feedbackButtons = try reader.boolean("conversations.feedback_buttons") ?? conversations.feedbackButtons
        conversations.topicList = try reader.boolean("conversations.topic_list") ?? conversations.topicList
        conversations.feedbackIntervalHours =
            try reader.double("conversations.feedback_interval_hours", allowZero: true) ?? conversations.feedbackIntervalHours
        conversations.followUp = try reader.boolean("conversations.follow_up") ?? conversations.followUp
        conversations.followUpAfterMinutes =
            try reader.double("conversations.follow_up_after_minutes") ?? conversations.followUpAfterMinutes
        conversations.closeAfterHours = try reader.double("conversations.close_after_hours", allowZero: true) ?? conversations.closeAfterHours
        conversations.retentionMonths = try reader.double("conversations.retention_months", allowZero: true) ?? conversations.retentionMonths
        backup.intervalHours = try reader.double("backup.interval_hours", allowZero: true) ?? backup.intervalHours
        backup.keep = try reader.integer("backup.keep", in: 1...10_000) ?? backup.keep
        backup.directory = reader.string("backup.directory")
        log.format = reader.string("log.format")
        if let format = log.format, !["json", "text"].contains(format) {
            throw reader.problem("log.format", "[log] format must be \"json\" or \"text\", not \"\(format)\"")
        }
        admin.webRoot = reader.string("admin.web_root")
        if let text = reader.string("admin.secure_cookies"), text != "auto" {
            guard let value = Bool(text) else {
                throw reader.problem("admin.secure_cookies", "admin.secure_cookies must be true, false or \"auto\", not \"\(text)\"")
            }
            admin.secureCookies = value
        }
        admin.sessionHours = try reader.double("admin.session_hours") ?? admin.sessionHours
        if let text = reader.string("ocr.enabled") {
            guard let value = Bool(text) else { throw reader.problem("ocr.enabled", "[ocr] enabled must be true or false, not \"\(text)\"") }
            ocr.enabled = value
        }
        ocr.languages = reader.string("ocr.languages") ?? ocr.languages
        guard !ocr.languages.isEmpty, ocr.languages.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "_" || $0 == "-" }) else {
            throw reader.problem("ocr.languages", "[ocr] languages must be Tesseract language names joined by +, like \"por+eng\"")
        }
        ocr.pageTimeoutSeconds = try reader.integer("ocr.page_timeout_seconds", in: 1...3600) ?? ocr.pageTimeoutSeconds
        ocr.dataPath = reader.string("ocr.data_path")
        llm.vision = try reader.boolean("llm.vision") ?? llm.vision
        media.enabled = try reader.boolean("media.enabled") ?? media.enabled
        media.maxMB = try reader.integer("media.max_mb", in: 1...100) ?? media.maxMB
        media.retentionDays = try reader.double("media.retention_days") ?? media.retentionDays
        speech.provider = reader.string("speech.provider") ?? speech.provider
        guard ["local", "openai", "none"].contains(speech.provider) else {
            throw reader.problem("speech.provider", "[speech] provider must be \"local\", \"openai\" or \"none\", not \"\(speech.provider)\"")
        }
        speech.baseURL = reader.string("speech.base_url")
        speech.apiKey = try reader.secret("speech.api_key")
        speech.model = reader.string("speech.model") ?? speech.model
        if speech.provider == "openai" && speech.baseURL == nil {
            throw reader.problem("speech.provider", "[speech] provider = \"openai\" needs base_url (e.g. \"https://api.openai.com/v1\")")
        }
        speech.modelPath = reader.string("speech.model_path")
        speech.threads = try reader.integer("speech.threads", in: 1...16) ?? speech.threads
        speech.maxSeconds = try reader.double("speech.max_seconds") ?? speech.maxSeconds
    }

    private struct ValueReader {
        let values: [String: String]
        let origins: [String: String]

        /// An error about one setting, preceded by where that setting came from (when known).
        func problem(_ key: String, _ message: String) -> ConfigurationError {
            ConfigurationError(description: origins[key].map { "\($0): \(message)" } ?? message)
        }

        func boolean(_ key: String) throws -> Bool? {
            guard let text = string(key) else { return nil }
            guard let value = Bool(text) else { throw problem(key, "\(key) must be true or false, not \"\(text)\"") }
            return value
        }

        func string(_ key: String) -> String? {
            guard let value = values[key], !value.isEmpty else { return nil }
            return value
        }

        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = string(key) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw problem(key, "\(key) must be a whole number between \(range.lowerBound) and \(range.upperBound), not \"\(text)\"")
            }
            return value
        }

        func double(_ key: String, allowZero: Bool = false) throws -> Double? {
            guard let text = string(key) else { return nil }
            guard let value = Double(text), value.isFinite, allowZero ? value >= 0 : value > 0 else {
                throw problem(key, "\(key) must be a \(allowZero ? "non-negative" : "positive") number, not \"\(text)\"")
            }
            return value
        }

        /// A secret given inline or, with the `_file` suffix, as a file to read (systemd credentials). An empty file
        /// counts as unset (the inline value, if any, applies): the packaged unit passes every secret as a credential
        /// whose fallback, when `/etc/balcao/credentials/<name>` does not exist, is empty.
        func secret(_ key: String) throws -> String? {
            if let path = string(key + "_file") {
                let text: String
                do {
                    text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    throw problem(key + "_file", "Cannot read \(key)_file \(path): \(error.localizedDescription)")
                }
                if !text.isEmpty { return text }
            }
            return string(key)
        }
    }
}
