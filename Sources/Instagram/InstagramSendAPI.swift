public import Foundation
public import WhatsApp

/// A message to send through Instagram's Send API (`POST /{ig-user-id}/messages`,
/// developers.facebook.com/docs/messenger-platform/send-messages).
public struct InstagramOutgoingMessage: Sendable, Hashable {
    /// A quick reply under the text: the customer's tap comes back as a message with its payload.
    public struct QuickReply: Sendable, Hashable {
        public var title: String
        public var payload: String

        public init(title: String, payload: String) {
            self.title = title
            self.payload = payload
        }
    }

    /// The customer's Instagram-scoped id.
    public var recipientID: String
    /// The text (at most ``InstagramOutgoingMessage/maximumTextLength`` characters).
    public var text: String
    /// At most ``maximumQuickReplies``.
    public var quickReplies: [QuickReply]
    /// A person's reply sent with the `HUMAN_AGENT` tag: allowed up to 7 days after the customer's last message,
    /// where a plain reply is allowed only for 24 hours.
    public var humanAgent: Bool

    public init(recipientID: String, text: String, quickReplies: [QuickReply] = [], humanAgent: Bool = false) {
        self.recipientID = recipientID
        self.text = text
        self.quickReplies = quickReplies
        self.humanAgent = humanAgent
    }

    /// Instagram's limit for a text message.
    public static let maximumTextLength = 1_000
    /// Instagram's limit of quick replies on one message.
    public static let maximumQuickReplies = 13
    /// Instagram's limit for a quick reply's title.
    public static let maximumQuickReplyTitleLength = 20
    /// How long after the customer's last message a plain reply may go.
    public static let standardWindow: TimeInterval = 24 * 3600
    /// How long after it a person's reply may go with the `HUMAN_AGENT` tag.
    public static let humanAgentWindow: TimeInterval = 7 * 24 * 3600
}

/// The bytes that go to the Send API and what its answers mean.
public enum InstagramWire {
    /// `{"recipient":{"id":…},"messaging_type":"RESPONSE","message":{"text":…,"quick_replies":[…]}}`, or
    /// `"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT"` for a person's late reply.
    public static func body(_ message: InstagramOutgoingMessage) throws(GraphAPIError) -> Data {
        guard !message.recipientID.isEmpty else { throw .invalidRequest("empty recipient id") }
        guard !message.text.isEmpty, message.text.count <= InstagramOutgoingMessage.maximumTextLength else {
            throw .invalidRequest("the text must have 1 to \(InstagramOutgoingMessage.maximumTextLength) characters")
        }
        var content: [String: Any] = ["text": message.text]
        if !message.quickReplies.isEmpty {
            content["quick_replies"] = message.quickReplies.prefix(InstagramOutgoingMessage.maximumQuickReplies).map { reply in
                [
                    "content_type": "text", "title": String(reply.title.prefix(InstagramOutgoingMessage.maximumQuickReplyTitleLength)),
                    "payload": reply.payload,
                ]
            }
        }
        var object: [String: Any] = ["recipient": ["id": message.recipientID], "message": content]
        if message.humanAgent {
            object["messaging_type"] = "MESSAGE_TAG"
            object["tag"] = "HUMAN_AGENT"
        } else {
            object["messaging_type"] = "RESPONSE"
        }
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .invalidRequest("the message could not be written as JSON: \(error)")
        }
    }

    /// The sent message's id from `{"recipient_id": …, "message_id": …}`, or the Graph error.
    public static func parseSendResponse(status: Int, body: Data, retryAfter: String?) throws(GraphAPIError) -> String {
        try GraphAPIWire.checkReadResponse(status: status, body: body, retryAfter: retryAfter)
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard let id = object?["message_id"] as? String, !id.isEmpty else {
            throw .invalidResponse(status: status, body: String(decoding: body.prefix(300), as: UTF8.self))
        }
        return id
    }
}

/// What an Instagram Send API error calls for (Messenger Platform error codes).
public enum InstagramSendPolicy {
    /// Meta's subcode for a reply outside the window the message's type allows.
    public static let outsideWindowSubcode = 2_018_278
    /// Meta's subcode for a recipient who cannot be reached (blocked the account, deleted, restricted).
    public static let unavailableSubcodes: Set<Int> = [1_545_041, 2_018_001, 2_018_108, 2_534_014]

    public static func forError(code: Int, subcode: Int?, httpStatus: Int) -> SendFailurePolicy {
        if let subcode, subcode == outsideWindowSubcode || unavailableSubcodes.contains(subcode) { return .doNotRetry }
        switch code {
        case 4, 17, 32, 613, 1, 2: return .retry
        case 190, 200, 10, 3, 368: return .stopAndAlert
        case 551, 100: return .doNotRetry
        default: return httpStatus >= 500 ? .retry : .doNotRetry
        }
    }
}

/// Answers written in Markdown as Instagram shows them: plain text (Direct renders no formatting), split at its limit.
public enum InstagramFormatter {
    public static func messages(fromMarkdown markdown: String, limit: Int = InstagramOutgoingMessage.maximumTextLength) -> [String] {
        MessageSplitter.split(plainText(markdown), limit: limit)
    }

    /// WhatsApp's reading of Markdown (headings, lists, links, tables) with its emphasis markers and code fences taken
    /// out: `*negrito*` shows its asterisks on Instagram.
    public static func plainText(_ markdown: String) -> String {
        var text = WhatsAppFormatter.format(markdown: markdown)
        text = text.replacingOccurrences(of: "```", with: "")
        for marker in ["*", "_", "~"] {
            let escaped = NSRegularExpression.escapedPattern(for: marker)
            let pattern = "(?<![\\p{L}\\p{N}])\(escaped)(?=\\S)([^\(escaped)\\n]*?\\S)\(escaped)(?![\\p{L}\\p{N}])"
            text = text.replacingOccurrences(of: pattern, with: "$1", options: .regularExpression)
        }
        return text
    }
}
