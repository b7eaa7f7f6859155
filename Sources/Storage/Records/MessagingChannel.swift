public import GRDB

/// Where customers write to the business. Each is a module that reads its own deliveries into the conversation flow
/// and sends replies by its own rules (length, formatting, buttons, the window in which it may answer).
public enum MessagingChannel: String, Codable, Sendable, Hashable, CaseIterable, DatabaseValueConvertible {
    /// WhatsApp Cloud API.
    case whatsapp
    /// Instagram Direct, through Meta's Messenger Platform for Instagram.
    case instagram
    /// The chat widget on the business's own website.
    case web
}
