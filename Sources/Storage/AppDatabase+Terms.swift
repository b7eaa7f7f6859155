import GRDB

extension AppDatabase {
    /// The words of `words` that occur in at least one chunk (matched by the keyword index, so accents, case and word
    /// endings are treated as in search).
    public func indexedWords(_ words: [String]) throws -> Set<String> {
        try reader.read { db in
            var found = Set<String>()
            for word in Set(words) where !word.isEmpty {
                let pattern = "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM chunkFTS WHERE chunkFTS MATCH ? LIMIT 1", arguments: [pattern]) == true {
                    found.insert(word)
                }
            }
            return found
        }
    }

    /// For each chunk of `chunkIDs`, which of `words` it contains.
    public func words(_ words: [String], in chunkIDs: [Int64]) throws -> [Int64: Set<String>] {
        guard !chunkIDs.isEmpty else { return [:] }
        return try reader.read { db in
            var result: [Int64: Set<String>] = [:]
            for word in Set(words) where !word.isEmpty {
                let pattern = "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let ids = try Int64.fetchAll(
                    db,
                    sql: "SELECT rowid FROM chunkFTS WHERE chunkFTS MATCH ? AND rowid IN (\(databaseQuestionMarks(count: chunkIDs.count)))",
                    arguments: StatementArguments([pattern]) + StatementArguments(chunkIDs)
                )
                for id in ids { result[id, default: []].insert(word) }
            }
            return result
        }
    }
}
