import Credits
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// One ledger entry as the API shows it.
struct APICreditEntry: ResponseEncodable, Sendable {
    var id: Int64
    var kind: String
    var amount: String
    var reason: String
    var actor: String
    var externalID: String?
    var reference: String?
    var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, kind, amount, reason, actor, reference
        case externalID = "external_id"
        case createdAt = "created_at"
    }

    init(_ entry: CreditEntry) {
        id = entry.id ?? 0
        kind = entry.kind.rawValue
        amount = entry.amount.formatted
        reason = entry.reason
        actor = entry.actor
        externalID = entry.externalId
        reference = entry.reference
        createdAt = APIDocument.timestamp(entry.createdAt)
    }
}

/// `GET /api/v1/credits`.
struct APICredits: ResponseEncodable, Sendable {
    var balance: String
    var reserved: String
    var lowBalanceThreshold: String?
    var isLow: Bool
    var ledger: [APICreditEntry]

    enum CodingKeys: String, CodingKey {
        case balance, reserved, ledger
        case lowBalanceThreshold = "low_balance_threshold"
        case isLow = "is_low"
    }
}

/// `/api/v1/credits`, `/api/v1/credits/topups` and the payment provider's webhook.
struct CreditsController<Context: RequestContext>: Sendable {
    /// The balance and its entries.
    let ledger: CreditLedger
    /// Stripe's signing secret (`credits.stripe_webhook_secret`); `nil` refuses its webhooks.
    let stripeWebhookSecret: String?
    /// Where refused webhooks are logged.
    let logger: Logger

    func addRoutes(to group: RouterGroup<Context>, router: Router<Context>) {
        group.get("credits", use: show)
        group.post("credits/topups", use: topUp)
        router.post("webhooks/payments/stripe", use: stripe)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> APICredits {
        let status = try await ledger.status()
        let entries = try await ledger.recentEntries(limit: 50)
        return APICredits(
            balance: status.balance.formatted,
            reserved: status.reserved.formatted,
            lowBalanceThreshold: status.lowBalanceThreshold?.formatted,
            isLow: status.isLow,
            ledger: entries.map(APICreditEntry.init)
        )
    }

    struct TopUpBody: Decodable {
        var amount: Double
        var reason: String
        var externalID: String?
        enum CodingKeys: String, CodingKey {
            case amount, reason
            case externalID = "external_id"
        }
    }

    @Sendable func topUp(_ request: Request, context: Context) async throws -> EditedResponse<APICreditEntry> {
        let body: TopUpBody
        do { body = try await request.decodeAPIBody(as: TopUpBody.self, context: context) } catch {
            throw APIError.badRequest("The body must be {\"amount\": 100, \"reason\": \"…\"}.")
        }
        // One micro-credit to a billion credits (the OpenAPI document's minimum and maximum): a smaller amount rounds to
        // nothing, and the ledger's balance must stay far from what its integer sum can hold.
        guard body.amount >= 0.000_001, body.amount <= 1_000_000_000 else {
            throw APIError.badRequest("amount must be between 0.000001 and 1000000000 credits.")
        }
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw APIError.badRequest("A top-up needs a reason.") }
        let result: TopUpResult
        do {
            result = try await ledger.topUp(
                amount: CreditAmount(credits: body.amount),
                reason: reason,
                actor: "api",
                externalID: body.externalID
            )
        } catch let error as CreditError {
            throw APIError.badRequest(error.description)
        }
        logger.notice("credits topped up", metadata: ["amount": "\(result.entry.amount)", "actor": "api", "new": "\(result.isNew)"])
        return EditedResponse(status: result.isNew ? .created : .ok, response: APICreditEntry(result.entry))
    }

    @Sendable func stripe(_ request: Request, context: Context) async throws -> Response {
        guard let secret = stripeWebhookSecret else {
            throw APIError(.serviceUnavailable, code: "not_configured", message: "Payments are not configured: set [credits] stripe_webhook_secret.")
        }
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let payload = Data(buffer: buffer, byteTransferStrategy: .noCopy)
        let outcome = try await ledger.handleStripeWebhook(
            payload: payload,
            signatureHeader: request.headers[HTTPField.Name("Stripe-Signature")!],
            webhook: StripeWebhook(secret: secret)
        )
        switch outcome {
        case .credited(let amount, let eventID, _):
            logger.notice("credits bought", metadata: ["amount": "\(amount)", "event": "\(eventID)"])
        case .duplicate(let eventID):
            logger.info("payment event already credited", metadata: ["event": "\(eventID)"])
        case .ignored(let type, let reason):
            logger.info("payment event ignored", metadata: ["type": "\(type)", "reason": "\(reason)"])
        case .invalidSignature(let error):
            throw APIError(.badRequest, code: "invalid_signature", message: "\(error)")
        case .malformed(let reason):
            throw APIError.badRequest(reason)
        }
        return Response(status: .ok)
    }
}
