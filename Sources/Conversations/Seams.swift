public import Foundation
public import GRDB

/// Turns a webhook body into events (the WhatsApp wire format lives behind this seam).
public protocol WebhookDecoding: Sendable {
    /// The events of a body that passed signature verification; throws when it is not a readable delivery.
    func events(from body: Data) throws -> [InboundEvent]
}

/// What became of one send.
public enum SendOutcome: Sendable, Hashable {
    /// Accepted; WhatsApp's id for the message.
    case sent(messageID: String)
    /// Refused; what to do about it, with the error code and reason.
    case refused(SendRefusal, code: Int?, reason: String)
    /// No answer (timeout, connection lost after the request went out): it may or may not have been sent.
    case unknown(reason: String)
}

/// What a refused send calls for.
public enum SendRefusal: Sendable, Hashable {
    /// Try again later (rate limits, temporary errors, 5xx).
    case retry
    /// Never retry (outside the 24-hour window, invalid recipient, bad request).
    case doNotRetry
    /// Stop and tell the operator (invalid token, blocked account): keep the message, pause sending.
    case stopAndAlert
}

/// Sends messages to customers (the WhatsApp Graph API behind this seam).
public protocol OutboundChannel: Sendable {
    /// Splits and formats an answer written in Markdown into the messages to send, in order.
    func prepare(_ markdown: String) -> [String]
    /// Sends a text message carrying `callbackData`, which every status webhook of the message must echo
    /// (``InboundStatus/callbackData``).
    func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Sends an approved template (outside the 24-hour window) carrying `callbackData`, as ``sendText(_:to:callbackData:)``.
    func sendTemplate(name: String, language: String, to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Marks a customer's message read and shows "typing…" (best effort).
    func markRead(messageID: String, in conversation: Conversation) async
    /// The back-off before retry number `attempt` (1-based).
    func retryDelay(attempt: Int) -> TimeInterval
}

/// Money held for one answer until its real cost is known.
public struct CreditHold: Sendable, Hashable {
    /// The reservation's id in the ledger.
    public var id: Int64
    /// The amount held.
    public var amount: Int64

    /// Creates a reservation.
    public init(id: Int64, amount: Int64) {
        self.id = id
        self.amount = amount
    }
}

/// The credit balance that pays for language-model answers (the ledger behind this seam).
public protocol CreditGate: Sendable {
    /// Holds the most an answer may cost, or returns `nil` when the balance cannot cover it.
    func reserve(reference: String) async throws -> CreditHold?
    /// Debits the real cost inside the caller's transaction and ends the hold; returns the cost in the ledger's unit.
    func settle(_ hold: CreditHold, promptTokens: Int, completionTokens: Int, reference: String, in db: Database) throws -> Int64
    /// Ends a hold without a debit (the model failed).
    func release(_ hold: CreditHold) async throws
}

/// No credit accounting: every answer is allowed and free (used when no language model is configured).
public struct UnmeteredCredits: CreditGate {
    /// Creates the gate.
    public init() {}
    public func reserve(reference: String) async throws -> CreditHold? { CreditHold(id: 0, amount: 0) }
    public func settle(_ hold: CreditHold, promptTokens: Int, completionTokens: Int, reference: String, in db: Database) throws -> Int64 { 0 }
    public func release(_ hold: CreditHold) async throws {}
}
