import BalcaoTesting
import Foundation
import Testing
import WhatsApp

/// The shared WhatsApp fixtures, read in place from `../shared/whatsapp/fixtures` beside the repository
/// (see their SOURCES.md for origins and licences).
enum Fixtures {
    /// `…/shared/whatsapp/fixtures`, found from this file's real path (symlinks resolved, so dev packages work too).
    static let directory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // WhatsAppTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // its parent
        .appendingPathComponent("shared/whatsapp/fixtures", isDirectory: true)

    /// The exact bytes of a fixture, e.g. `text_message.json` or `api/error_190_expired_token.json`.
    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    /// Every webhook body fixture (top-level `*.json`).
    static var webhookFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    /// A JSON object parsed from a fixture, to mutate for variants. (Decoding tests only: never sign re-serialised JSON.)
    static func object(_ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(name)) as? [String: Any])
    }

    /// Serialises a mutated object.
    static func serialise(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}

/// Seconds since 1970 as a `Date`.
func epoch(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: seconds) }

/// A repeatable random generator for jitter tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body` with a fake Graph API on loopback and a client of it (access token `token-123`), stopping the fake
/// afterwards whatever happens.
func withFakeGraphAPI(_ body: (FakeGraphAPI, GraphAPIClient) async throws -> Void) async throws {
    let fake = try await FakeGraphAPI.start(accessToken: "token-123")
    let client = GraphAPIClient(baseURL: fake.baseURL, accessToken: "token-123", timeout: .seconds(60))
    do {
        try await body(fake, client)
    } catch {
        await fake.stop()
        throw error
    }
    await fake.stop()
}
