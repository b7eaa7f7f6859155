import Conversations
import Extraction
import Foundation
import Ingestion
import LLM
import Speech

/// Reads customers' files with the knowledge base's reader — isolated in a `balcao extract` child, with every limit and
/// defence against hostile files — into the text their turn is given: OCR for pictures, the extractors for documents,
/// Whisper for voice notes. Nothing is added to the knowledge base.
struct CustomerMediaReader: MediaReading {
    /// The reader for a recording's language (Whisper's code: `pt`, `en`, `auto`), with a chunker that keeps sections
    /// whole and does not overlap them (the text is joined back).
    let reader: @Sendable (_ speechLanguage: String) -> any DocumentReading

    func read(fileAt file: URL, kind: CustomerMedia.Kind, language: String?) async throws(MediaReadError) -> MediaText {
        let document: ReadDocument
        do {
            document = try await reader(SpeechSettings.whisperLanguage(forTag: language)).read(fileAt: file, password: nil)
        } catch {
            // A picture in which OCR found nothing is read, as empty: the customer is asked to describe it.
            if case .needsOCR = error, kind == .image || kind == .sticker { return MediaText(text: "", source: "ocr") }
            throw Self.failure(error, kind: kind)
        }
        // A picture read as a picture, a recording as a recording, a document as one of the formats a document may be.
        switch (kind, document.format) {
        case (.image, .image), (.sticker, .image), (.audio, .audio), (.document, .pdf), (.document, .docx), (.document, .text),
            (.document, .image):
            break
        default:
            throw MediaReadError(.unsupportedType, detail: "a \(kind.rawValue) that holds a \(document.format.rawValue) file")
        }
        let text = document.chunks.map(\.text).joined(separator: "\n\n")
        let confidences = document.ocrPages.map(\.confidence)
        let source =
            switch document.format {
            case .image: "ocr"
            case .audio: "transcript"
            default: "document"
            }
        return MediaText(
            text: text,
            source: source,
            confidence: confidences.isEmpty ? nil : confidences.reduce(0, +) / Double(confidences.count),
            pageCount: document.format == .pdf || document.format == .docx ? document.pageCount : nil
        )
    }

    /// The customer-facing failure of an extraction error (a recording "too large" is one too long: its size was
    /// checked when it was fetched).
    static func failure(_ error: ExtractionError, kind: CustomerMedia.Kind) -> MediaReadError {
        switch error {
        case .unsupportedFormat(let reason): MediaReadError(.unsupportedType, detail: reason)
        case .tooLarge(let reason): MediaReadError(kind == .audio ? .tooLong : .tooLarge, detail: reason)
        default: MediaReadError(.unreadable, detail: "\(error.kind): \(error.reason)")
        }
    }
}

/// Reads customers' files on the box, except recordings, which go to an OpenAI-compatible transcription service
/// (`[speech] provider = "openai"`); the recording's size was limited when it was fetched.
struct RemoteTranscriptionMediaReader: MediaReading {
    /// Pictures and documents.
    let local: CustomerMediaReader
    /// The service.
    let service: OpenAITranscriptionClient
    /// The longest recording sent (`[speech] max_seconds`), told by the file's Ogg pages.
    let maximumSeconds: Double

    func read(fileAt file: URL, kind: CustomerMedia.Kind, language: String?) async throws(MediaReadError) -> MediaText {
        guard kind == .audio else { return try await local.read(fileAt: file, kind: kind, language: language) }
        // Only Ogg recordings are sent (the service is told what it gets; anything else is not a voice note).
        let head = (try? FileHandle(forReadingFrom: file).read(upToCount: 4)) ?? Data()
        guard head == Data("OggS".utf8) else { throw MediaReadError(.unsupportedType, detail: "the recording is not an Ogg file") }
        guard let seconds = OggDuration.seconds(ofFileAt: file.path) else {
            throw MediaReadError(.unreadable, detail: "the recording's Ogg pages tell no length")
        }
        if seconds > maximumSeconds {
            throw MediaReadError(.tooLong, detail: "the recording lasts \(Int(seconds.rounded())) s, longer than the \(Int(maximumSeconds)) s limit")
        }
        do {
            let text = try await service.transcribe(fileAt: file, mimeType: "audio/ogg", language: SpeechSettings.whisperLanguage(forTag: language))
            return MediaText(text: text, source: "transcript")
        } catch {
            throw MediaReadError(.unavailable, detail: "the transcription service failed: \(error)")
        }
    }
}
