import Embedding
public import Foundation
import LLM
import Storage
import WhatsApp

#if canImport(Glibc)
import Glibc
#endif

/// One finding of ``Doctor``.
public struct DoctorCheck: Sendable, Hashable {
    /// How bad it is.
    public enum Status: String, Sendable, Hashable {
        /// Fine.
        case ok = "OK"
        /// Works, but should be looked at.
        case warn = "WARN"
        /// Broken: the daemon cannot work properly until it is fixed.
        case fail = "FAIL"
        /// Not applicable to this configuration.
        case skip = "SKIP"
    }

    /// What was checked (`configuration`, `secret.key`, `database`, …).
    public var name: String
    /// The verdict.
    public var status: Status
    /// What was found.
    public var detail: String
    /// What to do about it (for WARN and FAIL).
    public var fix: String?

    /// A finding.
    public init(_ name: String, _ status: Status, _ detail: String, fix: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
    }
}

/// `balcao doctor`: checks an installation and says what to fix. Reads only; safe while the daemon runs.
public struct Doctor: Sendable {
    /// The configuration file, if any.
    public var configurationFile: URL?
    /// Environment variables (`BALCAO_*` overrides).
    public var environment: [String: String]
    /// Overrides the data directory of the configuration.
    public var dataDirectory: String?
    /// Time allowed to each network check.
    public var networkTimeout: Duration = .seconds(5)

    /// A doctor for a configuration file and environment.
    public init(configurationFile: URL?, environment: [String: String] = ProcessInfo.processInfo.environment, dataDirectory: String? = nil) {
        self.configurationFile = configurationFile
        self.environment = environment
        self.dataDirectory = dataDirectory
    }

