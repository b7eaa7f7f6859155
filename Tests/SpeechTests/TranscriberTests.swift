import Foundation
import Testing

@testable import Speech

/// How the Transcriber cuts a note into Whisper's windows and judges a pass, and, with the model `make setup`
/// installs, that a note's transcript does not depend on what was transcribed before it.
@Suite("Voice notes: transcription windows and retries")
struct TranscriberTests {
    @Test("a note is cut into 30 s windows; a last scrap shorter than a second is left out, a first one kept")
    func windows() {
        let second = 16_000
        #expect(Transcriber.windows(count: second / 2) == [0..<(second / 2)])
        #expect(Transcriber.windows(count: 30 * second) == [0..<(30 * second)])
        #expect(Transcriber.windows(count: 30 * second + second / 2) == [0..<(30 * second)])
        #expect(Transcriber.windows(count: 32 * second) == [0..<(30 * second), (30 * second)..<(32 * second)])
        #expect(Transcriber.windows(count: 61 * second).map(\.count) == [30 * second, 30 * second, second])
    }

    @Test("the encoder's window is the note's length plus the margin, in steps of 64 frames, at most Whisper's 1,500")
    func encoderWindow() {
        #expect(Transcriber.encoderWindow(samples: 5 * 16_000, margin: 64) == 320)  // 250 + 64 → 320
        #expect(Transcriber.encoderWindow(samples: 16_000, margin: 0) == 64)
        #expect(Transcriber.encoderWindow(samples: 29 * 16_000, margin: 64) == 1_500)
    }

    @Test("a pass that ended after a word, or a few sentences into a long window, has collapsed; a short note has not")
    func collapsed() {
        #expect(!Transcriber.looksCollapsed("Boa tarde, queria saber do meu pedido.", samples: 8 * 16_000))
        // Three sentences of a 30 s window: the pass ended early.
        #expect(Transcriber.looksCollapsed("Bom dia. Eu queria saber do preço do produto. Você se entrega no sábado.", samples: 30 * 16_000))
        #expect(Transcriber.looksCollapsed("de", samples: 30 * 16_000))
        #expect(Transcriber.looksCollapsed("Muito obrigado!", samples: 10 * 16_000))
        #expect(!Transcriber.looksCollapsed("Obrigado!", samples: 2 * 16_000))
        #expect(!Transcriber.looksCollapsed("Bom dia, vocês entregam no sábado?", samples: 5 * 16_000))
    }

    @Test("a phrase written three times in a row (a word, five times) is kept once; emphasis and questions stay")
    func repeats() {
        #expect(
            Transcriber.withoutRepeats(
                "Posso ter cheirado pecido à loja. Posso ter cheirado pecido à loja. Posso ter cheirado pecido à loja. Posso ter"
            )
                == "Posso ter cheirado pecido à loja."
        )
        #expect(Transcriber.withoutRepeats("Uau, uau, uau, uau, uau, uau...") == "Uau,")
        #expect(Transcriber.withoutRepeats("Oi. Pola mundos, Pola mundos, Pola mundos, Pola mundos, Pola mun") == "Oi. Pola mundos,")
        let question = "Bom dia! Posso mudar o endereço de entrega depois de finalizar a compra? O produto veio com defeito."
        #expect(Transcriber.withoutRepeats(question) == question)
        #expect(Transcriber.withoutRepeats("não, não, não, eu pedi o azul") == "não, não, não, eu pedi o azul")
        #expect(Transcriber.withoutRepeats("") == "")
        #expect(Transcriber.tokenLimit(samples: 10 * 16_000) == 86)
        #expect(Transcriber.tokenLimit(samples: 60 * 16_000) == 224)
    }

    @Test("the same note gives the same text after a longer one, and a note over 30 s is heard to its end")
    func independentOfHistory() throws {
        let directory = try AudioDecoderTests.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = try AudioDecoderTests.note("Posso pedir a devolução de um produto depois da entrega?", in: directory, name: "short")
        let long = try AudioDecoderTests.note(
            "Bom dia. Eu queria saber o preço do produto. Vocês entregam no sábado? Qual é o horário da loja? "
                + "Posso pagar com cartão de crédito? O produto tem garantia? Eu moro no centro da cidade. "
                + "Vocês entregam no centro? Quanto custa a entrega? Posso retirar na loja? Muito obrigado.",
            in: directory,
            name: "long",
            wordsPerMinute: 110
        )
        #expect(long.seconds > 31, "the long note lasts \(long.seconds) s")
        let transcriber = try Transcriber(modelPath: AudioDecoderTests.model)
        let shortSamples = try AudioDecoder.decodeOpus(fileAt: short.path, maximumSeconds: 60)
        let longSamples = try AudioDecoder.decodeOpus(fileAt: long.path, maximumSeconds: 60)

        let before = try transcriber.transcribe(shortSamples, language: "pt", threads: 1)
        var progress: [Int] = []
        let heard = try transcriber.transcribe(longSamples, language: "pt", threads: 1) { progress.append($0) }
        let after = try transcriber.transcribe(shortSamples, language: "pt", threads: 1)

        #expect(before == after, "before: \(before) / after: \(after)")
        // Words from the start and the end of the first window (Whisper base hears espeak-ng's voice poorly, so not all
        // of them), and text from the second.
        let words = heard.lowercased()
        #expect(words.contains("produto") && words.contains("cartão") && words.contains("cidade"), "\(heard)")
        let firstWindow = try transcriber.transcribe(Array(longSamples.prefix(30 * 16_000)), language: "pt", threads: 1)
        #expect(heard.hasPrefix(firstWindow) && heard.count > firstWindow.count + 3, "\(firstWindow) / \(heard)")
        #expect(progress == progress.sorted() && progress.contains { $0 >= 50 }, "\(progress)")
    }
}
