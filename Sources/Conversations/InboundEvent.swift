public import Foundation
public import Storage

/// What a webhook delivery means for the conversation flow, independent of the wire format.
public enum InboundEvent: Sendable, Hashable {
    /// A customer's message.
    case message(InboundMessage)
    /// A delivery status of one of our messages.
    case status(InboundStatus)
}

/// A customer's message.
public struct InboundMessage: Sendable, Hashable {
    /// What the message holds, as far as answering is concerned.
    public enum Content: Sendable, Hashable {
        /// Text to answer (typed text, or the title of a tapped button or list row).
        case text(String)
        /// A file the assistant reads (a photo, a sticker, a document): fetched and read before the turn is answered.
        case media(InboundMedia)
        /// Media or another kind the assistant cannot read; answered with a polite "text only" reply.
        case unreadable(kind: String)
        /// Recorded but never answered (reactions, system notices).
        case recordOnly(kind: String, text: String)
    }

    /// The channel's message id (WhatsApp's `wamid.…`, Instagram's `mid`, the widget's `web.…`).
    public var id: String
    /// The channel it came on.
    public var channel: MessagingChannel
    /// The business account that received it (``Conversation/phoneNumberID``).
    public var phoneNumberID: String
    /// The customer (WhatsApp id or business-scoped user id, Instagram-scoped id, widget visitor id).
    public var customerID: String
    /// The agent the customer chose (the widget's `data-agent`), answering when it answers the channel.
    public var agentName: String?
    /// `to` or `recipient`: the field a reply is addressed with.
    public var addressing: String
    /// The customer's profile name.
    public var customerName: String?
    /// When the customer sent it.
    public var timestamp: Date
    /// Its kind as WhatsApp names it (`text`, `interactive`, `image`, …).
    public var kind: String
    /// What it holds.
    public var content: Content
    /// The channel's id of the earlier message this one replies to (WhatsApp's `context.id`), if any.
    public var quotedMessageID: String?
    /// The id of the reply button the customer tapped (``ReplyButton/id``), if this is a tap.
    public var buttonID: String?

    /// Whether it is only recorded (a reaction, a system notice): nothing the customer said to the business.
    public var isRecordOnly: Bool {
        if case .recordOnly = content { return true }
        return false
    }

    /// Creates a message.
    public init(
        id: String,
        phoneNumberID: String,
        customerID: String,
        addressing: String,
        customerName: String?,
        timestamp: Date,
        kind: String,
        content: Content,
        quotedMessageID: String? = nil,
        buttonID: String? = nil,
        channel: MessagingChannel = .whatsapp,
        agentName: String? = nil
    ) {
        self.channel = channel
        self.agentName = agentName
        self.buttonID = buttonID
        self.quotedMessageID = quotedMessageID
        self.id = id
        self.phoneNumberID = phoneNumberID
        self.customerID = customerID
        self.addressing = addressing
        self.customerName = customerName
        self.timestamp = timestamp
        self.kind = kind
        self.content = content
    }
}

/// A file a customer sent, as the channel describes it: fetched later by ``MediaFetching``.
public struct InboundMedia: Sendable, Hashable {
    /// What it is to the assistant.
    public var kind: CustomerMedia.Kind
    /// The channel's id for the file (WhatsApp's media id).
    public var channelMediaID: String
    /// The media type the channel gave, if any.
    public var mimeType: String?
    /// The caption the customer typed with it.
    public var caption: String?
    /// A document's file name.
    public var filename: String?

    /// Describes a file.
    public init(kind: CustomerMedia.Kind, channelMediaID: String, mimeType: String? = nil, caption: String? = nil, filename: String? = nil) {
        self.kind = kind
        self.channelMediaID = channelMediaID
        self.mimeType = mimeType
        self.caption = caption
        self.filename = filename
    }
}

/// A delivery status of an outgoing message.
public struct InboundStatus: Sendable, Hashable {
    /// Delivery states in the order they happen.
    public enum State: String, Sendable, Hashable, Comparable {
        case sent, delivered, read, failed

        /// Statuses only move forward; `failed` may follow `sent` but not `delivered` or `read`.
        var rank: Int {
            switch self {
            case .sent: return 1
            case .failed: return 2
            case .delivered: return 3
            case .read: return 4
            }
        }

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rank < rhs.rank }
    }

    /// The id of our message.
    public var messageID: String
    /// The business number.
    public var phoneNumberID: String
    /// The customer it was sent to.
    public var recipientID: String
    /// The new state.
    public var state: State
    /// For `failed`: WhatsApp's reason.
    public var errorDescription: String?
    /// The callback data the send carried, echoed by WhatsApp (``OutboxCallback`` for Balcão's own sends).
    public var callbackData: String?

    /// Creates a status.
    public init(
        messageID: String,
        phoneNumberID: String,
        recipientID: String,
        state: State,
        errorDescription: String?,
        callbackData: String? = nil
    ) {
        self.messageID = messageID
        self.phoneNumberID = phoneNumberID
        self.recipientID = recipientID
        self.state = state
        self.errorDescription = errorDescription
        self.callbackData = callbackData
    }
}
