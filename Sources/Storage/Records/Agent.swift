public import Foundation
public import GRDB
public import OpeningHours

/// An assistant persona that answers from a chosen set of documents on chosen channels and WhatsApp numbers.
public struct Agent: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// Row id.
    public var id: Int64?
    /// Unique name.
    public var name: String
    /// Who the assistant is ("Você é a assistente da Padaria Pão Quente…").
    public var persona: String
    /// Extra rules for answers.
    public var instructions: String
    /// BCP 47 language of the agent's fixed messages (`pt-BR`, `en`); answers follow the customer's language.
    public var language: String
    /// The business accounts this agent answers, on any channel (WhatsApp phone number ids, the Instagram account's id);
    /// empty means none (unless it is the default agent).
    public var phoneNumberIDs: [String]
    /// Words that make a customer's message a request for a human.
    public var handoffKeywords: [String]
    /// Sent instead of an answer when the credit balance is exhausted; `nil` uses the localized default.
    public var outOfCreditsMessage: String?
    /// Sent when the documents do not contain the answer; `nil` uses the localized default.
    public var outOfScopeMessage: String?
    /// Answers numbers that no agent claims.
    public var isDefault: Bool
    /// When it was created.
    public var createdAt: Date
    /// When a person is there to take over (stored as JSON); `nil`: no schedule, a person may answer at any time.
    public var openingHours: OpeningHours? = nil
    /// What the assistant does outside those hours.
    public var outsideHours: OutsideHoursPolicy = .answer
    /// The away message of ``OutsideHoursPolicy/awayMessageOnly``; `nil` uses the localized default, which names the
    /// next opening.
    public var awayMessage: String? = nil
    /// The channels it answers (stored as JSON): a conversation on another channel goes to another agent.
    public var channels: [MessagingChannel] = MessagingChannel.allCases

    /// The sites whose pages may show its chat widget, as origins (`https://loja.example`); none: the widget is off.
    public var widgetOrigins: [String] = []
    /// The widget's title (`nil`: the agent's name).
    public var widgetTitle: String? = nil
    /// Whether the widget shows the documents an answer came from.
    public var widgetShowsSources = false
    /// Whether the widget asks a visitor waiting for a person for a name and an e-mail or phone, to be answered later.
    public var widgetAsksContact = true
    /// The privacy notice above that form (`nil`: the localized default).
    public var widgetContactNotice: String? = nil

    /// Whether it answers conversations on `channel`.
    public func answers(_ channel: MessagingChannel) -> Bool { channels.contains(channel) }

    /// What the assistant does when the business is closed.
    public enum OutsideHoursPolicy: String, Codable, Sendable, Hashable, CaseIterable {
        /// It keeps answering; a request for a person is told when one will answer and waits in the queue.
        case answer
        /// It answers nothing: every message gets the away message (with the next opening) and waits for a person.
        case awayMessageOnly = "away_message_only"
    }

    /// Whether a person is there at `instant`: always, without a schedule.
    public func isOpen(at instant: Date) -> Bool { openingHours?.isOpen(at: instant) ?? true }

    /// Creates an agent with default settings.
    public init(name: String, now: Date) {
        self.name = name
        self.persona = ""
        self.instructions = ""
        self.language = "pt-BR"
        self.phoneNumberIDs = []
        self.handoffKeywords = []
        self.isDefault = false
        self.createdAt = now
    }

    public static let databaseTableName = "agent"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
