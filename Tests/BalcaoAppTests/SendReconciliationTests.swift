import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Synchronization
import Testing

/// Exact reconciliation of sends: every send carries `biz_opaque_callback_data` naming its outbox item and attempt
/// (recorded before the request leaves); a status webhook settles the item it names, nothing is guessed, and an item
/// whose outcome is unknown is sent again only after the reconcile time, once, counted.
@Suite("Send reconciliation")
struct SendReconciliationTests {
    /// Real time moved forward by what the test says: deadlines pass when the test decides, never because the machine
    /// was slow.
    final class TestClock: Sendable {
        private let offset = Mutex<TimeInterval>(0)
        /// Now, as the outbox sees it.
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
        /// Moves the clock to `seconds` past real time.
        func set(ahead seconds: TimeInterval) { offset.withLock { $0 = seconds } }
    }

    static let phoneNumberID = WhatsAppHarness.phoneNumberID

    /// Opens (or finds) the conversation of `customer` through the inbox, as a delivery would.
    @discardableResult
    static func conversation(_ database: AppDatabase, customer: String = "5511999990001") async throws -> Conversation {
        let inbox = try await database.storeWebhook(body: Data("{}".utf8))
        let message = InboundMessage(
            id: "wamid.IN-\(UUID().uuidString)",
            phoneNumberID: phoneNumberID,
            customerID: customer,
            addressing: "to",
            customerName: "Maria",
            timestamp: Date(),
            kind: "text",
            content: .recordOnly(kind: "text", text: "oi")
        )
        _ = try await database.applyWebhook(id: inbox, events: [.message(message)], quietPeriod: 0, textOnlyReply: { _ in "" })
        return try #require(try database.conversations().first { $0.customerID == customer })
    }

    /// Applies status events as one delivery.
    static func apply(_ database: AppDatabase, _ statuses: [InboundStatus]) async throws -> InboxApplication {
        let inbox = try await database.storeWebhook(body: Data("{}".utf8))
        return try await database.applyWebhook(id: inbox, events: statuses.map { .status($0) }, quietPeriod: 0, textOnlyReply: { _ in "" })
    }

    static func status(_ wamid: String, _ state: InboundStatus.State = .delivered, callback: String?) -> InboundStatus {
        InboundStatus(
            messageID: wamid,
            phoneNumberID: phoneNumberID,
            recipientID: "5511999990001",
            state: state,
            errorDescription: nil,
            callbackData: callback
        )
    }

    static func item(_ database: AppDatabase, _ id: Int64) throws -> OutboxItem {
        try #require(try database.reader.read { db in try OutboxItem.fetchOne(db, key: id) })
    }

    static func firstItem(_ database: AppDatabase) throws -> OutboxItem {
        try #require(try database.reader.read { db in try OutboxItem.order(Column("id")).fetchOne(db) })
    }

    static func message(_ database: AppDatabase, _ id: Int64) throws -> ConversationMessage {
        try #require(try database.reader.read { db in try ConversationMessage.fetchOne(db, key: id) })
    }

    // MARK: The outbox's states

    @Test("the callback data names the item and its attempt: balcao:outbox:<id>:<attempt>, and only that is read back")
    func callbackFormat() {
        #expect(OutboxCallback(outboxID: 42, attempt: 3).description == "balcao:outbox:42:3")
        #expect(OutboxCallback("balcao:outbox:42:3") == OutboxCallback(outboxID: 42, attempt: 3))
        for foreign in [
            nil, "", "outbox-7", "balcao:outbox:42", "balcao:outbox:x:1", "balcao:outbox:0:1", "balcao:outbox:4:0", "balcao:inbox:4:1",
            "balcao:outbox:4:1:extra",
        ] {
            #expect(OutboxCallback(foreign) == nil, "\(foreign ?? "nil")")
        }
    }

    @Test("an attempt is recorded before the send; markUncertain leaves it waiting, retryUnconfirmedSends sends it again after the cutoff only")
    func markUncertainAndRetry() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // stored to the millisecond
        let messageID = try await database.enqueueReply(conversationID: conversation.id!, text: "Olá!", author: "assistant", now: t0)
        let laterID = try await database.enqueueReply(conversationID: conversation.id!, text: "E mais isto.", author: "assistant", now: t0)

