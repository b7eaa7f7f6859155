import Foundation

/// Reading order by recursive XY-cut over line boxes: columns are read one after the other, full-width headings and
/// tables split the page into bands read top to bottom, table rows are read left to right.
/// Works on indices into the page's boxes (no string copies while sorting).
enum ReadingOrder {
    /// Returns groups of lines; each group is one column fragment (or table cell), top to bottom.
    static func leafGroups(_ lines: [PDFLine]) -> [[PDFLine]] {
        guard !lines.isEmpty else { return [] }
        let boxes = lines.map(\.box)
        let heights = boxes.map(\.height).sorted()
        let h = max(heights[heights.count / 2], 4)
        var out: [[Int]] = []
        let cutter = Cutter(boxes: boxes, h: h)
        cutter.cut(Array(lines.indices), depth: 0, into: &out)
        return out.map { group in group.map { lines[$0] } }
    }

    struct Cutter {
        let boxes: [Box]
        let h: Double

        func cut(_ lines: [Int], depth: Int, into out: inout [[Int]]) {
            if lines.count <= 1 || depth > 40 {
                out.append(sortedTopDown(lines))
                return
            }
            // Wide empty strips (stacked tables, a section break across the page) separate parts read in turn.
            let strong = horizontalBands(lines, minGap: 1.8 * h)
            if strong.count > 1 {
                for band in strong { cut(band, depth: depth + 1, into: &out) }
                return
            }
            let bands = horizontalBands(lines, minGap: 0.45 * h)
            let gutters = verticalGaps(lines, minGap: 0.9 * h)

            if let gutter = gutters.first {
                // Table: several thin bands, most with cells on both sides of the gutter → read row by row.
                if bands.count >= 3 {
                    let thin = bands.count { $0.count <= 6 }
                    let spanning = bands.count { band in
                        band.contains { boxes[$0].x2 <= gutter.0 } && band.contains { boxes[$0].x1 >= gutter.1 }
                    }
                    if Double(thin) >= 0.8 * Double(bands.count) && Double(spanning) >= 0.6 * Double(bands.count) {
                        for band in bands { cut(band, depth: depth + 1, into: &out) }
                        return
                    }
                }
                // Columns: split at every gutter, left to right.
                var columns: [[Int]] = Array(repeating: [], count: gutters.count + 1)
                for line in lines {
                    var column = 0
                    while column < gutters.count && boxes[line].x1 >= gutters[column].1 - 0.01 { column += 1 }
                    columns[column].append(line)
                }
                // A small grid (every column the same few lines, rows on shared baselines) is a table: by rows.
                if let rows = alignedRows(columns) {
                    for row in rows {
                        for cell in row { out.append([cell]) }
                    }
                    return
                }
                for column in columns where !column.isEmpty {
                    cut(column, depth: depth + 1, into: &out)
                }
                return
            }

            guard bands.count > 1 else {
                // One band and no clean gutter: full-width lines (a title touching a drop cap, a caption) may
                // bridge the columns. Without them, is there a gutter? Then they separate stacked parts.
                if let parts = splitAtWideLines(lines) {
                    for part in parts { cut(part, depth: depth + 1, into: &out) }
                    return
                }
                out.append(sortedTopDown(lines))
                return
            }
            // Merge consecutive bands as long as the merged region still has a column gutter (a two-column
            // region interrupted by nothing full-width); full-width bands stay alone.
            var groups: [[Int]] = []
            var current: [Int] = bands[0]
            var currentHasGutter = hasGutter(current)
            for band in bands.dropFirst() {
                let bandHasGutter = hasGutter(band)
                let merged = current + band
                if (currentHasGutter || bandHasGutter) && !verticalGaps(merged, minGap: 0.9 * h).isEmpty {
                    current = merged
                    currentHasGutter = true
                } else {
                    groups.append(current)
                    current = band
                    currentHasGutter = bandHasGutter
                }
            }
            groups.append(current)
            if groups.count == 1 {
                out.append(sortedTopDown(lines))
                return
            }
            for group in groups { cut(group, depth: depth + 1, into: &out) }
        }

