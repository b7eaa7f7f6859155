/// The kinds of files Balcão reads, decided by content (magic bytes), never by file name.
public enum DocumentFormat: String, Sendable, Hashable, Codable {
    case pdf
    case docx
    case text
    /// A picture (PNG, JPEG, TIFF, WebP): its text is read by OCR.
    case image
    /// An Ogg Opus recording (a voice note): transcribed by Whisper, when the extractor has speech settings.
    case audio
}

/// A page whose text was read by OCR, and how sure the engine was of it.
public struct OCRPage: Sendable, Hashable, Codable {
    /// The 1-based page (1 for a single image).
    public var page: Int
    /// The engine's mean word confidence, 0–1.
    public var confidence: Double

    /// Below this confidence a page's text is flagged as doubtful.
    public static let lowConfidence = 0.6

    /// A page read by OCR.
    public init(page: Int, confidence: Double) {
        self.page = page
        self.confidence = confidence
    }
}

/// One unit of extracted text: a heading, a paragraph, a list item or a table row.
public struct TextBlock: Sendable, Hashable {
    /// What the block is in the document's structure.
    public enum Kind: Sendable, Hashable {
        /// A heading; level 1 is the top.
        case heading(level: Int)
        /// Running text.
        case paragraph
        /// An item of a (possibly numbered) list; level 0 is the outermost.
        case listItem(level: Int)
        /// One row of a table, cells joined by " | ".
        case tableRow
    }

    /// What the block is.
    public var kind: Kind
    /// The normalized text (NFKC, no control characters, de-hyphenated), without a trailing newline.
    public var text: String
    /// The 1-based page the block starts on, where the format has pages (PDF); `nil` otherwise.
    public var page: Int?

    /// Creates a block.
    public init(kind: Kind, text: String, page: Int? = nil) {
        self.kind = kind
        self.text = text
        self.page = page
    }
}

/// The text of one document, in reading order, ready to be chunked.
public struct ExtractedDocument: Sendable, Hashable {
    /// The format the content was recognised as.
    public var format: DocumentFormat
    /// Number of pages (PDF); `nil` for formats without pages.
    public var pageCount: Int?
    /// The blocks in reading order.
    public var blocks: [TextBlock]
    /// Human-readable remarks about the extraction (characters dropped, encoding guessed, …), for the document's detail view.
    public var warnings: [String]
    /// The pages whose text was read by OCR (a scan's pages, an image), in order; empty when none was.
    public var ocrPages: [OCRPage]

    /// Creates a document.
    public init(format: DocumentFormat, pageCount: Int?, blocks: [TextBlock], warnings: [String] = [], ocrPages: [OCRPage] = []) {
        self.format = format
        self.pageCount = pageCount
        self.blocks = blocks
        self.warnings = warnings
        self.ocrPages = ocrPages
    }

    /// All text, blocks separated by blank lines (for scoring and debugging).
    public var plainText: String {
        blocks.map(\.text).joined(separator: "\n\n")
    }
}

/// Why a document could not be turned into text.
///
/// Each case carries a sentence meant for the business owner, in plain words.
public enum ExtractionError: Error, Sendable, Hashable {
    /// The file is encrypted and no (or a wrong) password was given.
    case passwordProtected(String)
    /// The pages are images with no text layer: the document needs OCR.
    case needsOCR(String)
    /// The file opened but its text is unusable (broken font encoding, zero pages, garbage).
    case unreadable(String)
    /// The content is not a PDF, DOCX or text file.
    case unsupportedFormat(String)
    /// The file is larger than the configured limit, or expands beyond the limits (zip bombs).
    case tooLarge(String)
    /// The file is damaged or malformed (truncated archive, bad XML, …).
    case malformed(String)
    /// Reading the file was stopped: it took too long, used too much memory, or crashed the reader.
    case stopped(String)

    /// A stable name of the case (`password_protected`, `needs_ocr`, …), for reports and the reader's wire format.
    public var kind: String {
        switch self {
        case .passwordProtected: "password_protected"
        case .needsOCR: "needs_ocr"
        case .unreadable: "unreadable"
        case .unsupportedFormat: "unsupported_format"
        case .tooLarge: "too_large"
        case .malformed: "malformed"
        case .stopped: "stopped"
        }
    }

    /// The error of a ``kind`` with `reason`; `nil` for an unknown kind.
    public init?(kind: String, reason: String) {
        switch kind {
        case "password_protected": self = .passwordProtected(reason)
        case "needs_ocr": self = .needsOCR(reason)
        case "unreadable": self = .unreadable(reason)
        case "unsupported_format": self = .unsupportedFormat(reason)
        case "too_large": self = .tooLarge(reason)
        case "malformed": self = .malformed(reason)
        case "stopped": self = .stopped(reason)
        default: return nil
        }
    }

    /// The human-readable reason.
    public var reason: String {
        switch self {
        case .passwordProtected(let reason), .needsOCR(let reason), .unreadable(let reason),
            .unsupportedFormat(let reason), .tooLarge(let reason), .malformed(let reason), .stopped(let reason):
            return reason
        }
    }
}
