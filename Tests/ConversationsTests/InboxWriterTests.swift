import Foundation
import GRDB
import Storage
import Synchronization
import Testing

@testable import Conversations

@Suite("Inbox writer (group commit)")
struct InboxWriterTests {
    static func database() throws -> (AppDatabase, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-inbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try AppDatabase.open(at: directory.appendingPathComponent("balcao.sqlite")), directory)
    }

    @Test("deliveries that arrive while a transaction is written share the next one; each is stored once, byte for byte")
    func groupsWaitingDeliveries() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        let transactions = Mutex(0)
        let observation = database.observeWriteTransactions { transactions.withLock { $0 += 1 } }
        defer { observation.cancel() }
        let inbox = InboxWriter(database: database)

        // Another write holds the writer until every delivery has arrived.
        let release = DispatchSemaphore(value: 0)
        let blocker = Task.detached {
            try database.writer.write { db in
                try db.execute(sql: "CREATE TABLE blocker (x); INSERT INTO blocker VALUES (1)")
                release.wait()
            }
        }
        let bodies = (0..<40).map { Data("{\"delivery\":\($0),\"texto\":\"ação\"}".utf8) }
        let stored = Task {
            try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
                for (index, body) in bodies.enumerated() { group.addTask { (index, try await inbox.store(body)) } }
                return try await group.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
            }
        }
        // The first transaction (whatever had arrived when it began) waits for the writer; the rest wait behind it.
        var counts = inbox.counts
        while counts.writing == 0 || counts.writing + counts.waiting < bodies.count {
            await Task.yield()
            counts = inbox.counts
        }
        release.signal()
        try await blocker.value
        let ids = try await stored.value

        #expect(Set(ids.values).count == bodies.count)
        let rows = try database.reader.readNow { db in try Row.fetchAll(db, sql: "SELECT id, body FROM webhookInbox ORDER BY id") }
        #expect(rows.count == bodies.count)
        for (index, body) in bodies.enumerated() {
            let row = try #require(rows.first { ($0["id"] as Int64) == ids[index] })
            #expect(row["body"] as Data == body)
        }
        // The blocker, the first transaction, then one for all that waited behind it: at most three for 40 deliveries
        // (one each would be 41).
        #expect(transactions.withLock { $0 } == 1 + 1 + (counts.waiting > 0 ? 1 : 0))
    }

    @Test("when the transaction fails, every delivery in it gets the error (the webhook answers 503) and nothing is stored")
    func failureReachesEveryWaiter() async throws {
        let (database, directory) = try Self.database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await database.writer.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON webhookInbox BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        }
        let inbox = InboxWriter(database: database)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask { (try? await inbox.store(Data("{\"n\":\(index)}".utf8))) == nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: true, count: 10))
        #expect(try database.reader.readNow { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhookInbox") } == 0)
        // The writer is ready for the next delivery.
        try await database.writer.write { db in try db.execute(sql: "DROP TRIGGER refuse") }
        #expect(try await inbox.store(Data("{}".utf8)) > 0)
    }
}
