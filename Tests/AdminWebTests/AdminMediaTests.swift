import BalcaoApp
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

/// The files customers sent, beside their messages in the thread: the picture (served only to a signed-in user, only
/// for its own conversation, never run by the browser), what was read from it, or why it could not be used.
@Suite("Admin pages: customers' files in the thread")
struct AdminMediaTests {
    static let picture = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 7, count: 64)

    /// A photo read by OCR and a document that could not be used, on the fixture's conversation; the photo is kept.
    static func seedMedia(_ harness: AdminHarness, conversationID: Int64) async throws -> (photo: Int64, document: Int64) {
        let ids = try await harness.balcao.database.writer.write { db -> (Int64, Int64) in
            let now = Date()
            var ids: [Int64] = []
            for (kind, caption) in [("image", "Olha o preço <b>aqui</b>"), ("document", "")] {
                try db.execute(
                    sql: """
                        INSERT INTO message (conversationId, direction, author, wamid, kind, text, createdAt, updatedAt)
                        VALUES (?, 'in', 'customer', ?, ?, ?, ?, ?)
                        """,
                    arguments: [conversationID, "wamid.\(kind)", kind, caption, now, now]
                )
                let message = db.lastInsertedRowID
                let read = kind == "image"
                try db.execute(
                    sql: """
                        INSERT INTO customerMedia (conversationId, messageId, kind, channelMediaID, filename, state, attempts, nextAttemptAt,
                            failure, failureDetail, mimeType, byteCount, sha256, text, textSource, confidence, createdAt, updatedAt)
                        VALUES (?, ?, ?, 'media-1', ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        conversationID, message, kind, read ? nil : "contrato <i>final</i>.pdf", read ? "read" : "failed", now,
                        read ? nil : "unreadable", read ? nil : "password_protected: the PDF is encrypted",
                        read ? "image/png" : nil, read ? picture.count : nil, read ? "abc" : nil,
                        read ? "Camiseta <script>x</script> R$ 49,90" : nil, read ? "ocr" : nil, read ? 0.91 : nil, now, now,
                    ]
                )
                ids.append(db.lastInsertedRowID)
            }
            return (ids[0], ids[1])
        }
        let folder = harness.dataDirectory.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try picture.write(to: folder.appendingPathComponent(String(ids.0)))
        return ids
    }

    @Test("a voice note shows an audio player beside its transcript, served as audio/ogg")
    func voiceNote() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let note = Data("OggS".utf8) + Data(repeating: 1, count: 64)
        let mediaID = try await harness.balcao.database.writer.write { db -> Int64 in
            let now = Date()
            try db.execute(
                sql:
                    "INSERT INTO message (conversationId, direction, author, wamid, kind, text, createdAt, updatedAt) VALUES (?, 'in', 'customer', 'wamid.audio', 'audio', '', ?, ?)",
                arguments: [fixture.conversationID, now, now]
            )
            try db.execute(
                sql: """
                    INSERT INTO customerMedia (conversationId, messageId, kind, channelMediaID, state, attempts, nextAttemptAt, mimeType, byteCount,
                        text, textSource, createdAt, updatedAt)
                    VALUES (?, ?, 'audio', 'media-2', 'read', 1, ?, 'audio/ogg', ?, 'Qual o prazo de entrega?', 'transcript', ?, ?)
                    """,
                arguments: [fixture.conversationID, db.lastInsertedRowID, now, note.count, now, now]
            )
            return db.lastInsertedRowID
        }
        let folder = harness.dataDirectory.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try note.write(to: folder.appendingPathComponent(String(mediaID)))
        let url = "/admin/conversations/\(fixture.conversationID)/media/\(mediaID)"
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            let page = try await browser.get("/admin/conversations/\(fixture.conversationID)").text
            #expect(page.contains("<audio controls preload=\"none\" src=\"\(url)\"></audio>"))
            #expect(page.contains("transcrito nesta máquina"))
            #expect(page.contains("Qual o prazo de entrega?"))
            let file = try await browser.get(url)
            #expect(file.status == .ok && file.headers[.contentType] == "audio/ogg" && file.headers[.contentDisposition] == "inline")
            #expect(Data(buffer: file.body) == note)
        }
    }

    @Test("the thread shows the picture, what OCR read and a failed file's reason, all escaped; the file is served safely")
    func thread() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let (photo, document) = try await Self.seedMedia(harness, conversationID: fixture.conversationID)
        let url = "/admin/conversations/\(fixture.conversationID)/media/\(photo)"
        try await harness.application().test(.router) { client in
            // Not signed in: no file.
            #expect(try await Browser(client).get(url).status != .ok)
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let page = try await browser.get("/admin/conversations/\(fixture.conversationID)").text
            #expect(page.contains("<img src=\"\(url)\""))
            #expect(page.contains("lido por OCR · confiança 91 %"))
            #expect(page.contains("Camiseta &lt;script&gt;x&lt;/script&gt; R$ 49,90"))
            #expect(!page.contains("<script>x"))
            #expect(page.contains("contrato &lt;i&gt;final&lt;/i&gt;.pdf"))
            #expect(page.contains("não usado: danificado, protegido ou diferente do que diz ser"))
            #expect(page.contains("password_protected: the PDF is encrypted"))
            // The failed document was not kept: no link to it.
            #expect(!page.contains("/media/\(document)\""))

            // The live view's JSON says what became of each file.
            let changes = try await browser.get("/admin/conversations/\(fixture.conversationID)/messages.json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: changes.body)) as? [String: Any])
            let labels = (object["messages"] as? [[String: Any]] ?? []).compactMap { $0["media_label"] as? String }.filter { !$0.isEmpty }
            #expect(
                labels == [
                    "Foto · lido por OCR · confiança 91 %",
                    "Documento · contrato <i>final</i>.pdf · não usado: danificado, protegido ou diferente do que diz ser",
                ]
            )

            let file = try await browser.get(url)
            #expect(file.status == .ok)
            #expect(Data(buffer: file.body) == Self.picture)
            #expect(file.headers[.contentType] == "image/png")
            #expect(file.headers[.contentDisposition] == "inline")
            #expect(file.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("sandbox") == true)
            #expect(file.headers[.cacheControl] == "private, no-store")
            // Only through its own conversation, and only while kept.
            #expect(try await browser.get("/admin/conversations/999/media/\(photo)").status == .notFound)
            #expect(try await browser.get("/admin/conversations/\(fixture.conversationID)/media/\(document)").status == .notFound)
        }
    }
}
