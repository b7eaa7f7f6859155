import CWhisper
import Foundation

/// A Whisper model loaded by whisper.cpp, transcribing 16 kHz mono samples. Not thread-safe: one transcription at a
/// time (the daemon transcribes in a child process, one note per child).
public final class Transcriber {
    private let context: OpaquePointer

    /// Loads the model at `path` (whisper.cpp's ggml format).
    public init(modelPath path: String) throws(SpeechError) {
        Self.silenceLogs()
        var parameters = whisper_context_default_params()
        parameters.use_gpu = false
        guard let context = whisper_init_from_file_with_params(path, parameters) else {
            throw .modelUnavailable("whisper.cpp could not load \(path)")
        }
        self.context = context
    }

    deinit { whisper_free(context) }

    /// The text spoken in `samples`, in `language` (`pt`, or `auto` to detect it), greedy decoding on `threads`
    /// threads. `progress` is told the percentage done as the engine moves on.
    public func transcribe(
        _ samples: [Float],
        language: String,
        threads: Int,
        progress: ((Int) -> Void)? = nil
    ) throws(SpeechError) -> String {
        var parameters = whisper_full_default_params(WHISPER_SAMPLING_GREEDY)
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
        // A pass that repeats itself (whisper.cpp's entropy check) or is unsure is decoded again at a higher
        // temperature (whisper.cpp's default 0.2 steps): Whisper base otherwise loops on some notes ("e aí, e aí, …").
        parameters.temperature_inc = fallbackTemperatureStep
        // The encoder reads a window fitted to the note instead of a fixed 30 s one: a 5 s note costs a quarter of
        // the work (Whisper pads every input to 30 s; whisper.cpp can shorten what the encoder attends to).
        if fitsEncoderWindow { parameters.audio_ctx = Self.encoderWindow(samples: samples.count, margin: encoderMarginFrames) }
        // A note cannot hold more words than its length allows: a pass that loops on a phrase is cut there instead of
        // writing Whisper's 224 tokens of repetition (which cost time and words).
        parameters.max_tokens = Self.tokenLimit(samples: samples.count)
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
            return samples.withUnsafeBufferPointer { whisper_full(context, parameters, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 0 else { throw .failed("whisper_full returned \(status)") }
        var text = ""
        for segment in 0..<whisper_full_n_segments(context) {
            if let piece = whisper_full_get_segment_text(context, segment) { text += String(cString: piece) }
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The temperature step of a fallback pass (0: one greedy pass only).
    public var fallbackTemperatureStep: Float = 0.2
    /// Whether the encoder's window is fitted to the note (``encoderWindow(samples:)``) instead of Whisper's 30 s.
    public var fitsEncoderWindow = true

    /// The most tokens a note of `samples` at 16 kHz may be transcribed to: 7 a second (fast Portuguese speech is
    /// about 4), and 16 more.
    static func tokenLimit(samples: Int) -> Int32 {
        Int32(min(224, samples / 16_000 * 7 + 16))
    }

    /// Frames of silence the fitted window adds after the note (20 ms each).
    public var encoderMarginFrames = 128

    /// The encoder frames (20 ms each, 1,500 = Whisper's 30 s) for a note of `samples` at 16 kHz: its length plus
    /// `margin`, rounded up to 64 frames.
    static func encoderWindow(samples: Int, margin: Int) -> Int32 {
        let frames = samples / 320 + margin
        return Int32(min(1_500, (frames + 63) / 64 * 64))
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
