public import BalcaoApp
public import Foundation
import Logging

/// A Balcão wired to a fresh temporary data directory, for tests; the directory is removed when the value is released.
public final class TestDaemon: Sendable {
    /// The daemon's parts.
    public let balcao: Balcao
    /// The temporary data directory.
    public let dataDirectory: URL
    /// The API token the test client must send.
    public let apiToken = "test-token-\(UUID().uuidString)"

    /// Opens a daemon on a new data directory; `configure` adjusts the configuration first.
    public init(configure: (inout BalcaoConfiguration) -> Void = { _ in }) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-test-\(UUID().uuidString)", isDirectory: true)
        var configuration = BalcaoConfiguration()
        configuration.storage.dataDirectory = dataDirectory.path
        configuration.server.apiToken = apiToken
        configuration.server.port = 0
        configuration.embedding.provider = "none"
        configure(&configuration)
        var logger = Logger(label: "balcao-test")
        logger.logLevel = .warning
        balcao = try Balcao.open(configuration: configuration, logger: logger)
    }

    /// `Authorization: Bearer …` for this daemon.
    public var authorization: String { "Bearer \(apiToken)" }

    deinit {
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

/// Builds `multipart/form-data` bodies the way browsers and curl send them.
public struct MultipartBody: Sendable {
    /// The boundary between parts.
    public let boundary = "----balcao-test-\(UUID().uuidString)"
    private var data = Data()

    /// An empty body.
    public init() {}

    /// Adds a file part.
    public mutating func addFile(name: String = "file", filename: String, contentType: String = "application/octet-stream", contents: Data) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        data.append(contents)
        data.append(Data("\r\n".utf8))
    }

    /// Adds a text field.
    public mutating func addField(name: String, value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    /// The `Content-Type` header value.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The encoded body, closing boundary included.
    public var encoded: Data { data + Data("--\(boundary)--\r\n".utf8) }
}

/// Where the shared test corpora live (`../shared` beside the checkout).
public enum SharedFixtures {
    /// The repository root, found from this source file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository.
    public static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared", isDirectory: true)

    /// A file of the extraction corpus, e.g. `pdf/ptlaw_01060115.pdf`.
    public static func corpus(_ path: String) -> URL {
        shared.appendingPathComponent("corpus").appendingPathComponent(path)
    }

    /// The built `balcao` executable (debug build).
    public static var balcaoExecutable: URL {
        repositoryRoot.appendingPathComponent(".build/debug/balcao")
    }
}
