import BalcaoApp
import BalcaoTesting
import Foundation
import HummingbirdTesting
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
}
