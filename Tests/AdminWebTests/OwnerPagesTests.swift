import BalcaoApp
import BalcaoTesting
import Conversations
import Credits
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

@testable import AdminWeb

@Suite("Admin: owner pages (dashboard, credits, settings, users, audit)")
struct OwnerPagesTests {
    static let ownerGets = ["/admin/settings", "/admin/users", "/admin/audit"]
    static let sharedGets = ["/admin/dashboard", "/admin/credits", "/admin/credits.csv"]
    static let ownerPosts: [(String, [(String, String)])] = [
        ("/admin/credits/topup", [("amount", "10"), ("reason", "test"), ("kind", "topUp")]),
        ("/admin/credits/threshold", [("threshold", "5")]),
        ("/admin/settings", [("llm_model", "changed-model"), ("action", "save")]),
        ("/admin/users", [("username", "newperson"), ("password", "a long password 1"), ("role", "operator")]),
        ("/admin/users/1/role", [("role", "operator")]),
        ("/admin/users/1/password", [("password", "another long password")]),
        ("/admin/users/1/delete", []),
    ]

    /// A fingerprint of everything the owner POSTs could change.
    func state(_ harness: AdminHarness) throws -> String {
        try harness.balcao.database.reader.read { db in
            let users = try String.fetchAll(db, sql: "SELECT username || ':' || role || ':' || passwordHash FROM adminUser ORDER BY id")
            let entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM creditEntry") ?? 0
            let settings = try String.fetchAll(db, sql: "SELECT key || '=' || COALESCE(value, '') FROM setting ORDER BY key")
            return "\(users)|\(entries)|\(settings)"
        }
    }

