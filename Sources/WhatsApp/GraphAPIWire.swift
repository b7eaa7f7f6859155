public import Foundation

/// The JSON bodies of the Graph API calls, exactly as Meta documents them (PROTOCOL.md §5), and the parsing of answers.
/// ``GraphAPIClient`` uses it; it is public so that tests and tools can see the bytes that go out.
public enum GraphAPIWire {
    /// The body of `POST /{phone_number_id}/messages` for `message`:
    /// `{"messaging_product":"whatsapp","recipient_type":"individual","to"|"recipient":…,"type":"text","text":{"body":…,"preview_url":…},"context":{"message_id":…}}`
    /// or, for a template, `"type":"template","template":{"name":…,"language":{"code":…},"components":[{"type":"body","parameters":[{"type":"text","text":…}]}]}`.
    /// Keys are sorted and `/` is not escaped.
    /// - Throws: ``GraphAPIError/invalidRequest(_:)`` for an empty recipient, an empty or over-long text (more than
    ///   ``OutgoingMessage/maximumTextLength`` characters: split it with ``MessageSplitter`` first), an empty template name
    ///   or callback data longer than ``OutgoingMessage/maximumCallbackDataLength``.
    public static func messageBody(_ message: OutgoingMessage) throws(GraphAPIError) -> Data {
        guard !message.recipient.value.isEmpty else { throw .invalidRequest("empty recipient") }
        var body = SendBody(type: "")
        switch message.recipient {
        case .phone(let phone): body.to = phone
        case .userID(let userID): body.recipient = userID
        }
        switch message.content {
        case .text(let text, let previewURL):
            guard !text.isEmpty else { throw .invalidRequest("empty text body") }
            guard text.count <= OutgoingMessage.maximumTextLength else {
                throw .invalidRequest("text body of \(text.count) characters exceeds \(OutgoingMessage.maximumTextLength)")
            }
            body.type = "text"
            body.text = .init(body: text, previewUrl: previewURL)
        case .template(let name, let languageCode, let parameters):
            guard !name.isEmpty, !languageCode.isEmpty else { throw .invalidRequest("template name and language code are required") }
            body.type = "template"
            body.template = .init(
                name: name,
                language: .init(code: languageCode),
                components: parameters.isEmpty
                    ? nil : [.init(type: "body", parameters: parameters.map { .init(type: "text", text: $0) })]
            )
        case .buttons(let text, let buttons):
            guard !text.isEmpty, text.count <= OutgoingMessage.maximumButtonBodyLength else {
                throw .invalidRequest("interactive body of \(text.count) characters (1 to \(OutgoingMessage.maximumButtonBodyLength))")
            }
            guard (1...OutgoingMessage.maximumButtons).contains(buttons.count),
                buttons.allSatisfy({ !$0.id.isEmpty && $0.id.count <= 256 && (1...OutgoingMessage.maximumButtonTitleLength).contains($0.title.count) }
                ),
                Set(buttons.map(\.id)).count == buttons.count, Set(buttons.map(\.title)).count == buttons.count
            else { throw .invalidRequest("1 to 3 reply buttons with distinct ids and titles of 1 to 20 characters") }
            body.type = "interactive"
            body.interactive = .init(
                type: "button",
                body: .init(text: text),
                action: .init(buttons: buttons.map { .init(type: "reply", reply: .init(id: $0.id, title: $0.title)) })
            )
        case .list(let text, let button, let rows):
            guard !text.isEmpty, text.count <= OutgoingMessage.maximumTextLength,
                (1...OutgoingMessage.maximumButtonTitleLength).contains(button.count),
                (1...OutgoingMessage.maximumListRows).contains(rows.count),
                rows.allSatisfy({
                    !$0.id.isEmpty && $0.id.count <= 200 && (1...OutgoingMessage.maximumRowTitleLength).contains($0.title.count)
                        && ($0.description?.count ?? 0) <= OutgoingMessage.maximumRowDescriptionLength
                }),
                Set(rows.map(\.id)).count == rows.count
            else { throw .invalidRequest("a list needs a body, a button of 1 to 20 characters and 1 to 10 rows with distinct ids") }
            body.type = "interactive"
            body.interactive = .init(
                type: "list",
                body: .init(text: text),
                action: .init(
                    button: button,
                    sections: [.init(title: nil, rows: rows.map { .init(id: $0.id, title: $0.title, description: $0.description) })]
                )
            )
        }
        if let replyTo = message.replyTo, !replyTo.isEmpty { body.context = .init(messageId: replyTo) }
        if let callbackData = message.callbackData, callbackData.count > OutgoingMessage.maximumCallbackDataLength {
            throw .invalidRequest("biz_opaque_callback_data of \(callbackData.count) characters exceeds \(OutgoingMessage.maximumCallbackDataLength)")
        }
        body.bizOpaqueCallbackData = message.callbackData
        return encode(body)
    }

    /// The body that marks `messageID` read, with the typing indicator when asked:
    /// `{"messaging_product":"whatsapp","status":"read","message_id":…,"typing_indicator":{"type":"text"}}`.
    public static func markAsReadBody(messageID: String, typingIndicator: Bool) -> Data {
        encode(ReadBody(messageId: messageID, typingIndicator: typingIndicator ? .init(type: "text") : nil))
    }

