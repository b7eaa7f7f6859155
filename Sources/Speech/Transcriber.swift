import CWhisper
import Foundation

/// A Whisper model loaded by whisper.cpp, transcribing 16 kHz mono samples. Not thread-safe: one transcription at a
/// time (the daemon transcribes in a child process, one note per child).
///
/// Each 30 s window of a note is transcribed on its own, in a fresh whisper.cpp state, so the same note always gives
/// the same text whatever was transcribed before it.
public final class Transcriber {
    private let context: OpaquePointer

    /// Loads the model at `path` (whisper.cpp's ggml format).
    public init(modelPath path: String) throws(SpeechError) {
        Self.silenceLogs()
        var parameters = whisper_context_default_params()
        parameters.use_gpu = false
        guard let context = whisper_init_from_file_with_params_no_state(path, parameters) else {
            throw .modelUnavailable("whisper.cpp could not load \(path)")
        }
        self.context = context
    }

    deinit { whisper_free(context) }

    /// The text spoken in `samples`, in `language` (`pt`, or `auto` to detect it), on `threads` threads. `progress` is
    /// told the percentage done as the engine moves on.
    public func transcribe(
        _ samples: [Float],
        language: String,
        threads: Int,
        progress: ((Int) -> Void)? = nil
    ) throws(SpeechError) -> String {
        let windows = Self.windows(count: samples.count)
        var pieces: [String] = []
        for (index, window) in windows.enumerated() {
            let report = progress.map { progress in { (percent: Int) in progress((index * 100 + percent) / windows.count) } }
            let piece = try samples[window].withUnsafeBufferPointer { (buffer) throws(SpeechError) in
                try transcribeWindow(buffer, language: language, threads: threads, progress: report)
            }
            if !piece.isEmpty { pieces.append(piece) }
        }
        return pieces.joined(separator: " ")
    }

    /// The temperature step of whisper.cpp's fallback passes over a window whose greedy pass it judges failed (0: none;
    /// the beam search below does that work, at a fraction of the cost, and `make bench-speech` measured it better).
    public var fallbackTemperatureStep: Float = 0
    /// Whether the encoder's window is fitted to the note (``encoderWindow(samples:margin:)``) instead of Whisper's 30 s.
    public var fitsEncoderWindow = true
    /// Frames of silence the fitted window adds after the note (20 ms each).
    public var encoderMarginFrames = 64
    /// Whether a pass stops at ``tokenLimit(samples:)`` tokens.
    public var capsTokens = true
    /// Whether a window whose greedy pass collapsed, or lost most of itself to a loop, is decoded again by beam search.
    public var retriesFailedWindows = true
    /// A window whose greedy pass holds fewer words a second than this is decoded again: Whisper base sometimes ends a
    /// window early ("de", then the end of text; or its first three sentences of ten), and people speak two words a
    /// second or more.
    public var collapseWordsPerSecond = 0.8
    /// A window whose greedy pass looped is decoded again when, its loop cut, it holds fewer words a second than this.
    public var loopRetryWordsPerSecond = 1.0
    /// The beams of that second pass (`make bench-speech`: 4 cost 2 s less than 5 over its 46 clips, for about the same
    /// words right).
    public var retryBeamSize: Int32 = 4

    /// Whisper hears 30 s at a time.
    static let windowSamples = 30 * 16_000

    /// The 30 s windows of a note of `count` samples. A last window shorter than a second is left out, as whisper.cpp
    /// does: Whisper makes up words for a scrap of sound.
    static func windows(count: Int) -> [Range<Int>] {
        var windows: [Range<Int>] = []
        var start = 0
        repeat {
            let end = min(count, start + windowSamples)
            if windows.isEmpty || end - start >= 16_000 { windows.append(start..<end) }
            start = end
        } while start < count
        return windows
    }

    /// The encoder frames (20 ms each, 1,500 = Whisper's 30 s) for a window of `samples` at 16 kHz: its length plus
    /// `margin`, rounded up to 64 frames.
    static func encoderWindow(samples: Int, margin: Int) -> Int32 {
        let frames = samples / 320 + margin
        return Int32(min(1_500, (frames + 63) / 64 * 64))
    }

    /// Whether `text` is too little for a window of `samples`: at least 3 s long, and fewer than `wordsPerSecond` words
    /// a second of it.
    static func looksCollapsed(_ text: String, samples: Int, wordsPerSecond: Double = 0.8) -> Bool {
        let seconds = Double(samples) / 16_000
        guard seconds >= 3 else { return false }
        return Double(words(text)) < seconds * wordsPerSecond
    }

    /// One window: a greedy pass, its loops cut (``withoutRepeats(_:)``), and, when it collapsed
    /// (``looksCollapsed(_:samples:wordsPerSecond:)``) or a loop took most of the window, a beam search over the same
    /// encoding, kept when it heard more.
    private func transcribeWindow(
        _ samples: UnsafeBufferPointer<Float>,
        language: String,
        threads: Int,
        progress: ((Int) -> Void)?
    ) throws(SpeechError) -> String {
        guard let state = whisper_init_state(context) else { throw .failed("whisper.cpp could not allocate its state") }
        defer { whisper_free_state(state) }
        let first = try decode(samples, in: state, language: language, threads: threads, beamSize: 1, progress: progress)
        let kept = Self.withoutRepeats(first)
        let collapsed = Self.looksCollapsed(kept, samples: samples.count, wordsPerSecond: collapseWordsPerSecond)
        // A loop that began late lost little and is cut; one that began early lost most of the window.
        let lostToLoop =
            Self.words(kept) < Self.words(first) && Self.looksCollapsed(kept, samples: samples.count, wordsPerSecond: loopRetryWordsPerSecond)
        guard retriesFailedWindows, collapsed || lostToLoop else { return kept }
        // The same state: the encoder's work on this window is reused (scripts/whisper-patches/02-reuse-encoding.patch).
        let second = Self.withoutRepeats(
            try decode(samples, in: state, language: language, threads: threads, beamSize: retryBeamSize, progress: nil)
        )
        return Self.words(second) > Self.words(kept) ? second : kept
    }

