/// A reply button offered under a message (WhatsApp allows three, titles of at most 20 characters). The customer's tap
/// comes back with its ``id``.
public struct ReplyButton: Codable, Sendable, Hashable {
    /// What the tap means (``handoff``, ``helpful``, ``notHelpful``).
    public var id: String
    /// The label shown.
    public var title: String

    /// A button.
    public init(id: String, title: String) {
        self.id = id
        self.title = title
    }

    /// "Talk to a person".
    public static let handoff = "balcao:handoff"
    /// "Yes, it helped".
    public static let helpful = "balcao:feedback:yes"
    /// "No, it did not".
    public static let notHelpful = "balcao:feedback:no"
}

/// An approved template an operator chose for a message (the only kind WhatsApp delivers after the customer's 24
/// hours): its name, language code and body parameters in order.
public struct TemplateChoice: Codable, Sendable, Hashable {
    public var name: String
    public var language: String
    public var parameters: [String]

    /// A choice.
    public init(name: String, language: String, parameters: [String]) {
        self.name = name
        self.language = language
        self.parameters = parameters
    }
}

/// How a conversation ended, for the resolution rate: one row per closing, without the customer's identity.
public struct ConversationClosure: Codable, Sendable, Hashable {
    /// Who resolved it.
    public enum Resolution: String, Codable, Sendable, Hashable {
        /// The customer said an answer helped, or the conversation closed with no hand-off, no "no" and at least one
        /// answer.
        case assistant
        /// A person was asked for or took over.
        case person
        /// Nothing was answered, or the customer said an answer did not help.
        case unresolved
    }
}
