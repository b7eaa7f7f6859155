import BalcaoTesting
import Conversations
import Foundation
import Storage
import Synchronization
import Testing

@testable import BalcaoApp

#if canImport(Glibc)
import Glibc
#endif

/// `balcao backup` / `balcao restore`: online, consistent, verified, atomic.
@Suite("Backup and restore")
struct BackupTests {
    final class Scratch: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-backup-\(UUID().uuidString)", isDirectory: true)
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// Tells the writer to stop.
    final class Flag: Sendable {
        let raised = Atomic(false)
    }

    /// What a writer committed, in order.
    final class Committed: Sendable {
        let documents = Mutex<[String]>([])
        let messages = Mutex<[String]>([])
    }

    static func message(_ index: Int, customer: Int) -> InboundEvent {
        .message(
            InboundMessage(
                id: "wamid.load-\(index)",
                phoneNumberID: "123",
                customerID: "55119999\(String(format: "%05d", customer))",
                addressing: "to",
                customerName: "Cliente \(customer)",
                timestamp: Date(),
                kind: "text",
                content: .text("Pergunta número \(index)")
            )
        )
    }

    /// Writes documents (original + row) and conversation messages until `stop` is set.
    static func writeLoad(_ daemon: TestDaemon, into committed: Committed, scratch: URL, stop: Flag) async throws {
        var index = 0
        while !stop.raised.load(ordering: .relaxed) {
            let file = scratch.appendingPathComponent("doc-\(index).txt")
            try Data("Documento \(index): política de trocas número \(index) com texto suficiente para ser lido.\n".utf8).write(to: file)
            let registered = try await daemon.balcao.library.add(fileAt: file, agent: nil, password: nil)
            committed.documents.withLock { $0.append(registered.document.sha256) }
            let inbox = try await daemon.balcao.database.storeWebhook(body: Data("{}".utf8))
            _ = try await daemon.balcao.database.applyWebhook(
                id: inbox,
                events: [message(index, customer: index % 7)],
                quietPeriod: 1,
                textOnlyReply: { _ in "" }
            )
            committed.messages.withLock { $0.append("wamid.load-\(index)") }
            index += 1
            await Task.yield()
        }
    }

    @Test("A backup taken under concurrent writes restores everything committed before it started, intact")
    func roundTripUnderLoad() async throws {
        let scratch = try Scratch()
        let daemon = try TestDaemon()
        let committed = Committed()
        let stop = Flag()
        let writer = Task.detached { try await Self.writeLoad(daemon, into: committed, scratch: scratch.url, stop: stop) }
        // Let some writes land, then back up while the writer keeps going.
        while committed.documents.withLock({ $0.count }) < 20 { try await Task.sleep(for: .milliseconds(10)) }
        let documentsBefore = committed.documents.withLock { $0 }
        let messagesBefore = committed.messages.withLock { $0 }
        let archive = scratch.url.appendingPathComponent("backup.zip")
        let summary = try await Task.detached {
            try BackupArchive.create(
                directory: daemon.balcao.directory,
                database: daemon.balcao.database,
                configurationFile: nil,
                to: archive
            )
        }.value
        // The writer keeps going after the backup (it wrote during it too, unless the machine was too busy to run it
        // then: how many landed during the backup is the scheduler's business, so it is not asserted).
        let documentsAfter = committed.documents.withLock { $0.count }
        while committed.documents.withLock({ $0.count }) < documentsAfter + 5 { try await Task.sleep(for: .milliseconds(10)) }
        stop.raised.store(true, ordering: .relaxed)
        try await writer.value
        let attributes = try FileManager.default.attributesOfItem(atPath: archive.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(summary.manifest.entries.contains { $0.path == "secret.key" })

        let restoredRoot = scratch.url.appendingPathComponent("restored", isDirectory: true)
        let restored = try BackupArchive.restore(archive, to: DataDirectory(root: restoredRoot), force: false)
        #expect(restored.replaced == false)
        let directory = DataDirectory(root: restoredRoot)
        #expect(AppDatabase.checkIntegrity(ofFileAt: directory.database).isEmpty)
        let database = try AppDatabase.open(at: directory.database)
        let documents = Set(try database.documents().map(\.sha256))
        #expect(documentsBefore.allSatisfy(documents.contains), "a document committed before the backup is missing")
        let wamids = try await database.reader.read { db in Set(try String.fetchAll(db, sql: "SELECT wamid FROM message WHERE wamid IS NOT NULL")) }
        #expect(messagesBefore.allSatisfy(wamids.contains), "a message committed before the backup is missing")
        // Every original of the restored documents is there, byte for byte, read-only.
        let originals = OriginalStore(directory: directory)
        for sha in documents {
            let (_, digest) = try BackupArchive.hash(originals.url(forSHA256: sha))
            #expect(digest == sha)
        }
        #expect(try Data(contentsOf: directory.secretKey) == Data(contentsOf: daemon.balcao.directory.secretKey))
        let keyMode = try FileManager.default.attributesOfItem(atPath: directory.secretKey.path)[.posixPermissions] as? NSNumber
        #expect(keyMode?.intValue == 0o600)
        // The restored data directory opens as a daemon's.
        var configuration = BalcaoConfiguration()
        configuration.storage.dataDirectory = restoredRoot.path
        configuration.embedding.provider = "none"
        let reopened = try Balcao.open(configuration: configuration)
        #expect(try reopened.database.documents().count == documents.count)
    }

    /// A small valid archive and the data directory it came from.
    static func makeArchive(in scratch: URL) async throws -> (archive: URL, daemon: TestDaemon) {
        let daemon = try TestDaemon()
        let file = scratch.appendingPathComponent("politica.txt")
        try Data("Trocas em até 7 dias com nota fiscal.\n".utf8).write(to: file)
        _ = try await daemon.balcao.library.add(fileAt: file, agent: "loja", password: nil)
        let config = scratch.appendingPathComponent("balcao.toml")
        try Data("[server]\nport = 8081\n".utf8).write(to: config)
        let archive = scratch.appendingPathComponent("good.zip")
        _ = try BackupArchive.create(directory: daemon.balcao.directory, database: daemon.balcao.database, configurationFile: config, to: archive)
        return (archive, daemon)
    }

    /// Every file under a directory with its content, to show that nothing changed (the lock file aside).
    static func snapshot(_ root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return files }
        // The lock file is created by whoever checks for a running daemon; it holds nothing.
        for case let url as URL in enumerator where url.lastPathComponent != "balcao.lock" {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            files[url.path] = try Data(contentsOf: url)
        }
        return files
    }

