import Foundation

/// The Adobe Symbol font encoding (Word's `w:sym w:font="Symbol"`), Greek letters and common math signs.
enum SymbolFont {
    private static let greekUpper = Array("ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ".unicodeScalars)
    private static let greekLower = Array("αβχδεφγηιϕκλμνοπθρστυϖωξψζ".unicodeScalars)
    private static let others: [UInt32: Unicode.Scalar] = [
        0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x40: "≅", 0x5C: "∴", 0x5E: "⊥", 0x7E: "∼",
        0xA2: "′", 0xA3: "≤", 0xA5: "∞", 0xA7: "♣", 0xA8: "♦", 0xA9: "♥", 0xAA: "♠", 0xAB: "↔", 0xAC: "←", 0xAD: "↑",
        0xAE: "→", 0xAF: "↓", 0xB0: "°", 0xB1: "±", 0xB2: "″", 0xB3: "≥", 0xB4: "×", 0xB5: "∝", 0xB6: "∂", 0xB7: "•",
        0xB8: "÷", 0xB9: "≠", 0xBA: "≡", 0xBB: "≈", 0xBC: "…", 0xC4: "⊗", 0xC5: "⊕", 0xC6: "∅", 0xC7: "∩", 0xC8: "∪",
        0xC9: "⊃", 0xCA: "⊇", 0xCB: "⊄", 0xCC: "⊂", 0xCD: "⊆", 0xCE: "∈", 0xCF: "∉", 0xD0: "∠", 0xD1: "∇", 0xD5: "∏",
        0xD6: "√", 0xD7: "⋅", 0xD8: "¬", 0xD9: "∧", 0xDA: "∨", 0xDB: "⇔", 0xDC: "⇐", 0xDD: "⇑", 0xDE: "⇒", 0xDF: "⇓",
        0xE0: "◊", 0xE5: "∑", 0xF2: "∫",
    ]

    static func map(_ code: UInt32) -> Unicode.Scalar? {
        if let s = others[code] { return s }
        if code >= 0x41 && code <= 0x5A { return greekUpper[Int(code - 0x41)] }
        if code >= 0x61 && code <= 0x7A { return greekLower[Int(code - 0x61)] }
        if code >= 0x20 && code < 0x7F { return Unicode.Scalar(code) }
        return nil
    }
}
