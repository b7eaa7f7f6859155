import Conversations
import Foundation
import Logging
import WhatsApp

/// Reads WhatsApp Cloud API webhook bodies into the conversation flow's events.
struct WhatsAppWebhookDecoder: WebhookDecoding {
    /// Whether photos, stickers and documents are fetched and read (else they get the "text only" reply).
    var readsMedia = false
    /// Whether voice notes and other recordings are fetched and transcribed.
    var readsRecordings = false

    func events(from body: Data) throws -> [InboundEvent] {
        let payload = try WebhookDecoder.decode(body)
        return payload.events.map { event in
            switch event {
            case .message(let message):
                return .message(
                    InboundMessage(
                        id: message.id,
                        phoneNumberID: message.phoneNumberID,
                        customerID: message.customer.key,
                        addressing: message.customer.phone != nil ? "to" : "recipient",
                        customerName: message.profileName,
                        timestamp: message.timestamp,
                        kind: message.type,
                        content: Self.content(message.content, media: message.media, readsMedia: readsMedia, readsRecordings: readsRecordings),
                        quotedMessageID: message.contextMessageID,
                        buttonID: Self.buttonID(message.content)
                    )
                )
            case .status(let status):
                let error = status.errors.first.map { detail in
                    [String(detail.code), detail.title, detail.message, detail.details].compactMap { $0 }.joined(separator: " — ")
                }
                return .status(
                    InboundStatus(
                        messageID: status.messageID,
                        phoneNumberID: status.phoneNumberID,
                        recipientID: status.recipient.key,
                        state: InboundStatus.State(rawValue: status.status.rawValue) ?? .sent,
                        errorDescription: error,
                        callbackData: status.callbackData
                    )
                )
            }
        }
    }

    /// A photo, sticker or document with a media id becomes a file to fetch; anything else as ``content(_:)``.
    static func content(_ content: MessageContent, media: MediaAttachment?, readsMedia: Bool, readsRecordings: Bool) -> InboundMessage.Content {
        guard case .media(let type) = content, let media, let id = media.id, !id.isEmpty,
            let kind = CustomerMedia.Kind(whatsAppType: type), kind == .audio ? readsRecordings : readsMedia
        else { return Self.content(content) }
        let caption = media.caption?.trimmingCharacters(in: .whitespacesAndNewlines)
        return .media(
            InboundMedia(
                kind: kind,
                channelMediaID: id,
                mimeType: media.mimeType,
                caption: caption?.isEmpty == false ? caption : nil,
                filename: media.filename
            )
        )
    }

    /// The id of the reply button or list row a customer tapped, or of a template's quick-reply button.
    static func buttonID(_ content: MessageContent) -> String? {
        switch content {
        case .interactive(_, let id): id.isEmpty ? nil : id
        case .quickReply(_, let payload): payload.isEmpty ? nil : payload
        default: nil
        }
    }

    static func content(_ content: MessageContent) -> InboundMessage.Content {
        if let text = content.answerableText, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .text(text) }
        switch content {
        case .reaction(let emoji, let messageID): return .recordOnly(kind: "reaction", text: "\(emoji ?? "") → \(messageID)")
        case .system(let text): return .recordOnly(kind: "system", text: text)
        case .media(let type), .unsupported(let type): return .unreadable(kind: type)
        case .text, .interactive, .quickReply: return .recordOnly(kind: "text", text: "")
        }
    }
}

/// Sends replies through the Graph API, formatted for WhatsApp and split at its length limit.
struct WhatsAppChannel: OutboundChannel {
    let api: any GraphAPI
    let backoff = RetryBackoff()
    let logger: Logger
    var metrics: BalcaoMetrics?

    func prepare(_ markdown: String, for conversation: Conversation) -> [String] {
        WhatsAppFormatter.messages(fromMarkdown: markdown)
    }

