import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Reads a JSON request body before the generated operation decodes it: at most ``limit`` bytes (a larger body is
/// `413 too_large`), with every NUL escaped in a string (`\u0000`) read as U+FFFD.
///
/// The database reads text up to its first NUL (see `String.replacingNULCharacters`), so an agent named
/// `"\u0000Loja"` was accepted, stored whole and listed as `""`, which breaks the API's own schema (a name has at
/// least one character). Replacing the escape before decoding covers every string of every body at once.
struct JSONRequestBodyMiddleware: ServerMiddleware {
    /// The largest JSON body taken.
    var limit = 1 << 20

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let body, request.method != .get, request.method != .delete else { return try await next(request, body, metadata) }
        var bytes = Data()
        for try await chunk in body {
            guard bytes.count + chunk.count <= limit else {
                throw APIError(.contentTooLarge, code: "too_large", message: "A JSON body may have at most \(limit) bytes.")
            }
            bytes.append(contentsOf: chunk)
        }
        return try await next(request, HTTPBody(APIJSONBody.replacingNULEscapes(in: bytes)), metadata)
    }
}