    @Test("A truncated, corrupted or foreign archive is refused with a clear error and the data directory is untouched")
    func damagedArchives() async throws {
        let scratch = try Scratch()
        let (archive, _) = try await Self.makeArchive(in: scratch.url)
        let good = try Data(contentsOf: archive)
        // An existing data directory that must survive every failed restore, and an empty target that must stay absent.
        let existing = try TestDaemon()
        let before = try Self.snapshot(existing.dataDirectory)
        let absent = DataDirectory(root: scratch.url.appendingPathComponent("never-created"))

        var cases: [(String, Data)] = [
            ("truncated", good.prefix(good.count / 2)),
            ("not a zip", Data("hello, this is not a backup".utf8)),
            ("empty", Data()),
        ]
        // One byte flipped inside the stored (uncompressed) original: the zip's CRC or the manifest's SHA-256 catches it.
        var flipped = good
        if let range = flipped.range(of: Data("Trocas em até 7 dias".utf8)) { flipped[range.lowerBound] ^= 0x20 }
        #expect(flipped != good)
        cases.append(("corrupted", flipped))

        for (name, bytes) in cases {
            let file = scratch.url.appendingPathComponent("\(name).zip")
            try bytes.write(to: file)
            for (target, force) in [(DataDirectory(root: existing.dataDirectory), true), (absent, false)] {
                #expect(throws: BackupError.self, "\(name)") { try BackupArchive.restore(file, to: target, force: force) }
                do { _ = try BackupArchive.restore(file, to: target, force: force) } catch let error as BackupError {
                    #expect(!error.description.isEmpty)
                    if name == "corrupted" {
                        #expect(error.description.contains("damaged") || error.description.contains("not a readable"), "\(error)")
                    }
                }
            }
            #expect(try Self.snapshot(existing.dataDirectory) == before, "\(name): the data directory changed")
            #expect(!FileManager.default.fileExists(atPath: absent.root.path), "\(name): a data directory was created")
        }
        // No staging directory is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.contains(".restoring-") }
        #expect(leftovers.isEmpty)
    }

