import Foundation
import ZIPFoundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// DOCX extraction: a bounded unzip (zip-bomb limits) and a streaming walk of WordprocessingML.
struct DOCXExtractor: Sendable {
    var limits: ExtractionLimits

    func extract(url: URL) throws(ExtractionError) -> ExtractedDocument {
        let package = try SafeZip(url: url, limits: limits)
        guard let documentPath = package.mainDocumentPath() else {
            throw .unsupportedFormat("This zip archive is not a Word document (it has no word/document.xml).")
        }
        let styles = (try? package.read("word/styles.xml")).flatMap { StylesParser.parse($0) } ?? StyleSheet()
        let numbering = (try? package.read("word/numbering.xml")).flatMap { NumberingParser.parse($0) } ?? NumberingDefinitions()

        var walker = WordWalker(styles: styles, numbering: numbering)
        let body = try package.read(documentPath)
        try walker.run(body, part: "document")

        // Footnotes and endnotes, in the order their references appear in the text.
        var noteBlocks: [TextBlock] = []
        var notes: [String: [String]] = [:]
        for (part, kind) in [("word/footnotes.xml", "footnote"), ("word/endnotes.xml", "endnote")] {
            guard package.contains(part) else { continue }
            let data = try package.read(part)
            var noteWalker = WordWalker(styles: styles, numbering: numbering)
            try noteWalker.run(data, part: kind)
            for (id, paragraphs) in noteWalker.notes { notes["\(kind):\(id)"] = paragraphs }
        }
        for (number, key) in walker.noteOrder.enumerated() {
            guard let paragraphs = notes[key], !paragraphs.isEmpty else { continue }
            var dropped = TextNormalization.DroppedCounts()
            let text = TextNormalization.normalize("[\(number + 1)] " + paragraphs.joined(separator: " "), dropped: &dropped)
            noteBlocks.append(TextBlock(kind: .paragraph, text: text))
        }
        var warnings: [String] = []
        if walker.dropped.total > 0 {
            warnings.append("Dropped \(walker.dropped.total) control or invalid characters.")
        }
        return ExtractedDocument(format: .docx, pageCount: nil, blocks: walker.blocks + noteBlocks, warnings: warnings)
    }
}

// MARK: - Bounded zip access

/// Reads entries of a zip archive within the extraction limits: entry count, declared sizes and ratios are checked
/// before inflating, and the bytes actually produced are counted while inflating.
struct SafeZip {
    private let archive: Archive
    private let limits: ExtractionLimits
    private let entries: [String: Entry]

