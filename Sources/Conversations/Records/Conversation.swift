public import Foundation
public import GRDB
public import Storage

/// A customer's thread with the business on one channel's account (a WhatsApp number, the Instagram account, the
/// website's widget).
public struct Conversation: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Who is answering.
    public enum Mode: String, Codable, Sendable, DatabaseValueConvertible {
        /// The assistant answers.
        case assistant
        /// A person took over (or was asked for); the assistant stays silent.
        case human
    }

    /// Row id.
    public var id: Int64?
    /// The business account on its channel: WhatsApp's `metadata.phone_number_id`, the Instagram account's id, or the
    /// widget's `web:<agent>`.
    public var phoneNumberID: String
    /// The customer: the WhatsApp id (or the business-scoped user id when the number is hidden), the Instagram-scoped
    /// id, or the widget visitor's id.
    public var customerID: String
    /// The request field replies are addressed with: `to` (phone number) or `recipient` (business-scoped id).
    public var addressing: String
    /// The customer's profile name.
    public var customerName: String?
    /// The agent answering.
    public var agentId: Int64?
    /// Who is answering.
    public var mode: Mode
    /// In human mode, when the assistant takes over again by itself.
    public var humanUntil: Date?
    /// Consecutive turns the assistant could not answer.
    public var consecutiveUnanswered: Int
    /// The customer's last message: free-form replies are allowed for 24 hours after it.
    public var lastInboundAt: Date?
    /// Created.
    public var createdAt: Date
    /// Last activity.
    public var updatedAt: Date
    /// Open, or closed after a silence (the next message opens it again, its history kept).
    public var status: Status = .open
    /// When it was last opened (its first message, or the first after it was closed); `nil`: when created.
    public var openedAt: Date? = nil
    /// When the one follow-up of this opening was sent.
    public var followedUpAt: Date? = nil
    /// When it was closed.
    public var closedAt: Date? = nil
    /// Where it happens.
    public var channel: MessagingChannel = .whatsapp
    /// How to reach the customer that they left (the widget's form, as JSON ``CustomerContact``), for a person to
    /// answer later.
    public var contact: String? = nil

    /// ``contact`` read.
    public var customerContact: CustomerContact? {
        contact.flatMap { try? JSONDecoder().decode(CustomerContact.self, from: Data($0.utf8)) }
    }

    /// Whether a conversation is going on.
    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        /// Going on.
        case open
        /// Closed after a silence; the next message opens it again.
        case closed
    }

    public static let databaseTableName = "conversation"

    /// Whether a free-form message can reach the customer at `date`: their last message is less than 24 hours old
    /// (after it, WhatsApp accepts only approved templates, Instagram only a person's reply for 7 days); the website's
    /// widget has no such window.
    public func isWindowOpen(at date: Date) -> Bool {
        if channel == .web { return true }
        return hoursSinceCustomer(at: date).map { $0 < 24 } ?? false
    }

    /// The hours since the customer's last message, at `date`.
    public func hoursSinceCustomer(at date: Date) -> Double? {
        lastInboundAt.map { date.timeIntervalSince($0) / 3600 }
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One message in or out of a conversation.
public struct ConversationMessage: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id.
    public var id: Int64?
    /// The conversation.
    public var conversationId: Int64
    /// The turn an incoming message belongs to (or an outgoing one answers).
    public var turnId: Int64?
    /// `in` or `out`.
    public var direction: String
    /// `customer`, `assistant`, `operator` or `system`.
    public var author: String
    /// WhatsApp's message id (unique), once known.
    public var wamid: String?
    /// `text`, `interactive`, `reaction`, `system`, `image`, … for incoming; `text` or `template` for outgoing.
    public var kind: String
    /// The text (for media, a description).
    public var text: String
    /// Outgoing: `queued`, `sending`, `sent`, `delivered`, `read`, `failed`.
    public var status: String?
    /// Why an outgoing message failed.
    public var statusReason: String?
    /// Created.
    public var createdAt: Date
    /// Last change.
    public var updatedAt: Date
    /// Incoming: the channel's id of the earlier message the customer replied to (WhatsApp's `context.id`).
    public var quotedWamid: String? = nil
    /// Outgoing: the choices it offers (JSON of ``ReplyOptions``); `nil`: none.
    public var buttons: String? = nil
    /// Incoming: the id of the reply button the customer tapped (``ReplyButton/id``).
    public var buttonID: String? = nil
    /// Outgoing: the approved template it is sent as (JSON of ``TemplateChoice``); `nil`: free-form text.
    public var template: String? = nil

    /// ``template`` read back.
    public var templateChoice: TemplateChoice? {
        template.flatMap { try? JSONDecoder().decode(TemplateChoice.self, from: Data($0.utf8)) }
    }

    /// ``buttons`` read back.
    public var replyOptions: ReplyOptions? {
        buttons.flatMap { try? JSONDecoder().decode(ReplyOptions.self, from: Data($0.utf8)) }
    }

    /// The buttons or rows it offers.
    public var replyButtons: [ReplyButton] { replyOptions?.options ?? [] }

    public static let databaseTableName = "message"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A group of a customer's messages answered together (a burst), processed strictly in order per conversation.
public struct Turn: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Where a turn is.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Still gathering messages until the quiet period passes.
        case collecting
        /// Being answered.
        case processing
        /// Answered (or deliberately left unanswered).
        case done
    }

    /// Row id.
    public var id: Int64?
    /// The conversation.
    public var conversationId: Int64
    /// Where it is.
    public var state: State
    /// When the quiet period ends.
    public var dueAt: Date
    /// Created.
    public var createdAt: Date
    /// Last change.
    public var updatedAt: Date

    public static let databaseTableName = "turn"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A message waiting to be sent, retried until sent or given up.
