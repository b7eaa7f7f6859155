import Foundation
import Testing

@testable import Storage

@Suite("Originals, secrets and the data directory lock")
struct FileStorageTests {
    @Test("an original is stored once under its SHA-256")
    func contentAddressed() throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        let store = OriginalStore(directory: directory)
        let source = temporary.url.appendingPathComponent("in.txt")
        try Data("olá".utf8).write(to: source)
        let first = try store.stage(fileAt: source, limit: 1000)
        // SHA-256 of the UTF-8 bytes of "olá".
        #expect(first.sha256 == "9b186e077c7c6d044f5789d76e6d8070a5b0aaa902ebc608bc34170722dba903")
        #expect(first.bytes == 4)
        let url = try store.commit(first)
        #expect(url.path.hasSuffix("originals/\(first.sha256.prefix(2))/\(first.sha256)"))
        let second = try store.commit(try store.stage(fileAt: source, limit: 1000))
        #expect(second == url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.temporary.path).isEmpty)
        #expect(try Data(contentsOf: url) == Data("olá".utf8))
    }

    @Test("a file over the limit is refused before it is read, and nothing is left behind")
    func oversize() throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        let source = temporary.url.appendingPathComponent("big.bin")
        try Data(count: 2048).write(to: source)
        #expect(throws: UploadError.tooLarge(limit: 1024)) {
            try OriginalStore(directory: directory).stage(fileAt: source, limit: 1024)
        }
        let stager = try OriginalStore(directory: directory).stage(limit: 10)
        #expect(throws: UploadError.tooLarge(limit: 10)) { try stager.append(Data(count: 11)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.temporary.path).isEmpty)
    }

    @Test("secrets round-trip, the key file is private, and tampering is detected")
    func secretBox() throws {
        let temporary = try TemporaryDirectory()
        let keyFile = temporary.url.appendingPathComponent("secret.key")
        let box = try SecretBox(keyFile: keyFile)
        var sealed = try box.seal("senha-123")
        #expect(!sealed.contains(Data("senha-123".utf8)))
        #expect(try SecretBox(keyFile: keyFile).open(sealed) == "senha-123")
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? NSNumber
        #expect(permissions?.intValue == 0o600)
        sealed[sealed.count - 1] ^= 0xFF
        #expect(throws: (any Error).self) { try box.open(sealed) }
    }

    @Test("only one process at a time holds a data directory")
    func exclusiveLock() throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        var lock: DataDirectoryLock? = try DataDirectoryLock(directory: directory)
        #expect(throws: DataDirectoryLock.LockError.self) { try DataDirectoryLock(directory: directory) }
        withExtendedLifetime(lock) {}
        lock = nil
        _ = try DataDirectoryLock(directory: directory)
    }

    @Test("opening a data directory leaves another process's upload alone; the lock holder clears crash leftovers")
    func leftoverUploads() throws {
        let temporary = try TemporaryDirectory()
        let directory = DataDirectory(root: temporary.url)
        try directory.create()
        let inFlight = directory.temporary.appendingPathComponent("upload-in-flight")
        try Data("partial".utf8).write(to: inFlight)
        try directory.create()
        #expect(FileManager.default.fileExists(atPath: inFlight.path))
        directory.removeLeftoverUploads(lock: try DataDirectoryLock(directory: directory))
        #expect(!FileManager.default.fileExists(atPath: inFlight.path))
    }
}
