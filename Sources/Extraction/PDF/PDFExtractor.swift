import Foundation
import OCR

/// Per-page results filled from several threads: each index is written once, read after all writers finished.
final class PageSlots<Value: Sendable>: @unchecked Sendable {
    private var values: [Value?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(index: Int) -> Value? {
        get { lock.withLock { values[index] } }
        set { lock.withLock { values[index] = newValue } }
    }
}

/// One visual line of a PDF page, in poppler's text coordinates.
struct PDFLine: Sendable {
    var text: String
    var box: Box
    var fontSize: Double
    var bold: Bool
}

/// PDF text extraction: poppler's text layer → lines → running headers/footers removed → reading order
/// (columns, full-width headings, tables) → paragraphs → normalized blocks.
struct PDFExtractor: Sendable {
    var maxPages = 5_000
    var detectHeadings = true
    /// How pages without a text layer are read; `nil`: they are not.
    var ocr: OCRSettings? = nil
    /// Told after each page read by OCR.
    var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil

    func extract(url: URL, password: String?) throws(ExtractionError) -> ExtractedDocument {
        let document: PopplerDocument
        do {
            document = try PopplerDocument(url: url, password: password)
        } catch {
            switch error {
            case .encrypted:
                if password == nil || password?.isEmpty == true {
                    throw .passwordProtected("This PDF is password-protected: upload it again with its password.")
                }
                throw .passwordProtected("This PDF is password-protected and the password given is not correct.")
            case .damaged(let message):
                throw .malformed("This PDF is damaged and could not be opened (\(message)).")
            }
        }
        let pageCount = document.pageCount
        guard pageCount > 0 else {
            throw .unreadable("The PDF has no readable pages: the file appears truncated or damaged.")
        }
        guard pageCount <= maxPages else {
            throw .tooLarge("The PDF has \(pageCount) pages, more than the \(maxPages)-page limit.")
        }

        // Pages are read by up to two workers, each with its own poppler document (poppler objects are not shared
        // across threads); a short document is read here with the document already open.
        let slots = PageSlots<(lines: [PDFLine], width: Double, height: Double, geometry: Bool)>(count: pageCount)
        let workers = pageCount >= 4 ? min(2, ProcessInfo.processInfo.activeProcessorCount) : 1
        if workers <= 1 {
            for index in 0..<pageCount {
                // Font sizes come from glyph box heights: poppler's text attributes would cost another walk.
                guard let raw = document.page(index, withFonts: false) else { continue }
                slots[index] = (Self.lines(of: raw), raw.width, raw.height, raw.layoutMatches)
            }
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                guard let own = try? PopplerDocument(url: url, password: password) else { return }
                for index in stride(from: worker, to: pageCount, by: workers) {
                    guard let raw = own.page(index, withFonts: false) else { continue }
                    slots[index] = (Self.lines(of: raw), raw.width, raw.height, raw.layoutMatches)
                }
            }
        }
        var pages: [[PDFLine]] = []
        var pageSizes: [(Double, Double)] = []
        pages.reserveCapacity(pageCount)
        var geometry: [Bool] = []
        for index in 0..<pageCount {
            if let page = slots[index] {
                pages.append(page.lines)
                pageSizes.append((page.width, page.height))
                geometry.append(page.geometry)
            } else {
                geometry.append(false)
                pages.append([])
                pageSizes.append((0, 0))
            }
        }

