public import Foundation
public import OCR
public import Speech

/// Limits that protect the daemon from huge or hostile files.
public struct ExtractionLimits: Sendable, Hashable, Codable {
    /// Files larger than this are refused before they are read (default 50 MB).
    public var maxFileBytes: Int
    /// DOCX: most entries a zip may have.
    public var maxArchiveEntries: Int
    /// DOCX: most bytes all entries may expand to.
    public var maxUncompressedBytes: Int
    /// DOCX: highest compression ratio of an entry before it is treated as a zip bomb.
    public var maxCompressionRatio: Int
    /// PDF: most pages a document may have.
    public var maxPages: Int

    /// Creates limits; the defaults suit a small business's documents.
    public init(
        maxFileBytes: Int = 50 * 1024 * 1024,
        maxArchiveEntries: Int = 10_000,
        maxUncompressedBytes: Int = 512 * 1024 * 1024,
        maxCompressionRatio: Int = 200,
        maxPages: Int = 5_000
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxArchiveEntries = maxArchiveEntries
        self.maxUncompressedBytes = maxUncompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.maxPages = maxPages
    }
}

/// Turns a PDF, DOCX, text or image file into normalized text blocks.
public struct DocumentExtractor: Sendable {
    /// The limits applied to every file.
    public var limits: ExtractionLimits
    /// How scans and images are read; `nil` switches OCR off (they then end as `needs_ocr`).
    public var ocr: OCRSettings?
    /// How voice notes are transcribed; `nil`: recordings are not read (the knowledge base takes none).
    public var speech: SpeechSettings?
    /// Told after each page read by OCR: pages done, pages to read (long scans take minutes); for a recording, the
    /// percentage transcribed out of 100.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    /// Creates an extractor.
    public init(limits: ExtractionLimits = ExtractionLimits(), ocr: OCRSettings? = nil, speech: SpeechSettings? = nil) {
        self.limits = limits
        self.ocr = ocr
        self.speech = speech
    }