    /// Runs every check, in order.
    public func run() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let configuration: BalcaoConfiguration
        do {
            configuration = try BalcaoConfiguration.load(file: configurationFile, environment: environment)
            checks.append(.init("configuration", .ok, configurationFile.map { "\($0.path) parsed, every key known" } ?? "no file: embedded defaults"))
        } catch {
            return [
                .init(
                    "configuration",
                    .fail,
                    "\(error)",
                    fix: "correct the file (see the documented example /etc/balcao/balcao.toml or Resources/balcao.toml)"
                )
            ]
        }
        var settings = configuration
        if let dataDirectory { settings.storage.dataDirectory = dataDirectory }
        let directory = DataDirectory(root: settings.dataDirectoryURL)
        checks += permissionChecks(directory)
        checks += databaseChecks(directory)
        let (model, identity) = modelCheck(settings, directory: directory)
        checks.append(model)
        checks.append(indexCheck(directory, modelIdentity: identity))
        checks.append(await llmCheck(settings))
        checks.append(await graphCheck(settings))
        checks.append(certificateCheck(settings))
        return checks
    }

    /// Whether any check failed.
    public static func hasFailure(_ checks: [DoctorCheck]) -> Bool { checks.contains { $0.status == .fail } }

    /// The report as text, one check a line, each problem followed by what to do.
    public static func render(_ checks: [DoctorCheck]) -> String {
        var lines: [String] = []
        for check in checks {
            lines.append("\(check.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(check.name): \(check.detail)")
            if let fix = check.fix, check.status == .warn || check.status == .fail { lines.append("      → \(fix)") }
        }
        let failures = checks.filter { $0.status == .fail }.count
        let warnings = checks.filter { $0.status == .warn }.count
        lines.append(failures == 0 && warnings == 0 ? "All checks passed." : "\(failures) failed, \(warnings) warnings.")
        return lines.joined(separator: "\n")
    }

    // MARK: Files

    func permissionChecks(_ directory: DataDirectory) -> [DoctorCheck] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [
                .init(
                    "data directory",
                    .fail,
                    "\(directory.root.path) does not exist",
                    fix: "start the daemon once (it creates it) or restore a backup: balcao restore FILE"
                )
            ]
        }
        var checks: [DoctorCheck] = []
        let uid = getuid()
        if let info = Self.stat(directory.root.path) {
            if info.owner != uid {
                checks.append(
                    .init(
                        "data directory",
                        .fail,
                        "\(directory.root.path) belongs to uid \(info.owner), not to the user running this (uid \(uid))",
                        fix: "chown -R balcao:balcao \(directory.root.path) (or run as the service user: sudo -u balcao balcao doctor)"
                    )
                )
            } else if info.mode & 0o077 != 0 {
                checks.append(
                    .init(
                        "data directory",
                        .warn,
                        "\(directory.root.path) has mode \(String(info.mode, radix: 8)): others can look inside",
                        fix: "chmod 700 \(directory.root.path)"
                    )
                )
            } else {
                checks.append(.init("data directory", .ok, "\(directory.root.path), owner-only (\(String(info.mode, radix: 8)))"))
            }
        }
        for (name, url) in [("secret.key", directory.secretKey), ("api_token", directory.root.appendingPathComponent("api_token"))] {
            guard let info = Self.stat(url.path) else {
                if name == "secret.key" && manager.fileExists(atPath: directory.database.path) {
                    checks.append(
                        .init(
                            name,
                            .fail,
                            "missing while the database exists: sealed secrets (document passwords) cannot be opened",
                            fix: "restore secret.key from a backup (balcao restore FILE)"
                        )
                    )
                }
                continue
            }
            let size = manager.contents(atPath: url.path)?.count
            if name == "secret.key", size != SecretBox.keySize {
                // The daemon refuses to start with it; never replaced, since a new key would lose every saved secret.
                checks.append(
                    .init(
                        name,
                        .fail,
                        "damaged: \(size.map { "\($0) bytes" } ?? "not a readable file") instead of \(SecretBox.keySize)",
                        fix: "restore secret.key from a backup (balcao restore FILE), or move it away to start with a new key "
                            + "(the saved secrets become unreadable)"
                    )
                )
            } else if info.owner != uid {
                checks.append(.init(name, .fail, "belongs to uid \(info.owner)", fix: "chown balcao:balcao \(url.path)"))
            } else if info.mode & 0o077 != 0 {
                checks.append(
                    .init(
                        name,
                        .fail,
                        "mode \(String(info.mode, radix: 8)): readable by other users",
                        fix: "chmod 600 \(url.path)"
                    )
                )
            } else {
                checks.append(.init(name, .ok, "mode \(String(info.mode, radix: 8))"))
            }
        }
        return checks
    }

    static func stat(_ path: String) -> (owner: uid_t, mode: UInt32)? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_uid, UInt32(info.st_mode) & 0o777)
    }

    func databaseChecks(_ directory: DataDirectory) -> [DoctorCheck] {
        guard FileManager.default.fileExists(atPath: directory.database.path) else {
            return [.init("database", .warn, "no database yet at \(directory.database.path)", fix: "start the daemon once: it creates it")]
        }
        // A read-only mount or a full disk keeps SQLite from opening the file at all: that is not a damaged database.
        if let storage = StorageError.probeWritable(directory.database) {
            let fix =
                storage == .diskFull
                ? "free space on the disk holding \(directory.root.path)"
                : "remount \(directory.root.path) read-write, or give it to the service user: chown -R balcao:balcao \(directory.root.path)"
            let detail =
                storage == .diskFull
                ? "no space left on the disk holding it" : "cannot be written (a read-only file system, or files owned by another user)"
            return [.init("database", .fail, "\(storage.code): \(detail)", fix: fix)]
        }
        let problems = AppDatabase.checkIntegrity(ofFileAt: directory.database)
        guard problems.isEmpty else {
            return [
                .init(
                    "database",
                    .fail,
                    "PRAGMA integrity_check failed: \(problems.prefix(3).joined(separator: "; "))",
                    fix: "stop the daemon and restore the latest backup: balcao restore --force FILE"
                )
            ]
        }
        var checks = [DoctorCheck("database", .ok, "integrity_check ok")]
        do {
            let (pending, unknown) = try AppDatabase.migrationStatus(ofFileAt: directory.database)
            if !unknown.isEmpty {
                checks.append(
                    .init(
                        "migrations",
                        .fail,
                        "the database was written by a newer Balcão (\(unknown.joined(separator: ", ")))",
                        fix: "install that version again, or restore a backup made by this one"
                    )
                )
            } else if !pending.isEmpty {
                checks.append(.init("migrations", .warn, "\(pending.count) not applied yet", fix: "they are applied when the daemon starts"))
            } else {
                checks.append(.init("migrations", .ok, "all applied"))
            }
        } catch {
            checks.append(.init("migrations", .fail, "cannot read: \(error)", fix: "restore the latest backup"))
        }
        return checks
    }

    // MARK: Model and index

    func modelCheck(_ configuration: BalcaoConfiguration, directory: DataDirectory) -> (DoctorCheck, String?) {
        let settings = configuration.embedding
        switch settings.provider {
        case "none":
            return (.init("embedding model", .skip, "provider = \"none\": keyword search only"), nil)
        case "openai":
            return (.init("embedding model", .ok, "remote: \(settings.model ?? "") at \(settings.baseURL ?? "")"), "openai:\(settings.model ?? "")")
        default:
            let file: URL?
            if let path = settings.modelPath {
                file = URL(fileURLWithPath: path)
            } else {
                file = LocalE5Embedder.findModel(in: EmbedderFactory.modelDirectories(configuration: configuration, directory: directory))
            }
            guard let file, FileManager.default.fileExists(atPath: file.path) else {
                return (
                    .init(
                        "embedding model",
                        .fail,
                        "the local model file is missing (\(settings.modelPath ?? "looked in \(directory.models.path) and /usr/share/balcao/models")): search is keyword-only",
                        fix: "bash scripts/fetch-model.sh \(directory.models.path), or reinstall the package"
                    ), nil
                )
            }
            do {
                let embedder = try LocalE5Embedder(modelFile: file, threads: 1)
                return (.init("embedding model", .ok, "\(file.path), checksum verified (\(embedder.modelIdentity))"), embedder.modelIdentity)
            } catch {
                return (
                    .init(
                        "embedding model",
                        .fail,
                        "\(file.path): \(error)",
                        fix: "fetch it again: bash scripts/fetch-model.sh, or reinstall the package"
                    ), nil
                )
            }
        }
    }

    func indexCheck(_ directory: DataDirectory, modelIdentity: String?) -> DoctorCheck {
        guard FileManager.default.fileExists(atPath: directory.database.path) else { return .init("vector index", .skip, "no database") }
        guard let modelIdentity else { return .init("vector index", .skip, "no embedding model") }
        do {
            let (chunks, byModel) = try AppDatabase.vectorCoverage(ofFileAt: directory.database)
            let current = byModel[modelIdentity] ?? 0
            let stale = byModel.filter { $0.key != modelIdentity }
            if !stale.isEmpty {
                return .init(
                    "vector index",
                    .warn,
                    "\(stale.values.reduce(0, +)) vectors were made by another model (\(stale.keys.sorted().joined(separator: ", "))), \(current) by \(modelIdentity)",
                    fix: "stop the daemon and run: balcao reindex"
                )
            }
            if current < chunks {
                return .init(
                    "vector index",
                    .warn,
                    "\(chunks - current) of \(chunks) indexed chunks have no vector",
                    fix: "stop the daemon and run: balcao reindex"
                )
            }
            return .init("vector index", .ok, "\(current) vectors for \(chunks) chunks, all by \(modelIdentity)")
        } catch {
            return .init("vector index", .fail, "cannot read the vectors: \(error)", fix: "restore the latest backup")
        }
    }

    // MARK: Network

    /// ``OpenAIChatClient/probe()``: the one-token chat completion the settings page's "Test connection" makes too.
    func llmCheck(_ configuration: BalcaoConfiguration) async -> DoctorCheck {
        guard let baseURL = configuration.llm.baseURL else {
            return .init("language model", .skip, "no [llm] base_url: answers quote the documents")
        }
        let model = configuration.llm.model ?? "gpt-4o-mini"
        let client = OpenAIChatClient(configuration: .init(baseURL: baseURL, apiKey: configuration.llm.apiKey, model: model, timeout: networkTimeout))
        switch await client.probe() {
        case .success(let answered):
            return .init("language model", .ok, "\(baseURL) answers with \(answered)")
        case .failure(let error):
            switch error.kind {
            case .transport, .timeout, .deadlineExceeded:
                return .init(
                    "language model",
                    .fail,
                    "\(baseURL) is unreachable: \(error.message)",
                    fix: "check [llm] base_url and that the server runs and is reachable from this host (answers fall back to quotes meanwhile)"
                )
            case .unauthorized:
                return .init("language model", .fail, "\(baseURL) refused the API key: \(error.message)", fix: "check [llm] api_key / api_key_file")
            default:
                return .init(
                    "language model",
                    .fail,
                    "\(baseURL) did not answer a one-token question with \(model): \(error.message)",
                    fix: "check [llm] base_url (it should end in /v1) and [llm] model against the server's /models list"
                )
            }
        }
    }

    /// ``GraphAPIClient/probe(phoneNumberID:)`` without a phone number id (`GET /me`): proves the access token.
    func graphCheck(_ configuration: BalcaoConfiguration) async -> DoctorCheck {
        guard let token = configuration.whatsapp.accessToken, !token.isEmpty else {
            return .init("WhatsApp Graph API", .skip, "no [whatsapp] access_token")
        }
        let base = configuration.whatsapp.graphBaseURL
        let client = GraphAPIClient(baseURL: base, accessToken: token, timeout: networkTimeout)
        do {
            _ = try await client.probe(phoneNumberID: nil)
            return .init("WhatsApp Graph API", .ok, "\(base) accepts the access token")
        } catch {
            switch error {
            case .timeout, .transport, .cancelled, .invalidRequest:
                return .init(
                    "WhatsApp Graph API",
                    .fail,
                    "\(base) is unreachable: \(error)",
                    fix: "check the network (HTTPS to graph.facebook.com) and [whatsapp] graph_base_url"
                )
            case .api, .httpStatus, .invalidResponse:
                return .init(
                    "WhatsApp Graph API",
                    .fail,
                    "\(base) refused the access token: \(error)",
                    fix: "renew [whatsapp] access_token (a permanent System User token) in Meta's Business settings"
                )
            }
        }
    }

    // MARK: TLS

    /// Certificate expiry, when the configuration names a certificate file (`[server] tls_certificate`).
    func certificateCheck(_ configuration: BalcaoConfiguration) -> DoctorCheck {
        guard let path = configuration.server.tlsCertificate, !path.isEmpty else {
            return .init("TLS certificate", .skip, "none configured (TLS at a reverse proxy, or plain HTTP on loopback)")
        }
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .init("TLS certificate", .fail, "\(path) cannot be read", fix: "check the path and that the service user may read it")
        }
        guard let expiry = Self.certificateExpiry(pem: pem) else {
            return .init(
                "TLS certificate",
                .fail,
                "\(path) holds no readable PEM certificate",
                fix: "point tls_certificate at the PEM certificate chain"
            )
        }
        let days = Int(expiry.timeIntervalSinceNow / 86_400)
        if expiry < Date() {
            return .init(
                "TLS certificate",
                .fail,
                "\(path) expired on \(expiry.formatted(.iso8601))",
                fix: "renew the certificate and reload the daemon"
            )
        }
        if days < 21 { return .init("TLS certificate", .warn, "\(path) expires in \(days) days", fix: "renew the certificate soon") }
        return .init("TLS certificate", .ok, "\(path) valid for \(days) more days")
    }

    /// The `notAfter` date of the first certificate in a PEM file, read from its DER (UTCTime or GeneralizedTime).
    static func certificateExpiry(pem: String) -> Date? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex),
            let der = Data(base64Encoded: pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }.description)
        else { return nil }
        // Certificate → TBSCertificate → [version] serial signature issuer validity(notBefore, notAfter)
        var reader = DERReader(bytes: [UInt8](der))
        guard var certificate = reader.enter(), var tbs = certificate.enter() else { return nil }
        if tbs.peekTag == 0xA0 { _ = tbs.skip() }
        for _ in 0..<3 { guard tbs.skip() else { return nil } }
        guard var validity = tbs.enter(), validity.skip(), let (tag, value) = validity.read() else { return nil }
        let text = String(decoding: value, as: UTF8.self)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = tag == 0x17 ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'"
        return formatter.date(from: text)
    }

    /// Just enough DER to walk to a certificate's validity.
    struct DERReader {
        var bytes: [UInt8]
        var position = 0

        var peekTag: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func read() -> (UInt8, ArraySlice<UInt8>)? {
            guard position + 2 <= bytes.count else { return nil }
            let tag = bytes[position]
            var length = Int(bytes[position + 1])
            var offset = position + 2
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count <= 4, offset + count <= bytes.count else { return nil }
                length = bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
                offset += count
            }
            guard offset + length <= bytes.count else { return nil }
            position = offset + length
            return (tag, bytes[offset..<offset + length])
        }

        mutating func skip() -> Bool { read() != nil }

        mutating func enter() -> DERReader? {
            guard let (_, value) = read() else { return nil }
            return DERReader(bytes: Array(value))
        }
    }
}