        var warnings: [String] = []
        // Scanned pages: no text layer. They are read by OCR when it is on, and skipped otherwise.
        let charsPerPage = pages.map { page in page.reduce(0) { $0 + $1.text.utf8.count { $0 != 0x20 } } }
        let textPages = charsPerPage.filter { $0 > 0 }.count
        let scannedPages = charsPerPage.indices.filter { charsPerPage[$0] == 0 }
        var scanned: [Int: [TextBlock]] = [:]
        var ocrPages: [OCRPage] = []
        if let ocr, !scannedPages.isEmpty {
            (scanned, ocrPages) = try Self.readScannedPages(scannedPages, of: document, settings: ocr, progress: progress, warnings: &warnings)
        }
        if textPages == 0 && scanned.isEmpty {
            if ocr != nil {
                throw .needsOCR(
                    pageCount == 1
                        ? "The PDF's page is an image with no text layer (a scan), and OCR found no text on it."
                        : "The PDF's \(pageCount) pages are images with no text layer (a scan), and OCR found no text on them."
                )
            }
            throw .needsOCR(
                pageCount == 1
                    ? "The PDF's page is an image with no text layer (a scan): it needs OCR before it can be used."
                    : "The PDF's \(pageCount) pages are images with no text layer (a scan): it needs OCR before it can be used."
            )
        }
        if ocr == nil, !scannedPages.isEmpty {
            warnings.append("\(scannedPages.count) of \(pageCount) pages have no text layer (images or scans) and were skipped.")
        }

        let removed = RunningLines.remove(from: &pages, pageSizes: pageSizes, geometry: geometry)
        if removed > 0 {
            warnings.append("Removed \(removed) running header/footer lines repeated across pages.")
        }

        let bodySize = Self.bodyFontSize(pages)
        let headingSizes = Self.headingSizes(pages, bodySize: bodySize)

        // Reading order, paragraphs and normalization are independent per page: spread them over the cores.
        let perPage = PageSlots<([TextBlock], TextNormalization.DroppedCounts)>(count: pageCount)
        let frozenPages = pages
        let useGeometry = geometry
        DispatchQueue.concurrentPerform(iterations: pageCount) { index in
            let lines = frozenPages[index]
            guard !lines.isEmpty else { return }
            perPage[index] = self.pageBlocks(
                lines,
                page: index + 1,
                geometryOK: useGeometry[index],
                bodySize: bodySize,
                headingSizes: headingSizes
            )
        }
        var blocks: [TextBlock] = []
        var dropped = TextNormalization.DroppedCounts()
        for index in 0..<pageCount {
            if let read = scanned[index] {
                blocks += read
                continue
            }
            guard let (pageBlocks, pageDropped) = perPage[index] else { continue }
            blocks += pageBlocks
            dropped.add(pageDropped)
        }
        if dropped.total > 0 {
            warnings.append(
                "Dropped \(dropped.total) unmapped or control characters (\(dropped.control) control, \(dropped.replacement) U+FFFD, \(dropped.privateUse) private-use glyphs)."
            )
        }
        if let reason = Plausibility.garbageReason(blocks.lazy.map(\.text)) {
            throw .unreadable(reason)
        }
        return ExtractedDocument(format: .pdf, pageCount: pageCount, blocks: blocks, warnings: warnings, ocrPages: ocrPages)
    }