    func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        var message = OutgoingMessage.text(text, to: Self.recipient(conversation))
        message.callbackData = callbackData
        return await send(message, from: conversation.phoneNumberID)
    }

    func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        guard text.count <= OutgoingMessage.maximumButtonBodyLength, (1...OutgoingMessage.maximumButtons).contains(buttons.count) else {
            return await sendText(Self.textWithOptions(text, buttons: buttons), to: conversation, callbackData: callbackData)
        }
        var message = OutgoingMessage(
            recipient: Self.recipient(conversation),
            content: .buttons(
                body: text,
                buttons: buttons.map { .init(id: $0.id, title: String($0.title.prefix(OutgoingMessage.maximumButtonTitleLength))) }
            )
        )
        message.callbackData = callbackData
        let outcome = await send(message, from: conversation.phoneNumberID)
        // Refused for good (an account or number that cannot send buttons, a parameter Meta rejects), other than for the
        // closed window: the same words as text, with the answers to type.
        if case .refused(.doNotRetry, let code, _) = outcome, code != 131_047 {
            logger.notice("reply buttons refused; sending them as text", metadata: ["code": "\(code.map(String.init) ?? "-")"])
            return await sendText(Self.textWithOptions(text, buttons: buttons), to: conversation, callbackData: callbackData)
        }
        return outcome
    }

    func sendList(_ text: String, button: String, rows: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        let label = String(button.prefix(OutgoingMessage.maximumButtonTitleLength))
        let options = rows.prefix(OutgoingMessage.maximumListRows).map { row in
            OutgoingMessage.ReplyButtonOption(
                id: row.id,
                title: Self.shortened(row.title, to: OutgoingMessage.maximumRowTitleLength),
                description: row.description.map { Self.shortened($0, to: OutgoingMessage.maximumRowDescriptionLength) }
            )
        }
        guard !label.isEmpty, text.count <= OutgoingMessage.maximumTextLength, !options.isEmpty else {
            return await sendText(Self.textWithRows(text, rows: rows), to: conversation, callbackData: callbackData)
        }
        var message = OutgoingMessage(recipient: Self.recipient(conversation), content: .list(body: text, button: label, rows: Array(options)))
        message.callbackData = callbackData
        let outcome = await send(message, from: conversation.phoneNumberID)
        if case .refused(.doNotRetry, let code, _) = outcome, code != 131_047 {
            logger.notice("list message refused; sending it as text", metadata: ["code": "\(code.map(String.init) ?? "-")"])
            return await sendText(Self.textWithRows(text, rows: rows), to: conversation, callbackData: callbackData)
        }
        return outcome
    }

    /// At most `limit` characters, ending with "…" when cut.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    func sendTemplate(name: String, language: String, parameters: [String], to conversation: Conversation, callbackData: String) async -> SendOutcome
    {
        var message = OutgoingMessage.template(name, languageCode: language, bodyParameters: parameters, to: Self.recipient(conversation))
        message.callbackData = callbackData
        return await send(message, from: conversation.phoneNumberID)
    }

    func markRead(messageID: String, in conversation: Conversation) async {
        do {
            try await api.markAsRead(messageID: messageID, phoneNumberID: conversation.phoneNumberID, typingIndicator: true)
        } catch {
            logger.debug("could not mark a message read", metadata: ["error": "\(error)"])
        }
    }

    func retryDelay(attempt: Int) -> TimeInterval { backoff.interval(forAttempt: attempt) }

    private func send(_ message: OutgoingMessage, from phoneNumberID: String) async -> SendOutcome {
        let outcome = await attempt(message, from: phoneNumberID)
        metrics?.send(channel: .whatsapp, outcome: outcome)
        return outcome
    }

    private func attempt(_ message: OutgoingMessage, from phoneNumberID: String) async -> SendOutcome {
        do {
            return .sent(messageID: try await api.send(message, from: phoneNumberID).messageID)
        } catch {
            return .failed(error) { SendFailurePolicy.forError(code: $0.code, httpStatus: $0.httpStatus) }
        }
    }

    static func recipient(_ conversation: Conversation) -> Recipient {
        conversation.addressing == "recipient" ? .userID(conversation.customerID) : .phone(conversation.customerID)
    }
}

