import AdminWeb
import BalcaoApp
import BalcaoTesting
import Foundation
import GRDB
import HummingbirdTesting
import Storage
import Testing

/// An operator answering a customer whose 24 hours are over: the thread offers the account's approved templates (read
/// from the fake Graph API in Meta's wire format, cached), and the chosen one goes out through the outbox with its
/// parameters. Real daemon and workers over loopback.
@Suite("Templates for late replies", .serialized)
struct TemplateReplyTests {
    @Test("after 24 hours the thread lists the approved templates; the chosen one is sent with its parameters and audited")
    func lateReplyAsTemplate() async throws {
        let graph = try await FakeGraphAPI.start()
        defer { Task { await graph.stop() } }
        let harness = try AdminHarness { configuration in
            configuration.whatsapp.accessToken = graph.accessToken
            configuration.whatsapp.graphBaseURL = graph.baseURL
            configuration.whatsapp.businessAccountID = FakeGraphAPI.businessAccountID
        }
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await database.writer.write { db in
            try db.execute(sql: "UPDATE conversation SET lastInboundAt = ?", arguments: [Date().addingTimeInterval(-25 * 3600)])
        }
        let thread = "/admin/conversations/\(fixture.conversationID)"
        try await harness.application().test(.live) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let page = try await browser.get(thread)
            #expect(page.text.contains("id=\"template-picker\""))
            #expect(page.text.contains("retomar_atendimento"))
            #expect(page.text.contains("pedido_pronto"))
            #expect(!page.text.contains("promo_natal"), "a rejected template is not offered")
            #expect(!page.text.contains("aviso_novo"), "a pending template is not offered")
            try await browser.get(thread)
            #expect(graph.templateReadCount == 1, "the list is cached")

            let refused = try await browser.post(
                "\(thread)/template",
                [("name", "retomar_atendimento"), ("language", "pt_BR"), ("parameter", "Maria")]
            )
            #expect(refused.status == .badRequest || refused.status == .seeOther)
            #expect(graph.sentMessages.isEmpty, "two parameters are needed")

            try await browser.get(thread)
            let sent = try await browser.post(
                "\(thread)/template",
                [("name", "retomar_atendimento"), ("language", "pt_BR"), ("parameter", "Maria"), ("parameter", "a entrega de domingo")]
            )
            #expect(sent.status == .seeOther)
            let requests = await graph.waitForRequests(1, timeout: .seconds(30)) { !$0.isMarkAsRead }
            let json = try #require(requests.first?.json)
            #expect(json["type"] as? String == "template")
            let template = try #require(json["template"] as? [String: Any])
            #expect(template["name"] as? String == "retomar_atendimento")
            #expect((template["language"] as? [String: Any])?["code"] as? String == "pt_BR")
            let parameters = ((template["components"] as? [[String: Any]])?.first?["parameters"] as? [[String: Any]])?.compactMap {
                $0["text"] as? String
            }
            #expect(parameters == ["Maria", "a entrega de domingo"])
            // The thread shows what the customer reads.
            let messages = try database.messages(ofConversation: fixture.conversationID)
            #expect(messages.last?.text.contains("Olá, Maria! Aqui é da Loja Exemplo, sobre a sua mensagem: a entrega de domingo.") == true)
            #expect(messages.last?.author == "operator")
        }
        let audit = try await database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT detail FROM auditEntry WHERE action = 'conversation.template'")
        }
        #expect(audit.count == 1)
    }
}
