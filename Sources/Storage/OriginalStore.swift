import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Uploaded files, stored once each under their SHA-256 and never modified.
public struct OriginalStore: Sendable {
    /// The data directory whose `originals/` and `tmp/` are used.
    public let directory: DataDirectory

    /// Creates the store.
    public init(directory: DataDirectory) {
        self.directory = directory
    }

    /// Where the original with this digest lives: `originals/ab/abcdef…`.
    public func url(forSHA256 sha256: String) -> URL {
        directory.originals.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true).appendingPathComponent(sha256)
    }

    /// Moves a fully written temporary file into place under its digest (or drops it when that content is already stored).
    ///
    /// On failure the temporary file is deleted too; a full or read-only disk is reported as ``StorageError``.
    public func commit(_ upload: StagedUpload) throws -> URL {
        let destination = url(forSHA256: upload.sha256)
        let manager = FileManager.default
        if manager.fileExists(atPath: destination.path) {
            try? manager.removeItem(at: upload.file)
            return destination
        }
        do {
            try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.moveItem(at: upload.file, to: destination)
        } catch {
            try? manager.removeItem(at: upload.file)
            throw StorageError(error) ?? error
        }
        try? manager.setAttributes([.posixPermissions: 0o400], ofItemAtPath: destination.path)
        return destination
    }

    /// Deletes the original with this digest, if present.
    public func remove(sha256: String) {
        try? FileManager.default.removeItem(at: url(forSHA256: sha256))
    }

    /// Starts writing a new upload into the temporary area; the bytes are hashed as they arrive.
    public func stage(limit: Int) throws -> UploadStager {
        try UploadStager(directory: directory.temporary, limit: limit)
    }

    /// Copies a local file into a staged upload (used by `balcao ingest`), refusing files over `limit` before reading them.
    public func stage(fileAt source: URL, limit: Int) throws -> StagedUpload {
        let size = (try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.intValue ?? 0
        if size > limit { throw UploadError.tooLarge(limit: limit) }
        let stager = try stage(limit: limit)
        let handle = try FileHandle(forReadingFrom: source)
        defer { try? handle.close() }
        do {
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                try stager.append(data)
            }
            return try stager.finish()
        } catch {
            stager.discard()
            throw error
        }
    }
}

/// Files customers sent in conversations (photos, documents), each under the id of its media record, kept for the
/// retention period and then removed. Unlike originals they are not shared: two customers sending the same photo have
/// two files, each removed on its own date.
public struct CustomerMediaStore: Sendable {
    /// The data directory whose `media/` and `tmp/` are used.
    public let directory: DataDirectory

    /// Creates the store.
    public init(directory: DataDirectory) {
        self.directory = directory
    }

    /// Where the file of media record `id` lives.
    public func url(forMediaID id: Int64) -> URL {
        directory.media.appendingPathComponent(String(id))
    }

    /// Starts receiving a download into the temporary area, within `limit` bytes.
    public func stage(limit: Int) throws -> UploadStager {
        try UploadStager(directory: directory.temporary, limit: limit)
    }

    /// Moves a finished download into place for media record `id` (replacing what an interrupted attempt left). On
    /// failure the temporary file is deleted; a full or read-only disk is reported as ``StorageError``.
    public func keep(_ download: StagedUpload, forMediaID id: Int64) throws -> URL {
        let destination = url(forMediaID: id)
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: directory.media, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.moveItem(at: download.file, to: destination)
        } catch {
            try? manager.removeItem(at: download.file)
            throw StorageError(error) ?? error
        }
        try? manager.setAttributes([.posixPermissions: 0o400], ofItemAtPath: destination.path)
        return destination
    }

    /// Deletes the file of media record `id`, if present.
    public func remove(mediaID id: Int64) {
        try? FileManager.default.removeItem(at: url(forMediaID: id))
    }
}

/// A file written to the temporary area, with its digest and size.
public struct StagedUpload: Sendable, Hashable {
    /// The temporary file.
    public var file: URL
    /// Lower-case hex SHA-256.
    public var sha256: String
    /// Size in bytes.
    public var bytes: Int64
    /// The first bytes, for sniffing the type.
    public var prefix: Data
}

/// Errors while receiving a file.
public enum UploadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file exceeds the configured limit.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let limit):
            return "The file is larger than the limit of \(ByteCountFormatter.string(fromByteCount: Int64(limit), countStyle: .file))."
        }
    }
}

/// Receives the bytes of one upload into a temporary file, hashing them and enforcing the size limit as they arrive.
///
/// Not thread-safe: one request or command owns it.
public final class UploadStager {
    private let file: URL
    private let handle: FileHandle
    private let limit: Int
    private var hasher = SHA256()
    private var count = 0
    private var prefix = Data()
    private var finished = false

    init(directory: URL, limit: Int) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(error) ?? error
        }
        file = directory.appendingPathComponent("upload-\(UUID().uuidString)")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            throw StorageError.kind(errno: code) ?? POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.limit = limit
    }

    /// Appends bytes; throws ``UploadError/tooLarge(limit:)`` once the limit is passed, ``StorageError`` when the disk
    /// is full or read-only. On any error the partial file is deleted.
    public func append<Bytes: DataProtocol>(_ bytes: Bytes) throws {
        count += bytes.count
        if count > limit {
            discard()
            throw UploadError.tooLarge(limit: limit)
        }
        if prefix.count < 4096 { prefix.append(contentsOf: bytes.prefix(4096 - prefix.count)) }
        hasher.update(data: bytes)
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            discard()
            throw StorageError(error) ?? error
        }
    }

    /// Flushes the file to disk and returns it with its digest; on error the file is deleted.
    public func finish() throws -> StagedUpload {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            discard()
            throw StorageError(error) ?? error
        }
        finished = true
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return StagedUpload(file: file, sha256: digest, bytes: Int64(count), prefix: prefix)
    }

    /// Deletes the partial file.
    public func discard() {
        if !finished { try? handle.close() }
        finished = true
        try? FileManager.default.removeItem(at: file)
    }
}
