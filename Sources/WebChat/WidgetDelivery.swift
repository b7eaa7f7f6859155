public import Conversations
public import Foundation
import Storage

/// A visitor's message as the widget endpoint stores it in the durable inbox (its own small wire format: the widget's
/// `POST` is checked, stamped with an id and a time, and stored before the `202` goes out, like a Meta delivery).
public struct WidgetDelivery: Codable, Sendable, Hashable {
    /// `web.<uuid>`: the message's id (its duplicate check in the inbox).
    public var id: String
    /// The agent the page's script names (`data-agent`).
    public var agent: String
    /// The visitor, as stored: a digest of the token the widget keeps, never the token itself.
    public var visitor: String
    /// What the visitor typed, or the title of the button they tapped.
    public var text: String
    /// The tapped button's id (``ReplyButton/id``), if any.
    public var button: String?
    /// When the daemon received it.
    public var receivedAt: Date

    public init(id: String, agent: String, visitor: String, text: String, button: String?, receivedAt: Date) {
        self.id = id
        self.agent = agent
        self.visitor = visitor
        self.text = text
        self.button = button
        self.receivedAt = receivedAt
    }

    /// The business account of an agent's widget conversations (``Conversation/phoneNumberID``).
    public static func accountID(agent: String) -> String { "web:" + agent }

    /// The bytes stored.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self)
    }

    /// Reads stored bytes.
    public static func decode(_ data: Data) throws -> WidgetDelivery {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(WidgetDelivery.self, from: data)
    }
}

/// Reads stored widget deliveries into the conversation flow's events.
public struct WidgetDeliveryDecoder: WebhookDecoding {
    public init() {}

    public func events(from body: Data) throws -> [InboundEvent] {
        let delivery = try WidgetDelivery.decode(body)
        return [
            .message(
                InboundMessage(
                    id: delivery.id,
                    phoneNumberID: WidgetDelivery.accountID(agent: delivery.agent),
                    customerID: delivery.visitor,
                    addressing: "visitor",
                    customerName: nil,
                    timestamp: delivery.receivedAt,
                    kind: delivery.button == nil ? "text" : "button",
                    content: .text(delivery.text),
                    buttonID: delivery.button,
                    channel: .web,
                    agentName: delivery.agent
                )
            )
        ]
    }
}

/// Replies to widget visitors: the reply is already in the conversation, which the visitor's widget reads live; sending
/// only marks it sent. Buttons go as they are (the widget draws them); there is no window and no template.
public struct WebChatChannel: OutboundChannel {
    public init() {}

    public func prepare(_ markdown: String, for conversation: Conversation) -> [String] {
        [WidgetText.plain(markdown)]
    }

    public func replyWindow(for conversation: Conversation, byPerson: Bool, at date: Date) -> ReplyWindow { .open }

    public func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        .sent(messageID: "web.out.\(UUID().uuidString.lowercased())")
    }

    public func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await sendText(text, to: conversation, callbackData: callbackData)
    }

    public func sendList(
        _ text: String,
        button: String,
        rows: [ReplyButton],
        to conversation: Conversation,
        callbackData: String
    ) async -> SendOutcome {
        await sendText(text, to: conversation, callbackData: callbackData)
    }

    public func sendTemplate(
        name: String,
        language: String,
        parameters: [String],
        to conversation: Conversation,
        callbackData: String
    ) async -> SendOutcome {
        .refused(.doNotRetry, code: nil, reason: "The website's widget has no templates.")
    }

    public func markRead(messageID: String, in conversation: Conversation) async {}

    public func retryDelay(attempt: Int) -> TimeInterval { 1 }
}

/// Answers written in Markdown as the widget shows them: plain text (the widget draws no HTML), links kept as
/// addresses.
public enum WidgetText {
    public static func plain(_ markdown: String) -> String {
        var text = markdown
        // [title](https://…) → title (https://…)
        text = text.replacingOccurrences(of: #"\[([^\]\n]+)\]\((https?://[^)\s]+)\)"#, with: "$1 ($2)", options: .regularExpression)
        for marker in ["\\*\\*", "__", "\\*", "_", "~~", "`"] {
            text = text.replacingOccurrences(
                of: "(?<![\\p{L}\\p{N}])\(marker)(?=\\S)(.+?\\S)\(marker)(?![\\p{L}\\p{N}])",
                with: "$1",
                options: .regularExpression
            )
        }
        text = text.replacingOccurrences(of: #"(?m)^#{1,6}\s+"#, with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: #"(?m)^\s*[-*+]\s+"#, with: "• ", options: .regularExpression)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
