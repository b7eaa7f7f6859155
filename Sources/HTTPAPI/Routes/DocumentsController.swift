import Foundation
import Hummingbird
import Ingestion
import Retrieval
import Storage

/// `/api/v1/documents` and `/api/v1/search`.
struct DocumentsController<Context: RequestContext>: Sendable {
    /// Where documents are read.
    let database: AppDatabase
    /// Uploads and deletions.
    let library: DocumentLibrary
    /// `GET /search`.
    let search: SearchService

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("documents", use: upload)
        group.get("documents", use: list)
        group.get("documents/:id", use: show)
        group.delete("documents/:id", use: delete)
        group.get("search", use: search)
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> EditedResponse<APIDocument> {
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
        let agent = raw.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let raw, let agent, agent.isEmpty || raw.unicodeScalars.count > 100 {
            try? FileManager.default.removeItem(at: file.staged.file)
            throw APIError.badRequest("agent must be an agent's name of 1 to 100 characters.")
        }
        do {
            let registered = try await library.add(
                file.staged,
                filename: file.filename,
                agent: agent,
                password: upload.fields["password"]
            )
            return EditedResponse(status: registered.isDuplicate ? .ok : .created, response: APIDocument(registered.document))
        } catch DocumentLibraryError.unsupportedType {
            throw APIError(.unsupportedMediaType, code: "unsupported_type", message: DocumentLibraryError.unsupportedType.description)
        }
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

    @Sendable func list(_ request: Request, context: Context) async throws -> APIDocumentList {
        APIDocumentList(documents: try database.documents().map(APIDocument.init))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> APIDocument {
        let id = try documentID(context)
        guard let document = try database.document(id: id) else { throw APIError.notFound(DocumentLibraryError.notFound(id).description) }
        return APIDocument(document)
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> APIDocument {
        let id = try documentID(context)
        do {
            return APIDocument(try await library.delete(id: id))
        } catch let error as DocumentLibraryError {
            switch error {
            case .notFound: throw APIError.notFound(error.description)
            case .busy: throw APIError(.conflict, code: "busy", message: error.description)
            case .unsupportedType: throw APIError.badRequest(error.description)
            }
        }
    }

    @Sendable func search(_ request: Request, context: Context) async throws -> APISearchResponse {
        let query = request.uri.queryParameters
        guard let question = query["q"].map(String.init), !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("Give the text to search for as ?q=…")
        }
        var limit = 5
        if let text = query["limit"] {
            guard let value = Int(text), (1...50).contains(value) else { throw APIError.badRequest("limit must be between 1 and 50.") }
            limit = value
        }
        do {
            let results = try await search.search(question, limit: limit, agent: query["agent"].map(String.init))
            return APISearchResponse(results: results.map(APISearchResult.init))
        } catch let error as SearchService.SearchError {
            throw APIError.notFound(error.description)
        }
    }

    private func documentID(_ context: Context) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.notFound("There is no such document.") }
        return id
    }
}
