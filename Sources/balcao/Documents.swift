import ArgumentParser
import BalcaoApp
import Foundation
import Ingestion
import Storage

/// `balcao documents list|show|delete`.
struct Documents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, inspect and delete documents.",
        subcommands: [List.self, Show.self, Delete.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every document with its state.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let documents = try options.open().database.documents()
            if documents.isEmpty {
                print("No documents yet. Add some with: balcao ingest FILE…")
                return
            }
            print("   ID  STATUS      PAGES  CHUNKS  FILE")
            for document in documents {
                let pages = document.pages.map(String.init) ?? "-"
                print(
                    String(document.id!).leftPadded(5) + "  " + document.status.rawValue.rightPadded(10) + "  "
                        + pages.leftPadded(5) + "  " + String(document.chunks).leftPadded(6) + "  " + document.filename
                )
                if let reason = document.reason, document.status != .indexed { print("       ↳ \(reason)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one document and its chunks.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Document id.") var id: Int64

        func run() async throws {
            let balcao = try options.open()
            guard let document = try balcao.database.document(id: id) else { throw ValidationError("There is no document \(id).") }
            print("Document \(id): \(document.filename)")
            print("  status   \(document.status.rawValue)\(document.reason.map { " — \($0)" } ?? "")")
            print("  format   \(document.format ?? "-"), \(document.bytes) bytes, sha256 \(document.sha256)")
            print("  pages    \(document.pages.map(String.init) ?? "-"), chunks \(document.chunks)")
            for chunk in try balcao.database.chunks(ofDocument: id) {
                let pages =
                    chunk.pageStart.map { start in chunk.pageEnd.map { $0 == start ? "p. \(start)" : "pp. \(start)–\($0)" } ?? "p. \(start)" } ?? ""
                print("\n  #\(chunk.ordinal) \(pages) \(chunk.section) (\(chunk.tokenCount) tokens)")
                print("  " + chunk.text.prefix(200).replacingOccurrences(of: "\n", with: " ") + (chunk.text.count > 200 ? "…" : ""))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a document, its chunks and its original.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Document id.") var id: Int64

        func run() async throws {
            do {
                let document = try await options.open().library.delete(id: id)
                print("Deleted document \(id) (\(document.filename)).")
            } catch let error as DocumentLibraryError {
                throw ValidationError(error.description)
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func rightPadded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
