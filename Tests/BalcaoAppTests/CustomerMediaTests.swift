import BalcaoApp
import BalcaoTesting
import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// Photos, stickers and documents customers send: fetched from the fake Graph API over loopback in Meta's wire format,
/// read on the box (OCR, the document extractors, in the isolated reader) and given to the turn, which waits for them.
@Suite("Files customers send, end to end")
struct CustomerMediaTests {
    /// A printed question the store's return policy answers.
    static let printedQuestion = ["Posso pedir a devolução de", "produtos depois da entrega?"]

    /// The files kept in the daemon's `media/` folder.
    static func keptFiles(_ harness: WhatsAppHarness) -> [String] {
        let folder = harness.daemon.dataDirectory.appendingPathComponent("media")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// Files left half-written in the scratch folder.
    static func scratchFiles(_ harness: WhatsAppHarness) -> [String] {
        let folder = harness.daemon.dataDirectory.appendingPathComponent("tmp")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("upload-") }
    }

    /// The one file the test's customer sent.
    static func onlyMedia(_ harness: WhatsAppHarness) throws -> CustomerMedia {
        let conversation = try #require(try harness.daemon.balcao.database.conversationPage(.init(), limit: 10, offset: 0).summaries.first)
        let messages = try harness.daemon.balcao.database.messages(ofConversation: conversation.id, before: nil, limit: 50)
        let media = try harness.daemon.balcao.database.customerMedia(forMessages: messages.compactMap(\.id))
        #expect(media.count == 1)
        return try #require(media.values.first)
    }

