import BalcaoTesting
import Foundation
import Storage
import Testing

@testable import BalcaoApp

/// `balcao doctor` names each problem of a broken install and passes a good one.
@Suite("balcao doctor", .serialized)
struct DoctorTests {
    final class Scratch: Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-doctor-\(UUID().uuidString)", isDirectory: true)
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// A data directory with one indexed document (vectors from the fake LLM's embeddings) and its configuration file.
    static func install(in scratch: URL, llm: FakeLLM, graph: FakeGraphAPI) async throws -> (config: URL, data: URL) {
        let data = scratch.appendingPathComponent("data")
        let config = scratch.appendingPathComponent("balcao.toml")
        try Data(
            """
            [storage]
            data_dir = "\(data.path)"
            [embedding]
            provider = "openai"
            base_url = "\(llm.baseURL)"
            model = "fake-embed"
            dimension = \(FakeEmbeddings.dimension)
            [llm]
            base_url = "\(llm.baseURL)"
            model = "fake-model"
            [whatsapp]
            access_token = "\(graph.accessToken)"
            graph_base_url = "\(graph.baseURL)"
            """.utf8
        ).write(to: config)
        let configuration = try BalcaoConfiguration.load(file: config, environment: [:])
        let balcao = try Balcao.open(configuration: configuration)
        let file = scratch.appendingPathComponent("politica.txt")
        try Data(String(repeating: "Trocas em até 7 dias com nota fiscal. Reembolso em até 10 dias úteis.\n\n", count: 40).utf8).write(to: file)
        _ = try await balcao.library.add(fileAt: file, agent: nil, password: nil)
        while let job = try await balcao.database.claimNextJob() { await balcao.pipeline.run(job) }
        #expect(try balcao.database.documents().allSatisfy { $0.status == .indexed })
        _ = try balcao.apiToken()
        return (config, data)
    }

    static func check(_ checks: [DoctorCheck], _ name: String) -> DoctorCheck? { checks.first { $0.name == name } }

    @Test("a good install passes every check (fake LLM and Graph API), and `balcao doctor` exits 0")
    func goodInstall() async throws {
        let scratch = try Scratch()
        let llm = try await FakeLLM.start()
        let graph = try await FakeGraphAPI.start()
        defer {
            Task {
                await llm.stop()
                await graph.stop()
            }
        }
        let (config, _) = try await Self.install(in: scratch.url, llm: llm, graph: graph)
        var doctor = Doctor(configurationFile: config, environment: [:])
        // The fakes answer at once, but a 2-core machine running two test suites once took more than the 5 s default.
        doctor.networkTimeout = .seconds(60)
        let checks = await doctor.run()
        let problems = checks.filter { $0.status == .fail || $0.status == .warn }
        #expect(problems.isEmpty, "\(Doctor.render(checks))")
        for name in [
            "configuration", "data directory", "secret.key", "api_token", "database", "migrations", "embedding model", "vector index",
            "language model", "WhatsApp Graph API",
        ] {
            #expect(Self.check(checks, name)?.status == .ok, "\(name): \(Doctor.render(checks))")
        }
        #expect(Self.check(checks, "vector index")?.detail.contains("all by openai:fake-embed") == true)
        #expect(Self.check(checks, "TLS certificate")?.status == .skip)

        let process = try await BalcaoProcess(workingDirectory: scratch.url).run(["doctor", "--config", config.path])
        #expect(process.status == 0, "\(process.stdout)\(process.stderr)")
        #expect(process.stdout.contains("All checks passed."))
    }

