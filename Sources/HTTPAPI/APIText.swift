import Foundation

extension String {
    /// The text without the white space at its ends that the OpenAPI document's patterns call white space (`\s` of
    /// ECMAScript regular expressions, which JSON Schema uses).
    ///
    /// Foundation's `.whitespacesAndNewlines` also holds U+0085 (NEXT LINE) and U+180E, which `\s` does not: a name
    /// of one U+0085 matched the document's `\S` and was refused as blank (found by make test's fuzzer).
    var trimmingAPIWhitespace: String {
        trimmingCharacters(in: Self.apiWhitespace)
    }

    /// `\s` of ECMAScript: its WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP, the Zs category) and LineTerminator (LF, CR,
    /// LS, PS).
    private static let apiWhitespace: CharacterSet = {
        var set = CharacterSet(charactersIn: "\u{09}\u{0B}\u{0C}\u{20}\u{A0}\u{FEFF}\u{0A}\u{0D}\u{2028}\u{2029}")
        set.formUnion(CharacterSet(charactersIn: "\u{1680}\u{202F}\u{205F}\u{3000}"))
        set.insert(charactersIn: "\u{2000}"..."\u{200A}")
        return set
    }()
}
