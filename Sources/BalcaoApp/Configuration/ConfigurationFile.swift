import Foundation
import TOMLKit

/// The settings of one configuration file, parsed by TOMLKit (toml++, TOML 1.0) and checked against the keys the daemon
/// knows: every top-level entry must be a known `[section]`, every key in it a known key (or a known key with the
/// `_file` suffix), and every value a string, integer, float or boolean. Each problem names the file, and a syntax
/// error also its line and column.
struct ConfigurationFile {
    /// Each setting as text by `section.key` (`server.port` → `"8080"`): the form environment overrides share, which
    /// `BalcaoConfiguration` then reads by key (numbers, booleans, secrets).
    private(set) var values: [String: String] = [:]

    /// Parses `text`, the content of the file at `path` (named in every error).
    init(parsing text: String, path: String, knownKeys: [String: Set<String>]) throws {
        // TOMLKit hands the text to toml++ as a C string, which would end at a NUL character: the rest of the file
        // would be ignored without a word.
        if let nul = text.firstIndex(of: "\0") {
            let line = text[..<nul].count(where: { $0 == "\n" }) + 1
            throw ConfigurationError(description: "\(path): line \(line): the file contains a NUL character")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw ConfigurationError(description: "\(path): line \(position.line), column \(position.column): \(error.description)")
        }
        let sectionList = knownKeys.keys.sorted().map { "[\($0)]" }.joined(separator: " ")
        for section in root.keys.sorted() {
            guard let entries = root[section]?.table else {
                if knownKeys[section] != nil {
                    throw ConfigurationError(description: "\(path): [\(section)] must be one section, not \(Self.kind(of: root[section]))")
                }
                throw ConfigurationError(description: "\(path): \"\(section)\" is outside any section; keys belong under one of \(sectionList)")
            }
            guard let known = knownKeys[section] else {
                throw ConfigurationError(description: "\(path): unknown section [\(section)]")
            }
            for key in entries.keys.sorted() {
                let base = key.hasSuffix("_file") ? String(key.dropLast(5)) : key
                guard known.contains(base) else {
                    throw ConfigurationError(description: "\(path): unknown key \"\(key)\" in [\(section)]")
                }
                guard let value = entries[key], let text = Self.text(of: value) else {
                    throw ConfigurationError(
                        description: "\(path): \(section).\(key) must be a string, a number or a boolean, not \(Self.kind(of: entries[key]))"
                    )
                }
                values["\(section).\(key)"] = text
            }
        }
    }

    /// A scalar as configuration text, as the hand-written reader this replaced gave it (`String(Int)`, `String(Double)`,
    /// `true`/`false`); nil for tables, arrays, dates and times, which no key takes.
    static func text(of value: any TOMLValueConvertible) -> String? {
        switch value.type {
        case .string: return value.string
        case .int: return value.int.map { String($0) }
        case .double: return value.double.map { String($0) }
        case .bool: return value.bool.map { String($0) }
        case .table, .array, .date, .time, .dateTime: return nil
        }
    }

    /// The kind of a value, with its article, for error messages.
    private static func kind(of value: (any TOMLValueConvertible)?) -> String {
        switch value?.type {
        case .table: return "a table"
        case .array: return "an array"
        case .date: return "a date"
        case .time: return "a time"
        case .dateTime: return "a date-time"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a float"
        case .bool: return "a boolean"
        case nil: return "nothing"
        }
    }
}