extension CustomerMedia.Kind {
    /// The kind of a WhatsApp message type that carries a file the assistant reads (`image`, `sticker`, `document`).
    init?(whatsAppType type: String) {
        switch type {
        case "image": self = .image
        case "sticker": self = .sticker
        case "document": self = .document
        case "audio": self = .audio
        default: return nil
        }
    }
}

/// Fetches customers' files through the Graph API (`GET /{media-id}`, then the download with the access token).
struct WhatsAppMediaFetcher: MediaFetching {
    let api: LiveGraphAPI
    let backoff = RetryBackoff()

    func fetch(
        _ media: CustomerMedia,
        acceptedTypes: Set<String>,
        maxBytes: Int,
        into sink: (Data) throws -> Void
    ) async -> MediaFetchResult {
        let client = api.client
        let info: MediaInfo
        do {
            info = try await client.mediaInfo(id: media.channelMediaID)
        } catch {
            return Self.result(of: .graph(error))
        }
        do {
            let downloaded = try await client.downloadMedia(info, limits: MediaLimits(maxBytes: maxBytes, allowedTypes: acceptedTypes), into: sink)
            return .fetched(mimeType: downloaded.mimeType)
        } catch {
            return Self.result(of: error)
        }
    }

    func retryDelay(attempt: Int) -> TimeInterval { backoff.interval(forAttempt: attempt) }

    /// What a failed download means for the customer: the file's own faults end it, the channel's retry by its policy
    /// (a token the operator must fix too: the attempts are bounded).
    static func result(of error: MediaDownloadError) -> MediaFetchResult {
        switch error {
        case .tooLarge: return .failed(.tooLarge, detail: "\(error)")
        case .unsupportedType: return .failed(.unsupportedType, detail: "\(error)")
        case .storage: return .failed(.notStored, detail: "\(error)")
        case .checksumMismatch: return .retry(detail: "\(error)")
        case .graph(let graph):
            switch graph.policy {
            case .retry, .stopAndAlert: return .retry(detail: "\(error)")
            case .doNotRetry: return .failed(.unavailable, detail: "\(error)")
            }
        }
    }
}

extension SendOutcome {
    /// What a failed Graph API call means for the outbox: Meta's own error objects judged by the product's `policy`
    /// (WhatsApp and Instagram have their codes), the rest by whether the request may have gone out.
    static func failed(_ error: GraphAPIError, policy: (GraphAPIErrorResponse) -> SendFailurePolicy) -> SendOutcome {
        switch error {
        case .api(let response):
            let reason = [response.message, response.details].compactMap { $0 }.joined(separator: " — ")
            return .refused(refusal(policy(response)), code: response.code, reason: reason.isEmpty ? "\(error)" : reason)
        case .timeout(true), .transport(_, true):
            return .unknown(reason: "\(error)")
        case .invalidResponse(let status, _) where (200..<300).contains(status):
            // A success status with an unreadable answer: the message was most likely accepted.
            return .unknown(reason: "\(error)")
        case .httpStatus(let status, _), .invalidResponse(let status, _):
            return .refused(refusal(SendFailurePolicy.forError(code: nil, httpStatus: status)), code: nil, reason: "\(error)")
        case .timeout(false), .transport(_, false), .cancelled:
            return .refused(.retry, code: nil, reason: "\(error)")
        case .invalidRequest:
            return .refused(.doNotRetry, code: nil, reason: "\(error)")
        }
    }

    static func refusal(_ policy: SendFailurePolicy) -> SendRefusal {
        switch policy {
        case .retry: return .retry
        case .doNotRetry: return .doNotRetry
        case .stopAndAlert: return .stopAndAlert
        }
    }
}