        /// Splits at lines spanning most of the region's width, when the remaining lines have a column gutter.
        /// Returns the parts top to bottom (each wide line a part of its own), or nil.
        private func splitAtWideLines(_ lines: [Int]) -> [[Int]]? {
            guard lines.count >= 4 else { return nil }
            var left = Double.infinity
            var right = -Double.infinity
            for i in lines {
                left = min(left, boxes[i].x1)
                right = max(right, boxes[i].x2)
            }
            let width = right - left
            guard width > 0 else { return nil }
            let wide = lines.filter { boxes[$0].width > 0.6 * width }
            let narrow = lines.filter { boxes[$0].width <= 0.6 * width }
            guard !wide.isEmpty, wide.count * 4 <= lines.count, narrow.count >= 2,
                !verticalGaps(narrow, minGap: 0.9 * h).isEmpty
            else { return nil }
            let separators = wide.sorted { boxes[$0].y1 < boxes[$1].y1 }
            let centers = separators.map { (boxes[$0].y1 + boxes[$0].y2) / 2 }
            var parts: [[Int]] = Array(repeating: [], count: separators.count + 1)
            for line in narrow {
                let center = (boxes[line].y1 + boxes[line].y2) / 2
                parts[centers.count { $0 < center }].append(line)
            }
            var result: [[Int]] = []
            for (k, part) in parts.enumerated() {
                if !part.isEmpty { result.append(part) }
                if k < separators.count { result.append([separators[k]]) }
            }
            return result.count > 1 ? result : nil
        }

        /// Rows of a small grid: every column holds the same number (at most 3) of lines, and the i-th lines of all
        /// columns share a baseline.
        private func alignedRows(_ columns: [[Int]]) -> [[Int]]? {
            guard columns.count >= 2, let n = columns.first?.count, n >= 1, n <= 3,
                columns.allSatisfy({ $0.count == n })
            else { return nil }
            let sorted = columns.map { column in column.sorted { boxes[$0].y1 < boxes[$1].y1 } }
            var rows: [[Int]] = []
            for r in 0..<n {
                let row = sorted.map { $0[r] }
                let y = boxes[row[0]].y2
                guard row.allSatisfy({ abs(boxes[$0].y2 - y) <= 0.3 * h }) else { return nil }
                rows.append(row)
            }
            return rows
        }

        private func hasGutter(_ lines: [Int]) -> Bool {
            lines.count > 1 && !verticalGaps(lines, minGap: 0.9 * h).isEmpty
        }

        private func sortedTopDown(_ lines: [Int]) -> [Int] {
            lines.sorted { i, j in
                let a = boxes[i]
                let b = boxes[j]
                let overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
                if overlap > 0.5 * min(a.height, b.height) { return a.x1 < b.x1 }
                return a.y1 < b.y1
            }
        }

        /// Splits lines into bands separated by empty horizontal strips at least `minGap` high, top to bottom.
        func horizontalBands(_ lines: [Int], minGap: Double) -> [[Int]] {
            let sorted = lines.sorted { boxes[$0].y1 < boxes[$1].y1 }
            var bands: [[Int]] = []
            var current: [Int] = []
            var bottom = -Double.infinity
            for line in sorted {
                let b = boxes[line]
                if !current.isEmpty && b.y1 - bottom >= minGap {
                    bands.append(current)
                    current = []
                }
                current.append(line)
                bottom = current.count == 1 ? b.y2 : max(bottom, b.y2)
            }
            if !current.isEmpty { bands.append(current) }
            return bands
        }

        /// Empty vertical strips at least `minGap` wide with lines on both sides, left to right.
        func verticalGaps(_ lines: [Int], minGap: Double) -> [(Double, Double)] {
            guard lines.count > 1 else { return [] }
            let sorted = lines.sorted { boxes[$0].x1 < boxes[$1].x1 }
            var gaps: [(Double, Double)] = []
            var right = boxes[sorted[0]].x2
            for line in sorted.dropFirst() {
                let b = boxes[line]
                if b.x1 - right >= minGap {
                    gaps.append((right, b.x1))
                }
                right = max(right, b.x2)
            }
            return gaps
        }
    }
}

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

