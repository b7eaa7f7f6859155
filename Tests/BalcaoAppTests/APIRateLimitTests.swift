import BalcaoApp
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The API token's request budget: `429` with `Retry-After` once spent, refilled as the daemon's clock moves.
@Suite("API rate limit")
struct APIRateLimitTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { current.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    @Test("three requests a minute: the fourth gets 429 with Retry-After and a JSON error; requests without the token spend nothing")
    func budget() async throws {
        let clock = ManualClock()
        let daemon = try TestDaemon(configure: { $0.server.apiRequestsPerMinute = 3 }, clock: { clock.now() })
        let app = try buildApplication(daemon.balcao)
        let headers: HTTPFields = [.authorization: daemon.authorization]
        try await app.test(.router) { client in
            for _ in 0..<5 {
                let refused = try await client.execute(uri: "/api/v1/documents", method: .get, headers: [.authorization: "Bearer wrong"])
                #expect(refused.status == .unauthorized)
            }
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .ok)
            }
            let limited = try await client.execute(uri: "/api/v1/search?q=prazo", method: .get, headers: headers)
            #expect(limited.status == .tooManyRequests)
            // One request's worth at 3 a minute comes back in 20 s.
            #expect(limited.headers[.retryAfter] == "20")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: limited.body)) as? [String: [String: String]])
            #expect(body["error"]?["code"] == "rate_limited")

            clock.advance(19)
            #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .tooManyRequests)
            clock.advance(1)
            #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .tooManyRequests)
            // A quiet minute refills the whole budget, never more than it.
            clock.advance(600)
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .ok)
            }
            #expect(try await client.execute(uri: "/api/v1/documents", method: .get, headers: headers).status == .tooManyRequests)
            // The health checks and the document are not the API's budget.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/openapi.json", method: .get).status == .ok)
        }
    }
}
