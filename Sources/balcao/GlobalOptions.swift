import ArgumentParser
import BalcaoApp
import Foundation
import Logging

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Configuration file (TOML). Default: $BALCAO_CONFIG, or /etc/balcao/balcao.toml for an installed daemon; none means embedded defaults."
    )
    var config: String?

    @Option(name: .long, help: "Data directory (overrides [storage] data_dir).")
    var dataDir: String?

    /// The configuration file to read, if any.
    var configurationFile: URL? {
        if let config { return URL(fileURLWithPath: config) }
        if let path = ProcessInfo.processInfo.environment["BALCAO_CONFIG"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let installed = "/etc/balcao/balcao.toml"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        if executable.hasPrefix("/usr/"), FileManager.default.fileExists(atPath: installed) { return URL(fileURLWithPath: installed) }
        return nil
    }

    /// Loads the configuration, or exits with the problem explained.
    func load() throws -> BalcaoConfiguration {
        do {
            var configuration = try BalcaoConfiguration.load(file: configurationFile)
            if let dataDir { configuration.storage.dataDirectory = dataDir }
            return configuration
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the daemon's parts, logging at `level`.
    func open(logLevel: Logger.Level = .warning) throws -> Balcao {
        let configuration = try load()
        var logger = Logger(label: "balcao")
        logger.logLevel = logLevel
        return try Balcao.open(configuration: configuration, logger: logger)
    }
}

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
