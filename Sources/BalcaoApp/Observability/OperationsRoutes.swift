import Foundation
public import Hummingbird
import NIOCore
import Retrieval
import Storage

extension Balcao {
    /// One readiness check: `nil` when it passed, otherwise what failed.
    public struct ReadinessReport: Sendable, Codable, ResponseEncodable {
        /// `ready` or `not ready`.
        public var status: String
        /// Each check's result: `ok …`, `disabled …` or `failed: …`.
        public var checks: [String: String]
        /// Whether every check passed.
        public var isReady: Bool { status == "ready" }
    }

    /// What `/readyz` checks: the database takes a write, the embedding model is loaded, the vector index is built.
    public func readiness() async -> ReadinessReport {
        var checks: [String: String] = [:]
        var ready = true
        do {
            try await database.probeWrite()
            checks["database"] = "ok"
        } catch {
            // A full disk, a read-only data directory or a locked database is said in those words, with SQLite's own.
            let cause = StorageError(error).map { "\($0.code): \($0.description) " } ?? ""
            checks["database"] = "failed: the database does not take writes: \(cause)(\(error))"
            ready = false
        }
        if configuration.embedding.provider == "none" {
            checks["embedding"] = "disabled ([embedding] provider = \"none\")"
            checks["vector_index"] = "disabled (no embedding model)"
        } else if let embedder {
            checks["embedding"] = "ok (\(embedder.modelIdentity))"
            if let index = vectorIndex as? HNSWChunkIndex {
                checks["vector_index"] = "ok (\(index.count) vectors)"
            } else {
                checks["vector_index"] = "failed: no vector index"
                ready = false
            }
        } else {
            checks["embedding"] = "failed: the embedding model is not loaded (search is keyword-only); run `balcao doctor`"
            checks["vector_index"] = "failed: no embedding model"
            ready = false
        }
        return ReadinessReport(status: ready ? "ready" : "not ready", checks: checks)
    }
}

/// `/healthz` (the process answers), `/readyz` (it can do its work) and `/metrics` (Prometheus text format).
func addOperationsRoutes(to router: Router<BalcaoRequestContext>, balcao: Balcao) {
    router.get("healthz") { _, _ in HealthStatus(status: "ok") }
    router.get("readyz") { _, _ -> EditedResponse<Balcao.ReadinessReport> in
        let report = await balcao.readiness()
        return EditedResponse(status: report.isReady ? .ok : .serviceUnavailable, response: report)
    }
    router.get("metrics") { _, _ -> Response in
        let text = try balcao.metrics.render(database: balcao.database, vectorIndexSize: (balcao.vectorIndex as? HNSWChunkIndex)?.count)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
