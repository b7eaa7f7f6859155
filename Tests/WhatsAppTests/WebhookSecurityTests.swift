import BalcaoTesting
import Foundation
import Testing
import WhatsApp

@Suite("Webhook signature (X-Hub-Signature-256)")
struct WebhookSignatureTests {
    let secret = "test_app_secret"

    @Test func rfcStyleVector() {
        let header = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
        #expect(WebhookSignature.verify(body: Data("test".utf8), header: header, appSecret: "secret") == .valid)
        #expect(WebhookSignature.sign(body: Data("test".utf8), appSecret: "secret") == header)
    }

    @Test func rawWireBodyWithEscapesMatchesPublishedVector() throws {
        let body = try Fixtures.data("raw_wire_image_message_escaped.json")
        #expect(body.count == 846)
        // The escapes are still there: the bytes are the wire form, not a re-serialisation.
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#"caf\u00e9"#))
        #expect(text.contains(#"image\/jpeg"#))
        let header = "sha256=b4917c46b560db58f452243d30e2750a82d963fa892f9bd690036e2e9b31fc18"
        #expect(WebhookSignature.verify(body: body, header: header, appSecret: secret) == .valid)
        #expect(WebhookSigner.sign(body: body, appSecret: secret) == header)
        // And the decoded content is right.
        let message = try #require(try WebhookDecoder.decode(body).messages.first)
        #expect(message.media?.caption == "Hola quiero un café")
        #expect(message.media?.mimeType == "image/jpeg")
    }

    @Test func officialDocsBodyMatchesPublishedVector() throws {
        let body = try Fixtures.data("text_message_official_docs.json")
        #expect(body.count == 985)
        let header = "sha256=1c041e1c07f50386213ac582d2e17d24d70f1ed42949a6e5a5607057b805b5fc"
        #expect(WebhookSignature.verify(body: body, header: header, appSecret: secret) == .valid)
    }

    @Test func reserialisedBodyFailsLikeMetaSays() throws {
        let body = try Fixtures.data("raw_wire_image_message_escaped.json")
        let header = WebhookSigner.sign(body: body, appSecret: secret)
        let object = try JSONSerialization.jsonObject(with: body)
        for options: JSONSerialization.WritingOptions in [[], [.withoutEscapingSlashes], [.sortedKeys]] {
            let reserialised = try JSONSerialization.data(withJSONObject: object, options: options)
            #expect(WebhookSignature.verify(body: reserialised, header: header, appSecret: secret) == .invalid)
        }
    }

    @Test func missingHeader() throws {
        let body = try Fixtures.data("text_message.json")
        #expect(WebhookSignature.verify(body: body, header: nil, appSecret: secret) == .missing)
        #expect(WebhookSignature.verify(body: body, header: "", appSecret: secret) == .missing)
        #expect(WebhookSignature.verify(body: body, header: "   ", appSecret: secret) == .missing)
    }

    @Test func wrongSecretOrDigest() throws {
        let body = try Fixtures.data("text_message.json")
        let other = WebhookSigner.sign(body: body, appSecret: "another secret")
        #expect(WebhookSignature.verify(body: body, header: other, appSecret: secret) == .invalid)
        let zeros = "sha256=" + String(repeating: "0", count: 64)
        #expect(WebhookSignature.verify(body: body, header: zeros, appSecret: secret) == .invalid)
    }

    @Test(arguments: [
        "sha1=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        "SHA256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        "sha256=",
        "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c091",
        "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c09",
        "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914ff",
        "sha256=zz29a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c09é",
        "sha256= 0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
    ])
    func malformedHeaders(header: String) {
        #expect(WebhookSignature.verify(body: Data("test".utf8), header: header, appSecret: "secret") == .invalid)
    }

    @Test func uppercaseHexAndSurroundingWhitespaceAccepted() {
        let header = " sha256=0329A06B62CD16B33EB6792BE8C60B158D89A2EE3A876FCE9A881EBB488C0914 "
        #expect(WebhookSignature.verify(body: Data("test".utf8), header: header, appSecret: "secret") == .valid)
    }

