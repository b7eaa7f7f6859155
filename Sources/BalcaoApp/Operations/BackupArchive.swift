import Crypto
public import Foundation
public import Storage
import ZIPFoundation

#if canImport(Glibc)
import Glibc
#endif

/// What a backup archive holds, written into it as `manifest.json`.
public struct BackupManifest: Codable, Sendable, Hashable {
    /// One file of the archive.
    public struct Entry: Codable, Sendable, Hashable {
        /// Path inside the archive (`balcao.sqlite`, `originals/ab/abcd…`, `secret.key`, `api_token`, `config/balcao.toml`).
        public var path: String
        /// Size in bytes.
        public var bytes: Int64
        /// SHA-256 of the content, lowercase hex.
        public var sha256: String
    }

    /// Archive layout version; a newer one is refused.
    public var format = 1
    /// The Balcão version that wrote it.
    public var balcaoVersion: String
    /// When the database snapshot was taken.
    public var createdAt: Date
    /// Row counts of the main tables in the snapshot.
    public var counts: [String: Int]
    /// Every file, with its checksum.
    public var entries: [Entry]
    /// Originals the snapshot refers to that were deleted before they could be copied (a document deleted during the
    /// backup); restoring leaves those documents without an original.
    public var missingOriginals: [String]
}

/// Why a backup or a restore stopped. Nothing was changed in the data directory when one is thrown.
public enum BackupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The data directory has no database to back up.
    case noDatabase(path: String)
    /// The archive file already exists.
    case archiveExists(path: String)
    /// Not a readable zip archive (truncated, not a zip, unreadable).
    case unreadableArchive(path: String, reason: String)
    /// The archive has no `manifest.json`, or it cannot be read.
    case badManifest(reason: String)
    /// Written by a newer Balcão.
    case unsupportedFormat(Int)
    /// A file's content does not match the manifest.
    case checksumMismatch(path: String)
    /// A file the manifest lists is missing from the archive.
    case missingEntry(path: String)
    /// The archive holds a file the manifest does not list, or one with an unsafe path.
    case unexpectedEntry(path: String)
    /// The restored database fails `PRAGMA integrity_check`.
    case damagedDatabase(problems: [String])
    /// A daemon (or another Balcão command) holds the data directory.
    case inUse(path: String)
    /// The data directory already holds data and `--force` was not given.
    case destinationNotEmpty(path: String)

    public var description: String {
        switch self {
        case .noDatabase(let path): return "There is no database to back up at \(path)."
        case .archiveExists(let path): return "\(path) already exists: choose another file name (a backup never overwrites)."
        case .unreadableArchive(let path, let reason): return "\(path) is not a readable Balcão backup (truncated or not a zip archive): \(reason)"
        case .badManifest(let reason): return "The backup's manifest is missing or unreadable: \(reason)"
        case .unsupportedFormat(let format):
            return "The backup has format \(format), newer than this Balcão understands: restore it with a newer version."
        case .checksumMismatch(let path): return "The backup is damaged: \(path) does not match its checksum."
        case .missingEntry(let path): return "The backup is incomplete: \(path) is missing."
        case .unexpectedEntry(let path): return "The backup holds an unexpected file \(path): refused."
        case .damagedDatabase(let problems):
            return "The database in the backup fails its integrity check: \(problems.prefix(5).joined(separator: "; "))"
        case .inUse(let path):
            return "A running Balcão daemon (or another command) is using \(path): stop it first (systemctl stop balcao)."
        case .destinationNotEmpty(let path):
            return "\(path) already holds a Balcão data directory: add --force to replace it with the backup."
        }
    }
}

/// What ``BackupArchive/create(directory:database:configurationFile:to:now:)`` wrote.
public struct BackupSummary: Sendable {
    /// The archive.
    public var archive: URL
    /// Its manifest.
    public var manifest: BackupManifest
    /// Archive size in bytes.
    public var bytes: Int64
}

/// Online backups and verified, atomic restores of a data directory, as one zip archive.
///
/// ```
/// manifest.json        format, version, counts, every file with its SHA-256
/// balcao.sqlite        a consistent snapshot (SQLite's online backup API) taken while the daemon runs
/// originals/ab/abcd…   the uploaded files the snapshot's documents refer to
/// secret.key, api_token
/// config/balcao.toml   the configuration file in use, when there is one
/// ```
/// The vector index and the models are not included: the index is rebuilt from the database on start, models are
/// installed files.
public enum BackupArchive {
    static let manifestPath = "manifest.json"
    static let databasePath = "balcao.sqlite"
    static let configurationPath = "config/balcao.toml"

