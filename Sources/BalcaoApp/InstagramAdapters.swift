import Conversations
import Foundation
import Instagram
import Logging
import Storage
import WhatsApp

/// Reads Instagram messaging webhooks into the conversation flow's events: texts (and story replies) are answered,
/// photos and voice messages fetched and read as on WhatsApp, story mentions, reactions and deleted messages recorded
/// only, the business's own echoes skipped (the outbox already holds them), reads move replies to `read`.
struct InstagramWebhookAdapter: WebhookDecoding {
    /// Whether photos and files are fetched and read (else they get the "text only" reply).
    var readsMedia = false
    /// Whether voice messages are fetched and transcribed.
    var readsRecordings = false

    func events(from body: Data) throws -> [InboundEvent] {
        try InstagramWebhookDecoder.decode(body).compactMap { event -> InboundEvent? in
            switch event {
            case .message(let message):
                guard !message.isEcho else { return nil }
                let (kind, content) = content(of: message)
                return .message(
                    InboundMessage(
                        id: message.id,
                        phoneNumberID: message.accountID,
                        customerID: message.customerID,
                        addressing: "id",
                        customerName: nil,
                        timestamp: message.timestamp,
                        kind: kind,
                        content: content,
                        quotedMessageID: message.replyToMessageID,
                        buttonID: message.quickReplyPayload.flatMap { $0.isEmpty ? nil : $0 },
                        channel: .instagram
                    )
                )
            case .postback(let postback):
                return .message(
                    InboundMessage(
                        id: postback.id,
                        phoneNumberID: postback.accountID,
                        customerID: postback.customerID,
                        addressing: "id",
                        customerName: nil,
                        timestamp: postback.timestamp,
                        kind: "postback",
                        content: .text(postback.title),
                        buttonID: postback.payload,
                        channel: .instagram
                    )
                )
            case .reaction(let reaction):
                return .message(
                    InboundMessage(
                        id: "reaction.\(reaction.messageID).\(reaction.customerID).\(Int(reaction.timestamp.timeIntervalSince1970 * 1000))",
                        phoneNumberID: reaction.accountID,
                        customerID: reaction.customerID,
                        addressing: "id",
                        customerName: nil,
                        timestamp: reaction.timestamp,
                        kind: "reaction",
                        content: .recordOnly(kind: "reaction", text: "\(reaction.emoji ?? reaction.action) → \(reaction.messageID)"),
                        channel: .instagram
                    )
                )
            case .read(let messageID, let accountID, let customerID):
                return .status(
                    InboundStatus(
                        messageID: messageID,
                        phoneNumberID: accountID,
                        recipientID: customerID,
                        state: .read,
                        errorDescription: nil,
                        callbackData: nil
                    )
                )
            }
        }
    }

    /// The message's kind as recorded, and what it holds for answering.
    func content(of message: InstagramMessage) -> (String, InboundMessage.Content) {
        let text = message.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if message.isDeleted { return ("deleted", .recordOnly(kind: "deleted", text: "")) }
        if message.isStoryMention { return ("story_mention", .recordOnly(kind: "story_mention", text: message.attachments.first?.url ?? "")) }
        if let attachment = message.attachments.first {
            let kind: CustomerMedia.Kind? =
                switch attachment.type {
                case "image": .image
                case "audio": .audio
                case "file": .document
                default: nil
                }
            if let kind, let url = attachment.url, !url.isEmpty, kind == .audio ? readsRecordings : readsMedia {
                return (
                    attachment.type,
                    .media(
                        InboundMedia(
                            kind: kind,
                            channelMediaID: url,
                            mimeType: Self.declaredType(of: kind),
                            caption: text.isEmpty ? nil : text
                        )
                    )
                )
            }
            if text.isEmpty { return (attachment.type, .unreadable(kind: attachment.type)) }
        }
        if message.isUnsupported && text.isEmpty { return ("unsupported", .unreadable(kind: "unsupported")) }
        if text.isEmpty { return ("text", .recordOnly(kind: "text", text: "")) }
        return (message.storyURL != nil ? "story_reply" : "text", .text(text))
    }

    /// Instagram names no media type: photos arrive as JPEG and voice messages as MP4 audio (which the reader tells
    /// apart by their bytes, and refuses with the reason when it cannot read them).
    static func declaredType(of kind: CustomerMedia.Kind) -> String {
        switch kind {
        case .image, .sticker: "image/jpeg"
        case .audio: "audio/mp4"
        case .document: "application/pdf"
        }
    }
}

/// Sends replies through Instagram's Send API: plain text split at 1,000 characters, buttons as quick replies, its
/// 24-hour window for the assistant and the `HUMAN_AGENT` tag for a person's reply up to 7 days.
struct InstagramChannel: OutboundChannel {
    let client: GraphAPIClient
    let backoff = RetryBackoff()
    let logger: Logger
    var metrics: BalcaoMetrics?

    func prepare(_ markdown: String, for conversation: Conversation) -> [String] {
        InstagramFormatter.messages(fromMarkdown: markdown)
    }

    func replyWindow(for conversation: Conversation, byPerson: Bool, at date: Date) -> ReplyWindow {
        guard let hours = conversation.hoursSinceCustomer(at: date) else {
            return .closed(reason: "Instagram allows replies only after the customer has written.")
        }
        if hours < InstagramOutgoingMessage.standardWindow / 3600 { return .open }
        if byPerson, hours < InstagramOutgoingMessage.humanAgentWindow / 3600 { return .humanAgentOnly }
        return byPerson
            ? .closed(reason: "Instagram allows a person's reply only up to 7 days after the customer's last message.")
            : .closed(reason: "Instagram allows the assistant to reply only within 24 hours of the customer's last message.")
    }