    init(url: URL, limits: ExtractionLimits) throws(ExtractionError) {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw .malformed("The Word document is damaged: its zip archive is truncated or corrupt.")
        }
        var entries: [String: Entry] = [:]
        var count = 0
        var declared: UInt64 = 0
        for entry in archive {
            count += 1
            if count > limits.maxArchiveEntries {
                throw .tooLarge("The Word document has more than \(limits.maxArchiveEntries) parts: refused as a possible zip bomb.")
            }
            declared &+= entry.uncompressedSize
            entries[entry.path] = entry
        }
        if declared > UInt64(limits.maxUncompressedBytes) {
            throw .tooLarge(
                "The Word document would expand to more than \(limits.maxUncompressedBytes / 1_048_576) MB: refused as a possible zip bomb."
            )
        }
        if count == 0 {
            throw .malformed("The Word document is damaged: its zip archive is empty or truncated.")
        }
        self.archive = archive
        self.limits = limits
        self.entries = entries
    }

    func contains(_ path: String) -> Bool { entries[path] != nil }

    /// The main document part: word/document.xml, or whatever _rels/.rels names as the office document.
    func mainDocumentPath() -> String? {
        if contains("word/document.xml") { return "word/document.xml" }
        guard let rels = try? read("_rels/.rels") else { return nil }
        let text = String(decoding: rels, as: UTF8.self)
        guard let range = text.range(of: "officeDocument\"") ?? text.range(of: "officeDocument'") else { return nil }
        // Find Target="..." in the same element.
        let start = text[..<range.lowerBound].range(of: "<", options: .backwards)?.lowerBound ?? text.startIndex
        let end = text[range.upperBound...].range(of: ">")?.upperBound ?? text.endIndex
        let element = text[start..<end]
        guard let t = element.range(of: "Target=\"") else { return nil }
        let rest = element[t.upperBound...]
        guard let q = rest.firstIndex(of: "\"") else { return nil }
        var target = String(rest[..<q])
        if target.hasPrefix("/") { target.removeFirst() }
        return contains(target) ? target : nil
    }

    func read(_ path: String) throws(ExtractionError) -> Data {
        guard let entry = entries[path] else { throw .malformed("The Word document is missing \(path).") }
        let declared = entry.uncompressedSize
        let compressed = max(entry.compressedSize, 1)
        if declared > UInt64(limits.maxUncompressedBytes) {
            throw .tooLarge("A part of the Word document would expand beyond the size limit: refused as a possible zip bomb.")
        }
        if declared > 1_048_576 && declared / compressed > UInt64(limits.maxCompressionRatio) {
            throw .tooLarge(
                "A part of the Word document is compressed \(declared / compressed):1, beyond the \(limits.maxCompressionRatio):1 limit: refused as a possible zip bomb."
            )
        }
        // Count what inflating actually produces: a lying header cannot expand past the declared size (plus slack)
        // nor past the ratio limit.
        let ratioCap = compressed &* UInt64(max(limits.maxCompressionRatio, 1))
        let cap = min(UInt64(limits.maxUncompressedBytes), max(declared, max(ratioCap, 1_048_576)))
        var data = Data()
        var bomb = false
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if UInt64(data.count + chunk.count) > cap {
                    bomb = true
                    throw CocoaError(.fileReadTooLarge)
                }
                data.append(chunk)
            }
        } catch {
            if bomb {
                throw .tooLarge("A part of the Word document expands far beyond its declared size: refused as a possible zip bomb.")
            }
            throw .malformed("The Word document is damaged: \(path) could not be decompressed.")
        }
        return data
    }
}

// MARK: - Styles and numbering

struct StyleSheet {
    struct Style {
        var name: String = ""
        var basedOn: String?
        var outlineLevel: Int?
        var numId: String?
        var numLevel: Int?
    }

    var styles: [String: Style] = [:]

    /// Heading level (1-based) of a paragraph style, following `basedOn`.
    func headingLevel(_ id: String?) -> Int? {
        var current = id
        var hops = 0
        while let cid = current, let style = styles[cid], hops < 20 {
            if let level = style.outlineLevel, level < 9 { return level + 1 }
            let name = style.name.lowercased()
            if name.hasPrefix("heading "), let n = Int(name.dropFirst(8)) { return n }
            if name == "title" { return 1 }
            current = style.basedOn
            hops += 1
        }
        return nil
    }

    func numbering(_ id: String?) -> (String, Int)? {
        var current = id
        var hops = 0
        while let cid = current, let style = styles[cid], hops < 20 {
            if let numId = style.numId { return (numId, style.numLevel ?? 0) }
            current = style.basedOn
            hops += 1
        }
        return nil
    }
}

struct NumberingDefinitions {
    struct Level {
        var start = 1
        var format = "decimal"
        var text = "%1."
    }

    var abstract: [String: [Int: Level]] = [:]
    var numToAbstract: [String: String] = [:]
    var startOverrides: [String: [Int: Int]] = [:]
}

/// Tracks list counters and renders labels such as "1.", "a)", "2.1".
struct ListCounters {
    let numbering: NumberingDefinitions
    private var counters: [String: [Int: Int]] = [:]
    private var seenNums: Set<String> = []

    init(numbering: NumberingDefinitions) { self.numbering = numbering }

