import Answering
import ArgumentParser
import BalcaoApp
import Foundation

/// `balcao ask "pergunta"`: the answering pipeline from a terminal.
struct Ask: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Answer a question as the assistant would, showing its sources.")

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Answer as this agent (its documents, persona and language).")
    var agent: String?

    @Argument(help: "The question.")
    var question: String

    func run() async throws {
        let balcao = try options.open()
        let agentRecord = try agent.map { name in
            guard let found = try balcao.database.agent(named: name) else { throw ValidationError("There is no agent named “\(name)”.") }
            return found
        }
        // The same decision as a WhatsApp turn (a first question, not paid for: the owner is asking).
        let answer = try await balcao.answerer.answer(question, agent: agentRecord)
        if let generated = answer.generated {
            printError("(\(generated.model): \(generated.promptTokens) prompt + \(generated.completionTokens) completion tokens)")
        }
        if let failure = answer.modelFailure { printError("The language model failed (\(failure)); quoting the documents instead.") }
        if let reason = answer.handoffReason { printError("(handed to a person: \(reason.rawValue))") }
        print(answer.text)
        if !answer.passages.isEmpty {
            print("\nSources:")
            for (rank, passage) in answer.passages.enumerated() {
                let elsewhere = passage.alsoIn.map { $0.filename + ($0.page.map { ", p. \($0)" } ?? "") }
                let also = elsewhere.isEmpty ? "" : " (also in \(elsewhere.joined(separator: "; ")))"
                print("  \(rank + 1). [\(String(format: "%.3f", passage.score))] \(passage.citation())\(also)")
            }
        }
    }
}
