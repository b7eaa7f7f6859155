import BalcaoApp
import BalcaoTesting
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real daemon when its storage fails: a disk that fills (a small tmpfs), a damaged `secret.key`, a read-only
/// data directory, a database another process keeps locked.
@Suite("Storage failures: full disk, damaged secret key, read-only and busy database", .serialized)
struct StorageFailureTests {
    static let canMount = SmallFileSystem.unavailableReason == nil
    static let appSecret = "storage-failure-app-secret"
    static let policy = """
        Política de Trocas e Devoluções

        A devolução de produtos pode ser pedida em até 7 dias corridos após a entrega, com a nota fiscal.
        """

    final class Scratch: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-storage-\(UUID().uuidString)", isDirectory: true)
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        var log: URL { url.appendingPathComponent("daemon.log") }
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    /// A daemon process on `dataDirectory`, its port and its WhatsApp settings.
    struct Daemon {
        let process: BalcaoProcess
        let port: Int

        init(scratch: Scratch, dataDirectory: URL, graph: FakeGraphAPI? = nil) {
            port = LoopbackHTTP.freePort()
            var environment = [
                "BALCAO_STORAGE_DATA_DIR": dataDirectory.path, "BALCAO_SERVER_PORT": String(port),
                "BALCAO_SERVER_API_TOKEN": "t0ken", "BALCAO_EMBEDDING_PROVIDER": "none",
                "BALCAO_WHATSAPP_APP_SECRET": StorageFailureTests.appSecret, "BALCAO_WHATSAPP_VERIFY_TOKEN": "verify",
                "BALCAO_WHATSAPP_QUIET_PERIOD_SECONDS": "0",
            ]
            if let graph {
                environment["BALCAO_WHATSAPP_ACCESS_TOKEN"] = graph.accessToken
                environment["BALCAO_WHATSAPP_GRAPH_BASE_URL"] = graph.baseURL
            }
            process = BalcaoProcess(workingDirectory: scratch.url, environment: environment)
        }

        func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

        /// Starts `balcao serve` and waits until it answers.
        func start(log: URL) async throws -> Process {
            let child = try process.start(["serve"], log: log)
            let up = await LoopbackHTTP.waitUntilUp(url("/healthz"))
            if !up { kill(child.processIdentifier, SIGKILL) }
            try #require(up, "the daemon did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            return child
        }

        /// `POST /api/v1/documents` with one file.
        func upload(_ filename: String, _ contents: Data) async -> Reply {
            var body = MultipartBody()
            body.addFile(filename: filename, contents: contents)
            return await Reply.send(
                "POST",
                url("/api/v1/documents"),
                body: body.encoded,
                headers: ["Authorization": "Bearer t0ken", "Content-Type": body.contentType]
            )
        }

        /// A signed text-message delivery to `/webhooks/whatsapp`.
        func deliver(messageID: String, text: String = "Qual o prazo para devolução?") async -> Reply {
            let body = Self.textWebhook(text, id: messageID)
            return await Reply.send(
                "POST",
                url("/webhooks/whatsapp"),
                body: body,
                headers: [
                    "Content-Type": "application/json",
                    WebhookSigner.headerName: WebhookSigner.sign(body: body, appSecret: StorageFailureTests.appSecret),
                ]
            )
        }

        func get(_ path: String) async -> Reply {
            await Reply.send("GET", url(path), headers: ["Authorization": "Bearer t0ken"])
        }

