import Foundation
import GRDB

extension AppDatabase {
    /// Every agent, by name.
    public func agents() throws -> [Agent] {
        try reader.read { db in try Agent.order(Column("name")).fetchAll(db) }
    }

    /// The agent with this id.
    public func agent(id: Int64) throws -> Agent? {
        try reader.read { db in try Agent.fetchOne(db, key: id) }
    }

    /// Inserts or updates an agent; a second default agent takes the role from the first.
    public func save(_ agent: inout Agent) async throws {
        agent = try await writer.write { [agent] db in
            var agent = agent
            if agent.isDefault {
                try db.execute(sql: "UPDATE agent SET isDefault = 0 WHERE id IS NOT ?", arguments: [agent.id])
            }
            try agent.save(db)
            return agent
        }
    }

    /// Deletes an agent (its documents stay); returns whether it existed.
    @discardableResult
    public func deleteAgent(id: Int64) async throws -> Bool {
        try await writer.write { db in try Agent.deleteOne(db, key: id) }
    }

    /// Makes `documentIDs` exactly the documents an agent answers from.
    public func setDocuments(_ documentIDs: [Int64], ofAgent agentID: Int64) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM agentDocument WHERE agentId = ?", arguments: [agentID])
            for documentID in Set(documentIDs) {
                try db.execute(
                    sql: "INSERT INTO agentDocument (agentId, documentId) SELECT ?, id FROM document WHERE id = ?",
                    arguments: [agentID, documentID]
                )
            }
        }
    }

    /// The agent that answers a WhatsApp number: the one that lists it, else the default agent, else the only agent.
    public func agent(forPhoneNumberID phoneNumberID: String) throws -> Agent? {
        let all = try agents()
        if let claimed = all.first(where: { $0.phoneNumberIDs.contains(phoneNumberID) }) { return claimed }
        if let fallback = all.first(where: \.isDefault) { return fallback }
        return all.count == 1 ? all[0] : nil
    }
}