/// Running headers and footers: lines near the top or bottom edge whose text (digits ignored) repeats on most pages.
enum RunningLines {
    static func key(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var lastHash = false
        for s in text.unicodeScalars {
            let v = s.value
            if v >= 0x30 && v <= 0x39 {
                if !lastHash { out.append("#") }
                lastHash = true
                continue
            }
            lastHash = false
            if v == 0x20 || v == 0x09 || v == 0xA0 { continue }
            if v >= 0x41 && v <= 0x5A {
                out.append(Unicode.Scalar(v + 0x20)!)
            } else if v < 0x80 {
                out.append(s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    static func isPageNumber(key k: String) -> Bool {
        if k == "#" { return true }
        if k.utf8.count > 16 { return false }
        let stripped = k.filter { !"-–—#/|.,()[]".contains($0) }
        if stripped.isEmpty && k.contains("#") { return true }
        for word in ["page#", "página#", "pag.#", "pág.#", "p.#", "seite#", "page#of#", "página#de#", "#de#", "#of#"] where k == word {
            return true
        }
        return false
    }

    /// Removes running lines in place; returns how many were removed.
    /// Row rank of each line counted from the top (or the bottom) of the page: lines overlapping vertically share a row.
    static func rowRanks(_ lines: [PDFLine], fromBottom: Bool) -> [Int] {
        var ranks = Array(repeating: Int.max, count: lines.count)
        let order = lines.indices.sorted {
            fromBottom ? lines[$0].box.y2 > lines[$1].box.y2 : lines[$0].box.y1 < lines[$1].box.y1
        }
        var row = -1
        var edge = 0.0
        for i in order {
            let b = lines[i].box
            let starts = row < 0 || (fromBottom ? b.y2 < edge + 0.3 * b.height : b.y1 > edge - 0.3 * b.height)
            if starts {
                row += 1
                if row > 3 { break }
                edge = fromBottom ? b.y1 : b.y2
            } else {
                edge = fromBottom ? min(edge, b.y1) : max(edge, b.y2)
            }
            ranks[i] = row
        }
        return ranks
    }

    /// Removes running lines in place; returns how many were removed.
    static func remove(from pages: inout [[PDFLine]], pageSizes: [(Double, Double)], geometry: [Bool]? = nil) -> Int {
        let n = pages.count
        // (line index, key, edge row: 0 is the first or last row of the page)
        var zoneIndexes: [[(index: Int, key: String, top: Int, bottom: Int)]] = Array(repeating: [], count: n)
        var counts: [String: Int] = [:]
        for (p, lines) in pages.enumerated() where !lines.isEmpty && (geometry?[p] ?? true) {
            let height = pageSizes[p].1 > 0 ? pageSizes[p].1 : (lines.map(\.box.y2).max() ?? 1)
            let topRanks = rowRanks(lines, fromBottom: false)
            let bottomRanks = rowRanks(lines, fromBottom: true)
            // Is the outermost row set apart from the next one (a header or footer), or part of the body (a table)?
            func separated(_ ranks: [Int], fromBottom: Bool) -> Bool {
                var outerEdge = fromBottom ? Double.infinity : -Double.infinity
                var nextEdge = fromBottom ? -Double.infinity : Double.infinity
                var outerHeight = 0.0
                for (i, r) in ranks.enumerated() {
                    let b = lines[i].box
                    if r == 0 {
                        outerEdge = fromBottom ? min(outerEdge, b.y1) : max(outerEdge, b.y2)
                        outerHeight = max(outerHeight, b.height)
                    } else if r == 1 {
                        nextEdge = fromBottom ? max(nextEdge, b.y2) : min(nextEdge, b.y1)
                    }
                }
                let gap = fromBottom ? outerEdge - nextEdge : nextEdge - outerEdge
                return gap >= 0.8 * max(outerHeight, 4)
            }
            let topSeparated = separated(topRanks, fromBottom: false)
            let bottomSeparated = separated(bottomRanks, fromBottom: true)
            var seen = Set<String>()
            for (i, line) in lines.enumerated() {
                let nearTop = topRanks[i] <= 2 && line.box.y2 < 0.2 * height
                let nearBottom = bottomRanks[i] <= 2 && line.box.y1 > 0.8 * height
                guard nearTop || nearBottom else { continue }
                // On the outermost row numbers are ignored (page numbers, dates); further in, only exact repeats count.
                let row = min(topRanks[i], bottomRanks[i])
                let k = row == 0 ? key(line.text) : "=" + line.text.lowercased()
                // Bare numbers count as page numbers only on an outermost row set apart from the body, in the outer
                // tenth of the page.
                let outerTop = topRanks[i] == 0 && topSeparated && line.box.y2 < 0.1 * height
                let outerBottom = bottomRanks[i] == 0 && bottomSeparated && line.box.y1 > 0.9 * height
                if k == "#" && !(outerTop || outerBottom) { continue }
                zoneIndexes[p].append((i, k, topRanks[i], bottomRanks[i]))
                if seen.insert(k).inserted { counts[k, default: 0] += 1 }
            }
        }
        let pagesWithText = pages.filter { !$0.isEmpty }.count
        let threshold = pagesWithText >= 3 ? max(2, Int((Double(pagesWithText) * 0.4).rounded(.up))) : pagesWithText
        var removed = 0
        for p in 0..<n where !zoneIndexes[p].isEmpty {
            var drop = Set<Int>()
            var headerRow = false
            var footerRow = false
            for line in zoneIndexes[p] {
                let row = min(line.top, line.bottom)
                if (pagesWithText >= 2 && (counts[line.key] ?? 0) >= threshold) || (row == 0 && isPageNumber(key: line.key)) {
                    drop.insert(line.index)
                }
                // A bare page number on the outermost row makes the whole row a running header or footer
                // ("458   Diário da República, 1.ª série — N.º 15"), even on a single page.
                if line.key == "#" && line.top == 0 { headerRow = true }
                if line.key == "#" && line.bottom == 0 { footerRow = true }
            }
            for line in zoneIndexes[p] where (headerRow && line.top == 0) || (footerRow && line.bottom == 0) {
                drop.insert(line.index)
            }
            if !drop.isEmpty {
                removed += drop.count
                pages[p] = pages[p].enumerated().filter { !drop.contains($0.offset) }.map(\.element)
            }
        }
        return removed
    }
}

/// Detects text that decodes to garbage (a font whose glyphs map to the wrong characters).
enum Plausibility {
    /// Returns a reason when most words look like encoding garbage (`3HQČåQtSURV…`). Looks at up to 20,000 letters.
    static func garbageReason<S: Sequence>(_ texts: S) -> String? where S.Element == String {
        var letters = 0
        var badLetters = 0
        var word = WordShape()
        func endWord() {
            letters += word.letters
            if word.isBad { badLetters += word.letters }
            word = WordShape()
        }
        outer: for text in texts {
            for scalar in text.unicodeScalars {
                let v = scalar.value
                if v < 0x80 {
                    if v >= 0x61 && v <= 0x7A {
                        word.add(letter: true, upper: false, lower: true)
                    } else if v >= 0x41 && v <= 0x5A {
                        word.add(letter: true, upper: true, lower: false)
                    } else if v >= 0x30 && v <= 0x39 {
                        word.addDigit()
                    } else {
                        endWord()
                    }
                } else {
                    let p = scalar.properties
                    if p.isAlphabetic {
                        word.add(letter: true, upper: p.isUppercase, lower: p.isLowercase)
                    } else if p.numericType != nil {
                        word.addDigit()
                    } else {
                        endWord()
                    }
                }
                if letters > 20_000 { break outer }
            }
            endWord()
        }
        endWord()
        guard letters >= 10 else { return nil }
        if Double(badLetters) / Double(letters) > 0.3 {
            return "The PDF's text layer uses a broken font encoding (it decodes to garbage such as scrambled letters): it needs OCR to be read."
        }
        return nil
    }

    /// Case and digit pattern of one word.
    struct WordShape {
        var letters = 0
        var upper = 0
        var lower = 0
        var digits = 0
        var caseChanges = 0
        var lastWasUpper: Bool? = nil
        var digitAfterLetter = false
        var letterAfterDigit = false

        mutating func addDigit() {
            digits += 1
            if letters > 0 { digitAfterLetter = true }
        }

        mutating func add(letter: Bool, upper isUpper: Bool, lower isLower: Bool) {
            letters += 1
            if digits > 0 { letterAfterDigit = true }
            if isUpper {
                upper += 1
                if lastWasUpper == false { caseChanges += 1 }
                lastWasUpper = true
            } else if isLower {
                lower += 1
                if lastWasUpper == true && upper > 1 { caseChanges += 1 }
                lastWasUpper = false
            }
        }

        var isBad: Bool {
            guard letters > 0 else { return false }
            // Mixed case beyond "Word", "WORD", "word", "McDonald"/"iPhone" (at most one change back to upper).
            if upper > 0 && lower > 0 && caseChanges >= 2 { return true }
            // Digits wedged between letters on both sides ("3HQ4x").
            if digitAfterLetter && letterAfterDigit && letters > 2 { return true }
            // A digit followed by mixed-case letters ("3HQČå").
            if letterAfterDigit && upper > 0 && lower > 0 { return true }
            return false
        }
    }
}