    /// Reads pages without a text layer by OCR, one after the other (the engine is loaded once): their blocks by page
    /// index, and each page's confidence. A page that cannot be rendered or takes longer than the per-page limit is
    /// skipped with a warning; a missing engine ends the document, since no scanned page can be read then.
    private static func readScannedPages(
        _ indices: [Int],
        of document: PopplerDocument,
        settings: OCRSettings,
        progress: (@Sendable (Int, Int) -> Void)?,
        warnings: inout [String]
    ) throws(ExtractionError) -> ([Int: [TextBlock]], [OCRPage]) {
        let recognizer: TextRecognizer
        do {
            recognizer = try TextRecognizer(settings: settings)
        } catch let error as OCRError {
            throw ScannedText.failure(error, what: "This scanned PDF")
        } catch {
            throw .needsOCR("This scanned PDF needs OCR, which could not be started (\(error)).")
        }
        var blocks: [Int: [TextBlock]] = [:]
        var pages: [OCRPage] = []
        var skipped: [Int] = []
        var beyondLimit = 0
        let toRead = min(indices.count, settings.maximumPages)
        for (done, index) in indices.enumerated() {
            guard done < toRead else {
                beyondLimit += 1
                continue
            }
            defer { progress?(done + 1, toRead) }
            guard let image = document.renderGray(index, dpi: Double(settings.resolution), maximumPixels: settings.maximumPixels) else {
                skipped.append(index + 1)
                continue
            }
            do {
                let read = try image.pixels.withUnsafeBytes { pixels in
                    try recognizer.recognize(grayPixels: pixels, width: image.width, height: image.height, bytesPerRow: image.width)
                }
                let pageBlocks = ScannedText.blocks(of: read.text, page: index + 1)
                guard !pageBlocks.isEmpty else { continue }
                blocks[index] = pageBlocks
                pages.append(OCRPage(page: index + 1, confidence: read.confidence))
            } catch {
                skipped.append(index + 1)
            }
        }
        if beyondLimit > 0 {
            warnings.append(
                "Only the first \(settings.maximumPages) scanned pages were read by OCR; the other \(beyondLimit) were skipped."
            )
        }
        if !skipped.isEmpty {
            warnings.append(
                "OCR could not read \(skipped.count == 1 ? "page" : "pages") \(skipped.map(String.init).joined(separator: ", ")) (damaged, or over the \(settings.pageTimeLimit.components.seconds)-second limit per page); skipped."
            )
        }
        return (blocks, pages)
    }

    /// The blocks of one page, in reading order.
    private func pageBlocks(
        _ lines: [PDFLine],
        page: Int,
        geometryOK: Bool,
        bodySize: Double,
        headingSizes: [Double]
    )
        -> ([TextBlock], TextNormalization.DroppedCounts)
    {
        var dropped = TextNormalization.DroppedCounts()
        let ordered: [[PDFLine]] = geometryOK ? ReadingOrder.leafGroups(lines) : [lines]
        var pageBlocks: [TextBlock] = []
        let pageBoxes = lines.map(\.box)
        for group in ordered {
            for paragraph in Paragraphs.split(group) {
                var text = ""
                for line in paragraph { TextNormalization.appendLine(line.text, to: &text) }
                text = TextNormalization.normalize(text, dropped: &dropped)
                if text.isEmpty { continue }
                let kind = classify(paragraph, text: text, bodySize: bodySize, headingSizes: headingSizes, pageBoxes: pageBoxes)
                // Join a paragraph that continues in the next column: hyphenated word or a lowercase continuation.
                if let last = pageBlocks.last, last.kind == .paragraph || isList(last.kind), kind == .paragraph,
                    TextNormalization.startsWithLowercase(text)
                {
                    var joined = last.text
                    if TextNormalization.endsWithHyphenatedWord(joined) || !Self.endsSentence(joined) {
                        TextNormalization.appendLine(text, to: &joined)
                        pageBlocks[pageBlocks.count - 1].text = joined
                        continue
                    }
                }
                pageBlocks.append(TextBlock(kind: kind, text: text, page: page))
            }
        }
        return (pageBlocks, dropped)
    }

    private func isList(_ kind: TextBlock.Kind) -> Bool {
        if case .listItem = kind { return true }
        return false
    }

    private static func endsSentence(_ text: String) -> Bool {
        guard let last = text.unicodeScalars.last else { return true }
        return ".:;!?)»\"”".unicodeScalars.contains(last)
    }

    /// Headings are mostly letters, at least three of them, and do not end like a sentence or a clause.
    private static func looksLikeHeadingText(_ text: String) -> Bool {
        guard let last = text.unicodeScalars.last, !".,;:".unicodeScalars.contains(last) else { return false }
        var letters = 0
        var others = 0
        for s in text.unicodeScalars where s != " " {
            if s.properties.isAlphabetic { letters += 1 } else { others += 1 }
        }
        return letters >= 3 && letters >= 2 * others
    }

