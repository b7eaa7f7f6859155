public import Conversations
import Credits
import Foundation
import Ingestion
import LLM
public import Prometheus
import Retrieval
public import Storage
import Synchronization

/// The daemon's Prometheus metrics, served at `/metrics`.
///
/// Each ``Balcao`` owns its own registry (no global bootstrap), so daemons built in one process (tests) never share
/// figures. Events are counted where they happen (webhooks, LLM calls, Graph API sends, searches, ingestion jobs);
/// what the database already records (turns, answers by outcome, handoffs, credits, queue depth) is read when scraped,
/// incrementally, so a scrape costs a few indexed queries whatever the history's size.
public final class BalcaoMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Every metric's name and help (one place, since a name must always come with the same help text).
    enum Name {
        static var webhooksReceived: MetricNameDescriptor {
            d("webhooks_received", "total", "Webhook deliveries accepted (signature valid, stored), by channel.")
        }
        static var webhooksRejected: MetricNameDescriptor { d("webhooks_rejected", "total", "Webhook deliveries refused, by reason and channel.") }
        static var turns: MetricNameDescriptor { d("turns", "total", "Conversation turns opened (customer messages answered together), by channel.") }
        static var answers: MetricNameDescriptor { d("answers", "total", "Answers by outcome and channel.") }
        static var answersByModel: MetricNameDescriptor {
            d("answers_by_model", "total", "Answers the language models wrote, by model and tier (primary or fallback).")
        }
        static var handoffs: MetricNameDescriptor { d("handoffs", "total", "Answers that handed the customer to a person.") }
        static var llmDuration: MetricNameDescriptor { d("llm_request_duration", "seconds", "Language-model calls, retries included.") }
        static var llmErrors: MetricNameDescriptor { d("llm_errors", "total", "Failed language-model calls by error code.") }
        static var sends: MetricNameDescriptor { d("sends", "total", "Replies sent to customers, by channel and result.") }
        static var sendsUnconfirmed: MetricNameDescriptor {
            d("sends_unconfirmed", "total", "Replies sent again because no status webhook confirmed their attempt within the reconcile time.")
        }
        static var writeTransactions: MetricNameDescriptor {
            d("database_write_transactions", "total", "SQLite transactions of this process that changed the database (0 while idle).")
        }
        static var creditsBalance: MetricNameDescriptor { d("credits", "balance", "Prepaid credit balance, in credits.") }
        static var creditsSpent: MetricNameDescriptor { d("credits_spent", "total", "Credits debited for answers, all time.") }
        static var queueDepth: MetricNameDescriptor { d("ingestion_queue", "depth", "Ingestion jobs waiting or running.") }
        static var ingestionDuration: MetricNameDescriptor {
            d("ingestion_duration", "seconds", "Ingestion jobs (extract, chunk, embed, index) by outcome.")
        }
        static var indexSize: MetricNameDescriptor { d("vector_index", "vectors", "Vectors in the in-memory index.") }
        static var searchDuration: MetricNameDescriptor { d("vector_search_duration", "seconds", "Vector index searches.") }

        static func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "balcao", metricName: name, unitName: unit, helpText: help)
        }
    }

    /// Creates an empty registry with every metric declared (so a scrape shows them all from the start).
    public init() {
        for channel in MessagingChannel.allCases {
            _ = registry.makeCounter(descriptor: Name.webhooksReceived, labels: [("channel", channel.rawValue)])
            _ = registry.makeCounter(descriptor: Name.turns, labels: [("channel", channel.rawValue)])
            for reason in ["missing_signature", "invalid_signature", "too_large", "not_configured"] {
                webhookRejected(reason: reason, channel: channel, count: 0)
            }
            for outcome in ["generated", "extractive", "unanswered", "handoff", "out_of_credits"] {
                _ = registry.makeCounter(descriptor: Name.answers, labels: [("outcome", outcome), ("channel", channel.rawValue)])
            }
        }
        _ = registry.makeDurationHistogram(descriptor: Name.llmDuration, buckets: Self.latencyBuckets)
        _ = registry.makeDurationHistogram(descriptor: Name.searchDuration, buckets: Self.latencyBuckets)
        _ = registry.makeGauge(descriptor: Name.queueDepth)
        _ = registry.makeGauge(descriptor: Name.indexSize)
        _ = registry.makeGauge(descriptor: Name.creditsBalance)
        _ = registry.makeCounter(descriptor: Name.creditsSpent)
        _ = registry.makeCounter(descriptor: Name.handoffs)
        _ = registry.makeCounter(descriptor: Name.sendsUnconfirmed)
        _ = registry.makeCounter(descriptor: Name.writeTransactions)
    }

    // MARK: Events

    private let writeObservation = Mutex<DatabaseObservation?>(nil)

    /// Counts `database`'s write transactions from now on (`balcao_database_write_transactions_total`).
    public func countWriteTransactions(of database: AppDatabase) {
        let counter = registry.makeCounter(descriptor: Name.writeTransactions)
        writeObservation.withLock { $0 = database.observeWriteTransactions { counter.increment() } }
    }

    /// A webhook delivery was accepted.
    public func webhookReceived(channel: MessagingChannel) {
        registry.makeCounter(descriptor: Name.webhooksReceived, labels: [("channel", channel.rawValue)]).increment()
    }

    /// A webhook delivery was refused.
    public func webhookRejected(reason: String, channel: MessagingChannel, count: Int = 1) {
        registry.makeCounter(descriptor: Name.webhooksRejected, labels: [("reason", reason), ("channel", channel.rawValue)])
            .increment(by: Int64(count))
    }

    /// A language-model call ended after `duration`; `code` names its failure, `nil` when it succeeded.
    public func llmCall(duration: Duration, error code: String?) {
        registry.makeDurationHistogram(descriptor: Name.llmDuration, buckets: Self.latencyBuckets).record(duration)
        if let code { registry.makeCounter(descriptor: Name.llmErrors, labels: [("code", code)]).increment() }
    }

    /// A Graph API send ended with `result` (`sent`, `retry`, `do_not_retry`, `stop_and_alert`, `unknown`).
    public func send(channel: MessagingChannel, outcome: SendOutcome) {
        let result =
            switch outcome {
            case .sent: "sent"
            case .unknown: "unknown"
            case .refused(.retry, _, _): "retry"
            case .refused(.doNotRetry, _, _): "do_not_retry"
            case .refused(.stopAndAlert, _, _): "stop_and_alert"
            }
        registry.makeCounter(descriptor: Name.sends, labels: [("channel", channel.rawValue), ("result", result)]).increment()
    }

    /// A reply whose send outcome stayed unknown with no status webhook for the reconcile time is sent again.
    public func sendUnconfirmed() {
        registry.makeCounter(descriptor: Name.sendsUnconfirmed).increment()
    }

    /// A vector search took `duration`.
    public func search(duration: Duration) {
        registry.makeDurationHistogram(descriptor: Name.searchDuration, buckets: Self.latencyBuckets).record(duration)
    }

    /// An ingestion job ended with `outcome` after `duration`.
    public func ingestion(outcome: String, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Name.ingestionDuration,
            labels: [("outcome", outcome)],
            buckets: Self.latencyBuckets + [.seconds(120), .seconds(300)]
        ).record(duration)
    }

    // MARK: Scrape

    private struct Cursor {
        var answer: Int64 = 0
        var turn: Int64 = 0
        var creditEntry: Int64 = 0
        var balance: Int64 = 0
    }

    private let cursor = Mutex(Cursor())

    /// Reads what the database records since the last scrape into the registry, then renders it in the Prometheus text
    /// exposition format.
    public func render(database: AppDatabase, vectorIndexSize: Int?) throws -> String {
        let last = cursor.withLock { $0 }
        let activity = try database.conversationActivity(afterAnswer: last.answer, afterTurn: last.turn)
        let entries = try database.creditMovement(afterEntry: last.creditEntry)
        let depth = try database.pendingJobCount()
        let totals = cursor.withLock { cursor in
            // Two scrapes at once: only the one that moves the cursor forward counts the rows.
            var delta = (
                answers: [(ConversationActivity.OutcomeKey, Int)](), models: [(ConversationActivity.ModelKey, Int)](), turns: [(String, Int)](),
                spent: Int64(0)
            )
            if let newAnswer = activity.lastAnswerID, newAnswer > cursor.answer {
                delta.answers = activity.answersByOutcome.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                delta.models = activity.answersByModel.map { ($0.key, $0.value) }
                cursor.answer = newAnswer
            }
            if let lastTurn = activity.lastTurnID, lastTurn > cursor.turn {
                delta.turns = activity.turns.sorted { $0.key < $1.key }
                cursor.turn = lastTurn
            }
            if let lastEntry = entries.lastEntryID, lastEntry > cursor.creditEntry {
                cursor.balance += entries.total
                delta.spent = entries.spent
                cursor.creditEntry = lastEntry
            }
            return (delta, cursor.balance)
        }
        for (key, count) in totals.0.answers {
            registry.makeCounter(descriptor: Name.answers, labels: [("outcome", key.outcome), ("channel", key.channel)]).increment(by: Int64(count))
            if key.outcome == "handoff" { registry.makeCounter(descriptor: Name.handoffs).increment(by: Int64(count)) }
        }
        for (key, count) in totals.0.models {
            registry.makeCounter(descriptor: Name.answersByModel, labels: [("model", key.model), ("tier", key.tier)]).increment(by: Int64(count))
        }
        for (channel, count) in totals.0.turns {
            registry.makeCounter(descriptor: Name.turns, labels: [("channel", channel)]).increment(by: Int64(count))
        }
        registry.makeGauge(descriptor: Name.creditsBalance).set(Double(totals.1) / 1_000_000)
        registry.makeCounter(descriptor: Name.creditsSpent).increment(by: Double(totals.0.spent) / 1_000_000)
        registry.makeGauge(descriptor: Name.queueDepth).set(Double(depth))
        registry.makeGauge(descriptor: Name.indexSize).set(Double(vectorIndexSize ?? 0))
        return registry.emitToString()
    }
}

