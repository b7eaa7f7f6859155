import Foundation

/// A small TOML reader for the daemon's configuration file: `[section]` headers, `key = value` lines with basic and
/// literal strings, integers, floats, booleans and one-line arrays of those, and `#` comments. Multi-line strings,
/// inline tables and dates are not used by Balcão's configuration and are rejected with the line number.
struct TOMLTable {
    /// Values by section, then key. Keys before any header belong to the section "".
    private(set) var sections: [String: [String: TOMLValue]] = [:]

    /// A parse error with its line number.
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    init(parsing text: String) throws {
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var scanner = Scanner(Substring(rawLine), line: lineNumber)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == "[" {
                scanner.advance()
                let name = scanner.take { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                guard scanner.peek == "]", !name.isEmpty else { throw ParseError(line: lineNumber, message: "bad section header") }
                scanner.advance()
                scanner.skipSpaces()
                guard scanner.atEndOrComment else { throw ParseError(line: lineNumber, message: "text after section header") }
                section = name
                continue
            }
            let key = scanner.take { $0 != "=" && $0 != " " && $0 != "\t" }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw ParseError(line: lineNumber, message: "expected key = value")
            }
            scanner.skipSpaces()
            guard scanner.peek == "=" else { throw ParseError(line: lineNumber, message: "expected '=' after \(key)") }
            scanner.advance()
            scanner.skipSpaces()
            let value = try scanner.value()
            scanner.skipSpaces()
            guard scanner.atEndOrComment else { throw ParseError(line: lineNumber, message: "unexpected text after the value of \(key)") }
            if sections[section]?[key] != nil { throw ParseError(line: lineNumber, message: "duplicate key \(key)") }
            sections[section, default: [:]][key] = value
        }
    }

    private struct Scanner {
        var text: Substring
        let line: Int

        init(_ text: Substring, line: Int) {
            self.text = text.hasSuffix("\r") ? text.dropLast() : text
            self.line = line
        }

        var peek: Character? { text.first }
        var atEndOrComment: Bool { text.isEmpty || text.first == "#" }
        mutating func advance() { text = text.dropFirst() }
        mutating func skipSpaces() { text = text.drop { $0 == " " || $0 == "\t" } }
        mutating func take(while predicate: (Character) -> Bool) -> String {
            let taken = text.prefix(while: predicate)
            text = text.dropFirst(taken.count)
            return String(taken)
        }

        mutating func value() throws -> TOMLValue {
            switch peek {
            case "\"": return .string(try basicString())
            case "'":
                advance()
                let literal = take { $0 != "'" }
                guard peek == "'" else { throw ParseError(line: line, message: "unterminated string") }
                advance()
                return .string(literal)
            case "[":
                advance()
                var items: [TOMLValue] = []
                while true {
                    skipSpaces()
                    if peek == "]" { advance(); return .array(items) }
                    items.append(try value())
                    skipSpaces()
                    if peek == "," { advance(); continue }
                    guard peek == "]" else { throw ParseError(line: line, message: "expected ',' or ']' in array") }
                }
            default:
                let bare = take { !($0 == "," || $0 == "]" || $0 == "#" || $0 == " " || $0 == "\t") }
                if bare == "true" { return .bool(true) }
                if bare == "false" { return .bool(false) }
                let digits = bare.replacingOccurrences(of: "_", with: "")
                if let integer = Int(digits) { return .integer(integer) }
                if let double = Double(digits) { return .double(double) }
                throw ParseError(line: line, message: bare.isEmpty ? "missing value" : "cannot read value \(bare)")
            }
        }

        mutating func basicString() throws -> String {
            advance()
            var result = ""
            while let character = peek {
                advance()
                switch character {
                case "\"": return result
                case "\\":
                    guard let escaped = peek else { break }
                    advance()
                    switch escaped {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    case "\\": result.append("\\")
                    case "\"": result.append("\"")
                    case "u", "U":
                        let hex = take(while: { $0.isHexDigit }).prefix(escaped == "u" ? 4 : 8)
                        guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                            throw ParseError(line: line, message: "bad unicode escape")
                        }
                        result.unicodeScalars.append(scalar)
                    default: throw ParseError(line: line, message: "unknown escape \\\(escaped)")
                    }
                default: result.append(character)
                }
            }
            throw ParseError(line: line, message: "unterminated string")
        }
    }
}

/// A TOML value.
enum TOMLValue: Equatable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([TOMLValue])

    /// The value as configuration text (arrays joined by commas), which environment overrides share.
    var text: String {
        switch self {
        case .string(let value): return value
        case .integer(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return String(value)
        case .array(let values): return values.map(\.text).joined(separator: ",")
        }
    }
}
