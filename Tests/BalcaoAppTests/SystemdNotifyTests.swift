import BalcaoApp
import BalcaoTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sd_notify`: the packaged unit is `Type=notify`, so `READY=1` must arrive once the server listens, and only then.
@Suite("systemd notification")
struct SystemdNotifyTests {
    /// A bound, non-blocking `AF_UNIX` datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let descriptor: Int32
        /// The value for `$NOTIFY_SOCKET`.
        let name: String

        init(abstract: Bool) throws {
            let unique = UUID().uuidString.prefix(8)
            name = abstract ? "@balcao-notify-test-\(unique)" : FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(unique)").path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(name.utf8)
            if abstract { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            try #require(descriptor >= 0 && result == 0, "cannot bind \(name): errno \(errno)")
        }

        deinit {
            close(descriptor)
            if !name.hasPrefix("@") { unlink(name) }
        }

        /// The next datagram, waiting up to `timeout` by polling.
        func receive(timeout: Duration) async -> String? {
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
    }

    @Test("notify sends one datagram to a path or an abstract socket, and nothing without a usable $NOTIFY_SOCKET")
    func notifySends() async throws {
        for abstract in [false, true] {
            let socket = try NotifySocket(abstract: abstract)
            #expect(SystemdNotifier.notify("STATUS=hello", environment: ["NOTIFY_SOCKET": socket.name]))
            #expect(await socket.receive(timeout: .seconds(5)) == "STATUS=hello")
        }
        #expect(!SystemdNotifier.notify("READY=1", environment: [:]))
        #expect(!SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": "relative/path"]))
        #expect(!SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": "/nonexistent/balcao/notify"]))
    }

    @Test("`balcao serve` sends READY=1 once it answers HTTP")
    func serveSignalsReady() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-notify-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let socket = try NotifySocket(abstract: false)
        let port = LoopbackHTTP.freePort()
        let environment = [
            "BALCAO_STORAGE_DATA_DIR": scratch.appendingPathComponent("data").path, "BALCAO_SERVER_PORT": String(port),
            "BALCAO_SERVER_API_TOKEN": "t0ken", "BALCAO_EMBEDDING_PROVIDER": "none", "NOTIFY_SOCKET": socket.name,
        ]
        let log = scratch.appendingPathComponent("log")
        let daemon = try BalcaoProcess(workingDirectory: scratch, environment: environment).start(["serve"], log: log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let message = await socket.receive(timeout: .seconds(60))
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(message?.split(separator: "\n").contains("READY=1") == true, "got \(message ?? "nothing"); log:\n\(output)")
        // Ready means listening: the first request after the notification is answered.
        #expect(await LoopbackHTTP.status(of: URL(string: "http://127.0.0.1:\(port)/healthz")!) == 200)
        kill(daemon.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
    }
}
