import Credits
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `POST /webhooks/payments/stripe`: Stripe's signed event, checked on its raw bytes (so it is not an OpenAPI operation).
struct StripeWebhookRoute<Context: RequestContext>: Sendable {
    /// The balance the payment is credited to.
    let ledger: CreditLedger
    /// Stripe's signing secret (`credits.stripe_webhook_secret`); `nil` refuses its webhooks.
    let secret: String?
    /// Where payments and refused webhooks are logged.
    let logger: Logger

    func add(to router: Router<Context>) {
        router.post("webhooks/payments/stripe", use: receive)
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        guard let secret else {
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