    /// The column a short paragraph sits in: median edges of the page's lines at least twice as wide that run
    /// under its centre.
    private static func column(of box: Box, in pageBoxes: [Box]) -> (left: Double, right: Double)? {
        let center = (box.x1 + box.x2) / 2
        var lefts: [Double] = []
        var rights: [Double] = []
        for b in pageBoxes where b.x1 <= center && b.x2 >= center && b.width >= 2 * box.width {
            lefts.append(b.x1)
            rights.append(b.x2)
        }
        guard lefts.count >= 3 else { return nil }
        lefts.sort()
        rights.sort()
        return (lefts[lefts.count / 2], rights[rights.count / 2])
    }

    private func classify(
        _ paragraph: [PDFLine],
        text: String,
        bodySize: Double,
        headingSizes: [Double],
        pageBoxes: [Box]
    ) -> TextBlock.Kind {
        if detectHeadings, bodySize > 0, paragraph.count <= 3, text.utf8.count <= 200, Self.looksLikeHeadingText(text) {
            let size = paragraph[0].fontSize
            if size >= bodySize * 1.15, let rank = headingSizes.firstIndex(where: { abs($0 - size) < 0.6 }) {
                return .heading(level: min(rank + 1, 4))
            }
            // Same-size headings set apart by layout: short, not ending a sentence, and either all capitals
            // ("CAPÍTULO III") or centred in their column ("Artigo 18.º" over its title).
            let sizeLevels = min(headingSizes.count, 3)
            if paragraph.count <= 2, text.utf8.count <= 120, !Lists.looksLikeListItem(text) {
                let letters = text.unicodeScalars.filter { $0.properties.isAlphabetic }
                let upper = letters.filter { $0.properties.isUppercase }.count
                if letters.count >= 3 && upper == letters.count {
                    return .heading(level: sizeLevels + 1)
                }
                let box = paragraph.map(\.box).reduce(paragraph[0].box) { $0.union($1) }
                if let column = Self.column(of: box, in: pageBoxes) {
                    let width = column.right - column.left
                    let leftMargin = box.x1 - column.left
                    let rightMargin = column.right - box.x2
                    if box.width < 0.75 * width && leftMargin > 0.08 * width && rightMargin > 0.08 * width
                        && abs(leftMargin - rightMargin) < 0.06 * width
                    {
                        return .heading(level: sizeLevels + 2)
                    }
                }
            }
        }
        if Lists.looksLikeListItem(text) { return .listItem(level: 0) }
        return .paragraph
    }

    // MARK: lines

    /// Splits poppler's page text into lines with boxes; a line is also cut where a wide horizontal gap separates
    /// two runs of glyphs (table cells or columns poppler put on one line).
    static func lines(of raw: RawPage) -> [PDFLine] {
        var result: [PDFLine] = []
        let scalars = raw.scalars
        let boxes = raw.boxes
        let hasBoxes = raw.layoutMatches
        let fonts = raw.fonts
        var fontIndex = 0

        let utf8 = raw.utf8
        let offsets = raw.offsets
        // The current line runs from scalar `first` to scalar `last` (inclusive); its text is a slice of the UTF-8.
        var first = -1
        var last = -1
        var box: Box? = nil
        var lastGlyph: Box? = nil

        func fontAt(_ index: Int) -> (Double, Bool) {
            if fonts.isEmpty, hasBoxes, index >= 0 {
                // Glyph box height tracks the font size (poppler boxes span the font's ascent to descent).
                return ((boxes[index].height * 2).rounded() / 2, false)
            }
            guard !fonts.isEmpty, index >= 0 else { return (0, false) }
            while fontIndex < fonts.count - 1 && fonts[fontIndex].end < index { fontIndex += 1 }
            let run = fonts[fontIndex]
            return (run.size, run.bold)
        }

        func flush() {
            guard first >= 0 else { return }
            let text = utf8.withUnsafeBufferPointer { buffer in
                String(decoding: UnsafeBufferPointer(rebasing: buffer[Int(offsets[first])..<Int(offsets[last + 1])]), as: UTF8.self)
            }
            let (size, bold) = fontAt(first)
            let b = box ?? Box(x1: 0, y1: Double(result.count), x2: 1, y2: Double(result.count) + 1)
            result.append(PDFLine(text: text, box: b, fontSize: size, bold: bold))
            first = -1
            last = -1
            box = nil
            lastGlyph = nil
        }

        // Right-to-left lines keep poppler's logical order: glyph boxes run leftwards there.
        var rtl = false
        var lineStart = true
        for i in 0..<scalars.count {
            let s = scalars[i]
            if s == "\n" {
                flush()
                lineStart = true
                continue
            }
            if lineStart {
                lineStart = false
                rtl = false
                var j = i
                while j < scalars.count && scalars[j] != "\n" {
                    let v = scalars[j].value
                    if v >= 0x0590 && ((v <= 0x08FF) || (v >= 0xFB1D && v <= 0xFEFC)) {
                        rtl = true
                        break
                    }
                    j += 1
                }
            }
            if s == " " || s == "\t" {
                continue
            }
            if hasBoxes {
                let g = boxes[i]
                if !rtl, let previous = lastGlyph {
                    let h = max(g.height, previous.height, 1)
                    let gap = g.x1 - previous.x2
                    // A wide gap on one baseline, or the text jumping back left / to another row: a new line.
                    if gap > 1.5 * h || g.x2 < previous.x1 - h || abs(g.y1 - previous.y1) > 1.5 * h {
                        flush()
                    }
                }
                box = box.map { $0.union(g) } ?? g
                lastGlyph = g
            }
            if first < 0 { first = i }
            last = i
        }
        flush()
        return result
    }

