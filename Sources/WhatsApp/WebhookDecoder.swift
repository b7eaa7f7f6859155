public import Foundation

/// Why a webhook body could not be decoded at all. (A valid envelope with odd items decodes, listing them in
/// ``WebhookPayload/skipped``.)
public struct WebhookDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The two ways a body can be unusable.
    public enum Kind: Sendable, Equatable {
        /// The body is not JSON (or is empty).
        case notJSON
        /// The body is JSON but not a WhatsApp webhook (`object` is not `whatsapp_business_account`, or no `entry` array).
        case notWhatsAppPayload
    }

    /// Which of the two it is.
    public var kind: Kind
    /// A one-line explanation for the log.
    public var description: String

    /// Creates an error.
    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }
}

/// Turns a webhook `POST` body into ``WebhookPayload`` values (PROTOCOL.md §3).
///
/// Decode only after ``WebhookSignature/verify(body:header:appSecret:)`` accepted the same bytes. The decoder walks every
/// `entry`, every change with `field == "messages"` (others land in ``WebhookPayload/ignoredChanges``), and every message,
/// status and value-level error. Unknown keys are ignored and every field is optional; an item lacking what is needed to
/// act on it (a message without id, sender or `phone_number_id`; a status without id or with an unknown state) is listed
/// in ``WebhookPayload/skipped`` instead of failing the rest.
public enum WebhookDecoder {
    /// The `object` value of every WhatsApp webhook.
    public static let objectType = "whatsapp_business_account"

    /// Decodes `body`.
    /// - Parameters:
    ///   - body: The raw body (the same bytes whose signature was checked).
    ///   - receivedAt: Used as the timestamp of items whose own `timestamp` is missing or unreadable.
    /// - Throws: ``WebhookDecodingError`` when the body is not JSON or not a WhatsApp webhook envelope.
    public static func decode(_ body: Data, receivedAt: Date = Date()) throws(WebhookDecodingError) -> WebhookPayload {
        let envelope: WireEnvelope
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            envelope = try decoder.decode(WireEnvelope.self, from: body)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw WebhookDecodingError(kind: .notJSON, description: "webhook body is not valid JSON (\(body.count) bytes)")
        } catch {
            throw WebhookDecodingError(
                kind: .notWhatsAppPayload,
                description: "webhook body is JSON but not a WhatsApp payload: \(WireDiagnostics.describe(error))"
            )
        }
        guard let object = envelope.object?.value else {
            throw WebhookDecodingError(kind: .notWhatsAppPayload, description: "webhook body has no \"object\" field")
        }
        guard object == objectType else {
            throw WebhookDecodingError(
                kind: .notWhatsAppPayload,
                description: "webhook object is \"\(object)\", not \"\(objectType)\""
            )
        }
        guard let entries = envelope.entry, entries.wasArray else {
            throw WebhookDecodingError(kind: .notWhatsAppPayload, description: "webhook body has no \"entry\" array")
        }

