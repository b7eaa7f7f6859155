import Hummingbird
import Logging
import Storage

/// Answers a request that failed because the storage could not take a write (``StorageError``: a full disk, a
/// read-only data directory, a database locked by another process) with a JSON error that says so, and logs it,
/// instead of a bare 500.
///
/// A full disk is `507 Insufficient Storage`; a read-only or busy database is `503 Service Unavailable`. Requests that
/// only read are unaffected by either and keep working.
struct StorageFailureMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch {
            guard let storage = StorageError(error) else { throw error }
            var metadata: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.uri.path)", "cause": "\(storage.code)"]
            // What SQLite or the system said, when it was not already translated on the way up.
            if !(error is StorageError) { metadata["error"] = "\(error)" }
            logger.error("storage failure: the request was refused (\(storage.description))", metadata: metadata)
            throw APIError.storage(storage)
        }
    }
}

extension APIError {
    /// The answer to a write the storage could not take: 507 for a full disk, 503 otherwise.
    static func storage(_ error: StorageError) -> APIError {
        APIError(error == .diskFull ? .insufficientStorage : .serviceUnavailable, code: error.code, message: error.description)
    }
}

extension HTTPResponse.Status {
    /// 507 (RFC 4918), which `HTTPTypes` does not name.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}
