import Crypto
public import Foundation

/// The outcome of checking `X-Hub-Signature-256` on a webhook `POST` (PROTOCOL.md §2).
public enum WebhookSignature: Sendable, Equatable {
    /// The header holds `sha256=` and the HMAC-SHA256 of the body under the app secret: process the body.
    case valid
    /// The header is absent or empty: answer 401 and process nothing.
    case missing
    /// The header is present but wrong: another prefix, not 64 hex digits, or another digest. Answer 403.
    case invalid

    /// The name of the header Meta signs webhook bodies with (compare names case-insensitively).
    public static let headerName = "X-Hub-Signature-256"

    /// Checks `header` against HMAC-SHA256(`appSecret`, `body`).
    ///
    /// `body` must be the bytes exactly as received, before any JSON parsing: Meta signs its escaped wire form
    /// (`caf\u00e9`, `image\/jpeg`), and any re-serialisation changes the digest. The digest is compared in constant time.
    /// An empty `appSecret` is a configuration error, and every signature is then `.invalid` (an empty HMAC key would be
    /// trivially forgeable).
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - header: The `X-Hub-Signature-256` header value, `nil` when absent. Surrounding whitespace is ignored; the
    ///     `sha256=` prefix must be lowercase as Meta sends it; hex digits may be in either case.
    ///   - appSecret: The Meta app secret (App Dashboard → Settings → Basic), neither the access token nor the verify token.
    public static func verify(body: some DataProtocol, header: String?, appSecret: String) -> WebhookSignature {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return .missing }
        let prefix = "sha256="
        guard header.hasPrefix(prefix), !appSecret.isEmpty,
            let digest = Hex.decode(header.dropFirst(prefix.count)), digest.count == SHA256.byteCount
        else { return .invalid }
        let key = SymmetricKey(data: Data(appSecret.utf8))
        return HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: body, using: key) ? .valid : .invalid
    }

    /// The header value Meta would send for `body`: `sha256=` followed by the lowercase hex HMAC-SHA256.
    public static func sign(body: some DataProtocol, appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(appSecret.utf8)))
        return "sha256=" + Hex.encode(Array(mac))
    }
}

/// Lowercase hexadecimal encoding.
enum Hex {
    /// The bytes of an even-length hex string (either case), or `nil` for any other character.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Lowercase hex of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(alphabet[Int(byte >> 4)])
            out.append(alphabet[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
