public import Foundation
public import GRDB
public import LLM

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

/// What a channel lets a reply do at one moment of a conversation.
public enum ReplyWindow: Sendable, Hashable {
    /// Anything: text, buttons, lists.
    case open
    /// Only an approved template (WhatsApp, 24 hours after the customer's last message).
    case templateOnly
    /// Only a person's text, tagged as such (Instagram's `HUMAN_AGENT` tag, from 24 hours to 7 days after the
    /// customer's last message).
    case humanAgentOnly
    /// Nothing may be sent; why, for the owner.
    case closed(reason: String)
}

/// Sends messages to customers on one channel (WhatsApp's Graph API, Instagram's Send API, the website's widget), or on
/// the conversation's own (``ChannelSwitch``).
public protocol OutboundChannel: Sendable {
    /// Splits and formats an answer written in Markdown into the messages to send in `conversation`, in order.
    func prepare(_ markdown: String, for conversation: Conversation) -> [String]
    /// What may be sent in `conversation` at `date` — by a person (an operator's reply) or by the assistant.
    func replyWindow(for conversation: Conversation, byPerson: Bool, at date: Date) -> ReplyWindow
    /// Sends a person's text outside the standard window, tagged as a person's (``ReplyWindow/humanAgentOnly``).
    func sendHumanAgentText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Sends a text message carrying `callbackData`, which every status webhook of the message must echo
    /// (``InboundStatus/callbackData``).
    func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Sends an approved template (outside the 24-hour window) carrying `callbackData`, as ``sendText(_:to:callbackData:)``.
    func sendTemplate(name: String, language: String, parameters: [String], to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Sends `text` with reply buttons (the customer's tap comes back with the button's id), or — on a channel
    /// without buttons, or when they are refused — the text with the buttons' titles as the answers to type.
    func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Sends `text` with a list of up to ten rows behind a button labelled `button` (a tap comes back with the row's
    /// id), or — where lists cannot be sent — the text with the rows as lines to type.
    func sendList(_ text: String, button: String, rows: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome
    /// Marks a customer's message read and shows "typing…" (best effort).
    func markRead(messageID: String, in conversation: Conversation) async
    /// The back-off before retry number `attempt` (1-based).
    func retryDelay(attempt: Int) -> TimeInterval
}

extension OutboundChannel {
    /// WhatsApp's rule: free-form messages for 24 hours after the customer's last message, then templates only.
    public func replyWindow(for conversation: Conversation, byPerson: Bool, at date: Date) -> ReplyWindow {
        conversation.isWindowOpen(at: date) ? .open : .templateOnly
    }

    /// A channel without a human-agent tag refuses.
    public func sendHumanAgentText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        .refused(.doNotRetry, code: nil, reason: "This channel cannot send a person's reply outside its window.")
    }

    /// A channel without buttons: the text, then the titles to type ("Sim / Não").
    public func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await sendText(Self.textWithOptions(text, buttons: buttons), to: conversation, callbackData: callbackData)
    }

    /// A channel without lists: the text, then one line per row.
    public func sendList(
        _ text: String,
        button: String,
        rows: [ReplyButton],
        to conversation: Conversation,
        callbackData: String
    ) async -> SendOutcome {
        await sendText(Self.textWithRows(text, rows: rows), to: conversation, callbackData: callbackData)
    }

    /// `text` followed by one line per row ("• Trocas e devoluções").
    public static func textWithRows(_ text: String, rows: [ReplyButton]) -> String {
        rows.isEmpty ? text : text + "\n\n" + rows.map { "• " + $0.title }.joined(separator: "\n")
    }

    /// `text` followed by the buttons' titles, for a channel (or a moment) without buttons.
    public static func textWithOptions(_ text: String, buttons: [ReplyButton]) -> String {
        buttons.isEmpty ? text : text + "\n\n" + buttons.map(\.title).joined(separator: " / ")
    }
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
    /// Debits the real cost, at the price of the model that wrote the answer (`tier`), inside the caller's transaction
    /// and ends the hold; returns the cost in the ledger's unit.
    func settle(
        _ hold: CreditHold,
        promptTokens: Int,
        completionTokens: Int,
        tier: ChatModelTier,
        reference: String,
        in db: Database
    ) throws -> Int64
    /// Ends a hold without a debit (the model failed).
    func release(_ hold: CreditHold) async throws
}

/// No credit accounting: every answer is allowed and free (used when no language model is configured).
public struct UnmeteredCredits: CreditGate {
    /// Creates the gate.
    public init() {}
    public func reserve(reference: String) async throws -> CreditHold? { CreditHold(id: 0, amount: 0) }
    public func settle(
        _ hold: CreditHold,
        promptTokens: Int,
        completionTokens: Int,
        tier: ChatModelTier,
        reference: String,
        in db: Database
    ) throws -> Int64 { 0 }
    public func release(_ hold: CreditHold) async throws {}
}

/// What fetching a customer's file gave.
public enum MediaFetchResult: Sendable, Hashable {
    /// Its bytes were handed to the sink; the media type the channel gave.
    case fetched(mimeType: String)
    /// It cannot be fetched (too large, a type not read, refused by the channel): the customer is told why.
    case failed(CustomerMedia.Failure, detail: String)
    /// The channel failed in a way its policy retries (5xx, rate limits, a dropped connection).
    case retry(detail: String)
}

/// Fetches the files customers send (the WhatsApp Graph API behind this seam).
public protocol MediaFetching: Sendable {
    /// Fetches `media`, refusing types not in `acceptedTypes` and files over `maxBytes` before a byte is fetched when
    /// the channel says so, and handing the bytes to `sink` as they arrive (it throws to stop: too large, a full disk).
    func fetch(
        _ media: CustomerMedia,
        acceptedTypes: Set<String>,
        maxBytes: Int,
        into sink: (Data) throws -> Void
    ) async -> MediaFetchResult
    /// The back-off before retry number `attempt` (1-based).
    func retryDelay(attempt: Int) -> TimeInterval
}

/// Why a customer's file could not be read.
public struct MediaReadError: Error, Sendable, Hashable {
    /// What the customer is told.
    public var failure: CustomerMedia.Failure
    /// The technical reason, for the owner.
    public var detail: String

    /// Creates an error.
    public init(_ failure: CustomerMedia.Failure, detail: String) {
        self.failure = failure
        self.detail = detail
    }
}

/// Reads a customer's file into text, where a crash, a hang or a memory blow-up ends that one file (the isolated
/// document reader behind this seam: OCR for pictures, the document extractors for documents).
public protocol MediaReading: Sendable {
    /// Reads the file at `file`, which the channel sent as `kind`; a recording is transcribed in `language` (a BCP 47
    /// tag, the conversation's agent's; `nil`: detected).
    func read(fileAt file: URL, kind: CustomerMedia.Kind, language: String?) async throws(MediaReadError) -> MediaText
}
