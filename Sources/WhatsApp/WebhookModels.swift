public import Foundation

/// Everything one webhook `POST` body carried, as plain Swift values (PROTOCOL.md §3).
public struct WebhookPayload: Sendable, Equatable {
    /// Inbound messages and status updates, in the order they appear in the body (every entry, change and item).
    public var events: [WebhookEvent]
    /// Changes whose `field` is not `messages` (`account_update`, `message_template_status_update`, …): acknowledged, ignored.
    public var ignoredChanges: [IgnoredChange]
    /// Value-level `errors` (a system problem Meta reports with no message or status): log them, never reply.
    public var errors: [WebhookSystemError]
    /// Items that were present but could not be used (no id, no sender, wrong JSON types, unknown status), one line each,
    /// for the log. The rest of the payload is still decoded.
    public var skipped: [String]

    /// Creates a payload; the decoder builds these, tests may too.
    public init(events: [WebhookEvent] = [], ignoredChanges: [IgnoredChange] = [], errors: [WebhookSystemError] = [], skipped: [String] = []) {
        self.events = events
        self.ignoredChanges = ignoredChanges
        self.errors = errors
        self.skipped = skipped
    }

    /// The inbound messages among ``events``.
    public var messages: [IncomingMessage] {
        events.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }

    /// The status updates among ``events``.
    public var statuses: [StatusUpdate] {
        events.compactMap { if case .status(let status) = $0 { status } else { nil } }
    }
}

/// One thing that happened: a customer's message, or news about one of ours.
public enum WebhookEvent: Sendable, Equatable {
    /// A message from a customer (`value.messages[]`).
    case message(IncomingMessage)
    /// A delivery receipt for a message the business sent (`value.statuses[]`). Never answered.
    case status(StatusUpdate)
}

/// A change whose `field` is not `messages`.
public struct IgnoredChange: Sendable, Equatable {
    /// The WhatsApp Business Account id (`entry[].id`).
    public var businessAccountID: String?
    /// The change's `field`, or `nil` when the change had none.
    public var field: String?

    /// Creates a record of an ignored change.
    public init(businessAccountID: String?, field: String?) {
        self.businessAccountID = businessAccountID
        self.field = field
    }
}

/// A value-level error (`value.errors[]`, PROTOCOL.md §3.11), such as 130429 "Rate limit hit".
public struct WebhookSystemError: Sendable, Equatable {
    /// The business number it concerns (`metadata.phone_number_id`), when given.
    public var phoneNumberID: String?
    /// The error itself.
    public var error: GraphErrorDetail

    /// Creates a value-level error.
    public init(phoneNumberID: String?, error: GraphErrorDetail) {
        self.phoneNumberID = phoneNumberID
        self.error = error
    }
}

/// An error object as Meta puts it in webhooks (`errors[]` of values, messages and statuses).
public struct GraphErrorDetail: Sendable, Equatable {
    /// The numeric `code`, the field to build handling on (see ``SendFailurePolicy``). 0 when absent.
    public var code: Int
    /// `title`, e.g. "Re-engagement message" (Meta is deprecating titles).
    public var title: String?
    /// `message`.
    public var message: String?
    /// `error_data.details`, the human explanation.
    public var details: String?

    /// Creates an error detail.
    public init(code: Int, title: String? = nil, message: String? = nil, details: String? = nil) {
        self.code = code
        self.title = title
        self.message = message
        self.details = details
    }
}

/// Who a customer is. Meta identifies users by phone (`wa_id`) and, since 2026, by a business-scoped user id (BSUID),
/// and may omit the phone (PROTOCOL.md §3.9).
public struct CustomerIdentity: Sendable, Hashable {
    /// The phone as WhatsApp knows it (`messages[].from`, `contacts[].wa_id`, `statuses[].recipient_id`): digits, no `+`.
    public var phone: String?
    /// The BSUID (`messages[].from_user_id`, `contacts[].user_id`, `statuses[].recipient_user_id`), e.g. `US.1349…`.
    public var userID: String?
    /// The parent BSUID (`…parent_user_id`), e.g. `US.ENT.1181…`, when Meta sends one.
    public var parentUserID: String?

    /// Creates an identity; at least one of `phone` and `userID` should be set.
    public init(phone: String? = nil, userID: String? = nil, parentUserID: String? = nil) {
        self.phone = phone
        self.userID = userID
        self.parentUserID = parentUserID
    }