        static func textWebhook(_ text: String, id: String) -> Data {
            let customer = "5511999990001"
            let value: [String: Any] = [
                "messaging_product": "whatsapp",
                "metadata": ["display_phone_number": "15550783881", "phone_number_id": "106540352242922"],
                "contacts": [["profile": ["name": "Maria"], "wa_id": customer]],
                "messages": [
                    ["from": customer, "id": id, "timestamp": String(Int(Date().timeIntervalSince1970)), "type": "text", "text": ["body": text]]
                ],
            ]
            let object: [String: Any] = [
                "object": "whatsapp_business_account",
                "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": value]]]],
            ]
            return try! JSONSerialization.data(withJSONObject: object)
        }
    }

    /// An HTTP answer: status, body and the error code of a JSON error body.
    struct Reply: CustomStringConvertible {
        var status: Int?
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["code"] as? String
        }
        var errorMessage: String? {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["message"] as? String
        }
        var description: String { "\(status.map(String.init) ?? "no answer") \(text.prefix(600))" }

        /// Sends a request with a timeout that a loaded machine cannot reach.
        static func send(_ method: String, _ url: URL, body: Data? = nil, headers: [String: String] = [:]) async -> Reply {
            var request = URLRequest(url: url)
            request.httpMethod = method
            request.httpBody = body
            request.timeoutInterval = 180
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            guard let (data, response) = try? await URLSession.shared.data(for: request) else { return Reply(status: nil, body: Data()) }
            return Reply(status: (response as? HTTPURLResponse)?.statusCode, body: data)
        }
    }

    static func files(in directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var found: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(url.lastPathComponent) }
        }
        return found.sorted()
    }

    static func documentCount(_ reply: Reply) -> Int? {
        ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]).flatMap { $0["documents"] as? [Any] }?.count
    }

    /// Message ids of the deliveries stored in the inbox.
    static func storedDeliveries(_ database: AppDatabase) throws -> [Data] {
        try database.reader.read { db in try Data.fetchAll(db, sql: "SELECT body FROM webhookInbox") }
    }

    /// A text document of about `bytes` bytes.
    static func text(bytes: Int) -> Data {
        let sentence = "O prazo de entrega é de cinco dias úteis para todo o Brasil, contados da confirmação do pagamento. "
        var text = ""
        while text.utf8.count < bytes { text += sentence }
        return Data(text.utf8)
    }

    // MARK: Full disk

    @Test(
        "a full disk: uploads 507 with nothing left behind, webhooks 503 (never 200 then lost), reads keep working, and the daemon recovers by itself",
        .enabled(if: canMount, "needs a tmpfs mount (root): \(SmallFileSystem.unavailableReason ?? "")")
    )
    func fullDisk() async throws {
        let scratch = try Scratch()
        let disk = try SmallFileSystem(bytes: 32 << 20)
        defer { disk.unmount() }
        let graph = try await FakeGraphAPI.start()
        defer { Task { await graph.stop() } }
        let daemon = Daemon(scratch: scratch, dataDirectory: disk.url, graph: graph)
        let child = try await daemon.start(log: scratch.log)
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let database = try AppDatabase.open(at: disk.url.appendingPathComponent("balcao.sqlite"))
        let temporary = disk.url.appendingPathComponent("tmp")
        let originals = disk.url.appendingPathComponent("originals")

        // A document stored before the disk fills, to read and search later.
        let first = await daemon.upload("politica.txt", Data(Self.policy.utf8))
        #expect(first.status == 201, "\(first)")
        #expect(
            await eventually(timeout: .seconds(120)) { (try? database.documents().first?.status) == .indexed },
            "the first document was not indexed: \(String(describing: try? database.documents()))"
        )
        let storedBefore = Self.files(in: originals)
        #expect(storedBefore.count == 1)

        // Room for a quarter of the next file: it fails in the middle of its bytes.
        try disk.fill(leaving: 256 << 10)
        let big = await daemon.upload("grande.txt", Self.text(bytes: 1 << 20))
        #expect(big.status == 507, "\(big)")
        #expect(big.errorCode == "disk_full", "\(big)")
        #expect(big.errorMessage?.contains("full") == true, "\(big)")
        #expect(Self.files(in: temporary).isEmpty, "a partial upload was left in tmp/")
        #expect(Self.files(in: originals) == storedBefore)
        #expect(try database.documents().count == 1)

        // No room at all; the WAL is emptied first so that the next database write needs new space.
        _ = try? await database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try disk.fill()
        let small = await daemon.upload("pequeno.txt", Data("Horário: de segunda a sexta, das 9h às 18h.".utf8))
        #expect([507, 503].contains(small.status), "\(small)")
        #expect(Self.files(in: temporary).isEmpty)
        #expect(Self.files(in: originals) == storedBefore)
        #expect(try database.documents().count == 1)

        // Webhooks: each is stored and acknowledged, or refused with 503 for Meta to send again; one is refused
        // before long, since nothing can grow.
        var acknowledged: [String] = []
        var refused: [Reply] = []
        for index in 0..<40 where refused.isEmpty {
            let id = "wamid.FULL-\(index)-\(UUID().uuidString)"
            let reply = await daemon.deliver(messageID: id, text: String(repeating: "Quero trocar o produto. ", count: 150))
            switch reply.status {
            case 200: acknowledged.append(id)
            case 503: refused.append(reply)
            default: Issue.record("a delivery on a full disk was answered \(reply)")
            }
        }
        let refusal = try #require(refused.first, "no delivery was refused on a full disk")
        #expect(refusal.errorCode == "disk_full", "\(refusal)")

        // Reads keep working.
        let list = await daemon.get("/api/v1/documents")
        #expect(list.status == 200, "\(list)")
        #expect(Self.documentCount(list) == 1)
        let search = await daemon.get("/api/v1/search?q=devolucao")
        #expect(search.status == 200, "\(search)")
        #expect(search.text.contains("7 dias"))
        #expect(await daemon.get("/healthz").status == 200)
        let ready = await daemon.get("/readyz")
        #expect([200, 503].contains(ready.status), "\(ready)")
        #expect(child.isRunning, "the daemon stopped on a full disk:\n\(scratch.logText())")

        // Space comes back: the same daemon stores again, without a restart.
        disk.free()
        var later = Reply(status: nil, body: Data())
        #expect(
            await eventually(timeout: .seconds(60)) {
                later = await daemon.upload("pequeno.txt", Data("Horário: de segunda a sexta, das 9h às 18h.".utf8))
                return later.status == 201
            },
            "\(later)"
        )
        let recoveredID = "wamid.FULL-recovered-\(UUID().uuidString)"
        let delivered = await daemon.deliver(messageID: recoveredID)
        #expect(delivered.status == 200, "\(delivered)")
        acknowledged.append(recoveredID)

        // Every acknowledged delivery is in the inbox: nothing was answered 200 and then lost.
        let stored = try Self.storedDeliveries(database).map { String(decoding: $0, as: UTF8.self) }
        for id in acknowledged {
            #expect(stored.contains { $0.contains(id) }, "delivery \(id) was acknowledged but not stored")
        }
        #expect(try database.documents().count == 2)
        let log = scratch.logText()
        #expect(log.contains("disk_full"), "the log does not name the full disk:\n\(log.suffix(3000))")
        #expect(child.isRunning)
        kill(child.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(child)
        #expect(child.terminationStatus == 0)
    }

    // MARK: secret.key

    @Test("a truncated, empty or unreadable secret.key: serve and the CLI refuse to start, say what to do, and leave the file as it was")
    func damagedSecretKey() async throws {
        let scratch = try Scratch()
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let daemon = Daemon(scratch: scratch, dataDirectory: dataDirectory)
        let created = try await daemon.process.run(["documents", "list"])
        #expect(created.status == 0, "\(created.stderr)")
        let keyFile = dataDirectory.appendingPathComponent("secret.key")
        let key = try Data(contentsOf: keyFile)
        #expect(key.count == 32)

        for damaged in [key.prefix(17), Data()] {
            try damaged.write(to: keyFile)
            let serve = try await daemon.process.run(["serve"])
            #expect(serve.status != 0)
            #expect(
                serve.stderr.contains("secret key file \(keyFile.path) is damaged: it has \(damaged.count) bytes instead of 32"),
                "\(serve.stderr)"
            )
            #expect(serve.stderr.contains("balcao restore"))
            #expect(serve.stderr.contains("move it away to start with a new key, which makes the saved secrets unreadable"))
            #expect(try Data(contentsOf: keyFile) == damaged, "the key file was changed")
            let cli = try await daemon.process.run(["documents", "list"])
            #expect(cli.status != 0)
            #expect(cli.stderr.contains("is damaged"), "\(cli.stderr)")
            let doctor = try await daemon.process.run(["doctor"])
            #expect(doctor.status != 0)
            #expect(doctor.stdout.contains("secret.key: damaged: \(damaged.count) bytes instead of 32"), "\(doctor.stdout)")
            #expect(try Data(contentsOf: keyFile) == damaged)
        }

        // Something that cannot be read as a file (here a directory) is refused the same way, and kept.
        try FileManager.default.removeItem(at: keyFile)
        try FileManager.default.createDirectory(at: keyFile, withIntermediateDirectories: false)
        let unreadable = try await daemon.process.run(["serve"])
        #expect(unreadable.status != 0)
        #expect(unreadable.stderr.contains("cannot be read"), "\(unreadable.stderr)")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: keyFile.path, isDirectory: &isDirectory) && isDirectory.boolValue)

        // The original key back: everything works again.
        try FileManager.default.removeItem(at: keyFile)
        try key.write(to: keyFile)
        let restored = try await daemon.process.run(["documents", "list"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try Data(contentsOf: keyFile) == key)
    }

    // MARK: Read-only

    @Test(
        "a read-only data directory: serve and the CLI refuse to start with what to do; read-write again, the daemon starts",
        .enabled(if: canMount, "needs a tmpfs mount (root): \(SmallFileSystem.unavailableReason ?? "")")
    )
    func readOnlyDataDirectory() async throws {
        let scratch = try Scratch()
        let disk = try SmallFileSystem(bytes: 16 << 20)
        defer { disk.unmount() }
        let daemon = Daemon(scratch: scratch, dataDirectory: disk.url)
        let policy = scratch.url.appendingPathComponent("politica.txt")
        try Data(Self.policy.utf8).write(to: policy)
        let ingest = try await daemon.process.run(["ingest", policy.path])
        #expect(ingest.status == 0, "\(ingest.stdout)\(ingest.stderr)")

        try disk.remount(readOnly: true)
        let serve = try await daemon.process.run(["serve"])
        #expect(serve.status != 0)
        #expect(serve.stderr.contains("Read-only file system"), "\(serve.stderr)")
        #expect(serve.stderr.contains("remount it read-write"), "\(serve.stderr)")
        let cli = try await daemon.process.run(["documents", "list"])
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("Cannot open the database"), "\(cli.stderr)")
        #expect(cli.stderr.contains("Remount the data directory read-write"), "\(cli.stderr)")
        let doctor = try await daemon.process.run(["doctor"])
        #expect(doctor.status != 0)
        #expect(doctor.stdout.contains("FAIL  database: read_only"), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains("integrity_check failed"), "a read-only database is not a damaged one:\n\(doctor.stdout)")

        try disk.remount(readOnly: false)
        let child = try await daemon.start(log: scratch.log)
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let list = await daemon.get("/api/v1/documents")
        #expect(Self.documentCount(list) == 1, "\(list)")
        kill(child.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(child)
    }

    // MARK: Busy

    /// In process, through the real router without the background services: with them, every queued write of the
    /// daemon waits the busy timeout on a thread of its own and the answers come minutes late (see README, "When
    /// storage fails"), which says nothing more about what a request answers.
    @Test("a database another process keeps locked past the busy timeout: writes answer 503 database_busy, nothing is left, and it recovers")
    func busyDatabase() async throws {
        let daemon = try TestDaemon { $0.whatsapp.appSecret = StorageFailureTests.appSecret }
        let balcao = daemon.balcao
        let router = try buildRouter(balcao)
        try await Application(router: router).test(.router) { client in
            func upload(_ filename: String, _ contents: Data) async throws -> TestResponse {
                var body = MultipartBody()
                body.addFile(filename: filename, contents: contents)
                return try await client.execute(
                    uri: "/api/v1/documents",
                    method: .post,
                    headers: [.authorization: daemon.authorization, .contentType: body.contentType],
                    body: ByteBuffer(data: body.encoded)
                )
            }
            func deliver(_ id: String) async throws -> TestResponse {
                let body = Daemon.textWebhook("Qual o prazo para devolução?", id: id)
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[HTTPField.Name(WebhookSigner.headerName)!] = WebhookSigner.sign(body: body, appSecret: StorageFailureTests.appSecret)
                return try await client.execute(uri: "/webhooks/whatsapp", method: .post, headers: headers, body: ByteBuffer(data: body))
            }
            func code(_ response: TestResponse) -> String? {
                ((try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any])
                    .flatMap { $0["error"] as? [String: Any] }?["code"] as? String
            }
            #expect(try await upload("politica.txt", Data(Self.policy.utf8)).status == .created)

            // Another process (here: a connection of the test) takes the write lock and keeps it.
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            configuration.busyMode = .timeout(60)
            let holder = try DatabaseQueue(path: balcao.directory.database.path, configuration: configuration)
            try await holder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            var released = false
            defer { if !released { try? holder.inDatabase { db in try db.execute(sql: "ROLLBACK") } } }

            let refusedUpload = try await upload("horario.txt", Data("Horário: de segunda a sexta, das 9h às 18h.".utf8))
            #expect(refusedUpload.status == .serviceUnavailable, "\(String(buffer: refusedUpload.body))")
            #expect(code(refusedUpload) == "database_busy")
            #expect(String(buffer: refusedUpload.body).contains("locked by another process"))
            let refusedDelivery = try await deliver("wamid.BUSY-\(UUID().uuidString)")
            #expect(refusedDelivery.status == .serviceUnavailable, "\(String(buffer: refusedDelivery.body))")
            #expect(code(refusedDelivery) == "database_busy")
            // The lock does not block reading (WAL).
            let list = try await client.execute(uri: "/api/v1/documents", method: .get, headers: [.authorization: daemon.authorization])
            #expect(list.status == .ok)
            #expect(try balcao.database.documents().count == 1)
            #expect(Self.files(in: balcao.directory.temporary).isEmpty)
            #expect(Self.files(in: balcao.directory.originals).count == 1, "the original of the refused upload was kept")
            #expect(try Self.storedDeliveries(balcao.database).isEmpty)

            try await holder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            released = true
            #expect(try await upload("horario.txt", Data("Horário: de segunda a sexta, das 9h às 18h.".utf8)).status == .created)
            #expect(try await deliver("wamid.BUSY-after-\(UUID().uuidString)").status == .ok)
            #expect(try Self.storedDeliveries(balcao.database).count == 1)
        }
    }
}
