import Foundation
import Storage
import Synchronization

/// A real SQLite file (WAL, a `DatabasePool`) in a fresh temporary directory, removed by ``remove()``.
struct TestDatabase {
    let directory: URL
    let database: AppDatabase

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-credits-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try AppDatabase.open(at: directory.appendingPathComponent("balcao.sqlite"))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with a fresh database file, always removing it.
func withDatabase<T>(_ body: (AppDatabase) async throws -> T) async throws -> T {
    let test = try TestDatabase()
    defer { test.remove() }
    return try await body(test.database)
}

/// A settable clock for expiry and signature-tolerance tests.
final class TestNow: Sendable {
    private let value: Mutex<Date>
    init(_ date: Date = Date(timeIntervalSince1970: 1_800_000_000)) { value = Mutex(date) }
    var date: Date { value.withLock { $0 } }
    func advance(seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var closure: @Sendable () -> Date { { self.date } }
}
