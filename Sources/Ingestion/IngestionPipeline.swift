public import Embedding
import Extraction
import Foundation
public import Logging
public import Storage

/// What became of one run of an ingestion job.
public enum IngestionOutcome: Sendable, Hashable {
    /// The document is searchable.
    case indexed(chunks: Int)
    /// The document ended in a final state other than `indexed` (`failed`, `needs_ocr`, `unreadable`) with a reason.
    case rejected(DocumentStatus, reason: String)
    /// A transient error; the job will be retried.
    case willRetry(reason: String)
    /// The job was interrupted by shutdown and left to be resumed.
    case interrupted
}

/// Takes one document from its stored original to searchable chunks: extract → chunk → embed → index.
///
/// Every step replaces what an earlier attempt wrote, so running a job again after a crash never duplicates anything.
public struct IngestionPipeline: Sendable {
    /// The store of truth.
    public let database: AppDatabase
    /// Where originals are read from.
    public let originals: OriginalStore
    /// Turns originals into chunks (in a child process with limits, in the daemon).
    public let reader: any DocumentReading
    /// Makes vectors; `nil` means keyword-only (no model available).
    public let embedder: (any Embedder)?
    /// The vector index kept in step with the stored vectors.
    public let vectorIndex: any VectorSearchIndex
    /// Opens sealed document passwords.
    public let secrets: SecretBox?
    /// A job that failed this many times stops retrying.
    public let maxAttempts: Int
    /// Chunks embedded per batch.
    public let embeddingBatchSize: Int
    /// Where progress and problems are reported.
    public let logger: Logger

    /// Creates a pipeline.
    public init(
        database: AppDatabase,
        originals: OriginalStore,
        reader: any DocumentReading = InProcessDocumentReader(),
        embedder: (any Embedder)?,
        vectorIndex: any VectorSearchIndex = NoVectorIndex(),
        secrets: SecretBox?,
        maxAttempts: Int = 3,
        embeddingBatchSize: Int = 16,
        logger: Logger = Logger(label: "balcao.ingestion")
    ) {
        self.database = database
        self.originals = originals
        self.reader = reader
        self.embedder = embedder
        self.vectorIndex = vectorIndex
        self.secrets = secrets
        self.maxAttempts = maxAttempts
        self.embeddingBatchSize = embeddingBatchSize
        self.logger = logger
    }

    /// Runs a claimed job to its end and records the outcome in the database.
    @discardableResult
    public func run(_ claimed: ClaimedJob) async -> IngestionOutcome {
        let job = claimed.job
        let documentID = claimed.document.id!
        var logger = logger
        logger[metadataKey: "document"] = "\(documentID)"
        do {
            let chunks = try await process(claimed.document)
            try await database.finishJob(id: job.id!)
            logger.info("indexed", metadata: ["chunks": "\(chunks)", "file": "\(claimed.document.filename)"])
            return .indexed(chunks: chunks)
        } catch let error as ExtractionError {
            let status = Self.status(for: error)
            do {
                try await database.setStatus(documentID: documentID, status, reason: error.reason)
                try await database.finishJob(id: job.id!)
            } catch {
                logger.error("could not record the outcome", metadata: ["error": "\(error)"])
            }
            logger.notice("not indexed", metadata: ["status": "\(status.rawValue)", "reason": "\(error.reason)"])
            return .rejected(status, reason: error.reason)
        } catch is CancellationError {
            try? await database.retryJob(id: job.id!, error: "interrupted by shutdown", after: 0)
            try? await database.setStatus(documentID: documentID, .queued)
            return .interrupted
        } catch {
            let reason = String(describing: error)
            if let storage = StorageError(error) {
                // A full disk, a read-only data directory or a busy database says nothing about the file: the job
                // waits a minute and is tried again, without using up one of its attempts.
                try? await database.retryJob(id: job.id!, error: storage.description, after: 60, refundAttempt: true)
                try? await database.setStatus(documentID: documentID, .queued, reason: "Will retry: \(storage.description)")
                logger.warning("storage unavailable; will retry", metadata: ["error": "\(storage.code)"])
                return .willRetry(reason: storage.description)
            }
            if job.attempts >= maxAttempts {
                let sentence = "Processing failed \(job.attempts) times; giving up. Last error: \(reason)"
                try? await database.failJob(id: job.id!, documentID: documentID, reason: sentence)
                logger.error("gave up", metadata: ["attempts": "\(job.attempts)", "error": "\(reason)"])
                return .rejected(.failed, reason: sentence)
            }
            let delay = pow(2.0, Double(job.attempts)) * 2
            try? await database.retryJob(id: job.id!, error: reason, after: delay)
            try? await database.setStatus(documentID: documentID, .queued, reason: "Will retry: \(reason)")
            logger.warning("will retry", metadata: ["attempt": "\(job.attempts)", "error": "\(reason)"])
            return .willRetry(reason: reason)
        }
    }

    /// The end state an extraction error leads to.
    static func status(for error: ExtractionError) -> DocumentStatus {
        switch error {
        case .needsOCR: return .needsOCR
        case .unreadable: return .unreadable
        case .passwordProtected, .unsupportedFormat, .tooLarge, .malformed, .stopped: return .failed
        }
    }

    private func process(_ document: Document) async throws -> Int {
        let documentID = document.id!
        try await database.setStatus(documentID: documentID, .extracting)
        let password = try document.sealedPassword.map { sealed -> String in
            guard let secrets else { throw CocoaError(.fileReadNoPermission) }
            return try secrets.open(sealed)
        }
        let file = originals.url(forSHA256: document.sha256)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ExtractionError.malformed("The stored original of this document is missing; upload it again.")
        }
        let read: ReadDocument
        do {
            read = try await reader.read(fileAt: file, password: password) { [database] done, total in
                // Shown on the documents page while a long scan is read; losing one report loses nothing.
                Task { try? await database.setReadingProgress(documentID: documentID, done: done, total: total) }
            }
        } catch {
            // A reader stopped by shutdown is an interruption, not a verdict on the file.
            try Task.checkCancellation()
            throw error
        }
        try await database.setExtracted(
            documentID: documentID,
            format: read.format.rawValue,
            pages: read.pageCount,
            ocrPages: read.ocrPages.map { Document.ScannedPage(page: $0.page, confidence: $0.confidence) }
        )

        try await database.setStatus(documentID: documentID, .chunking)
        let newChunks = read.chunks
        guard !newChunks.isEmpty else {
            throw ExtractionError.unreadable("No text was found in this document.")
        }
        try Task.checkCancellation()
        let (stored, removed) = try await database.replaceChunks(documentID: documentID, with: newChunks)
        if !removed.isEmpty { try await vectorIndex.remove(chunkIDs: removed) }

        if let embedder {
            try await database.setStatus(documentID: documentID, .embedding)
            for start in stride(from: 0, to: stored.count, by: embeddingBatchSize) {
                try Task.checkCancellation()
                let batch = Array(stored[start..<min(start + embeddingBatchSize, stored.count)])
                let vectors = try await embedder.embed(batch.map(Self.embeddingText), role: .passage)
                let pairs = zip(batch, vectors).map { (chunkID: $0.id!, vector: $1) }
                try await vectorIndex.store(pairs, model: embedder.modelIdentity, in: database)
            }
        }
        try await database.setStatus(documentID: documentID, .indexed)
        return stored.count
    }

    /// The text a chunk is embedded as: its section path gives the model the context a heading gives a reader.
    static func embeddingText(_ chunk: Chunk) -> String {
        chunk.section.isEmpty ? chunk.text : chunk.section + "\n" + chunk.text
    }
}
