import ArgumentParser
import BalcaoApp
import Foundation
import Hummingbird
import Logging
import Storage

/// `balcao serve`: runs the daemon until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (HTTP API, background ingestion).")

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Address to listen on (overrides [server] host).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (overrides [server] port).")
    var port: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        var configuration = try options.load()
        if let host { configuration.server.host = host }
        if let port { configuration.server.port = port }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LogFormat.resolve(
            configured: configuration.log.format,
            environment: ProcessInfo.processInfo.environment,
            stdoutIsTerminal: isatty(STDOUT_FILENO) != 0
        ).bootstrap(level: level)
        var logger = Logger(label: "balcao")
        logger.logLevel = level
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        try directory.create()
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw ValidationError("\(error)") }
        directory.removeLeftoverUploads(lock: lock)
        let balcao = try Balcao.open(configuration: configuration, logger: logger)
        logger.info("data directory", metadata: ["path": "\(directory.root.path)"])
        let app = try buildApplication(balcao, configurationFile: options.configurationFile)
        try await app.runService()
        withExtendedLifetime(lock) {}
    }
}
