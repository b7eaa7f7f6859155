import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// Webhook in → exactly one correct reply out, over real HTTP with a fake Graph API and a fake LLM on loopback.
@Suite("WhatsApp answering, end to end")
struct WhatsAppFlowTests {
    static let fixtureDirectory = SharedFixtures.shared.appendingPathComponent("whatsapp/fixtures")

    /// What each fixture must lead to.
    enum Expectation: Sendable { case answer, textOnlyReply, fileUnavailableReply, noReply }

    static let fixtures: [(String, Expectation)] = [
        ("text_message.json", .answer), ("text_message_official_docs.json", .answer), ("text_message_bsuid_v25.json", .answer),
        ("reply_text_message.json", .answer), ("ctwa_referral_text_message.json", .answer),
        ("interactive_button_reply.json", .answer), ("interactive_list_reply.json", .answer), ("template_quick_reply_button.json", .answer),
        // Photos, documents and stickers are fetched: the fake Graph API does not have the fixtures' files, so the
        // customer is asked to send them again.
        ("image_message.json", .fileUnavailableReply), ("document_message.json", .fileUnavailableReply),
        ("sticker_message.json", .fileUnavailableReply), ("raw_wire_image_message_escaped.json", .fileUnavailableReply),
        ("audio_voice_message.json", .fileUnavailableReply), ("video_message_forwarded.json", .textOnlyReply),
        ("location_message.json", .textOnlyReply), ("contacts_message.json", .textOnlyReply), ("unsupported_message.json", .textOnlyReply),
        ("reaction_message.json", .noReply), ("reaction_removed_message.json", .noReply), ("system_user_changed_number.json", .noReply),
        ("status_sent.json", .noReply), ("status_delivered.json", .noReply), ("status_read.json", .noReply), ("status_failed.json", .noReply),
        ("status_failed_131047_DERIVED.json", .noReply), ("status_sent_pmp_bsuid_v25.json", .noReply),
        ("status_delivered_pmp_bsuid_v25.json", .noReply), ("status_read_bsuid_v25.json", .noReply),
        ("errors_webhook_rate_limit_official_docs.json", .noReply),
    ]

    /// The fixture's bytes with message timestamps moved to now (inside the 24-hour window); everything else untouched.
    static func freshened(_ name: String) throws -> Data {
        let text = try String(contentsOf: fixtureDirectory.appendingPathComponent(name), encoding: .utf8)
        let now = String(Int(Date().timeIntervalSince1970))
        let pattern = try NSRegularExpression(pattern: #""timestamp"\s*:\s*"\d+""#)
        let replaced = pattern.stringByReplacingMatches(
            in: text,
            range: NSRange(text.startIndex..., in: text),
            withTemplate: "\"timestamp\": \"\(now)\""
        )
        return Data(replaced.utf8)
    }

    @Test("every fixture: signed delivery → 200 and exactly the expected reply", arguments: fixtures)
    func fixture(_ name: String, _ expectation: Expectation) async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let body = try Self.freshened(name)
        try await harness.run { client in
            let response = try await harness.deliver(body, client: client)
            #expect(response.status == .ok)
            switch expectation {
            case .answer:
                let sent = await harness.waitForSends(1)
                #expect(sent.count == 1, "\(name): \(sent.count) replies")
                let reply = try #require(sent.first?.json)
                #expect(reply["messaging_product"] as? String == "whatsapp")
                // Text, or — for a question the documents do not cover — text with the "Falar com atendente" button.
                #expect(reply["type"] as? String == "text" || sent.first?.replyButtons.map(\.id) == ["balcao:handoff"], "\(name)")
                #expect(reply["to"] != nil || reply["recipient"] != nil)
                #expect(sent.first?.authorization == "Bearer \(harness.graph.accessToken)")
            case .textOnlyReply:
                let sent = await harness.waitForSends(1)
                #expect(sent.count == 1, "\(name): \(sent.count) replies")
                #expect(sent.first?.textBody?.contains("só consigo ler mensagens de texto") == true)
            case .fileUnavailableReply:
                let sent = await harness.waitForSends(1)
                #expect(sent.map(\.textBody) == ["Não consegui baixar o arquivo que você enviou. Pode enviar de novo?"], "\(name)")
                #expect(harness.llm?.requestCount == 0)
            case .noReply:
                try await Task.sleep(for: .milliseconds(900))
                #expect(harness.sentTexts.isEmpty, "\(name) must not be answered")
                #expect(harness.llm?.requestCount == 0)
            }
        }
    }

