import Crypto
public import Foundation

/// Verifies and reads Stripe webhooks that buy credits (`POST /webhooks/payments/stripe`).
///
/// **Signature**: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` may be
/// HMAC-SHA256(webhook signing secret, `"<t>.<raw body>"`); one matching `v1` suffices (Stripe sends several while a
/// secret is being rolled), compared in constant time, and `t` must be within ``tolerance`` of now (5 minutes by
/// default, either way) so that a captured request cannot be replayed later.
///
/// **Events**: `checkout.session.completed` whose `payment_status` is `paid` or `no_payment_required` (or absent), and
/// `checkout.session.async_payment_succeeded` (a delayed payment method completing), credit the amount in
/// `data.object.metadata.credits` (``metadataKey``): a decimal number of credits as a string, e.g. `"100"` or
/// `"12.5"` — set it on the Checkout Session (or Payment Link) when creating it. Every other event type, and sessions
/// without that metadata key (other products sold through the same Stripe account), are acknowledged and ignored.
/// The top-up's external id is ``externalID(forEvent:)`` (`stripe:<event id>`), so redeliveries credit once.
public struct StripeWebhook: Sendable {
    /// Accepted signing secrets (`whsec_…`); more than one while rolling a secret.
    public var secrets: [String]
    /// How far `t` may be from now.
    public var tolerance: Duration
    /// The metadata key holding the credits bought (default `credits`).
    public var metadataKey: String
    private let now: @Sendable () -> Date

    /// A verifier for one signing secret.
    public init(
        secret: String,
        tolerance: Duration = .seconds(300),
        metadataKey: String = "credits",
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(secrets: [secret], tolerance: tolerance, metadataKey: metadataKey, now: now)
    }

    /// A verifier accepting any of several signing secrets.
    public init(
        secrets: [String],
        tolerance: Duration = .seconds(300),
        metadataKey: String = "credits",
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.secrets = secrets.filter { !$0.isEmpty }
        self.tolerance = tolerance
        self.metadataKey = metadataKey
        self.now = now
    }

    /// The ledger external id of the top-up an event pays for: `stripe:<event id>` (namespaced so that it never
    /// collides with other idempotency keys).
    public static func externalID(forEvent eventID: String) -> String {
        "stripe:\(eventID)"
    }

    /// Checks the `Stripe-Signature` header against the raw body bytes exactly as received. Returns the signed timestamp.
    @discardableResult
    public func verify(payload: some DataProtocol, signatureHeader: String?) throws(StripeSignatureError) -> Date {
        guard !secrets.isEmpty else { throw .noSecretConfigured }
        guard let header = signatureHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { throw .missingHeader }
        var timestamp: Substring?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw .malformedHeader("\"\(item)\" is not key=value") }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = Substring(pair[1].trimmingCharacters(in: .whitespaces))
            switch key {
            case "t":
                if timestamp == nil { timestamp = value }
            case "v1":
                // A v1 that is not 64 hex digits can never match; keep looking at the others.
                if let bytes = Self.hexBytes(value), bytes.count == SHA256.byteCount { signatures.append(bytes) }
            default:
                continue  // v0 (test-mode legacy) and future schemes
            }
        }
        guard let timestamp, !timestamp.isEmpty, timestamp.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(timestamp) else {
            throw .malformedHeader("no valid t= timestamp")
        }
        guard !signatures.isEmpty else { throw .noSignature }
        let signedAt = Date(timeIntervalSince1970: TimeInterval(seconds))
        let age = now().timeIntervalSince(signedAt)
        let limit = tolerance.components
        guard abs(age) <= Double(limit.seconds) + Double(limit.attoseconds) / 1e18 else { throw .timestampOutsideTolerance(ageSeconds: Int(age)) }

        var message = Data(capacity: timestamp.utf8.count + 1 + payload.count)
        message.append(contentsOf: Array(timestamp.utf8))
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: payload)
        for secret in secrets {
            let key = SymmetricKey(data: Data(secret.utf8))
            for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: key) {
                return signedAt
            }
        }
        throw .signatureMismatch
    }

    /// The `Stripe-Signature` value Stripe would send for `payload` at `timestamp` (for tests and local tooling).
    public static func signatureHeader(payload: some DataProtocol, secret: String, timestamp: Date) -> String {
        let t = String(Int64(timestamp.timeIntervalSince1970))
        var message = Data(t.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: payload)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(t),v1=\(code.map { String(format: "%02x", $0) }.joined())"
    }

    /// Reads a verified event body: what it credits, or why it credits nothing.
    public func interpret(payload: some DataProtocol) -> StripeCreditEvent {
        let event: Event
        do {
            event = try JSONDecoder().decode(Event.self, from: Data(payload))
        } catch {
            return .malformed("the body is not a Stripe event: \(error)")
        }
        guard let id = event.id, !id.isEmpty, let type = event.type, !type.isEmpty else {
            return .malformed("the event has no id or type")
        }
        guard type == "checkout.session.completed" || type == "checkout.session.async_payment_succeeded" else {
            return .ignored(eventID: id, eventType: type, reason: "not a checkout payment event")
        }
        guard let session = event.data?.object else { return .malformed("\(type) \(id) has no data.object") }
        if type == "checkout.session.completed", let status = session.paymentStatus, status != "paid", status != "no_payment_required" {
            return .ignored(
                eventID: id,
                eventType: type,
                reason: "payment_status is \(status); credits follow with checkout.session.async_payment_succeeded"
            )
        }
        guard let raw = session.metadata?[metadataKey] else {
            return .ignored(eventID: id, eventType: type, reason: "no metadata.\(metadataKey): not a credit purchase")
        }
        guard let amount = raw.text.flatMap(CreditAmount.init(parsing:)), amount.micros > 0 else {
            return .malformed("metadata.\(metadataKey) of \(type) \(id) is not a positive number of credits")
        }
        return .credit(eventID: id, eventType: type, amount: amount, sessionID: session.id)
    }

    private struct Event: Decodable {
        struct DataField: Decodable {
            let object: Session?
        }
        struct Session: Decodable {
            let id: String?
            let paymentStatus: String?
            let metadata: [String: Scalar]?
            enum CodingKeys: String, CodingKey {
                case id, metadata
                case paymentStatus = "payment_status"
            }
        }
        /// A metadata value: Stripe sends strings; numbers are accepted too.
        struct Scalar: Decodable {
            let text: String?
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let string = try? container.decode(String.self) {
                    text = string
                } else if let integer = try? container.decode(Int64.self) {
                    text = String(integer)
                } else if let number = try? container.decode(Double.self) {
                    text = CreditAmount(credits: number).formatted
                } else {
                    text = nil
                }
            }
        }
        let id: String?
        let type: String?
        let data: DataField?
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// Why a `Stripe-Signature` was rejected.
public enum StripeSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No signing secret is configured: every webhook is refused.
    case noSecretConfigured
    /// The header is missing or empty.
    case missingHeader
    /// The header is not `t=…,v1=…`.
    case malformedHeader(String)
    /// The header carries no well-formed `v1` signature.
    case noSignature
    /// `t` is too far from now (a replay, or a badly wrong clock).
    case timestampOutsideTolerance(ageSeconds: Int)
    /// No `v1` matches the body under any configured secret.
    case signatureMismatch

    /// A message for logs.
    public var description: String {
        switch self {
        case .noSecretConfigured: "no Stripe webhook secret is configured"
        case .missingHeader: "missing Stripe-Signature header"
        case .malformedHeader(let detail): "malformed Stripe-Signature header: \(detail)"
        case .noSignature: "Stripe-Signature has no v1 signature"
        case .timestampOutsideTolerance(let age): "Stripe-Signature timestamp is \(age) s away from now, outside the tolerance"
        case .signatureMismatch: "Stripe-Signature does not match the body"
        }
    }
}

