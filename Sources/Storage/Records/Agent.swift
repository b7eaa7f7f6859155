public import Foundation
public import GRDB

/// An assistant persona that answers from a chosen set of documents on chosen WhatsApp numbers.
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
    /// WhatsApp phone number ids this agent answers; empty means none (unless it is the default agent).
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