        let claimed = try #require(try await database.claimSend(now: t0))
        #expect(claimed.message.id == messageID)
        #expect(claimed.item.state == .sending)
        #expect(claimed.item.attempts == 1)
        #expect(claimed.callback.description == "balcao:outbox:\(claimed.item.id!):1")
        // What is stored already says an attempt is under way, before anything was sent.
        let stored = try Self.item(database, claimed.item.id!)
        #expect(stored.state == .sending && stored.attempts == 1 && stored.lastAttemptAt == t0)
        #expect(try Self.message(database, messageID).status == "sending")
        #expect(try await database.claimSend(now: t0.addingTimeInterval(1)) == nil, "a later reply waits while an earlier one is being sent")

        try await database.markUncertain(claimed.item, error: "timeout", now: t0.addingTimeInterval(20))
        var item = try Self.item(database, claimed.item.id!)
        #expect(item.state == .uncertain)
        #expect(item.lastError == "timeout")
        #expect(try await database.claimSend(now: t0.addingTimeInterval(21)) == nil, "a later reply waits while an earlier one is uncertain")

        // The wait is measured from when the outcome turned unknown (t0 + 20 s): not yet.
        #expect(try await database.retryUnconfirmedSends(olderThan: t0.addingTimeInterval(19), now: t0.addingTimeInterval(30)).isEmpty)
        #expect(try Self.item(database, claimed.item.id!).state == .uncertain)
        // Past it: pending again, once.
        let retried = try await database.retryUnconfirmedSends(olderThan: t0.addingTimeInterval(21), now: t0.addingTimeInterval(91))
        #expect(retried.map(\.id) == [claimed.item.id])
        #expect(try await database.retryUnconfirmedSends(olderThan: t0.addingTimeInterval(21), now: t0.addingTimeInterval(92)).isEmpty)
        item = try Self.item(database, claimed.item.id!)
        #expect(item.state == .pending)
        #expect(item.nextAttemptAt == t0.addingTimeInterval(91))
        #expect(try Self.message(database, messageID).status == "queued")

