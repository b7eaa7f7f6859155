import Foundation
import Hummingbird
import OpenAPIRuntime

/// Turns what the generated operations throw (`ServerError`, which wraps the cause) back into the API's own answers:
/// an ``APIError`` thrown by an operation keeps its status and code; a request the generated code could not decode
/// (a wrong type in a parameter or body, a missing required field, a content type the operation does not take) is a
/// 4xx ``APIError`` that says what was wrong; anything else is rethrown as its cause, so ``StorageFailureMiddleware``
/// still answers a full disk with 507.
struct OpenAPIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            if let apiError = error.underlyingError as? APIError { throw apiError }
            guard (400..<500).contains(error.httpStatus.code) else { throw error.underlyingError }
            throw APIError(error.httpStatus, code: Self.code(error.httpStatus), message: Self.message(error))
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .unsupportedMediaType: "unsupported_media_type"
        case .notAcceptable: "not_acceptable"
        case .notFound: "not_found"
        default: "bad_request"
        }
    }

    /// What was wrong with the request, in a sentence: the generated code's own description when it is one (a
    /// missing query parameter, an unexpected content type), else the decoding error said without Swift's types.
    static func message(_ error: ServerError) -> String {
        guard let decoding = error.underlyingError as? DecodingError else { return error.causeDescription }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "The body needs the field “\(path(context.codingPath + [key]))”."
        case .valueNotFound(_, let context) where !context.codingPath.isEmpty:
            return "The field “\(path(context.codingPath))” cannot be null."
        case .typeMismatch(let type, let context) where !context.codingPath.isEmpty:
            return "The field “\(path(context.codingPath))” must be \(jsonType(type))."
        case .typeMismatch(let type, _):
            // A path or query parameter (the generated decoding does not name it).
            return "A parameter of the request must be \(jsonType(type)): \(parameters(of: error))."
        case .dataCorrupted(let context) where context.debugDescription.contains("invalid String value"):
            let field = context.codingPath.isEmpty ? "A parameter" : "The field “\(path(context.codingPath))”"
            return "\(field) has a value the API does not know; the document lists the allowed ones."
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "The field “\(path(context.codingPath))” is not valid."
        default:
            return "The body is not valid JSON for this operation."
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "of another type"
        }
    }

    private static func parameters(of error: ServerError) -> String {
        let path = error.requestMetadata.pathParameters.map { "\($0.key) = \($0.value)" }
        let query = error.request.path.flatMap { URLComponents(string: $0)?.queryItems }?.map { "\($0.name) = \($0.value ?? "")" } ?? []
        return (path + query).sorted().joined(separator: ", ")
    }
}