    /// Writes a backup of a data directory that a daemon may be using, to a new file `archive` (mode 0600: it holds the
    /// secret key). The file appears only when complete.
    public static func create(
        directory: DataDirectory,
        database: AppDatabase,
        configurationFile: URL?,
        to archive: URL,
        now: Date = Date()
    ) throws -> BackupSummary {
        let manager = FileManager.default
        guard manager.fileExists(atPath: directory.database.path) else { throw BackupError.noDatabase(path: directory.database.path) }
        guard !manager.fileExists(atPath: archive.path) else { throw BackupError.archiveExists(path: archive.path) }
        let work = archive.deletingLastPathComponent().appendingPathComponent(".balcao-backup-\(UUID().uuidString)", isDirectory: true)
        try manager.createDirectory(at: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? manager.removeItem(at: work) }

        // 1. The database snapshot: every transaction committed before this line is in it.
        let snapshot = work.appendingPathComponent(databasePath)
        try database.backup(to: snapshot)
        let counts = try AppDatabase.tableCounts(ofFileAt: snapshot)

        // 2. The files, each hashed as it is read.
        var files: [(path: String, url: URL, compress: Bool)] = [(databasePath, snapshot, true)]
        var missing: [String] = []
        let originals = OriginalStore(directory: directory)
        for digest in Set(try AppDatabase.originalDigests(ofFileAt: snapshot)).sorted() {
            let url = originals.url(forSHA256: digest)
            if manager.fileExists(atPath: url.path) {
                files.append(("originals/\(digest.prefix(2))/\(digest)", url, false))
            } else {
                missing.append(digest)
            }
        }
        for (name, url) in [("secret.key", directory.secretKey), ("api_token", directory.root.appendingPathComponent("api_token"))]
        where manager.fileExists(atPath: url.path) {
            files.append((name, url, false))
        }
        if let configurationFile { files.append((configurationPath, configurationFile, true)) }
        var entries: [BackupManifest.Entry] = []
        for file in files {
            let (bytes, digest) = try hash(file.url)
            entries.append(.init(path: file.path, bytes: bytes, sha256: digest))
        }
        let manifest = BackupManifest(
            balcaoVersion: BalcaoVersion.current,
            createdAt: now,
            counts: counts,
            entries: entries,
            missingOriginals: missing
        )

        // 3. The archive, written beside its final name and renamed when complete.
        // Inside the 0700 work directory, so the secret key is never readable by others while the file is written.
        let partial = work.appendingPathComponent("archive.zip")
        try write(manifest: manifest, files: files.map { ($0.path, $0.url, $0.compress) }, to: partial)
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
        // link(2) instead of rename(2): fails rather than replaces when a file of that name appeared meanwhile.
        guard link(partial.path, archive.path) == 0 else {
            if errno == EEXIST { throw BackupError.archiveExists(path: archive.path) }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        let size = (try manager.attributesOfItem(atPath: archive.path)[.size] as? NSNumber)?.int64Value ?? 0
        return BackupSummary(archive: archive, manifest: manifest, bytes: size)
    }

    /// Writes the zip file: the manifest, then every file (the database and configuration compressed; originals, which
    /// are mostly compressed formats already, stored).
    static func write(manifest: BackupManifest, files: [(path: String, url: URL, compress: Bool)], to url: URL) throws {
        let zip = try Archive(url: url, accessMode: .create)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let manifestData = try encoder.encode(manifest)
        try zip.addEntry(
            with: manifestPath,
            type: .file,
            uncompressedSize: Int64(manifestData.count),
            compressionMethod: .deflate
        ) { position, size in
            manifestData.subdata(in: Int(position)..<Int(position) + size)
        }
        for file in files {
            try zip.addEntry(with: file.path, fileURL: file.url, compressionMethod: file.compress ? .deflate : .none)
        }
    }

    /// Extracts an archive into `staging` (which must not exist) and checks every file against the manifest and the
    /// database's integrity. Throws a ``BackupError`` describing the first problem.
    public static func verify(_ archive: URL, into staging: URL) throws -> BackupManifest {
        let zip: Archive
        do { zip = try Archive(url: archive, accessMode: .read) } catch {
            throw BackupError.unreadableArchive(path: archive.path, reason: "\(error)")
        }
        guard let manifestEntry = zip[manifestPath] else { throw BackupError.badManifest(reason: "no \(manifestPath) in the archive") }
        var manifestData = Data()
        do {
            guard manifestEntry.uncompressedSize < 64 << 20 else { throw BackupError.badManifest(reason: "too large") }
            _ = try zip.extract(manifestEntry, skipCRC32: false) { manifestData.append($0) }
        } catch let error as BackupError {
            throw error
        } catch {
            throw BackupError.badManifest(reason: "\(error)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: BackupManifest
        do { manifest = try decoder.decode(BackupManifest.self, from: manifestData) } catch {
            throw BackupError.badManifest(reason: "\(error)")
        }
        guard manifest.format <= 1 else { throw BackupError.unsupportedFormat(manifest.format) }
        let listed = Dictionary(manifest.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        guard listed[databasePath] != nil else { throw BackupError.missingEntry(path: databasePath) }

        let manager = FileManager.default
        try manager.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        var seen: Set<String> = []
        for entry in zip where entry.path != manifestPath {
            guard entry.type == .file, let expected = listed[entry.path], isSafe(entry.path), !seen.contains(entry.path) else {
                throw BackupError.unexpectedEntry(path: entry.path)
            }
            seen.insert(entry.path)
            let destination = staging.appendingPathComponent(entry.path)
            try manager.createDirectory(
                at: destination.deletingLastPathComponent(),
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            do { _ = try zip.extract(entry, to: destination, skipCRC32: false) } catch {
                throw BackupError.unreadableArchive(path: archive.path, reason: "\(entry.path): \(error)")
            }
            let (bytes, digest) = try hash(destination)
            guard bytes == expected.bytes, digest == expected.sha256 else { throw BackupError.checksumMismatch(path: entry.path) }
            if entry.path.hasPrefix("originals/"), digest != (entry.path as NSString).lastPathComponent {
                throw BackupError.checksumMismatch(path: entry.path)
            }
        }
        if let absent = manifest.entries.first(where: { !seen.contains($0.path) }) { throw BackupError.missingEntry(path: absent.path) }
        let problems = AppDatabase.checkIntegrity(ofFileAt: staging.appendingPathComponent(databasePath))
        guard problems.isEmpty else { throw BackupError.damagedDatabase(problems: problems) }
        return manifest
    }

    /// What ``restore(_:to:force:)`` did.
    public struct RestoreSummary: Sendable {
        /// The verified manifest.
        public var manifest: BackupManifest
        /// Whether an existing data directory was replaced.
        public var replaced: Bool
        /// Where the configuration file from the archive was put, if it had one.
        public var configurationFile: URL?
    }

    /// Restores an archive into a data directory: verifies everything in a staging directory beside it first, then
    /// swaps it in by renaming. Refuses while a daemon holds the directory, and refuses to replace existing data
    /// unless `force`. On any error the data directory is left as it was.
    public static func restore(_ archive: URL, to directory: DataDirectory, force: Bool) throws -> RestoreSummary {
        let manager = FileManager.default
        let root = directory.root
        let parent = root.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        var lock: DataDirectoryLock?
        var exists = false
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: root.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw BackupError.destinationNotEmpty(path: root.path) }
            do { lock = try DataDirectoryLock(directory: directory) } catch DataDirectoryLock.LockError.held {
                throw BackupError.inUse(path: root.path)
            }
            exists = [directory.database, directory.secretKey, directory.originals].contains { url in
                manager.fileExists(atPath: url.path) && !(url == directory.originals && isEmptyDirectory(url))
            }
            if exists && !force { throw BackupError.destinationNotEmpty(path: root.path) }
        }
        defer { withExtendedLifetime(lock) {} }

        let staging = parent.appendingPathComponent(".\(root.lastPathComponent).restoring-\(UUID().uuidString)", isDirectory: true)
        var stagingInUse = true
        defer { if stagingInUse { try? manager.removeItem(at: staging) } }
        let manifest = try verify(archive, into: staging)

        // Make the staged tree a complete data directory with the daemon's permissions.
        let staged = DataDirectory(root: staging)
        try staged.create()
        for name in ["secret.key", "api_token"] where manager.fileExists(atPath: staging.appendingPathComponent(name).path) {
            try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: staging.appendingPathComponent(name).path)
        }
        for entry in manifest.entries where entry.path.hasPrefix("originals/") {
            try manager.setAttributes([.posixPermissions: 0o400], ofItemAtPath: staging.appendingPathComponent(entry.path).path)
        }
        var configurationFile: URL?
        if manifest.entries.contains(where: { $0.path == configurationPath }) {
            configurationFile = root.appendingPathComponent("restored-balcao.toml")
            try manager.moveItem(at: staging.appendingPathComponent(configurationPath), to: staging.appendingPathComponent("restored-balcao.toml"))
            try? manager.removeItem(at: staging.appendingPathComponent("config"))
        }

        guard manager.fileExists(atPath: root.path) else {
            try manager.moveItem(at: staging, to: root)
            stagingInUse = false
            return RestoreSummary(manifest: manifest, replaced: false, configurationFile: configurationFile)
        }
        // Installed models and earlier backups are not part of a backup: keep the ones already there.
        for kept in ["models", "backups"] {
            let old = root.appendingPathComponent(kept, isDirectory: true)
            guard manager.fileExists(atPath: old.path), !isEmptyDirectory(old) else { continue }
            try? manager.removeItem(at: staging.appendingPathComponent(kept))
            try manager.moveItem(at: old, to: staging.appendingPathComponent(kept, isDirectory: true))
        }
        let replaced = parent.appendingPathComponent(".\(root.lastPathComponent).replaced-\(UUID().uuidString)", isDirectory: true)
        try manager.moveItem(at: root, to: replaced)
        do {
            try manager.moveItem(at: staging, to: root)
        } catch {
            try? manager.moveItem(at: replaced, to: root)
            throw error
        }
        stagingInUse = false
        try? manager.removeItem(at: replaced)
        return RestoreSummary(manifest: manifest, replaced: exists, configurationFile: configurationFile)
    }

    /// A relative path of plain components: no `..`, no absolute path, no empty or hidden tricks.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func isEmptyDirectory(_ url: URL) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).isEmpty
    }

    /// Size and SHA-256 of a file, read in 1 MiB pieces.
    static func hash(_ url: URL) throws -> (Int64, String) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
            bytes += Int64(data.count)
        }
        return (bytes, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
