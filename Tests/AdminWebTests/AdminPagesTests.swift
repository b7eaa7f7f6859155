import AdminWeb
import AsyncHTTPClient
import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// Seeds what the pages show: an agent, an indexed text document, a conversation with an unanswered question.
struct PagesFixture {
    var agentID: Int64
    var documentID: Int64
    var conversationID: Int64
    var answerID: Int64

    static let policy = """
        Política de Trocas

        A devolução de produtos pode ser pedida em até 7 dias após a entrega, com a nota fiscal.
        """

    static func seed(_ harness: AdminHarness, customerText: String = "Vocês entregam aos domingos?") async throws -> PagesFixture {
        let balcao = harness.balcao
        let file = harness.dataDirectory.appendingPathComponent("politica.txt")
        try Data(policy.utf8).write(to: file)
        let registered = try await balcao.library.add(fileAt: file, agent: "loja", password: nil)
        while let job = try await balcao.database.claimNextJob() { await balcao.pipeline.run(job) }
        let agent = try #require(try balcao.database.agent(named: "loja"))
        let (conversationID, answerID) = try await balcao.database.writer.write { db -> (Int64, Int64) in
            let now = Date()
            try db.execute(
                sql: """
                    INSERT INTO conversation (phoneNumberID, customerID, addressing, customerName, agentId, mode, consecutiveUnanswered,
                                              lastInboundAt, createdAt, updatedAt)
                    VALUES ('106540352242922', '5511999990001', 'to', 'Maria <b>Cliente</b>', ?, 'assistant', 1, ?, ?, ?)
                    """,
                arguments: [agent.id, now, now, now]
            )
            let conversation = db.lastInsertedRowID
            try db.execute(
                sql: "INSERT INTO turn (conversationId, state, dueAt, createdAt, updatedAt) VALUES (?, 'done', ?, ?, ?)",
                arguments: [conversation, now, now, now]
            )
            let turn = db.lastInsertedRowID
            try db.execute(
                sql: """
                    INSERT INTO message (conversationId, turnId, direction, author, wamid, kind, text, createdAt, updatedAt)
                    VALUES (?, ?, 'in', 'customer', 'wamid.seed', 'text', ?, ?, ?)
                    """,
                arguments: [conversation, turn, customerText, now, now]
            )
            try db.execute(
                sql: """
                    INSERT INTO message (conversationId, turnId, direction, author, kind, text, status, createdAt, updatedAt)
                    VALUES (?, ?, 'out', 'assistant', 'text', 'Não encontrei essa informação.', 'sent', ?, ?)
                    """,
                arguments: [conversation, turn, now, now]
            )
            try db.execute(
                sql: """
                    INSERT INTO answer (conversationId, turnId, question, text, outcome, sources, latencyMs, createdAt)
                    VALUES (?, ?, ?, 'Não encontrei essa informação.', 'unanswered', '[]', 12, ?)
                    """,
                arguments: [conversation, turn, customerText, now]
            )
            return (conversation, db.lastInsertedRowID)
        }
        return PagesFixture(agentID: agent.id!, documentID: registered.document.id!, conversationID: conversationID, answerID: answerID)
    }
}

