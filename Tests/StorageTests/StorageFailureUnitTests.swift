import Foundation
import GRDB
import Testing

@testable import Storage

#if canImport(Glibc)
import Glibc
#endif

/// `secret.key` is created once, atomically, and never replaced; a damaged one is an error that says what to do.
@Suite("Secret key file")
struct SecretKeyTests {
    @Test("a missing key is created: 32 bytes, mode 0600, no temporary file left, the same key on the next open")
    func created() throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        let sealed = try SecretBox(keyFile: keyFile).seal("segredo")
        #expect(try Data(contentsOf: keyFile).count == 32)
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? NSNumber
        #expect(permissions?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path) == ["secret.key"])
        #expect(try SecretBox(keyFile: keyFile).open(sealed) == "segredo")
    }

    @Test("a key file of the wrong size is refused and left as it was", arguments: [0, 1, 16, 31, 33, 64])
    func wrongSize(size: Int) throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        let contents = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try contents.write(to: keyFile)
        #expect(throws: SecretKeyError.wrongSize(path: keyFile.path, bytes: size)) { try SecretBox(keyFile: keyFile) }
        #expect(try Data(contentsOf: keyFile) == contents)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path) == ["secret.key"])
    }

    @Test("the message says what is wrong and what to do")
    func message() {
        let text = SecretKeyError.wrongSize(path: "/var/lib/balcao/secret.key", bytes: 17).description
        #expect(text.contains("/var/lib/balcao/secret.key is damaged: it has 17 bytes instead of 32"))
        #expect(text.contains("Restore it from a backup (balcao restore FILE"))
        #expect(text.contains("or move it away to start with a new key, which makes the saved secrets unreadable"))
        let unreadable = SecretKeyError.unreadable(path: "/k", reason: "Permission denied").description
        #expect(unreadable.contains("/k cannot be read: Permission denied"))
        #expect(unreadable.contains("chmod 600 /k"))
        #expect(unreadable.contains("balcao restore"))
    }

    @Test("something that is not a readable file (a directory, a link to nowhere) is refused and kept")
    func notAFile() throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        try FileManager.default.createDirectory(at: keyFile, withIntermediateDirectories: false)
        #expect(throws: SecretKeyError.unreadable(path: keyFile.path, reason: "it is not a regular file")) { try SecretBox(keyFile: keyFile) }
        try FileManager.default.removeItem(at: keyFile)
        try FileManager.default.createSymbolicLink(atPath: keyFile.path, withDestinationPath: temporary.url.appendingPathComponent("gone").path)
        #expect(throws: SecretKeyError.unreadable(path: keyFile.path, reason: "it is a symbolic link to a missing file")) {
            try SecretBox(keyFile: keyFile)
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: keyFile.path).hasSuffix("gone"))
    }

    @Test(
        "a key file without read permission is refused (not as root, who reads anything)",
        .enabled(if: geteuid() != 0, "runs as root, who can read a mode-000 file")
    )
    func noPermission() throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        _ = try SecretBox(keyFile: keyFile)
        chmod(keyFile.path, 0)
        defer { chmod(keyFile.path, 0o600) }
        #expect(throws: SecretKeyError.unreadable(path: keyFile.path, reason: String(cString: strerror(EACCES)))) { try SecretBox(keyFile: keyFile) }
    }

    @Test("a key that cannot be written says so and leaves nothing behind")
    func cannotCreate() throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("missing-directory/secret.key")
        #expect(throws: SecretKeyError.cannotCreate(path: keyFile.path, reason: String(cString: strerror(ENOENT)))) {
            try SecretBox(keyFile: keyFile)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path).isEmpty)
    }

    @Test("opened at once by many, a new key is created once: every opener gets the same key")
    func concurrentCreation() async throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        let sealed = try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<16 { group.addTask { try SecretBox(keyFile: keyFile).seal("mesmo") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let box = try SecretBox(keyFile: keyFile)
        for value in sealed { #expect(try box.open(value) == "mesmo") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.url.path) == ["secret.key"])
    }
}

/// Full, read-only and busy storage are recognised however SQLite or Foundation report them.
@Suite("Storage error classification")
struct StorageErrorTests {
    @Test("SQLite result codes")
    func sqlite() {
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_FULL)) == .diskFull)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_READONLY)) == .readOnly)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_BUSY)) == .busy)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_LOCKED)) == .busy)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error: No space left on device")) == .diskFull)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error")) == nil)
        #expect(StorageError(DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(StorageError(DatabaseOpenError(path: "/x", cause: .readOnly, detail: "")) == .readOnly)
    }

    @Test("POSIX and Cocoa errors, wrapped or not")
    func files() {
        #expect(StorageError(POSIXError(.ENOSPC)) == .diskFull)
        #expect(StorageError(POSIXError(.EDQUOT)) == .diskFull)
        #expect(StorageError(POSIXError(.EROFS)) == .readOnly)
        #expect(StorageError(POSIXError(.ENOENT)) == nil)
        #expect(StorageError(CocoaError(.fileWriteOutOfSpace)) == .diskFull)
        #expect(StorageError(CocoaError(.fileWriteVolumeReadOnly)) == .readOnly)
        #expect(StorageError(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))) == .diskFull)
        let wrapped = CocoaError(.fileWriteUnknown, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(StorageError(wrapped) == .diskFull)
        #expect(StorageError(CocoaError(.fileWriteNoPermission)) == nil)
        #expect(StorageError(UploadError.tooLarge(limit: 1)) == nil)
    }

    @Test("each case has a code and a message that says what to do")
    func messages() {
        #expect(StorageError.diskFull.code == "disk_full")
        #expect(StorageError.diskFull.description.contains("full"))
        #expect(StorageError.readOnly.description.contains("cannot be written"))
        #expect(StorageError.busy.description.contains("locked by another process"))
        let opening = DatabaseOpenError(path: "/d/balcao.sqlite", cause: .readOnly, detail: "SQLite error 14").description
        #expect(opening.contains("Cannot open the database /d/balcao.sqlite"))
        #expect(opening.contains("chown -R balcao:balcao /d"))
    }
}