    /// Recognises the format from the first bytes of a file; `nil` when it is none Balcão reads.
    ///
    /// An OLE/CFB container (`D0 CF 11 E0`, how Office stores an encrypted DOCX) is reported as `.docx`; extraction
    /// then explains that password-protected DOCX files are not supported.
    public static func sniff(_ prefix: Data) -> DocumentFormat? {
        let bytes = [UInt8](prefix.prefix(4096))
        if bytes.isEmpty { return nil }
        if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .docx }
        if bytes.starts(with: Self.oleMagic) { return .docx }
        if isImage(bytes) { return .image }
        if bytes.starts(with: Array("OggS".utf8)) { return .audio }
        // PDF allows up to 1 KB of junk before the header.
        if let at = firstIndex(of: Array("%PDF-".utf8), in: bytes.prefix(1024)), at >= 0 { return .pdf }
        if TextDecoder.looksLikeText(bytes) { return .text }
        return nil
    }

    static let oleMagic: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    /// PNG, JPEG, TIFF (either byte order) or WebP.
    private static func isImage(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) || bytes.starts(with: [0xFF, 0xD8, 0xFF])
            || bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || (bytes.count >= 12 && bytes.starts(with: Array("RIFF".utf8)) && Array(bytes[8..<12]) == Array("WEBP".utf8))
    }

    private static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        let base = haystack.startIndex
        outer: for i in base...(haystack.endIndex - needle.count) {
            for j in 0..<needle.count where haystack[i + j] != needle[j] { continue outer }
            return i - base
        }
        return nil
    }

    /// Extracts the text of the file at `url`, using `password` for encrypted PDFs.
    ///
    /// The size limit is checked from the file's attributes before anything is read; the format is decided by the
    /// content (magic bytes), never by the file name.
    ///
    /// - Throws: ``ExtractionError`` with a human-readable reason.
    public func extract(fileAt url: URL, password: String? = nil) throws(ExtractionError) -> ExtractedDocument {
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .malformed("The file could not be read.")
        }
        if let type = attributes[.type] as? FileAttributeType, type != .typeRegular {
            throw .unsupportedFormat("This is not a regular file.")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size > limits.maxFileBytes {
            throw .tooLarge("The file is \(Self.megabytes(size)), larger than the \(Self.megabytes(limits.maxFileBytes)) limit.")
        }
        if size == 0 {
            throw .unreadable("The file is empty.")
        }
        let prefix: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            prefix = try handle.read(upToCount: 4096) ?? Data()
        } catch {
            throw .malformed("The file could not be read.")
        }
        guard let format = Self.sniff(prefix) else {
            throw .unsupportedFormat(
                "This file type is not supported: Balcão reads PDF, Word (.docx), plain-text and image (PNG, JPEG, TIFF, WebP) files."
            )
        }
        switch format {
        case .pdf:
            return try PDFExtractor(maxPages: limits.maxPages, ocr: ocr, progress: progress).extract(url: url, password: password)
        case .image:
            return try readImage(at: url)
        case .audio:
            return try readRecording(at: url)
        case .docx:
            if [UInt8](prefix.prefix(8)) == Self.oleMagic {
                throw Self.oleError(url: url)
            }
            return try DOCXExtractor(limits: limits).extract(url: url)
        case .text:
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw .malformed("The file could not be read.")
            }
            let flavor: TextExtractor.Flavor
            switch url.pathExtension.lowercased() {
            case "md", "markdown": flavor = .markdown
            case "csv": flavor = .csv
            default: flavor = .plain
            }
            return TextExtractor().extract(data, flavor: flavor)
        }
    }

    /// An image's text, by OCR (every page of a multi-page TIFF).
    private func readImage(at url: URL) throws(ExtractionError) -> ExtractedDocument {
        guard let ocr else {
            throw .needsOCR("This is an image: its text can only be read with OCR, which is switched off.")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .malformed("The file could not be read.")
        }
        let pages: [RecognizedText]
        do {
            pages = try TextRecognizer(settings: ocr).recognize(imageData: data)
        } catch let error as OCRError {
            throw ScannedText.failure(error, what: "The image")
        } catch {
            throw .malformed("The image could not be read (\(error)).")
        }
        guard pages.count <= limits.maxPages else {
            throw .tooLarge("The image has \(pages.count) pages, more than the \(limits.maxPages)-page limit.")
        }
        let numbered = pages.count > 1
        var blocks: [TextBlock] = []
        var ocrPages: [OCRPage] = []
        for (index, page) in pages.enumerated() {
            let pageBlocks = ScannedText.blocks(of: page.text, page: numbered ? index + 1 : nil)
            if pageBlocks.isEmpty { continue }
            blocks += pageBlocks
            ocrPages.append(OCRPage(page: index + 1, confidence: page.confidence))
        }
        guard !blocks.isEmpty else {
            throw .needsOCR("No text was found in the image, even with OCR.")
        }
        return ExtractedDocument(format: .image, pageCount: pages.count, blocks: blocks, ocrPages: ocrPages)
    }

    /// A voice note's words, transcribed by Whisper: one paragraph, or none when nothing was said.
    private func readRecording(at url: URL) throws(ExtractionError) -> ExtractedDocument {
        guard let speech else {
            throw .unsupportedFormat("This is an audio recording: recordings are transcribed only when customers send them.")
        }
        do {
            let samples = try AudioDecoder.decodeOpus(fileAt: url.path, maximumSeconds: speech.maximumSeconds)
            let transcriber = try Transcriber(modelPath: speech.modelPath)
            let progress = self.progress
            progress?(0, 100)
            let text = try transcriber.transcribe(samples, language: speech.language, threads: speech.threads) { percent in
                progress?(min(100, max(0, percent)), 100)
            }
            var dropped = TextNormalization.DroppedCounts()
            let normalized = TextNormalization.normalize(text, dropped: &dropped)
            let blocks = normalized.contains(where: { $0.isLetter || $0.isNumber }) ? [TextBlock(kind: .paragraph, text: normalized, page: nil)] : []
            return ExtractedDocument(format: .audio, pageCount: nil, blocks: blocks)
        } catch {
            switch error {
            case .tooLong: throw .tooLarge("The recording is too long: \(error).")
            case .unreadableAudio: throw .malformed("The recording could not be decoded: \(error).")
            case .modelUnavailable, .failed: throw .unreadable("The recording could not be transcribed: \(error).")
            }
        }
    }

    /// An OLE container: an encrypted OOXML package (has an `EncryptedPackage` stream) or a legacy binary document.
    private static func oleError(url: URL) -> ExtractionError {
        let marker = Array("EncryptedPackage".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        if let data = try? Data(contentsOf: url, options: .alwaysMapped) {
            let bytes = [UInt8](data)
            if firstIndex(of: marker, in: bytes[...]) != nil {
                return .passwordProtected(
                    "This Word document is password-protected: password-protected DOCX is not supported. Save it without a password and upload it again."
                )
            }
            return .unsupportedFormat("This is a legacy Office (97–2003) file: save it as .docx or PDF and upload it again.")
        }
        return .passwordProtected("This Word document is password-protected: password-protected DOCX is not supported.")
    }

    private static func megabytes(_ bytes: Int) -> String {
        if bytes >= 1024 * 1024 {
            return String(format: "%.1f MB", Double(bytes) / 1_048_576)
        }
        return "\(bytes) bytes"
    }
}