    /// Interprets a send answer: `messages[0].id` on success, else the Graph error.
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - body: The response body.
    ///   - retryAfter: The `Retry-After` header, if any (seconds).
    public static func parseSendResponse(status: Int, body: Data, retryAfter: String? = nil) throws(GraphAPIError) -> SentMessage {
        let parsed = try parseCommon(status: status, body: body, retryAfter: retryAfter)
        guard let first = parsed?.messages?.elements.first, let id = first.id?.value, !id.isEmpty else {
            throw .invalidResponse(status: status, body: snippet(body))
        }
        let contact = parsed?.contacts?.elements.first
        return SentMessage(
            messageID: id,
            waID: contact?.waId?.value,
            userID: contact?.userId?.value,
            messageStatus: first.messageStatus?.value
        )
    }

    /// Interprets a mark-as-read answer: `{"success": true}` on success, else the Graph error.
    public static func parseSuccessResponse(status: Int, body: Data, retryAfter: String? = nil) throws(GraphAPIError) {
        let parsed = try parseCommon(status: status, body: body, retryAfter: retryAfter)
        guard parsed?.success?.value == true else { throw .invalidResponse(status: status, body: snippet(body)) }
    }

    /// Interprets the answer to a read (`GET /me`, `GET /{phone-number-id}`): the Graph error, a bare HTTP error for
    /// non-2xx, or nothing (the caller reads the fields it asked for).
    public static func checkReadResponse(status: Int, body: Data, retryAfter: String? = nil) throws(GraphAPIError) {
        _ = try parseCommon(status: status, body: body, retryAfter: retryAfter)
    }

    /// Throws the Graph error if there is one (whatever the status), or a bare HTTP error for non-2xx; returns the parsed
    /// success body (nil when it is not JSON).
    private static func parseCommon(status: Int, body: Data, retryAfter: String?) throws(GraphAPIError) -> ResponseBody? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let parsed = try? decoder.decode(ResponseBody.self, from: body)
        if let error = parsed?.error?.value, let code = error.code?.value {
            throw .api(
                GraphAPIErrorResponse(
                    httpStatus: status,
                    code: code,
                    subcode: error.errorSubcode?.value,
                    message: error.message?.value,
                    type: error.type?.value,
                    details: error.errorData?.value?.details?.value,
                    fbtraceID: error.fbtraceId?.value,
                    retryAfter: retryAfter.flatMap(parseRetryAfter)
                )
            )
        }
        guard (200..<300).contains(status) else { throw .httpStatus(status, body: snippet(body)) }
        return parsed
    }

    /// `Retry-After` in seconds (HTTP dates are ignored).
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64(min(seconds, 86_400) * 1000))
    }

    static func snippet(_ body: Data) -> String {
        String(decoding: body.prefix(500), as: UTF8.self)
    }

    private static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings, booleans and nested structs: encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data()
    }

    private struct SendBody: Encodable {
        struct Text: Encodable {
            var body: String
            var previewUrl: Bool
        }
        struct Context: Encodable { var messageId: String }
        struct Interactive: Encodable {
            struct Body: Encodable { var text: String }
            struct Action: Encodable {
                struct Button: Encodable {
                    struct Reply: Encodable {
                        var id: String
                        var title: String
                    }
                    var type: String
                    var reply: Reply
                }
                struct Section: Encodable {
                    struct Row: Encodable {
                        var id: String
                        var title: String
                        var description: String?
                    }
                    var title: String?
                    var rows: [Row]
                }
                var buttons: [Button]?
                var button: String?
                var sections: [Section]?

                init(buttons: [Button]) { self.buttons = buttons }
                init(button: String, sections: [Section]) {
                    self.button = button
                    self.sections = sections
                }
            }
            var type: String
            var body: Body
            var action: Action
        }
        struct Template: Encodable {
            struct Language: Encodable { var code: String }
            struct Component: Encodable {
                struct Parameter: Encodable {
                    var type: String
                    var text: String
                }
                var type: String
                var parameters: [Parameter]
            }
            var name: String
            var language: Language
            var components: [Component]?
        }

        var messagingProduct = "whatsapp"
        var recipientType = "individual"
        var to: String?
        var recipient: String?
        var type: String
        var text: Text?
        var template: Template?
        var interactive: Interactive?
        var context: Context?
        var bizOpaqueCallbackData: String?
    }

    private struct ReadBody: Encodable {
        struct TypingIndicator: Encodable { var type: String }
        var messagingProduct = "whatsapp"
        var status = "read"
        var messageId: String
        var typingIndicator: TypingIndicator?
    }

    private struct ResponseBody: Decodable {
        struct Message: Decodable {
            var id: FlexibleString?
            var messageStatus: FlexibleString?
        }
        struct Contact: Decodable {
            var input: FlexibleString?
            var waId: FlexibleString?
            var userId: FlexibleString?
        }
        struct ErrorObject: Decodable {
            struct ErrorData: Decodable { var details: FlexibleString? }
            var message: FlexibleString?
            var type: FlexibleString?
            var code: FlexibleInt?
            var errorSubcode: FlexibleInt?
            var errorData: Tolerant<ErrorData>?
            var fbtraceId: FlexibleString?
        }

        var messages: LossyArray<Message>?
        var contacts: LossyArray<Contact>?
        var success: FlexibleBool?
        var error: Tolerant<ErrorObject>?
    }
}