    static func bodyFontSize(_ pages: [[PDFLine]]) -> Double {
        var weight: [Int: Int] = [:]
        for page in pages {
            for line in page where line.fontSize > 0 {
                weight[Int((line.fontSize * 2).rounded()), default: 0] += line.text.utf8.count
            }
        }
        guard let best = weight.max(by: { $0.value < $1.value }) else { return 0 }
        return Double(best.key) / 2
    }

    /// Distinct font sizes clearly larger than the body text, largest first (heading levels).
    static func headingSizes(_ pages: [[PDFLine]], bodySize: Double) -> [Double] {
        guard bodySize > 0 else { return [] }
        var sizes = Set<Int>()
        for page in pages {
            for line in page where line.fontSize >= bodySize * 1.15 {
                sizes.insert(Int((line.fontSize * 2).rounded()))
            }
        }
        return sizes.sorted(by: >).map { Double($0) / 2 }
    }
}

/// Finds list markers at the start of a paragraph.
enum Lists {
    /// "1 — ", "12 - ", "a) ", "3) ", "2. " and bullets: the start of a numbered item or clause.
    static func startsNumberedItem(_ text: String) -> Bool {
        if looksLikeListItem(text) { return true }
        let s = Array(text.unicodeScalars.prefix(8))
        var i = 0
        while i < s.count && s[i].value >= 0x30 && s[i].value <= 0x39 { i += 1 }
        return i > 0 && i <= 3 && i + 2 < s.count && s[i] == " " && (s[i + 1] == "—" || s[i + 1] == "–" || s[i + 1] == "-")
            && s[i + 2] == " "
    }

    static func looksLikeListItem(_ text: String) -> Bool {
        let s = Array(text.unicodeScalars.prefix(8))
        guard let first = s.first else { return false }
        if "•·▪●◦‣∙".unicodeScalars.contains(first) { return true }
        if (first == "-" || first == "–") && s.count > 1 && s[1] == " " { return true }
        // a) b) ... or 1) 1. 12.
        var i = 0
        while i < s.count && s[i].properties.numericType != nil { i += 1 }
        if i > 0 && i <= 3 && i + 1 < s.count && (s[i] == ")" || s[i] == ".") && s[i + 1] == " " { return true }
        if s.count >= 3 && first.properties.isLowercase && s[1] == ")" && s[2] == " " { return true }
        return false
    }
}
