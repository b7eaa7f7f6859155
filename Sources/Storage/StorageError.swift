public import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// A write the storage could not take, in the terms an operator acts on: the disk is full, the files are read-only,
/// the database is held by another process.
///
/// SQLite and the file system report these in their own ways (`SQLITE_FULL`, `ENOSPC`, `CocoaError.fileWriteOutOfSpace`,
/// `SQLITE_READONLY`, `EROFS`, `SQLITE_BUSY`…); ``init(_:)`` recognises them all, so that uploads, webhooks and start-up
/// answer the same way whichever layer noticed first. Nothing here is a bug in Balcão: each case clears when the
/// operator fixes the storage, without a restart.
public enum StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No space left on the file system (or the user's quota is exhausted).
    case diskFull
    /// The data directory or the database cannot be written (read-only mount or file permissions).
    case readOnly
    /// Another process held the database's write lock for longer than the busy timeout.
    case busy

    /// Recognises a storage failure in an error thrown by GRDB, Foundation or a system call; `nil` for any other error.
    ///
    /// Looks through `NSUnderlyingErrorKey` chains, so a `CocoaError` wrapping a POSIX error is recognised too.
    public init?(_ error: any Error) {
        if let storage = error as? StorageError {
            self = storage
            return
        }
        if let opening = error as? DatabaseOpenError {
            self = opening.cause
            return
        }
        if let database = error as? DatabaseError {
            switch database.resultCode {
            case .SQLITE_FULL: self = .diskFull
            case .SQLITE_READONLY, .SQLITE_PERM: self = .readOnly
            case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy
            case .SQLITE_IOERR:
                // A write that failed below SQLite keeps the system's reason only in the message; ENOSPC surfaces as
                // SQLITE_FULL, but some paths (the WAL index, a checkpoint) report a plain I/O error.
                let message = database.message ?? ""
                if message.contains("No space left") || message.contains("Disk quota") {
                    self = .diskFull
                } else if message.contains("Read-only file system") {
                    self = .readOnly
                } else {
                    return nil
                }
            case .SQLITE_CANTOPEN:
                // Counts only when the system said why (a missing directory is something else).
                guard (database.message ?? "").contains("Read-only file system") else { return nil }
                self = .readOnly
            default: return nil
            }
            return
        }
        if let posix = error as? POSIXError, let kind = Self.kind(errno: posix.code.rawValue) {
            self = kind
            return
        }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace:
                self = .diskFull
                return
            case .fileWriteVolumeReadOnly:
                self = .readOnly
                return
            default: break
            }
        }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain, let kind = Self.kind(errno: Int32(truncatingIfNeeded: nsError.code)) {
            self = kind
            return
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error, let kind = StorageError(underlying) {
            self = kind
            return
        }
        return nil
    }

    /// ``readOnly`` when the file at `url` (or its directory, when there is no file) cannot be written because the file
    /// system is mounted read-only or the permissions forbid it; ``diskFull`` when no block is free; `nil` otherwise.
    public static func probeWritable(_ url: URL) -> StorageError? {
        let directory = url.deletingLastPathComponent().path
        var info = statvfs()
        if statvfs(directory, &info) == 0 {
            if info.f_flag & UInt(ST_RDONLY) != 0 { return .readOnly }
            if info.f_bavail == 0 { return .diskFull }
        }
        let path = FileManager.default.fileExists(atPath: url.path) ? url.path : directory
        if access(path, W_OK) != 0, [EROFS, EACCES, EPERM].contains(errno) { return .readOnly }
        return nil
    }

    /// The kind of failure a system error number means, if it is one of these.
    public static func kind(errno code: Int32) -> StorageError? {
        switch code {
        case ENOSPC, EDQUOT: return .diskFull
        case EROFS: return .readOnly
        default: return nil
        }
    }

    /// A stable machine-readable code: `disk_full`, `read_only`, `database_busy`.
    public var code: String {
        switch self {
        case .diskFull: return "disk_full"
        case .readOnly: return "read_only"
        case .busy: return "database_busy"
        }
    }

    public var description: String {
        switch self {
        case .diskFull:
            return "The disk holding Balcão's data directory is full: nothing new can be stored until space is freed. "
                + "Reading keeps working, and writing resumes by itself once there is space again."
        case .readOnly:
            return "Balcão's data directory cannot be written (a read-only file system or wrong permissions): "
                + "nothing new can be stored. Make it writable by the balcao user; writing resumes by itself."
        case .busy:
            return "The database is locked by another process (a backup, a maintenance command, a sqlite3 shell) "
                + "for longer than the busy timeout: try again in a moment."
        }
    }
}

/// The database could not be opened at start-up because of the storage: the daemon and the command line stop with
/// this message, which says what to fix.
public struct DatabaseOpenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The database file.
    public var path: String
    /// What is wrong with the storage.
    public var cause: StorageError
    /// What SQLite or the system reported.
    public var detail: String

    /// Creates the error.
    public init(path: String, cause: StorageError, detail: String) {
        self.path = path
        self.cause = cause
        self.detail = detail
    }

    public var description: String {
        let directory = (path as NSString).deletingLastPathComponent
        let what: String
        switch cause {
        case .readOnly:
            what =
                "it cannot be written (a read-only file system, or files not owned by the user running Balcão). "
                + "Remount the data directory read-write, or give it back to that user: chown -R balcao:balcao \(directory); "
                + "chmod 700 \(directory)."
        case .diskFull:
            what = "the disk holding it is full. Free space on that file system and start again."
        case .busy:
            what =
                "another process has held it locked for more than \(Int(AppDatabase.busyTimeout)) s (a sqlite3 shell, "
                + "a backup or maintenance tool). Stop that process and start again."
        }
        return "Cannot open the database \(path): " + what + " (\(detail))"
    }
}