/// What a verified Stripe event means for the ledger.
public enum StripeCreditEvent: Sendable, Hashable {
    /// Credits were bought.
    case credit(eventID: String, eventType: String, amount: CreditAmount, sessionID: String?)
    /// Nothing to credit.
    case ignored(eventID: String, eventType: String, reason: String)
    /// The event cannot be read.
    case malformed(String)
}

/// The result of handling one Stripe webhook delivery, with the HTTP status to answer.
public enum StripeWebhookOutcome: Sendable, Hashable, CustomStringConvertible {
    /// A top-up was recorded.
    case credited(amount: CreditAmount, eventID: String, entry: CreditEntry)
    /// This event was already credited (a redelivery); nothing recorded.
    case duplicate(eventID: String)
    /// A valid event that buys no credits (another type, an unpaid session, another product).
    case ignored(eventType: String, reason: String)
    /// The signature check failed; nothing was read.
    case invalidSignature(StripeSignatureError)
    /// Signed, but not a readable credit event.
    case malformed(String)

    /// The status to answer Stripe with: 2xx stops its retries. 400 for a bad signature or malformed event (Stripe's
    /// guidance); database failures are thrown instead, to be answered with 500 so that Stripe retries.
    public var httpStatus: Int {
        switch self {
        case .credited, .duplicate, .ignored: 200
        case .invalidSignature, .malformed: 400
        }
    }

    /// A message for logs.
    public var description: String {
        switch self {
        case .credited(let amount, let eventID, _): "credited \(amount) credits (Stripe event \(eventID))"
        case .duplicate(let eventID): "Stripe event \(eventID) already credited"
        case .ignored(let type, let reason): "ignored Stripe \(type): \(reason)"
        case .invalidSignature(let error): "rejected Stripe webhook: \(error)"
        case .malformed(let reason): "malformed Stripe event: \(reason)"
        }
    }
}

extension CreditLedger {
    /// Handles one Stripe webhook delivery end to end: verifies the signature over the raw body, reads the event and
    /// records the top-up (external id ``StripeWebhook/externalID(forEvent:)``, actor `stripe`, reference the session
    /// id). Answer Stripe with ``StripeWebhookOutcome/httpStatus``; a thrown error is a database failure (answer 500 so
    /// that Stripe retries).
    public func handleStripeWebhook(
        payload: some DataProtocol,
        signatureHeader: String?,
        webhook: StripeWebhook
    ) async throws
        -> StripeWebhookOutcome
    {
        do {
            try webhook.verify(payload: payload, signatureHeader: signatureHeader)
        } catch {
            return .invalidSignature(error)
        }
        switch webhook.interpret(payload: payload) {
        case .malformed(let reason):
            return .malformed(reason)
        case .ignored(_, let type, let reason):
            return .ignored(eventType: type, reason: reason)
        case .credit(let eventID, _, let amount, let sessionID):
            let result = try await topUp(
                amount: amount,
                reason: "Stripe checkout" + (sessionID.map { " \($0)" } ?? ""),
                actor: "stripe",
                externalID: StripeWebhook.externalID(forEvent: eventID),
                reference: sessionID
            )
            return result.isNew ? .credited(amount: amount, eventID: eventID, entry: result.entry) : .duplicate(eventID: eventID)
        }
    }
}
