import Foundation

/// A voice note made in the test: `espeak-ng`'s Brazilian Portuguese voice says the text, and `opusenc` (opus-tools)
/// makes it an Ogg Opus file, the format of WhatsApp's voice notes. Synthetic speech is the easy case for Whisper.
enum SpokenQuestion {
    static func ogg(_ text: String, speed: Int = 150) throws -> Data {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voice-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let wav = directory.appendingPathComponent("note.wav")
        let ogg = directory.appendingPathComponent("note.ogg")
        try run("/usr/bin/espeak-ng", ["-v", "pt-br", "-s", String(speed), "-w", wav.path, text])
        try run("/usr/bin/opusenc", ["--quiet", "--bitrate", "24", wav.path, ogg.path])
        return try Data(contentsOf: ogg)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) failed with status \(process.terminationStatus)"])
        }
    }
}
