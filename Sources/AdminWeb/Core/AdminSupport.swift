public import Foundation
public import HTTPTypes
import Hummingbird
import Storage
import Synchronization

/// An error a handler throws to end a request with an error page (or a JSON error for `.json` routes).
public struct AdminError: Error, Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// The key of the localized message.
    public var messageKey: String
    /// Values for the message's `{name}` placeholders.
    public var values: [String: String]

    /// An error with a status and a localized message.
    public init(_ status: HTTPResponse.Status, _ messageKey: String, _ values: [String: String] = [:]) {
        self.status = status
        self.messageKey = messageKey
        self.values = values
    }

    /// 403: the role may not do this.
    public static let forbidden = AdminError(.forbidden, "error_forbidden")
    /// 403: the anti-forgery token is missing or wrong.
    public static let csrf = AdminError(.forbidden, "error_csrf")
    /// 404.
    public static let notFound = AdminError(.notFound, "error_not_found")
    /// 400 with a message.
    public static func badRequest(_ messageKey: String, _ values: [String: String] = [:]) -> AdminError {
        AdminError(.badRequest, messageKey, values)
    }
}

/// A submitted `application/x-www-form-urlencoded` form.
public struct AdminForm: Sendable {
    /// Every value of every field, in order.
    public let fields: [String: [String]]

    /// Parses a form body.
    public init(body: String) {
        var fields: [String: [String]] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            fields[name, default: []].append(value)
        }
        self.fields = fields
    }

    /// The first value of a field.
    public subscript(_ name: String) -> String? { fields[name]?.first }

    /// The first value of a field with surrounding white space removed; `""` when absent.
    public func text(_ name: String) -> String {
        (fields[name]?.first ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every value of a field (checkboxes, multiple selects).
    public func all(_ name: String) -> [String] { fields[name] ?? [] }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return (spaced.removingPercentEncoding ?? spaced).replacingNULCharacters
    }
}

/// Counts failed attempts (sign-in, setup code) per client address in a sliding window.
public final class AttemptLimiter: Sendable {
    /// Failures allowed in the window.
    public let limit: Int
    /// The window.
    public let window: TimeInterval
    private let now: @Sendable () -> Date
    private let failures = Mutex<[String: [Date]]>([:])

    /// A limiter allowing `limit` failures per address in `window` seconds.
    public init(limit: Int = 5, window: TimeInterval = 900, now: @escaping @Sendable () -> Date = { Date() }) {
        self.limit = limit
        self.window = window
        self.now = now
    }

    /// Seconds until `address` may try again; `nil` when it may try now.
    public func retryAfter(_ address: String) -> TimeInterval? {
        let date = now()
        return failures.withLock { table in
            let recent = (table[address] ?? []).filter { date.timeIntervalSince($0) < window }
            table[address] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, window - date.timeIntervalSince(oldest))
        }
    }

    /// Records a failure.
    public func recordFailure(_ address: String) {
        let date = now()
        failures.withLock { table in
            var recent = (table[address] ?? []).filter { date.timeIntervalSince($0) < window }
            recent.append(date)
            table[address] = recent
            if table.count > 10_000 { table = table.filter { !$0.value.isEmpty } }
        }
    }

    /// Forgets an address's failures (after a success).
    public func reset(_ address: String) {
        failures.withLock { table in table[address] = nil }
    }
}

/// The security headers every admin response carries.
public enum AdminSecurityHeaders {
    /// The Content-Security-Policy: no inline scripts or styles, nothing from other origins, no framing.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

    static func apply(to headers: inout HTTPFields, milliseconds: Double) {
        // A response with a stricter policy of its own (a customer's file: `sandbox`) keeps it.
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = contentSecurityPolicy }
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        headers[HTTPField.Name("Server-Timing")!] = "app;dur=\(String(format: "%.2f", milliseconds))"
    }
}
