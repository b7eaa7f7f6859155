import ArgumentParser
import BalcaoApp
import Embedding
import Foundation

/// `balcao embed "texto"`: a debugging aid that shows what the embedding model makes of a text.
struct Embed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the first values of a text's embedding and the time it took.")

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Embed as a question (query: prefix) instead of a passage.")
    var query = false

    @Argument(help: "The text.")
    var text: String

    func run() async throws {
        let balcao = try options.open()
        guard let embedder = balcao.embedder else {
            throw ValidationError(
                "No embedding model is available. Run `make run` or `bash scripts/fetch-model.sh \(balcao.directory.models.path)`, or configure [embedding] provider = \"openai\"."
            )
        }
        let role: EmbeddingRole = query ? .query : .passage
        let started = ContinuousClock.now
        let vector = try await embedder.embed([text], role: role)[0]
        let elapsed = ContinuousClock.now - started
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        print("model      \(embedder.modelIdentity)")
        print("role       \(role.rawValue)")
        print("dimension  \(vector.count), norm \(String(format: "%.4f", norm))")
        print("first      " + vector.prefix(8).map { String(format: "%+.5f", $0) }.joined(separator: " "))
        print("time       \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
    }
}
