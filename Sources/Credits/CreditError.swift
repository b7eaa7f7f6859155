/// Why a credit operation was refused.
public enum CreditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not enough credits for the reservation: the balance less open reservations less the estimate would fall below
    /// the floor (or nothing is left above it). The turn should send the out-of-credits message without calling the LLM.
    case insufficientCredits(balance: CreditAmount, reserved: CreditAmount, requested: CreditAmount, floor: CreditAmount)
    /// An amount that must be positive (a top-up, a reservation) or non-zero (an adjustment) was not.
    case invalidAmount(CreditAmount, String)
    /// The reservation does not exist.
    case unknownReservation(Int64)
    /// The reservation was already settled or released (settling twice would debit twice).
    case reservationClosed(Int64, state: String)
    /// ``CreditLedger/settle(_:actualCost:reference:in:)`` was called outside a transaction.
    case notInTransaction

    /// A message for logs and API errors.
    public var description: String {
        switch self {
        case .insufficientCredits(let balance, let reserved, let requested, let floor):
            "insufficient credits: balance \(balance), \(reserved) reserved by turns in progress, \(requested) needed, floor \(floor)"
        case .invalidAmount(let amount, let rule): "invalid amount \(amount): \(rule)"
        case .unknownReservation(let id): "no credit reservation #\(id)"
        case .reservationClosed(let id, let state): "credit reservation #\(id) is already \(state)"
        case .notInTransaction: "settling a credit reservation requires a database transaction"
        }
    }

    /// Whether this is the "out of credits" refusal.
    public var isInsufficientCredits: Bool {
        if case .insufficientCredits = self { true } else { false }
    }
}