@Suite("Admin pages: agents, documents, conversations, unanswered questions")
struct AdminPagesTests {
    /// Runs queued ingestion jobs here, then waits for the document to reach a final state (the daemon's own ingestion
    /// workers may have claimed the job first).
    func ingest(_ harness: AdminHarness, documentID: Int64) async throws -> DocumentStatus? {
        let database = harness.balcao.database
        while let job = try await database.claimNextJob() { await harness.balcao.pipeline.run(job) }
        for _ in 0..<200 {
            if let status = try database.document(id: documentID)?.status, status.isFinal { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try database.document(id: documentID)?.status
    }

    func auditActions(_ harness: AdminHarness) throws -> [String] {
        try harness.balcao.database.reader.read { db in try String.fetchAll(db, sql: "SELECT action FROM auditEntry ORDER BY id") }
    }

    func upload(
        _ browser: Browser,
        files: [(String, Data)],
        fields: [(String, String)] = [],
        json: Bool = false,
        csrf: String? = nil
    ) async throws -> TestResponse {
        var body = MultipartBody()
        for (name, value) in fields { body.addField(name: name, value: value) }
        for (filename, contents) in files { body.addFile(name: "files", filename: filename, contents: contents) }
        var headers: HTTPFields = [.contentType: body.contentType]
        headers[AdminRoutes.csrfHeader] = csrf ?? browser.csrf
        if json { headers[.accept] = "application/json" }
        return try await browser.send("/admin/documents", method: .post, headers: headers, body: ByteBuffer(data: body.encoded))
    }

    @Test("a document read by OCR shows its mean confidence, and the pages read with low confidence are named")
    func ocrBadge() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        let document = try #require(try database.document(id: fixture.documentID))
        try await database.setExtracted(
            documentID: fixture.documentID,
            format: "pdf",
            pages: 3,
            ocrPages: [.init(page: 1, confidence: 0.95), .init(page: 3, confidence: 0.41)]
        )
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            let list = try await browser.get("/admin/documents")
            #expect(list.text.contains("OCR 68 %"))
            let detail = try await browser.get("/admin/documents/\(fixture.documentID)")
            #expect(detail.text.contains("OCR 68 %"))
            #expect(detail.text.contains("página(s) 3"))
            let status = try await browser.get("/admin/documents/status.json?ids=\(fixture.documentID)")
            #expect(status.text.contains("\"ocr_warning\""))
        }
        #expect(document.ocrPages == nil)
    }

