import Foundation

/// Detects text that decodes to garbage (a font whose glyphs map to the wrong characters).
enum Plausibility {
    /// Returns a reason when most words look like encoding garbage (`3HQČåQtSURV…`). Looks at up to 20,000 letters.
    static func garbageReason<S: Sequence>(_ texts: S) -> String? where S.Element == String {
        var letters = 0
        var badLetters = 0
        var word = WordShape()
        func endWord() {
            letters += word.letters
            if word.isBad { badLetters += word.letters }
            word = WordShape()
        }
        outer: for text in texts {
            for scalar in text.unicodeScalars {
                let v = scalar.value
                if v < 0x80 {
                    if v >= 0x61 && v <= 0x7A {
                        word.add(letter: true, upper: false, lower: true)
                    } else if v >= 0x41 && v <= 0x5A {
                        word.add(letter: true, upper: true, lower: false)
                    } else if v >= 0x30 && v <= 0x39 {
                        word.addDigit()
                    } else {
                        endWord()
                    }
                } else {
                    let p = scalar.properties
                    if p.isAlphabetic {
                        word.add(letter: true, upper: p.isUppercase, lower: p.isLowercase)
                    } else if p.numericType != nil {
                        word.addDigit()
                    } else {
                        endWord()
                    }
                }
                if letters > 20_000 { break outer }
            }
            endWord()
        }
        endWord()
        guard letters >= 10 else { return nil }
        if Double(badLetters) / Double(letters) > 0.3 {
            return "The PDF's text layer uses a broken font encoding (it decodes to garbage such as scrambled letters): it needs OCR to be read."
        }
        return nil
    }

    /// Case and digit pattern of one word.
    struct WordShape {
        var letters = 0
        var upper = 0
        var lower = 0
        var digits = 0
        var caseChanges = 0
        var lastWasUpper: Bool? = nil
        var digitAfterLetter = false
        var letterAfterDigit = false

        mutating func addDigit() {
            digits += 1
            if letters > 0 { digitAfterLetter = true }
        }

        mutating func add(letter: Bool, upper isUpper: Bool, lower isLower: Bool) {
            letters += 1
            if digits > 0 { letterAfterDigit = true }
            if isUpper {
                upper += 1
                if lastWasUpper == false { caseChanges += 1 }
                lastWasUpper = true
            } else if isLower {
                lower += 1
                if lastWasUpper == true && upper > 1 { caseChanges += 1 }
                lastWasUpper = false
            }
        }

        var isBad: Bool {
            guard letters > 0 else { return false }
            // Mixed case beyond "Word", "WORD", "word", "McDonald"/"iPhone" (at most one change back to upper).
            if upper > 0 && lower > 0 && caseChanges >= 2 { return true }
            // Digits wedged between letters on both sides ("3HQ4x").
            if digitAfterLetter && letterAfterDigit && letters > 2 { return true }
            // A digit followed by mixed-case letters ("3HQČå").
            if letterAfterDigit && upper > 0 && lower > 0 { return true }
            return false
        }
    }
}
