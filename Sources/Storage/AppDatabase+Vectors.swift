import Foundation
import GRDB

/// A stored vector as read back for (re)building the index.
public struct StoredVector: Sendable, Hashable {
    /// Sequence number: increases with every write.
    public var seq: Int64
    /// The chunk it embeds.
    public var chunkID: Int64
    /// The model identity that produced it.
    public var model: String
    /// The components.
    public var vector: [Float]
}

extension AppDatabase {
    /// Stores (or replaces) the vectors of chunks; each replacement gets a new sequence number. Returns the highest
    /// sequence number this call wrote (0 when `vectors` is empty).
    @discardableResult
    public func storeVectors(_ vectors: [(chunkID: Int64, vector: [Float])], model: String) async throws -> Int64 {
        try await writer.write { db in
            var last: Int64 = 0
            for (chunkID, vector) in vectors {
                try db.execute(sql: "DELETE FROM chunkVector WHERE chunkId = ?", arguments: [chunkID])
                try db.execute(
                    sql: "INSERT INTO chunkVector (chunkId, model, vector) VALUES (?, ?, ?)",
                    arguments: [chunkID, model, VectorBlob.encode(vector)]
                )
                last = db.lastInsertedRowID
            }
            return last
        }
    }

    /// Vectors written after sequence number `seq` (all of them for 0), in sequence order.
    public func vectors(after seq: Int64, limit: Int = .max) throws -> [StoredVector] {
        try reader.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, chunkId, model, vector FROM chunkVector WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [seq, limit]
            ).map { row in
                StoredVector(seq: row[0], chunkID: row[1], model: row[2], vector: VectorBlob.decode(row[3]))
            }
        }
    }

    /// The ids of all chunks that have a vector.
    public func vectorChunkIDs() throws -> Set<Int64> {
        try reader.read { db in Set(try Int64.fetchAll(db, sql: "SELECT chunkId FROM chunkVector")) }
    }

    /// The highest sequence number written so far (0 when none).
    public func lastVectorSequence() throws -> Int64 {
        try reader.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM chunkVector") ?? 0 }
    }

    /// The model identities that vectors were made with, and how many of each.
    public func vectorModels() throws -> [String: Int] {
        try reader.read { db in
            var models: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) FROM chunkVector GROUP BY model") {
                models[row[0]] = row[1]
            }
            return models
        }
    }
}

/// Vectors are stored as little-endian Float32 bytes.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { index in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    }
}
