public import Foundation

/// A language the admin page speaks.
public enum AdminLanguage: String, Sendable, Hashable, CaseIterable {
    /// Brazilian Portuguese, the default.
    case portuguese = "pt-BR"
    /// English.
    case english = "en"

    /// The language a `lang` cookie or parameter names, `nil` for anything else.
    public init?(code: String) {
        switch code.lowercased() {
        case "pt-br", "pt", "pt_br": self = .portuguese
        case "en", "en-us", "en-gb": self = .english
        default: return nil
        }
    }
}

/// The one localization table of the admin page: every visible text, in pt-BR and English.
///
/// Loaded from `<web root>/strings/*.json`, each file an object `{"key": {"pt-BR": "…", "en": "…"}}` (one file per
/// area, so that pages can be added without touching each other's files; a key defined twice is an error).
/// Templates read it as `{{t.key}}`; Swift code calls ``text(_:_:_:)``.
public struct Localizer: Sendable {
    private let tables: [AdminLanguage: [String: String]]

    /// Loads every `*.json` file of `directory`.
    public init(directory: URL) throws {
        var tables: [AdminLanguage: [String: String]] = [:]
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        for file in files {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
            guard let entries = object as? [String: [String: String]] else {
                throw LocalizationError(description: "\(file.lastPathComponent): expected {\"key\": {\"pt-BR\": …, \"en\": …}}")
            }
            for (key, texts) in entries {
                for language in AdminLanguage.allCases {
                    guard let text = texts[language.rawValue] else {
                        throw LocalizationError(description: "\(file.lastPathComponent): \"\(key)\" has no \(language.rawValue) text")
                    }
                    if tables[language]?[key] != nil {
                        throw LocalizationError(description: "\(file.lastPathComponent): \"\(key)\" is defined twice")
                    }
                    tables[language, default: [:]][key] = text
                }
            }
        }
        self.tables = tables
    }

    /// Every text of a language, keyed (what templates see as `t`).
    public func table(_ language: AdminLanguage) -> [String: String] {
        tables[language] ?? [:]
    }

    /// The text of `key` in `language` with `{name}` placeholders filled in; the key itself when it is missing.
    public func text(_ key: String, _ language: AdminLanguage, _ values: [String: String] = [:]) -> String {
        var text = tables[language]?[key] ?? key
        for (name, value) in values {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// Whether `key` exists.
    public func contains(_ key: String) -> Bool {
        tables[.portuguese]?[key] != nil
    }
}

/// A malformed strings file.
public struct LocalizationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var description: String
}
