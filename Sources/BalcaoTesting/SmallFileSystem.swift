public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a fresh directory, for tests of a full or read-only disk. Needs root (or `CAP_SYS_ADMIN`);
/// ``unavailableReason`` says why it cannot be used here, so a test can be skipped with a visible message instead.
///
/// ```swift
/// @Test(.enabled(if: SmallFileSystem.unavailableReason == nil, "\(SmallFileSystem.unavailableReason ?? "")"))
/// ```
public final class SmallFileSystem: @unchecked Sendable {
    /// The mount point.
    public let url: URL
    private let filler: URL
    private let lock = NSLock()
    private var mounted = true

    /// `nil` when a tmpfs can be mounted here, otherwise why not (printed once, so a skipped test is seen).
    public static let unavailableReason: String? = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-mount-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: probe) }
        do {
            try FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
            let result = try command("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path])
            guard result.status == 0 else {
                let reason =
                    "cannot mount a tmpfs here (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines))): the full-disk tests are skipped"
                print("⚠️ SmallFileSystem: \(reason)")
                return reason
            }
            _ = try? command("/usr/bin/umount", [probe.path])
            return nil
        } catch {
            let reason = "cannot run mount (\(error)): the full-disk tests are skipped"
            print("⚠️ SmallFileSystem: \(reason)")
            return reason
        }
    }()

    /// Mounts a tmpfs of `bytes` on a new directory.
    public init(bytes: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-small-fs-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let result = try Self.command("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0700", "tmpfs", url.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: url)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mount failed: \(result.output)"])
        }
        filler = url.appendingPathComponent("filler")
    }

    /// Bytes still free.
    public var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Fills the file system with a filler file until at most `leaving` bytes are free (0: until a write of one byte
    /// fails).
    public func fill(leaving: Int64 = 0) throws {
        let descriptor = open(filler.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var chunk = 1 << 20
        let zeros = [UInt8](repeating: 0x61, count: chunk)
        while chunk >= 1 {
            let target = freeBytes - leaving
            if target <= 0 { break }
            let size = min(chunk, Int(target))
            let written = zeros.withUnsafeBytes { write(descriptor, $0.baseAddress!, size) }
            if written < 0 {
                guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                chunk /= 2
            } else if written < size {
                chunk /= 2
            }
        }
    }

    /// Deletes the filler: the space is back.
    public func free() {
        try? FileManager.default.removeItem(at: filler)
    }

    /// Remounts read-only (every file must be closed) or read-write.
    public func remount(readOnly: Bool) throws {
        let result = try Self.command("/usr/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", url.path])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "remount failed: \(result.output)"])
        }
    }

    /// Unmounts (lazily, so a process still holding a file cannot keep it) and removes the mount point.
    public func unmount() {
        lock.lock()
        defer { lock.unlock() }
        guard mounted else { return }
        mounted = false
        _ = try? Self.command("/usr/bin/umount", ["-l", url.path])
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        unmount()
    }

    /// Runs a short system command to completion (mount and umount return at once).
    static func command(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
