public import Foundation

/// Builds `multipart/form-data` bodies the way browsers and curl send them.
public struct MultipartBody: Sendable {
    /// The boundary between parts.
    public let boundary = "----balcao-test-\(UUID().uuidString)"
    private var data = Data()

    /// An empty body.
    public init() {}

    /// Adds a file part.
    public mutating func addFile(name: String = "file", filename: String, contentType: String = "application/octet-stream", contents: Data) {
        data.append(
            Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n"
                    .utf8
            )
        )
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
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

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
