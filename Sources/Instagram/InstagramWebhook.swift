public import Foundation

/// One event of an Instagram messaging webhook (`object: "instagram"`, `entry[].messaging[]`), as Meta's Messenger
/// Platform for Instagram sends it (developers.facebook.com/docs/instagram-platform/webhooks/examples).
public enum InstagramEvent: Sendable, Hashable {
    /// A message from a customer (or, with ``InstagramMessage/isEcho``, one the business sent).
    case message(InstagramMessage)
    /// The customer read the business's messages up to `messageID`.
    case read(messageID: String, accountID: String, customerID: String)
    /// The customer reacted to a message (`reaction`), or removed a reaction.
    case reaction(InstagramReaction)
    /// The customer tapped a button of a message (`postback`): its title and payload.
    case postback(InstagramPostback)
}

/// A Direct message.
public struct InstagramMessage: Sendable, Hashable {
    /// An attached file or share.
    public struct Attachment: Sendable, Hashable {
        /// `image`, `audio`, `video`, `file`, `share`, `story_mention`, `ig_reel`, `reel`…
        public var type: String
        /// Where the file can be fetched (a signed CDN address), when there is one.
        public var url: String?
    }

    /// Meta's message id (`mid`).
    public var id: String
    /// The Instagram professional account that received it (`recipient.id`).
    public var accountID: String
    /// The customer's Instagram-scoped id (`sender.id`).
    public var customerID: String
    /// When it was sent.
    public var timestamp: Date
    /// What the customer typed.
    public var text: String?
    /// Files, shares and story mentions.
    public var attachments: [Attachment]
    /// The payload of the quick reply the customer tapped (`quick_reply.payload`).
    public var quickReplyPayload: String?
    /// The message it answers (`reply_to.mid`).
    public var replyToMessageID: String?
    /// The business's story it answers (`reply_to.story.url`): a story reply.
    public var storyURL: String?
    /// Sent by the business (from this daemon, or from the Instagram app): an echo, never a customer's message.
    public var isEcho: Bool
    /// The customer deleted it.
    public var isDeleted: Bool
    /// A kind Meta does not describe to apps (`is_unsupported`).
    public var isUnsupported: Bool

    /// Whether it only mentions the business in the customer's story.
    public var isStoryMention: Bool { attachments.contains { $0.type == "story_mention" } }
}

/// A reaction to a message.
public struct InstagramReaction: Sendable, Hashable {
    public var accountID: String
    public var customerID: String
    public var timestamp: Date
    /// The message reacted to.
    public var messageID: String
    /// `react` or `unreact`.
    public var action: String
    /// The emoji, when given.
    public var emoji: String?
}

/// A tapped button of a message.
public struct InstagramPostback: Sendable, Hashable {
    /// Meta's id of the tap.
    public var id: String
    public var accountID: String
    public var customerID: String
    public var timestamp: Date
    public var title: String
    public var payload: String
}

/// Why a delivery is not an Instagram messaging webhook.
public struct InstagramWebhookError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}

/// Reads the bytes of a signed delivery into events. Unknown fields and event kinds are skipped; a body that is not
/// JSON, or not `object: "instagram"`, is refused with the reason.
public enum InstagramWebhookDecoder {
    public static func decode(_ body: Data) throws(InstagramWebhookError) -> [InstagramEvent] {
        let payload: Wire.Payload
        do {
            payload = try JSONDecoder().decode(Wire.Payload.self, from: body)
        } catch {
            throw InstagramWebhookError(description: "not an Instagram webhook body: \(error)")
        }
        guard payload.object == "instagram" else {
            throw InstagramWebhookError(description: "the body's object is \"\(payload.object ?? "")\", not \"instagram\"")
        }
        var events: [InstagramEvent] = []
        for entry in payload.entry ?? [] {
            for item in entry.messaging ?? [] {
                if let event = Self.event(item, entryID: entry.id) { events.append(event) }
            }
        }
        return events
    }

    private static func event(_ item: Wire.Messaging, entryID: String?) -> InstagramEvent? {
        guard let sender = item.sender?.id, let recipient = item.recipient?.id ?? entryID else { return nil }
        let timestamp = Date(timeIntervalSince1970: Double(item.timestamp ?? 0) / 1000)
        if let message = item.message, let mid = message.mid, !mid.isEmpty {
            let echo = message.is_echo ?? false
            return .message(
                InstagramMessage(
                    id: mid,
                    // An echo goes from the business to the customer: the account is its sender.
                    accountID: echo ? sender : recipient,
                    customerID: echo ? recipient : sender,
                    timestamp: timestamp,
                    text: message.text,
                    attachments: (message.attachments ?? []).map { .init(type: $0.type ?? "unknown", url: $0.payload?.url) },
                    quickReplyPayload: message.quick_reply?.payload,
                    replyToMessageID: message.reply_to?.mid,
                    storyURL: message.reply_to?.story?.url,
                    isEcho: echo,
                    isDeleted: message.is_deleted ?? false,
                    isUnsupported: message.is_unsupported ?? false
                )
            )
        }
        if let read = item.read, let mid = read.mid {
            return .read(messageID: mid, accountID: recipient, customerID: sender)
        }
        if let reaction = item.reaction, let mid = reaction.mid {
            return .reaction(
                InstagramReaction(
                    accountID: recipient,
                    customerID: sender,
                    timestamp: timestamp,
                    messageID: mid,
                    action: reaction.action ?? "react",
                    emoji: reaction.emoji
                )
            )
        }
        if let postback = item.postback, let payload = postback.payload {
            return .postback(
                InstagramPostback(
                    id: postback.mid ?? "postback.\(sender).\(item.timestamp ?? 0)",
                    accountID: recipient,
                    customerID: sender,
                    timestamp: timestamp,
                    title: postback.title ?? payload,
                    payload: payload
                )
            )
        }
        return nil
    }

    /// The wire format, every field optional: what Meta leaves out is skipped, never a crash.
    enum Wire {
        struct Payload: Decodable {
            var object: String?
            var entry: [Entry]?
        }
        struct Entry: Decodable {
            var id: String?
            var messaging: [Messaging]?
        }
        struct Party: Decodable { var id: String? }
        struct Messaging: Decodable {
            var sender: Party?
            var recipient: Party?
            var timestamp: Int64?
            var message: Message?
            var read: Read?
            var reaction: Reaction?
            var postback: Postback?
        }
        struct Message: Decodable {
            var mid: String?
            var text: String?
            var attachments: [Attachment]?
            var quick_reply: QuickReply?
            var reply_to: ReplyTo?
            var is_echo: Bool?
            var is_deleted: Bool?
            var is_unsupported: Bool?
        }
        struct Attachment: Decodable {
            var type: String?
            var payload: AttachmentPayload?
        }
        struct AttachmentPayload: Decodable { var url: String? }
        struct QuickReply: Decodable { var payload: String? }
        struct ReplyTo: Decodable {
            var mid: String?
            var story: Story?
        }
        struct Story: Decodable {
            var url: String?
            var id: String?
        }
        struct Read: Decodable { var mid: String? }
        struct Reaction: Decodable {
            var mid: String?
            var action: String?
            var emoji: String?
            var reaction: String?
        }
        struct Postback: Decodable {
            var mid: String?
            var title: String?
            var payload: String?
        }
    }
}
