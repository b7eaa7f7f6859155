import Foundation
import GRDB
import Storage
import Testing

@testable import Conversations

/// A turn waits for its customer's file; a file whose reading takes the process down is given up after its attempts
/// instead of being read on every start.
@Suite("Customers' files: the turn waits, crashes do not loop")
struct CustomerMediaQueueTests {
    static func receivePhoto(id: String, database: AppDatabase, now: Date) async throws {
        let message = InboundMessage(
            id: id,
            phoneNumberID: "PN1",
            customerID: "5511999990000",
            addressing: "to",
            customerName: "Ana",
            timestamp: now,
            kind: "image",
            content: .media(InboundMedia(kind: .image, channelMediaID: "M-\(id)", mimeType: "image/jpeg", caption: "quanto custa?"))
        )
        let inbox = try await database.storeWebhook(body: Data("{}".utf8), now: now)
        _ = try await database.applyWebhook(id: inbox, events: [.message(message)], quietPeriod: 0, textOnlyReply: { _ in "" }, now: now)
    }

    @Test("the turn is neither due nor claimable until its file is read, and then carries it")
    func turnWaitsForItsFile() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let database = test.database
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await Self.receivePhoto(id: "wamid.1", database: database, now: now)
        #expect(try database.nextTurnDue() == nil)
        #expect(try await database.claimDueTurn(now: now.addingTimeInterval(60)) == nil)

        let media = try #require(try await database.claimDueMedia(now: now))
        #expect(media.state == .fetching && media.attempts == 1)
        #expect(try await database.claimDueMedia(now: now) == nil)
        #expect(try await database.claimDueTurn(now: now.addingTimeInterval(60)) == nil)

        // A retry keeps the turn waiting, until its back-off ends.
        try await database.finishMedia(id: media.id!, .retry(detail: "503", retryAt: now.addingTimeInterval(4)), now: now)
        #expect(try database.nextMediaDue() == now.addingTimeInterval(4))
        #expect(try await database.claimDueMedia(now: now.addingTimeInterval(3)) == nil)
        #expect(try database.nextTurnDue() == nil)
        let again = try #require(try await database.claimDueMedia(now: now.addingTimeInterval(4)))
        #expect(again.attempts == 2)
        try await database.finishMedia(
            id: again.id!,
            .read(MediaText(text: "Camiseta R$ 49,90", source: "ocr", confidence: 0.9), mimeType: "image/jpeg", byteCount: 10, sha256: "ab"),
            now: now.addingTimeInterval(5)
        )
        #expect(try database.nextTurnDue() != nil)
        let claimed = try #require(try await database.claimDueTurn(now: now.addingTimeInterval(6)))
        #expect(claimed.messages.map(\.text) == ["quanto custa?"])
        let file = try #require(claimed.media[claimed.messages[0].id!])
        #expect(file.state == .read && file.text == "Camiseta R$ 49,90" && file.isKept)
    }

    @Test("a file interrupted by a crash is fetched again after the start, and given up once its attempts ran out")
    func crashesDoNotLoop() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let database = test.database
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await Self.receivePhoto(id: "wamid.1", database: database, now: now)
        for start in 1...3 {
            let media = try #require(try await database.claimDueMedia(now: now))
            #expect(media.attempts == start)
            // The process dies while reading it; the next start recovers.
            let recovered = try await database.recoverInterruptedMedia(maximumAttempts: 3, now: now)
            #expect(recovered.requeued == (start < 3 ? 1 : 0))
            #expect(recovered.failed == (start < 3 ? 0 : 1))
        }
        #expect(try await database.claimDueMedia(now: now) == nil)
        let claimed = try #require(try await database.claimDueTurn(now: now.addingTimeInterval(1)))
        let file = try #require(claimed.media.values.first)
        #expect(file.state == .failed && file.failure == .unreadable)
        #expect(file.failureDetail?.contains("interrupted 3 times") == true)
    }

    @Test("files past their retention are listed oldest first, and only while kept")
    func retentionList() async throws {
        let test = try TemporaryDatabase()
        defer { test.remove() }
        let database = test.database
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await Self.receivePhoto(id: "wamid.1", database: database, now: now)
        let media = try #require(try await database.claimDueMedia(now: now))
        #expect(try database.oldestKeptMedia() == nil)
        try await database.finishMedia(
            id: media.id!,
            .read(MediaText(text: "", source: "ocr"), mimeType: "image/jpeg", byteCount: 10, sha256: "ab"),
            now: now
        )
        #expect(try database.oldestKeptMedia() == now)
        #expect(try database.mediaKept(before: now).isEmpty)
        #expect(try database.mediaKept(before: now.addingTimeInterval(1)) == [media.id!])
        try await database.markMediaRemoved([media.id!], now: now)
        #expect(try database.mediaKept(before: now.addingTimeInterval(1)).isEmpty)
        #expect(try database.oldestKeptMedia() == nil)
    }
}
