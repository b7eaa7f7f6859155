import Foundation
import Testing

@testable import BalcaoApp

@Suite("Configuration")
struct ConfigurationTests {
    @Test("no file and no environment gives the embedded defaults")
    func defaults() throws {
        let configuration = try BalcaoConfiguration.load(file: nil, environment: [:])
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.storage.dataDirectory == "./balcao-data")
        #expect(configuration.embedding.provider == "local")
        #expect(configuration.llm.baseURL == nil)
        #expect(configuration.whatsapp.graphBaseURL == "https://graph.facebook.com/v25.0")
    }

    @Test("the TOML file is read, environment variables override it, and secrets can come from files")
    func fileEnvironmentAndSecretFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("token")
        try Data("s3cr3t\n".utf8).write(to: secret)
        let file = directory.appendingPathComponent("balcao.toml")
        try Data(
            """
            # Balcão
            [server]
            host = "0.0.0.0"   # all interfaces
            port = 9000
            api_token_file = "\(secret.path)"

            [storage]
            data_dir = '/var/lib/balcao'
            ingestion_workers = 3

            [llm]
            base_url = "http://127.0.0.1:11434/v1"
            model = "llama3.2"
            timeout_seconds = 12.5
            """.utf8
        ).write(to: file)
        let configuration = try BalcaoConfiguration.load(
            file: file, environment: ["BALCAO_SERVER_PORT": "9100", "BALCAO_LLM_API_KEY": "sk-env", "UNRELATED": "x"])
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 9100)
        #expect(configuration.server.apiToken == "s3cr3t")
        #expect(configuration.storage.dataDirectory == "/var/lib/balcao")
        #expect(configuration.storage.ingestionWorkers == 3)
        #expect(configuration.llm.baseURL == "http://127.0.0.1:11434/v1")
        #expect(configuration.llm.apiKey == "sk-env")
        #expect(configuration.llm.timeoutSeconds == 12.5)
    }

    @Test("an empty secret file counts as unset: the inline value applies, else none (the packaged unit's credential fallback)")
    func emptySecretFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = directory.appendingPathComponent("empty")
        try Data("\n".utf8).write(to: empty)
        let file = directory.appendingPathComponent("balcao.toml")
        try Data("[llm]\napi_key = \"sk-inline\"\n".utf8).write(to: file)
        let inline = try BalcaoConfiguration.load(file: file, environment: ["BALCAO_LLM_API_KEY_FILE": empty.path])
        #expect(inline.llm.apiKey == "sk-inline")
        let none = try BalcaoConfiguration.load(file: nil, environment: ["BALCAO_WHATSAPP_APP_SECRET_FILE": empty.path])
        #expect(none.whatsapp.appSecret == nil)
        let missing = directory.appendingPathComponent("missing").path
        let error = #expect(throws: ConfigurationError.self) {
            try BalcaoConfiguration.load(file: nil, environment: ["BALCAO_WHATSAPP_APP_SECRET_FILE": missing])
        }
        #expect(error?.description.contains("Cannot read whatsapp.app_secret_file \(missing)") == true)
    }

    @Test(
        "mistakes are reported with what to fix",
        arguments: [
            ("[server]\nprot = 1", "unknown key \"prot\" in [server]"),
            ("[sever]\nport = 1", "unknown section [sever]"),
            ("[server]\nport = \"many\"", "server.port must be a whole number"),
            ("[server]\nport = 70000", "server.port must be a whole number between 0 and 65535"),
            ("[server]\nhost = \"unterminated", "line 2: unterminated string"),
            ("[embedding]\nprovider = \"magic\"", "provider must be"),
            ("[server]\nport = 1\nport = 2", "line 3: duplicate key port"),
        ])
    func errors(_ text: String, _ expected: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }

    @Test("TOML values: strings with escapes, literal strings, numbers, booleans, arrays")
    func tomlValues() throws {
        let table = try TOMLTable(
            parsing: "a = \"x\\ty\\u00e9\"\nb = 'c:\\\\raw'\nc = 1_000\nd = -2.5\ne = true\nf = [\"oi\", \"olá\"]\n[s]\ng = \"#not a comment\" # comment")
        #expect(table.sections[""]?["a"] == .string("x\tyé"))
        #expect(table.sections[""]?["b"] == .string("c:\\\\raw"))
        #expect(table.sections[""]?["c"] == .integer(1000))
        #expect(table.sections[""]?["d"] == .double(-2.5))
        #expect(table.sections[""]?["e"] == .bool(true))
        #expect(table.sections[""]?["f"] == .array([.string("oi"), .string("olá")]))
        #expect(table.sections["s"]?["g"] == .string("#not a comment"))
    }
}
