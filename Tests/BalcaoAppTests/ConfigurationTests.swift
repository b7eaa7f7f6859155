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

            [llm_fallback]
            base_url = "http://127.0.0.1:8081/v1"
            model = "qwen2.5:3b"
            price_per_answer = 0.02
            """.utf8
        ).write(to: file)
        let configuration = try BalcaoConfiguration.load(
            file: file,
            environment: [
                "BALCAO_SERVER_PORT": "9100", "BALCAO_LLM_API_KEY": "sk-env", "BALCAO_LLM_FALLBACK_MODEL": "qwen2.5:7b",
                "BALCAO_LLM_FALLBACK_API_KEY_FILE": secret.path, "UNRELATED": "x",
            ]
        )
        #expect(configuration.llmFallback.baseURL == "http://127.0.0.1:8081/v1")
        #expect(configuration.llmFallback.model == "qwen2.5:7b")
        #expect(configuration.llmFallback.apiKey == "s3cr3t")
        #expect(configuration.llmFallback.pricePerAnswer == 0.02)
        #expect(configuration.llmFallback.pricePer1kInputTokens == 0)
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
        "mistakes are reported with what to fix, naming the file (and the line of a syntax error)",
        arguments: [
            ("[server]\nprot = 1", "unknown key \"prot\" in [server]"),
            ("[sever]\nport = 1", "unknown section [sever]"),
            ("port = 1\n[server]", "\"port\" is outside any section"),
            ("[server]\nport = \"many\"", "server.port must be a whole number"),
            ("[server]\nport = 70000", "server.port must be a whole number between 0 and 65535"),
            ("[server]\nhost = \"unterminated", "line 2, column 21: Error while parsing string: encountered end-of-file"),
            ("[embedding]\nprovider = \"magic\"", "provider must be"),
            ("[server]\nport = 1\nport = 2", "line 3, column 8: Error while parsing key-value pair: cannot redefine existing integer 'port'"),
            (
                "[server]\nhost = \"a\"\n[storage]\n[server]\nport = 1",
                "line 4, column 1: Error while parsing table header: cannot redefine existing table 'server'"
            ),
            ("[server]\nport = 80 80", "line 2, column 11: Error while parsing key-value pair: expected a comment or whitespace, saw '8'"),
        ]
    )
    func errors(_ text: String, _ expected: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description.hasPrefix("\(file.path): ") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }

    @Test(
        "a value of the wrong type is refused, naming the file and the key",
        arguments: [
            ("[server]\nport = \"8080x\"", "server.port must be a whole number between 0 and 65535, not \"8080x\""),
            ("[server]\nport = 8080.5", "server.port must be a whole number between 0 and 65535, not \"8080.5\""),
            ("[server]\nport = 8080.0", "server.port must be a whole number between 0 and 65535, not \"8080.0\""),
            ("[server]\nport = true", "server.port must be a whole number between 0 and 65535, not \"true\""),
            ("[llm]\ntimeout_seconds = \"soon\"", "llm.timeout_seconds must be a positive number, not \"soon\""),
            ("[admin]\nsecure_cookies = 1", "admin.secure_cookies must be true, false or \"auto\", not \"1\""),
            ("[llm]\nvision = \"yes\"", "llm.vision must be true or false, not \"yes\""),
            ("[media]\nmax_mb = 0", "media.max_mb must be a whole number between 1 and 100, not \"0\""),
            ("[speech]\nprovider = \"cloud\"", "[speech] provider must be \"local\", \"openai\" or \"none\", not \"cloud\""),
            ("[speech]\nprovider = \"openai\"", "[speech] provider = \"openai\" needs base_url (e.g. \"https://api.openai.com/v1\")"),
            ("[media]\nretention_days = -1", "media.retention_days must be a positive number, not \"-1\""),
            ("[server]\nhost = [\"a\", \"b\"]", "server.host must be a string, a number or a boolean, not an array"),
            ("[server]\nhost = { name = \"a\" }", "server.host must be a string, a number or a boolean, not a table"),
            ("[server.host]\nname = \"a\"", "server.host must be a string, a number or a boolean, not a table"),
            ("[server]\nhost.name = \"a\"", "server.host must be a string, a number or a boolean, not a table"),
            ("[backup]\ndirectory = 1979-05-27", "backup.directory must be a string, a number or a boolean, not a date"),
            ("[backup]\ndirectory = 1979-05-27T07:32:00Z", "backup.directory must be a string, a number or a boolean, not a date-time"),
            ("[backup]\ndirectory = 07:32:00", "backup.directory must be a string, a number or a boolean, not a time"),
            ("server = 1", "[server] must be one section, not an integer"),
            ("[[server]]\nport = 1", "[server] must be one section, not an array"),
        ]
    )
    func wrongTypes(_ text: String, _ expected: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description == "\(file.path): \(expected)")
    }

    @Test("a syntax error names the file, the line and the column, and says what toml++ found")
    func syntaxError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data("# Balcão\n[server]\nhost = \"127.0.0.1\"\nport = = 8080\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description == "\(file.path): line 4, column 8: Error while parsing value: could not determine value type")
    }

    @Test("a NUL character is refused with its line, not silently ending the file there")
    func nulCharacter() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationFile(parsing: "[server]\nhost = \"a\"\n\0port = 1\n", path: "x.toml", knownKeys: BalcaoConfiguration.knownKeys)
        }
        #expect(error?.description == "x.toml: line 3: the file contains a NUL character")
    }

    @Test("an unknown key is refused, naming the file, the key and its section")
    func unknownKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data("[server]\nhost = \"0.0.0.0\"\n\n[llm]\nmodel = \"m\"\napi_token_file = \"/x\"\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description == "\(file.path): unknown key \"api_token_file\" in [llm]")
    }

    @Test("an environment variable overrides the file, sets a key the file lacks, and a bad one is named in the error")
    func environmentOverrides() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).toml")
        try Data("[server]\nport = 9000\n[whatsapp]\nquiet_period_seconds = 1.5\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let configuration = try BalcaoConfiguration.load(
            file: file,
            environment: [
                "BALCAO_SERVER_PORT": "9100", "BALCAO_STORAGE_DATA_DIR": "/srv/balcao", "BALCAO_ADMIN_SECURE_COOKIES": "true",
                "BALCAO_WHATSAPP_QUIET_PERIOD_SECONDS": "0",
            ]
        )
        #expect(configuration.server.port == 9100)
        #expect(configuration.storage.dataDirectory == "/srv/balcao")
        #expect(configuration.admin.secureCookies == true)
        #expect(configuration.whatsapp.quietPeriodSeconds == 0)
        let error = #expect(throws: ConfigurationError.self) {
            try BalcaoConfiguration.load(file: file, environment: ["BALCAO_SERVER_PORT": "eighty"])
        }
        #expect(
            error?.description == "environment variable BALCAO_SERVER_PORT: server.port must be a whole number between 0 and 65535, not \"eighty\""
        )
    }

    @Test("a _file key in the file: the named file's content (trimmed) is the secret, ahead of the inline key; a missing one is named")
    func secretFileFromTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("app_secret")
        try Data("  from-the-file\n".utf8).write(to: secret)
        let file = directory.appendingPathComponent("balcao.toml")
        try Data("[whatsapp]\napp_secret = \"inline\"\napp_secret_file = '\(secret.path)'\n[embedding]\napi_key_file = \"\(secret.path)\"\n".utf8)
            .write(to: file)
        let configuration = try BalcaoConfiguration.load(file: file, environment: [:])
        #expect(configuration.whatsapp.appSecret == "from-the-file")
        #expect(configuration.embedding.apiKey == "from-the-file")
        let missing = directory.appendingPathComponent("missing").path
        try Data("[llm]\napi_key_file = \"\(missing)\"\n".utf8).write(to: file)
        let error = #expect(throws: ConfigurationError.self) { try BalcaoConfiguration.load(file: file, environment: [:]) }
        #expect(error?.description.hasPrefix("\(file.path): Cannot read llm.api_key_file \(missing): ") == true, "\(error?.description ?? "")")
    }

    @Test("TOML values become the text the settings are read from: escapes, literal and multi-line strings, numbers, booleans")
    func tomlValues() throws {
        let text = """
            [t]
            a = "x\\ty\\u00e9"
            b = 'c:\\raw'
            c = 1_000
            d = -2.5
            e = true
            f = "#not a comment" # comment
            g = \"\"\"
            two
            lines\"\"\"
            h = 0x1F
            i = 1e3
            "j" = +7
            """
        let file = try ConfigurationFile(parsing: text, path: "t.toml", knownKeys: ["t": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]])
        #expect(
            file.values == [
                "t.a": "x\tyé", "t.b": "c:\\raw", "t.c": "1000", "t.d": "-2.5", "t.e": "true", "t.f": "#not a comment", "t.g": "two\nlines",
                "t.h": "31", "t.i": "1000.0", "t.j": "7",
            ]
        )
    }
}
