import Crypto
public import Foundation

/// Signs webhook bodies the way Meta does, for tests that post to `/webhooks/whatsapp`.
///
/// Independent of the `WhatsApp` module on purpose: the fake speaks the wire format on its own, so a bug in the
/// production verifier cannot hide behind the same bug here.
public enum WebhookSigner {
    /// The `X-Hub-Signature-256` header value for `body`: `sha256=` + lowercase hex HMAC-SHA256(`appSecret`, `body`).
    /// Sign the exact bytes you post.
    public static func sign(body: Data, appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(appSecret.utf8)))
        return "sha256="
            + mac.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }

    /// The header name Meta uses.
    public static let headerName = "X-Hub-Signature-256"
}
