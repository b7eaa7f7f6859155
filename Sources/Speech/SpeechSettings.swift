/// How voice notes are transcribed on this machine (whisper.cpp).
public struct SpeechSettings: Sendable, Hashable, Codable {
    /// The whisper.cpp model file (ggml format: `whisper-base-multilingual-q8_0.bin`).
    public var modelPath: String
    /// The spoken language as an ISO 639-1 code (`pt`, `en`, …), or `auto` to let the model detect it.
    public var language: String
    /// Threads one transcription uses (one is fastest on a busy two-core machine).
    public var threads: Int
    /// Notes longer than this are not transcribed (the customer is asked for a shorter one).
    public var maximumSeconds: Double

    /// Settings: Portuguese, one thread, notes up to 3 minutes.
    public init(modelPath: String, language: String = "pt", threads: Int = 1, maximumSeconds: Double = 180) {
        self.modelPath = modelPath
        self.language = language
        self.threads = threads
        self.maximumSeconds = maximumSeconds
    }

    /// Whisper's language code for a BCP 47 tag (`pt-BR` → `pt`), or `auto` for none.
    public static func whisperLanguage(forTag tag: String?) -> String {
        guard let tag, let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first, primary.count == 2 || primary.count == 3
        else { return "auto" }
        return primary.lowercased()
    }
}

/// Why a voice note could not be transcribed.
public enum SpeechError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file is not an Ogg Opus recording, or it is damaged.
    case unreadableAudio(String)
    /// The recording is longer than the limit.
    case tooLong(seconds: Double, limit: Double)
    /// The model could not be loaded.
    case modelUnavailable(String)
    /// The engine failed.
    case failed(String)

    public var description: String {
        switch self {
        case .unreadableAudio(let detail): "the audio could not be decoded: \(detail)"
        case .tooLong(let seconds, let limit): "the recording lasts \(Int(seconds.rounded())) s, longer than the \(Int(limit)) s limit"
        case .modelUnavailable(let detail): "the speech model could not be loaded: \(detail)"
        case .failed(let detail): "transcription failed: \(detail)"
        }
    }
}
