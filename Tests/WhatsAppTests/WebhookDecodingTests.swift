import Foundation
import Testing
import WhatsApp

@Suite("Webhook payload decoding")
struct WebhookDecodingTests {
    /// Every fixture file has expectations here, so a new fixture cannot go unchecked.
    static let expectedFiles: Set<String> = [
        "audio_voice_message.json", "contacts_message.json", "ctwa_referral_text_message.json", "document_message.json",
        "errors_webhook_rate_limit_official_docs.json", "image_message.json", "interactive_button_reply.json",
        "interactive_list_reply.json", "location_message.json", "raw_wire_image_message_escaped.json",
        "reaction_message.json", "reaction_removed_message.json", "reply_text_message.json", "status_delivered.json",
        "status_delivered_pmp_bsuid_v25.json", "status_failed.json", "status_failed_131047_DERIVED.json",
        "status_read.json", "status_read_bsuid_v25.json", "status_sent.json", "status_sent_pmp_bsuid_v25.json",
        "sticker_message.json", "system_user_changed_number.json", "template_quick_reply_button.json",
        "text_message.json", "text_message_bsuid_v25.json", "text_message_official_docs.json",
        "unsupported_message.json", "video_message_forwarded.json",
    ]

    @Test func everyFixtureFileIsCovered() {
        #expect(Set(Fixtures.webhookFiles) == Self.expectedFiles)
    }

    /// The pywa sender shared by most fixtures.
    static let pywaCustomer = CustomerIdentity(
        phone: "972987654321",
        userID: "US.13491208655302741918",
        parentUserID: "US.ENT.11815799212886844830"
    )

    @Test(arguments: Fixtures.webhookFiles)
    func fixtureDecodes(file: String) throws {
        let payload = try WebhookDecoder.decode(try Fixtures.data(file), receivedAt: epoch(0))
        #expect(payload.skipped.isEmpty, "\(payload.skipped)")
        #expect(payload.ignoredChanges.isEmpty)
        if file.hasPrefix("status_") {
            #expect(payload.messages.isEmpty)
            #expect(payload.statuses.count == 1)
        } else if file.hasPrefix("errors_") {
            #expect(payload.events.isEmpty)
        } else {
            #expect(payload.events.count == 1)
            let message = try #require(payload.messages.first)
            // Every inbound fixture is routable and answerable to someone.
            #expect(!message.phoneNumberID.isEmpty)
            #expect(!message.customer.key.isEmpty)
            #expect(message.timestamp != epoch(0))
        }
    }

    private func message(_ file: String) throws -> IncomingMessage {
        let payload = try WebhookDecoder.decode(try Fixtures.data(file))
        #expect(payload.events.count == 1)
        return try #require(payload.messages.first)
    }

    private func status(_ file: String) throws -> StatusUpdate {
        let payload = try WebhookDecoder.decode(try Fixtures.data(file))
        #expect(payload.events.count == 1)
        return try #require(payload.statuses.first)
    }

    @Test func textMessage() throws {
        let message = try message("text_message.json")
        #expect(message.id == "wamid.xyzxyz")
        #expect(message.phoneNumberID == "1122334455667")
        #expect(message.displayPhoneNumber == "972123456789")
        #expect(message.businessAccountID == "1234567890987654321")
        #expect(message.customer == Self.pywaCustomer)
        #expect(message.customer.key == "972987654321")
        #expect(message.customer.replyAddress == .phone("972987654321"))
        #expect(message.profileName == "Test Name")
        #expect(message.timestamp == epoch(1_697_043_223))
        #expect(message.type == "text")
        #expect(message.content == .text("Body Text"))
        #expect(message.content.answerableText == "Body Text")
        #expect(message.contextMessageID == nil)
        #expect(!message.isForwarded)
        #expect(message.media == nil)
    }

    @Test func officialDocsText() throws {
        let message = try message("text_message_official_docs.json")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
        #expect(message.phoneNumberID == "106540352242922")
        #expect(message.displayPhoneNumber == "15550783881")
        #expect(message.customer == CustomerIdentity(phone: "16505551234"))
        #expect(message.profileName == "Sheena Nelson")
        #expect(message.timestamp == epoch(1_749_416_383))
        #expect(message.content == .text("Does it come in another color?"))
    }

