import Foundation
import Instagram
import Testing
import WhatsApp

@Suite("Instagram wire format")
struct InstagramWireTests {
    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func onlyMessage(_ name: String) throws -> InstagramMessage {
        let events = try InstagramWebhookDecoder.decode(fixture(name))
        #expect(events.count == 1)
        guard case .message(let message) = try #require(events.first) else {
            Issue.record("not a message: \(events)")
            throw CancellationError()
        }
        return message
    }

    @Test("a text message: its mid, the account that received it, the customer, the time and the text")
    func text() throws {
        let message = try Self.onlyMessage("text-message")
        #expect(message.id.hasPrefix("aWdf"))
        #expect(message.accountID == "17841400000000001")
        #expect(message.customerID == "6020000000000001")
        #expect(message.timestamp == Date(timeIntervalSince1970: 1_765_100_000))
        #expect(message.text == "Qual o prazo para devolução?")
        #expect(!message.isEcho && message.attachments.isEmpty)
    }

    @Test("story replies, story mentions, photos, quick replies and echoes keep what tells them apart")
    func kinds() throws {
        let story = try Self.onlyMessage("story-reply")
        #expect(story.storyURL?.hasPrefix("https://lookaside.fbsbx.com/") == true && story.text == "Esse tem no tamanho M?")
        #expect(try Self.onlyMessage("story-mention").isStoryMention)
        let photo = try Self.onlyMessage("image-message")
        #expect(photo.attachments.map(\.type) == ["image"] && photo.attachments.first?.url?.contains("asset_id=") == true)
        #expect(try Self.onlyMessage("quick-reply").quickReplyPayload == "balcao:handoff")
        // An echo is the business's own message: the account is its sender.
        let echo = try Self.onlyMessage("echo")
        #expect(echo.isEcho && echo.accountID == "17841400000000001" && echo.customerID == "6020000000000001")
    }

    @Test("a reaction and a read receipt in one delivery are two events")
    func reactionAndRead() throws {
        let events = try InstagramWebhookDecoder.decode(Self.fixture("reaction-and-read"))
        #expect(events.count == 2)
        guard case .reaction(let reaction) = events[0], case .read(let read, let account, _) = events[1] else {
            Issue.record("\(events)")
            return
        }
        #expect(reaction.emoji == "❤️" && reaction.action == "react")
        #expect(read == reaction.messageID && account == "17841400000000001")
    }

    @Test(
        "malformed, WhatsApp's or empty bodies are refused with the reason; unknown events are skipped",
        arguments: [
            ("{", true), (#"{"object":"whatsapp_business_account","entry":[]}"#, true), ("[]", true),
            (#"{"object":"instagram","entry":[{"id":"1","changes":[{"field":"comments"}]}]}"#, false),
            (#"{"object":"instagram","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"timestamp":1,"optin":{}}]}]}"#, false),
        ]
    )
    func hostile(body: String, refused: Bool) {
        do {
            let events = try InstagramWebhookDecoder.decode(Data(body.utf8))
            #expect(!refused && events.isEmpty)
        } catch {
            #expect(refused, "\(error)")
            #expect(!error.description.isEmpty)
        }
    }

    @Test("a reply goes as RESPONSE; a person's late reply with the HUMAN_AGENT tag; quick replies carry payloads")
    func sendBodies() throws {
        let plain = try JSONSerialization.jsonObject(with: InstagramWire.body(.init(recipientID: "602", text: "Oi"))) as? [String: Any]
        #expect(plain?["messaging_type"] as? String == "RESPONSE" && plain?["tag"] == nil)
        #expect((plain?["recipient"] as? [String: String])?["id"] == "602")
        let tagged =
            try JSONSerialization.jsonObject(with: InstagramWire.body(.init(recipientID: "602", text: "Oi", humanAgent: true))) as? [String: Any]
        #expect(tagged?["messaging_type"] as? String == "MESSAGE_TAG" && tagged?["tag"] as? String == "HUMAN_AGENT")
        let quick = InstagramOutgoingMessage(
            recipientID: "602",
            text: "Isso ajudou?",
            quickReplies: [.init(title: "Sim", payload: "balcao:feedback:yes"), .init(title: String(repeating: "x", count: 40), payload: "p")]
        )
        let object = try JSONSerialization.jsonObject(with: InstagramWire.body(quick)) as? [String: Any]
        let replies = try #require((object?["message"] as? [String: Any])?["quick_replies"] as? [[String: String]])
        #expect(replies.map { $0["payload"] } == ["balcao:feedback:yes", "p"])
        #expect(replies.allSatisfy { $0["content_type"] == "text" && ($0["title"]?.count ?? 99) <= 20 })
        #expect(throws: GraphAPIError.self) { try InstagramWire.body(.init(recipientID: "602", text: String(repeating: "a", count: 1_001))) }
    }

    @Test("the Send API's answers: the message id, or Meta's error with its policy")
    func responses() throws {
        let id = try InstagramWire.parseSendResponse(status: 200, body: Data(#"{"recipient_id":"602","message_id":"m_1"}"#.utf8), retryAfter: nil)
        #expect(id == "m_1")
        let window =
            #"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"A1"}}"#
        do {
            _ = try InstagramWire.parseSendResponse(status: 400, body: Data(window.utf8), retryAfter: nil)
            Issue.record("accepted an error")
        } catch {
            guard case .api(let response) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(InstagramSendPolicy.forError(code: response.code, subcode: response.subcode, httpStatus: 400) == .doNotRetry)
        }
        #expect(InstagramSendPolicy.forError(code: 10, subcode: nil, httpStatus: 403) == .stopAndAlert)
        #expect(InstagramSendPolicy.forError(code: 190, subcode: 463, httpStatus: 401) == .stopAndAlert)
        #expect(InstagramSendPolicy.forError(code: 613, subcode: nil, httpStatus: 400) == .retry)
        #expect(InstagramSendPolicy.forError(code: 999, subcode: nil, httpStatus: 503) == .retry)
    }

    @Test("Markdown becomes plain text (Direct shows no formatting) split at 1,000 characters")
    func formatting() {
        let text = InstagramFormatter.plainText("**Prazo:** até *7 dias* corridos, ver [política](https://loja.example/trocas).")
        #expect(!text.contains("*") && text.contains("Prazo:") && text.contains("7 dias") && text.contains("https://loja.example/trocas"))
        #expect(InstagramFormatter.plainText("2 * 3 * 4 = 24") == "2 * 3 * 4 = 24")
        let long = Array(repeating: "Uma frase de teste com algumas palavras.", count: 60).joined(separator: " ")
        let parts = InstagramFormatter.messages(fromMarkdown: long)
        #expect(parts.count >= 3 && parts.allSatisfy { $0.count <= 1_000 })
    }
}
