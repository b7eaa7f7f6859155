import BalcaoApp
import BalcaoTesting
import Crypto
import Foundation
import HummingbirdTesting
import Storage
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("the served OpenAPI document describes exactly the routes of /api/v1")
    func inStepWithRouter() async throws {
        let daemon = try TestDaemon()
        let router = try buildRouter(daemon.balcao)
        let routed = Set(
            router.routes.compactMap { route -> String? in
                let path =
                    "/"
                    + route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(
                        separator: "/"
                    )
                guard path.hasPrefix("/api/v1/"), path != "/api/v1/openapi.json" else { return nil }
                return "\(route.method.rawValue.lowercased()) \(path.dropFirst("/api/v1".count))"
            }
        )
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(response.status == .ok)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let described = Set(
                paths.flatMap { path, operations in
                    operations.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { "\($0) \(path)" }
                }
            )
            #expect(!routed.isEmpty)
            #expect(described == routed)
        }
    }

    /// `Sources/HTTPAPI`, from this file's path.
    static let apiSources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../Sources/HTTPAPI").standardizedFileURL

    @Test("the served document is openapi.json byte for byte, and the generated code was generated from that file")
    func generatedFromTheServedDocument() async throws {
        let source = try Data(contentsOf: Self.apiSources.appending(path: "openapi.json"))
        let digest = SHA256.hash(data: source).map { String(format: "%02x", $0) }.joined()
        let generated = Self.apiSources.appending(path: "Generated")
        let files = try FileManager.default.contentsOfDirectory(atPath: generated.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 9)
        for file in files {
            let text = try String(contentsOf: generated.appending(path: file), encoding: .utf8)
            #expect(
                text.contains("from openapi.json (sha256 \(digest))"),
                "\(file) was generated from another version of openapi.json: run `make openapi`"
            )
        }
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(Data(buffer: response.body) == source)
        }
    }

    @Test("every document status the storage knows is one the document lists")
    func documentStatusesAreDescribed() throws {
        let source = try Data(contentsOf: Self.apiSources.appending(path: "openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: source) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let status = try #require(((schemas["Document"] as? [String: Any])?["properties"] as? [String: Any])?["status"] as? [String: Any])
        #expect(Set(status["enum"] as? [String] ?? []) == Set(DocumentStatus.allCases.map(\.rawValue)))
    }
}
