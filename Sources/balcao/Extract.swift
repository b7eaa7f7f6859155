import ArgumentParser
import Foundation
import Ingestion

/// `balcao extract`: reads one document for the daemon, in a child process with time and memory limits.
///
/// Not meant to be run by hand: the daemon starts it for every document, sends the request (file, password, limits)
/// as JSON on standard input and reads the chunks, or the reason the file cannot be used, as JSON on standard output.
/// A crash, a hang or a memory blow-up here ends that document `failed`, never the daemon.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read one document (JSON request on standard input, JSON reply on standard output); used by the daemon.",
        shouldDisplay: false
    )

    func run() throws {
        let status = DocumentReadWorker.run()
        if status != 0 { throw ExitCode(status) }
    }
}
