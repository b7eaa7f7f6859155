import Foundation
import Testing
import WhatsApp

/// Inputs `make fuzz` found harmful (scripts/fuzz/webhooks.py replays them first on every run), pinned at the decoder.
@Suite("Webhook fuzzer findings")
struct FuzzFindingsTests {
    /// `text_message.json` with its message's (or `status_delivered.json` with its status's) timestamp replaced by a JSON
    /// value (`"\"1e300\""` is a string, `"9223372036854775808"` a number).
    static func body(_ file: String, items: String, timestamp json: String) throws -> Data {
        let timestamp = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        var object = try Fixtures.object(file)
        var entries = object["entry"] as! [[String: Any]]
        var changes = entries[0]["changes"] as! [[String: Any]]
        var value = changes[0]["value"] as! [String: Any]
        var list = value[items] as! [[String: Any]]
        list[0]["timestamp"] = timestamp
        value[items] = list
        changes[0]["value"] = value
        entries[0]["changes"] = changes
        object["entry"] = entries
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// A timestamp of 2^63 s became a date the database stored as "" and could not read back, so the conversation
    /// and its turn failed forever; a timestamp past 9999-12-31 (or negative, or not a number) now means "when it arrived".
    @Test(arguments: [#""9223372036854775808""#, "9223372036854775808", #""1e300""#, "253402300800", #""-1""#, #""NaN""#])
    func implausibleTimestampsBecomeTheReceiptTime(timestamp: String) throws {
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        let message = try #require(
            try WebhookDecoder.decode(Self.body("text_message.json", items: "messages", timestamp: timestamp), receivedAt: received)
                .messages.first
        )
        #expect(message.timestamp == received)
        let status = try #require(
            try WebhookDecoder.decode(Self.body("status_delivered.json", items: "statuses", timestamp: timestamp), receivedAt: received)
                .statuses.first
        )
        #expect(status.timestamp == received)
    }

    @Test func aTimestampUpToTheYear9999IsKept() throws {
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        for seconds in [0, 1_697_043_223, 1_700_000_000 + 3600, 253_402_300_799] {
            let message = try #require(
                try WebhookDecoder.decode(Self.body("text_message.json", items: "messages", timestamp: "\"\(seconds)\""), receivedAt: received)
                    .messages.first
            )
            #expect(message.timestamp == Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }

    /// The database reads text up to its first NUL, so a customer's "oi\u0000tudo bem" would have been stored whole and
    /// answered as "oi"; every string of the payload keeps its NUL as U+FFFD instead.
    @Test func aNULInAnyStringBecomesTheReplacementCharacter() throws {
        var object = try Fixtures.object("text_message.json")
        var entries = object["entry"] as! [[String: Any]]
        var changes = entries[0]["changes"] as! [[String: Any]]
        var value = changes[0]["value"] as! [String: Any]
        var messages = value["messages"] as! [[String: Any]]
        messages[0]["text"] = ["body": "oi\u{0}tudo bem"]
        value["messages"] = messages
        var contacts = value["contacts"] as! [[String: Any]]
        contacts[0]["profile"] = ["name": "\u{0}Ana"]
        value["contacts"] = contacts
        changes[0]["value"] = value
        entries[0]["changes"] = changes
        object["entry"] = entries
        let message = try #require(try WebhookDecoder.decode(try JSONSerialization.data(withJSONObject: object)).messages.first)
        #expect(message.content == .text("oi\u{FFFD}tudo bem"))
        #expect(message.profileName == "\u{FFFD}Ana")
    }
}
