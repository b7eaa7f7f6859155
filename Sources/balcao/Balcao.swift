import ArgumentParser
import BalcaoApp

/// `balcao`: the daemon and its command-line tools.
@main
struct BalcaoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balcao",
        abstract: "Balcão: a self-hosted assistant that answers customers from the business's own documents.",
        version: BalcaoVersion.current,
        subcommands: [
            Serve.self, Ingest.self, Extract.self, Search.self, Ask.self, Embed.self, Documents.self, Reindex.self, CreditsCommand.self,
            BackupCommand.self, RestoreCommand.self, DoctorCommand.self, UserCommand.self,
        ],
        defaultSubcommand: nil
    )
}
