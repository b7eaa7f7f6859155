public import Foundation

/// The `GET` handshake Meta performs when a webhook callback URL is configured (PROTOCOL.md §1).
///
/// Meta calls `GET {callback}?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<challenge>`; the endpoint must
/// answer 200 with the challenge as the whole plain-text body, or any non-200 (Balcão uses 403) to refuse.
public enum WebhookVerification {
    /// The value that must be echoed byte for byte as the 200 body, or `nil` when the request must be refused (403).
    ///
    /// Succeeds only when `mode` is exactly `subscribe`, the challenge is present, the configured token is not empty,
    /// and `verifyToken` equals it. The tokens are compared in constant time.
    /// - Parameters:
    ///   - mode: The `hub.mode` query value (already percent-decoded).
    ///   - verifyToken: The `hub.verify_token` query value (already percent-decoded).
    ///   - challenge: The `hub.challenge` query value (already percent-decoded). Treated as opaque text, never parsed.
    ///   - expectedToken: The configured `whatsapp.verify_token`.
    public static func challenge(mode: String?, verifyToken: String?, challenge: String?, expectedToken: String) -> String? {
        guard mode == "subscribe", let challenge, let verifyToken, !expectedToken.isEmpty else { return nil }
        guard ConstantTime.equal(Array(verifyToken.utf8), Array(expectedToken.utf8)) else { return nil }
        return challenge
    }

    /// The same check reading `hub.mode`, `hub.verify_token` and `hub.challenge` from decoded query items.
    ///
    /// When a key appears more than once, the first occurrence wins.
    public static func challenge(queryItems: [URLQueryItem], expectedToken: String) -> String? {
        func value(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }
        return challenge(
            mode: value("hub.mode"),
            verifyToken: value("hub.verify_token"),
            challenge: value("hub.challenge"),
            expectedToken: expectedToken
        )
    }

    /// The same check reading the three values from a raw query string such as
    /// `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock` (percent-decoding it, `+` as space).
    public static func challenge(query: String, expectedToken: String) -> String? {
        var items: [URLQueryItem] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { continue }
            items.append(URLQueryItem(name: name, value: parts.count > 1 ? decode(parts[1]) : nil))
        }
        return challenge(queryItems: items, expectedToken: expectedToken)
    }
}

/// Comparisons whose running time does not depend on where the inputs differ.
enum ConstantTime {
    /// `true` when both byte sequences are equal. The time depends only on the lengths.
    static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        if lhs.count != rhs.count { difference |= 1 }
        // Walk the expected length every time, so a wrong guess costs the same as a right one.
        for index in 0..<rhs.count {
            let left = index < lhs.count ? lhs[index] : 0
            difference |= left ^ rhs[index]
        }
        return difference == 0
    }
}
