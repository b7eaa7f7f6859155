public import Foundation
public import Logging
public import ServiceLifecycle
public import Storage

/// Scheduled backups (`[backup] interval_hours`): one archive every interval into a folder, keeping the newest `keep`.
///
/// Only files this service names (`balcao-YYYYMMDD-HHMMSS.zip`) are ever deleted from that folder.
public struct BackupService: Service {
    /// The data directory backed up.
    public let directory: DataDirectory
    /// Its database.
    public let database: AppDatabase
    /// The configuration file included in each archive, if any.
    public let configurationFile: URL?
    /// Where archives are written.
    public let destination: URL
    /// Time between two backups.
    public let interval: Duration
    /// Archives kept.
    public let keep: Int
    /// Where results are logged.
    public let logger: Logger

    /// Creates the service.
    public init(
        directory: DataDirectory,
        database: AppDatabase,
        configurationFile: URL?,
        destination: URL,
        interval: Duration,
        keep: Int,
        logger: Logger
    ) {
        self.directory = directory
        self.database = database
        self.configurationFile = configurationFile
        self.destination = destination
        self.interval = interval
        self.keep = keep
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                runOnce()
            }
        }
    }

    /// Writes one archive and deletes the oldest beyond `keep`; returns the archive, or `nil` when it failed (logged).
    @discardableResult
    public func runOnce(now: Date = Date()) -> URL? {
        do {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let archive = destination.appendingPathComponent(Self.fileName(for: now))
            let summary = try BackupArchive.create(
                directory: directory,
                database: database,
                configurationFile: configurationFile,
                to: archive,
                now: now
            )
            logger.notice(
                "backup written",
                metadata: ["file": "\(archive.path)", "bytes": "\(summary.bytes)", "files": "\(summary.manifest.entries.count)"]
            )
            prune()
            return archive
        } catch {
            logger.error("scheduled backup failed", metadata: ["error": "\(error)", "directory": "\(destination.path)"])
            return nil
        }
    }

    /// The archives this service wrote, oldest first.
    public func archives() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? []
        return names.filter(Self.isArchiveName).sorted().map { destination.appendingPathComponent($0) }
    }

    func prune() {
        let all = archives()
        for old in all.dropLast(keep) {
            do { try FileManager.default.removeItem(at: old) } catch {
                logger.warning("could not delete an old backup", metadata: ["file": "\(old.path)", "error": "\(error)"])
            }
        }
    }

    static func fileName(for date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        return String(
            format: "balcao-%04d%02d%02d-%02d%02d%02d-%03d.zip",
            c.year!,
            c.month!,
            c.day!,
            c.hour!,
            c.minute!,
            c.second!,
            c.nanosecond! / 1_000_000
        )
    }

    static func isArchiveName(_ name: String) -> Bool {
        name.hasPrefix("balcao-") && name.hasSuffix(".zip") && name.count == "balcao-20250101-000000-000.zip".count
    }
}

extension Balcao {
    /// The scheduled backup service the configuration asks for, or `nil` when `[backup] interval_hours` is 0.
    public func backupService(configurationFile: URL?) -> BackupService? {
        let settings = configuration.backup
        guard settings.intervalHours > 0 else { return nil }
        let destination =
            settings.directory.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? directory.root.appendingPathComponent("backups", isDirectory: true)
        return BackupService(
            directory: directory,
            database: database,
            configurationFile: configurationFile,
            destination: destination,
            interval: .milliseconds(Int64(settings.intervalHours * 3_600_000)),
            keep: settings.keep,
            logger: logger
        )
    }
}
