import Foundation

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
