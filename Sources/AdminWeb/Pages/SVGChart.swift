import Foundation

/// Bar charts drawn on the server as inline SVG (no script, readable without JavaScript; CSS colours the series).
enum SVGChart {
    /// One series of a stacked bar chart.
    struct Series {
        /// CSS class of its bars (`bar-in`, `bar-answered`, …).
        var className: String
        /// Its name (escaped).
        var label: String
        /// One value per day.
        var values: [Int]
    }

    /// Stacked bars, one per day, with a y axis, grid lines and every fifth day labelled.
    static func stackedBars(labels: [String], series: [Series], title: String, width: Int = 460, height: Int = 230) -> String {
        // Drawn at about the size a dashboard card shows it, so 12-unit text stays about 12 px on screen.
        let left = 34.0
        let right = 6.0
        let top = 10.0
        let bottom = 26.0
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let count = max(1, labels.count)
        let totals = (0..<labels.count).map { index in series.reduce(0) { $0 + ($1.values.indices.contains(index) ? $1.values[index] : 0) } }
        let maximum = niceCeiling(totals.max() ?? 0)
        let slot = plotWidth / Double(count)
        let barWidth = max(2, slot * 0.68)
        var svg = """
            <svg class="chart" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(escape(title))" xmlns="http://www.w3.org/2000/svg">
            <title>\(escape(title))</title>
            """
        for step in 0...4 {
            let value = maximum * step / 4
            let y = top + plotHeight - plotHeight * Double(step) / 4
            svg += "<line class=\"grid\" x1=\"\(format(left))\" y1=\"\(format(y))\" x2=\"\(format(Double(width) - right))\" y2=\"\(format(y))\"/>"
            svg += "<text x=\"\(format(left - 6))\" y=\"\(format(y + 4))\" text-anchor=\"end\">\(value)</text>"
        }
        for (index, label) in labels.enumerated() {
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            var base = top + plotHeight
            for item in series {
                let value = item.values.indices.contains(index) ? item.values[index] : 0
                guard value > 0, maximum > 0 else { continue }
                let barHeight = plotHeight * Double(value) / Double(maximum)
                base -= barHeight
                svg +=
                    "<rect class=\"\(item.className)\" x=\"\(format(x))\" y=\"\(format(base))\" width=\"\(format(barWidth))\" height=\"\(format(barHeight))\">"
                svg += "<title>\(escape(label)): \(escape(item.label)) \(value)</title></rect>"
            }
            if index % 5 == 0 || index == labels.count - 1 {
                svg += "<text x=\"\(format(x + barWidth / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\">\(escape(shortDate(label)))</text>"
            }
        }
        svg += "</svg>"
        return svg
    }

    /// A round number at or above `value` (1, 2, 5 × 10ⁿ), at least 4 so the grid has whole steps.
    static func niceCeiling(_ value: Int) -> Int {
        guard value > 4 else { return 4 }
        var magnitude = 1
        while magnitude * 10 <= value { magnitude *= 10 }
        for factor in [1, 2, 4, 5, 10] where factor * magnitude >= value {
            let candidate = factor * magnitude
            return candidate % 4 == 0 ? candidate : ((candidate + 3) / 4) * 4
        }
        return value
    }

    /// `2025-03-07` → `07/03`.
    static func shortDate(_ isoDate: String) -> String {
        let parts = isoDate.split(separator: "-")
        guard parts.count == 3 else { return isoDate }
        return "\(parts[2])/\(parts[1])"
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Escapes text for SVG/HTML.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
