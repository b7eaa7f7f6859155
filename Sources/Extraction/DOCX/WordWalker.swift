import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

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
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].styleId = wordAttribute(attributeDict, "val") }
        case "w:outlineLvl":
            if inPPr > 0, !paragraphs.isEmpty {
                paragraphs[paragraphs.count - 1].outlineLevel = wordAttribute(attributeDict, "val").flatMap { Int($0) }
            }
        case "w:numId":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].numId = wordAttribute(attributeDict, "val") }
        case "w:ilvl":
            if inPPr > 0, !paragraphs.isEmpty { paragraphs[paragraphs.count - 1].numLevel = wordAttribute(attributeDict, "val").flatMap { Int($0) } }
        case "w:t":
            inText = true
        case "w:tab":
            if inPPr == 0 { append("\t") }
        case "w:br", "w:cr":
            if inRPr == 0 { append("\n") }
        case "w:noBreakHyphen":
            append("-")
        case "w:sym":
            if let code = wordAttribute(attributeDict, "char"), let v = UInt32(code, radix: 16) {
                // Symbol fonts use codes F0xx (or 00xx) in their own encoding.
                let value = v >= 0xF000 && v <= 0xF0FF ? v - 0xF000 : v
                let font = (wordAttribute(attributeDict, "font") ?? "").lowercased()
                if font == "symbol" {
                    if let mapped = SymbolFont.map(value) { append(String(mapped)) }
                } else if font.hasPrefix("wingdings") || font.hasPrefix("webdings") {
                    break
                } else if value >= 0x20, let scalar = Unicode.Scalar(value), value < 0xE000 || value > 0xF8FF {
                    append(String(scalar))
                }
            }
        case "w:fldChar":
            switch wordAttribute(attributeDict, "fldCharType") {
            case "begin": fieldDepth += 1
            case "separate", "end": fieldDepth = max(0, fieldDepth - 1)
            default: break
            }
        case "w:footnoteReference", "w:endnoteReference":
            if let id = wordAttribute(attributeDict, "id") {
                let key = (elementName == "w:footnoteReference" ? "footnote:" : "endnote:") + id
                walker.noteOrder.append(key)
                append("[\(walker.noteOrder.count)]")
            }
        case "w:footnote", "w:endnote":
            let type = wordAttribute(attributeDict, "type")
            if type == nil || type == "normal" {
                noteId = wordAttribute(attributeDict, "id")
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
