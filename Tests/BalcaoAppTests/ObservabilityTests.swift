import BalcaoTesting
import Credits
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Storage
import Synchronization
import Testing

@testable import BalcaoApp

/// `/metrics`, `/readyz`, `/healthz` and JSON logs.
@Suite("Observability")
struct ObservabilityTests {
    /// The value of one sample line (`name{labels} value`) of a Prometheus text exposition, or `nil` when absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == series { return Double(parts[1]) }
        }
        return nil
    }

    static func metrics(_ client: some TestClientProtocol) async throws -> String {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return String(buffer: response.body)
    }

    @Test("/metrics counts webhooks, turns, answers by outcome, handoffs, LLM calls and errors, sends, credits and ingestion")
    func metricsContent() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let balcao = harness.daemon.balcao
        _ = try await balcao.ledger.topUp(amount: CreditAmount(credits: 50), reason: "test", actor: "test")
        try await harness.run { client in
            let empty = try await Self.metrics(client)
            for family in [
                #"balcao_webhooks_received_total{channel="whatsapp"}"#, #"balcao_webhooks_received_total{channel="instagram"}"#,
                #"balcao_turns_total{channel="whatsapp"}"#, "balcao_handoffs_total", "balcao_llm_request_duration_seconds_count",
                "balcao_vector_search_duration_seconds_count", "balcao_ingestion_queue_depth", "balcao_vector_index_vectors",
            ] {
                #expect(Self.sample(empty, family) == 0, "\(family) missing or not zero:\n\(empty)")
            }
            #expect(Self.sample(empty, "balcao_credits_balance") == 50)

            // One answered question, one handoff, one question while the model refuses the key, two rejected deliveries.
            #expect(
                try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", from: "5511999990001"), client: client).status
                    == .ok
            )
            _ = await harness.waitForSends(1)
            #expect(
                try await harness.deliver(WhatsAppHarness.textWebhook("Quero falar com um atendente", from: "5511999990002"), client: client).status
                    == .ok
            )
            _ = await harness.waitForSends(2)
            harness.llm?.failNext(1, status: 401, message: "bad key")
            #expect(
                try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?", from: "5511999990003"), client: client).status
                    == .ok
            )
            _ = await harness.waitForSends(3)
            let body = WhatsAppHarness.textWebhook("forjada")
            #expect(try await harness.deliver(body, client: client, signature: "sha256=" + String(repeating: "0", count: 64)).status == .forbidden)
            #expect(try await harness.deliver(body, client: client, signature: .some(nil)).status == .unauthorized)

            // A document uploaded through the API goes through the ingestion workers.
            var upload = MultipartBody()
            upload.addFile(filename: "horario.txt", contents: Data("Horário: das 9h às 18h.\n".utf8))
            let created = try await client.execute(
                uri: "/api/v1/documents",
                method: .post,
                headers: [.authorization: harness.daemon.authorization, .contentType: upload.contentType],
                body: ByteBuffer(data: upload.encoded)
            )
            #expect(created.status == .created)
            var text = ""
            for _ in 0..<100 {
                text = try await Self.metrics(client)
                if Self.sample(text, #"balcao_ingestion_duration_seconds_count{outcome="indexed"}"#) == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(Self.sample(text, #"balcao_webhooks_received_total{channel="whatsapp"}"#) == 3)
            #expect(Self.sample(text, #"balcao_webhooks_rejected_total{reason="invalid_signature",channel="whatsapp"}"#) == 1)
            #expect(Self.sample(text, #"balcao_webhooks_rejected_total{reason="missing_signature",channel="whatsapp"}"#) == 1)
            #expect(Self.sample(text, #"balcao_turns_total{channel="whatsapp"}"#) == 3)
            #expect(Self.sample(text, #"balcao_answers_total{outcome="generated",channel="whatsapp"}"#) == 1)
            #expect(Self.sample(text, #"balcao_answers_total{outcome="handoff",channel="whatsapp"}"#) == 1)
            #expect(Self.sample(text, #"balcao_answers_total{outcome="extractive",channel="whatsapp"}"#) == 1)
            #expect(Self.sample(text, "balcao_handoffs_total") == 1)
            #expect(Self.sample(text, "balcao_llm_request_duration_seconds_count") == 2)
            #expect(Self.sample(text, #"balcao_llm_errors_total{code="unauthorized"}"#) == 1)
            #expect(Self.sample(text, #"balcao_sends_total{channel="whatsapp",result="sent"}"#) == 3)
            #expect(Self.sample(text, #"balcao_ingestion_duration_seconds_count{outcome="indexed"}"#) == 1, "\(text)")
            #expect(Self.sample(text, "balcao_ingestion_queue_depth") == 0)
            #expect(Self.sample(text, "balcao_credits_balance") == 50, "answers are free in this configuration")
            #expect(text.contains("# TYPE balcao_llm_request_duration_seconds histogram"))
            #expect(text.contains("# HELP balcao_answers_total"))
            // Scraping again counts nothing twice.
            let again = try await Self.metrics(client)
            #expect(Self.sample(again, #"balcao_turns_total{channel="whatsapp"}"#) == 3)
            #expect(Self.sample(again, #"balcao_answers_total{outcome="generated",channel="whatsapp"}"#) == 1)
        }
        // Another daemon in the same process has its own registry.
        let other = try TestDaemon()
        let otherText = try other.balcao.metrics.render(database: other.balcao.database, vectorIndexSize: nil)
        #expect(Self.sample(otherText, #"balcao_webhooks_received_total{channel="whatsapp"}"#) == 0)
        #expect(Self.sample(otherText, #"balcao_turns_total{channel="whatsapp"}"#) == 0)
    }

    @Test("credit spend is counted once, as it is debited")
    func creditSpend() async throws {
        let daemon = try TestDaemon()
        let ledger = daemon.balcao.ledger
        _ = try await ledger.topUp(amount: CreditAmount(credits: 10), reason: "test", actor: "test")
        let first = try daemon.balcao.metrics.render(database: daemon.balcao.database, vectorIndexSize: nil)
        #expect(Self.sample(first, "balcao_credits_balance") == 10)
        #expect(Self.sample(first, "balcao_credits_spent_total") == 0)
        try await daemon.balcao.database.writer.write { db in
            try db.execute(
                sql: "INSERT INTO creditEntry (kind, amount, reason, actor, createdAt) VALUES ('debit', -2500000, 'answer', 'system', ?)",
                arguments: [Date()]
            )
        }
        let second = try daemon.balcao.metrics.render(database: daemon.balcao.database, vectorIndexSize: nil)
        #expect(Self.sample(second, "balcao_credits_balance") == 7.5)
        #expect(Self.sample(second, "balcao_credits_spent_total") == 2.5)
        let third = try daemon.balcao.metrics.render(database: daemon.balcao.database, vectorIndexSize: nil)
        #expect(Self.sample(third, "balcao_credits_spent_total") == 2.5)
    }

    @Test("/readyz is 200 when the database takes writes, 503 naming the failed check otherwise; /healthz stays 200")
    func readiness() async throws {
        let daemon = try TestDaemon()
        let app = try buildApplication(daemon.balcao)
        try await app.test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: ready.body)) as? [String: Any])
            #expect(body["status"] as? String == "ready")
            #expect((body["checks"] as? [String: String])?["database"] == "ok")

            // The database stops taking writes (read-only file system, full disk…).
            try await daemon.balcao.database.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = ON") }
            let broken = try await client.execute(uri: "/readyz", method: .get)
            #expect(broken.status == .serviceUnavailable)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(buffer: broken.body)) as? [String: Any])
            #expect((report["checks"] as? [String: String])?["database"]?.hasPrefix("failed") == true)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            try await daemon.balcao.database.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = OFF") }
        }

        // The local embedding model is configured but cannot be loaded.
        let missingModel = try TestDaemon {
            $0.embedding.provider = "local"
            $0.embedding.modelPath = "/nonexistent/e5-small-q4.bin"
        }
        let report = await missingModel.balcao.readiness()
        #expect(!report.isReady)
        #expect(report.checks["embedding"]?.hasPrefix("failed") == true)
        #expect(report.checks["database"] == "ok")
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test("JSON logs: one object per line, request logs carry a request id")
    func jsonLogs() async throws {
        let captured = Lines()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-logs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var configuration = BalcaoConfiguration()
        configuration.storage.dataDirectory = scratch.path
        configuration.server.apiToken = "t"
        configuration.embedding.provider = "none"
        let logger = Logger(label: "balcao") { label in
            JSONLogHandler(label: label, level: .info) { line in captured.lines.withLock { $0.append(line) } }
        }
        let balcao = try Balcao.open(configuration: configuration, logger: logger)
        let app = try buildApplication(balcao)
        try await app.test(.live) { client in
            _ = try await client.execute(uri: "/api/v1/documents", method: .get, headers: [.authorization: "Bearer t"])
            _ = try await client.execute(uri: "/healthz", method: .get)
        }
        let lines = captured.lines.withLock { $0 }
        #expect(!lines.isEmpty)
        var requestIDs: Set<String> = []
        for line in lines {
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line per event")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["time"] is String && object["level"] is String && object["message"] is String)
            if let id = object["request_id"] as? String, object["hb.request.path"] != nil { requestIDs.insert(id) }
        }
        #expect(requestIDs.count == 2, "each request's log line has its own request id: \(lines)")

        // Quotes, newlines and control characters stay inside one valid JSON string.
        let tricky = Lines()
        let handler = JSONLogHandler(label: "t", level: .info) { line in tricky.lines.withLock { $0.append(line) } }
        Logger(label: "t") { _ in handler }.info("a \"quoted\"\nline\u{1}", metadata: ["nested": ["k": "v", "list": ["1", "2"]]])
        let line = try #require(tricky.lines.withLock { $0.first })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "a \"quoted\"\nline\u{1}")
        #expect((object["nested"] as? [String: Any])?["list"] as? [String] == ["1", "2"])
    }

    @Test("log format: configured value wins; otherwise JSON under systemd or without a terminal, text at a terminal")
    func logFormatChoice() {
        #expect(LogFormat.resolve(configured: "text", environment: ["JOURNAL_STREAM": "8:123"], stdoutIsTerminal: false) == .text)
        #expect(LogFormat.resolve(configured: "json", environment: [:], stdoutIsTerminal: true) == .json)
        #expect(LogFormat.resolve(configured: nil, environment: ["JOURNAL_STREAM": "8:123"], stdoutIsTerminal: true) == .json)
        #expect(LogFormat.resolve(configured: nil, environment: [:], stdoutIsTerminal: false) == .json)
        #expect(LogFormat.resolve(configured: nil, environment: [:], stdoutIsTerminal: true) == .text)
    }
}
