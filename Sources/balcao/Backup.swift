import ArgumentParser
import BalcaoApp
import Foundation
import Storage

/// `balcao backup FILE`: one archive of the database, the originals and the settings, while the daemon runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a backup archive (database snapshot, originals, secret key, configuration) while the daemon runs.",
        discussion:
            "The archive is a zip file with a manifest of SHA-256 checksums, mode 0600 (it holds the secret key). Restore it with `balcao restore FILE`."
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The archive to write (must not exist).")
    var file: String

    func run() async throws {
        let configuration = try options.load()
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        guard FileManager.default.fileExists(atPath: directory.database.path) else {
            throw ValidationError(BackupError.noDatabase(path: directory.database.path).description)
        }
        do {
            let database = try AppDatabase.open(at: directory.database)
            let summary = try BackupArchive.create(
                directory: directory,
                database: database,
                configurationFile: options.configurationFile,
                to: URL(fileURLWithPath: file)
            )
            let counts = summary.manifest.counts
            print(
                "Backup written to \(summary.archive.path) (\(ByteCountFormatter.string(fromByteCount: summary.bytes, countStyle: .file))): "
                    + "\(counts["document"] ?? 0) documents, \(counts["conversation"] ?? 0) conversations, \(summary.manifest.entries.count) files."
            )
            if !summary.manifest.missingOriginals.isEmpty {
                printError("Warning: \(summary.manifest.missingOriginals.count) originals were deleted during the backup and are not in it.")
            }
        } catch let error as BackupError {
            throw ValidationError(error.description)
        }
    }
}

/// `balcao restore FILE`: verifies a backup, then replaces the data directory with it (daemon stopped).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup archive into the data directory (stop the daemon first).",
        discussion:
            "Every file is checked against the manifest and the database's integrity before anything is touched; the data directory is then replaced in one rename. An existing data directory is replaced only with --force."
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The archive written by `balcao backup`.")
    var file: String

    @Flag(name: .long, help: "Replace an existing data directory.")
    var force = false

    func run() async throws {
        let configuration = try options.load()
        let directory = DataDirectory(root: configuration.dataDirectoryURL)
        do {
            let summary = try BackupArchive.restore(URL(fileURLWithPath: file), to: directory, force: force)
            let counts = summary.manifest.counts
            print(
                "Restored the backup of \(summary.manifest.createdAt.formatted(.iso8601)) into \(directory.root.path): "
                    + "\(counts["document"] ?? 0) documents, \(counts["conversation"] ?? 0) conversations."
            )
            if let configurationFile = summary.configurationFile {
                print("The configuration in use at backup time is in \(configurationFile.path): compare it with yours.")
            }
            print("The vector index is rebuilt from the database when the daemon starts.")
        } catch let error as BackupError {
            throw ValidationError(error.description)
        }
    }
}