    @Test func bsuidText() throws {
        let message = try message("text_message_bsuid_v25.json")
        #expect(message.id == "ABGGFlA5Fpa")
        #expect(message.phoneNumberID == "123456123")
        #expect(message.customer.phone == "16315551181")
        #expect(message.customer.userID == "US.13491208655302741918")
        #expect(message.customer.parentUserID == "US.11815799212886844830")
        #expect(message.customer.replyAddress == .phone("16315551181"))
        #expect(message.profileName == "test user name")
        #expect(message.username == "@testusername")
        #expect(message.content == .text("this is a text message"))
    }

    @Test func bsuidOnlySenderFallsBackToUserID() throws {
        // After the username rollout Meta may omit the phone entirely: no `from`, no `wa_id`.
        var object = try Fixtures.object("text_message_bsuid_v25.json")
        var entry = (object["entry"] as! [[String: Any]])[0]
        var change = (entry["changes"] as! [[String: Any]])[0]
        var value = change["value"] as! [String: Any]
        var message = (value["messages"] as! [[String: Any]])[0]
        message["from"] = nil
        var contact = (value["contacts"] as! [[String: Any]])[0]
        contact["wa_id"] = nil
        value["messages"] = [message]
        value["contacts"] = [contact]
        change["value"] = value
        entry["changes"] = [change]
        object["entry"] = [entry]
        let decoded = try #require(try WebhookDecoder.decode(Fixtures.serialise(object)).messages.first)
        #expect(decoded.customer.phone == nil)
        #expect(decoded.customer.userID == "US.13491208655302741918")
        #expect(decoded.customer.key == "US.13491208655302741918")
        #expect(decoded.customer.replyAddress == .userID("US.13491208655302741918"))
        #expect(decoded.profileName == "test user name")
    }