    mutating func label(numId: String, level: Int) -> String? {
        guard numId != "0", let abstractId = numbering.numToAbstract[numId], let levels = numbering.abstract[abstractId] else {
            return nil
        }
        var counts = counters[abstractId] ?? [:]
        if seenNums.insert(numId).inserted, let overrides = numbering.startOverrides[numId] {
            for (l, s) in overrides { counts[l] = s - 1 }
            for l in counts.keys where overrides[l] == nil && l > (overrides.keys.min() ?? 0) { counts[l] = nil }
        }
        let def = levels[level] ?? NumberingDefinitions.Level()
        counts[level] = (counts[level] ?? (def.start - 1)) + 1
        for deeper in counts.keys where deeper > level { counts[deeper] = nil }
        counters[abstractId] = counts
        if def.format == "bullet" { return "•" }
        if def.format == "none" { return "" }
        var text = def.text
        for l in 0...8 {
            let token = "%\(l + 1)"
            guard text.contains(token) else { continue }
            let ldef = levels[l] ?? NumberingDefinitions.Level()
            let value = counts[l] ?? ldef.start
            text = text.replacingOccurrences(of: token, with: Self.format(value, ldef.format))
        }
        return text
    }

    static func format(_ n: Int, _ format: String) -> String {
        switch format {
        case "lowerLetter": return letters(n).lowercased()
        case "upperLetter": return letters(n)
        case "lowerRoman": return roman(n).lowercased()
        case "upperRoman": return roman(n)
        case "decimalZero": return n < 10 ? "0\(n)" : "\(n)"
        default: return "\(n)"
        }
    }

    static func letters(_ n: Int) -> String {
        guard n > 0 else { return "" }
        let letter = Character(Unicode.Scalar(UInt8(65 + (n - 1) % 26)))
        return String(repeating: letter, count: (n - 1) / 26 + 1)
    }

    static func roman(_ n: Int) -> String {
        guard n > 0 && n < 4000 else { return "\(n)" }
        let table: [(Int, String)] = [
            (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
        ]
        var n = n
        var out = ""
        for (v, s) in table {
            while n >= v {
                out += s
                n -= v
            }
        }
        return out
    }
}

/// Attribute lookup that ignores the namespace prefix (`w:val`, `val`).
private func attr(_ attributes: [String: String], _ name: String) -> String? {
    if let v = attributes["w:" + name] { return v }
    if let v = attributes[name] { return v }
    for (k, v) in attributes where k.hasSuffix(":" + name) { return v }
    return nil
}

private func localName(_ qName: String) -> Substring {
    if let i = qName.firstIndex(of: ":") { return qName[qName.index(after: i)...] }
    return qName[...]
}

final class StylesParser: NSObject, XMLParserDelegate {
    var sheet = StyleSheet()
    private var currentId: String?
    private var current = StyleSheet.Style()
    private var inPPr = false

    static func parse(_ data: Data) -> StyleSheet? {
        let delegate = StylesParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        return parser.parse() ? delegate.sheet : nil
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        switch elementName {
        case "w:style":
            currentId = attr(attributeDict, "styleId")
            current = StyleSheet.Style()
        case "w:name": if currentId != nil { current.name = attr(attributeDict, "val") ?? "" }
        case "w:basedOn": if currentId != nil { current.basedOn = attr(attributeDict, "val") }
        case "w:outlineLvl": if currentId != nil { current.outlineLevel = attr(attributeDict, "val").flatMap { Int($0) } }
        case "w:numId": if currentId != nil { current.numId = attr(attributeDict, "val") }
        case "w:ilvl": if currentId != nil { current.numLevel = attr(attributeDict, "val").flatMap { Int($0) } }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if elementName == "w:style", let id = currentId {
            sheet.styles[id] = current
            currentId = nil
        }
    }
}

final class NumberingParser: NSObject, XMLParserDelegate {
    var defs = NumberingDefinitions()
    private var abstractId: String?
    private var levelIndex: Int?
    private var level = NumberingDefinitions.Level()
    private var numId: String?
    private var overrideLevel: Int?

