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
        let language = agentRecord?.language ?? "pt-BR"
        let retrieved = try await balcao.answerer.retrieve(question, agent: agentRecord)
        let answer: String
        if !retrieved.isRelevant {
            answer = agentRecord?.outOfScopeMessage ?? Phrases.forLanguage(language).outOfScope
        } else if balcao.answerer.chatModel != nil {
            do {
                let generated = try await balcao.answerer.generate(question: question, agent: agentRecord, passages: retrieved.passages, history: [])
                answer = generated.text
                printError("(\(generated.model): \(generated.promptTokens) prompt + \(generated.completionTokens) completion tokens)")
            } catch {
                printError("The language model failed (\(error)); quoting the documents instead.")
                answer = balcao.answerer.extractive(passages: retrieved.passages, language: language)
            }
        } else {
            answer = balcao.answerer.extractive(passages: retrieved.passages, language: language)
        }
        print(answer)
        if !retrieved.passages.isEmpty {
            print("\nSources:")
            for (rank, passage) in retrieved.passages.enumerated() {
                print("  \(rank + 1). [\(String(format: "%.3f", passage.score))] \(passage.citation())")
            }
        }
    }
}
