import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

/// Voice notes: an Ogg Opus file made in the test, served by the fake Graph API in Meta's wire format, transcribed on
/// the box by whisper.cpp in the isolated reader; its words are the customer's message.
@Suite("Voice notes, end to end")
struct VoiceNoteTests {
    static func voiceWebhook(mediaID: String, id: String = "wamid.\(UUID().uuidString)") -> Data {
        var body = WhatsAppHarness.mediaWebhook("audio", mediaID: mediaID, mimeType: "audio/ogg; codecs=opus", id: id)
        // `audio.voice = true` marks a recording made in the chat (a voice note).
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"mime_type\"", with: "\"voice\":true,\"mime_type\"")
        body = Data(text.utf8)
        return body
    }

    /// One webhook body with the messages of both (and the contacts of the first), as Meta sends several messages in
    /// one delivery.
    static func merged(_ first: Data, _ second: Data) throws -> Data {
        func value(_ body: Data) throws -> [String: Any] {
            let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            let entry = try #require((object["entry"] as? [[String: Any]])?.first)
            return try #require((entry["changes"] as? [[String: Any]])?.first?["value"] as? [String: Any])
        }
        var combined = try value(first)
        let messages = (combined["messages"] as? [[String: Any]] ?? []) + (try value(second)["messages"] as? [[String: Any]] ?? [])
        combined["messages"] = messages
        let object: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": combined]]]],
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test("a voice note is transcribed, stored, and gets exactly one reply grounded on the documents")
    func voiceNoteAnswered() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let note = try SpokenQuestion.ogg("Posso pedir a devolução de um produto depois da entrega?")
        let mediaID = harness.graph.addMedia(note, mimeType: "audio/ogg; codecs=opus")
        try await harness.run { client in
            try await harness.deliver(Self.voiceWebhook(mediaID: mediaID), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody?.contains("7 dias corridos") == true, "\(sent.first?.textBody ?? "")")
        }
        let media = try CustomerMediaTests.onlyMedia(harness)
        #expect(media.kind == .audio && media.state == .read && media.textSource == "transcript", "\(media.failureDetail ?? "")")
        let transcript = media.text?.lowercased() ?? ""
        // Whisper base hears espeak's voice poorly ("Posso ter ginade de ouro sange ou um produto de poes da intragem."):
        // two of its words, and the reply above shows the search found the return policy from them.
        #expect(transcript.contains("posso") && transcript.contains("produto"), "\(transcript)")
        #expect(CustomerMediaTests.keptFiles(harness) == [String(media.id!)])
    }

    @Test("a burst of a text and a voice note gets one answer, and the model saw both")
    func burstWithVoice() async throws {
        let harness = try await WhatsAppHarness.start { $0.whatsapp.quietPeriodSeconds = 1.5 }
        defer { Task { await harness.stop() } }
        let spoken = try SpokenQuestion.ogg("Posso pedir a devolução de um produto depois da entrega?")
        let mediaID = harness.graph.addMedia(spoken, mimeType: "audio/ogg; codecs=opus")
        try await harness.run { client in
            // One delivery holding both messages, as Meta batches a burst: two deliveries a moment apart would make the
            // burst depend on the machine's speed (the quiet period is wall-clock time).
            let burst = try Self.merged(WhatsAppHarness.textWebhook("Oi, sou a Maria, comprei uma bicicleta."), Self.voiceWebhook(mediaID: mediaID))
            try await harness.deliver(burst, client: client)
            let sent = await harness.waitForSends(1, settle: .seconds(2))
            #expect(sent.count == 1)
        }
        #expect(harness.llm?.requestCount == 1)
        let question = try #require(harness.llm?.lastRequest?.messages.last?.content.lowercased())
        #expect(question.contains("comprei uma bicicleta"), "\(question)")
        #expect(question.contains("posso") && question.contains("produto"), "\(question)")
        // The return policy was found by the spoken words.
        #expect(harness.llm?.lastRequest?.messages.first?.content.contains("7 dias corridos") == true)
    }

    /// A daemon whose speech goes to the fake's transcription endpoint (the harness's own daemon reads locally), with
    /// the harness's Graph API and the fake LLM.
    static func remoteSpeechDaemon(_ harness: WhatsAppHarness, llm: FakeLLM, maxSeconds: Double? = nil) throws -> TestDaemon {
        try TestDaemon { configuration in
            configuration.whatsapp.appSecret = WhatsAppHarness.appSecret
            configuration.whatsapp.accessToken = harness.graph.accessToken
            configuration.whatsapp.graphBaseURL = harness.graph.baseURL
            configuration.whatsapp.quietPeriodSeconds = 0.3
            configuration.llm.baseURL = llm.baseURL
            configuration.llm.model = "fake-model"
            configuration.speech.provider = "openai"
            configuration.speech.baseURL = llm.baseURL
            configuration.speech.apiKey = "sk-speech"
            if let maxSeconds { configuration.speech.maxSeconds = maxSeconds }
        }
    }

    @Test("with [speech] provider = openai the note goes to /audio/transcriptions as multipart, and its text is the question")
    func transcriptionService() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let llm = try #require(harness.llm)
        let remote = try Self.remoteSpeechDaemon(harness, llm: llm)
        llm.setTranscript("Qual o prazo para devolução?")
        let note = try SpokenQuestion.ogg("Qual o prazo para devolução?")
        let mediaID = harness.graph.addMedia(note, mimeType: "audio/ogg; codecs=opus")
        let app = try buildApplication(remote.balcao)
        try await app.test(.live) { client in
            try await harness.deliver(Self.voiceWebhook(mediaID: mediaID), client: client)
            #expect(await eventually(timeout: .seconds(60)) { harness.graph.sentMessages.count == 1 })
        }
        let upload = try #require(llm.transcriptionRequests.first)
        #expect(upload.authorization == "Bearer sk-speech")
        let body = Data(upload.body)
        #expect(body.range(of: note) != nil, "the recording's bytes are the file part")
        #expect(upload.bodyText.contains("name=\"model\"\r\n\r\nwhisper-1"))
        #expect(upload.bodyText.contains("name=\"language\"\r\n\r\npt"))
        // The service's text is the customer's question (this daemon has no documents: the out-of-scope reply).
        let conversation = try #require(try remote.balcao.database.conversationPage(.init(), limit: 1, offset: 0).summaries.first)
        let messages = try remote.balcao.database.messages(ofConversation: conversation.id, before: nil, limit: 10)
        let media = try #require(try remote.balcao.database.customerMedia(forMessages: messages.compactMap(\.id)).values.first)
        #expect(media.text == "Qual o prazo para devolução?" && media.textSource == "transcript")
        #expect(try remote.balcao.database.answers(forTurns: [media.turnId!]).values.first?.question == "Qual o prazo para devolução?")
    }

    @Test("with [speech] provider = openai a note over [speech] max_seconds is refused in words and never sent")
    func transcriptionServiceRefusesLongNotes() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let llm = try #require(harness.llm)
        let remote = try Self.remoteSpeechDaemon(harness, llm: llm, maxSeconds: 2)
        let note = try SpokenQuestion.ogg("Bom dia, queria saber se vocês entregam no sábado e quanto custa o frete para Manaus.")
        let mediaID = harness.graph.addMedia(note, mimeType: "audio/ogg; codecs=opus")
        let app = try buildApplication(remote.balcao)
        try await app.test(.live) { client in
            try await harness.deliver(Self.voiceWebhook(mediaID: mediaID), client: client)
            #expect(await eventually(timeout: .seconds(60)) { harness.graph.sentMessages.count == 1 })
        }
        let reply = harness.graph.sentMessages.first?.textBody ?? ""
        #expect(reply.contains("Seu áudio é longo demais para mim (o limite é 2 segundos)"), "\(reply)")
        #expect(llm.transcriptionRequests.isEmpty)
    }

    @Test(
        "an oversize, corrupt or too long recording gets a clear message, nothing is kept, and the daemon keeps answering",
        arguments: ["oversize", "corrupt", "too long", "not opus"]
    )
    func unusableRecording(_ name: String) async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false) {
            $0.media.maxMB = 1
            $0.speech.maxSeconds = 2
        }
        defer { Task { await harness.stop() } }
        let (bytes, mime, expected): (Data, String, String) =
            switch name {
            case "oversize": (Data(count: 2 << 20), "audio/ogg", "grande demais para eu abrir (o limite é 1 MB)")
            case "corrupt": (Data("OggS".utf8) + Data(repeating: 0x5A, count: 4000), "audio/ogg", "danificado ou protegido por senha")
            case "too long":
                (
                    try SpokenQuestion.ogg("Bom dia, queria saber se vocês entregam no sábado e quanto custa o frete para Manaus."), "audio/ogg",
                    "Seu áudio é longo demais para mim (o limite é 2 segundos)"
                )
            default: (Data("ID3\u{3}mp3 data".utf8), "audio/mpeg", "Não consigo abrir esse tipo de arquivo")
            }
        let mediaID = harness.graph.addMedia(bytes, mimeType: mime)
        try await harness.run { client in
            try await harness.deliver(Self.voiceWebhook(mediaID: mediaID), client: client)
            let first = await harness.waitForSends(1)
            #expect(first.first?.textBody?.contains(expected) == true, "\(name): \(first.first?.textBody ?? "")")
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let both = await harness.waitForSends(2)
            #expect(both.count == 2)
            #expect(both.last?.textBody?.contains("7 dias") == true)
        }
        let media = try CustomerMediaTests.onlyMedia(harness)
        #expect(media.state == .failed)
        #expect(CustomerMediaTests.keptFiles(harness).isEmpty, "\(name): a file was kept")
        #expect(CustomerMediaTests.scratchFiles(harness).isEmpty)
    }
}