    static func parse(_ data: Data) -> NumberingDefinitions? {
        let delegate = NumberingParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        return parser.parse() ? delegate.defs : nil
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        switch elementName {
        case "w:abstractNum":
            abstractId = attr(attributeDict, "abstractNumId")
            if let id = abstractId { defs.abstract[id] = [:] }
        case "w:lvl":
            if numId == nil {
                levelIndex = attr(attributeDict, "ilvl").flatMap { Int($0) }
                level = NumberingDefinitions.Level()
            }
        case "w:start": if levelIndex != nil, let v = attr(attributeDict, "val").flatMap({ Int($0) }) { level.start = v }
        case "w:numFmt": if levelIndex != nil, let v = attr(attributeDict, "val") { level.format = v }
        case "w:lvlText": if levelIndex != nil, let v = attr(attributeDict, "val") { level.text = v }
        case "w:num": numId = attr(attributeDict, "numId")
        case "w:abstractNumId":
            if let n = numId, let a = attr(attributeDict, "val") { defs.numToAbstract[n] = a }
        case "w:lvlOverride": overrideLevel = attr(attributeDict, "ilvl").flatMap { Int($0) }
        case "w:startOverride":
            if let n = numId, let l = overrideLevel, let v = attr(attributeDict, "val").flatMap({ Int($0) }) {
                defs.startOverrides[n, default: [:]][l] = v
            }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch elementName {
        case "w:lvl":
            if let a = abstractId, let l = levelIndex, numId == nil { defs.abstract[a]?[l] = level }
            levelIndex = nil
        case "w:abstractNum": abstractId = nil
        case "w:num": numId = nil
        case "w:lvlOverride": overrideLevel = nil
        default: break
        }
    }
}

// MARK: - Document walk

/// Walks document.xml (or footnotes/endnotes) and produces blocks.
struct WordWalker {
    let styles: StyleSheet
    var counters: ListCounters
    var blocks: [TextBlock] = []
    var notes: [String: [String]] = [:]
    var noteOrder: [String] = []
    var dropped = TextNormalization.DroppedCounts()

    init(styles: StyleSheet, numbering: NumberingDefinitions) {
        self.styles = styles
        self.counters = ListCounters(numbering: numbering)
    }

    mutating func run(_ data: Data, part: String) throws(ExtractionError) {
        let delegate = WordDelegate(walker: self, part: part)
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        let ok = parser.parse()
        // An XML part cut short may end without a parse error: every element must also have been closed.
        if !ok || delegate.depth != 0 || !delegate.sawElement {
            let line = parser.lineNumber
            throw .malformed("The Word document is damaged: its \(part) XML is malformed (line \(line)).")
        }
        self = delegate.walker
    }
}

final class WordDelegate: NSObject, XMLParserDelegate {
    var walker: WordWalker
    let part: String

    /// A paragraph being collected.
    struct Paragraph {
        var text = ""
        var styleId: String?
        var outlineLevel: Int?
        var numId: String?
        var numLevel: Int?
    }

    /// A table being collected: the current row's cells and the current cell's paragraphs.
    struct Table {
        var cells: [String] = []
        var cell: [String] = []
        var nestedRows: [String] = []
        var inCell = false
    }

    private var paragraphs: [Paragraph] = []
    private var tables: [Table] = []
    private var skipDepth = 0  // inside w:del, mc:Fallback, w:instrText, w:moveFrom, …
    private var inText = false
    private var inPPr = 0
    private var inRPr = 0
    private var noteId: String?
    private var noteParagraphs: [String] = []
    private var fieldDepth = 0  // complex fields (their instruction text is skipped as w:instrText)
    private(set) var depth = 0
    private(set) var sawElement = false

    init(walker: WordWalker, part: String) {
        self.walker = walker
        self.part = part
    }

