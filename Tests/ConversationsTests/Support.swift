import Foundation
import Storage
import Synchronization

/// A real SQLite file (WAL, a `DatabasePool`) in a fresh temporary directory, removed by ``remove()``.
struct TemporaryDatabase {
    let directory: URL
    let database: AppDatabase

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-conversations-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try AppDatabase.open(at: directory.appendingPathComponent("balcao.sqlite"))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value: Mutex<Date>
    init(_ date: Date = Date(timeIntervalSince1970: 1_800_000_000)) { value = Mutex(date) }
    var now: Date { value.withLock { $0 } }
    func advance(seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
