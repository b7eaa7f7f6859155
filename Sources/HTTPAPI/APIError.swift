import Foundation
public import Hummingbird

/// An error answered as `{"error": {"code": …, "message": …}}` with its HTTP status.
public struct APIError: HTTPResponseError, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable machine-readable code (`not_found`, `too_large`, …).
    public var code: String
    /// A sentence for a person.
    public var message: String
    /// Seconds the client should wait (`Retry-After`), for `429` and `503`.
    public var retryAfter: Int?

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ["error": ["code": code, "message": message]]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "bad_request", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message: message) }
}