/// Times a chat model's calls and counts its failures by code.
struct InstrumentedChatModel: ChatModel {
    let base: any ChatModel
    let metrics: BalcaoMetrics

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        let start = ContinuousClock.now
        do {
            let completion = try await base.complete(request)
            metrics.llmCall(duration: ContinuousClock.now - start, error: nil)
            return completion
        } catch {
            metrics.llmCall(duration: ContinuousClock.now - start, error: Self.code(error))
            throw error
        }
    }

    static func code(_ error: any Error) -> String {
        guard let error = error as? LLMError else { return "other" }
        switch error.kind {
        case .rateLimited: return "rate_limited"
        case .server(let status): return "http_\(status)"
        case .timeout: return "timeout"
        case .unauthorized: return "unauthorized"
        case .badRequest: return "bad_request"
        case .transport: return "transport"
        case .circuitOpen: return "circuit_open"
        case .malformedResponse: return "malformed_response"
        case .deadlineExceeded: return "deadline_exceeded"
        case .cancelled: return "cancelled"
        }
    }
}

/// Times the vector searches of retrieval (ingestion and deletion use the index directly).
struct InstrumentedVectorIndex: VectorSearchIndex {
    let base: any VectorSearchIndex
    let metrics: BalcaoMetrics

    func add(_ vectors: [(chunkID: Int64, vector: [Float])]) async throws { try await base.add(vectors) }
    func store(_ vectors: [(chunkID: Int64, vector: [Float])], model: String, in database: AppDatabase) async throws {
        try await base.store(vectors, model: model, in: database)
    }
    func remove(chunkIDs: [Int64]) async throws { try await base.remove(chunkIDs: chunkIDs) }
    func nearest(to query: [Float], limit: Int, among allowed: Set<Int64>?) async throws -> [VectorMatch] {
        let start = ContinuousClock.now
        defer { metrics.search(duration: ContinuousClock.now - start) }
        return try await base.nearest(to: query, limit: limit, among: allowed)
    }
}

extension IngestionOutcome {
    /// The metric label of an outcome.
    var metricLabel: String {
        switch self {
        case .indexed: return "indexed"
        case .rejected: return "rejected"
        case .willRetry: return "will_retry"
        case .interrupted: return "interrupted"
        }
    }
}
