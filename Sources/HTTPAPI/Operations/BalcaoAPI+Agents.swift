import Foundation
import Storage

/// `/agents` and `/agents/{id}`.
extension BalcaoAPI {
    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        .ok(.init(body: .json(.init(agents: try database.agents().map { try present($0) }))))
    }

    func getAgent(_ input: Operations.GetAgent.Input) async throws -> Operations.GetAgent.Output {
        .ok(.init(body: .json(try present(try agent(input.path.id)))))
    }

    func createAgent(_ input: Operations.CreateAgent.Input) async throws -> Operations.CreateAgent.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("The body must be a JSON agent.") }
        var agent = Agent(name: "", now: Date())
        try apply(body, to: &agent)
        return .created(.init(body: .json(try await save(&agent, documents: body.documents))))
    }

    func updateAgent(_ input: Operations.UpdateAgent.Input) async throws -> Operations.UpdateAgent.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("The body must be a JSON agent.") }
        var agent = try agent(input.path.id)
        try apply(body, to: &agent)
        return .ok(.init(body: .json(try await save(&agent, documents: body.documents))))
    }

    func deleteAgent(_ input: Operations.DeleteAgent.Input) async throws -> Operations.DeleteAgent.Output {
        let agent = try agent(input.path.id)
        let presented = try present(agent)
        try await database.deleteAgent(id: agent.id!)
        return .ok(.init(body: .json(presented)))
    }

    /// Copies the fields that were sent onto `agent`; a field left out or null stays as it is.
    private func apply(_ body: Components.Schemas.Agent, to agent: inout Agent) throws {
        let trimmed = body.name.trimmingAPIWhitespace
        // The limit counts Unicode scalars of the name as sent, as the OpenAPI document's maxLength does.
        guard !trimmed.isEmpty, body.name.unicodeScalars.count <= 100 else {
            throw APIError.badRequest("An agent needs a name of 1 to 100 characters.")
        }
        agent.name = trimmed
        if let persona = body.persona { agent.persona = persona }
        if let instructions = body.instructions { agent.instructions = instructions }
        if let language = body.language {
            guard language.hasPrefix("pt") || language.hasPrefix("en") else { throw APIError.badRequest("language must be pt-BR or en.") }
            agent.language = language
        }
        if let phoneNumberIDs = body.phoneNumberIds { agent.phoneNumberIDs = phoneNumberIDs }
        if let keywords = body.handoffKeywords { agent.handoffKeywords = keywords.filter { !$0.isEmpty } }
        if let message = body.outOfCreditsMessage { agent.outOfCreditsMessage = message.isEmpty ? nil : message }
        if let message = body.outOfScopeMessage { agent.outOfScopeMessage = message.isEmpty ? nil : message }
        if let isDefault = body.isDefault { agent.isDefault = isDefault }
    }

    /// Stores `agent` (and, when given, the documents it answers from) unless another agent has its name.
    private func save(_ agent: inout Agent, documents: [Int64]?) async throws -> Components.Schemas.Agent {
        if let other = try database.agent(named: agent.name), other.id != agent.id {
            throw APIError(.conflict, code: "exists", message: "An agent named “\(agent.name)” already exists.")
        }
        try await database.save(&agent)
        if let documents { try await database.setDocuments(documents, ofAgent: agent.id!) }
        return try present(agent)
    }

    private func agent(_ id: Int64) throws -> Agent {
        guard let agent = try database.agent(id: id) else { throw APIError.notFound("There is no such agent.") }
        return agent
    }

    private func present(_ agent: Agent) throws -> Components.Schemas.Agent {
        Components.Schemas.Agent(
            id: agent.id,
            name: agent.name,
            persona: agent.persona,
            instructions: agent.instructions,
            language: agent.language,
            documents: try database.documentIDs(ofAgent: agent.id!).sorted(),
            phoneNumberIds: agent.phoneNumberIDs,
            handoffKeywords: agent.handoffKeywords,
            outOfCreditsMessage: agent.outOfCreditsMessage,
            outOfScopeMessage: agent.outOfScopeMessage,
            isDefault: agent.isDefault
        )
    }
}
