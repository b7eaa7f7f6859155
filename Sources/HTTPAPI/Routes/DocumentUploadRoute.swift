import Foundation
import Hummingbird
import Ingestion
import NIOCore
import Storage

/// `POST /documents`, routed by hand beside the generated operations: the file streams into the original store
/// through the one multipart reader the admin page also uses (``MultipartUpload``), within the upload limit, and the
/// answer is the generated `Document`, encoded as the generated operations encode it.
struct DocumentUploadRoute<Context: RequestContext>: Sendable {
    /// Where the upload is registered.
    let library: DocumentLibrary

    func add(to group: RouterGroup<Context>) {
        group.post("documents", use: upload)
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> Response {
        let upload: MultipartUpload
        do {
            upload = try await MultipartUpload.read(
                request,
                fileField: "file",
                maxFiles: 1,
                originals: library.originals,
                limit: library.maxUploadBytes
            )
        } catch {
            throw Self.apiError(error, limit: library.maxUploadBytes)
        }
        guard let file = upload.files.first else { throw APIError.badRequest("The request has no field named “file”.") }
        // The agent is created on first use: its name follows the agents API's rule (make fuzz found a 175-character
        // name made here, which GET /agents then served against its own schema).
        // An empty field (a form's blank agent) means no agent; it made an agent named "" before (make test's fuzzer).
        let raw = upload.fields["agent"].flatMap { $0.isEmpty ? nil : $0 }
        let agent = raw.map { $0.trimmingAPIWhitespace }
        if let raw, let agent, agent.isEmpty || raw.unicodeScalars.count > 100 {
            try? FileManager.default.removeItem(at: file.staged.file)
            throw APIError.badRequest("agent must be an agent's name of 1 to 100 characters.")
        }
        let registered: RegisteredUpload
        do {
            registered = try await library.add(file.staged, filename: file.filename, agent: agent, password: upload.fields["password"])
        } catch DocumentLibraryError.unsupportedType {
            throw APIError(.unsupportedMediaType, code: "unsupported_type", message: DocumentLibraryError.unsupportedType.description)
        }
        return try APIJSON.response(
            registered.isDuplicate ? .ok : .created,
            body: Components.Schemas.Document(registered.document)
        )
    }

    /// The API's answer to an upload the reader refused; a full or read-only disk is rethrown for
    /// `StorageFailureMiddleware` (507/503).
    static func apiError(_ failure: MultipartUpload.Failure, limit: Int) -> any Error {
        switch failure {
        case .notMultipart:
            APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "Send the file as multipart/form-data with a field named “file”."
            )
        case .tooLarge:
            APIError(.contentTooLarge, code: "too_large", message: UploadError.tooLarge(limit: limit).description)
        case .tooManyFiles:
            APIError.badRequest("Send one file per request, in one field named “file”.")
        case .fieldTooLong:
            APIError.badRequest("A form field is too long.")
        case .malformed(let reason):
            APIError.badRequest("The multipart body could not be read: \(reason)")
        case .storage(let error):
            error
        }
    }
}
