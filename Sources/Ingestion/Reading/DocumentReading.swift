public import Extraction
public import Foundation
public import Storage

/// A document read from its original: what it is and the chunks its text was cut into.
public struct ReadDocument: Sendable, Hashable, Codable {
    /// The format the content was recognised as.
    public var format: DocumentFormat
    /// Number of pages, where the format has pages.
    public var pageCount: Int?
    /// The chunks, in reading order.
    public var chunks: [NewChunk]
    /// The pages read by OCR, with the engine's confidence in each.
    public var ocrPages: [OCRPage]

    /// Creates a read document.
    public init(format: DocumentFormat, pageCount: Int?, chunks: [NewChunk], ocrPages: [OCRPage] = []) {
        self.format = format
        self.pageCount = pageCount
        self.chunks = chunks
        self.ocrPages = ocrPages
    }
}

/// Reads an original file into chunks: extraction, normalization and chunking, the steps that parse outside data.
///
/// The daemon uses ``IsolatedDocumentReader``, which runs them in a child process with time and memory limits, so a
/// file that crashes, hangs or exhausts the parser ends as one failed document instead of taking the service down.
public protocol DocumentReading: Sendable {
    /// Reads `file`; throws an ``ExtractionError`` with a reason for the owner when the file cannot be used.
    func read(fileAt file: URL, password: String?) async throws(ExtractionError) -> ReadDocument

    /// Reads `file`, telling `progress` after each page read by OCR (pages done, pages to read).
    func read(
        fileAt file: URL,
        password: String?,
        progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws(ExtractionError) -> ReadDocument
}

extension DocumentReading {
    /// Readers that cannot tell their progress read without telling it.
    public func read(
        fileAt file: URL,
        password: String?,
        progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws(ExtractionError) -> ReadDocument {
        try await read(fileAt: file, password: password)
    }
}

/// Reads documents in the calling process. Used by the child process of ``IsolatedDocumentReader`` (`balcao extract`)
/// and by tools that read only trusted files.
public struct InProcessDocumentReader: DocumentReading {
    /// Turns files into text.
    public var extractor: DocumentExtractor
    /// Cuts text into chunks.
    public var chunker: Chunker

    /// Creates a reader.
    public init(extractor: DocumentExtractor = DocumentExtractor(), chunker: Chunker = Chunker()) {
        self.extractor = extractor
        self.chunker = chunker
    }

    /// Reads `file` on the calling thread (blocking: parsing a large PDF takes a while).
    public func readNow(fileAt file: URL, password: String?) throws(ExtractionError) -> ReadDocument {
        let extracted = try extractor.extract(fileAt: file, password: password)
        return ReadDocument(
            format: extracted.format,
            pageCount: extracted.pageCount,
            chunks: chunker.chunks(of: extracted),
            ocrPages: extracted.ocrPages
        )
    }

    public func read(fileAt file: URL, password: String?) async throws(ExtractionError) -> ReadDocument {
        // Parsing blocks; it runs on a dispatch thread so the cooperative pool keeps serving requests.
        let result: Result<ReadDocument, ExtractionError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(ExtractionError) -> ReadDocument in try readNow(fileAt: file, password: password) })
            }
        }
        return try result.get()
    }
}