        var payload = WebhookPayload()
        payload.skipped += entries.failures.map { "entry: \($0)" }
        for entry in entries.elements {
            let accountID = entry.id?.value
            payload.skipped += (entry.changes?.failures ?? []).map { "change: \($0)" }
            for change in entry.changes?.elements ?? [] {
                guard change.field?.value == "messages" else {
                    payload.ignoredChanges.append(IgnoredChange(businessAccountID: accountID, field: change.field?.value))
                    continue
                }
                guard let tolerantValue = change.value else {
                    payload.skipped.append("change in entry \(accountID ?? "?") has no value")
                    continue
                }
                guard let value = tolerantValue.value else {
                    payload.skipped.append("change value: \(tolerantValue.failure ?? "unreadable")")
                    continue
                }
                decode(value, accountID: accountID, receivedAt: receivedAt, into: &payload)
            }
        }
        return payload
    }

    private static func decode(_ value: WireValue, accountID: String?, receivedAt: Date, into payload: inout WebhookPayload) {
        let metadata = value.metadata?.value
        let phoneNumberID = metadata?.phoneNumberId?.value
        let displayPhoneNumber = metadata?.displayPhoneNumber?.value
        let contacts = value.contacts?.elements ?? []
        payload.skipped += (value.messages?.failures ?? []).map { "message: \($0)" }
        payload.skipped += (value.statuses?.failures ?? []).map { "status: \($0)" }
        payload.skipped += (value.errors?.failures ?? []).map { "error: \($0)" }

        for error in value.errors?.elements ?? [] {
            payload.errors.append(WebhookSystemError(phoneNumberID: phoneNumberID, error: error.detail))
        }

        for wire in value.messages?.elements ?? [] {
            guard let id = nonEmpty(wire.id?.value) else {
                payload.skipped.append("message without id")
                continue
            }
            guard let phoneNumberID = nonEmpty(phoneNumberID) else {
                payload.skipped.append("message \(id): no metadata.phone_number_id")
                continue
            }
            let contact = matchingContact(in: contacts, phone: wire.from?.value, userID: wire.fromUserId?.value)
            let customer = CustomerIdentity(
                phone: nonEmpty(wire.from?.value) ?? nonEmpty(contact?.waId?.value),
                userID: nonEmpty(wire.fromUserId?.value) ?? nonEmpty(contact?.userId?.value),
                parentUserID: nonEmpty(wire.fromParentUserId?.value) ?? nonEmpty(contact?.parentUserId?.value)
            )
            guard customer.phone != nil || customer.userID != nil else {
                payload.skipped.append("message \(id): no sender (neither from nor from_user_id)")
                continue
            }
            let type = nonEmpty(wire.type?.value) ?? "unknown"
            let context = wire.context?.value
            let profile = contact?.profile?.value
            let message = IncomingMessage(
                id: id,
                phoneNumberID: phoneNumberID,
                displayPhoneNumber: displayPhoneNumber,
                businessAccountID: accountID,
                customer: customer,
                profileName: profile?.name?.value,
                username: profile?.username?.value,
                timestamp: date(wire.timestamp?.value) ?? receivedAt,
                type: type,
                content: content(of: wire, type: type),
                contextMessageID: nonEmpty(context?.id?.value),
                isForwarded: context?.forwarded?.value == true || context?.frequentlyForwarded?.value == true,
                media: media(of: wire, type: type),
                errors: (wire.errors?.elements ?? []).map(\.detail)
            )
            payload.events.append(.message(message))
        }

        for wire in value.statuses?.elements ?? [] {
            guard let id = nonEmpty(wire.id?.value) else {
                payload.skipped.append("status without id")
                continue
            }
            let raw = wire.status?.value.lowercased() ?? ""
            guard let status = DeliveryStatus(rawValue: raw) ?? (raw == "played" ? .read : nil) else {
                payload.skipped.append("status \(id): unknown state \"\(raw)\"")
                continue
            }
            let pricing = wire.pricing?.value
            let update = StatusUpdate(
                messageID: id,
                status: status,
                timestamp: date(wire.timestamp?.value) ?? receivedAt,
                recipient: CustomerIdentity(
                    phone: nonEmpty(wire.recipientId?.value),
                    userID: nonEmpty(wire.recipientUserId?.value),
                    parentUserID: nonEmpty(wire.parentRecipientUserId?.value)
                ),
                phoneNumberID: phoneNumberID ?? "",
                errors: (wire.errors?.elements ?? []).map(\.detail),
                callbackData: wire.bizOpaqueCallbackData?.value,
                pricingCategory: pricing?.category?.value,
                billable: pricing?.billable?.value
            )
            payload.events.append(.status(update))
        }
    }

    /// The sender's entry in `value.contacts`: the one whose `wa_id` or `user_id` matches, else the only one.
    private static func matchingContact(in contacts: [WireContact], phone: String?, userID: String?) -> WireContact? {
        if let match = contacts.first(where: { contact in
            (phone != nil && contact.waId?.value == phone) || (userID != nil && contact.userId?.value == userID)
        }) {
            return match
        }
        return contacts.count == 1 ? contacts[0] : nil
    }

    /// The media types the agent cannot read yet.
    static let mediaTypes: Set<String> = ["image", "audio", "video", "document", "sticker", "location", "contacts"]

    private static func content(of wire: WireMessage, type: String) -> MessageContent {
        switch type {
        case "text":
            if let body = wire.text?.value?.body?.value { return .text(body) }
            return .unsupported(type: "text")
        case "interactive":
            let interactive = wire.interactive?.value
            let subtype = interactive?.type?.value
            let reply: WireMessage.Reply? =
                switch subtype ?? "" {
                case "button_reply": interactive?.buttonReply
                case "list_reply": interactive?.listReply
                case "": interactive?.buttonReply ?? interactive?.listReply
                default: nil
                }
            if let reply, reply.title != nil || reply.id != nil {
                let title = reply.title?.value ?? reply.id?.value ?? ""
                return .interactive(title: title, id: reply.id?.value ?? title)
            }
            return .unsupported(type: "interactive." + (subtype ?? "unknown"))
        case "button":
            let button = wire.button?.value
            guard let text = button?.text?.value ?? button?.payload?.value else { return .unsupported(type: "button") }
            return .quickReply(text: text, payload: button?.payload?.value ?? text)
        case "reaction":
            let reaction = wire.reaction?.value
            return .reaction(emoji: nonEmpty(reaction?.emoji?.value), messageID: reaction?.messageId?.value ?? "")
        case "system":
            let system = wire.system?.value
            return .system(system?.body?.value ?? system?.type?.value ?? "system")
        case "request_welcome", "revoke", "edit":
            return .system(type)
        case "unsupported":
            return .unsupported(type: nonEmpty(wire.unsupported?.value?.type?.value) ?? type)
        case _ where mediaTypes.contains(type):
            return .media(type: type)
        default:
            return .unsupported(type: type)
        }
    }

    private static func media(of wire: WireMessage, type: String) -> MediaAttachment? {
        let media: WireMessage.Media? =
            switch type {
            case "image": wire.image?.value
            case "video": wire.video?.value
            case "audio": wire.audio?.value
            case "document": wire.document?.value
            case "sticker": wire.sticker?.value
            default: nil
            }
        guard let media else { return nil }
        return MediaAttachment(
            id: media.id?.value,
            mimeType: media.mimeType?.value,
            caption: media.caption?.value,
            filename: media.filename?.value,
            isVoice: media.voice?.value ?? false
        )
    }

    /// Unix seconds (a string in practice; numbers are accepted too), or `nil` for what no date column can hold:
    /// negative, not finite, or past 9999-12-31. (A fuzzed timestamp of 2^63 s became a date the database stored as
    /// `""` and could not read back: the conversation was unreadable, and its turn, retried forever, held up every later
    /// customer's.)
    private static func date(_ text: String?) -> Date? {
        guard let text, let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0,
            seconds <= latestTimestamp
        else {
            return nil
        }
        return Date(timeIntervalSince1970: seconds)
    }

    /// 9999-12-31T23:59:59Z, the last second a four-digit year (SQLite's date format) can name.
    static let latestTimestamp: Double = 253_402_300_799

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
