import ArgumentParser
import BalcaoApp
import Foundation
import Retrieval

/// `balcao search "texto"`: the passages the assistant would read for a question.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search the documents as the assistant would.")

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Search only this agent's documents.")
    var agent: String?

    @Option(name: .long, help: "How many passages to show.")
    var limit: Int = 5

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "What to search for.")
    var text: String

    func run() async throws {
        let balcao = try options.open()
        let results: [SearchResult]
        do {
            results = try await balcao.search.search(text, limit: max(1, min(limit, 50)), agent: agent)
        } catch let error as SearchService.SearchError {
            throw ValidationError(error.description)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["results": results]), as: UTF8.self))
            return
        }
        if results.isEmpty {
            print("No passage matches “\(text)”.")
            return
        }
        for (rank, result) in results.enumerated() {
            var source = result.filename
            if let page = result.page { source += ", p. \(page)" }
            if !result.section.isEmpty { source += " — \(result.section)" }
            print("\(rank + 1). [\(String(format: "%.3f", result.score))] \(source)")
            let excerpt = result.text.replacingOccurrences(of: "\n", with: " ")
            print("   \(excerpt.prefix(300))\(excerpt.count > 300 ? "…" : "")\n")
        }
    }
}
