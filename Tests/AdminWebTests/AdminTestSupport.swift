import AdminWeb
import BalcaoApp
import BalcaoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// A clock tests can move.
final class TestClock: Sendable {
    private let current = Mutex(Date())
    /// Now.
    var now: Date { current.withLock { $0 } }
    /// Moves the clock forward.
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    /// The clock as a closure.
    var closure: @Sendable () -> Date { { [self] in self.now } }
}

/// A daemon on a fresh data directory with its admin page (bcrypt cost 4, a movable clock), removed when released.
final class AdminHarness: Sendable {
    let balcao: Balcao
    let admin: AdminWeb
    let clock = TestClock()
    let dataDirectory: URL
    static let ownerPassword = "correct horse battery"
    static let operatorPassword = "operator password 1"

    init(configure: (inout BalcaoConfiguration) -> Void = { _ in }) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-admin-\(UUID().uuidString)", isDirectory: true)
        var configuration = BalcaoConfiguration()
        configuration.storage.dataDirectory = dataDirectory.path
        configuration.server.apiToken = "test-token"
        configuration.server.port = 0
        configuration.embedding.provider = "none"
        // Documents are read in a child process, as in the daemon: the test runner is not `balcao`, so it is named.
        configuration.storage.extractorExecutable = SharedFixtures.balcaoExecutable.path
        configure(&configuration)
        var logger = Logger(label: "balcao-admin-test")
        logger.logLevel = .warning
        balcao = try Balcao.open(configuration: configuration, logger: logger)
        let clock = self.clock
        admin = try balcao.adminWeb { settings in
            settings.bcryptCost = 4
            settings.now = clock.closure
        }
    }

    deinit { try? FileManager.default.removeItem(at: dataDirectory) }

    /// The application.
    func application() throws -> some ApplicationProtocol {
        try buildApplication(balcao, admin: admin)
    }

    /// Creates the owner `owner` and the operator `operator` directly (not through the setup page).
    func createUsers() async throws {
        _ = try await admin.users.create(username: "owner", password: Self.ownerPassword, role: .owner)
        _ = try await admin.users.create(username: "operator", password: Self.operatorPassword, role: .operator)
    }
}

/// A browser for the HTTP layer: keeps cookies, reads the CSRF token from the last page, follows nothing by itself.
final class Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf = ""
    var extraHeaders: HTTPFields = [:]

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    /// Posts a form; `csrf: nil` sends the token of the last page, `""` sends none, anything else that value.
    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)] = [], csrf: String? = nil) async throws -> TestResponse {
        var all = fields
        let token = csrf ?? self.csrf
        if !token.isEmpty { all.append(("csrf_token", token)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(
            uri,
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        )
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        headers.append(contentsOf: extraHeaders)
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let text = String(buffer: response.body)
        if let range = text.range(of: #"<meta name="csrf-token" content="([^"]*)">"#, options: .regularExpression) {
            let tag = String(text[range])
            csrf = String(tag.dropFirst(#"<meta name="csrf-token" content=""#.count).dropLast(2))
        }
        return response
    }

    /// Signs in (fetching the sign-in page first for the anti-forgery cookie); returns the POST's response.
    @discardableResult
    func signIn(_ username: String, _ password: String) async throws -> TestResponse {
        try await get("/admin/login")
        let response = try await post("/admin/login", [("username", username), ("password", password)])
        try await get("/admin/dashboard")
        return response
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var location: String? { headers[.location] }
    func setCookie(_ name: String) -> String? {
        headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }
}

/// Expects the headers every admin response carries.
func expectSecurityHeaders(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.headers[.contentSecurityPolicy] == AdminSecurityHeaders.contentSecurityPolicy, sourceLocation: sourceLocation)
    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", sourceLocation: sourceLocation)
    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", sourceLocation: sourceLocation)
    let timing = response.headers[HTTPField.Name("Server-Timing")!] ?? ""
    #expect(
        timing.range(of: #"^app;dur=\d+(\.\d+)?$"#, options: .regularExpression) != nil,
        "Server-Timing: \(timing)",
        sourceLocation: sourceLocation
    )
}
