import AdminWeb
import BalcaoApp
import BalcaoTesting
import Foundation
import GRDB
import HummingbirdTesting
import Storage
import Testing

/// The admin page with more than one channel: the list shows each conversation's channel and filters by it, an
/// Instagram thread says what a person's reply can still do, and an agent chooses the channels it answers.
@Suite("Admin pages: channels", .serialized)
struct ChannelPagesTests {
    static func instagramHarness(graph: FakeGraphAPI) throws -> AdminHarness {
        try AdminHarness { configuration in
            configuration.instagram.appSecret = "instagram-app-secret"
            configuration.instagram.accessToken = graph.accessToken
            configuration.instagram.graphBaseURL = graph.baseURL
        }
    }

    @Test("the list shows the channel and filters by it; an Instagram thread names the human-agent window, then refuses")
    func instagramThread() async throws {
        let graph = try await FakeGraphAPI.start()
        defer { Task { await graph.stop() } }
        let harness = try Self.instagramHarness(graph: graph)
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await database.writer.write { db in
            try db.execute(
                sql: "UPDATE conversation SET channel = 'instagram', customerID = '6020000000000001', lastInboundAt = ?",
                arguments: [Date().addingTimeInterval(-30 * 3600)]
            )
        }
        let thread = "/admin/conversations/\(fixture.conversationID)"
        try await harness.application().test(.live) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let list = try await browser.get("/admin/conversations")
            #expect(list.text.contains(#"data-channel="instagram""#) && list.text.contains("channel-icon channel-instagram"))
            #expect(list.text.contains(#"<select name="channel">"#) && list.text.contains("IG 6020000000000001"))
            #expect(
                try await browser.get("/admin/conversations?channel=instagram").text.contains("data-conversation-id=\"\(fixture.conversationID)\"")
            )
            #expect(!(try await browser.get("/admin/conversations?channel=whatsapp").text.contains("data-conversation-id=")))

            // The dashboard counts the last 30 days by channel.
            let dashboard = try await browser.get("/admin/dashboard")
            #expect(dashboard.text.contains(#"id="dashboard-channels""#) && dashboard.text.contains(#"<tr data-channel="instagram">"#))
            #expect(!dashboard.text.contains(#"<tr data-channel="whatsapp">"#))

            let page = try await browser.get(thread)
            #expect(page.text.contains(#"id="window-note""#) && !page.text.contains(#"id="template-picker""#))
            #expect(try await browser.post("\(thread)/reply", [("text", "Oi, aqui é a Júlia.")]).status == .seeOther)
            let sent = await graph.waitForRequests(1, timeout: .seconds(30)) { !$0.isMarkAsRead }
            #expect(sent.first?.instagramTag.tag == "HUMAN_AGENT")

            try await database.writer.write { db in
                try db.execute(sql: "UPDATE conversation SET lastInboundAt = ?", arguments: [Date().addingTimeInterval(-8 * 24 * 3600)])
            }
            let shut = try await browser.get(thread)
            #expect(shut.text.contains(#"id="window-shut""#))
            let refused = try await browser.post("\(thread)/reply", [("text", "Ainda está aí?")])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("7 dias"))
        }
        #expect(graph.sentMessages.count == 1)
    }

    @Test("an agent answers the channels ticked on its form, at least one; a form without them keeps them")
    func agentChannels() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        let path = "/admin/agents/\(fixture.agentID)"
        try await harness.application().test(.live) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            let form = try await browser.get(path)
            #expect(form.text.contains(#"id="agent-channels""#))
            #expect(form.text.components(separatedBy: #"name="channels""#).count - 1 == MessagingChannel.allCases.count)
            let none = try await browser.post(path, [("name", "loja"), ("language", "pt-BR"), ("channels_shown", "1")])
            #expect(none.status == .unprocessableContent)
            #expect(try database.agent(named: "loja")?.channels == MessagingChannel.allCases)
            try await browser.get(path)
            let saved = try await browser.post(path, [("name", "loja"), ("language", "pt-BR"), ("channels_shown", "1"), ("channels", "instagram")])
            #expect(saved.status == .seeOther)
            #expect(try database.agent(named: "loja")?.channels == [.instagram])
            try await browser.get(path)
            #expect(try await browser.post(path, [("name", "loja"), ("language", "pt-BR")]).status == .seeOther)
            #expect(try database.agent(named: "loja")?.channels == [.instagram])
        }
    }
}
