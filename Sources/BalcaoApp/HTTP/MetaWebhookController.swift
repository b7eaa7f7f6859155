import Conversations
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Storage
import WhatsApp

/// `GET|POST /webhooks/whatsapp` and `/webhooks/instagram`: Meta's verification handshake and signed deliveries, the
/// same for both products.
///
/// A delivery is checked against `X-Hub-Signature-256` on the raw bytes exactly as received, stored in the durable inbox
/// with its channel and acknowledged; all the work happens later, outside the request.
struct MetaWebhookController<Context: RequestContext>: Sendable {
    /// The secrets of one channel's webhook, as they are now.
    struct Secrets: Sendable {
        var verifyToken: String?
        var appSecret: String?
    }

    /// Whose deliveries these are.
    let channel: MessagingChannel
    /// The secrets (WhatsApp's follow what the admin page last saved).
    let secrets: @Sendable () -> Secrets
    /// What to set when the app secret is missing.
    let missingSecret: String
    /// The durable inbox.
    let database: AppDatabase
    /// The largest webhook body accepted (`whatsapp.max_body_bytes`).
    let maxBodyBytes: Int
    /// Counts the deliveries being received, so that the inbox worker defers to a burst.
    let incoming: IncomingDeliveries
    /// Webhooks received and refused.
    let metrics: BalcaoMetrics
    /// Where refused webhooks are logged.
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.get("webhooks/\(channel.rawValue)", use: verify)
        router.post("webhooks/\(channel.rawValue)", use: receive)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        guard let expected = secrets().verifyToken, !expected.isEmpty,
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
            metrics.webhookReceived(channel: channel)
            return response
        } catch let error as APIError {
            metrics.webhookRejected(reason: error.code, channel: channel)
            throw error
        }
    }

    private func accept(_ request: Request) async throws -> Response {
        guard let appSecret = secrets().appSecret, !appSecret.isEmpty else {
            throw APIError(.serviceUnavailable, code: "not_configured", message: missingSecret)
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
            try await database.storeWebhook(body: bytes, channel: channel)
        } catch {
            // Never 200 for a delivery that was not stored: a 503 makes Meta send it again later.
            let storage = StorageError(error)
            logger.error(
                "could not store a webhook delivery: answered 503 so that Meta sends it again",
                metadata: ["channel": "\(channel.rawValue)", "cause": "\(storage?.code ?? "database_error")", "error": "\(error)"]
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
