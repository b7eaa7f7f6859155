import Conversations
import Extraction
import Foundation
import Ingestion

/// Reads customers' files with the knowledge base's reader — isolated in a `balcao extract` child, with every limit and
/// defence against hostile files — into the text their turn is given: OCR for pictures, the extractors for documents.
/// Nothing is added to the knowledge base.
struct CustomerMediaReader: MediaReading {
    /// The reader, with a chunker that keeps sections whole and does not overlap them (the text is joined back).
    let reader: any DocumentReading

    func read(fileAt file: URL, kind: CustomerMedia.Kind) async throws(MediaReadError) -> MediaText {
        let document: ReadDocument
        do {
            document = try await reader.read(fileAt: file, password: nil)
        } catch {
            // A picture in which OCR found nothing is read, as empty: the customer is asked to describe it.
            if case .needsOCR = error, kind != .document { return MediaText(text: "", source: "ocr") }
            throw Self.failure(error)
        }
        // A picture read as a picture, a document as one of the formats a document may be.
        switch (kind, document.format) {
        case (.image, .image), (.sticker, .image), (.document, _):
            break
        default:
            throw MediaReadError(.unsupportedType, detail: "a \(kind.rawValue) that holds a \(document.format.rawValue) file")
        }
        let text = document.chunks.map(\.text).joined(separator: "\n\n")
        let confidences = document.ocrPages.map(\.confidence)
        return MediaText(
            text: text,
            source: document.format == .image ? "ocr" : "document",
            confidence: confidences.isEmpty ? nil : confidences.reduce(0, +) / Double(confidences.count),
            pageCount: document.format == .image ? nil : document.pageCount
        )
    }

    /// The customer-facing failure of an extraction error.
    static func failure(_ error: ExtractionError) -> MediaReadError {
        switch error {
        case .unsupportedFormat(let reason): MediaReadError(.unsupportedType, detail: reason)
        case .tooLarge(let reason): MediaReadError(.tooLarge, detail: reason)
        default: MediaReadError(.unreadable, detail: "\(error.kind): \(error.reason)")
        }
    }
}
