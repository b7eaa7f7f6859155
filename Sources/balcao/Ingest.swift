import ArgumentParser
import BalcaoApp
import Foundation
import Ingestion
import Storage

/// `balcao ingest FILE…`: adds documents and processes them now, showing progress.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add documents (PDF, DOCX, TXT) and index them.")

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Agent that answers from these documents (created if new).")
    var agent: String?

    @Option(name: .long, help: "Password of encrypted PDFs.")
    var password: String?

    @Argument(help: "Files to add.")
    var files: [String]

    func run() async throws {
        let balcao = try options.open()
        var failures = 0
        var queued: [(name: String, id: Int64)] = []
        for path in files {
            let url = URL(fileURLWithPath: path)
            let name = url.lastPathComponent
            do {
                let registered = try await balcao.library.add(fileAt: url, agent: agent, password: password)
                let document = registered.document
                if registered.isDuplicate && document.status.isFinal {
                    print("= \(name): already stored as document \(document.id!) (\(document.status.rawValue))")
                    if document.status != .indexed { failures += 1 }
                } else {
                    queued.append((name, document.id!))
                }
            } catch {
                failures += 1
                print("✗ \(name): \(Self.describe(error))")
            }
        }
        let progress = ProgressLine(total: queued.count)
        for (index, entry) in queued.enumerated() {
            progress.show(index: index, label: entry.name)
            let start = ContinuousClock.now
            let document = try await Self.process(documentID: entry.id, balcao: balcao) { status in
                progress.show(index: index, label: "\(entry.name) — \(status.rawValue)")
            }
            progress.clear()
            let seconds = (ContinuousClock.now - start).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
            if document.status == .indexed {
                let pages = document.pages.map { "\($0) pages, " } ?? ""
                print("✓ \(entry.name): indexed as document \(entry.id), \(pages)\(document.chunks) chunks (\(seconds))")
            } else {
                failures += 1
                print("✗ \(entry.name): \(document.status.rawValue) — \(document.reason ?? "no reason given")")
            }
        }
        balcao.saveVectorIndex()
        if failures > 0 { throw ExitCode.failure }
    }

    /// Runs the document's pending job here, or waits for a daemon that claimed it first, until the document is final.
    static func process(
        documentID: Int64,
        balcao: Balcao,
        onStatus: (DocumentStatus) -> Void
    ) async throws -> Document {
        var lastStatus: DocumentStatus?
        while true {
            if let claimed = try await balcao.database.claimNextJob(among: [documentID]) {
                onStatus(.extracting)
                await balcao.pipeline.run(claimed)
            }
            guard let document = try balcao.database.document(id: documentID) else {
                throw ValidationError("Document \(documentID) was deleted while it was being processed.")
            }
            if try document.status.isFinal && balcao.database.pendingJobCount(documentID: documentID) == 0 {
                return document
            }
            if document.status != lastStatus {
                onStatus(document.status)
                lastStatus = document.status
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? CocoaError, let path = error.userInfo[NSFilePathErrorKey] as? String {
            return error.code == .fileReadNoSuchFile ? "no such file (\(path))" : "cannot read \(path)"
        }
        if (error as NSError).domain == NSCocoaErrorDomain { return (error as NSError).localizedDescription }
        return String(describing: error)
    }
}

/// A one-line progress display on a terminal; plain lines otherwise.
final class ProgressLine {
    private let total: Int
    private let isTerminal = isatty(STDOUT_FILENO) != 0

    init(total: Int) {
        self.total = total
    }

    func show(index: Int, label: String) {
        guard isTerminal else { return }
        let text = "[\(index + 1)/\(total)] \(label)"
        FileHandle.standardOutput.write(Data("\r\u{1B}[K\(text.prefix(120))".utf8))
    }

    func clear() {
        guard isTerminal else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }
}
