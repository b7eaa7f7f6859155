import BalcaoTesting
import Foundation
import Testing

@testable import BalcaoApp

@Suite("Example configuration")
struct ExampleConfigurationTests {
    @Test("Resources/balcao.toml documents only keys the daemon reads, and loads to the embedded defaults")
    func exampleMatchesDefaults() throws {
        let file = SharedFixtures.repositoryRoot.appendingPathComponent("Resources/balcao.toml")
        let loaded = try BalcaoConfiguration.load(file: file, environment: [:])
        #expect(loaded == BalcaoConfiguration())
    }

    @Test("every key Resources/balcao.toml sets is read, with the value written there")
    func everyShippedKeyIsRead() throws {
        let file = SharedFixtures.repositoryRoot.appendingPathComponent("Resources/balcao.toml")
        let parsed = try ConfigurationFile(
            parsing: String(contentsOf: file, encoding: .utf8),
            path: file.path,
            knownKeys: BalcaoConfiguration.knownKeys
        )
        #expect(
            parsed.values == [
                "server.host": "127.0.0.1", "server.port": "8080", "server.max_upload_bytes": "52428800", "server.api_requests_per_minute": "120",
                "storage.data_dir": "./balcao-data", "storage.ingestion_workers": "2", "storage.ingestion_max_attempts": "3",
                "storage.extraction_timeout_seconds": "120", "storage.extraction_memory_mb": "1024",
                "embedding.provider": "local", "embedding.threads": "2",
                "llm.timeout_seconds": "60", "llm.vision": "false",
                "llm_fallback.timeout_seconds": "60", "llm_fallback.price_per_1k_input_tokens": "0",
                "llm_fallback.price_per_1k_output_tokens": "0", "llm_fallback.price_per_answer": "0",
                "media.enabled": "true", "media.max_mb": "20", "media.retention_days": "30",
                "speech.provider": "local", "speech.threads": "1", "speech.max_seconds": "180",
                "whatsapp.graph_base_url": "https://graph.facebook.com/v25.0", "whatsapp.quiet_period_seconds": "2.5",
                "whatsapp.handoff_timeout_minutes": "240", "whatsapp.reconcile_after_seconds": "90", "whatsapp.max_body_bytes": "1048576",
                "whatsapp.template_language": "pt_BR", "instagram.graph_base_url": "https://graph.facebook.com/v25.0",
                "widget.visitor_messages_per_minute": "10", "widget.address_messages_per_minute": "30", "widget.max_message_chars": "2000",
                "credits.price_per_1k_input_tokens": "0.0", "credits.price_per_1k_output_tokens": "0.0", "credits.price_per_answer": "0.0",
                "credits.floor": "0.0", "credits.low_balance_threshold": "10.0",
                "conversations.handoff_button": "true", "conversations.topic_list": "true", "conversations.feedback_buttons": "false",
                "conversations.feedback_interval_hours": "24", "conversations.follow_up": "false",
                "conversations.follow_up_after_minutes": "120", "conversations.close_after_hours": "24",
                "conversations.retention_months": "12",
                "limits.customer_turns_per_hour": "30", "limits.customer_credits_per_day": "0",
                "backup.interval_hours": "0", "backup.keep": "7",
                "admin.session_hours": "12",
                "ocr.enabled": "true", "ocr.languages": "por+eng", "ocr.page_timeout_seconds": "60",
            ]
        )
    }

    @Test("every key shown commented out in Resources/balcao.toml is known, and its example value loads once uncommented")
    func everyCommentedKeyIsKnown() throws {
        let file = SharedFixtures.repositoryRoot.appendingPathComponent("Resources/balcao.toml")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let secret = scratch.appendingPathComponent("secret")
        try Data("s3cr3t\n".utf8).write(to: secret)
        var uncommented: [String] = []
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let match = line.wholeMatch(of: /# ([a-z0-9_]+) = (.*)/) else { return String(line) }
            uncommented.append(String(match.1))
            // The example secret files (/run/credentials/…) exist only under systemd: point them at a real one.
            return match.1.hasSuffix("_file") ? "\(match.1) = \"\(secret.path)\"" : "\(match.1) = \(match.2)"
        }
        #expect(
            Set(uncommented) == [
                "api_token", "tls_certificate", "extractor_executable", "model_path", "base_url", "model", "dimension", "api_key_file",
                "verify_token", "app_secret_file", "access_token_file", "template_name", "text_only_message", "stripe_webhook_secret_file",
                "directory", "format", "web_root", "secure_cookies", "data_path", "business_account_id",
            ]
        )
        let full = scratch.appendingPathComponent("balcao.toml")
        try Data(lines.joined(separator: "\n").utf8).write(to: full)
        let loaded = try BalcaoConfiguration.load(file: full, environment: [:])
        #expect(loaded.server.apiToken == "…")
        #expect(loaded.server.tlsCertificate == "/etc/letsencrypt/live/example.com/fullchain.pem")
        #expect(loaded.storage.extractorExecutable == "/usr/bin/balcao")
        #expect(loaded.ocr.dataPath == "/usr/share/tesseract-ocr/5/tessdata")
        #expect(loaded.embedding.modelPath == "/usr/share/balcao/models/e5-small-q4.bin")
        #expect(loaded.speech.modelPath == "/usr/share/balcao/models/whisper-base-multilingual-q8_0.bin")
        #expect(loaded.embedding.baseURL == "http://127.0.0.1:11434/v1")
        #expect(loaded.embedding.model == "nomic-embed-text")
        #expect(loaded.embedding.dimension == 768)
        #expect(loaded.embedding.apiKey == "s3cr3t")
        #expect(loaded.llm.baseURL == "https://api.openai.com/v1")
        #expect(loaded.llm.model == "gpt-4o-mini")
        #expect(loaded.llm.apiKey == "s3cr3t")
        #expect(loaded.llmFallback.baseURL == "http://127.0.0.1:11434/v1")
        #expect(loaded.llmFallback.model == "qwen2.5:3b")
        #expect(loaded.llmFallback.apiKey == "s3cr3t")
        #expect(loaded.whatsapp.verifyToken == "…")
        #expect(loaded.whatsapp.appSecret == "s3cr3t")
        #expect(loaded.whatsapp.accessToken == "s3cr3t")
        #expect(loaded.whatsapp.templateName == "retomar_conversa")
        #expect(loaded.whatsapp.businessAccountID == "102290129340398")
        #expect(loaded.whatsapp.textOnlyMessage == "Por enquanto só leio texto: pode escrever sua pergunta?")
        #expect(loaded.credits.stripeWebhookSecret == "s3cr3t")
        #expect(loaded.backup.directory == "/var/backups/balcao")
        #expect(loaded.log.format == "json")
        #expect(loaded.admin.webRoot == "/usr/share/balcao/web")
        #expect(loaded.admin.secureCookies == true)
    }
}