    /// The key to file the conversation under: the phone when known, else the BSUID (the decoder guarantees one of them).
    public var key: String { phone ?? userID ?? "" }

    /// How to address a reply: `to` = the phone when known, else `recipient` = the BSUID.
    public var replyAddress: Recipient {
        if let phone { .phone(phone) } else { .userID(userID ?? "") }
    }
}

/// The addressee of an outgoing message (PROTOCOL.md §3.9, §5.1).
public enum Recipient: Sendable, Hashable {
    /// A phone / `wa_id`, sent as `"to"`.
    case phone(String)
    /// A business-scoped user id, sent as `"recipient"`.
    case userID(String)

    /// The identifier itself.
    public var value: String {
        switch self {
        case .phone(let value), .userID(let value): value
        }
    }
}

/// A message a customer sent to a business number.
public struct IncomingMessage: Sendable, Equatable {
    /// The message id (`wamid.…`, up to 128 characters, opaque): the key for exactly-once handling.
    public var id: String
    /// The business number that received it (`metadata.phone_number_id`): route on this, and send replies from it.
    public var phoneNumberID: String
    /// The business number for display (`metadata.display_phone_number`), digits only.
    public var displayPhoneNumber: String?
    /// The WhatsApp Business Account id (`entry[].id`).
    public var businessAccountID: String?
    /// Who sent it.
    public var customer: CustomerIdentity
    /// The customer's self-chosen profile name (`contacts[].profile.name`): optional, untrusted user text.
    public var profileName: String?
    /// The customer's username (`contacts[].profile.username`, e.g. `@name`), when Meta sends one.
    public var username: String?
    /// When the customer sent it (`timestamp`, epoch seconds); the time of decoding when the field is missing or unreadable.
    public var timestamp: Date
    /// The raw `type` field (`text`, `image`, `interactive`, …), `"unknown"` when absent.
    public var type: String
    /// What it says.
    public var content: MessageContent
    /// The id of the message this one replies to or reacts from (`context.id`), if any.
    public var contextMessageID: String?
    /// `true` when WhatsApp marked it forwarded or frequently forwarded.
    public var isForwarded: Bool
    /// The attachment of an image, audio, video, document or sticker message.
    public var media: MediaAttachment?
    /// Errors Meta attached to the message (`unsupported` messages carry 131051).
    public var errors: [GraphErrorDetail]

    /// Creates a message; the decoder builds these, tests may too.
    public init(
        id: String,
        phoneNumberID: String,
        displayPhoneNumber: String? = nil,
        businessAccountID: String? = nil,
        customer: CustomerIdentity,
        profileName: String? = nil,
        username: String? = nil,
        timestamp: Date,
        type: String,
        content: MessageContent,
        contextMessageID: String? = nil,
        isForwarded: Bool = false,
        media: MediaAttachment? = nil,
        errors: [GraphErrorDetail] = []
    ) {
        self.id = id
        self.phoneNumberID = phoneNumberID
        self.displayPhoneNumber = displayPhoneNumber
        self.businessAccountID = businessAccountID
        self.customer = customer
        self.profileName = profileName
        self.username = username
        self.timestamp = timestamp
        self.type = type
        self.content = content
        self.contextMessageID = contextMessageID
        self.isForwarded = isForwarded
        self.media = media
        self.errors = errors
    }
}

/// What an incoming message says, reduced to what an agent can act on.
public enum MessageContent: Sendable, Equatable {
    /// A text message (`text.body`).
    case text(String)
    /// A reply button or list row the customer chose (`interactive.button_reply` / `interactive.list_reply`):
    /// `title` is the label shown, `id` the machine value set when sending.
    case interactive(title: String, id: String)
    /// A template quick-reply button (`type: "button"`): `text` is the label, `payload` the machine value.
    case quickReply(text: String, payload: String)
    /// A reaction to `messageID`; `emoji` is `nil` when the customer removed the reaction. Record it, do not answer.
    case reaction(emoji: String?, messageID: String)
    /// A system notice (`system.body`, e.g. "User A changed from … to …"), or an edit, revoke or welcome request
    /// (the text then names the type). Record it, do not answer.
    case system(String)
    /// An attachment the agent cannot read yet: `image`, `audio`, `video`, `document`, `sticker`, `location` or `contacts`.
    case media(type: String)
    /// Anything else (`unsupported`, `unknown`, `order`, an interactive reply of another kind, a type Meta adds later).
    case unsupported(type: String)

