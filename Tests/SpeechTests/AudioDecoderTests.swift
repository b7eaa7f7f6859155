import Foundation
import Testing

@testable import Speech

/// The voice-note path below the daemon: Ogg Opus made in the test (espeak-ng → opusenc) decoded to 16 kHz mono, and
/// transcribed by whisper.cpp with the model `make setup` installs.
@Suite("Voice notes: decoding and transcription")
struct AudioDecoderTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = repository.appendingPathComponent("balcao-data/models/whisper-base-multilingual-q8_0.bin").path

    /// Spoken sentences as an Ogg Opus file `name`.ogg, at `wordsPerMinute`; returns its path and its length in seconds
    /// (from the WAV).
    static func note(
        _ text: String,
        in directory: URL,
        name: String = "note",
        wordsPerMinute: Int = 150
    ) throws -> (path: String, seconds: Double) {
        let wav = directory.appendingPathComponent("\(name).wav")
        let ogg = directory.appendingPathComponent("\(name).ogg")
        for (tool, arguments) in [
            ("/usr/bin/espeak-ng", ["-v", "pt-br", "-s", "\(wordsPerMinute)", "-w", wav.path, text]),
            ("/usr/bin/opusenc", ["--quiet", wav.path, ogg.path]),
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        // espeak-ng writes 22,050 Hz 16-bit mono after a 44-byte header.
        let bytes = try FileManager.default.attributesOfItem(atPath: wav.path)[.size] as? Int ?? 0
        return (ogg.path, Double(bytes - 44) / 2 / 22_050)
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("speech-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a note decodes to 16 kHz mono of its length, and whisper.cpp hears its words")
    func decodeAndTranscribe() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let note = try Self.note("Posso pedir a devolução de um produto depois da entrega?", in: directory)
        let samples = try AudioDecoder.decodeOpus(fileAt: note.path, maximumSeconds: 60)
        let seconds = Double(samples.count) / Double(AudioDecoder.sampleRate)
        #expect(abs(seconds - note.seconds) < 0.1, "\(seconds) s decoded from a \(note.seconds) s note")
        #expect(samples.contains { abs($0) > 0.05 }, "the note is not silence")
        var progress: [Int] = []
        let text = try Transcriber(modelPath: Self.model).transcribe(samples, language: "pt", threads: 1) { progress.append($0) }
        // Whisper base hears espeak-ng's voice poorly ("Posso ter ginade de ouro sange ou um produto de poes da
        // intragem."): two of its words.
        #expect(text.lowercased().contains("posso") && text.lowercased().contains("produto"), "\(text)")
        #expect(!progress.isEmpty && progress == progress.sorted())
    }

    @Test("a note longer than the limit is refused, and files that are not Ogg Opus are unreadable")
    func refusals() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let note = try Self.note("Bom dia, queria saber se vocês entregam no sábado.", in: directory)
        do {
            _ = try AudioDecoder.decodeOpus(fileAt: note.path, maximumSeconds: 1)
            Issue.record("a long note was decoded")
        } catch {
            guard case .tooLong(let seconds, let limit) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(limit == 1 && abs(seconds - note.seconds) < 0.1)
        }
        for (name, bytes) in [("garbage.ogg", Data("OggS".utf8) + Data(repeating: 0x5A, count: 5000)), ("empty.ogg", Data())] {
            let file = directory.appendingPathComponent(name)
            try bytes.write(to: file)
            do {
                _ = try AudioDecoder.decodeOpus(fileAt: file.path, maximumSeconds: 60)
                Issue.record("\(name) was decoded")
            } catch {
                guard case .unreadableAudio = error else {
                    Issue.record("\(name): \(error)")
                    return
                }
            }
        }
        #expect(throws: SpeechError.self) { _ = try Transcriber(modelPath: directory.appendingPathComponent("missing.bin").path) }
    }

    @Test("an Ogg Opus note's length is told by its last page; garbage, an empty file and pages without a position tell none")
    func statedLength() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let note = try Self.note("Bom dia, queria saber se vocês entregam no sábado.", in: directory)
        let stated = try #require(OggDuration.seconds(ofFileAt: note.path))
        // opusenc adds its pre-skip (6.5 ms) to the positions.
        #expect(abs(stated - note.seconds) < 0.05, "\(stated) s stated for a \(note.seconds) s note")
        let garbage = directory.appendingPathComponent("garbage.ogg")
        try (Data("OggS".utf8) + Data(repeating: 0x5A, count: 100)).write(to: garbage)
        let empty = directory.appendingPathComponent("empty.ogg")
        try Data().write(to: empty)
        #expect(OggDuration.seconds(ofFileAt: garbage.path) == nil)
        #expect(OggDuration.seconds(ofFileAt: empty.path) == nil)
        #expect(OggDuration.seconds(ofFileAt: directory.appendingPathComponent("missing.ogg").path) == nil)
        let noPosition = Array("OggS".utf8) + [0, 0] + [UInt8](repeating: 0xFF, count: 8) + [UInt8](repeating: 0, count: 13)
        #expect(OggDuration.seconds(ofTail: noPosition) == nil)
        let oneSecond = Array("OggS".utf8) + [0, 4, 0x80, 0xBB, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 13)
        #expect(OggDuration.seconds(ofTail: oneSecond) == 1)
    }
}
