public import Foundation

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `balcao` executable run as a child process, for tests of what only a process shows: exit codes, signals,
/// `kill -9`, the data directory lock.
public struct BalcaoProcess: Sendable {
    /// The executable.
    public var executable: URL = SharedFixtures.balcaoExecutable
    /// Working directory of the child.
    public var workingDirectory: URL
    /// Environment variables on top of a clean environment (no inherited `BALCAO_*`).
    public var environment: [String: String]

    /// Describes a child process; nothing runs until ``run(_:)`` or ``start(_:)``.
    public init(workingDirectory: URL, environment: [String: String] = [:]) {
        self.workingDirectory = workingDirectory
        self.environment = environment
    }

    /// What a finished command printed and returned.
    public struct Output: Sendable {
        /// Exit status.
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
    }

    private func makeProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BALCAO_") }
        environment.merge(self.environment) { _, new in new }
        process.environment = environment
        return process
    }

    /// Runs a command to completion without blocking a thread of the concurrency pool while it runs; `input` is
    /// its standard input (none when `nil`).
    public func run(_ arguments: [String], input: String? = nil) async throws -> Output {
        let process = makeProcess(arguments)
        let stdin = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-in-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: stdin.path, contents: Data((input ?? "").utf8))
        defer { try? FileManager.default.removeItem(at: stdin) }
        let stdout = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-out-\(UUID().uuidString)")
        let stderr = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: stdout)
            try? FileManager.default.removeItem(at: stderr)
        }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = input == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: stdin)
        try process.run()
        await Self.waitForExit(process)
        return Output(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        )
    }

    /// Waits for a child to end by polling, so that no thread of the concurrency pool is blocked meanwhile.
    public static func waitForExit(_ process: Process, timeout: Duration = .seconds(120)) async {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            process.interrupt()
            try? await Task.sleep(for: .milliseconds(500))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }

    /// Starts a long-running command (`serve`); its output goes to `log`.
    public func start(_ arguments: [String], log: URL) throws -> Process {
        let process = makeProcess(arguments)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Small HTTP helpers for talking to a child daemon.
public enum LoopbackHTTP {
    /// A port for a child daemon to listen on: random, below Linux's ephemeral range (32768–60999) so that no
    /// outgoing connection of a parallel test is handed it meanwhile.
    public static func freePort() -> Int {
        Int.random(in: 20_000...32_767)
    }

    /// GET `url`, returning the status (or `nil` when nothing answers).
    public static func status(of url: URL, headers: [String: String] = [:]) async -> Int? {
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// POST `body` to `url`, returning the status (or `nil` when nothing answers).
    public static func post(_ body: Data, to url: URL, headers: [String: String] = [:]) async -> Int? {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 5
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Waits until `url` answers 200, up to `timeout`.
    public static func waitUntilUp(_ url: URL, timeout: Duration = .seconds(60)) async -> Bool {
        await eventually(timeout: timeout) { await status(of: url) == 200 }
    }
}
