public import Foundation
public import Storage

/// The outbound side of every configured channel: each call goes to the channel of the conversation it names. A
/// conversation on a channel that is not configured (its settings removed since) is refused for good, with the reason.
public struct ChannelSwitch: OutboundChannel {
    /// The channels, by the conversations they serve.
    public let channels: [MessagingChannel: any OutboundChannel]

    /// Creates the switch.
    public init(_ channels: [MessagingChannel: any OutboundChannel]) {
        self.channels = channels
    }

    private static func notConfigured(_ conversation: Conversation) -> SendOutcome {
        .refused(.doNotRetry, code: nil, reason: "The \(conversation.channel.rawValue) channel is not configured.")
    }

    public func prepare(_ markdown: String, for conversation: Conversation) -> [String] {
        channels[conversation.channel]?.prepare(markdown, for: conversation) ?? [markdown]
    }

    public func replyWindow(for conversation: Conversation, byPerson: Bool, at date: Date) -> ReplyWindow {
        guard let channel = channels[conversation.channel] else {
            return .closed(reason: "The \(conversation.channel.rawValue) channel is not configured.")
        }
        return channel.replyWindow(for: conversation, byPerson: byPerson, at: date)
    }

    public func sendText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        guard let channel = channels[conversation.channel] else { return Self.notConfigured(conversation) }
        return await channel.sendText(text, to: conversation, callbackData: callbackData)
    }

    public func sendHumanAgentText(_ text: String, to conversation: Conversation, callbackData: String) async -> SendOutcome {
        guard let channel = channels[conversation.channel] else { return Self.notConfigured(conversation) }
        return await channel.sendHumanAgentText(text, to: conversation, callbackData: callbackData)
    }

    public func sendTemplate(
        name: String,
        language: String,
        parameters: [String],
        to conversation: Conversation,
        callbackData: String
    ) async -> SendOutcome {
        guard let channel = channels[conversation.channel] else { return Self.notConfigured(conversation) }
        return await channel.sendTemplate(name: name, language: language, parameters: parameters, to: conversation, callbackData: callbackData)
    }

    public func sendButtons(_ text: String, buttons: [ReplyButton], to conversation: Conversation, callbackData: String) async -> SendOutcome {
        guard let channel = channels[conversation.channel] else { return Self.notConfigured(conversation) }
        return await channel.sendButtons(text, buttons: buttons, to: conversation, callbackData: callbackData)
    }

    public func sendList(
        _ text: String,
        button: String,
        rows: [ReplyButton],
        to conversation: Conversation,
        callbackData: String
    ) async -> SendOutcome {
        guard let channel = channels[conversation.channel] else { return Self.notConfigured(conversation) }
        return await channel.sendList(text, button: button, rows: rows, to: conversation, callbackData: callbackData)
    }

    public func markRead(messageID: String, in conversation: Conversation) async {
        await channels[conversation.channel]?.markRead(messageID: messageID, in: conversation)
    }

    /// WhatsApp's back-off (every channel here is an HTTP API with the same kind of limits), or one minute.
    public func retryDelay(attempt: Int) -> TimeInterval {
        (channels[.whatsapp] ?? channels.values.first)?.retryDelay(attempt: attempt) ?? 60
    }
}