    @Test("a photo of a printed question is read by OCR and answered from the documents")
    func photoAnsweredFromDocuments() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let picture = try PrintedPicture.png(Self.printedQuestion)
        let mediaID = harness.graph.addMedia(picture, mimeType: "image/png")
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            // The quoted passage is the policy's: found by the words read from the picture.
            let reply = try #require(sent.first?.textBody)
            #expect(reply.contains("7 dias corridos"), "\(reply)")
        }
        let media = try Self.onlyMedia(harness)
        #expect(media.state == .read)
        #expect(media.textSource == "ocr")
        #expect(media.text?.contains("devolução") == true, "\(media.text ?? "")")
        #expect((media.confidence ?? 0) > 0.6)
        #expect(media.byteCount == picture.count)
        #expect(Self.keptFiles(harness) == [String(media.id!)])
        // The answer record names what was asked: a photo.
        let answers = try harness.daemon.balcao.database.answers(forTurns: [media.turnId!])
        #expect(answers.values.first?.question == "[foto]")
    }

    @Test("with a model, the photo's text is in the prompt as read from a picture, and the caption is the question")
    func photoInThePrompt() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.png(Self.printedQuestion), mimeType: "image/png", checksum: .base64)
        try await harness.run { client in
            try await harness.deliver(
                WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png", caption: "Vi isso no balcão, vale pra mim?"),
                client: client
            )
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody?.contains("7 dias") == true)
        }
        let request = try #require(harness.llm?.lastRequest)
        let system = try #require(request.messages.first { $0.role == "system" }?.content)
        #expect(system.contains("[Foto enviada pelo cliente — texto lido por OCR"))
        #expect(system.contains("devolução de"))
        // The policy's passage was found by the picture's words and is in the prompt too.
        #expect(system.contains("7 dias corridos"))
        #expect(request.messages.last?.content == "Vi isso no balcão, vale pra mim?")
        // Without `[llm] vision` the picture itself is not sent.
        #expect(request.messages.allSatisfy { $0.imageURLs.isEmpty })
    }

    @Test("with [llm] vision the picture goes to the model as an image_url data URL; a blank one is described to it")
    func pictureShownToAModelThatSees() async throws {
        let harness = try await WhatsAppHarness.start { $0.llm.vision = true }
        defer { Task { await harness.stop() } }
        let blank = try PrintedPicture.blank()
        let mediaID = harness.graph.addMedia(blank, mimeType: "image/png")
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
        }
        let request = try #require(harness.llm?.lastRequest)
        let user = try #require(request.messages.last)
        #expect(user.role == "user")
        #expect(user.imageURLs == ["data:image/png;base64," + blank.base64EncodedString()])
        #expect(user.content.contains("enviou uma foto"))
        #expect(request.messages.first?.content.contains("sem texto legível; a imagem segue") == true)
    }

    @Test("without vision, a photo with no text gets a request to describe it, and the model is not called")
    func blankPhotoWithoutVision() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.blank(), mimeType: "image/png")
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.map(\.textBody) == ["Não consegui ler nenhum texto na imagem que você enviou. Pode me descrever o que precisa?"])
        }
        #expect(harness.llm?.requestCount == 0)
    }

    @Test("a PDF a customer sends is read in the isolated reader and the model answers about it; the knowledge base is untouched")
    func documentAnswered() async throws {
        let harness = try await WhatsAppHarness.start()
        defer { Task { await harness.stop() } }
        let documentsBefore = try harness.daemon.balcao.database.documents().count
        let pdf = try Data(contentsOf: SharedFixtures.corpus("pdf/ptlaw_05360536.pdf"))
        let mediaID = harness.graph.addMedia(pdf, mimeType: "application/pdf")
        try await harness.run { client in
            try await harness.deliver(
                WhatsAppHarness.mediaWebhook(
                    "document",
                    mediaID: mediaID,
                    mimeType: "application/pdf",
                    caption: "Quem foi eleito para a Comissão Nacional de Eleições?",
                    filename: "resolucao.pdf"
                ),
                client: client
            )
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
        }
        let request = try #require(harness.llm?.lastRequest)
        let system = try #require(request.messages.first?.content)
        #expect(system.contains("[Documento enviado pelo cliente (resolucao.pdf), 1 página]"), "\(system.suffix(2000))")
        #expect(system.contains("Telmo Augusto Gomes de Noronha Correia"))
        #expect(request.messages.last?.content == "Quem foi eleito para a Comissão Nacional de Eleições?")
        let media = try Self.onlyMedia(harness)
        #expect(media.state == .read && media.textSource == "document" && media.pageCount == 1)
        #expect(try harness.daemon.balcao.database.documents().count == documentsBefore)
    }

    @Test(
        "an oversize, corrupt or wrong-type file gets a clear message, nothing is kept, and the daemon keeps answering",
        arguments: [
            ("oversize", "Não consegui", "grande demais para eu abrir (o limite é 1 MB)"),
            ("corrupt", "", "danificado ou protegido por senha"),
            ("wrong type", "", "Não consigo abrir esse tipo de arquivo"),
            ("picture that is a PDF", "", "Não consigo abrir esse tipo de arquivo"),
        ]
    )
    func unusableFile(_ name: String, _ unused: String, _ expected: String) async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false) { $0.media.maxMB = 1 }
        defer { Task { await harness.stop() } }
        let webhook: Data
        switch name {
        case "oversize":
            // Meta says how big it is: refused before a byte is fetched.
            let id = harness.graph.addMedia(Data(count: 2 << 20), mimeType: "application/pdf")
            webhook = WhatsAppHarness.mediaWebhook("document", mediaID: id, mimeType: "application/pdf", filename: "grande.pdf")
        case "corrupt":
            let id = harness.graph.addMedia(Data("%PDF-1.7\n garbage, not a PDF \u{0}\u{1}\u{2}".utf8), mimeType: "application/pdf")
            webhook = WhatsAppHarness.mediaWebhook("document", mediaID: id, mimeType: "application/pdf", filename: "contrato.pdf")
        case "wrong type":
            let id = harness.graph.addMedia(Data("PK\u{3}\u{4}zip".utf8), mimeType: "application/zip")
            webhook = WhatsAppHarness.mediaWebhook("document", mediaID: id, mimeType: "application/zip", filename: "fotos.zip")
        default:
            let id = harness.graph.addMedia(try Data(contentsOf: SharedFixtures.corpus("pdf/ptlaw_05360536.pdf")), mimeType: "image/jpeg")
            webhook = WhatsAppHarness.mediaWebhook("image", mediaID: id, mimeType: "image/jpeg")
        }
        try await harness.run { client in
            try await harness.deliver(webhook, client: client)
            let first = await harness.waitForSends(1)
            #expect(first.count == 1)
            #expect(first.first?.textBody?.contains(expected) == true, "\(name): \(first.first?.textBody ?? "")")
            // Still answering.
            try await harness.deliver(WhatsAppHarness.textWebhook("Qual o prazo para devolução?"), client: client)
            let both = await harness.waitForSends(2)
            #expect(both.count == 2)
            #expect(both.last?.textBody?.contains("7 dias") == true)
        }
        let media = try Self.onlyMedia(harness)
        #expect(media.state == .failed)
        #expect(media.byteCount == nil)
        #expect(Self.keptFiles(harness).isEmpty, "\(name): a file was kept")
        #expect(Self.scratchFiles(harness).isEmpty, "\(name): a partial download was left")
        if name == "oversize" || name == "wrong type" { #expect(harness.graph.mediaDownloadCount == 0) }
    }

    @Test("a download that fails with 503 is retried by the policy's back-off, and the turn waits for it")
    func downloadRetried() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.png(Self.printedQuestion), mimeType: "image/png")
        harness.graph.failNextMediaDownloads(2, status: 503)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.count == 1)
            #expect(sent.first?.textBody?.contains("7 dias corridos") == true, "\(sent.first?.textBody ?? "")")
        }
        #expect(harness.graph.mediaDownloadCount == 3)
        let media = try Self.onlyMedia(harness)
        #expect(media.state == .read && media.attempts == 3)
    }

    @Test("a download refused for good (404) tells the customer to send it again, without retrying")
    func downloadRefused() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.png(Self.printedQuestion), mimeType: "image/png")
        harness.graph.failNextMediaDownloads(1, status: 404)
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            let sent = await harness.waitForSends(1)
            #expect(sent.map(\.textBody) == ["Não consegui baixar o arquivo que você enviou. Pode enviar de novo?"])
        }
        #expect(harness.graph.mediaDownloadCount == 1)
        #expect(Self.keptFiles(harness).isEmpty)
    }

    @Test("a kept file is deleted when its retention period ends; what was read from it stays")
    func retention() async throws {
        let harness = try await WhatsAppHarness.start(withLLM: false)
        defer { Task { await harness.stop() } }
        let mediaID = harness.graph.addMedia(try PrintedPicture.png(Self.printedQuestion), mimeType: "image/png")
        try await harness.run { client in
            try await harness.deliver(WhatsAppHarness.mediaWebhook("image", mediaID: mediaID, mimeType: "image/png"), client: client)
            _ = await harness.waitForSends(1)
        }
        let processor = try #require(harness.daemon.balcao.conversations.media)
        #expect(try await processor.removeExpired(now: Date().addingTimeInterval(29 * 86_400)) == 0)
        #expect(Self.keptFiles(harness).count == 1)
        #expect(try await processor.removeExpired(now: Date().addingTimeInterval(31 * 86_400)) == 1)
        #expect(Self.keptFiles(harness).isEmpty)
        let media = try Self.onlyMedia(harness)
        #expect(media.removedAt != nil && !media.isKept)
        #expect(media.text?.contains("devolução") == true)
    }
}
