import Foundation
import HTTPAPI
import Hummingbird
import Ingestion
import Retrieval
import Storage

/// `/admin/documents` (upload, list with live status, detail with chunks, delete, re-process) and `/admin/search`.
enum DocumentsPages: AdminPageModule {
    /// Documents per list page.
    static let pageSize = 50
    /// Chunks per page of a document's detail.
    static let chunkPageSize = 25
    /// Most files one upload form may send.
    static let maxFilesPerUpload = 20

    /// The list filters and the states each shows.
    static let filters: [(key: String, statuses: Set<DocumentStatus>?)] = [
        ("all", nil),
        ("processing", [.queued, .extracting, .chunking, .embedding]),
        ("indexed", [.indexed]),
        ("problems", [.failed, .needsOCR, .unreadable]),
    ]

    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("documents") { request, context in try list(request, context: context, admin: admin) }
        routes.postStream("documents") { request, context in try await upload(request, context: context, admin: admin) }
        routes.get("documents/status.json") { request, context in try statuses(request, context: context, admin: admin) }
        routes.get("documents/{id}") { request, context in try detail(request, context: context, admin: admin) }
        routes.post("documents/{id}/delete") { _, context, _ in try await delete(context: context, admin: admin) }
        routes.post("documents/{id}/reprocess") { _, context, _ in try await reprocess(context: context, admin: admin) }
        routes.get("search") { request, context in try await search(request, context: context, admin: admin) }
    }

    // MARK: List

    static func list(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let database = admin.environment.database
        let filterKey = request.uri.queryParameters["status"].map(String.init) ?? "all"
        let filter = filters.first { $0.key == filterKey } ?? filters[0]
        let page = PageSupport.pageNumber(request)
        let result = try database.documentPage(statuses: filter.statuses, limit: pageSize, offset: (page - 1) * pageSize)
        let tabs = filters.map { entry -> [String: Any] in
            let count =
                entry.statuses.map { statuses in statuses.reduce(0) { $0 + (result.countsByStatus[$1] ?? 0) } }
                ?? result.countsByStatus.values.reduce(0, +)
            return [
                "href": entry.key == "all" ? "/admin/documents" : "/admin/documents?status=\(entry.key)",
                "label": admin.text("documents_filter_\(entry.key)", context), "count": PageSupport.number(count, context),
                "current": entry.key == filter.key,
            ]
        }
        let agents = try database.agents().map { ["id": String($0.id ?? 0), "name": $0.name] }
        let limit = admin.environment.library.maxUploadBytes
        var data: [String: Any] = [
            "documents": result.documents.map { PageSupport.documentRow($0, admin: admin, context: context) },
            "hasDocuments": !result.documents.isEmpty,
            "libraryEmpty": result.countsByStatus.isEmpty,
            "tabs": tabs,
            "agents": agents,
            "hasAgents": !agents.isEmpty,
            "maxBytes": String(limit),
            "limitText": admin.text("documents_upload_limit", context, ["limit": PageSupport.bytes(Int64(limit), context)]),
            "tooLargeText": admin.text("documents_error_too_large", context, ["limit": PageSupport.bytes(Int64(limit), context)]),
        ]
        if result.total > pageSize || page > 1 {
            data["pagination"] = PageSupport.pagination(
                page: page,
                pageSize: pageSize,
                total: result.total,
                path: "/admin/documents",
                parameters: filter.key == "all" ? [] : [("status", filter.key)],
                admin: admin,
                context: context
            )
        }
        return admin.renderer.page("documents", titleKey: "documents_title", data: data, context: context)
    }

    // MARK: Upload

    /// The JSON answer to an upload made by `documents.js`.
    struct UploadAnswer: Encodable {
        var documents: [DocumentStatusJSON]
        var error: String?
    }

    static func upload(_ request: Request, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let wantsJSON = (request.headers[.accept] ?? "").contains("application/json")
        let library = admin.environment.library
        let limit = ["limit": PageSupport.bytes(Int64(library.maxUploadBytes), context)]
        func refuse(_ status: HTTPResponse.Status, _ key: String) throws -> Response {
            if wantsJSON { return .json(UploadAnswer(documents: [], error: admin.text(key, context, limit)), status: status) }
            throw AdminError(status, key, limit)
        }
        // A full disk is 507, a read-only or busy database 503; either is logged for the operator.
        func storageStatus(_ failure: StorageError) -> HTTPResponse.Status {
            admin.environment.logger.error("storage failure: a document upload was refused", metadata: ["cause": "\(failure.code)"])
            return failure == .diskFull ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage") : .serviceUnavailable
        }
        let upload: MultipartUpload
        do {
            upload = try await MultipartUpload.read(
                request,
                fileField: "files",
                maxFiles: Self.maxFilesPerUpload,
                originals: library.originals,
                limit: library.maxUploadBytes
            )
        } catch {
            switch error {
            case .notMultipart: return try refuse(.unsupportedMediaType, "documents_error_not_multipart")
            case .tooLarge: return try refuse(.contentTooLarge, "documents_error_too_large")
            case .tooManyFiles: return try refuse(.contentTooLarge, "documents_error_too_many")
            case .fieldTooLong, .malformed: return try refuse(.badRequest, "documents_error_malformed")
            case .storage(let failure): return try refuse(storageStatus(failure), "error_\(failure.code)")
            }
        }
        // Whatever happens below, no staged file is left behind (committed ones were moved away already).
        defer { for file in upload.files { try? FileManager.default.removeItem(at: file.staged.file) } }
        // A file input left empty still sends a part, with an empty file name and no bytes: skip it.
        let files = upload.files.filter { !$0.isEmptyInput }
        guard !files.isEmpty else { return try refuse(.badRequest, "documents_error_no_file") }

        var agentName: String?
        if let text = upload.fields["agent_id"], let id = Int64(text) {
            guard let agent = try admin.environment.database.agent(id: id) else { return try refuse(.badRequest, "agents_error_unknown") }
            agentName = agent.name
        }
        var added: [(document: Document, duplicate: Bool)] = []
        var refused: [String] = []
        var storageFailure: StorageError?
        for file in files {
            do {
                let registered = try await library.add(file.staged, filename: file.filename, agent: agentName, password: nil)
                added.append((registered.document, registered.isDuplicate))
            } catch DocumentLibraryError.unsupportedType {
                refused.append(file.filename)
            } catch {
                // The library left nothing of this file; the ones after it are not tried (the defer deletes them).
                guard let failure = StorageError(error) else { throw error }
                storageFailure = failure
                break
            }
        }
        if !added.isEmpty {
            try await admin.audit.record(
                "document.upload",
                target: added.map { String($0.document.id ?? 0) }.joined(separator: ","),
                detail: added.map(\.document.filename).joined(separator: ", "),
                context: context
            )
        }
        if let storageFailure {
            let status = storageStatus(storageFailure)
            if added.isEmpty { return try refuse(status, "error_\(storageFailure.code)") }
            // Some files were stored before the disk filled: say which, and why the others were not.
            let documents = added.map { DocumentStatusJSON($0.document, duplicate: $0.duplicate, admin: admin, context: context) }
            let message = admin.text("error_\(storageFailure.code)", context)
            if wantsJSON { return .json(UploadAnswer(documents: documents, error: message), status: status) }
            return .redirect(to: "/admin/documents", flash: Flash(.error, message))
        }
        let refusedText = refused.isEmpty ? nil : admin.text("documents_error_type_named", context, ["names": refused.joined(separator: ", ")])
        if wantsJSON {
            let status: HTTPResponse.Status = added.isEmpty ? .unsupportedMediaType : (added.contains { !$0.duplicate } ? .created : .ok)
            let documents = added.map { DocumentStatusJSON($0.document, duplicate: $0.duplicate, admin: admin, context: context) }
            return .json(UploadAnswer(documents: documents, error: refusedText), status: status)
        }
        guard !added.isEmpty else { throw AdminError(.unsupportedMediaType, "documents_error_type") }
        if let refusedText {
            return .redirect(to: "/admin/documents", flash: Flash(.error, refusedText))
        }
        let count = added.count
        let message =
            count == 1
            ? admin.text("documents_uploaded_one", context, ["name": added[0].document.filename])
            : admin.text("documents_uploaded_many", context, ["count": String(count)])
        return .redirect(to: "/admin/documents", flash: Flash(.success, message))
    }

    // MARK: Live status

    /// The answer of `status.json`.
    struct StatusAnswer: Encodable {
        var documents: [DocumentStatusJSON]
    }

    /// `?ids=1,2,3`: those documents (at most 200); without ids: every document still being processed (at most 200).
    static func statuses(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let database = admin.environment.database
        let documents: [Document]
        if let text = request.uri.queryParameters["ids"] {
            let ids = text.split(separator: ",").prefix(200).compactMap { Int64($0) }
            documents = try database.documents(ids: ids).sorted { ($0.id ?? 0) > ($1.id ?? 0) }
        } else {
            documents = try database.documentPage(statuses: filters[1].statuses, limit: 200, offset: 0).documents
        }
        return .json(StatusAnswer(documents: documents.map { DocumentStatusJSON($0, admin: admin, context: context) }))
    }

    // MARK: Detail

    static func documentID(_ context: AdminRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.notFound }
        return id
    }

    static func detail(_ request: Request, context: AdminRequestContext, admin: AdminWeb) throws -> Response {
        let database = admin.environment.database
        guard let document = try database.document(id: try documentID(context)) else { throw AdminError.notFound }
        let id = document.id ?? 0
        let page = PageSupport.pageNumber(request)
        let chunks = try database.chunks(ofDocument: id, limit: chunkPageSize, offset: (page - 1) * chunkPageSize)
        let pageWord = admin.text("documents_page_abbreviation", context)
        var data: [String: Any] = [
            "document": PageSupport.documentRow(document, admin: admin, context: context),
            "format": document.format.map { $0.uppercased() } ?? "—",
            "sha256": document.sha256,
            "updated": PageSupport.dateTime(document.updatedAt, context),
            "agents": try database.agentNames(ofDocument: id).joined(separator: ", "),
            "chunks": chunks.map { chunk -> [String: Any] in
                var pages = ""
                if let start = chunk.pageStart {
                    pages = chunk.pageEnd.map { $0 != start ? "\(pageWord) \(start)–\($0)" : "\(pageWord) \(start)" } ?? "\(pageWord) \(start)"
                }
                return PageSupport.compact([
                    "ordinal": String(chunk.ordinal + 1), "section": chunk.section, "pages": pages, "text": chunk.text,
                    "tokens": admin.text("documents_tokens", context, ["count": String(chunk.tokenCount)]),
                ])
            },
            "hasChunks": !chunks.isEmpty,
        ]
        if document.chunks > chunkPageSize {
            data["pagination"] = PageSupport.pagination(
                page: page,
                pageSize: chunkPageSize,
                total: document.chunks,
                path: "/admin/documents/\(id)",
                parameters: [],
                admin: admin,
                context: context
            )
        }
        return admin.renderer.page("document", titleKey: "documents_detail_title", data: PageSupport.compact(data), context: context)
    }

    // MARK: Changes

    static func delete(context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let id = try documentID(context)
        do {
            let deleted = try await admin.environment.library.delete(id: id)
            try await admin.audit.record("document.delete", target: String(id), detail: deleted.filename, context: context)
            return .redirect(to: "/admin/documents", flash: Flash(.success, admin.text("documents_deleted", context, ["name": deleted.filename])))
        } catch DocumentLibraryError.notFound {
            throw AdminError.notFound
        } catch DocumentLibraryError.busy {
            return .redirect(to: "/admin/documents/\(id)", flash: Flash(.error, admin.text("documents_error_busy", context)))
        }
    }

    static func reprocess(context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let id = try documentID(context)
        let database = admin.environment.database
        guard let document = try database.document(id: id) else { throw AdminError.notFound }
        if [.extracting, .chunking, .embedding].contains(document.status) {
            return .redirect(to: "/admin/documents/\(id)", flash: Flash(.error, admin.text("documents_error_busy", context)))
        }
        try await database.enqueueIngestion(documentID: id)
        try await admin.audit.record("document.reprocess", target: String(id), detail: document.filename, context: context)
        return .redirect(to: "/admin/documents", flash: Flash(.success, admin.text("documents_requeued", context, ["name": document.filename])))
    }

    // MARK: Search

    static func search(_ request: Request, context: AdminRequestContext, admin: AdminWeb) async throws -> Response {
        let environment = admin.environment
        let query = (request.uri.queryParameters["q"].map(String.init) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let agents = try environment.database.agents()
        let agentID = request.uri.queryParameters["agent"].flatMap { Int64($0) }
        let agent = agentID.flatMap { id in agents.first { $0.id == id } }
        var data: [String: Any] = [
            "q": query,
            "agents": agents.map { ["id": String($0.id ?? 0), "name": $0.name, "selected": $0.id == agentID] as [String: Any] },
            "hasAgents": !agents.isEmpty,
            "searched": !query.isEmpty,
        ]
        if !query.isEmpty {
            let question = String(query.prefix(1000))
            let retrieved = try await environment.answerer.retrieve(question, agent: agent)
            let pageWord = admin.text("documents_page_abbreviation", context)
            data["results"] = retrieved.passages.enumerated().map { index, passage -> [String: Any] in
                PageSupport.compact([
                    "rank": String(index + 1), "filename": passage.filename, "url": "/admin/documents/\(passage.documentID)",
                    "page": passage.page.map { "\(pageWord) \($0)" } ?? "", "section": passage.section, "text": passage.text,
                    "score": PageSupport.score(passage.score, context),
                    "hasAlsoIn": !passage.alsoIn.isEmpty,
                    // Keys of their own: a key missing here would be looked up in the passage around it.
                    "alsoIn": passage.alsoIn.map { source -> [String: Any] in
                        PageSupport.compact([
                            "sourceFilename": source.filename, "sourceURL": "/admin/documents/\(source.documentID)",
                            "sourcePage": source.page.map { "\(pageWord) \($0)" } ?? "",
                        ])
                    },
                ])
            }
            data["hasResults"] = !retrieved.passages.isEmpty
            data["verdict"] = admin.text(retrieved.isRelevant ? "search_relevant" : "search_not_relevant", context)
            data["verdictClass"] = retrieved.isRelevant ? "alert-success" : "alert-warning"
            data["mode"] = admin.text(environment.search.isHybrid ? "search_mode_hybrid" : "search_mode_keyword", context)
        }
        return admin.renderer.page("search", titleKey: "search_title", data: data, context: context)
    }
}