    @Test func everyOneByteChangeIsCaught() throws {
        let body = try Fixtures.data("raw_wire_image_message_escaped.json")
        let header = WebhookSigner.sign(body: body, appSecret: secret)
        // Flip each of a spread of bytes, including inside the \u00e9 and \/ escapes.
        let text = String(decoding: body, as: UTF8.self)
        let escapeOffset = try #require(text.range(of: #"\u00e9"#)).lowerBound.utf16Offset(in: text)
        let slashOffset = try #require(text.range(of: #"\/"#)).lowerBound.utf16Offset(in: text)
        for offset in [0, 1, escapeOffset, escapeOffset + 5, slashOffset, body.count / 2, body.count - 1] {
            var changed = body
            changed[offset] ^= 0x01
            #expect(WebhookSignature.verify(body: changed, header: header, appSecret: secret) == .invalid, "byte \(offset)")
        }
        #expect(WebhookSignature.verify(body: body + Data(" ".utf8), header: header, appSecret: secret) == .invalid)
        #expect(WebhookSignature.verify(body: body.dropLast(), header: header, appSecret: secret) == .invalid)
        // Unescaping \u00e9 to é (same meaning, other bytes) is a different body.
        let unescaped = Data(text.replacingOccurrences(of: #"\u00e9"#, with: "é").utf8)
        #expect(WebhookSignature.verify(body: unescaped, header: header, appSecret: secret) == .invalid)
    }

    @Test func emptySecretRejectsEverything() {
        let body = Data("{}".utf8)
        let header = WebhookSigner.sign(body: body, appSecret: "")
        #expect(WebhookSignature.verify(body: body, header: header, appSecret: "") == .invalid)
    }

    @Test func signerAgreesWithModuleOnManyBodies() {
        var generator = SeededGenerator(state: 42)
        for length in [0, 1, 63, 64, 65, 1000] {
            let body = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let header = WebhookSigner.sign(body: body, appSecret: secret)
            #expect(header == WebhookSignature.sign(body: body, appSecret: secret))
            #expect(header.count == 7 + 64)
            #expect(WebhookSignature.verify(body: body, header: header, appSecret: secret) == .valid)
            #expect(WebhookSignature.verify(body: Array(body), header: header, appSecret: secret) == .valid)
        }
    }
}

@Suite("Webhook verification (GET hub.challenge)")
struct WebhookVerificationTests {
    @Test func metaExample() {
        let query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
        #expect(WebhookVerification.challenge(query: query, expectedToken: "meatyhamhock") == "1158201444")
    }

    @Test func challengeEchoedByteForByte() {
        let items = [
            URLQueryItem(name: "hub.mode", value: "subscribe"),
            URLQueryItem(name: "hub.verify_token", value: "tok"),
            URLQueryItem(name: "hub.challenge", value: "0012 não-numérico/é"),
        ]
        #expect(WebhookVerification.challenge(queryItems: items, expectedToken: "tok") == "0012 não-numérico/é")
        // Leading zeros survive (never parsed as an integer); percent-decoding is the normal one.
        #expect(
            WebhookVerification.challenge(query: "hub.mode=subscribe&hub.verify_token=a%20b&hub.challenge=007%2B1", expectedToken: "a b")
                == "007+1"
        )
    }

    @Test(arguments: [
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhoc",
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhockk",
        "hub.mode=subscribe&hub.challenge=1",
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock",
        "hub.challenge=1&hub.verify_token=meatyhamhock",
        "hub.mode=subscribe&hub.verify_token=meatyhamhock",
        "hub_mode=subscribe&hub_challenge=1&hub_verify_token=meatyhamhock",
        "",
    ])
    func refused(query: String) {
        #expect(WebhookVerification.challenge(query: query, expectedToken: "meatyhamhock") == nil)
    }

    @Test func emptyConfiguredTokenRefusesEverything() {
        #expect(WebhookVerification.challenge(mode: "subscribe", verifyToken: "", challenge: "1", expectedToken: "") == nil)
    }
}
