/// What every send carries so that its status webhooks name the outbox item they settle, even when the send's answer
/// (the message id) never arrived: WhatsApp's `biz_opaque_callback_data`, echoed in every status of the message.
///
/// The text is `balcao:outbox:<outbox id>:<attempt>`, e.g. `balcao:outbox:42:1` for the first attempt of item 42. The
/// attempt is recorded in the database before the request leaves, so the value names exactly one request; a status
/// for an earlier attempt still settles the item (that copy reached WhatsApp).
public struct OutboxCallback: Sendable, Hashable, CustomStringConvertible {
    /// The outbox item's id.
    public var outboxID: Int64
    /// The attempt (1-based) that sent the message.
    public var attempt: Int

    /// Names one attempt of one item.
    public init(outboxID: Int64, attempt: Int) {
        self.outboxID = outboxID
        self.attempt = attempt
    }

    /// Reads a value Balcão wrote; `nil` for anything else (another application's callback data, none at all).
    public init?(_ text: String?) {
        guard let text, text.utf8.count <= 128 else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "balcao", parts[1] == "outbox", let id = Int64(parts[2]), id > 0,
            let attempt = Int(parts[3]), attempt > 0
        else { return nil }
        self.init(outboxID: id, attempt: attempt)
    }

    /// `balcao:outbox:<id>:<attempt>` (well under Meta's 512 characters).
    public var description: String { "balcao:outbox:\(outboxID):\(attempt)" }
}
