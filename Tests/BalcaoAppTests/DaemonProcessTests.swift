import AdminWeb
import BalcaoApp
import BalcaoTesting
import Foundation
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real executable: defaults, signals, `kill -9`, the data directory lock and the CLI's exit codes.
@Suite("balcao executable", .serialized)
struct DaemonProcessTests {
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-proc-\(UUID().uuidString)", isDirectory: true)
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static func environment(dataDirectory: URL, port: Int) -> [String: String] {
        [
            "BALCAO_STORAGE_DATA_DIR": dataDirectory.path, "BALCAO_SERVER_PORT": String(port),
            "BALCAO_SERVER_API_TOKEN": "t0ken", "BALCAO_EMBEDDING_PROVIDER": "none",
        ]
    }

    @Test("`balcao serve` with no configuration listens on 127.0.0.1:8080, keeps data in ./balcao-data, and stops cleanly on SIGTERM")
    func embeddedDefaults() async throws {
        // Port 8080 is the machine's, not this run's: a second test run (another clone) waits for it here instead of
        // failing on a port this one holds. The lock goes with the process.
        let lock = open("/tmp/balcao-tests-port-8080.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0 {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    _ = flock(lock, LOCK_EX)
                    continuation.resume()
                }
            }
        }
        let scratch = try Scratch()
        let daemon = try BalcaoProcess(workingDirectory: scratch.url).start(["serve"], log: scratch.url.appendingPathComponent("log"))
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let up = await LoopbackHTTP.waitUntilUp(URL(string: "http://127.0.0.1:8080/healthz")!)
        let log = (try? String(contentsOf: scratch.url.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        #expect(up, "daemon did not answer on 127.0.0.1:8080; log:\n\(log)")
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("balcao-data/balcao.sqlite").path))
        // A second daemon on the same data directory is refused.
        let second = try await BalcaoProcess(workingDirectory: scratch.url, environment: ["BALCAO_SERVER_PORT": "0"]).run(["serve"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("Another Balcão process"))
        kill(daemon.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
    }

    @Test("kill -9 in the middle of ingestion loses nothing and duplicates nothing after restart")
    func killDuringIngestion() async throws {
        let scratch = try Scratch()
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let files = [
            "pdf/pysf_GeoTopo-komprimiert.pdf", "pdf/ptlaw_01060115.pdf", "pdf/docling_redp5110_sampled.pdf", "docx/docling_word_sample.docx",
        ]

        // Reference chunk counts from an uninterrupted run.
        var expected: [String: Int] = [:]
        do {
            let reference = try TestDaemon()
            for file in files {
                let registered = try await reference.balcao.library.add(fileAt: SharedFixtures.corpus(file), agent: nil, password: nil)
                await reference.balcao.pipeline.run(try #require(try reference.balcao.database.claimNextJob()))
                expected[registered.document.sha256] = try reference.balcao.database.document(id: registered.document.id!)?.chunks
            }
        }

        // Queue the files in the data directory, as an upload would.
        do {
            var configuration = BalcaoConfiguration()
            configuration.storage.dataDirectory = dataDirectory.path
            configuration.embedding.provider = "none"
            let balcao = try Balcao.open(configuration: configuration)
            for file in files { _ = try await balcao.library.add(fileAt: SharedFixtures.corpus(file), agent: nil, password: nil) }
        }

        let port = LoopbackHTTP.freePort()
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: Self.environment(dataDirectory: dataDirectory, port: port))
        let first = try process.start(["serve", "--log-level", "debug"], log: scratch.url.appendingPathComponent("first.log"))
        let database = try AppDatabase.open(at: dataDirectory.appendingPathComponent("balcao.sqlite"))
        // Wait until a worker is inside a job (a loaded machine can take its time to start the daemon), then kill
        // without warning.
        let sawWork = await eventually(timeout: .seconds(120)) {
            (try? database.documents().contains(where: { [.extracting, .chunking, .embedding].contains($0.status) })) == true
        }
        kill(first.processIdentifier, SIGKILL)
        await BalcaoProcess.waitForExit(first)
        #expect(sawWork, "the daemon never started a job")

        let second = try process.start(["serve"], log: scratch.url.appendingPathComponent("second.log"))
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        var documents: [Document] = []
        for _ in 0..<1200 {
            documents = try database.documents()
            if try documents.allSatisfy({ $0.status.isFinal }) && database.pendingJobCount() == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(documents.count == files.count)
        for document in documents {
            #expect(document.status == .indexed, "\(document.filename): \(document.status) \(document.reason ?? "")")
            #expect(document.chunks == expected[document.sha256], "\(document.filename)")
            let stored = try database.chunks(ofDocument: document.id!)
            #expect(stored.count == document.chunks)
            #expect(stored.map(\.ordinal) == Array(0..<stored.count))
        }
        kill(second.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(second)
    }

    @Test("`balcao ingest` shows a line per file and fails when one fails; `search --json` and `documents` read the result")
    func ingestAndSearchCommands() async throws {
        let scratch = try Scratch()
        let environment = Self.environment(dataDirectory: scratch.url.appendingPathComponent("data"), port: 0)
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: environment)
        let good = try await process.run(["ingest", "--agent", "leis", SharedFixtures.corpus("pdf/ptlaw_01060115.pdf").path])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("✓ ptlaw_01060115.pdf: indexed as document 1"))

        let mixed = try await process.run([
            "ingest", SharedFixtures.corpus("pdf/ptlaw_01060115.pdf").path, SharedFixtures.corpus("pdf/derived_truncated_half.pdf").path,
            scratch.url.appendingPathComponent("missing.pdf").path,
        ])
        #expect(mixed.status != 0)
        #expect(mixed.stdout.contains("= ptlaw_01060115.pdf: already stored as document 1 (indexed)"))
        #expect(mixed.stdout.contains("✗ derived_truncated_half.pdf: unreadable"))
        #expect(mixed.stdout.contains("✗ missing.pdf"))

        let search = try await process.run(["search", "--json", "--agent", "leis", "--limit", "3", "reprivatizacao"])
        #expect(search.status == 0, "\(search.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any])
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(!results.isEmpty)
        #expect(results.allSatisfy { $0["filename"] as? String == "ptlaw_01060115.pdf" })
        #expect(results.allSatisfy { ($0["text"] as? String)?.lowercased().contains("reprivatização") == true })

        let list = try await process.run(["documents", "list"])
        #expect(list.stdout.contains("unreadable"))
        #expect(list.stdout.contains("indexed"))
        let show = try await process.run(["documents", "show", "1"])
        #expect(show.stdout.contains("Document 1: ptlaw_01060115.pdf"))
        let version = try await process.run(["--version"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == BalcaoVersion.current)
    }

    @Test("`balcao ask`: a policy uploaded as two files is quoted once, its sources naming both")
    func askQuotesADuplicatedPassageOnce() async throws {
        let scratch = try Scratch()
        let environment = Self.environment(dataDirectory: scratch.url.appendingPathComponent("data"), port: 0)
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: environment)
        let policy =
            "Trocas e devoluções: você pode devolver o produto em até 7 dias corridos após o recebimento e receber o "
            + "reembolso integral, com a nota fiscal.\n\nEntregas: enviamos para todo o Brasil em 3 a 10 dias úteis."
        let text = scratch.url.appendingPathComponent("politicas.txt")
        let markdown = scratch.url.appendingPathComponent("politicas-site.md")
        try Data(policy.utf8).write(to: text)
        try Data(("# Políticas da loja\n\n" + policy).utf8).write(to: markdown)
        let ingested = try await process.run(["ingest", text.path, markdown.path])
        try #require(ingested.status == 0, "\(ingested.stdout)\(ingested.stderr)")

        let asked = try await process.run(["ask", "como faço para devolver um produto?"])
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(asked.stdout.components(separatedBy: "devolver o produto em até 7 dias").count - 1 == 1, "\(asked.stdout)")
        #expect(asked.stdout.contains("1. ["), "\(asked.stdout)")
        #expect(!asked.stdout.contains("2. ["), "one source line: \(asked.stdout)")
        let named =
            asked.stdout.contains("politicas.txt (also in politicas-site.md)") || asked.stdout.contains("politicas-site.md (also in politicas.txt)")
        #expect(named, "\(asked.stdout)")
    }

    @Test("`balcao user add`: the password from standard input signs in; bad flags, a weak password, a taken name fail clearly")
    func userAddCommand() async throws {
        let scratch = try Scratch()
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: Self.environment(dataDirectory: dataDirectory, port: 0))
        let password = "correct horse battery"

        let created = try await process.run(["user", "add", "--admin", "maria"], input: password + "\n")
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        #expect(created.stdout.contains("Created owner “maria”"))
        let operatorCreated = try await process.run(["user", "add", "--operator", "joao.silva"], input: password + "\n")
        #expect(operatorCreated.status == 0, "\(operatorCreated.stderr)")

        let both = try await process.run(["user", "add", "--admin", "--operator", "ana"], input: password + "\n")
        #expect(both.status != 0)
        #expect(both.stderr.contains("Give exactly one of --admin or --operator."))
        let weak = try await process.run(["user", "add", "--operator", "ana"], input: "short\n")
        #expect(weak.status != 0)
        #expect(weak.stderr.contains("The password must have at least"))
        let none = try await process.run(["user", "add", "--operator", "ana"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("No password on standard input."))
        let taken = try await process.run(["user", "add", "--operator", "MARIA"], input: password + "\n")
        #expect(taken.status != 0)
        #expect(taken.stderr.contains("Another user already has this name"))
        let badName = try await process.run(["user", "add", "--operator", "ana maria"], input: password + "\n")
        #expect(badName.status != 0)
        #expect(badName.stderr.contains("The user name must be"))

        let database = try AppDatabase.open(at: dataDirectory.appendingPathComponent("balcao.sqlite"))
        let users = AdminUsers(database: database)
        #expect(try users.all().map(\.username).sorted() == ["joao.silva", "maria"])
        #expect(try users.authenticate(username: "maria", password: password)?.role == .owner)
        #expect(try users.authenticate(username: "joao.silva", password: password)?.role == .operator)
        #expect(try users.authenticate(username: "maria", password: "wrong password!") == nil)
        let audited = try await database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT target FROM auditEntry WHERE action = 'user.create' ORDER BY id")
        }
        #expect(audited == ["maria", "joao.silva"])
    }

    @Test("`balcao reindex` refuses while a daemon holds the data directory, then rebuilds every document")
    func reindex() async throws {
        let scratch = try Scratch()
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let port = LoopbackHTTP.freePort()
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: Self.environment(dataDirectory: dataDirectory, port: port))
        let ingest = try await process.run([
            "ingest", SharedFixtures.corpus("pdf/ptlaw_0045800458.pdf").path, SharedFixtures.corpus("docx/pandoc_headers.docx").path,
        ])
        #expect(ingest.status == 0, "\(ingest.stdout)")
        let database = try AppDatabase.open(at: dataDirectory.appendingPathComponent("balcao.sqlite"))
        let before = try database.documents().map { try database.chunks(ofDocument: $0.id!) }

        let daemon = try process.start(["serve"], log: scratch.url.appendingPathComponent("log"))
        #expect(await LoopbackHTTP.waitUntilUp(URL(string: "http://127.0.0.1:\(port)/healthz")!))
        let refused = try await process.run(["reindex"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("Stop it first"))
        kill(daemon.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(daemon)

        let rebuilt = try await process.run(["reindex"])
        #expect(rebuilt.status == 0, "\(rebuilt.stdout)\(rebuilt.stderr)")
        #expect(rebuilt.stdout.contains("Re-indexed 2 of 2 documents."))
        let after = try database.documents().map { try database.chunks(ofDocument: $0.id!) }
        #expect(after.map { $0.map(\.text) } == before.map { $0.map(\.text) })
        #expect(after.flatMap { $0.map(\.id) } != before.flatMap { $0.map(\.id) })
        #expect(try database.documents().allSatisfy { $0.status == .indexed })
    }

    @Test("kill -9 right after a webhook was accepted: the reply is still sent, once, after restart")
    func killAfterWebhookAccepted() async throws {
        let scratch = try Scratch()
        let graph = try await FakeGraphAPI.start()
        defer { Task { await graph.stop() } }
        let dataDirectory = scratch.url.appendingPathComponent("data")
        let port = LoopbackHTTP.freePort()
        var environment = Self.environment(dataDirectory: dataDirectory, port: port)
        environment["BALCAO_WHATSAPP_APP_SECRET"] = WhatsAppHarness.appSecret
        environment["BALCAO_WHATSAPP_ACCESS_TOKEN"] = graph.accessToken
        environment["BALCAO_WHATSAPP_GRAPH_BASE_URL"] = graph.baseURL
        environment["BALCAO_WHATSAPP_QUIET_PERIOD_SECONDS"] = "1.5"
        let process = BalcaoProcess(workingDirectory: scratch.url, environment: environment)
        let policy = scratch.url.appendingPathComponent("politica.txt")
        try Data(WhatsAppHarness.policy.utf8).write(to: policy)
        #expect(try await process.run(["ingest", "--agent", "loja", policy.path]).status == 0)

        let first = try process.start(["serve"], log: scratch.url.appendingPathComponent("first.log"))
        #expect(await LoopbackHTTP.waitUntilUp(URL(string: "http://127.0.0.1:\(port)/healthz")!))
        let body = WhatsAppHarness.textWebhook("Qual o prazo para devolução?", id: "wamid.KILL-9")
        let status = await LoopbackHTTP.post(
            body,
            to: URL(string: "http://127.0.0.1:\(port)/webhooks/whatsapp")!,
            headers: [
                "Content-Type": "application/json", WebhookSigner.headerName: WebhookSigner.sign(body: body, appSecret: WhatsAppHarness.appSecret),
            ]
        )
        #expect(status == 200)
        kill(first.processIdentifier, SIGKILL)
        await BalcaoProcess.waitForExit(first)
        #expect(graph.sentMessages.isEmpty, "the reply must not have gone out before the quiet period")

        let second = try process.start(["serve"], log: scratch.url.appendingPathComponent("second.log"))
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        _ = await graph.waitForRequests(1, timeout: .seconds(120)) { !$0.isMarkAsRead }
        try await Task.sleep(for: .seconds(2))
        #expect(graph.sentMessages.count == 1)
        #expect(graph.sentMessages.first?.textBody?.contains("7 dias") == true)
        kill(second.processIdentifier, SIGTERM)
        await BalcaoProcess.waitForExit(second)
    }
}
