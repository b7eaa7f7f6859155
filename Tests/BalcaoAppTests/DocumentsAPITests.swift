import BalcaoApp
import BalcaoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The documents API over real HTTP on loopback, with the ingestion workers running.
@Suite("Documents API")
struct DocumentsAPITests {
    static let policy = Data(
        """
        Política de Trocas

        A devolução de produtos pode ser pedida em até 7 dias após a entrega. Informação adicional: o reembolso é feito \
        no mesmo meio de pagamento.

        Horário de atendimento: de segunda a sexta, das 9h às 18h.
        """.utf8
    )

    func upload(
        _ client: some TestClientProtocol,
        daemon: TestDaemon,
        filename: String,
        contents: Data,
        fields: [String: String] = [:]
    ) async throws -> TestResponse {
        var body = MultipartBody()
        for (name, value) in fields { body.addField(name: name, value: value) }
        body.addFile(filename: filename, contents: contents)
        return try await client.execute(
            uri: "/api/v1/documents",
            method: .post,
            headers: [.authorization: daemon.authorization, .contentType: body.contentType],
            body: ByteBuffer(data: body.encoded)
        )
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    func waitUntilFinal(_ client: some TestClientProtocol, daemon: TestDaemon, id: Int) async throws -> [String: Any] {
        for _ in 0..<300 {
            let response = try await client.execute(uri: "/api/v1/documents/\(id)", method: .get, headers: [.authorization: daemon.authorization])
            let document = try json(response)
            if let status = document["status"] as? String, !["queued", "extracting", "chunking", "embedding"].contains(status) {
                return document
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("document \(id) never reached a final state")
        return [:]
    }

    @Test("upload → 201 and indexed; the same bytes again → 200 with the same document; search ignores accents")
    func uploadDuplicateAndSearch() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in
            let created = try await upload(client, daemon: daemon, filename: "trocas.txt", contents: Self.policy)
            #expect(created.status == .created)
            let document = try json(created)
            let id = try #require(document["id"] as? Int)
            #expect(document["filename"] as? String == "trocas.txt")
            #expect(document["status"] as? String == "queued")
            // A text file has no pages and, queued, no reason: both are left out (the document lists them as optional).
            #expect(Set(document.keys) == ["id", "filename", "sha256", "bytes", "status", "chunks", "created_at", "updated_at"])
            #expect((document["sha256"] as? String)?.count == 64)
            #expect(document["bytes"] as? Int == Self.policy.count)

            let duplicate = try await upload(client, daemon: daemon, filename: "outro-nome.txt", contents: Self.policy)
            #expect(duplicate.status == .ok)
            #expect(try json(duplicate)["id"] as? Int == id)

            let final = try await waitUntilFinal(client, daemon: daemon, id: id)
            #expect(final["status"] as? String == "indexed")
            #expect((final["chunks"] as? Int ?? 0) >= 1)
            #expect(final["reason"] == nil)

            let list = try json(try await client.execute(uri: "/api/v1/documents", method: .get, headers: [.authorization: daemon.authorization]))
            #expect((list["documents"] as? [[String: Any]])?.count == 1)

            let search = try await client.execute(
                uri: "/api/v1/search?q=informacao%20devolucao&limit=3",
                method: .get,
                headers: [.authorization: daemon.authorization]
            )
            #expect(search.status == .ok)
            let found = try json(search)
            #expect(found["relevant"] as? Bool == true, "the assistant would answer from these passages")
            let results = try #require(found["results"] as? [[String: Any]])
            let first = try #require(results.first)
            #expect(first["document_id"] as? Int == id)
            #expect(first["filename"] as? String == "trocas.txt")
            #expect((first["text"] as? String)?.contains("devolução") == true)
            #expect(first["score"] is Double)
            #expect(Set(first.keys) == ["document_id", "filename", "section", "text", "score"])

            // A question the documents do not cover: whatever is found, the assistant would say it does not know.
            let offTopic = try json(
                try await client.execute(
                    uri: "/api/v1/search?q=pizza%20de%20calabresa%20em%20Osasco",
                    method: .get,
                    headers: [.authorization: daemon.authorization]
                )
            )
            #expect(offTopic["relevant"] as? Bool == false)
        }
    }

    @Test("a scan is indexed through OCR, and the document says how many pages OCR read and how sure it was")
    func scanShowsOCR() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in
            let scan = try Data(contentsOf: SharedFixtures.corpus("pdf/docling_ocr_test_scanned.pdf"))
            let created = try await upload(client, daemon: daemon, filename: "digitalizado.pdf", contents: scan)
            let id = try #require(try json(created)["id"] as? Int)
            let final = try await waitUntilFinal(client, daemon: daemon, id: id)
            #expect(final["status"] as? String == "indexed")
            let ocr = try #require(final["ocr"] as? [String: Any])
            #expect(ocr["pages"] as? Int == 1)
            let confidence = try #require(ocr["confidence"] as? Double)
            #expect(confidence > 0.6 && confidence <= 1)
            #expect(ocr["low_confidence_pages"] as? [Int] == [])
        }
    }

    @Test("requests without the token, or with a wrong one, get 401 and change nothing")
    func authentication() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Basic \(daemon.apiToken)"]] {
                let response = try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                let error = try #require(try json(response)["error"] as? [String: Any])
                #expect(error["code"] as? String == "unauthorized")
                #expect((error["message"] as? String)?.isEmpty == false)
            }
            var body = MultipartBody()
            body.addFile(filename: "a.txt", contents: Self.policy)
            let response = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.contentType: body.contentType],
                body: ByteBuffer(data: body.encoded)
            )
            #expect(response.status == .unauthorized)
            #expect(try daemon.balcao.database.documents().isEmpty)
            // Health checks need no token.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
        }
    }

    @Test("an upload over the limit gets 413 and leaves nothing behind")
    func oversize() async throws {
        let daemon = try TestDaemon { $0.server.maxUploadBytes = 1024 }
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in
            let response = try await upload(client, daemon: daemon, filename: "big.txt", contents: Data(repeating: 0x61, count: 4096))
            #expect(response.status == .contentTooLarge)
            #expect(try json(response)["error"].flatMap { $0 as? [String: Any] }?["code"] as? String == "too_large")
            #expect(try daemon.balcao.database.documents().isEmpty)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.balcao.directory.temporary.path)
            #expect(leftovers.isEmpty)
        }
    }

    @Test("content that is not a document gets 415, whatever its name; malformed requests get 400")
    func unsupportedAndMalformed() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            // An executable (ELF) named .pdf: neither a document nor an image.
            let executable = Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] + Array(repeating: 0x00, count: 64))
            let response = try await upload(client, daemon: daemon, filename: "foto.pdf", contents: executable)
            #expect(response.status == .unsupportedMediaType)
            #expect(try daemon.balcao.database.documents().isEmpty)

            var noFile = MultipartBody()
            noFile.addField(name: "agent", value: "vendas")
            let missing = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.authorization: daemon.authorization, .contentType: noFile.contentType],
                body: ByteBuffer(data: noFile.encoded)
            )
            #expect(missing.status == .badRequest)

            let json = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.authorization: daemon.authorization, .contentType: "application/json"],
                body: ByteBuffer(string: "{}")
            )
            #expect(json.status == .unsupportedMediaType)

            let noQuery = try await client.execute(uri: "/api/v1/search", method: .get, headers: [.authorization: daemon.authorization])
            #expect(noQuery.status == .badRequest)
            let badLimit = try await client.execute(uri: "/api/v1/search?q=x&limit=0", method: .get, headers: [.authorization: daemon.authorization])
            #expect(badLimit.status == .badRequest)
            let unknownAgent = try await client.execute(
                uri: "/api/v1/search?q=x&agent=ninguem",
                method: .get,
                headers: [.authorization: daemon.authorization]
            )
            #expect(unknownAgent.status == .notFound)
        }
    }

    @Test("a part header name with a non-ASCII byte gets 400 (MultipartKit would trap on it); a UTF-8 filename is fine")
    func nonASCIIHeaderName() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            let boundary = "b0undary"
            // The name "Content-Dispositión" as schemathesis sent it (é is 0xC3 0xA9 in UTF-8).
            var hostile = Data("--\(boundary)\r\nContent-Dispositi".utf8)
            hostile += Data([0xC3, 0xA9]) + Data("n: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nola\r\n--\(boundary)--\r\n".utf8)
            let refused = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.authorization: daemon.authorization, .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(data: hostile)
            )
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("not ASCII"))
            #expect(try daemon.balcao.database.documents().isEmpty)

            // Non-ASCII in a header value and in the file itself is an ordinary upload.
            let accepted = try await upload(client, daemon: daemon, filename: "política-preços.txt", contents: Self.policy)
            #expect(accepted.status == .created)
        }
    }

    @Test("two parts named file get 400 and leave nothing staged (the API's reader once wrote both into one file)")
    func twoFileParts() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            let boundary = "b0undary"
            var body = ""
            for (name, text) in [("a.txt", "primeira parte"), ("b.txt", "segunda parte")] {
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n\r\n\(text)\r\n"
            }
            body += "--\(boundary)--\r\n"
            let refused = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.authorization: daemon.authorization, .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: body)
            )
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("one file per request"))
            #expect(try daemon.balcao.database.documents().isEmpty)
            let staged = try FileManager.default.contentsOfDirectory(atPath: daemon.balcao.directory.temporary.path)
            #expect(staged.isEmpty, "staged files left: \(staged)")
        }
    }

    @Test("unknown documents are 404; a deleted document is gone with its chunks and original")
    func deleteDocument() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in
            for method: HTTPRequest.Method in [.get, .delete] {
                let response = try await client.execute(uri: "/api/v1/documents/999", method: method, headers: [.authorization: daemon.authorization])
                #expect(response.status == .notFound)
                #expect(try json(response)["error"].flatMap { $0 as? [String: Any] }?["code"] as? String == "not_found")
            }
            let created = try json(try await upload(client, daemon: daemon, filename: "trocas.txt", contents: Self.policy))
            let id = try #require(created["id"] as? Int)
            let sha = try #require(created["sha256"] as? String)
            _ = try await waitUntilFinal(client, daemon: daemon, id: id)
            let deleted = try await client.execute(uri: "/api/v1/documents/\(id)", method: .delete, headers: [.authorization: daemon.authorization])
            #expect(deleted.status == .ok)
            #expect(
                try await client.execute(uri: "/api/v1/documents/\(id)", method: .get, headers: [.authorization: daemon.authorization]).status
                    == .notFound
            )
            #expect(try daemon.balcao.database.searchChunks("devolução", limit: 5).isEmpty)
            let original = daemon.balcao.library.originals.url(forSHA256: sha)
            #expect(!FileManager.default.fileExists(atPath: original.path))
        }
    }

    @Test("documents can be scoped to an agent, and search by agent sees only its documents")
    func agentScope() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in
            let sales = try json(
                try await upload(
                    client,
                    daemon: daemon,
                    filename: "vendas.txt",
                    contents: Data("Preço do plano anual: R$ 100.".utf8),
                    fields: ["agent": "vendas"]
                )
            )
            let support = try json(
                try await upload(
                    client,
                    daemon: daemon,
                    filename: "suporte.txt",
                    contents: Data("Preço do reparo: R$ 50.".utf8),
                    fields: ["agent": "suporte"]
                )
            )
            _ = try await waitUntilFinal(client, daemon: daemon, id: try #require(sales["id"] as? Int))
            _ = try await waitUntilFinal(client, daemon: daemon, id: try #require(support["id"] as? Int))
            let response = try await client.execute(
                uri: "/api/v1/search?q=preco&agent=suporte",
                method: .get,
                headers: [.authorization: daemon.authorization]
            )
            let results = try #require(try json(response)["results"] as? [[String: Any]])
            #expect(results.map { $0["filename"] as? String } == ["suporte.txt"])
        }
    }
}
