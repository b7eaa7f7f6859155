public import Foundation
public import Logging
public import Storage
import Synchronization

/// Sends queued replies: one conversation's messages strictly in order, the channel's window (``ReplyWindow``) checked
/// right before each send, and the channel's errors handled by policy (retry with back-off, give up with the reason, or stop and alert).
///
/// Each send carries its ``OutboxCallback`` (item and attempt, recorded before the request leaves) as callback data, so
/// a send whose answer was lost is settled by its status webhook instead of being sent twice.
public struct OutboxSender: Sendable {
    /// The store.
    public let database: AppDatabase
    /// The channel.
    public let channel: any OutboundChannel
    /// Behaviour.
    public let settings: ConversationSettings
    /// Where problems are logged.
    public let logger: Logger
    /// Until when sending is paused after WhatsApp asked the operator to act (shared by the copies of this sender).
    private let pausedUntil = PausedUntil()

    /// Creates a sender.
    public init(database: AppDatabase, channel: any OutboundChannel, settings: ConversationSettings, logger: Logger) {
        self.database = database
        self.channel = channel
        self.settings = settings
        self.logger = logger
    }

    /// Result of one send, for the caller's pacing.
    public enum Result: Sendable, Equatable {
        /// Sent or settled either way.
        case done
        /// The operator must act; the caller pauses sending.
        case paused
    }

    /// Whether sending is paused at `now`: the last refusal asked the operator to act less than
    /// ``ConversationSettings/alertPause`` ago. A turn then leaves its reply to the outbox workers.
    public func isPaused(at now: Date) -> Bool {
        pausedUntil.value.withLock { $0.map { now < $0 } ?? false }
    }

    /// Sends one claimed item and records what happened.
    public func send(_ claimed: ClaimedSend, now: @Sendable () -> Date = Date.init) async throws -> Result {
        let conversation = claimed.conversation
        let item = claimed.item
        let window = channel.replyWindow(for: conversation, byPerson: claimed.message.author == "operator", at: now())
        let outcome: SendOutcome
        var kind = "text"
        let callback = claimed.callback.description
        let options = claimed.message.replyOptions
        if let chosen = claimed.message.templateChoice {
            // A template an operator chose: sent as such inside the window or not.
            kind = "template"
            outcome = await channel.sendTemplate(
                name: chosen.name,
                language: chosen.language,
                parameters: chosen.parameters,
                to: conversation,
                callbackData: callback
            )
        } else if window == .open, let options, !options.options.isEmpty {
            kind = "interactive"
            switch options.style {
            case .buttons:
                outcome = await channel.sendButtons(claimed.message.text, buttons: options.options, to: conversation, callbackData: callback)
            case .list:
                outcome = await channel.sendList(
                    claimed.message.text,
                    button: options.listButton ?? "…",
                    rows: options.options,
                    to: conversation,
                    callbackData: callback
                )
            }
        } else if window == .open {
            outcome = await channel.sendText(claimed.message.text, to: conversation, callbackData: callback)
        } else if window == .humanAgentOnly {
            kind = "human_agent"
            outcome = await channel.sendHumanAgentText(claimed.message.text, to: conversation, callbackData: callback)
        } else if case .closed(let reason) = window {
            try await database.failSend(item, reason: "Not sent: \(reason)", now: now())
            return .done
        } else if let template = settings.windowTemplate {
            kind = "template"
            outcome = await channel.sendTemplate(
                name: template.name,
                language: template.language,
                parameters: [],
                to: conversation,
                callbackData: callback
            )
        } else {
            try await database.failSend(
                item,
                reason: "Not sent: the customer's last message is more than 24 hours old and no template is configured.",
                now: now()
            )
            return .done
        }
        switch outcome {
        case .sent(let messageID):
            try await database.markSent(item, messageID: messageID, kind: kind, now: now())
            return .done
        case .unknown(let reason):
            logger.warning(
                "send outcome unknown; waiting for a status webhook before sending again",
                metadata: ["outbox": "\(item.id!)", "attempt": "\(item.attempts)", "callback": "\(callback)", "error": "\(reason)"]
            )
            try await database.markUncertain(item, error: reason, now: now())
            return .done
        case .refused(.retry, let code, let reason):
            let delay = channel.retryDelay(attempt: item.attempts)
            logger.notice("send refused; will retry", metadata: ["code": "\(code.map(String.init) ?? "-")", "delay_s": "\(delay)"])
            try await database.retrySend(item, error: reason, after: delay, now: now())
            return .done
        case .refused(.doNotRetry, let code, let reason):
            logger.notice("send refused for good", metadata: ["code": "\(code.map(String.init) ?? "-")", "reason": "\(reason)"])
            try await database.failSend(item, reason: reason, now: now())
            return .done
        case .refused(.stopAndAlert, let code, let reason):
            logger.error(
                "WhatsApp refused the send; sending is paused until this is fixed",
                metadata: ["code": "\(code.map(String.init) ?? "-")", "reason": "\(reason)"]
            )
            try await database.raiseAlert(kind: "whatsapp", message: "WhatsApp error \(code.map(String.init) ?? "?"): \(reason)", now: now())
            pausedUntil.value.withLock { $0 = now().addingTimeInterval(settings.alertPause) }
            try await database.retrySend(item, error: reason, after: settings.alertPause, now: now())
            return .paused
        }
    }
}

/// A time shared by copies of a struct.
private final class PausedUntil: Sendable {
    let value = Mutex<Date?>(nil)
}
