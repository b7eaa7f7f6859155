import Foundation

/// Splits one column fragment into paragraphs.
enum Paragraphs {
    static func split(_ lines: [PDFLine]) -> [[PDFLine]] {
        guard lines.count > 1 else { return lines.isEmpty ? [] : [lines] }
        let left = lines.map(\.box.x1).min() ?? 0
        let right = lines.map(\.box.x2).max() ?? 0
        let width = max(right - left, 1)
        var paragraphs: [[PDFLine]] = []
        var current: [PDFLine] = [lines[0]]
        for line in lines.dropFirst() {
            let prev = current[current.count - 1]
            let h = max(min(prev.box.height, line.box.height), 1)
            let gap = line.box.y1 - prev.box.y2
            var breakHere = false
            if gap > 0.6 * h || gap < -1.5 * h { breakHere = true }
            if prev.fontSize > 0 && line.fontSize > 0 && abs(prev.fontSize - line.fontSize) > 0.15 * max(prev.fontSize, line.fontSize) {
                breakHere = true
            }
            if prev.bold != line.bold && !prev.text.hasSuffix("-") { breakHere = true }
            // A numbered item starting after a line that ends a sentence or clause ("…tácita." / "9 — A …").
            if let last = prev.text.unicodeScalars.last, ".:;!?".unicodeScalars.contains(last), Lists.startsNumberedItem(line.text) {
                breakHere = true
            }
            // First-line indent after a full line.
            if line.box.x1 > left + 0.6 * h && line.box.x1 - prev.box.x1 > 0.6 * h && prev.box.x2 > right - 0.1 * width
                && line.box.x1 < left + 0.3 * width
            {
                breakHere = true
            }
            // Short previous line ending a sentence.
            if prev.box.x2 < right - 0.2 * width, let last = prev.text.unicodeScalars.last, ".:;!?".unicodeScalars.contains(last) {
                breakHere = true
            }
            if breakHere {
                paragraphs.append(current)
                current = [line]
            } else {
                current.append(line)
            }
        }
        paragraphs.append(current)
        return paragraphs
    }
}
