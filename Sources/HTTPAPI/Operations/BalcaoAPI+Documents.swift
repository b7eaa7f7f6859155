import Foundation
import Ingestion
import Retrieval
import Storage

/// `/documents/{id}`, `GET /documents` and `GET /search`.
extension BalcaoAPI {
    func listDocuments(_ input: Operations.ListDocuments.Input) async throws -> Operations.ListDocuments.Output {
        .ok(.init(body: .json(.init(documents: try database.documents().map(Components.Schemas.Document.init)))))
    }

    func getDocument(_ input: Operations.GetDocument.Input) async throws -> Operations.GetDocument.Output {
        let id = input.path.id
        guard let document = try database.document(id: id) else {
            throw APIError.notFound(DocumentLibraryError.notFound(id).description)
        }
        return .ok(.init(body: .json(.init(document))))
    }

    func deleteDocument(_ input: Operations.DeleteDocument.Input) async throws -> Operations.DeleteDocument.Output {
        do {
            return .ok(.init(body: .json(.init(try await library.delete(id: input.path.id)))))
        } catch let error as DocumentLibraryError {
            switch error {
            case .notFound: throw APIError.notFound(error.description)
            case .busy: throw APIError(.conflict, code: "busy", message: error.description)
            case .unsupportedType: throw APIError.badRequest(error.description)
            }
        }
    }

    func search(_ input: Operations.Search.Input) async throws -> Operations.Search.Output {
        let question = input.query.q
        guard !question.trimmingAPIWhitespace.isEmpty else {
            throw APIError.badRequest("Give the text to search for as ?q=…")
        }
        let limit = input.query.limit ?? 5
        guard (1...50).contains(limit) else { throw APIError.badRequest("limit must be between 1 and 50.") }
        do {
            let outcome = try await search.retrieve(question, limit: limit, agent: input.query.agent)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            results: outcome.results.map(Components.Schemas.SearchResults.ResultsPayloadPayload.init),
                            relevant: outcome.relevance.isRelevant
                        )
                    )
                )
            )
        } catch let error as SearchService.SearchError {
            throw APIError.notFound(error.description)
        }
    }
}

extension Components.Schemas.Document {
    /// A document as the API shows it.
    init(_ document: Document) {
        self.init(
            id: document.id ?? 0,
            filename: document.filename,
            sha256: document.sha256,
            bytes: Int(document.bytes),
            status: Components.Schemas.Document.StatusPayload(rawValue: document.status.rawValue) ?? .failed,
            reason: document.reason,
            pages: document.pages,
            chunks: document.chunks,
            ocr: document.ocrConfidence.map { confidence in
                Components.Schemas.DocumentOCR(
                    pages: document.ocrPages?.count ?? 0,
                    confidence: confidence,
                    lowConfidencePages: document.lowConfidencePages
                )
            },
            createdAt: document.createdAt,
            updatedAt: document.updatedAt
        )
    }
}

extension Components.Schemas.SearchResults.ResultsPayloadPayload {
    /// One search hit as the API shows it.
    init(_ result: SearchResult) {
        self.init(
            documentId: result.documentID,
            filename: result.filename,
            page: result.page,
            section: result.section,
            text: result.text,
            score: result.score,
            alsoIn: result.alsoIn.isEmpty
                ? nil
                : result.alsoIn.map { .init(documentId: $0.documentID, filename: $0.filename, page: $0.page) }
        )
    }
}
