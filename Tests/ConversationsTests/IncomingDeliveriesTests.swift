import Answering
import Foundation
import Logging
import Retrieval
import Storage
import Synchronization
import Testing

@testable import Conversations

/// Receiving comes first during a burst (``IncomingDeliveries``), and the inbox is applied a batch per transaction.
@Suite("Incoming deliveries and the inbox", .timeLimit(.minutes(2)))
struct IncomingDeliveriesTests {
    /// Holds `count` deliveries open until ``finish()`` (each one ``IncomingDeliveries/receiving(_:)`` a body that
    /// waits on a stream).
    struct OpenDeliveries {
        let finish: @Sendable () -> Void
        let done: Task<Void, Never>

        init(_ incoming: IncomingDeliveries, count: Int) async {
            let (stream, continuation) = AsyncStream<Void>.makeStream()
            let started = AsyncStream<Void>.makeStream()
            let shared = SharedStream(stream: stream)
            done = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<count {
                        group.addTask {
                            await incoming.receiving {
                                started.continuation.yield()
                                await shared.waitForEnd()
                            }
                        }
                    }
                }
            }
            var entered = 0
            for await _ in started.stream {
                entered += 1
                if entered == count { break }
            }
            finish = { continuation.finish() }
        }
    }

    /// One stream every held delivery waits on until it ends.
    final class SharedStream: Sendable {
        let stream: AsyncStream<Void>
        init(stream: AsyncStream<Void>) { self.stream = stream }
        func waitForEnd() async { for await _ in stream {} }
    }

    @Test("a burst is as many deliveries at once as the threshold; waiting for the lull returns at once without one")
    func burstThreshold() async {
        let incoming = IncomingDeliveries(burstDeliveries: 3, gap: .zero)
        #expect(!incoming.isBursting)
        #expect(await incoming.waitForLull(atMost: .seconds(3600)))  // at once: no burst

        let open = await OpenDeliveries(incoming, count: 3)
        #expect(incoming.count == 3)
        #expect(incoming.isBursting)
        open.finish()
        await open.done.value
        #expect(incoming.count == 0)
        #expect(!incoming.isBursting)
    }

    @Test("a burst lasts from the threshold until no delivery was received for the gap, whatever dips come between")
    func burstHysteresis() async {
        let incoming = IncomingDeliveries(burstDeliveries: 2, gap: .zero)
        let first = await OpenDeliveries(incoming, count: 1)
        #expect(!incoming.isBursting)  // one at a time is never a burst
        let second = await OpenDeliveries(incoming, count: 1)
        #expect(incoming.isBursting)
        second.finish()
        await second.done.value
        #expect(incoming.count == 1)
        #expect(incoming.isBursting)  // still receiving: the burst goes on
        first.finish()
        await first.done.value
        #expect(!incoming.isBursting)

        // With a gap, the burst outlasts its last delivery by that long: the next one may still be on its way.
        let patient = IncomingDeliveries(burstDeliveries: 2, gap: .seconds(3600))
        let pair = await OpenDeliveries(patient, count: 2)
        pair.finish()
        await pair.done.value
        #expect(patient.count == 0)
        #expect(patient.isBursting)
    }

    @Test("the wait for a lull ends when the burst ends, not before")
    func lullEndsTheWait() async {
        let incoming = IncomingDeliveries(burstDeliveries: 2, gap: .milliseconds(10))
        let open = await OpenDeliveries(incoming, count: 2)
        let waiter = Task {
            let lull = await incoming.waitForLull(atMost: .seconds(3600))
            return lull && !incoming.isBursting
        }
        open.finish()
        // Only the end of the burst and its gap can end this wait (its bound is an hour): it returns with no burst.
        #expect(await waiter.value)
        await open.done.value
    }

    @Test("a burst that does not end defers the wait only up to its bound")
    func boundedDeferral() async {
        let incoming = IncomingDeliveries(burstDeliveries: 1, gap: .zero)
        let open = await OpenDeliveries(incoming, count: 1)
        #expect(await incoming.waitForLull(atMost: .milliseconds(20)) == false)
        #expect(incoming.isBursting)
        open.finish()
        await open.done.value
    }

    /// Decodes `{"wamid": …, "text": …}` bodies; anything else is unreadable.
    struct PlainDecoder: WebhookDecoding {
        struct Unreadable: Error, CustomStringConvertible {
            var description: String { "not a test delivery" }
        }

        func events(from body: Data) throws -> [InboundEvent] {
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: String], let id = object["wamid"], let text = object["text"]
            else { throw Unreadable() }
            return [
                .message(
                    InboundMessage(
                        id: id,
                        phoneNumberID: "PN1",
                        customerID: "5511999990000",
                        addressing: "to",
                        customerName: "Ana",
                        timestamp: Date(timeIntervalSince1970: 1_800_000_000),
                        kind: "text",
                        content: .text(text)
                    )
                )
            ]
        }
    }

    @Test("the inbox is applied a batch per transaction: new, duplicate and unreadable deliveries each get their outcome")
    func batchedDrain() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let search = SearchService(database: test.database, embedder: nil, vectorIndex: NoVectorIndex())
        let service = ConversationsService(
            database: test.database,
            decoders: [.whatsapp: PlainDecoder()],
            answerer: Answerer(search: search, chatModel: nil),
            credits: UnmeteredCredits(),
            channel: HandoffTests.UnusedChannel(),
            settings: ConversationSettings(),
            logger: Logger(label: "test")
        )
        let commits = Counter()
        let observation = test.database.observeWriteTransactions { commits.increment() }
        defer { observation.cancel() }
        for index in 0..<5 {
            try await test.database.storeWebhook(body: Data(#"{"wamid": "wamid.\#(index)", "text": "pergunta \#(index)"}"#.utf8))
        }
        try await test.database.storeWebhook(body: Data(#"{"wamid": "wamid.2", "text": "pergunta 2"}"#.utf8))  // Meta again
        try await test.database.storeWebhook(body: Data("garbage".utf8))
        let stored = commits.value

        #expect(try await service.drainInbox() == 7)
        #expect(commits.value == stored + 1)  // one transaction for the seven
        #expect(try test.database.unprocessedWebhooks().isEmpty)
        #expect(try test.database.unreadableWebhooks().map(\.error) == ["not a test delivery"])
        let messages = try test.database.messages(ofConversation: 1)
        #expect(messages.map(\.text) == (0..<5).map { "pergunta \($0)" })
        #expect(try await service.drainInbox() == 0)
    }
}

/// Counts calls from any thread.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
