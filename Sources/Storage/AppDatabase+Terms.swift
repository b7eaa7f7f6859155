import GRDB

extension AppDatabase {
    /// How many chunks hold each of `words` (matched by the keyword index, so accents, case and word endings are treated
    /// as in search; a word no chunk holds has 0), and how many chunks there are in all.
    public func chunkFrequencies(of words: [String]) throws -> (chunks: Int, frequencies: [String: Int]) {
        try reader.read { db in
            var frequencies: [String: Int] = [:]
            for word in Set(words) where !word.isEmpty {
                let pattern = "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                frequencies[word] = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunkFTS WHERE chunkFTS MATCH ?", arguments: [pattern]) ?? 0
            }
            return (try Int.fetchOne(db, sql: "SELECT count(*) FROM chunk") ?? 0, frequencies)
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