        let again = try #require(try await database.claimSend(now: t0.addingTimeInterval(91)))
        #expect(again.item.id == claimed.item.id)
        #expect(again.callback.description == "balcao:outbox:\(claimed.item.id!):2")
        try await database.markSent(again.item, messageID: "wamid.SECOND", now: t0.addingTimeInterval(92))
        // markUncertain after the item was settled (its status came first) leaves it settled.
        try await database.markUncertain(again.item, error: "late timeout", now: t0.addingTimeInterval(93))
        #expect(try Self.item(database, claimed.item.id!).state == .sent)
        #expect(try await database.claimSend(now: t0.addingTimeInterval(94))?.message.id == laterID)
    }

    @Test("at start, an item that was being sent when the process died is uncertain, not sent again, and waits from the start")
    func interruptedSendIsUncertain() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        try await Self.conversation(database, customer: "5511999990002")
        let other = try #require(try database.conversations().first { $0.customerID == "5511999990002" })
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await database.enqueueReply(conversationID: conversation.id!, text: "Olá!", author: "assistant", now: t0)
        try await database.enqueueReply(conversationID: other.id!, text: "Oi!", author: "assistant", now: t0)
        let claimed = try #require(try await database.claimSend(now: t0))
        let waiting = try #require(try await database.claimSend(now: t0))
        try await database.markUncertain(waiting.item, error: "timeout", now: t0.addingTimeInterval(20))
        // The process dies here, with one send in flight and one waiting for its status. The next start, 10 minutes later:
        let restart = t0.addingTimeInterval(600)
        #expect(try await database.recoverInterruptedSends(now: restart) == 1)
        let item = try Self.item(database, claimed.item.id!)
        #expect(item.state == .uncertain)
        #expect(item.attempts == 1)
        #expect(item.lastAttemptAt == t0)
        #expect(try await database.claimSend(now: restart) == nil)
        // Both wait a full reconcile time from the start: their statuses could not arrive while no daemon ran.
        #expect(try await database.retryUnconfirmedSends(olderThan: restart.addingTimeInterval(-1), now: restart).isEmpty)
        #expect(try await database.retryUnconfirmedSends(olderThan: restart.addingTimeInterval(1), now: restart).count == 2)
        #expect(try await database.recoverInterruptedSends() == 0)
    }

    // MARK: Statuses

    @Test("a status with only callback data settles the item it names, not the oldest uncertain one of the conversation")
    func callbackSettlesTheRightItem() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        let firstMessage = try await database.enqueueReply(conversationID: conversation.id!, text: "Primeira", author: "assistant")
        let secondMessage = try await database.enqueueReply(conversationID: conversation.id!, text: "Segunda", author: "assistant")
        let first = try #require(try await database.claimSend())
        try await database.markUncertain(first.item, error: "timeout")
        // The second is attempted too (as a store written by an earlier version may hold it): both uncertain.
        var secondItem = try #require(try database.outboxItem(ofMessage: secondMessage))
        secondItem.state = .uncertain
        secondItem.attempts = 1
        secondItem.lastAttemptAt = Date()
        let uncertainItem = secondItem
        try await database.writer.write { db in try uncertainItem.update(db) }
        let second = OutboxCallback(outboxID: secondItem.id!, attempt: 1)

        let result = try await Self.apply(database, [Self.status("wamid.SECOND-UNKNOWN", .delivered, callback: second.description)])
        #expect(result.statusUpdates == 1)
        #expect(try Self.item(database, secondItem.id!).state == .sent)
        #expect(try Self.item(database, first.item.id!).state == .uncertain, "the older uncertain item is not touched")
        let settled = try Self.message(database, secondMessage)
        #expect(settled.wamid == "wamid.SECOND-UNKNOWN")
        #expect(settled.status == "delivered")
        #expect(try Self.message(database, firstMessage).wamid == nil)
        #expect(try Self.message(database, firstMessage).status == "sending")

        // Later statuses of the same message follow its id now; the first's status settles the first.
        _ = try await Self.apply(database, [Self.status("wamid.SECOND-UNKNOWN", .read, callback: nil)])
        #expect(try Self.message(database, secondMessage).status == "read")
        _ = try await Self.apply(database, [Self.status("wamid.FIRST-UNKNOWN", .sent, callback: first.callback.description)])
        #expect(try Self.item(database, first.item.id!).state == .sent)
        #expect(try Self.message(database, firstMessage).wamid == "wamid.FIRST-UNKNOWN")
    }

    @Test("a late status of an earlier attempt never settles the next item of the conversation")
    func lateStatusOfEarlierAttempt() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        try await database.enqueueReply(conversationID: conversation.id!, text: "Primeira", author: "assistant")
        let secondMessage = try await database.enqueueReply(conversationID: conversation.id!, text: "Segunda", author: "assistant")
        // The first item's first attempt is lost; after the reconcile time the second attempt goes through.
        let attempt1 = try #require(try await database.claimSend())
        try await database.markUncertain(attempt1.item, error: "timeout")
        try await database.retryUnconfirmedSends(olderThan: Date().addingTimeInterval(1))
        let attempt2 = try #require(try await database.claimSend())
        #expect(attempt2.callback.attempt == 2)
        try await database.markSent(attempt2.item, messageID: "wamid.FIRST-ATTEMPT-2")
        // The second item is now uncertain.
        let second = try #require(try await database.claimSend())
        #expect(second.message.id == secondMessage)
        try await database.markUncertain(second.item, error: "timeout")

        // Attempt 1 of the first item did reach WhatsApp; its status comes now. It is not the second item's.
        let result = try await Self.apply(database, [Self.status("wamid.FIRST-ATTEMPT-1", .sent, callback: attempt1.callback.description)])
        #expect(result.secondCopies == 1)
        #expect(try Self.item(database, second.item.id!).state == .uncertain)
        #expect(try Self.message(database, secondMessage).wamid == nil)
    }

    @Test("a status for an unknown message or callback changes nothing")
    func unknownStatusChangesNothing() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        try await Self.conversation(database, customer: "5511999990002")
        try await database.enqueueReply(conversationID: conversation.id!, text: "Olá!", author: "assistant")
        let claimed = try #require(try await database.claimSend())
        try await database.markUncertain(claimed.item, error: "timeout")
        let snapshot = {
            try database.reader.read { db in
                (try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id"), try Row.fetchAll(db, sql: "SELECT * FROM message ORDER BY id"))
            }
        }
        let before = try snapshot()
        let id = claimed.item.id!
        let result = try await Self.apply(
            database,
            [
                Self.status("wamid.NEVER-SEEN", .sent, callback: nil),
                Self.status("wamid.NEVER-SEEN-2", .delivered, callback: "outbox-\(id)"),
                Self.status("wamid.NEVER-SEEN-3", .delivered, callback: "balcao:outbox:\(id + 100):1"),
                Self.status("wamid.NEVER-SEEN-4", .delivered, callback: "balcao:outbox:\(id):2"),
                InboundStatus(
                    messageID: "wamid.NEVER-SEEN-5",
                    phoneNumberID: "999999999",
                    recipientID: "5511999990001",
                    state: .delivered,
                    errorDescription: nil,
                    callbackData: claimed.callback.description
                ),
            ]
        )
        #expect(result.statusUpdates == 0)
        #expect(result.unmatchedStatuses == 5)
        let after = try snapshot()
        #expect(after.0 == before.0)
        #expect(after.1 == before.1)
        #expect(try Self.item(database, id).state == .uncertain)
    }

    @Test("a late status settles an item already due to be sent again, and a failing later attempt does not unsettle it")
    func lateStatusWins() async throws {
        let daemon = try TestDaemon()
        let database = daemon.balcao.database
        let conversation = try await Self.conversation(database)
        let messageID = try await database.enqueueReply(conversationID: conversation.id!, text: "Olá!", author: "assistant")
        let first = try #require(try await database.claimSend())
        try await database.markUncertain(first.item, error: "timeout")
        try await database.retryUnconfirmedSends(olderThan: Date().addingTimeInterval(1))
        #expect(try Self.item(database, first.item.id!).state == .pending)
        // The first attempt's status arrives before the item is sent again: it is not sent again.
        _ = try await Self.apply(database, [Self.status("wamid.LATE", .sent, callback: first.callback.description)])
        #expect(try Self.item(database, first.item.id!).state == .sent)
        #expect(try await database.claimSend() == nil)
        #expect(try Self.message(database, messageID).wamid == "wamid.LATE")

        // Another item: its status arrives while its attempt is still in flight, and the attempt then ends in a refusal.
        let otherMessage = try await database.enqueueReply(conversationID: conversation.id!, text: "Mais uma", author: "assistant")
        let other = try #require(try await database.claimSend())
        _ = try await Self.apply(database, [Self.status("wamid.FAST", .sent, callback: other.callback.description)])
        try await database.retrySend(other.item, error: "503", after: 1)
        try await database.failSend(other.item, reason: "refused")
        #expect(try Self.item(database, other.item.id!).state == .sent)
        #expect(try Self.message(database, otherMessage).status == "sent")
        // A second copy's status (another id, same item) is reported and changes nothing.
        let result = try await Self.apply(database, [Self.status("wamid.COPY", .sent, callback: other.callback.description)])
        #expect(result.secondCopies == 1)
        #expect(try Self.message(database, otherMessage).wamid == "wamid.FAST")
    }

    // MARK: Over HTTP, with the fake Graph API

    @Test("every send carries its callback data, and the fake Graph API's status webhooks echo it back to the daemon")
    func statusesEchoCallbackData() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        try await harness.run { client in
            let port = try #require(client.port)
            harness.graph.deliverStatuses(
                .init(
                    url: URL(string: "http://127.0.0.1:\(port)/webhooks/whatsapp")!,
                    appSecret: WhatsAppHarness.appSecret,
                    states: ["sent", "delivered", "read"]
                )
            )
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.graph.waitForRequests(1) { !$0.isMarkAsRead }
            let request = try #require(sent.first)
            let callback = try #require(request.json?["biz_opaque_callback_data"] as? String)
            let item = try Self.firstItem(database)
            #expect(callback == "balcao:outbox:\(item.id!):1")
            #expect(try await eventually { try Self.message(database, item.messageId).status == "read" })
            // The fake counts a delivery once it has read the 200, which can come after the daemon applied it.
            #expect(await eventually { harness.graph.deliveredStatusWebhooks == 3 })
            #expect(try Self.message(database, item.messageId).wamid == request.responseMessageID)
        }
    }

    @Test("a send whose answer was lost is settled by the status that names it, and never sent twice")
    func lostAnswerSettledByStatus() async throws {
        let harness = try await WhatsAppHarness.start { $0.whatsapp.reconcileAfterSeconds = 3600 }
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        harness.graph.enqueue(.init(dropsAnswer: true))
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.graph.waitForRequests(1) { !$0.isMarkAsRead }
            let request = try #require(sent.first)
            let accepted = try #require(request.responseMessageID, "the fake accepted the message")
            let item = { try Self.firstItem(database) }
            #expect(try await eventually { try item().state == .uncertain }, "\((try? item().state.rawValue) ?? "?")")
            #expect(try Self.message(database, item().messageId).wamid == nil, "the daemon never learned the id")

            // Meta's statuses reach the daemon: the item is settled by its callback data.
            let body = try #require(FakeGraphAPI.statusWebhookBody(for: request, status: "delivered"))
            try await harness.deliver(body, client: client)
            #expect(try await eventually { try item().state == .sent })
            let message = try Self.message(database, item().messageId)
            #expect(message.wamid == accepted)
            #expect(message.status == "delivered")
            #expect(try await harness.daemon.balcao.conversations.reconcileUnconfirmedSends().isEmpty)
            #expect(harness.graph.sentMessages.count == 1)
        }
    }

    @Test("an uncertain item is not sent again before the reconcile time, and is sent again once after it, counted")
    func unconfirmedSendRetriedOnceAfterDeadline() async throws {
        let graph = try await FakeGraphAPI.start()
        defer { Task { await graph.stop() } }
        let daemon = try TestDaemon { configuration in
            configuration.whatsapp.appSecret = WhatsAppHarness.appSecret
            configuration.whatsapp.accessToken = graph.accessToken
            configuration.whatsapp.graphBaseURL = graph.baseURL
            configuration.whatsapp.reconcileAfterSeconds = 3600
        }
        let balcao = daemon.balcao
        let clock = TestClock()
        var service = balcao.conversations
        service.clock = { clock.now() }
        let conversation = try await Self.conversation(balcao.database)
        let messageID = try await balcao.database.enqueueReply(conversationID: conversation.id!, text: "Olá!", author: "assistant")
        graph.enqueue(.init(dropsAnswer: true))

        let runningService = service
        let running = Task { try await runningService.run() }
        defer { running.cancel() }
        _ = await graph.waitForRequests(1) { !$0.isMarkAsRead }
        let itemID = try #require(try balcao.database.outboxItem(ofMessage: messageID)?.id)
        #expect(try await eventually { try Self.item(balcao.database, itemID).state == .uncertain })

        // 50 minutes later (by the clock): still waiting for a status.
        clock.set(ahead: 3000)
        #expect(try await service.reconcileUnconfirmedSends().isEmpty)
        #expect(graph.sentMessages.count == 1)
        #expect(try Self.item(balcao.database, itemID).state == .uncertain)
        #expect(try balcao.metrics.render(database: balcao.database, vectorIndexSize: nil).contains("balcao_sends_unconfirmed_total 0"))

        // Past the hour: put back in the queue, once, and sent again by the service's sender (woken by that write: the
        // running reconcile loop itself sleeps until the deadline by the real clock, which this test does not move).
        clock.set(ahead: 3601)
        #expect(try await service.reconcileUnconfirmedSends().map(\.id) == [itemID])
        let again = await graph.waitForRequests(2) { !$0.isMarkAsRead }
        #expect(again.count == 2)
        #expect(again.last?.json?["biz_opaque_callback_data"] as? String == "balcao:outbox:\(itemID):2")
        #expect(try await eventually { try Self.item(balcao.database, itemID).state == .sent })
        #expect(try Self.message(balcao.database, messageID).wamid == again.last?.responseMessageID)
        #expect(try balcao.metrics.render(database: balcao.database, vectorIndexSize: nil).contains("balcao_sends_unconfirmed_total 1"))
        #expect(try await service.reconcileUnconfirmedSends().isEmpty)
        #expect(graph.sentMessages.count == 2)
    }
}
