import OCR

/// Text read by OCR, made into blocks like any other text: paragraphs split at blank lines, lines joined (words
/// hyphenated at a line's end rejoined), normalized.
enum ScannedText {
    /// The paragraphs of one page or image read by OCR.
    static func blocks(of text: String, page: Int?) -> [TextBlock] {
        var dropped = TextNormalization.DroppedCounts()
        var blocks: [TextBlock] = []
        var paragraph = ""
        func flush() {
            let normalized = TextNormalization.normalize(paragraph, dropped: &dropped)
            if normalized.contains(where: { $0.isLetter || $0.isNumber }) { blocks.append(TextBlock(kind: .paragraph, text: normalized, page: page)) }
            paragraph = ""
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                flush()
            } else {
                TextNormalization.appendLine(String(line), to: &paragraph)
            }
        }
        flush()
        return blocks
    }

    /// The extraction error an OCR failure of a whole file amounts to.
    static func failure(_ error: OCRError, what: String) -> ExtractionError {
        switch error {
        case .unavailable(let detail): return .needsOCR("\(what) needs OCR, which is not available here: \(detail).")
        case .unreadableImage: return .malformed("\(what) could not be decoded: the file is damaged or not really an image.")
        case .imageTooLarge(let width, let height):
            return .tooLarge("\(what) is \(width) × \(height) pixels, too large to read. Scale it down and upload it again.")
        case .timedOut(let seconds): return .unreadable("Reading \(what.lowercased()) took longer than the \(seconds)-second limit.")
        }
    }
}