    @Test("a broken install: corrupt database, readable secret.key, missing model, unreachable LLM, refused token — each named, exit 1")
    func brokenInstall() async throws {
        let scratch = try Scratch()
        let llm = try await FakeLLM.start()
        let graph = try await FakeGraphAPI.start()
        defer {
            Task {
                await llm.stop()
                await graph.stop()
            }
        }
        let (_, data) = try await Self.install(in: scratch.url, llm: llm, graph: graph)
        let directory = DataDirectory(root: data)
        // Corrupt the database's pages (the header stays, so it still opens).
        var bytes = try Data(contentsOf: directory.database)
        for page in stride(from: 2, to: bytes.count / 4096, by: 3) {
            for offset in (page * 4096 + 8)..<(page * 4096 + 200) where offset < bytes.count { bytes[offset] = 0x5A }
        }
        try bytes.write(to: directory.database)
        try? FileManager.default.removeItem(at: data.appendingPathComponent("balcao.sqlite-wal"))
        try? FileManager.default.removeItem(at: data.appendingPathComponent("balcao.sqlite-shm"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory.secretKey.path)
        let broken = scratch.url.appendingPathComponent("broken.toml")
        try Data(
            """
            [storage]
            data_dir = "\(data.path)"
            [embedding]
            provider = "local"
            model_path = "\(scratch.url.path)/models/e5-small-q4.bin"
            [llm]
            base_url = "http://127.0.0.1:1/v1"
            [whatsapp]
            access_token = "expired-token"
            graph_base_url = "\(graph.baseURL)"
            """.utf8
        ).write(to: broken)
        let checks = await Doctor(configurationFile: broken, environment: [:]).run()
        let report = Doctor.render(checks)
        #expect(Self.check(checks, "database")?.status == .fail, "\(report)")
        #expect(Self.check(checks, "database")?.detail.contains("integrity_check") == true)
        #expect(Self.check(checks, "secret.key")?.status == .fail, "\(report)")
        #expect(Self.check(checks, "secret.key")?.fix?.contains("chmod 600") == true)
        #expect(Self.check(checks, "embedding model")?.status == .fail, "\(report)")
        #expect(Self.check(checks, "embedding model")?.detail.contains("missing") == true)
        #expect(Self.check(checks, "language model")?.status == .fail, "\(report)")
        #expect(Self.check(checks, "language model")?.detail.contains("unreachable") == true)
        #expect(Self.check(checks, "WhatsApp Graph API")?.status == .fail, "\(report)")
        #expect(checks.filter { $0.status == .fail }.allSatisfy { $0.fix != nil }, "every failure says what to do")

        let process = try await BalcaoProcess(workingDirectory: scratch.url).run(["doctor", "--config", broken.path])
        #expect(process.status == 1, "\(process.stdout)\(process.stderr)")
        for name in ["FAIL  database", "FAIL  secret.key", "FAIL  embedding model", "FAIL  language model", "FAIL  WhatsApp Graph API"] {
            #expect(process.stdout.contains(name), "\(name) missing from:\n\(process.stdout)")
        }
    }

    @Test("an unknown key fails the configuration check and nothing else runs")
    func unknownKey() async throws {
        let scratch = try Scratch()
        let file = scratch.url.appendingPathComponent("typo.toml")
        try Data("[server]\nprot = 8080\n".utf8).write(to: file)
        let checks = await Doctor(configurationFile: file, environment: [:]).run()
        #expect(checks.count == 1)
        #expect(checks.first?.status == .fail)
        #expect(checks.first?.detail.contains("unknown key \"prot\"") == true)
    }

    @Test("certificate expiry: read from the PEM's validity; soon → WARN, far → OK, unreadable → FAIL")
    func certificateExpiry() async throws {
        let scratch = try Scratch()
        let far = try #require(await Self.makeCertificate(days: 3650, in: scratch.url))
        let expiry = try #require(Doctor.certificateExpiry(pem: try String(contentsOf: far, encoding: .utf8)))
        #expect(expiry.timeIntervalSinceNow > 3640 * 86_400 && expiry.timeIntervalSinceNow < 3660 * 86_400)
        #expect(Doctor.certificateExpiry(pem: "not a certificate") == nil)
        #expect(try Self.certificateCheck(environment: ["BALCAO_SERVER_TLS_CERTIFICATE": far.path]).status == .ok)
        let soon = try #require(await Self.makeCertificate(days: 2, in: scratch.url))
        let warning = try Self.certificateCheck(environment: ["BALCAO_SERVER_TLS_CERTIFICATE": soon.path])
        #expect(warning.status == .warn)
        #expect(warning.detail.contains("expires in 1 days") || warning.detail.contains("expires in 2 days"))
        let garbage = scratch.url.appendingPathComponent("garbage.pem")
        try Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8).write(to: garbage)
        #expect(try Self.certificateCheck(environment: ["BALCAO_SERVER_TLS_CERTIFICATE": garbage.path]).status == .fail)
        #expect(try Self.certificateCheck(environment: [:]).status == .skip)
    }

    @Test("[server] tls_certificate is a documented key: a file naming it parses, and doctor checks that certificate")
    func certificateFromFile() async throws {
        let scratch = try Scratch()
        let certificate = try #require(await Self.makeCertificate(days: 2, in: scratch.url))
        let file = scratch.url.appendingPathComponent("balcao.toml")
        try Data("[server]\ntls_certificate = \"\(certificate.path)\"\n[storage]\ndata_dir = \"\(scratch.url.path)/data\"\n".utf8)
            .write(to: file)
        #expect(try BalcaoConfiguration.load(file: file, environment: [:]).server.tlsCertificate == certificate.path)
        let checks = await Doctor(configurationFile: file, environment: [:]).run()
        #expect(Self.check(checks, "configuration")?.status == .ok)
        #expect(Self.check(checks, "TLS certificate")?.status == .warn)
    }

    /// The certificate check on the configuration `environment` gives (no file).
    static func certificateCheck(environment: [String: String]) throws -> DoctorCheck {
        Doctor(configurationFile: nil, environment: environment)
            .certificateCheck(try BalcaoConfiguration.load(file: nil, environment: environment))
    }

    /// A fresh self-signed certificate from the `openssl` command, valid `days` days.
    static func makeCertificate(days: Int, in directory: URL) async -> URL? {
        let name = UUID().uuidString
        let certificate = directory.appendingPathComponent("\(name).pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=balcao.test", "-days", String(days),
            "-keyout", directory.appendingPathComponent("\(name).key").path, "-out", certificate.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        await BalcaoProcess.waitForExit(process)
        return process.terminationStatus == 0 ? certificate : nil
    }
}
