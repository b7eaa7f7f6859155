public import Hummingbird

/// Lets a request through only with `Authorization: Bearer <token>` matching the configured API token.
///
/// The comparison takes the same time wherever the first difference is, so the token cannot be guessed byte by byte.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    private let token: [UInt8]

    /// Creates the middleware for `token`.
    public init(token: String) {
        self.token = Array(token.utf8)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, code: "unauthorized", message: "Send the API token as “Authorization: Bearer <token>”.")
        }
        let prefix = "Bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix("bearer "),
            Self.constantTimeEquals(Array(header.utf8.dropFirst(prefix.utf8.count)), token)
        else {
            throw APIError(.unauthorized, code: "unauthorized", message: "The API token is not valid.")
        }
        return try await next(request, context)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