    @Test func senderFromContactsWhenMessageLacksFrom() throws {
        let body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "metadata":{"phone_number_id":"42"},
            "contacts":[{"profile":{"name":"Ana"},"user_id":"BR.77"}],
            "messages":[{"id":"wamid.A","timestamp":"1700000000","type":"text","text":{"body":"oi"}}]}}]}]}
            """
        let message = try #require(try WebhookDecoder.decode(Data(body.utf8)).messages.first)
        #expect(message.customer == CustomerIdentity(userID: "BR.77"))
        #expect(message.customer.replyAddress == .userID("BR.77"))
        #expect(message.profileName == "Ana")
    }

    @Test func replyContext() throws {
        let message = try message("reply_text_message.json")
        #expect(message.content == .text("replied text"))
        #expect(message.contextMessageID == "wamid.xyzxyz==")
        #expect(message.timestamp == epoch(1_697_044_746))
    }

    @Test func referralText() throws {
        let message = try message("ctwa_referral_text_message.json")
        #expect(message.id == "wamid.ID")
        #expect(message.content == .text("BODY"))
    }

    @Test func interactiveButtonReply() throws {
        let message = try message("interactive_button_reply.json")
        #expect(message.type == "interactive")
        #expect(message.content == .interactive(title: "title", id: "callback_data"))
        #expect(message.content.answerableText == "title")
        #expect(message.contextMessageID == "wamid.xyzxyz")
        #expect(message.businessAccountID == "5467539754836534")
        #expect(message.timestamp == epoch(1_698_266_730))
    }

    @Test func interactiveListReply() throws {
        let message = try message("interactive_list_reply.json")
        #expect(message.id == "wamid.zyzxyz")
        #expect(message.content == .interactive(title: "title", id: "callback_data"))
    }

    @Test func templateQuickReply() throws {
        let message = try message("template_quick_reply_button.json")
        #expect(message.id == "wamid.xsidjw")
        #expect(message.type == "button")
        #expect(message.content == .quickReply(text: "title", payload: "callback_data"))
        #expect(message.content.answerableText == "title")
        #expect(message.contextMessageID == "wamid.xyzxyz==")
    }

    @Test func reaction() throws {
        let message = try message("reaction_message.json")
        #expect(message.content == .reaction(emoji: "😮", messageID: "wamid.yzxyzx="))
        #expect(message.content.answerableText == nil)
    }

    @Test func reactionRemoved() throws {
        let message = try message("reaction_removed_message.json")
        #expect(message.content == .reaction(emoji: nil, messageID: "wamid.yzxyzx="))
        // Older payloads sent "" instead of omitting the key.
        let old = String(decoding: try Fixtures.data("reaction_message.json"), as: UTF8.self)
            .replacingOccurrences(of: #""\ud83d\ude2e""#, with: #""""#)
        let decoded = try #require(try WebhookDecoder.decode(Data(old.utf8)).messages.first)
        #expect(decoded.content == .reaction(emoji: nil, messageID: "wamid.yzxyzx="))
    }

    @Test func systemMessageWithoutContacts() throws {
        let message = try message("system_user_changed_number.json")
        #expect(message.id == "wamid.xyzxyz==")
        #expect(message.content == .system("User A changed from 972987654321 to 972912345678"))
        #expect(message.customer == CustomerIdentity(phone: "972987654321"))
        #expect(message.profileName == nil)
        #expect(message.content.answerableText == nil)
    }

    @Test func unsupportedMessage() throws {
        let message = try message("unsupported_message.json")
        #expect(message.type == "unsupported")
        #expect(message.content == .unsupported(type: "pool"))
        #expect(
            message.errors == [
                GraphErrorDetail(
                    code: 131051,
                    title: "Message type unknown",
                    message: "Message type unknown",
                    details: "Message type is currently not supported."
                )
            ]
        )
    }

    @Test(arguments: [
        ("image_message.json", "image"), ("video_message_forwarded.json", "video"), ("document_message.json", "document"),
        ("audio_voice_message.json", "audio"), ("sticker_message.json", "sticker"), ("location_message.json", "location"),
        ("contacts_message.json", "contacts"), ("raw_wire_image_message_escaped.json", "image"),
    ])
    func mediaMessages(file: String, type: String) throws {
        let message = try message(file)
        #expect(message.content == .media(type: type))
        #expect(message.type == type)
        #expect(message.content.answerableText == nil)
    }

    @Test func mediaDetails() throws {
        let image = try message("image_message.json")
        #expect(image.media == MediaAttachment(id: "65463453", mimeType: "image/jpeg"))
        let video = try message("video_message_forwarded.json")
        #expect(video.isForwarded)
        #expect(video.media?.caption == "caption")
        let document = try message("document_message.json")
        #expect(document.media?.filename == "filename.pdf")
        #expect(document.media?.mimeType == "application/pdf")
        let audio = try message("audio_voice_message.json")
        #expect(audio.media?.isVoice == true)
        #expect(audio.media?.mimeType == "audio/ogg; codecs=opus")
        let location = try message("location_message.json")
        #expect(location.media == nil)
        #expect(location.isForwarded)
        // The message-level `contacts` (shared cards) is not the sender's profile.
        let contacts = try message("contacts_message.json")
        #expect(contacts.profileName == "Test Name")
        #expect(contacts.customer == Self.pywaCustomer)
    }

    @Test func rawWireEscapes() throws {
        let message = try message("raw_wire_image_message_escaped.json")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
        #expect(message.phoneNumberID == "1025723653965602")
        #expect(message.displayPhoneNumber == "15556393799")
        #expect(message.customer == CustomerIdentity(phone: "15550001234", userID: "US.100000000000001"))
        #expect(message.profileName == "Test User")
        #expect(message.timestamp == epoch(1_778_766_865))
        #expect(message.media?.caption == "Hola quiero un café")
        #expect(message.media?.mimeType == "image/jpeg")
        #expect(message.media?.id == "27251809591111687")
    }

    @Test func statusSent() throws {
        let status = try status("status_sent.json")
        #expect(status.messageID == "wamid.xyzxyz")
        #expect(status.status == .sent)
        #expect(status.timestamp == epoch(1_698_266_945))
        #expect(status.recipient == CustomerIdentity(phone: "972987654321"))
        #expect(status.phoneNumberID == "1122334455667")
        #expect(status.pricingCategory == "service")
        #expect(status.billable == true)
        #expect(status.errors.isEmpty)
    }

    @Test func statusDeliveredAndRead() throws {
        #expect(try status("status_delivered.json").status == .delivered)
        let read = try status("status_read.json")
        #expect(read.status == .read)
        #expect(read.timestamp == epoch(1_689_380_458))
    }

    @Test func statusFailed() throws {
        let status = try status("status_failed.json")
        #expect(status.status == .failed)
        #expect(status.errors.map(\.code) == [130472])
        #expect(status.errors.first?.details == "Failed to send message because this user's phone number is part of an experiment")
        #expect(SendFailurePolicy.forError(code: 130472, httpStatus: nil) == .doNotRetry)
    }

    @Test func statusFailedOutsideWindow() throws {
        let status = try status("status_failed_131047_DERIVED.json")
        #expect(status.messageID == "wamid.reengagement-failed-1")
        #expect(status.status == .failed)
        #expect(status.errors.first?.code == 131047)
        #expect(status.errors.first?.title == "Re-engagement message")
        #expect(SendFailurePolicy.forError(code: 131047, httpStatus: nil) == .doNotRetry)
    }

    @Test(arguments: [
        ("status_sent_pmp_bsuid_v25.json", DeliveryStatus.sent), ("status_delivered_pmp_bsuid_v25.json", .delivered),
        ("status_read_bsuid_v25.json", .read),
    ])
    func bsuidStatuses(file: String, expected: DeliveryStatus) throws {
        let status = try status(file)
        #expect(status.messageID == "ABGGFlA5Fpa")
        #expect(status.status == expected)
        #expect(status.phoneNumberID == "123456123")
        #expect(status.timestamp == epoch(1_504_902_988))
        #expect(
            status.recipient
                == CustomerIdentity(phone: "16315551181", userID: "US.13491208655302741918", parentUserID: "US.11815799212886844830")
        )
    }

    @Test func pmpPricing() throws {
        let status = try status("status_sent_pmp_bsuid_v25.json")
        #expect(status.pricingCategory == "marketing")
        #expect(status.billable == true)
    }

    @Test func valueLevelErrors() throws {
        let payload = try WebhookDecoder.decode(try Fixtures.data("errors_webhook_rate_limit_official_docs.json"))
        #expect(payload.events.isEmpty)
        #expect(payload.errors.count == 1)
        #expect(payload.errors.first?.phoneNumberID == "106540352242922")
        #expect(payload.errors.first?.error.code == 130429)
        #expect(payload.errors.first?.error.title == "Rate limit hit")
    }

    @Test func deliveryStatusOrder() {
        #expect(DeliveryStatus.sent < .failed)
        #expect(DeliveryStatus.failed < .delivered)
        #expect(DeliveryStatus.delivered < .read)
        #expect(DeliveryStatus.sent.supersedes(nil))
        #expect(DeliveryStatus.delivered.supersedes(.sent))
        #expect(DeliveryStatus.read.supersedes(.sent))  // read without delivered is fine
        #expect(!DeliveryStatus.delivered.supersedes(.read))  // never downgrade
        #expect(!DeliveryStatus.sent.supersedes(.sent))
        #expect(DeliveryStatus.failed.supersedes(.sent))
        #expect(!DeliveryStatus.failed.supersedes(.delivered))
        #expect(DeliveryStatus.read.supersedes(.failed))  // a late read from another device
    }

    @Test func batchesEveryEntryChangeAndItem() throws {
        let body = """
            {"object":"whatsapp_business_account","entry":[
              {"id":"W1","changes":[
                {"field":"messages","value":{"metadata":{"phone_number_id":"P1","display_phone_number":"551100"},
                  "contacts":[{"profile":{"name":"A"},"wa_id":"111"},{"profile":{"name":"B"},"wa_id":"222"}],
                  "messages":[
                    {"from":"111","id":"wamid.1","timestamp":"1700000001","type":"text","text":{"body":"one"}},
                    {"from":"222","id":"wamid.2","timestamp":1700000002,"type":"text","text":{"body":"two"}}]}},
                {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}},
                {"field":"messages","value":{"metadata":{"phone_number_id":"P1"},
                  "statuses":[{"id":"wamid.out","status":"delivered","timestamp":"1700000003","recipient_id":"111"},
                              {"id":"wamid.out2","status":"played","timestamp":"1700000004","recipient_id":"111"}]}}]},
              {"id":"W2","changes":[
                {"field":"messages","value":{"metadata":{"phone_number_id":"P2"},"unknown_future_key":{"x":[1,2]},
                  "messages":[{"from":"333","id":"wamid.3","timestamp":"1700000005","type":"order","order":{"catalog_id":"c"}}]}},
                {"field":"message_template_status_update","value":{}}]}]}
            """
        let payload = try WebhookDecoder.decode(Data(body.utf8))
        #expect(payload.skipped.isEmpty)
        #expect(payload.messages.map(\.id) == ["wamid.1", "wamid.2", "wamid.3"])
        #expect(payload.messages.map(\.profileName) == ["A", "B", nil])
        #expect(payload.messages[1].timestamp == epoch(1_700_000_002))
        #expect(payload.messages[2].phoneNumberID == "P2")
        #expect(payload.messages[2].businessAccountID == "W2")
        #expect(payload.messages[2].content == .unsupported(type: "order"))
        #expect(payload.statuses.map(\.status) == [.delivered, .read])
        #expect(
            payload.ignoredChanges == [
                IgnoredChange(businessAccountID: "W1", field: "account_update"),
                IgnoredChange(businessAccountID: "W2", field: "message_template_status_update"),
            ]
        )
        // Events keep body order.
        if case .message(let first) = payload.events[0] { #expect(first.id == "wamid.1") } else { Issue.record("order") }
        if case .status(let third) = payload.events[2] { #expect(third.messageID == "wamid.out") } else { Issue.record("order") }
    }

    @Test func malformedItemsAreSkippedNotFatal() throws {
        let body = """
            {"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{
              "metadata":{"phone_number_id":"P"},
              "messages":[
                {"from":"1","id":{"nested":true},"type":"text","text":{"body":"bad id"}},
                "not an object",
                {"from":"1","type":"text","text":{"body":"no id"}},
                {"id":"wamid.nosender","type":"text","text":{"body":"no sender"}},
                {"from":"1","id":"wamid.ok","timestamp":"oops","type":"text","text":{"body":"fine"}},
                {"from":"1","id":"wamid.new","type":"poll_vote","poll_vote":{}},
                {"from":"1","id":"wamid.emptytext","type":"text"}],
              "statuses":[{"id":"wamid.s","status":"deleted"},{"status":"read"},{"id":"wamid.r","status":"READ"}]}}]}]}
            """
        let received = epoch(1_800_000_000)
        let payload = try WebhookDecoder.decode(Data(body.utf8), receivedAt: received)
        #expect(payload.messages.map(\.id) == ["wamid.ok", "wamid.new", "wamid.emptytext"])
        #expect(payload.messages[0].timestamp == received)
        #expect(payload.messages[1].content == .unsupported(type: "poll_vote"))
        #expect(payload.messages[2].content == .unsupported(type: "text"))
        #expect(payload.statuses.map(\.messageID) == ["wamid.r"])
        #expect(payload.skipped.count == 6, "\(payload.skipped)")
    }

    @Test func messageWithoutPhoneNumberIDIsSkipped() throws {
        let body =
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"wamid.x","type":"text","text":{"body":"hi"}}]}}]}]}"#
        let payload = try WebhookDecoder.decode(Data(body.utf8))
        #expect(payload.messages.isEmpty)
        #expect(payload.skipped.count == 1)
    }

    @Test(arguments: ["", "not json", "{", "{\"object\":", "\u{FEFF}garbage"])
    func notJSON(body: String) {
        #expect {
            try WebhookDecoder.decode(Data(body.utf8))
        } throws: { error in
            (error as? WebhookDecodingError)?.kind == .notJSON
        }
    }

    @Test(arguments: [
        "[]", "42", "\"text\"", "null", "{}", #"{"object":"page","entry":[]}"#, #"{"object":"whatsapp_business_account"}"#,
        #"{"entry":[]}"#, #"{"object":"whatsapp_business_account","entry":{}}"#,
    ])
    func notWhatsApp(body: String) {
        #expect {
            try WebhookDecoder.decode(Data(body.utf8))
        } throws: { error in
            guard let error = error as? WebhookDecodingError else { return false }
            return error.kind == .notWhatsAppPayload && !error.description.isEmpty
        }
    }

    @Test func emptyEntryIsFine() throws {
        let payload = try WebhookDecoder.decode(Data(#"{"object":"whatsapp_business_account","entry":[]}"#.utf8))
        #expect(payload == WebhookPayload())
    }
}
