import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Storage
import Testing
import ZIPFoundation

/// A customer's data rights (LGPD) through the API: everything held about them as a zip, then erased — and afterwards
/// their number and words are nowhere in the database file, its write-ahead log, the media folder or a backup taken
/// afterwards, while another customer's conversation and the anonymous counts stay.
@Suite("Customers' data: export and erasure", .serialized)
struct CustomerDataTests {
    static let customer = "5511987650001"
    static let other = "5511987650002"
    static let typed = "Meu pedido ZUMBALA-7781 chegou quebrado, qual o prazo para devolução?"

    /// Every byte of the files under `folder`.
    static func bytes(under folder: URL) -> [(String, Data)] {
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return files.compactMap { url in (try? Data(contentsOf: url)).map { (url.lastPathComponent, $0) } }
    }

    static func contains(_ data: Data, _ text: String) -> Bool { data.range(of: Data(text.utf8)) != nil }

    @Test("export → a zip with the conversation, the answers and the photo; erase → gone from the database, WAL, media and a later backup")
    func exportAndErase() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let balcao = harness.daemon.balcao
        let picture = try PrintedPicture.png(["Pedido XPTO 7781", "chegou quebrado"])
        let mediaID = harness.graph.addMedia(picture, mimeType: "image/png")
        let headers: HTTPFields = [.authorization: harness.daemon.authorization]
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook(Self.typed, from: Self.customer), client: client)
            _ = await harness.waitForSends(1)
            try await harness.deliver(
                WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png", from: Self.customer),
                client: client
            )
            _ = await harness.waitForSends(2)
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", from: Self.other), client: client)
            _ = await harness.waitForSends(3)
            let ocr = try #require(try await balcao.database.reader.read { db in try String.fetchOne(db, sql: "SELECT text FROM customerMedia") })
            #expect(ocr.contains("XPTO"), "\(ocr)")
            let before = try balcao.database.activityStats(now: Date()).month

            // Export: customer.json and the photo.
            let export = try await client.execute(uri: "/api/v1/customers/\(Self.customer)/export", method: .get, headers: headers)
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/zip")
            let zipFile = harness.daemon.dataDirectory.deletingLastPathComponent().appendingPathComponent("export-\(UUID().uuidString).zip")
            try Data(buffer: export.body).write(to: zipFile)
            defer { try? FileManager.default.removeItem(at: zipFile) }
            let archive = try Archive(url: zipFile, accessMode: .read)
            var json = Data()
            _ = try archive.extract(try #require(archive["customer.json"])) { json.append($0) }
            let exported = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            #expect(exported["customer_id"] as? String == Self.customer || exported["customerID"] as? String == Self.customer)
            let text = String(decoding: json, as: UTF8.self)
            #expect(text.contains("ZUMBALA-7781"))
            #expect(text.contains("XPTO"))
            #expect(!text.contains(Self.other))
            #expect(archive.contains { $0.path.hasPrefix("media/") && $0.uncompressedSize == UInt64(picture.count) })

            #expect(try await client.execute(uri: "/api/v1/customers/5511000000000/export", method: .get, headers: headers).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/customers/a%20b/export", method: .get, headers: headers).status == .badRequest)

            // Erase.
            let erased = try await client.execute(uri: "/api/v1/customers/\(Self.customer)", method: .delete, headers: headers)
            #expect(erased.status == .ok)
            let counts = try #require(try JSONSerialization.jsonObject(with: Data(buffer: erased.body)) as? [String: Int])
            #expect(counts["conversations"] == 1)
            #expect(counts["files"] == 1)
            #expect((counts["messages"] ?? 0) >= 4)
            #expect((counts["deliveries"] ?? 0) >= 2)
            #expect(try await client.execute(uri: "/api/v1/customers/\(Self.customer)", method: .delete, headers: headers).status == .notFound)

            // The dashboard still counts them; the other customer is untouched.
            let after = try balcao.database.activityStats(now: Date()).month
            #expect(after.messagesIn == before.messagesIn)
            #expect(after.messagesOut == before.messagesOut)
            #expect(after.answered + after.unanswered + after.handedOff == before.answered + before.unanswered + before.handedOff)
            #expect(try balcao.database.conversations().map(\.customerID) == [Self.other])
        }

        // Nowhere on disk: the database file, its WAL, the media folder…
        let data = harness.daemon.dataDirectory
        for (name, bytes) in Self.bytes(under: data) where name.hasPrefix("balcao.sqlite") {
            for secret in [Self.customer, "ZUMBALA", "XPTO"] {
                #expect(!Self.contains(bytes, secret), "\(secret) is still in \(name)")
            }
        }
        #expect(Self.bytes(under: data.appendingPathComponent("media")).isEmpty)
        #expect(Self.bytes(under: data).contains { Self.contains($0.1, Self.other) }, "the other customer is still held")
        // …nor a backup taken afterwards.
        let backup = data.deletingLastPathComponent().appendingPathComponent("backup-\(UUID().uuidString).zip")
        let staging = data.deletingLastPathComponent().appendingPathComponent("staging-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: backup)
            try? FileManager.default.removeItem(at: staging)
        }
        _ = try BackupArchive.create(directory: balcao.directory, database: balcao.database, configurationFile: nil, to: backup)
        _ = try BackupArchive.verify(backup, into: staging)
        for (name, bytes) in Self.bytes(under: staging) {
            for secret in [Self.customer, "ZUMBALA", "XPTO"] {
                #expect(!Self.contains(bytes, secret), "\(secret) is in the backup's \(name)")
            }
        }
        // The audit log says what was erased, without the number.
        let audit = try balcao.database.reader.read { db in
            try Row.fetchAll(db, sql: "SELECT actor, action, detail FROM auditEntry WHERE action = 'customer.erase'")
        }
        #expect(audit.count == 1)
        #expect(audit.first?["actor"] == "api")
    }

    @Test("a customer silent for the retention period (12 months by default) is erased by the daemon itself")
    func retention() async throws {
        let clock = ConversationLifecycleTests.MovableClock()
        let harness = try await WhatsAppHarness.start(withLLM: false, clock: { clock.now() })
        defer { Task { await harness.stop() } }
        let database = harness.daemon.balcao.database
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.textWebhook(Self.typed, from: Self.customer, at: clock.now()), client: client)
            _ = await harness.waitForSends(1)
            clock.advance(11 * 30.44 * 86_400)
            try await ConversationLifecycleTests.wakeLifecycle(harness)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try database.conversations().count == 1, "kept before the period ends")
            clock.advance(1.1 * 30.44 * 86_400)
            try await ConversationLifecycleTests.wakeLifecycle(harness)
            #expect(try await eventually(timeout: .seconds(30)) { try database.conversations().isEmpty })
            let actors = try await database.reader.read { db in
                try String.fetchAll(db, sql: "SELECT actor FROM auditEntry WHERE action = 'customer.erase'")
            }
            #expect(actors == ["retention"])
        }
    }
}
