public import Answering
public import Foundation
public import Logging
public import ServiceLifecycle
public import Storage

/// The background work of answering customers: applying webhook deliveries from the durable inbox, answering turns
/// once their quiet period passes, and sending replies from the outbox.
///
/// Everything it does is driven by rows in the database, so a crash or `kill -9` at any point loses nothing: on start,
/// turns that were being answered are answered again (their replies had not been written), and sends whose outcome is
/// unknown — a timeout, a lost connection, or a process killed mid-send — wait for the status webhook that names them
/// (``OutboxCallback``); only when none came within ``ConversationSettings/reconcileAfter`` are they sent again, each
/// logged and reported to ``onUnconfirmedSend``.
public struct ConversationsService: Service {
    /// The store.
    public let database: AppDatabase
    /// Decodes each channel's deliveries.
    public let decoders: [MessagingChannel: any WebhookDecoding]
    /// Answers turns.
    public let turns: TurnProcessor
    /// Sends replies.
    public let sender: OutboxSender
    /// Fetches and reads the files customers send (`nil`: they get the "text only" reply).
    public let media: MediaProcessor?
    /// Behaviour.
    public let settings: ConversationSettings
    /// Where work is logged.
    public let logger: Logger
    /// The deliveries the webhook endpoint is receiving (it counts them here): the inbox worker defers to a burst.
    public let incoming: IncomingDeliveries
    /// The time of the flow's decisions: the outbox's attempts and reconcile deadline, a turn's answer (opening hours,
    /// the hand-off's time-out); tests move it. The quiet period that closes a turn is measured on the system's clock.
    public var clock: @Sendable () -> Date = Date.init
    /// Customers' data (export, erasure); with ``ConversationSettings/retention`` the service erases silent customers.
    public var customerData: CustomerData?
    /// Called for each item sent again because no status confirmed its attempt within the reconcile time (metrics).
    public var onUnconfirmedSend: @Sendable (OutboxItem) -> Void = { _ in }

    /// Creates the service.
    public init(
        database: AppDatabase,
        decoders: [MessagingChannel: any WebhookDecoding],
        answerer: Answerer,
        credits: any CreditGate,
        channel: any OutboundChannel,
        settings: ConversationSettings,
        logger: Logger,
        media: (store: CustomerMediaStore, fetcher: any MediaFetching, reader: any MediaReading)? = nil
    ) {
        self.database = database
        self.decoders = decoders
        let sender = OutboxSender(database: database, channel: channel, settings: settings, logger: logger)
        self.sender = sender
        self.media = media.map { media in
            MediaProcessor(
                database: database,
                store: media.store,
                fetcher: media.fetcher,
                reader: media.reader,
                settings: settings.media,
                logger: logger
            )
        }
        self.turns = TurnProcessor(
            database: database,
            answerer: answerer,
            credits: credits,
            channel: channel,
            sender: sender,
            settings: settings,
            logger: logger,
            mediaStore: media?.store
        )
        self.settings = settings
        self.logger = logger
        self.incoming = IncomingDeliveries(burstDeliveries: settings.burstDeliveries, gap: settings.burstGap)
    }