    @Test("every owner route × signed out / operator / owner: redirect, 403 or 200, with the security headers")
    func accessMatrix() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let before = try state(harness)
        try await harness.application().test(.router) { client in
            let anonymous = Browser(client)
            try await anonymous.get("/admin/login")
            for path in Self.sharedGets + Self.ownerGets {
                let response = try await anonymous.get(path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.location == "/admin/login", "\(path)")
                expectSecurityHeaders(response)
            }
            for (path, fields) in Self.ownerPosts {
                let response = try await anonymous.post(path, fields)
                #expect(response.location == "/admin/login", "\(path)")
            }
            #expect(try state(harness) == before)

            let operator_ = Browser(client)
            try await operator_.signIn("operator", AdminHarness.operatorPassword)
            for path in Self.sharedGets {
                let response = try await operator_.get(path)
                #expect(response.status == .ok, "\(path)")
                expectSecurityHeaders(response)
            }
            for path in Self.ownerGets {
                let response = try await operator_.get(path)
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.text.contains("error-page"))
                expectSecurityHeaders(response)
            }
            try await operator_.get("/admin/dashboard")
            for (path, fields) in Self.ownerPosts {
                #expect(try await operator_.post(path, fields).status == .forbidden, "\(path)")
            }
            #expect(try state(harness) == before)
            let credits = try await operator_.get("/admin/credits")
            #expect(!credits.text.contains(#"id="topup-form""#), "operators see no top-up form")
            let nav = try await operator_.get("/admin/dashboard")
            #expect(!nav.text.contains(#"href="/admin/settings""#))

            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            for path in Self.sharedGets + Self.ownerGets {
                let response = try await owner.get(path)
                #expect(response.status == .ok, "\(path)")
                expectSecurityHeaders(response)
            }
            #expect(try await owner.get("/admin/credits").text.contains(#"id="topup-form""#))
        }
    }

    @Test("CSRF on owner forms: missing or wrong token → 403, nothing changed")
    func csrfOnOwnerForms() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let before = try state(harness)
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            for (path, fields) in Self.ownerPosts {
                #expect(try await owner.post(path, fields, csrf: "").status == .forbidden, "\(path) without a token")
                #expect(
                    try await owner.post(path, fields, csrf: String(repeating: "A", count: 43)).status == .forbidden,
                    "\(path) with a wrong token"
                )
            }
        }
        #expect(try state(harness) == before)
    }

    @Test("with every price at 0 (answers not metered, the default) a zero balance raises no warning; the credits page says why")
    func unmeteredBalanceIsNoWarning() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            #expect(try await harness.balcao.ledger.balance() == .zero)
            let dashboard = try await owner.get("/admin/dashboard")
            #expect(!dashboard.text.contains("alert-warning"))
            #expect(!dashboard.text.contains("stat-warning"))
            let credits = try await owner.get("/admin/credits")
            #expect(!credits.text.contains("alert-warning"))
            #expect(credits.text.contains("As respostas não são cobradas"))
        }
    }

    @Test("credits: top-up and adjustment with reason, invalid amounts refused, filters, CSV export safe for spreadsheets")
    func credits() async throws {
        // Answers are metered: a balance below the threshold is worth a warning.
        let harness = try AdminHarness { $0.credits.pricePerAnswer = 0.01 }
        try await harness.createUsers()
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            try await owner.get("/admin/credits")
            let topUp = try await owner.post("/admin/credits/topup", [("amount", "100,50"), ("reason", "Pix de março"), ("kind", "topUp")])
            #expect(topUp.location == "/admin/credits")
            #expect(try await harness.balcao.ledger.balance() == CreditAmount(parsing: "100.5"))
            try await owner.post("/admin/credits/topup", [("amount", "-0.5"), ("reason", "=HYPERLINK(\"http://x\")"), ("kind", "adjustment")])
            #expect(try await harness.balcao.ledger.balance() == CreditAmount(credits: 100))
            try await owner.post("/admin/credits/topup", [("amount", "1"), ("reason", "Pix parcela 1\r\nsegunda linha"), ("kind", "topUp")])
            try await owner.post("/admin/credits/topup", [("amount", "-1"), ("reason", "-1"), ("kind", "adjustment")])
            for bad in [("abc", "topUp"), ("-5", "topUp"), ("0", "adjustment"), ("1.1234567", "topUp")] {
                let response = try await owner.post("/admin/credits/topup", [("amount", bad.0), ("reason", "x"), ("kind", bad.1)])
                #expect(response.location == "/admin/credits")
                #expect(try await owner.get("/admin/credits").text.contains("flash-error"), "\(bad)")
            }
            try await owner.post("/admin/credits/topup", [("amount", "5"), ("reason", ""), ("kind", "topUp")])
            #expect(try await harness.balcao.ledger.balance() == CreditAmount(credits: 100))

            let page = try await owner.get("/admin/credits")
            #expect(page.text.contains("Pix de março"))
            #expect(page.text.contains(#"id="credit-balance">100,00<"#))
            let filtered = try await owner.get("/admin/credits?kind=adjustment")
            #expect(filtered.text.contains("HYPERLINK"))
            #expect(!filtered.text.contains("Pix de março"))
            let csv = try await owner.get("/admin/credits.csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.hasPrefix("id,created_at,kind,amount,reason,actor,reference\r\n"))
            #expect(csv.text.contains("topUp,100.5,Pix de março,owner"))
            #expect(csv.text.contains(#""'=HYPERLINK(""http://x"")""#))
            // A reason with a CRLF line break (one Character in Swift, equal to neither "\r" nor "\n") stays one field; a
            // plain negative number is not a formula.
            #expect(csv.text.contains(",topUp,1,\"Pix parcela 1\r\nsegunda linha\",owner,"))
            #expect(csv.text.contains(",adjustment,-1,-1,owner,"))
            let timestamp = try #require(csv.text.split(separator: "\r\n").dropFirst().first?.split(separator: ",").dropFirst().first)
            #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/) != nil, "\(timestamp)")

            let threshold = try await owner.post("/admin/credits/threshold", [("threshold", "150")])
            #expect(threshold.location == "/admin/credits")
            #expect(try await owner.get("/admin/dashboard").text.contains("alert-warning"))
            #expect(try await owner.get("/admin/credits").text.contains("alert-warning"))
        }
        let audit = try await harness.balcao.database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT action FROM auditEntry WHERE action LIKE 'credits.%' OR action = 'settings.update' ORDER BY id")
        }
        #expect(audit == ["credits.top_up", "credits.adjust", "credits.top_up", "credits.adjust", "settings.update"])
    }

    @Test("settings: secrets sealed at rest and never re-displayed; test connection against the fakes; saved LLM used by the next answer")
    func settingsLive() async throws {
        let llm = try await FakeLLM.start(reply: "Resposta do modelo novo.")
        let graph = try await FakeGraphAPI.start(accessToken: "graph-token-123")
        defer {
            Task {
                await llm.stop()
                await graph.stop()
            }
        }
        let harness = try AdminHarness { configuration in
            configuration.whatsapp.graphBaseURL = graph.baseURL
        }
        try await harness.createUsers()
        #expect(harness.balcao.answerer.chatModel == nil, "no model configured at start")
        let secret = "sk-live-SECRET-\(UUID().uuidString)"
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            let page = try await owner.get("/admin/settings")
            for name in ["llm_base_url", "llm_model", "llm_api_key", "whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token"] {
                #expect(page.text.contains(#"name="\#(name)""#), "\(name)")
            }
            // Test connection with typed values (nothing saved).
            let tested = try await owner.post(
                "/admin/settings",
                [("llm_base_url", llm.baseURL), ("llm_model", "modelo-teste"), ("llm_api_key", secret), ("action", "test_llm")]
            )
            #expect(tested.status == .ok)
            #expect(tested.text.contains(#"id="llm-test-result""#))
            #expect(tested.text.contains("alert-success"))
            #expect(!tested.text.contains(secret))
            #expect(llm.requests.last?.authorization == "Bearer \(secret)")
            #expect(try await harness.balcao.database.reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM setting") } == 0)
            llm.failNext(1, status: 401, message: "invalid api key")
            let failed = try await owner.post("/admin/settings", [("llm_base_url", llm.baseURL), ("llm_api_key", "wrong"), ("action", "test_llm")])
            #expect(failed.text.contains("alert-error"))
            #expect(failed.text.contains("401"))

            let waWrong = try await owner.post(
                "/admin/settings",
                [("whatsapp_access_token", "bad"), ("whatsapp_phone_number_id", "106540352242922"), ("action", "test_whatsapp")]
            )
            #expect(waWrong.text.contains(#"id="whatsapp-test-result""#))
            #expect(waWrong.text.contains("alert-error"))
            let waOK = try await owner.post(
                "/admin/settings",
                [("whatsapp_access_token", "graph-token-123"), ("whatsapp_phone_number_id", "106540352242922"), ("action", "test_whatsapp")]
            )
            #expect(waOK.text.contains("alert-success"))
            #expect(waOK.text.contains("+55 11 4000-0000"))

            // Save: takes effect without a restart.
            let saved = try await owner.post(
                "/admin/settings",
                [
                    ("llm_base_url", llm.baseURL), ("llm_model", "<script>alert(1)</script>"), ("llm_api_key", secret),
                    ("whatsapp_verify_token", "verify-me"),
                    ("action", "save"),
                ]
            )
            #expect(saved.location == "/admin/settings")
            let after = try await owner.get("/admin/settings")
            #expect(after.text.contains("flash-success"))
            #expect(!after.text.contains(secret), "a saved secret is never shown again")
            #expect(!after.text.contains("verify-me"))
            #expect(!after.text.contains("<script>alert(1)</script>"))
            #expect(after.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))

            let verified = try await client.execute(
                uri: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=4242",
                method: .get
            )
            #expect(verified.status == .ok)
            #expect(String(buffer: verified.body) == "4242")

            // Leaving a secret empty keeps it.
            try await owner.post("/admin/settings", [("llm_base_url", llm.baseURL), ("llm_model", "modelo-2"), ("action", "save")])
        }
        #expect(harness.balcao.liveSettings.current.llmAPIKey == secret)
        #expect(harness.balcao.liveSettings.current.llmModel == "modelo-2")
        // The next answer goes to the model just saved, with its key.
        #expect(harness.balcao.answerer.chatModel != nil)
        let answer = try await harness.balcao.answerer.generate(question: "Qual o horário?", agent: nil, passages: [], history: [])
        #expect(answer.text == "Resposta do modelo novo.")
        #expect(llm.requests.last?.authorization == "Bearer \(secret)")
        #expect(llm.requests.last?.model == "modelo-2")

        // At rest: sealed, the raw database files do not contain the secret.
        let stored = try harness.balcao.database.reader.read { db in
            try Row.fetchOne(db, sql: "SELECT value, sealed FROM setting WHERE key = 'llm.api_key'")
        }
        #expect(stored?["value"] as String? == nil)
        #expect((stored?["sealed"] as Data?)?.isEmpty == false)
        let audit = try await harness.balcao.database.reader.read { db in try String.fetchAll(db, sql: "SELECT COALESCE(detail, '') FROM auditEntry")
        }
        #expect(!audit.joined().contains(secret))
        for suffix in ["", "-wal"] {
            let url = harness.dataDirectory.appendingPathComponent("balcao.sqlite" + suffix)
            if let bytes = FileManager.default.contents(atPath: url.path) {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "balcao.sqlite\(suffix) holds the secret in clear")
            }
        }
    }

    @Test("users: create, change role, reset password (ends sessions), delete; the last owner stays; input is escaped")
    func users() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            try await owner.get("/admin/users")
            let bad = try await owner.post(
                "/admin/users",
                [("username", "<script>alert(1)</script>"), ("password", "a long password 1"), ("role", "operator")]
            )
            #expect(bad.status == .badRequest)
            #expect(!bad.text.contains("<script>alert(1)</script>"))
            #expect(bad.text.contains("&lt;script&gt;"))
            let created = try await owner.post("/admin/users", [("username", "maria"), ("password", "a long password 1"), ("role", "operator")])
            #expect(created.location == "/admin/users")
            let taken = try await owner.post("/admin/users", [("username", "MARIA"), ("password", "a long password 1"), ("role", "operator")])
            #expect(taken.status == .badRequest)
            let maria = try #require(try harness.admin.users.all().first { $0.username == "maria" })
            let mariaID = try #require(maria.id)

            let session = Browser(client)
            try await session.signIn("maria", "a long password 1")
            #expect(try await session.get("/admin/dashboard").status == .ok)
            try await owner.post("/admin/users/\(mariaID)/role", [("role", "owner")])
            #expect(try await session.get("/admin/settings").status == .ok, "the new role applies at once")
            try await owner.post("/admin/users/\(mariaID)/password", [("password", "brand new password")])
            #expect(try await session.get("/admin/dashboard").location == "/admin/login", "a password reset ends the user's sessions")

            let ownerID = try #require(try harness.admin.users.all().first { $0.username == "owner" }?.id)
            try await owner.post("/admin/users/\(mariaID)/delete")
            try await owner.post("/admin/users/\(ownerID)/role", [("role", "operator")])
            #expect(try await owner.get("/admin/users").text.contains("flash-error"), "the last owner cannot be demoted")
            try await owner.post("/admin/users/\(ownerID)/delete")
            #expect(try harness.admin.users.user(id: ownerID)?.role == .owner)
            #expect(try harness.admin.users.all().map(\.username).sorted() == ["operator", "owner"])
        }
        let actions = try await harness.balcao.database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT action FROM auditEntry WHERE action LIKE 'user.%' ORDER BY id")
        }
        #expect(actions == ["user.create", "user.role", "user.password", "user.delete"])
    }

    @Test("audit page: entries with who, what and from where, filters, escaped")
    func auditPage() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        try await harness.application().test(.router) { client in
            let visitor = Browser(client)
            try await visitor.get("/admin/login")
            try await visitor.post("/admin/login", [("username", "<img src=x onerror=alert(1)>"), ("password", "nope nope nope")])
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            let page = try await owner.get("/admin/audit")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"id="audit""#))
            #expect(!page.text.contains("<img src=x"))
            #expect(page.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
            let filtered = try await owner.get("/admin/audit?area=auth&actor=owner")
            #expect(filtered.text.contains("data-audit-id"))
            #expect(!filtered.text.contains("&lt;img"))
            let none = try await owner.get("/admin/audit?area=credits")
            #expect(none.text.contains("empty-state"))
        }
    }

    @Test("dashboard: today and 30 days from real rows, SVG charts without scripts")
    func dashboard() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let now = harness.clock.now
        try await harness.balcao.database.writer.write { db in
            for index in 0..<4 {
                try db.execute(
                    sql: "INSERT INTO conversation (phoneNumberID, customerID, addressing, createdAt, updatedAt) VALUES ('1', ?, 'to', ?, ?)",
                    arguments: ["55119\(index)", now, now]
                )
                let conversation = db.lastInsertedRowID
                let when = now.addingTimeInterval(index < 2 ? -60 : -5 * 86400)
                try db.execute(
                    sql:
                        "INSERT INTO message (conversationId, direction, author, kind, text, createdAt, updatedAt) VALUES (?, 'in', 'customer', 'text', 'oi', ?, ?)",
                    arguments: [conversation, when, when]
                )
                try db.execute(
                    sql:
                        "INSERT INTO message (conversationId, direction, author, kind, text, createdAt, updatedAt) VALUES (?, 'out', 'assistant', 'text', 'olá', ?, ?)",
                    arguments: [conversation, when, when]
                )
                try db.execute(
                    sql:
                        "INSERT INTO answer (conversationId, question, text, outcome, sources, latencyMs, createdAt) VALUES (?, 'oi', 'olá', ?, '[]', ?, ?)",
                    arguments: [conversation, ["generated", "handoff", "generated", "unanswered"][index], 800 + index * 100, when]
                )
            }
        }
        try await harness.balcao.ledger.topUp(amount: CreditAmount(credits: 50), reason: "start", actor: "test")
        try await harness.application().test(.router) { client in
            let owner = Browser(client)
            try await owner.signIn("owner", AdminHarness.ownerPassword)
            let page = try await owner.get("/admin/dashboard")
            #expect(page.status == .ok)
            #expect(page.text.components(separatedBy: #"<svg class="chart""#).count == 4, "messages, outcomes and closed conversations by day")
            #expect(page.text.contains("<rect class=\"bar-in\""))
            #expect(!page.text.contains("<script>"))
            #expect(page.text.contains("50,00"))
            let english = try await owner.get("/admin/language?lang=en&next=%2Fadmin%2Fdashboard")
            #expect(english.location == "/admin/dashboard")
            let en = try await owner.get("/admin/dashboard")
            #expect(en.text.contains("Last 30 days"))
            #expect(en.text.contains("50.00"))
        }
        let stats = try harness.balcao.database.activityStats(now: now)
        #expect(stats.today.conversations == 2)
        #expect(stats.today.messagesIn == 2)
        #expect(stats.today.answered == 1)
        #expect(stats.today.handedOff == 1)
        #expect(stats.today.unanswered == 0)
        #expect(stats.month.conversations == 4)
        #expect(stats.month.messagesOut == 4)
        #expect(stats.month.answered == 2)
        #expect(stats.month.unanswered == 1)
        #expect(stats.month.medianReplyMs == 800)
        #expect(stats.month.p95ReplyMs == 1000)
        #expect(stats.days.count == 30)
        #expect(stats.days.map(\.messagesIn).reduce(0, +) == 4)
        #expect(stats.documentsIndexed == 0)
    }
}
