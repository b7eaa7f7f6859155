import CAudio

/// Decodes an Ogg Opus recording (a WhatsApp voice note) to mono 16 kHz samples, what Whisper listens to: libopusfile
/// decodes at 48 kHz, the channels are averaged, and the Speex resampler brings it down to 16 kHz.
public enum AudioDecoder {
    /// The sample rate Whisper expects.
    public static let sampleRate = 16_000
    /// The rate Opus always decodes at.
    static let opusRate = 48_000

    /// The samples of the recording at `path`, refusing one longer than `maximumSeconds` before decoding it (when its
    /// length is known from the stream) or as soon as decoding passes the limit.
    public static func decodeOpus(fileAt path: String, maximumSeconds: Double) throws(SpeechError) -> [Float] {
        var error: Int32 = 0
        guard let file = op_open_file(path, &error) else {
            throw .unreadableAudio(error == OP_ENOTFORMAT ? "not an Ogg Opus file" : "opusfile error \(error)")
        }
        defer { op_free(file) }
        let limit = Int(maximumSeconds * Double(opusRate))
        let total = op_pcm_total(file, -1)
        if total > limit { throw .tooLong(seconds: Double(total) / Double(opusRate), limit: maximumSeconds) }

        var mono: [Float] = []
        mono.reserveCapacity(total > 0 ? Int(total) : opusRate * 10)
        var stereo = [Float](repeating: 0, count: 5_760 * 2)  // 120 ms, Opus's longest frame, in two channels
        var holes = 0
        while true {
            let read = stereo.withUnsafeMutableBufferPointer { op_read_float_stereo(file, $0.baseAddress, Int32($0.count)) }
            if read == 0 { break }
            if read == OP_HOLE {
                // A gap in the stream (lost pages): skipped, but a file made of gaps is damaged.
                holes += 1
                if holes > 100 { throw .unreadableAudio("the stream is full of gaps") }
                continue
            }
            guard read > 0 else { throw .unreadableAudio("opusfile error \(read)") }
            for index in 0..<Int(read) { mono.append((stereo[2 * index] + stereo[2 * index + 1]) * 0.5) }
            if mono.count > limit { throw .tooLong(seconds: Double(mono.count) / Double(opusRate), limit: maximumSeconds) }
        }
        guard !mono.isEmpty else { throw .unreadableAudio("the recording holds no sound") }
        return try resample(mono, from: opusRate, to: sampleRate)
    }

    /// `samples` at rate `from` as samples at rate `to` (Speex's resampler, quality 5).
    static func resample(_ samples: [Float], from: Int, to: Int) throws(SpeechError) -> [Float] {
        var error: Int32 = 0
        guard let resampler = speex_resampler_init(1, UInt32(from), UInt32(to), 5, &error) else {
            throw .failed("the resampler could not start (error \(error))")
        }
        defer { speex_resampler_destroy(resampler) }
        // The input, then the resampler's latency in silence, so that the end of the recording comes out too.
        let latency = Int(speex_resampler_get_input_latency(resampler))
        let input = samples + [Float](repeating: 0, count: latency)
        var output = [Float](repeating: 0, count: input.count * to / from + 64)
        var consumed = 0
        var produced = 0
        while consumed < input.count {
            var inLength = UInt32(min(input.count - consumed, 48_000))
            var outLength = UInt32(output.count - produced)
            let status = input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    speex_resampler_process_float(resampler, 0, source.baseAddress! + consumed, &inLength, target.baseAddress! + produced, &outLength)
                }
            }
            guard status == 0, inLength > 0 || outLength > 0 else { throw .failed("the resampler stopped (error \(status))") }
            consumed += Int(inLength)
            produced += Int(outLength)
        }
        let expected = samples.count * to / from
        return Array(output[0..<min(produced, expected)])
    }
}
