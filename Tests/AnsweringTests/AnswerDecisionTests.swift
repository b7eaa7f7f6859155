import Answering
import BalcaoTesting
import Foundation
import LLM
import Retrieval
import Storage
import Synchronization
import Testing

/// The one answering decision (``Answerer/answer(_:agent:context:)``) that WhatsApp turns, `balcao ask` and the playground
/// share, against a real SQLite database and, for the model, the fake OpenAI-compatible server over loopback.
@Suite("Answer decision")
struct AnswerDecisionTests {
    static let policy = "Política de trocas: a troca de produtos é gratuita em até 30 dias com a nota fiscal."

    /// A database with one agent ("vendas", whose messages are its own) and one indexed policy passage.
    static func answerer(model: (any ChatModel)?) async throws -> (Answerer, Agent) {
        let database = try AppDatabase.inMemory()
        let upload = try await database.registerUpload(
            filename: "politicas.txt",
            sha256: String(repeating: "a", count: 64),
            bytes: 1,
            format: "text",
            sealedPassword: nil,
            agentName: "vendas"
        )
        _ = try await database.replaceChunks(
            documentID: upload.document.id!,
            with: [NewChunk(text: policy, section: "Trocas", pageStart: nil, pageEnd: nil, tokenCount: 20)]
        )
        try await database.setStatus(documentID: upload.document.id!, .indexed)
        var agent = try #require(try database.agent(named: "vendas"))
        agent.outOfScopeMessage = "Isso eu não sei responder."
        agent.handoffKeywords = ["gerente"]
        try await database.save(&agent)
        let search = SearchService(database: database, embedder: nil, vectorIndex: NoVectorIndex())
        return (Answerer(search: search, chatModel: model), agent)
    }

    static func model(_ llm: FakeLLM) -> OpenAIChatClient {
        OpenAIChatClient(configuration: .init(baseURL: llm.baseURL, apiKey: "sk-test", model: "fake-model", maxAttempts: 1))
    }

    @Test("asking for a person hands off at once, by a default or the agent's own keyword, without searching or a model call")
    func asksForPerson() async throws {
        let llm = try await FakeLLM.start()
        defer { Task { await llm.stop() } }
        let (answerer, agent) = try await Self.answerer(model: Self.model(llm))
        for question in ["Quero falar com um ATENDENTE", "chama o gerente, por favor"] {
            let answer = try await answerer.answer(question, agent: agent)
            #expect(answer.outcome == .handoff)
            #expect(answer.handoffReason == .askedForPerson)
            #expect(answer.text == Phrases.portuguese.handoff)
            #expect(answer.passages.isEmpty)
        }
        #expect(llm.requestCount == 0)
    }

    @Test("no relevant passage: the agent's out-of-scope message, then a person once too many questions in a row went unanswered")
    func unansweredThenHandoff() async throws {
        let (answerer, agent) = try await Self.answerer(model: nil)
        let first = try await answerer.answer("Vocês vendem bicicletas elétricas?", agent: agent)
        #expect(first.outcome == .unanswered)
        #expect(first.text == "Isso eu não sei responder.")
        let context = AnswerContext(unansweredInARow: 1, handoffAfterUnanswered: 2)
        let second = try await answerer.answer("Vocês vendem bicicletas elétricas?", agent: agent, context: context)
        #expect(second.outcome == .handoff)
        #expect(second.handoffReason == .repeatedlyUnanswered)
    }

    @Test("with no model the passage is quoted with its source")
    func extractiveWithoutModel() async throws {
        let (answerer, agent) = try await Self.answerer(model: nil)
        let answer = try await answerer.answer("Como funciona a troca de produtos?", agent: agent)
        #expect(answer.outcome == .extractive)
        #expect(answer.text.contains("a troca de produtos é gratuita"))
        #expect(answer.passages.map(\.text) == [Self.policy])
        #expect(answer.modelFailure == nil)
    }

    @Test("the model writes the answer, asked for at most the completion token limit, and the budget's hold is kept")
    func generated() async throws {
        let llm = try await FakeLLM.start()
        defer { Task { await llm.stop() } }
        llm.enqueue(.completion("A troca é gratuita em até 30 dias.", usage: (120, 12)))
        let (answerer, agent) = try await Self.answerer(model: Self.model(llm))
        let budget = RecordingBudget(allows: true)
        let answer = try await answerer.answer("Como funciona a troca de produtos?", agent: agent, context: AnswerContext(budget: budget))
        #expect(answer.outcome == .generated)
        #expect(answer.text == "A troca é gratuita em até 30 dias.")
        #expect(answer.generated?.promptTokens == 120)
        #expect(answer.generated?.completionTokens == 12)
        #expect(budget.events == ["reserve"])
        let request = try #require(llm.requests.first)
        #expect(request.jsonObject?["max_tokens"] as? Int == Answerer.completionTokenLimit)
    }

    @Test("no credit left: the model is not called and the customer is told a person will answer")
    func outOfCredits() async throws {
        let llm = try await FakeLLM.start()
        defer { Task { await llm.stop() } }
        let (answerer, agent) = try await Self.answerer(model: Self.model(llm))
        let budget = RecordingBudget(allows: false)
        let answer = try await answerer.answer("Como funciona a troca de produtos?", agent: agent, context: AnswerContext(budget: budget))
        #expect(answer.outcome == .outOfCredits)
        #expect(answer.handoffReason == .outOfCredits)
        #expect(answer.text == Phrases.portuguese.outOfCredits)
        #expect(llm.requestCount == 0)
    }

    @Test("a failing model gives the quoted passage, says why, and releases the hold")
    func modelFailure() async throws {
        let llm = try await FakeLLM.start()
        defer { Task { await llm.stop() } }
        llm.enqueue(.error(status: 500))
        let (answerer, agent) = try await Self.answerer(model: Self.model(llm))
        let budget = RecordingBudget(allows: true)
        let answer = try await answerer.answer("Como funciona a troca de produtos?", agent: agent, context: AnswerContext(budget: budget))
        #expect(answer.outcome == .extractive)
        #expect(answer.text.contains("a troca de produtos é gratuita"))
        #expect(answer.modelFailure?.contains("500") == true)
        #expect(budget.events == ["reserve", "release"])
    }
}

/// A budget that allows or refuses, recording what was asked of it.
final class RecordingBudget: ModelBudget {
    let allows: Bool
    private let recorded = Mutex<[String]>([])
    var events: [String] { recorded.withLock { $0 } }

    init(allows: Bool) { self.allows = allows }

    func reserve() async throws -> Bool {
        recorded.withLock { $0.append("reserve") }
        return allows
    }

    func release() async { recorded.withLock { $0.append("release") } }
}
