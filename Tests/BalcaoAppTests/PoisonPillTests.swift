import BalcaoTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Poison pills through the real daemon: files whose reading crashes, hangs or once recursed forever each end as one
/// document with a plain reason, while the daemon keeps answering WhatsApp customers.
@Suite("Poison pills never take the daemon down", .serialized)
struct PoisonPillTests {
    static let appSecret = "pill-app-secret"

    /// A document reader that behaves like a parser hitting a hostile file when the file's first bytes say so, and is
    /// the real `balcao extract` otherwise (it gets the request, with the stored original's path, on standard input).
    static func hostileReader(in directory: URL) throws -> URL {
        let script = directory.appendingPathComponent("hostile-reader.sh")
        let body = """
            #!/bin/sh
            request=$(cat)
            file=$(printf '%s' "$request" | python3 -c 'import json, sys; print(json.load(sys.stdin)["file"])')
            case "$(head -c 200 "$file")" in
              *hang-forever*) exec sleep 600 ;;
              *segfault*) kill -SEGV $$ ;;
              *abort-now*) kill -s ABRT $$ ;;
            esac
            printf '%s' "$request" | exec '\(SharedFixtures.balcaoExecutable.path)' extract
            """
        try Data(body.utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    struct Daemon {
        let base: URL
        let process: Process

        func upload(_ name: String, _ content: Data) async throws -> Int64 {
            let boundary = "pill-\(UUID().uuidString)"
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n".utf8)
            body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + content + Data("\r\n--\(boundary)--\r\n".utf8)
            var request = URLRequest(url: base.appendingPathComponent("api/v1/documents"))
            request.httpMethod = "POST"
            request.setValue("Bearer pill-token", forHTTPHeaderField: "Authorization")
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 201, "\(String(decoding: data, as: UTF8.self))")
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require((json["id"] as? NSNumber)?.int64Value)
        }

        func document(_ id: Int64) async throws -> [String: Any] {
            var request = URLRequest(url: base.appendingPathComponent("api/v1/documents/\(id)"))
            request.setValue("Bearer pill-token", forHTTPHeaderField: "Authorization")
            let (data, _) = try await URLSession.shared.data(for: request)
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Waits until the document is in a final state; returns its status and reason.
        func finalState(_ id: Int64) async throws -> (status: String, reason: String?) {
            var last: [String: Any] = [:]
            let final: Set<String> = ["indexed", "failed", "needs_ocr", "unreadable"]
            _ = await eventually(timeout: .seconds(180)) {
                last = (try? await document(id)) ?? [:]
                return final.contains(last["status"] as? String ?? "")
            }
            return (last["status"] as? String ?? "?", last["reason"] as? String)
        }
    }

    @Test("crash, abort, hang and the long-URL file each end one document; webhooks are answered meanwhile")
    func pillsEndAlone() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-pill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let graph = try await FakeGraphAPI.start()
        let port = LoopbackHTTP.freePort()
        let environment = [
            "BALCAO_STORAGE_DATA_DIR": scratch.appendingPathComponent("data").path, "BALCAO_SERVER_PORT": String(port),
            "BALCAO_SERVER_API_TOKEN": "pill-token", "BALCAO_EMBEDDING_PROVIDER": "none",
            "BALCAO_STORAGE_EXTRACTOR_EXECUTABLE": try Self.hostileReader(in: scratch).path,
            // Long enough for the real reader on a loaded machine; the hang is stopped only by it.
            "BALCAO_STORAGE_EXTRACTION_TIMEOUT_SECONDS": "20",
            "BALCAO_WHATSAPP_APP_SECRET": Self.appSecret, "BALCAO_WHATSAPP_VERIFY_TOKEN": "verify",
            "BALCAO_WHATSAPP_ACCESS_TOKEN": graph.accessToken, "BALCAO_WHATSAPP_GRAPH_BASE_URL": graph.baseURL,
            "BALCAO_WHATSAPP_QUIET_PERIOD_SECONDS": "0",
        ]
        let process = try BalcaoProcess(workingDirectory: scratch, environment: environment)
            .start(["serve"], log: scratch.appendingPathComponent("daemon.log"))
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let base = URL(string: "http://127.0.0.1:\(port)")!
        #expect(await LoopbackHTTP.waitUntilUp(base.appendingPathComponent("healthz")))
        let daemon = Daemon(base: base, process: process)

        // The hang goes first and holds one worker for the whole timeout; everything else goes on around it.
        let hang = try await daemon.upload("hang-forever.txt", Data("hang-forever: texto que nunca termina de ler.\n".utf8))
        let url = "Veja https://loja.example/" + String(repeating: "a", count: 4_000) + " para detalhes.\n"
        let pill = try await daemon.upload("pill.txt", Data(url.utf8))
        let crash = try await daemon.upload("segfault.txt", Data("segfault: um arquivo que derruba o leitor.\n".utf8))
        let abort = try await daemon.upload("abort.txt", Data("abort-now: outro arquivo que derruba o leitor.\n".utf8))

        // A customer writes while the hang is being read: the answer goes out.
        let webhook = Data(
            #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Ana"},"wa_id":"5511911112222"}],"messages":[{"from":"5511911112222","id":"wamid.PILL1","timestamp":"\#(Int(Date().timeIntervalSince1970))","type":"text","text":{"body":"Qual o prazo de troca?"}}]}}]}]}"#
                .utf8
        )
        let status = await LoopbackHTTP.post(
            webhook,
            to: base.appendingPathComponent("webhooks/whatsapp"),
            headers: ["Content-Type": "application/json", "X-Hub-Signature-256": WebhookSigner.sign(body: webhook, appSecret: Self.appSecret)]
        )
        #expect(status == 200)
        let replies = await graph.waitForRequests(1, timeout: .seconds(120)) { !$0.isMarkAsRead }
        #expect(replies.filter { !$0.isMarkAsRead }.count == 1)

        let pillState = try await daemon.finalState(pill)
        #expect(pillState.status == "indexed", "\(pillState)")
        let crashState = try await daemon.finalState(crash)
        #expect(crashState.status == "failed")
        #expect(crashState.reason?.contains("crashed on this file (signal 11)") == true, "\(crashState)")
        let abortState = try await daemon.finalState(abort)
        #expect(abortState.status == "failed")
        #expect(abortState.reason?.contains("signal 6") == true, "\(abortState)")
        let hangState = try await daemon.finalState(hang)
        #expect(hangState.status == "failed")
        #expect(hangState.reason == "Processing this file made no progress for 20 s and was stopped.")

        // Still serving, and the long URL is searchable.
        #expect(process.isRunning)
        #expect(await LoopbackHTTP.status(of: base.appendingPathComponent("healthz")) == 200)
        var search = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/search?q=detalhes")!)
        search.setValue("Bearer pill-token", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: search)
        #expect(String(decoding: data, as: UTF8.self).contains("pill.txt"))
        await graph.stop()
    }
}
