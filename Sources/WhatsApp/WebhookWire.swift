import Foundation

// The webhook body as Meta sends it, decoded leniently: every field optional, unknown keys ignored, scalars accepted as
// strings or numbers, and one malformed item (message, status, change…) skipped without losing its neighbours.
// Property names are the snake_case keys through `.convertFromSnakeCase`.

/// A scalar read as text whether the JSON holds a string, a number or a boolean.
struct FlexibleString: Decodable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            // A NUL would cut the text short when the database reads it back (GRDB reads text up to the first NUL).
            value = string.utf8.contains(0) ? string.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : string
        } else if let integer = try? container.decode(Int64.self) {
            value = String(integer)
        } else if let double = try? container.decode(Double.self) {
            value = String(double)
        } else if let bool = try? container.decode(Bool.self) {
            value = String(bool)
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a number")
            )
        }
    }
}

/// An integer read from a number or a numeric string.
struct FlexibleInt: Decodable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            value = integer
        } else if let string = try? container.decode(String.self), let integer = Int(string.trimmingCharacters(in: .whitespaces)) {
            value = integer
        } else if let double = try? container.decode(Double.self), let integer = Int(exactly: double) {
            value = integer
        } else {
            throw DecodingError.typeMismatch(
                Int.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected an integer")
            )
        }
    }
}

/// A boolean read from `true`/`false`, `"true"`/`"false"` or 0/1.
struct FlexibleBool: Decodable {
    let value: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bool = try? container.decode(Bool.self) {
            value = bool
        } else if let string = try? container.decode(String.self), let bool = Bool(string.lowercased()) {
            value = bool
        } else if let integer = try? container.decode(Int.self) {
            value = integer != 0
        } else {
            throw DecodingError.typeMismatch(Bool.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a boolean"))
        }
    }
}

/// A value that may fail to decode without failing its parent; the failure is kept for the log.
struct Tolerant<Wrapped: Decodable>: Decodable {
    let value: Wrapped?
    let failure: String?

    init(from decoder: any Decoder) throws {
        do {
            value = try Wrapped(from: decoder)
            failure = nil
        } catch {
            value = nil
            failure = WireDiagnostics.describe(error)
        }
    }
}

/// An array whose undecodable elements are skipped (and counted) rather than failing the whole array.
/// Anything that is not an array at all decodes as empty, with a failure.
struct LossyArray<Element: Decodable>: Decodable {
    var elements: [Element] = []
    var failures: [String] = []
    /// `false` when the JSON value was not an array.
    var wasArray = true

    init(from decoder: any Decoder) throws {
        guard var container = try? decoder.unkeyedContainer() else {
            wasArray = false
            failures.append("\(WireDiagnostics.path(decoder.codingPath)): not an array")
            return
        }
        while !container.isAtEnd {
            do {
                elements.append(try container.decode(Element.self))
            } catch {
                failures.append(WireDiagnostics.describe(error))
                // Step over the bad element: decoding `Skip` consumes it without reading it.
                guard (try? container.decode(Skip.self)) != nil else { break }
            }
        }
    }

    private struct Skip: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}

enum WireDiagnostics {
    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            "\(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            "\(path(context.codingPath)): missing key \(key.stringValue)"
        default:
            "\(error)"
        }
    }
}

struct WireEnvelope: Decodable {
    var object: FlexibleString?
    var entry: LossyArray<WireEntry>?
}

struct WireEntry: Decodable {
    var id: FlexibleString?
    var changes: LossyArray<WireChange>?
}

struct WireChange: Decodable {
    var field: FlexibleString?
    var value: Tolerant<WireValue>?
}

struct WireValue: Decodable {
    var metadata: Tolerant<WireMetadata>?
    var contacts: LossyArray<WireContact>?
    var messages: LossyArray<WireMessage>?
    var statuses: LossyArray<WireStatus>?
    var errors: LossyArray<WireError>?
}

struct WireMetadata: Decodable {
    var displayPhoneNumber: FlexibleString?
    var phoneNumberId: FlexibleString?
}

struct WireContact: Decodable {
    struct Profile: Decodable {
        var name: FlexibleString?
        var username: FlexibleString?
    }

    var profile: Tolerant<Profile>?
    var waId: FlexibleString?
    var userId: FlexibleString?
    var parentUserId: FlexibleString?
}

struct WireMessage: Decodable {
    struct Text: Decodable { var body: FlexibleString? }
    struct Context: Decodable {
        var id: FlexibleString?
        var forwarded: FlexibleBool?
        var frequentlyForwarded: FlexibleBool?
    }
    struct Reply: Decodable {
        var id: FlexibleString?
        var title: FlexibleString?
    }
    struct Interactive: Decodable {
        var type: FlexibleString?
        var buttonReply: Reply?
        var listReply: Reply?
    }
    struct Button: Decodable {
        var payload: FlexibleString?
        var text: FlexibleString?
    }
    struct Reaction: Decodable {
        var messageId: FlexibleString?
        var emoji: FlexibleString?
    }
    struct System: Decodable {
        var body: FlexibleString?
        var type: FlexibleString?
    }
    struct Media: Decodable {
        var id: FlexibleString?
        var mimeType: FlexibleString?
        var caption: FlexibleString?
        var filename: FlexibleString?
        var voice: FlexibleBool?
    }
    struct Unsupported: Decodable { var type: FlexibleString? }

    var from: FlexibleString?
    var fromUserId: FlexibleString?
    var fromParentUserId: FlexibleString?
    var id: FlexibleString?
    var timestamp: FlexibleString?
    var type: FlexibleString?
    var context: Tolerant<Context>?
    var text: Tolerant<Text>?
    var interactive: Tolerant<Interactive>?
    var button: Tolerant<Button>?
    var reaction: Tolerant<Reaction>?
    var system: Tolerant<System>?
    var image: Tolerant<Media>?
    var video: Tolerant<Media>?
    var audio: Tolerant<Media>?
    var document: Tolerant<Media>?
    var sticker: Tolerant<Media>?
    var unsupported: Tolerant<Unsupported>?
    var errors: LossyArray<WireError>?
}

struct WireStatus: Decodable {
    struct Pricing: Decodable {
        var billable: FlexibleBool?
        var category: FlexibleString?
    }

    var id: FlexibleString?
    var status: FlexibleString?
    var timestamp: FlexibleString?
    var recipientId: FlexibleString?
    var recipientUserId: FlexibleString?
    var parentRecipientUserId: FlexibleString?
    var bizOpaqueCallbackData: FlexibleString?
    var pricing: Tolerant<Pricing>?
    var errors: LossyArray<WireError>?
}

struct WireError: Decodable {
    struct ErrorData: Decodable { var details: FlexibleString? }

    var code: FlexibleInt?
    var title: FlexibleString?
    var message: FlexibleString?
    var errorData: Tolerant<ErrorData>?

    var detail: GraphErrorDetail {
        GraphErrorDetail(
            code: code?.value ?? 0,
            title: title?.value,
            message: message?.value,
            details: errorData?.value?.details?.value
        )
    }
}
