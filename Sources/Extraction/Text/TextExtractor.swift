import Foundation

/// Plain text, Markdown and CSV: decoded, then split into paragraphs (Markdown headings and lists, CSV rows kept).
struct TextExtractor: Sendable {
    enum Flavor { case plain, markdown, csv }

    func extract(_ data: Data, flavor: Flavor = .plain) -> ExtractedDocument {
        let decoded = TextDecoder.decode([UInt8](data))
        var warnings: [String] = []
        if decoded.encoding != "utf-8" && decoded.encoding != "ascii" {
            warnings.append("Text decoded as \(decoded.encoding).")
        }
        if decoded.repairedMojibake {
            warnings.append("Repaired double-encoded UTF-8 (characters such as “Ã§” were turned back into “ç”).")
        }
        var dropped = TextNormalization.DroppedCounts()
        var blocks: [TextBlock] = []
        var paragraph = ""
        func flush() {
            let text = TextNormalization.normalize(paragraph, dropped: &dropped)
            if !text.isEmpty { blocks.append(TextBlock(kind: .paragraph, text: text)) }
            paragraph = ""
        }
        let normalizedNewlines = decoded.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\u{85}", with: "\n")
        for rawLine in normalizedNewlines.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flush()
                continue
            }
            switch flavor {
            case .csv:
                flush()
                let text = TextNormalization.normalize(trimmed.replacingOccurrences(of: ",", with: " | "), dropped: &dropped)
                if !text.isEmpty { blocks.append(TextBlock(kind: .tableRow, text: text)) }
                continue
            case .markdown:
                if trimmed.hasPrefix("#") {
                    let level = trimmed.prefix { $0 == "#" }.count
                    let rest = trimmed.dropFirst(level)
                    if level <= 6, rest.first == " " {
                        flush()
                        let text = TextNormalization.normalize(String(rest), dropped: &dropped)
                        if !text.isEmpty { blocks.append(TextBlock(kind: .heading(level: level), text: text)) }
                        continue
                    }
                }
                if Lists.looksLikeListItem(trimmed) || trimmed.hasPrefix("* ") || trimmed.hasPrefix("+ ") {
                    flush()
                    let indent = line.prefix { $0 == " " }.count / 2
                    let text = TextNormalization.normalize(trimmed, dropped: &dropped)
                    if !text.isEmpty { blocks.append(TextBlock(kind: .listItem(level: indent), text: text)) }
                    continue
                }
            case .plain:
                break
            }
            TextNormalization.appendLine(trimmed, to: &paragraph)
        }
        flush()
        if dropped.total > 0 {
            warnings.append("Dropped \(dropped.total) control or invalid characters.")
        }
        return ExtractedDocument(format: .text, pageCount: nil, blocks: blocks, warnings: warnings)
    }
}