    private static let skipped: Set<String> = [
        "w:del", "mc:Fallback", "w:instrText", "w:delText", "w:moveFrom", "w:delInstrText",
        "w:rPrChange", "w:pPrChange", "w:sectPrChange", "w:tblPrChange", "w:trPrChange", "w:tcPrChange",
    ]

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        depth += 1
        sawElement = true
        if skipDepth > 0 {
            skipDepth += 1
            return
        }
        if Self.skipped.contains(elementName) {
            skipDepth = 1
            return
        }
        switch elementName {
        case "w:p":
            paragraphs.append(Paragraph())
        case "w:pPr":
            inPPr += 1
        case "w:rPr":
            inRPr += 1
        case "w:pStyle":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].styleId = attr(attributeDict, "val") }
        case "w:outlineLvl":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].outlineLevel = attr(attributeDict, "val").flatMap { Int($0) } }
        case "w:numId":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].numId = attr(attributeDict, "val") }
        case "w:ilvl":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].numLevel = attr(attributeDict, "val").flatMap { Int($0) } }
        case "w:t":
            inText = true
        case "w:tab":
            if inPPr == 0 { append("\t") }
        case "w:br", "w:cr":
            if inRPr == 0 { append("\n") }
        case "w:noBreakHyphen":
            append("-")
        case "w:sym":
            if let code = attr(attributeDict, "char"), let v = UInt32(code, radix: 16) {
                // Symbol fonts use codes F0xx (or 00xx) in their own encoding.
                let value = v >= 0xF000 && v <= 0xF0FF ? v - 0xF000 : v
                let font = (attr(attributeDict, "font") ?? "").lowercased()
                if font == "symbol" {
                    if let mapped = SymbolFont.map(value) { append(String(mapped)) }
                } else if font.hasPrefix("wingdings") || font.hasPrefix("webdings") {
                    break
                } else if value >= 0x20, let scalar = Unicode.Scalar(value), value < 0xE000 || value > 0xF8FF {
                    append(String(scalar))
                }
            }
        case "w:fldChar":
            switch attr(attributeDict, "fldCharType") {
            case "begin": fieldDepth += 1
            case "separate", "end": fieldDepth = max(0, fieldDepth - 1)
            default: break
            }
        case "w:footnoteReference", "w:endnoteReference":
            if let id = attr(attributeDict, "id") {
                let key = (elementName == "w:footnoteReference" ? "footnote:" : "endnote:") + id
                walker.noteOrder.append(key)
                append("[\(walker.noteOrder.count)]")
            }
        case "w:footnote", "w:endnote":
            let type = attr(attributeDict, "type")
            if type == nil || type == "normal" {
                noteId = attr(attributeDict, "id")
                noteParagraphs = []
            } else {
                skipDepth = 1
            }
        case "w:tbl":
            tables.append(Table())
        case "w:tr":
            if !tables.isEmpty { tables[tables.count - 1].cells = [] }
        case "w:tc":
            if !tables.isEmpty {
                tables[tables.count - 1].cell = []
                tables[tables.count - 1].inCell = true
            }
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        depth -= 1
        if skipDepth > 0 {
            skipDepth -= 1
            return
        }
        switch elementName {
        case "w:t":
            inText = false
        case "w:pPr":
            inPPr -= 1
        case "w:rPr":
            inRPr -= 1
        case "w:p":
            guard let paragraph = paragraphs.popLast() else { return }
            finish(paragraph)
        case "w:tc":
            if !tables.isEmpty {
                let t = tables[tables.count - 1]
                let text = t.cell.joined(separator: " ")
                tables[tables.count - 1].cells.append(text)
                tables[tables.count - 1].inCell = false
            }
        case "w:tr":
            guard !tables.isEmpty else { return }
            let t = tables[tables.count - 1]
            let row = t.cells.filter { !$0.isEmpty }.joined(separator: " | ")
            var rows: [String] = []
            if !row.isEmpty { rows.append(row) }
            rows += t.nestedRows
            tables[tables.count - 1].nestedRows = []
            tables[tables.count - 1].cells = []
            if tables.count >= 2 {
                // A nested table: its rows follow the row of the outer table that holds it.
                tables[tables.count - 2].nestedRows += rows
            } else {
                for r in rows { emit(.tableRow, r) }
            }
        case "w:tbl":
            guard let t = tables.popLast() else { return }
            if !tables.isEmpty {
                tables[tables.count - 1].nestedRows += t.nestedRows
            } else {
                for r in t.nestedRows { emit(.tableRow, r) }
            }
        case "w:footnote", "w:endnote":
            if let id = noteId { walker.notes[id] = noteParagraphs }
            noteId = nil
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText && skipDepth == 0 { append(string) }
    }

    private func append(_ s: String) {
        guard skipDepth == 0, !paragraphs.isEmpty else { return }
        paragraphs[paragraphs.count - 1].text += s
    }

    private func finish(_ paragraph: Paragraph) {
        var dropped = TextNormalization.DroppedCounts()
        var text = TextNormalization.normalize(paragraph.text, dropped: &dropped)
        walker.dropped.add(dropped)

        var level: Int? = nil
        if let o = paragraph.outlineLevel, o < 9 { level = o + 1 } else { level = walker.styles.headingLevel(paragraph.styleId) }
        var numId = paragraph.numId
        var numLevel = paragraph.numLevel ?? 0
        if numId == nil, let (n, l) = walker.styles.numbering(paragraph.styleId) {
            numId = n
            if paragraph.numLevel == nil { numLevel = l }
        }
        var isList = false
        if let numId, !text.isEmpty, let label = walker.counters.label(numId: numId, level: numLevel) {
            if !label.isEmpty { text = label + " " + text }
            isList = true
        }
        if text.isEmpty { return }

        if noteId != nil {
            noteParagraphs.append(text)
            return
        }
        if !tables.isEmpty && tables[tables.count - 1].inCell {
            tables[tables.count - 1].cell.append(text)
            return
        }
        if let level {
            emit(.heading(level: level), text)
        } else if isList {
            emit(.listItem(level: numLevel), text)
        } else {
            emit(.paragraph, text)
        }
    }

    private func emit(_ kind: TextBlock.Kind, _ text: String) {
        walker.blocks.append(TextBlock(kind: kind, text: text))
    }
}