    /// The text an agent should answer: the body of a text, the title of a button or list reply, the label of a quick
    /// reply; `nil` for content that gets no generated answer.
    public var answerableText: String? {
        switch self {
        case .text(let text): text
        case .interactive(let title, _): title
        case .quickReply(let text, _): text
        case .reaction, .system, .media, .unsupported: nil
        }
    }
}

/// The attachment of a media message. Downloading needs the media id and a bearer token (PROTOCOL.md §7).
public struct MediaAttachment: Sendable, Equatable {
    /// The media id (expires after 7 days).
    public var id: String?
    /// The MIME type, e.g. `image/jpeg` or `audio/ogg; codecs=opus`.
    public var mimeType: String?
    /// The caption the customer typed under an image, video or document.
    public var caption: String?
    /// A document's file name.
    public var filename: String?
    /// `true` for a voice note (`audio.voice`).
    public var isVoice: Bool

    /// Creates an attachment description.
    public init(id: String? = nil, mimeType: String? = nil, caption: String? = nil, filename: String? = nil, isVoice: Bool = false) {
        self.id = id
        self.mimeType = mimeType
        self.caption = caption
        self.filename = filename
        self.isVoice = isVoice
    }
}

/// The delivery state of a message the business sent.
///
/// The order is the order in which states may replace one another: `sent < failed < delivered < read`. Apply an update
/// only when it is greater than the stored state: `failed` then overrides `sent` but never `delivered` or `read`, and a
/// late `delivered`/`read` (multi-device) overrides `failed`, since the message evidently arrived. `read` may arrive without
/// `delivered`. Voice `played` receipts are reported as `read`.
public enum DeliveryStatus: String, Sendable, Hashable, Comparable, CaseIterable {
    /// Accepted by WhatsApp's servers.
    case sent
    /// Could not be delivered; see the update's errors.
    case failed
    /// Delivered to the customer's device.
    case delivered
    /// Read (or played) by the customer.
    case read

    /// The position in the replacement order.
    public var rank: Int {
        switch self {
        case .sent: 0
        case .failed: 1
        case .delivered: 2
        case .read: 3
        }
    }

    /// Orders by ``rank``.
    public static func < (lhs: DeliveryStatus, rhs: DeliveryStatus) -> Bool { lhs.rank < rhs.rank }

    /// `true` when an update to `self` should replace the stored state `current` (`nil`: nothing stored yet).
    public func supersedes(_ current: DeliveryStatus?) -> Bool {
        guard let current else { return true }
        return self > current
    }
}

/// A delivery receipt for a message the business sent (`value.statuses[]`, PROTOCOL.md §3.10).
public struct StatusUpdate: Sendable, Equatable {
    /// The id of our outgoing message (`wamid.…`), as returned by the send call.
    public var messageID: String
    /// The new state.
    public var status: DeliveryStatus
    /// When it happened; the time of decoding when the field is missing or unreadable.
    public var timestamp: Date
    /// The customer the message went to (`recipient_id`, `recipient_user_id`, `parent_recipient_user_id`).
    public var recipient: CustomerIdentity
    /// The business number that sent it (`metadata.phone_number_id`).
    public var phoneNumberID: String
    /// Why it failed (`failed` only), e.g. 131047 outside the 24-hour window.
    public var errors: [GraphErrorDetail]
    /// `biz_opaque_callback_data` echoed from the send, if one was set.
    public var callbackData: String?
    /// `pricing.category` (`service`, `utility`, `marketing`, …), when given.
    public var pricingCategory: String?
    /// `pricing.billable`, when given.
    public var billable: Bool?

    /// Creates a status update; the decoder builds these, tests may too.
    public init(
        messageID: String,
        status: DeliveryStatus,
        timestamp: Date,
        recipient: CustomerIdentity,
        phoneNumberID: String,
        errors: [GraphErrorDetail] = [],
        callbackData: String? = nil,
        pricingCategory: String? = nil,
        billable: Bool? = nil
    ) {
        self.messageID = messageID
        self.status = status
        self.timestamp = timestamp
        self.recipient = recipient
        self.phoneNumberID = phoneNumberID
        self.errors = errors
        self.callbackData = callbackData
        self.pricingCategory = pricingCategory
        self.billable = billable
    }
}
