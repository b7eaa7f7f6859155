import ArgumentParser
import BalcaoApp
import Credits
import Foundation

/// `balcao credits show|add`.
struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Show and top up the prepaid credit balance.",
        subcommands: [Show.self, Add.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the balance and recent ledger entries.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let ledger = try options.open().ledger
            let status = try await ledger.status()
            print("Balance: \(status.balance) credits (\(status.reserved) held for answers in progress)\(status.isLow ? " — LOW" : "")")
            for entry in try await ledger.recentEntries(limit: 20) {
                print(
                    "  \(APIDateText.format(entry.createdAt))  \(entry.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.amount)  \(entry.reason) (\(entry.actor))"
                )
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add credits to the balance.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: "Why (kept in the ledger).") var reason: String
        @Argument(help: "How many credits (e.g. 100 or 12.5).") var amount: String

        func run() async throws {
            guard let value = CreditAmount(parsing: amount), value > .zero else {
                throw ValidationError("“\(amount)” is not a positive number of credits.")
            }
            let ledger = try options.open().ledger
            let actor = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
            _ = try await ledger.topUp(amount: value, reason: reason, actor: actor)
            print("Added \(value) credits. Balance: \(try await ledger.balance()).")
        }
    }
}

/// Dates for terminal output.
enum APIDateText {
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
    }
}
