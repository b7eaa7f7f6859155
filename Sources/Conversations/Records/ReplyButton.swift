/// A reply button offered under a message (WhatsApp allows three, titles of at most 20 characters). The customer's tap
/// comes back with its ``id``.
public struct ReplyButton: Codable, Sendable, Hashable {
    /// What the tap means (``handoff``, ``helpful``, ``notHelpful``).
    public var id: String
    /// The label shown.
    public var title: String

    /// A list row's second line (lists only).
    public var description: String?

    /// A button.
    public init(id: String, title: String, description: String? = nil) {
        self.id = id
        self.title = title
        self.description = description
    }

    /// The id of a topic row (a document the agent answers from).
    public static func topic(_ documentID: Int64) -> String { "balcao:topic:\(documentID)" }

    /// "Talk to a person".
    public static let handoff = "balcao:handoff"
    /// "Yes, it helped".
    public static let helpful = "balcao:feedback:yes"
    /// "No, it did not".
    public static let notHelpful = "balcao:feedback:no"
}

/// The choices offered under a message: up to three reply buttons, or a list of up to ten rows behind a button.
public struct ReplyOptions: Codable, Sendable, Hashable {
    /// How they are shown.
    public enum Style: String, Codable, Sendable, Hashable {
        case buttons
        case list
    }

    public var style: Style
    /// The label of the button that opens a list.
    public var listButton: String?
    public var options: [ReplyButton]

    /// Reply buttons.
    public static func buttons(_ options: [ReplyButton]) -> ReplyOptions { ReplyOptions(style: .buttons, listButton: nil, options: options) }
    /// A list behind a button labelled `button`.
    public static func list(_ options: [ReplyButton], button: String) -> ReplyOptions {
        ReplyOptions(style: .list, listButton: button, options: options)
    }
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
