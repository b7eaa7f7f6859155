import AdminWeb
import BalcaoApp
import Foundation
import GRDB
import HummingbirdTesting
import Storage
import Testing

/// The owner exports and erases a customer's data from the conversation page; an operator cannot; a wrong
/// confirmation erases nothing.
@Suite("Customer's data on the admin page")
struct CustomerDataPagesTests {
    @Test("owner: export (zip) and erase after typing the number, audited; operator: neither; a wrong number erases nothing")
    func exportAndErase() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        let thread = "/admin/conversations/\(fixture.conversationID)"
        try await harness.application().test(.router) { client in
            let operatorBrowser = Browser(client)
            try await operatorBrowser.signIn("operator", AdminHarness.operatorPassword)
            #expect(!(try await operatorBrowser.get(thread)).text.contains("id=\"customer-data\""))
            #expect(try await operatorBrowser.get("\(thread)/customer-data.zip").status == .forbidden)
            #expect(try await operatorBrowser.post("\(thread)/erase-customer", [("confirm", "5511999990001")]).status == .forbidden)

            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            let page = try await owner.get(thread)
            #expect(page.text.contains("id=\"customer-data\""))
            let export = try await owner.get("\(thread)/customer-data.zip")
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/zip")
            #expect(export.headers[.contentDisposition] == "attachment; filename=\"cliente-5511999990001.zip\"")
            #expect(Data(buffer: export.body).starts(with: [0x50, 0x4B, 0x03, 0x04]), "a zip archive")

            try await owner.get(thread)
            let wrong = try await owner.post("\(thread)/erase-customer", [("confirm", "5511999990002")])
            #expect(wrong.status == .badRequest || wrong.status == .seeOther)
            #expect(try database.conversation(id: fixture.conversationID) != nil)

            try await owner.get(thread)
            let erased = try await owner.post("\(thread)/erase-customer", [("confirm", "+55 11 99999-0001")])
            #expect(erased.status == .seeOther)
            #expect(erased.location == "/admin/conversations")
            #expect(try database.conversation(id: fixture.conversationID) == nil)
            #expect(try await owner.get(thread).status == .notFound)
        }
        let audit = try database.reader.read { db in
            try Row.fetchAll(db, sql: "SELECT actor, action, target, detail FROM auditEntry WHERE action LIKE 'customer.%' ORDER BY id")
        }
        #expect(audit.map { $0["action"] as String } == ["customer.export", "customer.erase"])
        #expect(audit.last?["actor"] == "owner")
        let everything = try await database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT COALESCE(target, '') || ' ' || COALESCE(detail, '') FROM auditEntry")
        }
        #expect(!everything.contains { $0.contains("5511999990001") }, "the number is in no audit entry")
    }
}
