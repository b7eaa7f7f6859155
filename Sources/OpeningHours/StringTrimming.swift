extension StringProtocol {
    /// The text without leading and trailing whitespace.
    var trimmedSpaces: String {
        let characters = drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        return String(characters)
    }
}
