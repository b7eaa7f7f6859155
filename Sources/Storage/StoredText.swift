extension String {
    /// This text with every NUL character (U+0000) replaced by U+FFFD, the replacement character.
    ///
    /// SQLite keeps a NUL inside text, but GRDB reads text up to the first one: an agent named "\u{0}Loja" would be
    /// stored whole and read back as "". Text from outside (API bodies, forms, multipart fields and file names) goes
    /// through this before it is stored, so what is read back is what was accepted, with the NUL made visible.
    public var replacingNULCharacters: String {
        guard utf8.contains(0) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }))
    }
}