/// The Adobe Symbol font encoding (Word's `w:sym w:font="Symbol"`), Greek letters and common math signs.
enum SymbolFont {
    private static let greekUpper = Array("ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ".unicodeScalars)
    private static let greekLower = Array("αβχδεφγηιϕκλμνοπθρστυϖωξψζ".unicodeScalars)
    private static let others: [UInt32: Unicode.Scalar] = [
        0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x40: "≅", 0x5C: "∴", 0x5E: "⊥", 0x7E: "∼",
        0xA2: "′", 0xA3: "≤", 0xA5: "∞", 0xA7: "♣", 0xA8: "♦", 0xA9: "♥", 0xAA: "♠", 0xAB: "↔", 0xAC: "←", 0xAD: "↑",
        0xAE: "→", 0xAF: "↓", 0xB0: "°", 0xB1: "±", 0xB2: "″", 0xB3: "≥", 0xB4: "×", 0xB5: "∝", 0xB6: "∂", 0xB7: "•",
        0xB8: "÷", 0xB9: "≠", 0xBA: "≡", 0xBB: "≈", 0xBC: "…", 0xC4: "⊗", 0xC5: "⊕", 0xC6: "∅", 0xC7: "∩", 0xC8: "∪",
        0xC9: "⊃", 0xCA: "⊇", 0xCB: "⊄", 0xCC: "⊂", 0xCD: "⊆", 0xCE: "∈", 0xCF: "∉", 0xD0: "∠", 0xD1: "∇", 0xD5: "∏",
        0xD6: "√", 0xD7: "⋅", 0xD8: "¬", 0xD9: "∧", 0xDA: "∨", 0xDB: "⇔", 0xDC: "⇐", 0xDD: "⇑", 0xDE: "⇒", 0xDF: "⇓",
        0xE0: "◊", 0xE5: "∑", 0xF2: "∫",
    ]

    static func map(_ code: UInt32) -> Unicode.Scalar? {
        if let s = others[code] { return s }
        if code >= 0x41 && code <= 0x5A { return greekUpper[Int(code - 0x41)] }
        if code >= 0x61 && code <= 0x7A { return greekLower[Int(code - 0x61)] }
        if code >= 0x20 && code < 0x7F { return Unicode.Scalar(code) }
        return nil
    }
}
