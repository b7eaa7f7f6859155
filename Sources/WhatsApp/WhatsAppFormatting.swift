import Foundation
import Synchronization

/// Converts the Markdown an LLM writes into WhatsApp's own formatting (PROTOCOL.md §5.2): `*bold*`, `_italic_`,
/// `~strike~`, `` `code` `` and ```` ```blocks``` ````; WhatsApp renders neither headings nor links.
///
/// | Markdown | WhatsApp |
/// |---|---|
/// | `**x**`, `__x__` | `*x*` |
/// | `*x*`, `_x_` | `_x_` |
/// | `***x***` | `*_x_*` |
/// | `~~x~~` | `~x~` |
/// | `# Title` (any level), `Title` underlined with `===`/`---` | `*Title*` |
/// | `[text](url)`, `![alt](url)` | `text (url)`, or `url` alone when the text is the URL |
/// | `<https://…>` | `https://…` |
/// | `` `code` ``, fenced blocks | kept (the fence's language tag is dropped); nothing inside is touched |
/// | `- item`, `* item`, `+ item` | `- item` |
/// | `1. item`, `> quote` | kept |
/// | `---`, `***` rules | dropped |
/// | table rows `\| a \| b \|` | `a \| b` (the `\|---\|` separator row is dropped) |
/// | `\*` and other backslash escapes | the character itself |
public enum WhatsAppFormatter {
    /// An LLM answer ready to send: `markdown` converted with ``format(markdown:)``, then split with
    /// ``MessageSplitter/split(_:limit:)`` into parts of at most `limit` UTF-16 code units. A code block cut by a split is
    /// closed at the end of its part and reopened at the start of the next, so each message renders on its own.
    public static func messages(fromMarkdown markdown: String, limit: Int = OutgoingMessage.maximumTextLength) -> [String] {
        let text = format(markdown: markdown)
        guard text.contains("```") else { return MessageSplitter.split(text, limit: limit) }
        // Room for the "```\n" / "\n```" added around a cut code block.
        let parts = MessageSplitter.split(text, limit: max(1, limit - 8))
        var result: [String] = []
        var insideCode = false
        for part in parts {
            var message = insideCode ? "```\n" + part : part
            let fences = message.components(separatedBy: "```").count - 1
            insideCode = fences % 2 == 1
            if insideCode { message += "\n```" }
            result.append(message)
        }
        return result
    }

    /// `markdown` in WhatsApp formatting.
    public static func format(markdown: String) -> String {
        withPatterns { patterns in format(markdown: markdown, patterns: patterns) }
    }