    func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await send(InstagramOutgoingMessage(recipientID: conversation.customerID, text: text), from: conversation.phoneNumberID)
    }

    func sendHumanAgentText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await send(InstagramOutgoingMessage(recipientID: conversation.customerID, text: text, humanAgent: true), from: conversation.phoneNumberID)
    }

    func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await sendQuickReplies(text, options: buttons, to: conversation)
    }

    func sendList(_ text: String, button: String, rows: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        await sendQuickReplies(text, options: rows, to: conversation)
    }

    /// Quick replies under the text; where they would not fit (a text too long, too many), the options to type.
    private func sendQuickReplies(_ text: String, options: [ReplyButton], to conversation: Conversation) async -> SendOutcome {
        guard text.count <= InstagramOutgoingMessage.maximumTextLength, (1...InstagramOutgoingMessage.maximumQuickReplies).contains(options.count)
        else {
            return await sendText(Self.textWithRows(text, rows: options), to: conversation, callbackData: "")
        }
        let message = InstagramOutgoingMessage(
            recipientID: conversation.customerID,
            text: text,
            quickReplies: options.map { .init(title: $0.title, payload: $0.id) }
        )
        return await send(message, from: conversation.phoneNumberID)
    }

    func sendTemplate(name: String, language: String, parameters: [String], to conversation: Conversation, callbackData: String) async -> SendOutcome
    {
        .refused(.doNotRetry, code: nil, reason: "Instagram has no message templates.")
    }

    func markRead(messageID: String, in conversation: Conversation) async {}

    func retryDelay(attempt: Int) -> TimeInterval { backoff.interval(forAttempt: attempt) }

    private func send(_ message: InstagramOutgoingMessage, from accountID: String) async -> SendOutcome {
        let outcome = await attempt(message, from: accountID)
        metrics?.send(channel: .instagram, outcome: outcome)
        return outcome
    }

    private func attempt(_ message: InstagramOutgoingMessage, from accountID: String) async -> SendOutcome {
        do {
            let (status, data, retryAfter) = try await client.postMessages(try InstagramWire.body(message), accountID: accountID)
            return .sent(messageID: try InstagramWire.parseSendResponse(status: status, body: data, retryAfter: retryAfter))
        } catch {
            return .failed(error) { InstagramSendPolicy.forError(code: $0.code, subcode: $0.subcode, httpStatus: $0.httpStatus) }
        }
    }
}

/// Fetches the files Instagram customers send: the attachment's signed CDN address, on Meta's hosts only (or the
/// configured Graph API's host), within the same size and type limits as WhatsApp's.
struct InstagramMediaFetcher: MediaFetching {
    let client: GraphAPIClient
    let backoff = RetryBackoff()

    /// Hosts an attachment may be fetched from.
    static let metaHostSuffixes = [".fbsbx.com", ".cdninstagram.com", ".fbcdn.net", ".facebook.com", ".instagram.com"]

    func fetch(_ media: CustomerMedia, acceptedTypes: Set<String>, maxBytes: Int, into sink: (Data) throws -> Void) async -> MediaFetchResult {
        guard let url = URL(string: media.channelMediaID), let host = url.host?.lowercased(), isAllowed(host: host, scheme: url.scheme) else {
            return .failed(.unavailable, detail: "the attachment's address is not on Meta's hosts")
        }
        let info = MediaInfo(id: media.channelMediaID, url: media.channelMediaID, mimeType: media.declaredMimeType ?? "application/octet-stream")
        do {
            let downloaded = try await client.downloadMedia(info, limits: MediaLimits(maxBytes: maxBytes, allowedTypes: acceptedTypes), into: sink)
            return .fetched(mimeType: downloaded.mimeType)
        } catch {
            return WhatsAppMediaFetcher.result(of: error)
        }
    }

    func isAllowed(host: String, scheme: String?) -> Bool {
        if let graphHost = URL(string: client.baseURL)?.host?.lowercased(), host == graphHost { return true }
        return scheme == "https" && Self.metaHostSuffixes.contains { host.hasSuffix($0) }
    }

    func retryDelay(attempt: Int) -> TimeInterval { backoff.interval(forAttempt: attempt) }
}

/// Fetches each customer's file from the channel it came on: Instagram's attachments are addresses, WhatsApp's media
/// ids (digits) are looked up through the Graph API.
struct ChannelMediaFetcher: MediaFetching {
    let whatsapp: any MediaFetching
    let instagram: (any MediaFetching)?

    func fetch(_ media: CustomerMedia, acceptedTypes: Set<String>, maxBytes: Int, into sink: (Data) throws -> Void) async -> MediaFetchResult {
        if media.channelMediaID.hasPrefix("https://") || media.channelMediaID.hasPrefix("http://") {
            guard let instagram else { return .failed(.unavailable, detail: "Instagram is not configured") }
            return await instagram.fetch(media, acceptedTypes: acceptedTypes, maxBytes: maxBytes, into: sink)
        }
        return await whatsapp.fetch(media, acceptedTypes: acceptedTypes, maxBytes: maxBytes, into: sink)
    }

    func retryDelay(attempt: Int) -> TimeInterval { whatsapp.retryDelay(attempt: attempt) }
}
