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
