public import Foundation

/// An amount of credits, held exactly as a whole number of micro-credits (1 credit = 1 000 000 micro-credits).
///
/// Credits are the unit the business buys and the LLM spends; what one credit is worth (one real, one dollar) is the
/// operator's choice. Micro-credits are fine enough for per-token prices (a cheap model costs a fraction of a
/// millionth of a dollar per token, so prices are per 1 000 tokens) and an `Int64` holds 9.2 trillion credits.
/// Amounts are signed: the ledger stores money out as negative amounts.
public struct CreditAmount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Micro-credits per credit.
    public static let microsPerCredit: Int64 = 1_000_000

    /// The amount in micro-credits.
    public var micros: Int64

    /// An amount of micro-credits.
    public init(micros: Int64) {
        self.micros = micros
    }

    /// A whole number of credits.
    public init(credits: Int) {
        self.micros =
            Int64(credits).multipliedReportingOverflow(by: Self.microsPerCredit).overflow
            ? (credits < 0 ? .min : .max) : Int64(credits) * Self.microsPerCredit
    }

    /// A decimal number of credits, rounded to the nearest micro-credit (half away from zero).
    public init(credits: Decimal) {
        var scaled = credits * Decimal(Self.microsPerCredit)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        if rounded >= Decimal(Int64.max) {
            self.micros = .max
        } else if rounded <= Decimal(Int64.min) {
            self.micros = .min
        } else {
            self.micros = NSDecimalNumber(decimal: rounded).int64Value
        }
    }

    /// A binary floating-point number of credits (as configuration files give prices), rounded to the nearest
    /// micro-credit. The value goes through its shortest decimal spelling, so `0.15` is exactly 150 000 micro-credits.
    public init(credits: Double) {
        guard credits.isFinite, let decimal = Decimal(string: "\(credits)", locale: Locale(identifier: "en_US_POSIX")) else {
            self.init(micros: credits.isNaN ? 0 : (credits < 0 ? .min : .max))
            return
        }
        self.init(credits: decimal)
    }

    /// Parses a decimal number of credits such as `100`, `12.5`, `-3`, `0.000150` (a `.` separates decimals; at most
    /// six decimal places; no exponent, grouping or spaces inside). `nil` when the text is not such a number.
    public init?(parsing text: String) {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, parts.count <= 2 else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), fraction.count <= 6,
            whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        guard let credits = whole.isEmpty ? 0 : Int64(whole) else { return nil }
        let micros = Int64(fraction.padding(toLength: 6, withPad: "0", startingAt: 0)) ?? 0
        let (scaled, overflow) = credits.multipliedReportingOverflow(by: Self.microsPerCredit)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(micros)
        guard !overflow2 else { return nil }
        self.micros = negative ? -total : total
    }

    /// No credits.
    public static let zero = CreditAmount(micros: 0)

    /// The amount in credits, exactly.
    public var decimal: Decimal {
        Decimal(micros) / Decimal(Self.microsPerCredit)
    }

    /// The amount in credits with up to six decimal places and no trailing zeros: `12.5`, `-3`, `0.00015`.
    /// The inverse of ``init(parsing:)``.
    public var formatted: String {
        let magnitude = micros.magnitude
        let whole = magnitude / UInt64(Self.microsPerCredit)
        let fraction = magnitude % UInt64(Self.microsPerCredit)
        var text = micros < 0 ? "-\(whole)" : "\(whole)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 6 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// The amount with a fixed number of decimal places (rounded half away from zero), e.g. `12.50` for display.
    public func formatted(decimalPlaces: Int) -> String {
        let places = min(max(decimalPlaces, 0), 6)
        let unit = Int64(pow(10, Double(6 - places)))
        let magnitude = micros.magnitude
        let rounded = (magnitude + UInt64(unit / 2)) / UInt64(unit)
        let scale = UInt64(pow(10, Double(places)))
        var text = (micros < 0 && rounded > 0 ? "-" : "") + String(rounded / scale)
        if places > 0 {
            let digits = String(rounded % scale)
            text += "." + String(repeating: "0", count: places - digits.count) + digits
        }
        return text
    }

    /// ``formatted``.
    public var description: String { formatted }

    /// Orders by value.
    public static func < (lhs: CreditAmount, rhs: CreditAmount) -> Bool { lhs.micros < rhs.micros }
    /// The sum (saturating at the `Int64` range).
    public static func + (lhs: CreditAmount, rhs: CreditAmount) -> CreditAmount {
        let (sum, overflow) = lhs.micros.addingReportingOverflow(rhs.micros)
        return CreditAmount(micros: overflow ? (rhs.micros > 0 ? .max : .min) : sum)
    }
    /// The difference (saturating at the `Int64` range).
    public static func - (lhs: CreditAmount, rhs: CreditAmount) -> CreditAmount {
        let (difference, overflow) = lhs.micros.subtractingReportingOverflow(rhs.micros)
        return CreditAmount(micros: overflow ? (rhs.micros < 0 ? .max : .min) : difference)
    }
    /// The opposite amount.
    public static prefix func - (amount: CreditAmount) -> CreditAmount {
        CreditAmount(micros: amount.micros == .min ? .max : -amount.micros)
    }

    /// Encodes as the integer number of micro-credits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(micros)
    }

    /// Decodes from an integer number of micro-credits.
    public init(from decoder: any Decoder) throws {
        micros = try decoder.singleValueContainer().decode(Int64.self)
    }
}
