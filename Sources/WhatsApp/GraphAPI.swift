/// The part of the WhatsApp Cloud API (Graph API) that Balcão calls: sending messages and marking messages read.
///
/// ``GraphAPIClient`` is the real implementation; tests inject their own. Every method throws only ``GraphAPIError``;
/// what to do about a failure is ``GraphAPIError/policy``.
public protocol GraphAPI: Sendable {
    /// Sends `message` from the business number `phoneNumberID` (`POST /{phone_number_id}/messages`).
    ///
    /// Success means Meta *accepted* the message; delivery (or a later `failed`, e.g. 131047) arrives as a status webhook
    /// for ``SentMessage/messageID``. Sends are not idempotent: see ``GraphAPIError/requestMayHaveBeenSent``.
    func send(_ message: OutgoingMessage, from phoneNumberID: String) async throws(GraphAPIError) -> SentMessage

    /// Marks the customer's message `messageID` (and earlier ones) read, optionally showing the typing indicator
    /// (dismissed by the next reply or after 25 seconds).
    func markAsRead(messageID: String, phoneNumberID: String, typingIndicator: Bool) async throws(GraphAPIError)
}

/// A message to send.
public struct OutgoingMessage: Sendable, Equatable {
    /// What kind of message it is.
    public enum Content: Sendable, Equatable {
        /// Free-form text (only inside the 24-hour customer service window), at most ``OutgoingMessage/maximumTextLength``
        /// characters. `previewURL` asks WhatsApp to render a preview of the first link.
        case text(body: String, previewURL: Bool)
        /// An approved template (the only kind allowed outside the window), with its language code (e.g. `pt_BR`) and the
        /// values of its body placeholders `{{1}}`, `{{2}}`, … in order (none: no `components`).
        case template(name: String, languageCode: String, bodyParameters: [String])
        /// Text with up to three reply buttons (`interactive.type: "button"`, only inside the window): a tap comes back
        /// as an `interactive.button_reply` with the button's id. At most ``OutgoingMessage/maximumButtonBodyLength``
        /// characters of body, titles of at most ``OutgoingMessage/maximumButtonTitleLength``.
        case buttons(body: String, buttons: [ReplyButtonOption])
        /// Text with a list of rows behind a button (`interactive.type: "list"`, only inside the window): a tap comes back
        /// as an `interactive.list_reply` with the row's id. At most ``OutgoingMessage/maximumListRows`` rows, titles of
        /// at most 24 characters, descriptions of at most 72, a button label of at most 20.
        case list(body: String, button: String, rows: [ReplyButtonOption])
    }

    /// One reply button: the id the tap sends back and the label shown.
    public struct ReplyButtonOption: Sendable, Equatable {
        /// Sent back with the tap (at most 256 characters).
        public var id: String
        /// The label (at most ``OutgoingMessage/maximumButtonTitleLength`` characters; 24 for a list row).
        public var title: String
        /// A list row's second line (at most 72 characters).
        public var description: String?

        /// A button or a list row.
        public init(id: String, title: String, description: String? = nil) {
            self.id = id
            self.title = title
            self.description = description
        }
    }

    /// The longest body of a message with reply buttons.
    public static let maximumButtonBodyLength = 1024
    /// The longest reply button title.
    public static let maximumButtonTitleLength = 20
    /// The most reply buttons in one message.
    public static let maximumButtons = 3
    /// The most rows in a list message.
    public static let maximumListRows = 10
    /// The longest list row title.
    public static let maximumRowTitleLength = 24
    /// The longest list row description.
    public static let maximumRowDescriptionLength = 72

    /// The longest `text.body` Meta accepts.
    public static let maximumTextLength = 4096
    /// The longest `biz_opaque_callback_data` Meta accepts.
    public static let maximumCallbackDataLength = 512

    /// Who gets it: `to` for a phone, `recipient` for a BSUID.
    public var recipient: Recipient
    /// The content.
    public var content: Content
    /// The customer's message to quote (`context.message_id`), if any.
    public var replyTo: String?
    /// Opaque text Meta echoes in every status webhook of this message (`biz_opaque_callback_data`, at most
    /// ``maximumCallbackDataLength`` characters), e.g. an outbox id: how a send whose answer was lost is recognized.
    public var callbackData: String?

    /// Creates a message.
    public init(recipient: Recipient, content: Content, replyTo: String? = nil, callbackData: String? = nil) {
        self.recipient = recipient
        self.content = content
        self.replyTo = replyTo
        self.callbackData = callbackData
    }

    /// A text message.
    public static func text(_ body: String, to recipient: Recipient, replyTo: String? = nil, previewURL: Bool = false) -> OutgoingMessage {
        OutgoingMessage(recipient: recipient, content: .text(body: body, previewURL: previewURL), replyTo: replyTo)
    }

    /// A template message.
    public static func template(_ name: String, languageCode: String, bodyParameters: [String] = [], to recipient: Recipient) -> OutgoingMessage {
        OutgoingMessage(recipient: recipient, content: .template(name: name, languageCode: languageCode, bodyParameters: bodyParameters))
    }
}

/// What Meta answered to an accepted send.
public struct SentMessage: Sendable, Equatable {
    /// The new message's id (`messages[0].id`): status webhooks refer to it.
    public var messageID: String
    /// `contacts[0].wa_id`, when Meta returned one.
    public var waID: String?
    /// `contacts[0].user_id` (BSUID sends), when Meta returned one.
    public var userID: String?
    /// `messages[0].message_status` (e.g. `accepted`), when present.
    public var messageStatus: String?

