import BalcaoApp
import BalcaoTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// A daemon wired to a fake Graph API (and optionally a fake LLM) over loopback, with one agent that knows the store's
/// return policy.
final class WhatsAppHarness: Sendable {
    static let appSecret = "app-secret-for-tests"
    static let verifyToken = "verify-me"
    static let phoneNumberID = "106540352242922"
    static let policy = """
        Política de Trocas e Devoluções

        A devolução de produtos pode ser pedida em até 7 dias corridos após a entrega, com a nota fiscal. O reembolso \
        é feito no mesmo meio de pagamento em até 10 dias úteis.

        Horário de atendimento: de segunda a sexta, das 9h às 18h, pelo telefone 0800 123 4567.
        """

    /// The whisper.cpp model `make setup` installs (scripts/fetch-speech-model.sh).
    static let speechModel = SharedFixtures.repositoryRoot.appendingPathComponent("balcao-data/models/whisper-base-multilingual-q8_0.bin")

    let daemon: TestDaemon
    let graph: FakeGraphAPI
    let llm: FakeLLM?

    /// Starts the fakes and opens a daemon; `configure` adjusts the configuration last.
    static func start(
        withLLM: Bool = true,
        configure: @Sendable (inout BalcaoConfiguration) -> Void = { _ in },
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> WhatsAppHarness {
        let graph = try await FakeGraphAPI.start()
        let llm = withLLM ? try await FakeLLM.start(reply: "Você pode devolver em até **7 dias** após a entrega (politica.txt).") : nil
        let daemon = try TestDaemon(
            configure: { configuration in
                configuration.whatsapp.appSecret = appSecret
                configuration.whatsapp.verifyToken = verifyToken
                configuration.whatsapp.accessToken = graph.accessToken
                configuration.whatsapp.graphBaseURL = graph.baseURL
                configuration.whatsapp.quietPeriodSeconds = 0.3
                configuration.llm.baseURL = llm?.baseURL
                configuration.llm.model = "fake-model"
                // The daemon's total LLM deadline (twice this) is wall-clock time: generous, so that retries and their
                // back-off on a loaded machine still fit (a 10 s deadline ran out once under CI load).
                configuration.llm.timeoutSeconds = 60
                configuration.speech.provider = "local"
                configuration.speech.modelPath = speechModel.path
                configure(&configuration)
            },
            clock: clock
        )
        let harness = WhatsAppHarness(daemon: daemon, graph: graph, llm: llm)
        try await harness.addKnowledge()
        return harness
    }

    private init(daemon: TestDaemon, graph: FakeGraphAPI, llm: FakeLLM?) {
        self.daemon = daemon
        self.graph = graph
        self.llm = llm
    }

    private func addKnowledge() async throws {
        let balcao = daemon.balcao
        let file = daemon.dataDirectory.appendingPathComponent("politica.txt")
        try Data(Self.policy.utf8).write(to: file)
        let registered = try await balcao.library.add(fileAt: file, agent: "loja", password: nil)
        while let job = try await balcao.database.claimNextJob() { await balcao.pipeline.run(job) }
        var agent = try #require(try balcao.database.agent(named: "loja"))
        agent.isDefault = true
        agent.persona = "Você é a assistente da Loja Exemplo."
        try await balcao.database.save(&agent)
        #expect(try balcao.database.document(id: registered.document.id!)?.status == .indexed)
    }

    func stop() async {
        await graph.stop()
        await llm?.stop()
    }

    /// Runs `body` against the live daemon.
    func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try buildApplication(daemon.balcao)
        try await app.test(.live) { client in try await body(client) }
    }