    /// What may be sent in `conversation` now, by a person or by the assistant (its channel's rule).
    public func replyWindow(for conversation: Conversation, byPerson: Bool) -> ReplyWindow {
        sender.channel.replyWindow(for: conversation, byPerson: byPerson, at: clock())
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        let requeued = try await database.requeueInterruptedTurns()
        if requeued > 0 { logger.notice("answering interrupted turns again", metadata: ["count": "\(requeued)"]) }
        let interrupted = try await database.recoverInterruptedSends(now: clock())
        if interrupted > 0 {
            logger.notice(
                "sends interrupted by the last stop wait for their status before being sent again",
                metadata: ["count": "\(interrupted)", "reconcile_after_s": "\(settings.reconcileAfter)"]
            )
        }
        if media != nil {
            let (requeued, failed) = try await database.recoverInterruptedMedia(maximumAttempts: settings.media.maxAttempts, now: clock())
            if requeued > 0 { logger.notice("fetching customers' files interrupted by the last stop again", metadata: ["count": "\(requeued)"]) }
            if failed > 0 {
                logger.warning("customers' files interrupted too many times were given up", metadata: ["count": "\(failed)"])
            }
        }
        // A turn or send is claimed by the one worker its commit woke, whose claim wakes the next idle one.
        let bells = Bells(
            inbox: database.workBell(ringingOnChangesTo: ["webhookInbox"]),
            turns: database.workBell(ringingOnChangesTo: ["turn"], waking: .oneWorker),
            outbox: database.workBell(ringingOnChangesTo: ["outbox"], waking: .oneWorker),
            reconcile: database.workBell(ringingOnChangesTo: ["outbox"]),
            media: database.workBell(ringingOnChangesTo: ["customerMedia"]),
            lifecycle: database.workBell(ringingOnChangesTo: ["conversation"])
        )
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await inboxLoop(bells.inbox) }
                for _ in 0..<settings.turnConcurrency { group.addTask { await turnLoop(bells.turns) } }
                for _ in 0..<settings.sendConcurrency { group.addTask { await sendLoop(bells.outbox) } }
                group.addTask { await reconcileLoop(bells.reconcile) }
                group.addTask { await lifecycleLoop(bells.lifecycle) }
                if let customerData, let retention = settings.retention {
                    group.addTask { await customerRetentionLoop(customerData, retention: retention, bells.lifecycle) }
                }
                if let media {
                    // Two files at a time (by default): a long one does not hold up another customer's.
                    for _ in 0..<max(1, settings.media.workers) { group.addTask { await mediaLoop(media, bells.media) } }
                    group.addTask { await retentionLoop(media, bells.media) }
                }
            }
        }
    }

    /// Applies every unprocessed inbox entry, oldest first, a batch of entries per transaction; returns how many were
    /// applied (or kept as unreadable).
    @discardableResult
    public func drainInbox() async throws -> Int {
        var applied = 0
        while true {
            let batch = try await applyInboxBatch()
            if batch == 0 { return applied }
            applied += batch
        }
    }

    /// Applies the oldest unprocessed inbox entries, up to ``inboxBatch`` of them in one transaction; returns how many.
    func applyInboxBatch() async throws -> Int {
        let batch = try database.unprocessedWebhooks(limit: Self.inboxBatch)
        if batch.isEmpty { return 0 }
        let entries = batch.map { entry -> InboxEntry in
            do {
                guard let decoder = decoders[entry.channel] else { throw UnconfiguredChannel(channel: entry.channel) }
                return InboxEntry(id: entry.id, events: try decoder.events(from: entry.body))
            } catch {
                logger.warning("webhook body could not be read; kept in the inbox", metadata: ["inbox": "\(entry.id)", "error": "\(error)"])
                return InboxEntry(id: entry.id, unreadable: "\(error)")
            }
        }
        let result = try await database.applyWebhooks(
            entries,
            quietPeriod: settings.quietPeriod,
            textOnlyReply: { [database, settings] conversation in
                if let configured = settings.textOnlyMessage { return configured }
                let agent = conversation.agentId.flatMap { try? database.agent(id: $0) }
                return Phrases.forLanguage(agent?.language ?? "pt-BR").textOnly
            }
        )
        if result.duplicates > 0 { logger.info("duplicate deliveries ignored", metadata: ["count": "\(result.duplicates)"]) }
        if result.unmatchedStatuses > 0 {
            logger.info("statuses for messages this daemon did not send ignored", metadata: ["count": "\(result.unmatchedStatuses)"])
        }
        if result.secondCopies > 0 {
            logger.warning(
                "a message settled earlier reached WhatsApp once more (sent again after the reconcile time)",
                metadata: ["count": "\(result.secondCopies)"]
            )
        }
        return batch.count
    }

    /// Inbox entries applied per transaction.
    static let inboxBatch = 50

    // MARK: People

    /// A person takes the conversation over: the assistant stays silent until ``release(conversationID:)`` or until
    /// ``ConversationSettings/humanTimeout`` passes (by ``clock``). `nil` when there is no such conversation.
    public func takeOver(conversationID: Int64) async throws -> Conversation? {
        let now = clock()
        return try await database.setMode(conversationID: conversationID, .human, until: now.addingTimeInterval(settings.humanTimeout), now: now)
    }

    /// The assistant answers the conversation again.
    public func release(conversationID: Int64) async throws -> Conversation? {
        try await database.setMode(conversationID: conversationID, .assistant, until: nil, now: clock())
    }

    /// Queues an operator's reply; a person answering takes the conversation over if the assistant had it (as
    /// ``takeOver(conversationID:)``). Returns the message's id, `nil` when there is no such conversation; throws
    /// ``ReplyRefused`` when the conversation's channel no longer lets a person's reply reach the customer (Instagram
    /// after 7 days), so that nothing is queued only to fail.
    public func replyAsOperator(conversationID: Int64, text: String) async throws -> Int64? {
        let now = clock()
        if let conversation = try database.conversation(id: conversationID),
            case .closed(let reason) = sender.channel.replyWindow(for: conversation, byPerson: true, at: now)
        {
            throw ReplyRefused(channel: conversation.channel, reason: reason)
        }
        return try await database.enqueueOperatorReply(
            conversationID: conversationID,
            text: text,
            humanUntil: now.addingTimeInterval(settings.humanTimeout),
            now: now
        )?.messageID
    }

    /// Queues an approved template an operator chose (the customer's 24 hours are over): `text` is what the customer
    /// will read (the body with its parameters), shown in the thread. Takes the conversation over like a reply.
    public func sendTemplateAsOperator(conversationID: Int64, text: String, template: TemplateChoice) async throws -> Int64? {
        let now = clock()
        return try await database.enqueueOperatorReply(
            conversationID: conversationID,
            text: text,
            template: template,
            humanUntil: now.addingTimeInterval(settings.humanTimeout),
            now: now
        )?.messageID
    }

    /// Customers' data rights over this service's database: the daemon's (``customerData``), or one whose files are
    /// under `directory` when none was set.
    public func customerData(mediaIn directory: DataDirectory) -> CustomerData {
        customerData ?? CustomerData(database: database, mediaStore: CustomerMediaStore(directory: directory))
    }

    /// The bells of each kind of work, rung by the commits that create it.
    private struct Bells {
        let inbox: WorkBell
        let turns: WorkBell
        let outbox: WorkBell
        let reconcile: WorkBell
        let media: WorkBell
        let lifecycle: WorkBell
    }

    /// Sends the one follow-up after a silence and closes silent conversations (by ``clock``): it sleeps until the next
    /// one is due, woken by a change of a conversation.
    private func lifecycleLoop(_ bell: WorkBell) async {
        let rules = LifecycleRules(settings)
        guard rules.followUpAfter != nil || rules.closeAfter != nil else { return }
        let nextDue = { try database.nextLifecycleDue(rules) }
        await queueLoop(bell, failure: "could not follow up or close conversations", now: clock, nextDue: nextDue) { now in
            let done = try await database.applyLifecycle(rules, now: now) { conversation in
                let agent = try conversation.agentId.flatMap { try database.agent(id: $0) }
                return Phrases.forLanguage(agent?.language ?? "pt-BR").followUp
            }
            if done.followUps + done.closed > 0 {
                logger.info("conversations followed up and closed", metadata: ["follow_ups": "\(done.followUps)", "closed": "\(done.closed)"])
            }
            return done.followUps + done.closed > 0
        }
    }

    /// Erases customers silent for the retention period (by ``clock``): it sleeps until the next one's period ends.
    private func customerRetentionLoop(_ data: CustomerData, retention: TimeInterval, _ bell: WorkBell) async {
        let nextDue = { try data.nextRetentionDue(retention) }
        await queueLoop(bell, failure: "could not erase customers past the retention period", now: clock, nextDue: nextDue) { now in
            let erased = try await data.applyRetention(retention, now: now)
            if erased > 0 { logger.notice("customers past the retention period erased", metadata: ["customers": "\(erased)"]) }
            return erased > 0
        }
    }

    /// Fetches and reads customers' files as they arrive, and again when a retry's back-off (by ``clock``) ends.
    private func mediaLoop(_ media: MediaProcessor, _ bell: WorkBell) async {
        await queueLoop(bell, failure: "could not fetch a customer's file", now: clock, nextDue: database.nextMediaDue) { now in
            guard let claimed = try await database.claimDueMedia(now: now) else { return false }
            try await media.process(claimed, now: clock)
            return true
        }
    }

    /// Deletes kept files when their retention period ends (by ``clock``): it sleeps until the oldest one's end.
    private func retentionLoop(_ media: MediaProcessor, _ bell: WorkBell) async {
        while !Task.isCancelled {
            let ticket = bell.ticket()
            var wait = settings.idleWakeUp
            do {
                let now = clock()
                let removed = try await media.removeExpired(now: now)
                if removed > 0 { logger.info("customers' files past their retention period deleted", metadata: ["count": "\(removed)"]) }
                if let oldest = try database.oldestKeptMedia() {
                    wait = min(wait, WorkBell.duration(until: oldest.addingTimeInterval(settings.media.retention), from: now) + .milliseconds(1))
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("could not delete customers' files past their retention period", metadata: ["error": "\(error)"])
                wait = Self.errorPause
            }
            await bell.wait(since: ticket, atMost: wait)
        }
    }

    private func inboxLoop(_ bell: WorkBell) async {
        var deferring = true
        while !Task.isCancelled {
            let ticket = bell.ticket()
            var wait = settings.idleWakeUp
            // During a burst, acknowledging deliveries comes first: they are stored, so waiting loses nothing. A batch
            // at a time, so a burst that begins while the inbox is being applied is noticed at the next batch. A burst
            // that outlasts the bound is sustained load: the inbox is applied until empty before deferring again.
            if deferring, await !incoming.waitForLull(atMost: settings.burstDeferral) { deferring = false }
            do {
                if try await applyInboxBatch() > 0 { continue }
                deferring = true
            } catch is CancellationError {
                return  // stopping: the work stays in the database for the next start
            } catch {
                logger.error("inbox unavailable", metadata: ["error": "\(error)"])
                wait = Self.errorPause
            }
            await bell.wait(since: ticket, atMost: wait)
        }
    }

    private func turnLoop(_ bell: WorkBell) async {
        await queueLoop(bell, failure: "could not answer a turn", now: Date.init, nextDue: database.nextTurnDue) { now in
            guard let claimed = try await database.claimDueTurn(now: now) else { return false }
            try await turns.process(claimed, now: clock, sendClock: clock)
            return true
        }
    }

    private func sendLoop(_ bell: WorkBell) async {
        await queueLoop(bell, failure: "could not send a reply", now: clock, nextDue: database.nextSendDue) { now in
            guard let claimed = try await database.claimSend(now: now) else { return false }
            if try await sender.send(claimed, now: clock) == .paused {
                try? await Task.sleep(for: .seconds(settings.alertPause))
            }
            return true
        }
    }

    /// What every queue worker does: read when its next item is due; when it is, claim and work on it (`work` returns
    /// `false` when another worker claimed it first); otherwise sleep until then, or until a commit rings `bell`.
    private func queueLoop(
        _ bell: WorkBell,
        failure: Logger.Message,
        now: @Sendable () -> Date,
        nextDue: () throws -> Date?,
        work: (Date) async throws -> Bool
    ) async {
        while !Task.isCancelled {
            let ticket = bell.ticket()
            var wait = settings.idleWakeUp
            do {
                // Read first: a worker with nothing due takes no write lock.
                if let due = try nextDue() {
                    let now = now()
                    if due <= now, try await work(now) { continue }
                    // Not due yet, or claimed by another worker meanwhile (whose write rang the bell: no wait then).
                    wait = min(wait, due <= now ? Self.errorPause : WorkBell.duration(until: due, from: now))
                }
            } catch is CancellationError {
                return  // stopping: the work stays in the database for the next start
            } catch {
                logger.error(failure, metadata: ["error": "\(error)"])
                wait = Self.errorPause
            }
            await bell.wait(since: ticket, atMost: wait)
        }
    }

    /// Sends again, once, each item whose outcome stayed unknown for ``ConversationSettings/reconcileAfter`` (by
    /// ``clock``, since it became uncertain or since this daemon started) with no status webhook; returns them.
    @discardableResult
    public func reconcileUnconfirmedSends() async throws -> [OutboxItem] {
        let now = clock()
        let items = try await database.retryUnconfirmedSends(olderThan: now.addingTimeInterval(-settings.reconcileAfter), now: now)
        for item in items {
            logger.warning(
                "no status confirmed a send within the reconcile time; sending it again",
                metadata: [
                    "outbox": "\(item.id ?? 0)", "attempt": "\(item.attempts)", "conversation": "\(item.conversationId)",
                    "reconcile_after_s": "\(settings.reconcileAfter)",
                ]
            )
            onUnconfirmedSend(item)
        }
        return items
    }

    /// Sleeps until the oldest uncertain item's reconcile deadline (by ``clock``); a new uncertain item rings the
    /// outbox bell and moves the deadline.
    private func reconcileLoop(_ bell: WorkBell) async {
        while !Task.isCancelled {
            let ticket = bell.ticket()
            var wait = settings.idleWakeUp
            do {
                if let since = try database.oldestUncertainSend() {
                    let now = clock()
                    let deadline = since.addingTimeInterval(settings.reconcileAfter)
                    if deadline < now {
                        try await reconcileUnconfirmedSends()
                        continue
                    }
                    // Past the deadline by a hair: `retryUnconfirmedSends` takes items strictly older than it.
                    wait = min(wait, WorkBell.duration(until: deadline, from: now) + .milliseconds(1))
                }
            } catch is CancellationError {
                return  // stopping: the work stays in the database for the next start
            } catch {
                logger.error("could not reconcile sends", metadata: ["error": "\(error)"])
                wait = Self.errorPause
            }
            await bell.wait(since: ticket, atMost: wait)
        }
    }

    /// How long a worker waits after the database failed before it tries again.
    static let errorPause = Duration.seconds(1)
}

/// A stored delivery of a channel the daemon no longer reads (its settings were removed): kept, never applied.
struct UnconfiguredChannel: Error, CustomStringConvertible {
    var channel: MessagingChannel
    var description: String { "no \(channel.rawValue) channel is configured to read this delivery" }
}

/// An operator's reply the conversation's channel would not deliver: why, for the operator.
public struct ReplyRefused: Error, Sendable, CustomStringConvertible {
    /// The conversation's channel.
    public var channel: MessagingChannel
    /// Why (in English, from the channel's rule).
    public var reason: String
    public var description: String { reason }
}
