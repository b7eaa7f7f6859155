import BalcaoApp
import BalcaoTesting
import Foundation
import Logging

/// A Balcão wired to a fresh temporary data directory, for tests; the directory is removed when the value is released.
final class TestDaemon: Sendable {
    /// The daemon's parts.
    let balcao: Balcao
    /// The temporary data directory.
    let dataDirectory: URL
    /// The API token the test client must send.
    let apiToken = "test-token-\(UUID().uuidString)"

    /// Opens a daemon on a new data directory; `configure` adjusts the configuration first.
    /// The daemon's clock is `clock` (tests move it).
    init(configure: (inout BalcaoConfiguration) -> Void = { _ in }, clock: @escaping @Sendable () -> Date = Date.init) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-test-\(UUID().uuidString)", isDirectory: true)
        var configuration = BalcaoConfiguration()
        configuration.storage.dataDirectory = dataDirectory.path
        configuration.server.apiToken = apiToken
        configuration.server.port = 0
        configuration.embedding.provider = "none"
        // Voice notes only where a test asks for them (WhatsAppHarness), with the model `make setup` installs.
        configuration.speech.provider = "none"
        // Documents are read in a child process, as in the daemon: the test runner is not `balcao`, so it is named.
        configuration.storage.extractorExecutable = SharedFixtures.balcaoExecutable.path
        configure(&configuration)
        var logger = Logger(label: "balcao-test")
        logger.logLevel = .warning
        balcao = try Balcao.open(configuration: configuration, logger: logger, clock: clock)
    }

    /// `Authorization: Bearer …` for this daemon.
    var authorization: String { "Bearer \(apiToken)" }

    deinit {
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}
