import Foundation
import GRDB
import Synchronization
import Testing

@testable import Storage

@Suite("Work bell")
struct WorkBellTests {
    @Test("a ring between a worker's look and its wait is not lost: the wait returns at once")
    func ringBeforeWaitIsKept() async {
        let bell = WorkBell()
        let ticket = bell.ticket()
        bell.ring()
        #expect(bell.ticket() != ticket)
        // Would sleep ten minutes (past the suite's time limit) if the ring were lost.
        await bell.wait(since: ticket, atMost: .seconds(600))
    }

    @Test("a waiting worker wakes on the ring, long before its due time", .timeLimit(.minutes(1)))
    func ringWakesWaiters() async {
        let bell = WorkBell()
        let ticket = bell.ticket()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { await bell.wait(since: ticket, atMost: .seconds(600)) } }
            group.addTask {
                // Rung repeatedly, so that waiters that had not suspended yet are woken too (they also see the count).
                for _ in 0..<3 {
                    bell.ring()
                    await Task.yield()
                }
            }
        }
    }

    @Test("a bell for a pool of identical workers wakes the one that waited longest per ring", .timeLimit(.minutes(1)))
    func ringWakesOneWorker() async {
        let bell = WorkBell(waking: .oneWorker)
        let returned = Counter()
        let first = Task {
            await bell.wait(since: bell.ticket(), atMost: .seconds(600))
            returned.increment()
        }
        while bell.suspendedWorkers < 1 { await Task.yield() }
        let second = Task {
            await bell.wait(since: bell.ticket(), atMost: .seconds(600))
            returned.increment()
        }
        while bell.suspendedWorkers < 2 { await Task.yield() }

        bell.ring()
        await first.value
        #expect(returned.value == 1)
        #expect(bell.suspendedWorkers == 1)  // the other still sleeps: only another ring (or its due time) wakes it
        bell.ring()
        await second.value
        #expect(returned.value == 2)
    }

    @Test("with no ring, the wait ends at its due time; a cancelled wait ends at once", .timeLimit(.minutes(1)))
    func waitEndsAtDueTimeOrCancellation() async {
        let bell = WorkBell()
        await bell.wait(since: bell.ticket(), atMost: .milliseconds(10))
        let waiting = Task { await bell.wait(since: bell.ticket(), atMost: .seconds(600)) }
        waiting.cancel()
        await waiting.value
    }

    @Test("a commit that changes a watched table rings the bell; other tables, reads and empty writes do not")
    func commitsRingTheBell() async throws {
        let directory = try TemporaryDirectory()
        let database = try AppDatabase.open(at: directory.url.appendingPathComponent("balcao.sqlite"))
        let bell = database.workBell(ringingOnChangesTo: ["job"])

        var ticket = bell.ticket()
        _ = try await database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        try await database.writer.write { db in try db.execute(sql: "UPDATE job SET state = 'done' WHERE id = -1") }
        var agent = Agent(name: "vendas", now: Date())
        try await database.save(&agent)
        #expect(bell.ticket() == ticket, "nothing changed the job table")

        _ = try await Self.upload(database)
        #expect(bell.ticket() != ticket, "queueing a document's job rings the bell when it commits")
        ticket = bell.ticket()
        #expect(try await database.claimNextJob() != nil)
        #expect(bell.ticket() != ticket)
    }

    static func upload(_ database: AppDatabase) async throws -> RegisteredUpload {
        try await database.registerUpload(
            filename: "a.txt",
            sha256: String(repeating: "a", count: 64),
            bytes: 1,
            format: "txt",
            sealedPassword: nil,
            agentName: nil
        )
    }

    @Test("write transactions are counted when they change something")
    func writeTransactionsCounted() async throws {
        let database = try AppDatabase.inMemory()
        let count = Counter()
        let observation = database.observeWriteTransactions { count.increment() }
        _ = try await database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") }
        try await database.writer.write { db in try db.execute(sql: "DELETE FROM job WHERE id = -1") }
        #expect(count.value == 0)
        _ = try await Self.upload(database)
        #expect(count.value == 1)
        observation.cancel()
        var agent = Agent(name: "vendas", now: Date())
        try await database.save(&agent)
        #expect(count.value == 1)
    }
}

private final class Counter: Sendable {
    private let state = Mutex(0)
    var value: Int { state.withLock { $0 } }
    func increment() { state.withLock { $0 += 1 } }
}