public struct OutboxItem: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Where an item is.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Waiting (or waiting for a retry).
        case pending
        /// An attempt is recorded (``OutboxItem/attempts`` counts it) and its request is on its way; a process that
        /// stops here leaves it for the next start to treat as ``uncertain``.
        case sending
        /// A send was attempted and its fate is unknown (timeout, connection lost, process killed mid-send): settled by a
        /// status webhook carrying its callback data, else sent again once it has waited the reconcile time (counted
        /// from ``OutboxItem/updatedAt``: when the outcome turned unknown, or when the daemon started again).
        case uncertain
        /// Sent.
        case sent
        /// Given up, with the reason.
        case failed
    }

    /// Row id.
    public var id: Int64?
    /// The outgoing message.
    public var messageId: Int64
    /// Its conversation.
    public var conversationId: Int64
    /// Where it is.
    public var state: State
    /// Attempts so far.
    public var attempts: Int
    /// Not before.
    public var nextAttemptAt: Date
    /// The last error.
    public var lastError: String?
    /// When the last attempt started.
    public var lastAttemptAt: Date?
    /// Created.
    public var createdAt: Date
    /// Last change.
    public var updatedAt: Date

    public static let databaseTableName = "outbox"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// What an answer was built from, how long it took and what it cost.
public struct AnswerRecord: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// How a turn ended.
    public enum Outcome: String, Codable, Sendable, DatabaseValueConvertible {
        /// Written by the language model.
        case generated
        /// Quoted from the documents (no model, or the model failed).
        case extractive
        /// No passage answered the question.
        case unanswered
        /// Handed to a person.
        case handoff
        /// No credit left.
        case outOfCredits = "out_of_credits"
    }

    /// Row id.
    public var id: Int64?
    /// The conversation.
    public var conversationId: Int64
    /// The turn answered.
    public var turnId: Int64?
    /// The customer's text.
    public var question: String
    /// The reply.
    public var text: String
    /// How it ended.
    public var outcome: Outcome
    /// JSON list of `{"chunk_id", "score"}`.
    public var sources: String
    /// From the end of the quiet period to the reply being queued.
    public var latencyMs: Int
    /// Tokens read by the model.
    public var promptTokens: Int
    /// Tokens written by the model.
    public var completionTokens: Int
    /// Credits debited, in the ledger's unit.
    public var cost: Int64
    /// Created.
    public var createdAt: Date
    /// The model that wrote it, as its server names it (generated answers only).
    public var model: String? = nil
    /// Which configured model that was (`primary` or `fallback`).
    public var modelTier: String? = nil
    /// Whether it helped: `yes` or `no`, from the customer's button or an operator's mark; `nil`: not said.
    public var feedback: String? = nil
    /// Who said so: `customer` or `operator`.
    public var feedbackSource: String? = nil
    /// When.
    public var feedbackAt: Date? = nil

    public static let databaseTableName = "answer"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// A passage an answer was built from, as ``sources`` stores it.
    public struct Source: Codable, Sendable, Hashable {
        /// The chunk.
        public var chunkID: Int64
        /// Its search score.
        public var score: Double

        enum CodingKeys: String, CodingKey {
            case chunkID = "chunk_id"
            case score
        }

        /// A passage with its score.
        public init(chunkID: Int64, score: Double) {
            self.chunkID = chunkID
            self.score = score
        }
    }

    /// ``sources`` read back (none when it cannot be read).
    public var citedSources: [Source] {
        (try? JSONDecoder().decode([Source].self, from: Data(sources.utf8))) ?? []
    }

    /// `passages` as ``sources`` stores them.
    public static func encodeSources(_ passages: [Source]) -> String {
        (try? String(decoding: JSONEncoder().encode(passages), as: UTF8.self)) ?? "[]"
    }
}

/// A name and an e-mail or phone a customer left for a person to answer them later.
public struct CustomerContact: Codable, Sendable, Hashable {
    public var name: String
    /// An e-mail address or a phone number.
    public var contact: String
    /// When it was left.
    public var at: Date

    public init(name: String, contact: String, at: Date) {
        self.name = name
        self.contact = contact
        self.at = at
    }

    /// Whether `text` is an e-mail address or a phone number (8 to 15 digits, with the usual `+ ( ) - .` and spaces).
    public static func isReachable(_ text: String) -> Bool {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.count <= 120 else { return false }
        if value.contains("@") {
            return value.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"#, options: .regularExpression) != nil
        }
        guard value.allSatisfy({ $0.isNumber || " +()-.".contains($0) }) else { return false }
        return (8...15).contains(value.filter(\.isNumber).count)
    }
}
