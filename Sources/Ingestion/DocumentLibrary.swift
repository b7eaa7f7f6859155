import Extraction
public import Foundation
public import Storage

/// Why a document operation was refused, with a message for the person who asked.
public enum DocumentLibraryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The content is not a PDF, DOCX or text file.
    case unsupportedType
    /// No such document.
    case notFound(Int64)
    /// The document is being processed right now.
    case busy(Int64)

    public var description: String {
        switch self {
        case .unsupportedType: return "This file is not a PDF, DOCX or text file (the type is recognised from its content)."
        case .notFound(let id): return "There is no document \(id)."
        case .busy(let id): return "Document \(id) is being processed right now; try again when it has finished."
        }
    }
}

/// Adds, lists and deletes documents: the one place that knows an upload is an original plus a row plus a job.
public struct DocumentLibrary: Sendable {
    /// The database.
    public let database: AppDatabase
    /// The originals.
    public let originals: OriginalStore
    /// Seals document passwords.
    public let secrets: SecretBox
    /// Kept in step on deletion.
    public let vectorIndex: any VectorSearchIndex
    /// Largest accepted file.
    public let maxUploadBytes: Int

    /// Creates the library.
    public init(database: AppDatabase, originals: OriginalStore, secrets: SecretBox, vectorIndex: any VectorSearchIndex, maxUploadBytes: Int) {
        self.database = database
        self.originals = originals
        self.secrets = secrets
        self.vectorIndex = vectorIndex
        self.maxUploadBytes = maxUploadBytes
    }

    /// Stores a received file and queues it, or returns the existing document when the same content was uploaded before.
    ///
    /// The type is recognised from the content; an unsupported file is refused and its bytes discarded. All or nothing:
    /// when the original or the row cannot be stored (``StorageError`` for a full or read-only disk, a busy database),
    /// neither is left behind.
    public func add(_ staged: StagedUpload, filename: String, agent: String?, password: String?) async throws -> RegisteredUpload {
        // Recordings are transcribed only when customers send them: the knowledge base takes documents and pictures.
        guard let format = DocumentExtractor.sniff(staged.prefix), format != .audio else {
            try? FileManager.default.removeItem(at: staged.file)
            throw DocumentLibraryError.unsupportedType
        }
        let original = originals.url(forSHA256: staged.sha256)
        let wasStored = FileManager.default.fileExists(atPath: original.path)
        do {
            _ = try originals.commit(staged)
            let sealed = try password.flatMap { $0.isEmpty ? nil : try secrets.seal($0) }
            let name = Self.cleanFilename(filename)
            return try await database.registerUpload(
                filename: name,
                sha256: staged.sha256,
                bytes: staged.bytes,
                format: format.rawValue,
                sealedPassword: sealed,
                agentName: agent.flatMap { $0.isEmpty ? nil : $0 }
            )
        } catch {
            try? FileManager.default.removeItem(at: staged.file)
            // The original this call put in place goes too, unless a concurrent upload of the same content registered
            // it meanwhile (reads keep working on a full disk; when even that fails, the file is kept, whole).
            if !wasStored, let existing = try? database.documentExists(sha256: staged.sha256), !existing {
                originals.remove(sha256: staged.sha256)
            }
            throw StorageError(error) ?? error
        }
    }

    /// Copies a local file in (for `balcao ingest`).
    public func add(fileAt url: URL, agent: String?, password: String?) async throws -> RegisteredUpload {
        let staged = try originals.stage(fileAt: url, limit: maxUploadBytes)
        return try await add(staged, filename: url.lastPathComponent, agent: agent, password: password)
    }

    /// Deletes a document, its chunks, vectors and original. Refused while a worker is processing it.
    @discardableResult
    public func delete(id: Int64) async throws -> Document {
        guard let document = try database.document(id: id) else { throw DocumentLibraryError.notFound(id) }
        if [.extracting, .chunking, .embedding].contains(document.status) { throw DocumentLibraryError.busy(id) }
        guard let (deleted, chunkIDs) = try await database.deleteDocument(id: id) else { throw DocumentLibraryError.notFound(id) }
        try await vectorIndex.remove(chunkIDs: chunkIDs)
        originals.remove(sha256: deleted.sha256)
        return deleted
    }

    /// A file name to show: without control characters, at most 255 characters, and without the directory old
    /// browsers put before it (`C:\fakepath\nota.pdf` → `nota.pdf`). The name is only ever displayed (originals are
    /// stored by digest), so other slashes are kept: `<script>alert(1)</script>.pdf` is shown as it was sent.
    static func cleanFilename(_ name: String) -> String {
        let isWindowsPath = name.range(of: #"^[A-Za-z]:\\"#, options: .regularExpression) != nil || name.hasPrefix("\\\\")
        let last = isWindowsPath ? (name.split(separator: "\\").last.map(String.init) ?? "") : name
        let cleaned = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.properties.generalCategory != .control }))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "document" : String(trimmed.prefix(255))
    }
}