    @Test("A database that fails PRAGMA integrity_check is refused before anything is touched")
    func damagedDatabase() async throws {
        let scratch = try Scratch()
        let (archive, daemon) = try await Self.makeArchive(in: scratch.url)
        // Rebuild the archive with a damaged database whose manifest checksum matches: only the integrity check can tell.
        let staging = scratch.url.appendingPathComponent("staging")
        _ = try BackupArchive.verify(archive, into: staging)
        let database = staging.appendingPathComponent("balcao.sqlite")
        var bytes = try Data(contentsOf: database)
        let pageSize = 4096
        #expect(bytes.count > pageSize * 3)
        for page in stride(from: 2, to: bytes.count / pageSize, by: 3) {
            for offset in (page * pageSize + 8)..<(page * pageSize + 200) { bytes[offset] = 0xA5 }
        }
        try bytes.write(to: database)
        let damagedArchive = scratch.url.appendingPathComponent("damaged.zip")
        // The backup writer copies through SQLite, so the damaged file goes into an archive by hand, with a true manifest.
        try Self.rewrite(archive, replacing: "balcao.sqlite", with: database, into: damagedArchive)
        let target = DataDirectory(root: scratch.url.appendingPathComponent("target"))
        #expect {
            try BackupArchive.restore(damagedArchive, to: target, force: false)
        } throws: { error in
            guard case BackupError.damagedDatabase = error else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: target.root.path))
        withExtendedLifetime(daemon) {}
    }

    /// Copies an archive, replacing one file and its manifest entry.
    static func rewrite(_ archive: URL, replacing path: String, with file: URL, into destination: URL) throws {
        let staging = destination.deletingLastPathComponent().appendingPathComponent("rewrite-\(UUID().uuidString)")
        let manifest = try BackupArchive.verify(archive, into: staging)
        try FileManager.default.removeItem(at: staging.appendingPathComponent(path))
        try FileManager.default.copyItem(at: file, to: staging.appendingPathComponent(path))
        var entries = manifest.entries
        let (bytes, digest) = try BackupArchive.hash(file)
        entries = entries.map { $0.path == path ? .init(path: path, bytes: bytes, sha256: digest) : $0 }
        var updated = manifest
        updated.entries = entries
        try BackupArchive.write(
            manifest: updated,
            files: updated.entries.map { ($0.path, staging.appendingPathComponent($0.path), false) },
            to: destination
        )
    }

    @Test("restore refuses an existing data directory without --force, replaces it with --force, keeping installed models")
    func forceRules() async throws {
        let scratch = try Scratch()
        let (archive, source) = try await Self.makeArchive(in: scratch.url)
        let existing = try TestDaemon()
        let target = DataDirectory(root: existing.dataDirectory)
        let model = target.models.appendingPathComponent("model.bin")
        try Data("model".utf8).write(to: model)
        let before = try Self.snapshot(existing.dataDirectory)
        #expect {
            try BackupArchive.restore(archive, to: target, force: false)
        } throws: { error in
            (error as? BackupError) == .destinationNotEmpty(path: target.root.path)
        }
        #expect(try Self.snapshot(existing.dataDirectory) == before)

        let summary = try BackupArchive.restore(archive, to: target, force: true)
        #expect(summary.replaced)
        let restored = try AppDatabase.open(at: target.database)
        #expect(try restored.documents().map(\.sha256) == source.balcao.database.documents().map(\.sha256))
        #expect(try Data(contentsOf: target.secretKey) == Data(contentsOf: source.balcao.directory.secretKey))
        #expect(try Data(contentsOf: model) == Data("model".utf8), "installed models are kept")
        #expect(try String(contentsOf: target.root.appendingPathComponent("restored-balcao.toml"), encoding: .utf8).contains("port = 8081"))
        let siblings = try FileManager.default.contentsOfDirectory(atPath: target.root.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".\(target.root.lastPathComponent).") }, "no staging or replaced directory is left")

        // An empty directory (created by a package, say) is not "existing data".
        let empty = DataDirectory(root: scratch.url.appendingPathComponent("empty"))
        try empty.create()
        #expect(try BackupArchive.restore(archive, to: empty, force: false).replaced == false)
        // A backup never overwrites a file.
        #expect(throws: BackupError.archiveExists(path: archive.path)) {
            try BackupArchive.create(directory: source.balcao.directory, database: source.balcao.database, configurationFile: nil, to: archive)
        }
    }

    @Test("restore refuses while a daemon holds the data directory lock")
    func lockRefusal() async throws {
        let scratch = try Scratch()
        let (archive, _) = try await Self.makeArchive(in: scratch.url)
        let running = try TestDaemon()
        let directory = DataDirectory(root: running.dataDirectory)
        let lock = try DataDirectoryLock(directory: directory)
        let before = try Self.snapshot(running.dataDirectory)
        #expect(throws: BackupError.inUse(path: directory.root.path)) {
            try BackupArchive.restore(archive, to: directory, force: true)
        }
        #expect(try Self.snapshot(running.dataDirectory) == before)
        withExtendedLifetime(lock) {}
    }

    @Test("Scheduled backups write valid archives and keep only the newest `keep`")
    func scheduledRetention() throws {
        let scratch = try Scratch()
        let daemon = try TestDaemon {
            $0.backup.intervalHours = 24
            $0.backup.keep = 2
            $0.backup.directory = nil
        }
        let service = try #require(daemon.balcao.backupService(configurationFile: nil))
        #expect(service.destination.path == daemon.dataDirectory.appendingPathComponent("backups").path)
        // Something not written by the service is never deleted.
        try FileManager.default.createDirectory(at: service.destination, withIntermediateDirectories: true)
        let foreign = service.destination.appendingPathComponent("keep-me.zip")
        try Data("x".utf8).write(to: foreign)
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        var written: [URL] = []
        for hour in 0..<4 { written.append(try #require(service.runOnce(now: start.addingTimeInterval(Double(hour) * 3600)))) }
        #expect(service.archives() == Array(written.suffix(2)))
        #expect(FileManager.default.fileExists(atPath: foreign.path))
        let staging = scratch.url.appendingPathComponent("check")
        #expect(try BackupArchive.verify(written.last!, into: staging).counts["document"] == 0)
        #expect(try TestDaemon().balcao.backupService(configurationFile: nil) == nil, "interval 0 means no scheduled backups")
    }
}
