import Foundation
import Hummingbird
import Storage

/// An agent as the API shows and accepts it.
struct APIAgent: ResponseEncodable, Decodable, Sendable {
    var id: Int64?
    var name: String
    var persona: String?
    var instructions: String?
    var language: String?
    var documents: [Int64]?
    var phoneNumberIDs: [String]?
    var handoffKeywords: [String]?
    var outOfCreditsMessage: String?
    var outOfScopeMessage: String?
    var isDefault: Bool?

    enum CodingKeys: String, CodingKey {
        case id, name, persona, instructions, language, documents
        case phoneNumberIDs = "phone_number_ids"
        case handoffKeywords = "handoff_keywords"
        case outOfCreditsMessage = "out_of_credits_message"
        case outOfScopeMessage = "out_of_scope_message"
        case isDefault = "is_default"
    }

    init(_ agent: Agent, documents: [Int64]) {
        id = agent.id
        name = agent.name
        persona = agent.persona
        instructions = agent.instructions
        language = agent.language
        self.documents = documents.sorted()
        phoneNumberIDs = agent.phoneNumberIDs
        handoffKeywords = agent.handoffKeywords
        outOfCreditsMessage = agent.outOfCreditsMessage
        outOfScopeMessage = agent.outOfScopeMessage
        isDefault = agent.isDefault
    }

    /// Copies the fields that were sent onto `agent`.
    func apply(to agent: inout Agent) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        // The limit counts Unicode scalars of the name as sent, as the OpenAPI document's maxLength does.
        guard !trimmed.isEmpty, name.unicodeScalars.count <= 100 else { throw APIError.badRequest("An agent needs a name of 1 to 100 characters.") }
        agent.name = trimmed
        if let persona { agent.persona = persona }
        if let instructions { agent.instructions = instructions }
        if let language {
            guard ["pt-BR", "pt", "en"].contains(language) || language.hasPrefix("pt") || language.hasPrefix("en") else {
                throw APIError.badRequest("language must be pt-BR or en.")
            }
            agent.language = language
        }
        if let phoneNumberIDs { agent.phoneNumberIDs = phoneNumberIDs }
        if let handoffKeywords { agent.handoffKeywords = handoffKeywords.filter { !$0.isEmpty } }
        if let outOfCreditsMessage { agent.outOfCreditsMessage = outOfCreditsMessage.isEmpty ? nil : outOfCreditsMessage }
        if let outOfScopeMessage { agent.outOfScopeMessage = outOfScopeMessage.isEmpty ? nil : outOfScopeMessage }
        if let isDefault { agent.isDefault = isDefault }
    }
}

/// `{"agents": […]}`.
struct APIAgentList: ResponseEncodable, Sendable {
    var agents: [APIAgent]
}

/// `/api/v1/agents`.
struct AgentsController<Context: RequestContext>: Sendable {
    /// The agents are stored in.
    let database: AppDatabase

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("agents", use: list)
        group.post("agents", use: create)
        group.get("agents/:id", use: show)
        group.put("agents/:id", use: update)
        group.delete("agents/:id", use: delete)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> APIAgentList {
        APIAgentList(agents: try database.agents().map { try present($0) })
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> APIAgent {
        try present(try find(context))
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<APIAgent> {
        let input = try await decode(request, context: context)
        var agent = Agent(name: "", now: Date())
        try input.apply(to: &agent)
        if try database.agent(named: agent.name) != nil {
            throw APIError(.conflict, code: "exists", message: "An agent named “\(agent.name)” already exists.")
        }
        try database.save(&agent)
        if let documents = input.documents { try database.setDocuments(documents, ofAgent: agent.id!) }
        return EditedResponse(status: .created, response: try present(agent))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> APIAgent {
        var agent = try find(context)
        let input = try await decode(request, context: context)
        try input.apply(to: &agent)
        if let other = try database.agent(named: agent.name), other.id != agent.id {
            throw APIError(.conflict, code: "exists", message: "An agent named “\(agent.name)” already exists.")
        }
        try database.save(&agent)
        if let documents = input.documents { try database.setDocuments(documents, ofAgent: agent.id!) }
        return try present(agent)
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> APIAgent {
        let agent = try find(context)
        let presented = try present(agent)
        try database.deleteAgent(id: agent.id!)
        return presented
    }

    private func decode(_ request: Request, context: Context) async throws -> APIAgent {
        do {
            return try await request.decodeAPIBody(as: APIAgent.self, context: context)
        } catch {
            throw APIError.badRequest("The body must be a JSON agent with at least a name.")
        }
    }

    private func find(_ context: Context) throws -> Agent {
        guard let id = context.parameters.get("id", as: Int64.self), let agent = try database.agent(id: id) else {
            throw APIError.notFound("There is no such agent.")
        }
        return agent
    }

    private func present(_ agent: Agent) throws -> APIAgent {
        APIAgent(agent, documents: try database.documentIDs(ofAgent: agent.id!))
    }
}
