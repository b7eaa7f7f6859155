import AdminWeb
import ArgumentParser
import BalcaoApp
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `balcao user add --admin|--operator NAME`: creates a user of the admin web page.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the users of the admin web page.",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user. The password is read from standard input (one line) or asked for on a terminal."
        )
        @OptionGroup var options: GlobalOptions
        @Flag(name: .customLong("admin"), help: "An owner: everything, settings, users and credit top-ups included.") var owner = false
        @Flag(name: .customLong("operator"), help: "An operator: conversations, documents, agents, unanswered questions.") var `operator` = false
        @Argument(help: "The user name (letters, digits, . _ - @).") var name: String

        func validate() throws {
            guard owner != `operator` else { throw ValidationError("Give exactly one of --admin or --operator.") }
        }

        func run() async throws {
            let password = try Self.readPassword()
            do {
                try AdminUsers.validate(username: name, password: password)
            } catch {
                throw ValidationError(error.description)
            }
            let balcao = try options.open()
            let users = AdminUsers(database: balcao.database)
            let role: AdminRole = owner ? .owner : .operator
            do {
                _ = try await users.create(username: name, password: password, role: role)
            } catch let error as AdminUserError {
                throw ValidationError(error.description)
            }
            let actor = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
            try await AdminAudit(database: balcao.database).record("user.create", target: name, detail: role.rawValue, actor: actor, address: "")
            print("Created \(role == .owner ? "owner" : "operator") “\(name)”. Sign in at /admin.")
        }

        /// One line from standard input, or a hidden prompt when standard input is a terminal.
        static func readPassword() throws -> String {
            if isatty(STDIN_FILENO) != 0 {
                guard let first = getpass("Password: ").map({ String(cString: $0) }) else { throw ValidationError("No password given.") }
                guard let second = getpass("Again: ").map({ String(cString: $0) }), first == second else {
                    throw ValidationError("The two passwords differ.")
                }
                return first
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("No password on standard input.") }
            return line
        }
    }
}