    /// `text` with a phrase written three times or more in a row (a single word: five times) kept once, as when
    /// Whisper loops ("Posso retirar o pedido. Posso retirar o pedido. Posso retirar o pedido. …").
    static func withoutRepeats(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let keys = words.map { $0.lowercased().filter { $0.isLetter || $0.isNumber } }
        var kept: [String] = []
        var index = 0
        scanning: while index < words.count {
            for length in 1...20 {
                let least = length == 1 ? 5 : 3
                guard index + least * length <= words.count else { break }
                let unit = keys[index..<(index + length)]
                var repeats = 1
                while index + (repeats + 1) * length <= words.count,
                    keys[(index + repeats * length)..<(index + (repeats + 1) * length)].elementsEqual(unit)
                {
                    repeats += 1
                }
                guard repeats >= least else { continue }
                kept += words[index..<(index + length)]
                index += repeats * length
                // The repetition often ends cut short.
                var partial = 0
                while index + partial < words.count, partial < length - 1, keys[index + partial] == unit[unit.startIndex + partial] {
                    partial += 1
                }
                // …down to a word cut in two at the very end ("Pola mundos, Pola mun").
                if index + partial == words.count - 1, partial < length, unit[unit.startIndex + partial].hasPrefix(keys[index + partial]) {
                    partial += 1
                }
                index += partial
                continue scanning
            }
            kept.append(words[index])
            index += 1
        }
        return kept.joined(separator: " ")
    }

    /// The most tokens a window of `samples` at 16 kHz may be transcribed to: 7 a second (fast Portuguese speech is
    /// about 4), and 16 more.
    static func tokenLimit(samples: Int) -> Int32 {
        Int32(min(224, samples / 16_000 * 7 + 16))
    }

    static func words(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }

    /// One whisper.cpp pass over `samples` (at most 30 s) in `state`: greedy (with whisper.cpp's temperature fallback
    /// when ``fallbackTemperatureStep`` is set) when `beamSize` is 1, else a beam search that reuses what the state's
    /// previous pass encoded.
    private func decode(
        _ samples: UnsafeBufferPointer<Float>,
        in state: OpaquePointer,
        language: String,
        threads: Int,
        beamSize: Int32,
        progress: ((Int) -> Void)?
    ) throws(SpeechError) -> String {
        var parameters = whisper_full_default_params(beamSize > 1 ? WHISPER_SAMPLING_BEAM_SEARCH : WHISPER_SAMPLING_GREEDY)
        parameters.n_threads = Int32(max(1, threads))
        parameters.translate = false
        parameters.no_context = true
        parameters.no_timestamps = true
        parameters.single_segment = false
        parameters.print_special = false
        parameters.print_progress = false
        parameters.print_realtime = false
        parameters.print_timestamps = false
        parameters.greedy.best_of = 1
        parameters.beam_search.beam_size = beamSize
        parameters.temperature_inc = beamSize > 1 ? 0 : fallbackTemperatureStep
        parameters.reuse_encoding = beamSize > 1
        // A window cannot hold more words than its length allows: a pass that loops on a phrase stops there instead of
        // writing Whisper's 224 tokens of repetition.
        if capsTokens { parameters.max_tokens = Self.tokenLimit(samples: samples.count) }
        // The encoder reads a window fitted to the note instead of a fixed 30 s one: a 5 s note costs a quarter of
        // the work (Whisper pads every input to 30 s; whisper.cpp can shorten what the encoder attends to, and
        // scripts/whisper-patches/01-exact-attention.patch makes it attend to exactly that window).
        if fitsEncoderWindow { parameters.audio_ctx = Self.encoderWindow(samples: samples.count, margin: encoderMarginFrames) }
        let box = ProgressBox(progress)
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        if progress != nil {
            parameters.progress_callback = { _, _, percent, user in
                guard let user else { return }
                Unmanaged<ProgressBox>.fromOpaque(user).takeUnretainedValue().report(Int(percent))
            }
            parameters.progress_callback_user_data = unmanaged.toOpaque()
        }
        let status = language.withCString { code in
            parameters.language = code
            parameters.detect_language = false
            return whisper_full_with_state(context, state, parameters, samples.baseAddress, Int32(samples.count))
        }
        guard status == 0 else { throw .failed("whisper_full returned \(status)") }
        var text = ""
        for segment in 0..<whisper_full_n_segments_from_state(state) {
            if let piece = whisper_full_get_segment_text_from_state(state, segment) { text += String(cString: piece) }
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// whisper.cpp and ggml write their progress and model details to standard error; the daemon's child uses it for
    /// its own progress lines.
    private static func silenceLogs() {
        whisper_log_set({ _, _, _ in }, nil)
    }

    private final class ProgressBox {
        let callback: ((Int) -> Void)?
        init(_ callback: ((Int) -> Void)?) { self.callback = callback }
        func report(_ percent: Int) { callback?(percent) }
    }
}