    /// POSTs a signed webhook body (or one with the given signature header).
    @discardableResult
    func deliver(_ body: Data, client: some TestClientProtocol, signature: String?? = .none) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        let header: String? = signature ?? WebhookSigner.sign(body: body, appSecret: Self.appSecret)
        if let header { headers[HTTPField.Name(WebhookSigner.headerName)!] = header }
        return try await client.execute(uri: "/webhooks/whatsapp", method: .post, headers: headers, body: ByteBuffer(data: body))
    }

    /// A text message webhook from a customer, timestamped now.
    static func textWebhook(
        _ text: String,
        from customer: String = "5511999990001",
        id: String = "wamid.\(UUID().uuidString)",
        name: String = "Maria",
        replyingTo quoted: String? = nil,
        at sent: Date = Date()
    ) -> Data {
        var message: [String: Any] = [
            "from": customer, "id": id, "timestamp": String(Int(sent.timeIntervalSince1970)), "type": "text", "text": ["body": text],
        ]
        // A reply to an earlier message, as WhatsApp sends it: `context` names the quoted message and who sent it.
        if let quoted { message["context"] = ["from": "15550783881", "id": quoted] }
        return envelope(["contacts": [["profile": ["name": name], "wa_id": customer]], "messages": [message]])
    }

    /// A tap on a reply button, as WhatsApp sends it: `type: "interactive"` with `interactive.button_reply {id, title}`
    /// and `context` naming the message that carried the button.
    static func buttonTapWebhook(
        id buttonID: String,
        title: String,
        under messageID: String,
        from customer: String = "5511999990001",
        at sent: Date = Date(),
        list: Bool = false
    ) -> Data {
        envelope([
            "contacts": [["profile": ["name": "Maria"], "wa_id": customer]],
            "messages": [
                [
                    "from": customer, "id": "wamid.\(UUID().uuidString)", "timestamp": String(Int(sent.timeIntervalSince1970)),
                    "type": "interactive", "context": ["from": "15550783881", "id": messageID],
                    "interactive": list
                        ? ["type": "list_reply", "list_reply": ["id": buttonID, "title": title]]
                        : ["type": "button_reply", "button_reply": ["id": buttonID, "title": title]],
                ]
            ],
        ])
    }

    /// A photo, sticker or document message webhook, as Meta sends it (`image: {id, mime_type, sha256, caption}`).
    static func mediaWebhook(
        _ type: String,
        mediaID: String,
        mimeType: String,
        caption: String? = nil,
        filename: String? = nil,
        from customer: String = "5511999990001",
        id: String = "wamid.\(UUID().uuidString)"
    ) -> Data {
        var media: [String: Any] = ["id": mediaID, "mime_type": mimeType, "sha256": "ignored-by-the-daemon"]
        if let caption { media["caption"] = caption }
        if let filename { media["filename"] = filename }
        return envelope([
            "contacts": [["profile": ["name": "Maria"], "wa_id": customer]],
            "messages": [["from": customer, "id": id, "timestamp": String(Int(Date().timeIntervalSince1970)), "type": type, type: media]],
        ])
    }

    /// A status webhook for one of our messages.
    static func statusWebhook(messageID: String, status: String, recipient: String = "5511999990001") -> Data {
        envelope([
            "statuses": [["id": messageID, "status": status, "timestamp": String(Int(Date().timeIntervalSince1970)), "recipient_id": recipient]]
        ])
    }

    /// A `messages` change for the test number around `value`'s entries, as Meta sends it.
    private static func envelope(_ value: [String: Any]) -> Data {
        var change = value
        change["messaging_product"] = "whatsapp"
        change["metadata"] = ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID]
        let object: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": change]]]],
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    /// Text messages sent to customers so far (mark-as-read calls excluded).
    var sentTexts: [FakeGraphAPI.RecordedRequest] { graph.sentMessages }

    /// Waits for `count` sent messages, then a little longer to catch any extra one; returns all sent.
    func waitForSends(_ count: Int, settle: Duration = .milliseconds(700), timeout: Duration = .seconds(120)) async -> [FakeGraphAPI.RecordedRequest]
    {
        _ = await graph.waitForRequests(count, timeout: timeout) { !$0.isMarkAsRead }
        try? await Task.sleep(for: settle)
        return graph.sentMessages
    }
}