    @Test("a question the documents answer gets the model's answer, formatted for WhatsApp, with the passages in the prompt")
    func answersFromDocuments() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução de produtos?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody == "Você pode devolver em até *7 dias* após a entrega (politica.txt).")
            #expect(sent.first?.json?["to"] as? String == "5511999990001")
            let prompt = try #require(harness.llm?.lastRequest?.prompt)
            #expect(prompt.contains("até 7 dias corridos após a entrega"))
            #expect(prompt.contains("politica.txt"))
            #expect(prompt.contains("Você é a assistente da Loja Exemplo."))
            // The customer's message was marked read with a typing indicator.
            #expect(harness.graph.requests.contains { $0.isMarkAsRead })
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let answers = try harness.daemon.balcao.database.answers(ofConversation: conversation.id!)
            #expect(answers.map(\.outcome) == [.generated])
            #expect(answers.first?.sources.contains("chunk_id") == true)
            // The sources read back are the chunks of the document the prompt quoted.
            let cited = try #require(answers.first?.citedSources)
            #expect(!cited.isEmpty && cited.allSatisfy { $0.chunkID > 0 && $0.score > 0 })
        }
    }

    @Test("the same delivery twice, and ten times at once, is answered once")
    func duplicates() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let first = WhatsAppHarness.textWebhook("Qual o horário de atendimento?", id: "wamid.DUPLICATE-1")
            #expect(try await harness.deliver(first, client: client).status == .ok)
            #expect(try await harness.deliver(first, client: client).status == .ok)
            let second = WhatsAppHarness.textWebhook("E o telefone?", from: "5511999990002", id: "wamid.DUPLICATE-2")
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 { group.addTask { try await harness.deliver(second, client: client).status } }
                for try await status in group { #expect(status == .ok) }
            }
            let sent = await harness.waitForSends(2, settle: .seconds(1))
            #expect(sent.count == 2)
            #expect(Set(sent.compactMap { $0.json?["to"] as? String }) == ["5511999990001", "5511999990002"])
        }
    }

    @Test("forged or missing signatures are refused and nothing is stored")
    func signatures() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let body = WhatsAppHarness.textWebhook("Olá")
            #expect(try await harness.deliver(body, client: client, signature: .some(nil)).status == .unauthorized)
            let forged = WebhookSigner.sign(body: body, appSecret: "not-the-secret")
            #expect(try await harness.deliver(body, client: client, signature: forged).status == .forbidden)
            let valid = WebhookSigner.sign(body: body, appSecret: WhatsAppHarness.appSecret)
            var tampered = body
            tampered[tampered.count - 3] ^= 0x01
            #expect(try await harness.deliver(tampered, client: client, signature: valid).status == .forbidden)
            #expect(try await harness.deliver(body, client: client, signature: "sha256=zz").status == .forbidden)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try harness.daemon.balcao.database.unprocessedWebhooks().isEmpty)
            #expect(try harness.daemon.balcao.database.conversations().isEmpty)
            #expect(harness.sentTexts.isEmpty)
        }
    }

    @Test("Meta's verification handshake echoes the challenge only for the right token")
    func verification() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let ok = try await client.execute(
                uri: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=\(WhatsAppHarness.verifyToken)&hub.challenge=1158201444",
                method: .get
            )
            #expect(ok.status == .ok)
            #expect(String(buffer: ok.body) == "1158201444")
            let wrong = try await client.execute(uri: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", method: .get)
            #expect(wrong.status == .forbidden)
        }
    }

    @Test("a body with \\u00e9 and \\/ escapes verifies on its raw bytes and is read")
    func escapedBody() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            let now = Int(Date().timeIntervalSince1970)
            let raw =
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jos\u00e9"},"wa_id":"5511988887777"}],"messages":[{"from":"5511988887777","id":"wamid.ESC","timestamp":"\#(now)","type":"text","text":{"body":"Qual o prazo de devolu\u00e7\u00e3o? Vi em https:\/\/loja.example\/trocas"}}]}}]}]}"#
            #expect(try await harness.deliver(Data(raw.utf8), client: client).status == .ok)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            #expect(conversation.customerName == "José")
            let message = try #require(try harness.daemon.balcao.database.messages(ofConversation: conversation.id!).first)
            #expect(message.text == "Qual o prazo de devolução? Vi em https://loja.example/trocas")
        }
    }

    @Test("a burst of three messages gets one answer")
    func burst() async throws {
        // The quiet period is long enough that three deliveries 150 ms apart stay inside it on a loaded 2-core machine
        // (a 3 s period failed there, and 8 s under the thread sanitizer: a delivery stored more than a period after
        // the one before started a turn of its own). The turn's start is the database's due time, on the wall clock.
        let harness = try await WhatsAppHarness.start { $0.whatsapp.quietPeriodSeconds = 20.0 }
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            for text in ["Oi", "queria saber", "qual o prazo para devolução?"] {
                try await harness.deliver(WhatsAppHarness.textWebhook(text), client: client)
                try await Task.sleep(for: .milliseconds(150))
            }
            let sent = await harness.waitForSends(1, settle: .milliseconds(20_500), timeout: .seconds(120))
            let conversation = try #require(try harness.daemon.balcao.database.conversations().first)
            let answers = try harness.daemon.balcao.database.answers(ofConversation: conversation.id!)
            #expect(sent.count == 1, "\(answers.map { ($0.question, $0.outcome) })")
            #expect(harness.llm?.requestCount == 1)
            #expect(harness.llm?.lastRequest?.prompt.contains("Oi\nqueria saber\nqual o prazo para devolução?") == true)
        }
    }

    @Test("the model failing twice with 500 is retried and the answer still comes from the model")
    func llmRecovers() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        harness.llm?.failNext(2, status: 500)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody?.contains("7 dias") == true)
            #expect(harness.llm?.requestCount == 3)
        }
    }

    @Test("with no model, or the model down, the customer gets the passage quoted with its source")
    func extractive() async throws {
        for withLLM in [false, true] {
            let harness = try await WhatsAppHarness.start(withLLM: withLLM)
            harness.llm?.failNext(100, status: 503)
            try await harness.run { client in
                try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução dos produtos?"), client: client)
                let sent = await harness.waitForSends(1)
                #expect(sent.count == 1)
                let text = try #require(sent.first?.textBody)
                #expect(text.contains("Encontrei isto nos nossos documentos"))
                #expect(text.contains("até 7 dias corridos após a entrega"))
                #expect(text.contains("politica.txt"))
            }
            await harness.stop()
        }
    }

    @Test("a question the documents do not cover gets the out-of-scope message and joins the unanswered list")
    func outOfScope() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook("Vocês vendem bicicletas elétricas aro 29?"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.first?.textBody?.contains("não encontrei essa informação") == true)
            #expect(harness.llm?.requestCount == 0)
            let unanswered = try await client.execute(
                uri: "/api/v1/unanswered",
                method: .get,
                headers: [.authorization: harness.daemon.authorization]
            )
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: unanswered.body)) as? [String: Any])
            let answers = try #require(json["answers"] as? [[String: Any]])
            #expect(answers.first?["question"] as? String == "Vocês vendem bicicletas elétricas aro 29?")
        }
    }

    @Test("the reply to media can be configured, and with [media] enabled = false photos get it too")
    func configuredTextOnlyReply() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false) {
            $0.whatsapp.textOnlyMessage = "Só leio texto, desculpe!"
            $0.media.enabled = false
        }
        defer { Task { await harness.stop() } }
        try await harness.run { client in
            try await harness.deliver(try Self.freshened("image_message.json"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.map(\.textBody) == ["Só leio texto, desculpe!"])
        }
    }
}