    private static func format(markdown: String, patterns: Patterns) -> String {
        var output: [String] = []
        var fence: String?
        var previousWasParagraph = false
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for lineSubstring in lines {
            let line = String(lineSubstring)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open) && trimmed.allSatisfy({ $0 == open.first }) {
                    output.append("```")
                    fence = nil
                } else {
                    output.append(line)
                }
                previousWasParagraph = false
                continue
            }
            if let marker = fenceMarker(trimmed) {
                fence = marker
                output.append("```")
                previousWasParagraph = false
                continue
            }
            if previousWasParagraph, !trimmed.isEmpty, trimmed.allSatisfy({ $0 == "=" }) || (trimmed.count >= 2 && trimmed.allSatisfy({ $0 == "-" }))
            {
                // Setext heading: the previous line was its text.
                let title = output.removeLast()
                output.append(heading(title, patterns: patterns))
                previousWasParagraph = false
                continue
            }
            if patterns.matches(patterns.rule, trimmed) {
                previousWasParagraph = false
                continue
            }
            if patterns.matches(patterns.tableSeparator, trimmed) {
                previousWasParagraph = false
                continue
            }
            if trimmed.count >= 2, trimmed.hasPrefix("|"), trimmed.hasSuffix("|") {
                // A table row: WhatsApp has no tables, so the cells become one line separated by " | ".
                let cells = trimmed.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                output.append(cells.map { inline($0.trimmingCharacters(in: .whitespaces), patterns: patterns) }.joined(separator: " | "))
                previousWasParagraph = false
                continue
            }
            if let match = patterns.firstMatch(patterns.heading, line) {
                output.append(bold(inline(match[0], patterns: patterns, stripEmphasis: true)))
                previousWasParagraph = false
                continue
            }
            if let match = patterns.firstMatch(patterns.bullet, line) {
                output.append(match[0] + "- " + inline(match[1], patterns: patterns))
                previousWasParagraph = false
                continue
            }
            if let match = patterns.firstMatch(patterns.quote, line) {
                output.append("> " + inline(match[0], patterns: patterns))
                previousWasParagraph = false
                continue
            }
            let converted = inline(line, patterns: patterns)
            output.append(converted)
            previousWasParagraph = !trimmed.isEmpty && patterns.firstMatch(patterns.numbered, line) == nil
        }
        if fence != nil { output.append("```") }
        return output.joined(separator: "\n")
    }

    /// The fence (```` ``` ```` or `~~~`, three or more) that opens a code block on this line, if it does.
    private static func fenceMarker(_ trimmed: String) -> String? {
        for mark: Character in ["`", "~"] {
            let run = trimmed.prefix { $0 == mark }
            if run.count >= 3, mark == "~" || !trimmed.dropFirst(run.count).contains("`") { return String(run) }
        }
        return nil
    }

    private static func heading(_ converted: String, patterns: Patterns) -> String {
        // Already-converted text: drop emphasis markers so the title is one bold run.
        let plain = converted.filter { $0 != "*" && $0 != "_" }.trimmingCharacters(in: .whitespaces)
        return plain.isEmpty ? "" : "*\(plain)*"
    }

    private static func bold(_ text: String) -> String {
        let plain = text.trimmingCharacters(in: .whitespaces)
        return plain.isEmpty ? "" : "*\(plain)*"
    }

    // Private-use placeholders, so converted markers are not converted again.
    private static let boldMark = "\u{E000}"
    private static let italicMark = "\u{E001}"
    private static let escapeBase: UInt32 = 0xE100

    /// Converts one line's inline Markdown, leaving code spans untouched.
    private static func inline(_ line: String, patterns: Patterns, stripEmphasis: Bool = false) -> String {
        var result = ""
        var rest = Substring(line)
        while let open = rest.firstIndex(of: "`") {
            let run = rest[open...].prefix { $0 == "`" }
            let afterOpen = rest.index(open, offsetBy: run.count)
            if let close = rest[afterOpen...].range(of: String(run)) {
                result += convertText(String(rest[..<open]), patterns: patterns, stripEmphasis: stripEmphasis)
                result += rest[open..<close.upperBound]
                rest = rest[close.upperBound...]
            } else {
                break
            }
        }
        result += convertText(String(rest), patterns: patterns, stripEmphasis: stripEmphasis)
        return result
    }

    private static func convertText(_ input: String, patterns: Patterns, stripEmphasis: Bool) -> String {
        guard !input.isEmpty else { return input }
        var text = input
        // Backslash escapes become placeholders, restored at the end.
        text = patterns.replace(patterns.escape, in: text) { groups in
            String(UnicodeScalar(escapeBase + (groups[0].unicodeScalars.first?.value ?? 0)) ?? " ")
        }
        text = patterns.replace(patterns.image, in: text) { link(text: $0[0], url: $0[1]) }
        text = patterns.replace(patterns.link, in: text) { link(text: $0[0], url: $0[1]) }
        text = patterns.replace(patterns.autolink, in: text) { $0[0] }
        let strong = stripEmphasis ? "" : boldMark
        let emphasis = stripEmphasis ? "" : italicMark
        text = patterns.replace(patterns.boldItalicStars, in: text) { strong + emphasis + $0[0] + emphasis + strong }
        text = patterns.replace(patterns.boldItalicUnderscores, in: text) { strong + emphasis + $0[0] + emphasis + strong }
        text = patterns.replace(patterns.boldStars, in: text) { strong + $0[0] + strong }
        text = patterns.replace(patterns.boldUnderscores, in: text) { strong + $0[0] + strong }
        text = patterns.replace(patterns.italicStars, in: text) { emphasis + $0[0] + emphasis }
        text = patterns.replace(patterns.italicUnderscores, in: text) { emphasis + $0[0] + emphasis }
        text = patterns.replace(patterns.strike, in: text) { (stripEmphasis ? "" : "~") + $0[0] + (stripEmphasis ? "" : "~") }
        text = text.replacingOccurrences(of: boldMark, with: "*").replacingOccurrences(of: italicMark, with: "_")
        var restored = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value >= escapeBase, scalar.value < escapeBase + 128, let original = UnicodeScalar(scalar.value - escapeBase) {
                restored.append(original)
            } else {
                restored.append(scalar)
            }
        }
        return String(restored)
    }

    private static func link(text: String, url: String) -> String {
        let label = text.trimmingCharacters(in: .whitespaces)
        if "mailto:" + label == url { return label }
        if label.isEmpty || label == url || url.hasSuffix("//" + label) || url.hasSuffix("//" + label + "/") {
            return url
        }
        return "\(label) (\(url))"
    }

    /// Compiled pattern sets kept between calls: compiling them took 7 % of the daemon's processor time under
    /// `make bench-webhook` (ICU builds a Unicode set for every `\p{L}`). An `NSRegularExpression` is not `Sendable`,
    /// so each set is lent to one call at a time.
    private static let patternPool = Mutex<[Patterns]>([])

    private static func withPatterns<Result>(_ body: (Patterns) -> Result) -> Result {
        let patterns = patternPool.withLock { $0.popLast() } ?? Patterns()
        defer { patternPool.withLock { pool in if pool.count < 8 { pool.append(patterns) } } }
        return body(patterns)
    }

    /// The regular expressions of one formatting call. `@unchecked Sendable`: a set is only ever used by the call that
    /// took it from ``patternPool`` (never by two at once).
    private struct Patterns: @unchecked Sendable {
        let tableSeparator = regex(#"^\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?\|?$"#)
        let rule = regex(#"^ {0,3}([-*_])( *\1){2,} *$"#)
        let heading = regex(#"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$"#)
        let bullet = regex(#"^([ \t]*)[-*+][ \t]+(.*)$"#)
        let numbered = regex(#"^[ \t]*\d+[.)][ \t]+"#)
        let quote = regex(#"^ {0,3}>[ \t]?(.*)$"#)
        let escape = regex(#"\\([\\`*_{}\[\]()#+\-.!~>|])"#)
        let image = regex(#"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#)
        let link = regex(#"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#)
        let autolink = regex(#"<((?:https?|mailto):[^>\s]+)>"#)
        let boldItalicStars = regex(#"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"#)
        let boldItalicUnderscores = regex(#"(?<![\p{L}\p{N}_])___(?=\S)(.+?)(?<=\S)___(?![\p{L}\p{N}_])"#)
        let boldStars = regex(#"\*\*(?=\S)(.+?)(?<=\S)\*\*"#)
        let boldUnderscores = regex(#"(?<![\p{L}\p{N}_])__(?=\S)(.+?)(?<=\S)__(?![\p{L}\p{N}_])"#)
        let italicStars = regex(#"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)"#)
        let italicUnderscores = regex(#"(?<![\p{L}\p{N}_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\p{L}\p{N}_])"#)
        let strike = regex(#"~~(?=\S)(.+?)(?<=\S)~~"#)

        private static func regex(_ pattern: String) -> NSRegularExpression {
            do {
                return try NSRegularExpression(pattern: pattern)
            } catch {
                // The patterns are constants: a failure is a programming error, caught by the tests.
                preconditionFailure("invalid pattern \(pattern): \(error)")
            }
        }

        func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }

        /// The capture groups of the first match (missing groups as "").
        func firstMatch(_ regex: NSRegularExpression, _ text: String) -> [String]? {
            guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            return (1..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }

        /// Replaces every match with `transform(capture groups)`.
        func replace(_ regex: NSRegularExpression, in text: String, _ transform: ([String]) -> String) -> String {
            let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
            guard !matches.isEmpty else { return text }
            var result = ""
            var cursor = text.startIndex
            for match in matches {
                guard let range = Range(match.range, in: text) else { continue }
                result += text[cursor..<range.lowerBound]
                let groups = (1..<match.numberOfRanges).map { index in
                    Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
                }
                result += transform(groups)
                cursor = range.upperBound
            }
            result += text[cursor...]
            return result
        }
    }
}
