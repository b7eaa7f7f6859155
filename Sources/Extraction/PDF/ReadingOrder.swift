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
