import Conversations
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Storage
import WhatsApp

/// `GET|POST /webhooks/whatsapp`: Meta's verification handshake and signed deliveries.
///
/// A delivery is checked against `X-Hub-Signature-256` on the raw bytes exactly as received, stored in the durable inbox
/// and acknowledged; all the work happens later, outside the request.
struct WhatsAppWebhookController<Context: RequestContext>: Sendable {
    /// The durable inbox.
    let database: AppDatabase
    /// The verify token and app secret, as the admin page last saved them.
    let liveSettings: LiveSettings
    /// The largest webhook body accepted (`whatsapp.max_body_bytes`).
    let maxBodyBytes: Int
    /// Counts the deliveries being received, so that the inbox worker defers to a burst.
    let incoming: IncomingDeliveries
    /// Webhooks received and refused.
    let metrics: BalcaoMetrics
    /// Where refused webhooks are logged.
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.get("webhooks/whatsapp", use: verify)
        router.post("webhooks/whatsapp", use: receive)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        guard let expected = liveSettings.current.whatsappVerifyToken,
            let challenge = WebhookVerification.challenge(
                mode: query["hub.mode"].map(String.init),
                verifyToken: query["hub.verify_token"].map(String.init),
                challenge: query["hub.challenge"].map(String.init),
                expectedToken: expected
            )
        else {
            return Response(status: .forbidden)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: challenge)))
    }

    @Sendable func receive(_ request: Request, context: Context) async throws -> Response {
        do {
            let response = try await incoming.receiving { try await accept(request) }
            metrics.webhookReceived()
            return response
        } catch let error as APIError {
            metrics.webhookRejected(reason: error.code)
            throw error
        }
    }

    private func accept(_ request: Request) async throws -> Response {
        guard let appSecret = liveSettings.current.whatsappAppSecret else {
            throw APIError(.serviceUnavailable, code: "not_configured", message: "WhatsApp is not configured: set [whatsapp] app_secret.")
        }
        let limit = maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, code: "too_large", message: "The body is larger than \(limit) bytes.")
        }
        var body = ByteBuffer()
        for try await part in request.body {
            guard body.readableBytes + part.readableBytes <= limit else {
                throw APIError(.contentTooLarge, code: "too_large", message: "The body is larger than \(limit) bytes.")
            }
            var part = part
            body.writeBuffer(&part)
        }
        let bytes = Data(buffer: body, byteTransferStrategy: .noCopy)
        switch WebhookSignature.verify(body: bytes, header: request.headers[HTTPField.Name("X-Hub-Signature-256")!], appSecret: appSecret) {
        case .valid:
            break
        case .missing:
            throw APIError(.unauthorized, code: "missing_signature", message: "The X-Hub-Signature-256 header is missing.")
        case .invalid:
            throw APIError(.forbidden, code: "invalid_signature", message: "The X-Hub-Signature-256 header does not match the body.")
        }
        do {
            try await database.storeWebhook(body: bytes)
        } catch {
            // Never 200 for a delivery that was not stored: a 503 makes Meta send it again later.
            let storage = StorageError(error)
            logger.error(
                "could not store a WhatsApp delivery: answered 503 so that Meta sends it again",
                metadata: ["cause": "\(storage?.code ?? "database_error")", "error": "\(error)"]
            )
            throw APIError(
                .serviceUnavailable,
                code: storage?.code ?? "storage_failed",
                message: "The delivery could not be stored; send it again later. \(storage?.description ?? "\(error)")"
            )
        }
        return Response(status: .ok)
    }
}