    @Test("every page of agents, documents, conversations and unanswered: signed out → sign-in, operator and owner → the page")
    func accessByRole() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let pages = [
            "/admin/agents", "/admin/agents/new", "/admin/agents/\(fixture.agentID)", "/admin/agents/\(fixture.agentID)/playground",
            "/admin/documents", "/admin/documents/\(fixture.documentID)", "/admin/search?q=devolu%C3%A7%C3%A3o",
            "/admin/conversations", "/admin/conversations?filter=waiting", "/admin/conversations?filter=unanswered&from=2020-01-01&to=2099-12-31",
            "/admin/conversations/\(fixture.conversationID)", "/admin/unanswered",
        ]
        let json = ["/admin/documents/status.json", "/admin/conversations/\(fixture.conversationID)/messages.json"]
        try await harness.application().test(.router) { client in
            let anonymous = Browser(client)
            for page in pages {
                let response = try await anonymous.get(page)
                #expect(response.status == .seeOther, "\(page)")
                #expect(response.location == "/admin/login", "\(page)")
            }
            for path in json + ["/admin/conversations/\(fixture.conversationID)/events"] {
                #expect(try await anonymous.get(path).status == .unauthorized, "\(path)")
            }
            for (name, password) in [("operator", AdminHarness.operatorPassword), ("owner", AdminHarness.ownerPassword)] {
                let browser = Browser(client)
                try await browser.signIn(name, password)
                for page in pages {
                    let response = try await browser.get(page)
                    #expect(response.status == .ok, "\(name) \(page): \(response.status)")
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                    expectSecurityHeaders(response)
                    #expect(!response.text.contains("{{"), "\(page) has an unrendered tag")
                }
                for path in json {
                    let response = try await browser.get(path)
                    #expect(response.status == .ok, "\(name) \(path)")
                    #expect(response.headers[.contentType] == "application/json")
                }
                #expect(try await browser.get("/admin/agents/999999").status == .notFound)
                #expect(try await browser.get("/admin/documents/999999").status == .notFound)
                #expect(try await browser.get("/admin/conversations/999999").status == .notFound)
            }
        }
    }

    @Test("every POST refuses a missing or wrong anti-forgery token with 403 and changes nothing")
    func csrfOnEveryPost() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        @Sendable func snapshot() throws -> [Int] {
            try database.reader.read { db in
                try ["agent", "agentDocument", "document", "message", "curatedAnswer", "auditEntry", "job"].map {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1
                } + [try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversation WHERE mode = 'human'") ?? -1]
            }
        }
        let posts: [(String, [(String, String)])] = [
            ("/admin/agents/new", [("name", "Nova"), ("language", "pt-BR")]),
            ("/admin/agents/\(fixture.agentID)", [("name", "Renomeada"), ("language", "en")]),
            ("/admin/agents/\(fixture.agentID)/delete", []),
            ("/admin/agents/\(fixture.agentID)/playground", [("question", "devolução")]),
            ("/admin/documents/\(fixture.documentID)/delete", []),
            ("/admin/documents/\(fixture.documentID)/reprocess", []),
            ("/admin/conversations/\(fixture.conversationID)/takeover", []),
            ("/admin/conversations/\(fixture.conversationID)/release", []),
            ("/admin/conversations/\(fixture.conversationID)/reply", [("text", "Olá!")]),
            ("/admin/unanswered/\(fixture.answerID)/curate", [("question", "Entregam domingo?"), ("answer", "Sim.")]),
        ]
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let before = try snapshot()
            for (path, fields) in posts {
                for token in ["", "wrong-token-0123456789abcdef0123456789"] {
                    let response = try await browser.post(path, fields, csrf: token)
                    #expect(response.status == .forbidden, "\(path) with token “\(token)”: \(response.status)")
                }
            }
            for token in ["", "wrong-token-0123456789abcdef0123456789"] {
                let response = try await upload(browser, files: [("a.txt", Data("texto".utf8))], csrf: token)
                #expect(response.status == .forbidden, "upload with token “\(token)”")
            }
            #expect(try snapshot() == before)
            #expect(try database.agent(id: fixture.agentID)?.name == "loja")
        }
    }

    @Test("a form value with a NUL (%00) keeps it as U+FFFD: the database would read the text back cut at the NUL")
    func formNULCharacters() {
        let form = AdminForm(body: "name=%00Loja&persona=a%00b&plain=caf%C3%A9+x")
        #expect(form.text("name") == "\u{FFFD}Loja")
        #expect(form["persona"] == "a\u{FFFD}b")
        #expect(form["plain"] == "café x")
    }

    @Test("agents: create with every field, edit, refuse a duplicate name, delete; each audited")
    func agentCRUD() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let form = try await browser.get("/admin/agents/new")
            #expect(form.text.contains(#"id="agent-form""#))
            #expect(form.text.contains(#"name="document_ids" value="\#(fixture.documentID)""#))
            let created = try await browser.post(
                "/admin/agents/new",
                [
                    ("name", "Vendas"), ("persona", "Você é a assistente de vendas."), ("instructions", "Seja breve."), ("language", "en"),
                    ("document_ids", String(fixture.documentID)), ("phone_number_ids", "111\n222, 111"),
                    ("handoff_keywords", "atendente, gerente"), ("out_of_credits_message", "Sem créditos agora."),
                    ("out_of_scope_message", "Não sei responder isso."),
                ]
            )
            #expect(created.status == .seeOther)
            let location = try #require(created.location)
            let id = try #require(Int64(location.split(separator: "/").last ?? ""))
            let agent = try #require(try database.agent(id: id))
            #expect(agent.name == "Vendas")
            #expect(agent.language == "en")
            #expect(agent.phoneNumberIDs == ["111", "222"])
            #expect(agent.handoffKeywords == ["atendente", "gerente"])
            #expect(agent.outOfCreditsMessage == "Sem créditos agora.")
            #expect(agent.outOfScopeMessage == "Não sei responder isso.")
            #expect(try database.documentIDs(ofAgent: id) == [fixture.documentID])

            let list = try await browser.get("/admin/agents")
            #expect(list.text.contains("Vendas"))
            let edit = try await browser.get(location)
            #expect(edit.text.contains(#"value="\#(fixture.documentID)" checked"#))

            let duplicate = try await browser.post(location, [("name", "loja"), ("language", "pt-BR")])
            #expect(duplicate.status == .unprocessableContent)
            #expect(duplicate.text.contains("loja"))
            let taken = try await browser.post("/admin/agents/\(fixture.agentID)", [("name", "loja"), ("phone_number_ids", "222")])
            #expect(taken.status == .unprocessableContent, "a number another agent answers is refused")
            #expect(try database.agent(id: id)?.name == "Vendas")

            let saved = try await browser.post(location, [("name", "Vendas 2"), ("language", "pt-BR"), ("phone_number_ids", "")])
            #expect(saved.status == .seeOther)
            #expect(try database.agent(id: id)?.name == "Vendas 2")
            #expect(try database.agent(id: id)?.phoneNumberIDs == [])
            #expect(try database.documentIDs(ofAgent: id) == [], "unticked documents are removed")

            let deleted = try await browser.post("\(location)/delete")
            #expect(deleted.status == .seeOther)
            #expect(try database.agent(id: id) == nil)
            #expect(try database.document(id: fixture.documentID) != nil, "deleting an agent keeps its documents")
        }
        #expect(try auditActions(harness).filter { $0.hasPrefix("agent.") } == ["agent.create", "agent.update", "agent.delete"])
    }

    @Test("the playground shows the answer and each passage used with its document and score")
    func playground() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            try await browser.get("/admin/agents/\(fixture.agentID)/playground")
            let answered = try await browser.post(
                "/admin/agents/\(fixture.agentID)/playground",
                [("question", "Qual o prazo de devolução dos produtos?")]
            )
            #expect(answered.status == .ok)
            let page = answered.text
            #expect(page.contains(#"id="playground-answer""#))
            #expect(page.contains("7 dias"))
            let citation = try #require(page.range(of: #"<li class="citation">"#))
            let after = page[citation.upperBound...]
            #expect(after.contains("politica.txt"))
            #expect(after.range(of: #"\d[.,]\d{3}"#, options: .regularExpression) != nil, "a citation shows its score")

            let unknown = try await browser.post("/admin/agents/\(fixture.agentID)/playground", [("question", "Qual a cor do céu em Marte?")])
            #expect(unknown.status == .ok)
            #expect(!unknown.text.contains(#"<li class="citation">"#) || unknown.text.contains("badge-warning"))
            #expect(try await browser.post("/admin/agents/\(fixture.agentID)/playground", [("question", "  ")]).status == .badRequest)
        }
    }

    @Test("uploads: several files at once; over the limit → 413; a renamed binary → 415; nothing kept from refused files")
    func uploads() async throws {
        let harness = try AdminHarness { $0.server.maxUploadBytes = 4096 }
        try await harness.createUsers()
        let database = harness.balcao.database
        let temporary = harness.dataDirectory.appendingPathComponent("tmp")
        @Sendable func leftovers() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] }
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            try await browser.get("/admin/documents")
            let two = try await upload(
                browser,
                files: [("um.txt", Data("Primeiro documento.".utf8)), ("dois.txt", Data("Segundo documento.".utf8))]
            )
            #expect(two.status == .seeOther)
            #expect(try database.documents().map(\.filename).sorted() == ["dois.txt", "um.txt"])

            let viaScript = try await upload(browser, files: [("tres.txt", Data("Terceiro documento.".utf8))], json: true)
            #expect(viaScript.status == .created)
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(buffer: viaScript.body)) as? [String: Any])
            let documents = try #require(answer["documents"] as? [[String: Any]])
            #expect(documents.first?["filename"] as? String == "tres.txt")
            #expect(documents.first?["status"] as? String == "queued")
            let again = try await upload(browser, files: [("copia.txt", Data("Terceiro documento.".utf8))], json: true)
            #expect(again.status == .ok, "the same content again is the same document")

            let big = try await upload(browser, files: [("grande.txt", Data(repeating: 0x61, count: 5000))])
            #expect(big.status == .contentTooLarge)
            let bigJSON = try await upload(browser, files: [("grande.txt", Data(repeating: 0x61, count: 5000))], json: true)
            #expect(bigJSON.status == .contentTooLarge)
            #expect(bigJSON.text.contains("error"))

            var binary = Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00])
            binary.append(contentsOf: (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
            let renamed = try await upload(browser, files: [("contrato.pdf", binary)])
            #expect(renamed.status == .unsupportedMediaType)
            #expect(renamed.text.contains("PDF"))
            let renamedJSON = try await upload(browser, files: [("contrato.pdf", binary)], json: true)
            #expect(renamedJSON.status == .unsupportedMediaType)

            // A part header name with a non-ASCII byte (MultipartKit would trap on it): refused, the page keeps working.
            let boundary = "b0undary"
            var hostile = Data("--\(boundary)\r\nContent-Dispositi".utf8)
            hostile += Data([0xC3, 0xA9]) + Data("n: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nola\r\n--\(boundary)--\r\n".utf8)
            var headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
            headers[AdminRoutes.csrfHeader] = browser.csrf
            let refused = try await browser.send("/admin/documents", method: .post, headers: headers, body: ByteBuffer(data: hostile))
            #expect(refused.status == .badRequest)

            #expect(try database.documents().count == 3)
            #expect(leftovers().isEmpty, "staged files left behind: \(leftovers())")
        }
    }

    @Test("a document named like a script and a customer message with HTML render as text")
    func escaping() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness, customerText: #"<img src=x onerror="alert(2)"> <b>oi</b> & tchau"#)
        let name = "<script>alert(1)</script>.pdf"
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            try await browser.get("/admin/documents")
            let uploaded = try await upload(browser, files: [(name, Data("Um texto qualquer.".utf8))])
            #expect(uploaded.status == .seeOther)
            let document = try #require(try harness.balcao.database.documents().first { $0.filename == name })
            for path in ["/admin/documents", "/admin/documents/\(document.id!)", "/admin/agents/new"] {
                let page = try await browser.get(path).text
                #expect(!page.contains("<script>alert(1)"), "\(path) shows the name as markup")
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.pdf"), "\(path) does not show the name")
            }
            let flash = try await browser.get("/admin/documents")
            #expect(!flash.text.contains("<script>alert"))
            for path in ["/admin/conversations/\(fixture.conversationID)", "/admin/conversations", "/admin/unanswered"] {
                let page = try await browser.get(path).text
                #expect(!page.contains("<img src=x"), "\(path) renders the customer's HTML")
                #expect(!page.contains("<b>"), "\(path) renders the customer's HTML")
                #expect(page.contains("&lt;b&gt;"), "\(path) does not show the customer's text")
            }
            let json = try await browser.get("/admin/conversations/\(fixture.conversationID)/messages.json")
            #expect(json.headers[.contentType] == "application/json")
        }
    }

    @Test("knowledge-base search: a passage two documents hold is shown once, with a link to the other")
    func duplicatePassageShownOnce() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let copy = harness.dataDirectory.appendingPathComponent("politica-copia.md")
        // Not the same bytes (those would be the same document): the same text under a heading of its own.
        try Data(("# Cópia para a loja\n\n" + PagesFixture.policy).utf8).write(to: copy)
        let copied = try await harness.balcao.library.add(fileAt: copy, agent: nil, password: nil)
        while let job = try await harness.balcao.database.claimNextJob() { await harness.balcao.pipeline.run(job) }
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let page = try await browser.get("/admin/search?q=prazo%20de%20devolu%C3%A7%C3%A3o").text
            #expect(page.components(separatedBy: #"<li class="citation">"#).count - 1 == 1, "one passage, shown once")
            let first = #"<a class="citation-source" href="/admin/documents/\#(fixture.documentID)">politica.txt</a>"#
            let other = #"<a href="/admin/documents/\#(copied.document.id!)">politica-copia.md</a>"#
            #expect(page.contains(first))
            #expect(page.contains(other))
        }
    }

    @Test("documents: detail with chunks, status JSON, re-process and delete (audited); knowledge-base search")
    func documentLifecycle() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let list = try await browser.get("/admin/documents")
            #expect(list.text.contains(#"data-document-id="\#(fixture.documentID)" data-status="indexed""#))
            let detail = try await browser.get("/admin/documents/\(fixture.documentID)")
            #expect(detail.text.contains("A devolução de produtos pode ser pedida"))
            let status = try await browser.get("/admin/documents/status.json?ids=\(fixture.documentID),999")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: status.body)) as? [String: Any])
            let rows = try #require(object["documents"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["status"] as? String == "indexed")
            #expect(rows.first?["id"] as? Int == Int(fixture.documentID))

            let search = try await browser.get("/admin/search?q=prazo%20de%20devolu%C3%A7%C3%A3o")
            #expect(search.text.contains("politica.txt"))
            #expect(search.text.contains(#"class="citation""#))

            @Sendable func jobs() throws -> Int {
                try database.reader.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE documentId = ?", arguments: [fixture.documentID]) ?? 0
                }
            }
            let jobsBefore = try jobs()
            let reprocess = try await browser.post("/admin/documents/\(fixture.documentID)/reprocess")
            #expect(reprocess.status == .seeOther)
            #expect(try jobs() == jobsBefore + 1, "re-processing queues one new ingestion job")
            #expect(try await ingest(harness, documentID: fixture.documentID) == .indexed)

            let deleted = try await browser.post("/admin/documents/\(fixture.documentID)/delete")
            #expect(deleted.status == .seeOther)
            #expect(try database.document(id: fixture.documentID) == nil)
            #expect(try await browser.post("/admin/documents/\(fixture.documentID)/delete").status == .notFound)
        }
        let actions = try auditActions(harness)
        #expect(actions.contains("document.reprocess"))
        #expect(actions.contains("document.delete"))
    }

    @Test("conversations: filters and pages; take over, release and reply are audited; the polling JSON catches up")
    func conversationList() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await harness.application().test(.router) { client in
            #expect(try await Browser(client).get("/admin/conversations/version.json").status == .unauthorized)
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            // The list's version (which conversations.js polls to refresh the list) is the one the page was drawn at,
            // and stays put while nothing changes.
            func listVersion() async throws -> String? {
                let answer = try await browser.get("/admin/conversations/version.json")
                return (try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any])?["version"] as? String
            }
            let listPage = try await browser.get("/admin/conversations").text
            #expect(listPage.contains("/admin/conversations/\(fixture.conversationID)"))
            let drawnAt = try #require(try await listVersion())
            #expect(listPage.contains(#"data-version="\#(drawnAt)""#))
            #expect(try await listVersion() == drawnAt)
            #expect(try await browser.get("/admin/conversations?filter=unanswered").text.contains("/admin/conversations/\(fixture.conversationID)"))
            #expect(!(try await browser.get("/admin/conversations?filter=waiting").text.contains("/admin/conversations/\(fixture.conversationID)\"")))
            #expect(
                !(try await browser.get("/admin/conversations?from=2001-01-01&to=2001-01-31").text.contains(
                    "/admin/conversations/\(fixture.conversationID)\""
                ))
            )

            let thread = try await browser.get("/admin/conversations/\(fixture.conversationID)")
            #expect(thread.text.contains(#"id="reply-form""#))
            #expect(thread.text.contains("Vocês entregam aos domingos?"))
            let lastID = try #require(try database.messages(ofConversation: fixture.conversationID).last?.id)

            let takeover = try await browser.post("/admin/conversations/\(fixture.conversationID)/takeover")
            #expect(takeover.status == .seeOther)
            #expect(try database.conversation(id: fixture.conversationID)?.mode == .human)
            #expect(try await browser.get("/admin/conversations?filter=waiting").text.contains("/admin/conversations/\(fixture.conversationID)\""))
            let afterTakeover = try #require(try await listVersion())
            #expect(afterTakeover != drawnAt, "a customer now waiting for a person changes the list")

            let reply = try await browser.post("/admin/conversations/\(fixture.conversationID)/reply", [("text", "Olá, aqui é a Rita <3")])
            #expect(reply.status == .seeOther)
            let sent = try #require(try database.messages(ofConversation: fixture.conversationID).last)
            #expect(sent.author == "operator")
            #expect(sent.text == "Olá, aqui é a Rita <3")
            #expect(try await listVersion() != afterTakeover, "a new last message changes the list")
            #expect(try await browser.post("/admin/conversations/\(fixture.conversationID)/reply", [("text", " ")]).status == .badRequest)

            let poll = try await browser.get("/admin/conversations/\(fixture.conversationID)/messages.json?after=\(lastID)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: poll.body)) as? [String: Any])
            let messages = try #require(object["messages"] as? [[String: Any]])
            #expect(messages.map { $0["text"] as? String } == ["Olá, aqui é a Rita <3"])
            #expect((object["conversation"] as? [String: Any])?["mode"] as? String == "human")

            let release = try await browser.post("/admin/conversations/\(fixture.conversationID)/release")
            #expect(release.status == .seeOther)
            #expect(try database.conversation(id: fixture.conversationID)?.mode == .assistant)
        }
        let actions = try auditActions(harness)
        for action in ["conversation.takeover", "conversation.reply", "conversation.release"] { #expect(actions.contains(action)) }
    }

    @Test("an unanswered question becomes a curated answer in one post, leaves the list and is found by search")
    func curatedAnswer() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let list = try await browser.get("/admin/unanswered")
            #expect(list.text.contains("Vocês entregam aos domingos?"))
            #expect(list.text.contains(#"action="/admin/unanswered/\#(fixture.answerID)/curate""#))
            let bad = try await browser.post("/admin/unanswered/\(fixture.answerID)/curate", [("question", "Entregam?"), ("answer", "")])
            #expect(bad.status == .badRequest)
            let saved = try await browser.post(
                "/admin/unanswered/\(fixture.answerID)/curate",
                [("question", "Vocês entregam aos domingos?"), ("answer", "Sim, entregamos aos domingos das 9h às 13h.")]
            )
            #expect(saved.status == .seeOther)
            #expect(saved.location == "/admin/unanswered")
            #expect(!(try await browser.get("/admin/unanswered").text.contains("Vocês entregam aos domingos?")))

            let curated = try #require(try database.documents().first { $0.filename.hasPrefix("FAQ") })
            #expect(try await ingest(harness, documentID: curated.id!) == .indexed)
            #expect(try database.documentIDs(ofAgent: fixture.agentID).contains(curated.id!))
            // The assistant of that conversation now finds it.
            let agent = try #require(try database.agent(id: fixture.agentID))
            let retrieved = try await harness.balcao.answerer.retrieve("vocês entregam no domingo?", agent: agent)
            #expect(retrieved.isRelevant)
            #expect(retrieved.passages.first?.text.contains("das 9h às 13h") == true)
            let search = try await browser.get("/admin/search?q=entregam%20domingo&agent=\(fixture.agentID)")
            #expect(search.text.contains("das 9h às 13h"))
        }
        #expect(try auditActions(harness).contains("unanswered.curate"))
    }
}