    /// Creates a send result.
    public init(messageID: String, waID: String? = nil, userID: String? = nil, messageStatus: String? = nil) {
        self.messageID = messageID
        self.waID = waID
        self.userID = userID
        self.messageStatus = messageStatus
    }
}

/// The error object of a Graph API error response: `{"error": {"message", "type", "code", "error_subcode",
/// "error_data": {"details"}, "fbtrace_id"}}`.
public struct GraphAPIErrorResponse: Sendable, Equatable {
    /// The HTTP status it came with (Meta sometimes sends an `error` with 200).
    public var httpStatus: Int
    /// `error.code`, the field to build handling on.
    public var code: Int
    /// `error.error_subcode` (deprecated, often absent; e.g. 463 with 190 for an expired token).
    public var subcode: Int?
    /// `error.message`, e.g. "(#131047) Re-engagement message".
    public var message: String?
    /// `error.type`, e.g. `OAuthException`.
    public var type: String?
    /// `error.error_data.details`.
    public var details: String?
    /// `error.fbtrace_id`, for Meta support.
    public var fbtraceID: String?
    /// The `Retry-After` header, when the response had one.
    public var retryAfter: Duration?

    /// Creates an error response.
    public init(
        httpStatus: Int,
        code: Int,
        subcode: Int? = nil,
        message: String? = nil,
        type: String? = nil,
        details: String? = nil,
        fbtraceID: String? = nil,
        retryAfter: Duration? = nil
    ) {
        self.httpStatus = httpStatus
        self.code = code
        self.subcode = subcode
        self.message = message
        self.type = type
        self.details = details
        self.fbtraceID = fbtraceID
        self.retryAfter = retryAfter
    }
}

/// Why a Graph API call failed.
public enum GraphAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Meta answered with an error object.
    case api(GraphAPIErrorResponse)
    /// Meta answered with a non-2xx status and no readable error object (a proxy's HTML page, an empty body).
    case httpStatus(Int, body: String)
    /// Meta answered 2xx but the body was not the documented success shape (no `messages[0].id` / `success`).
    /// The message may well have been sent.
    case invalidResponse(status: Int, body: String)
    /// No complete answer in time. `requestMayHaveBeenSent` is `false` only when the connection was never established.
    case timeout(requestMayHaveBeenSent: Bool)
    /// The connection failed or broke. `requestMayHaveBeenSent` is `false` when no connection was established.
    case transport(String, requestMayHaveBeenSent: Bool)
    /// The call was refused before anything went out: an empty id, a text over 4096 characters, a bad base URL.
    case invalidRequest(String)
    /// The calling task was cancelled. The request may have been sent if it was cancelled mid-flight.
    case cancelled

    /// `false` only when the request certainly never reached Meta, so sending again cannot duplicate the message.
    /// After a `true` failure, retrying may double-send: record the attempt and reconcile with status webhooks.
    public var requestMayHaveBeenSent: Bool {
        switch self {
        case .api:
            // Meta answered with one of its error objects: the message was not accepted.
            false
        case .httpStatus(let status, _):
            // A bare 5xx usually comes from a gateway (502/504) that may have passed the request on.
            status >= 500
        case .invalidResponse, .cancelled:
            true
        case .timeout(let maybe), .transport(_, let maybe):
            maybe
        case .invalidRequest:
            false
        }
    }

    /// What the sender should do about this failure (see ``SendFailurePolicy/forError(code:httpStatus:)``).
    public var policy: SendFailurePolicy {
        switch self {
        case .api(let response): SendFailurePolicy.forError(code: response.code, httpStatus: response.httpStatus)
        case .httpStatus(let status, _): SendFailurePolicy.forError(code: nil, httpStatus: status)
        case .invalidResponse: .doNotRetry
        case .timeout, .transport: .retry
        case .invalidRequest: .doNotRetry
        case .cancelled: .retry
        }
    }

    /// The Graph error code, when Meta gave one.
    public var code: Int? {
        if case .api(let response) = self { response.code } else { nil }
    }

    /// A one-line description for logs (never includes the access token).
    public var description: String {
        switch self {
        case .api(let response):
            var text = "Graph API error \(response.code)"
            if let subcode = response.subcode { text += "/\(subcode)" }
            text += " (HTTP \(response.httpStatus))"
            if let message = response.message { text += ": \(message)" }
            if let details = response.details { text += " (\(details))" }
            if let trace = response.fbtraceID { text += " [fbtrace_id \(trace)]" }
            return text
        case .httpStatus(let status, let body): return "Graph API HTTP \(status): \(body.prefix(200))"
        case .invalidResponse(let status, let body): return "Graph API unexpected answer (HTTP \(status)): \(body.prefix(200))"
        case .timeout(let maybe): return "Graph API timeout (\(maybe ? "request may have been sent" : "not sent"))"
        case .transport(let text, let maybe): return "Graph API transport error: \(text) (\(maybe ? "request may have been sent" : "not sent"))"
        case .invalidRequest(let text): return "Graph API request refused before sending: \(text)"
        case .cancelled: return "Graph API call cancelled"
        }
    }
}
