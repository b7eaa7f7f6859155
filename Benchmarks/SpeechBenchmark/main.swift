// Balcão's side of `make bench-speech`: decodes, resamples and transcribes every clip of a test-set manifest with the
// daemon's own path (libopusfile → Speex resampler → whisper.cpp), and writes what it heard and how long each took.
//
//   SpeechBenchmark --manifest bench-results/speech-testset/manifest.json --model balcao-data/models/whisper-base-multilingual-q8_0.bin \
//                   --threads 1 --output bench-results/speech-balcao-1t.json [--language pt]
//
// The model is loaded once and warmed up on the first clip (both timed apart: the daemon's child loads it for each
// note, so a note's cost in the daemon is load + decode + transcribe). Peak memory is the process's maximum resident
// set. Decoding is the daemon's (Transcriber's defaults): each 30 s window on its own, greedy, and a window whose greedy
// pass collapsed or loops decoded again by beam search; no timestamps, no context.
import Foundation
import Speech

#if canImport(Glibc)
import Glibc
#endif

struct Entry: Decodable {
    let id: String
    let file: String
}

struct Clip: Encodable {
    let id: String
    let transcript: String
    let seconds: Double
    let decode_seconds: Double
    let transcribe_seconds: Double
    let error: String?
}

struct Report: Encodable {
    let engine = "balcao"
    let threads: Int
    let load_seconds: Double
    let warmup_seconds: Double
    let peak_rss_mb: Double
    let clips: [Clip]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

var manifestPath: String?
var modelPath = "balcao-data/models/whisper-base-multilingual-q8_0.bin"
var outputPath = "bench-results/speech-balcao.json"
var threads = 1
var language = "pt"
var fallback: Float = 0
var fitsWindow = true
var margin = 64
var retries = true
var caps = true
var loopRate = 1.0
var collapseRate = 0.8
var beam: Int32 = 4
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--manifest": manifestPath = arguments.next()
    case "--model": modelPath = arguments.next() ?? modelPath
    case "--output": outputPath = arguments.next() ?? outputPath
    case "--threads": threads = arguments.next().flatMap { Int($0) } ?? threads
    case "--language": language = arguments.next() ?? language
    // Flags that change the daemon's decoding, to measure alternatives: whisper.cpp's temperature fallback step
    // (`--fallback 0.2`), Whisper's fixed 30 s encoder window, no beam-search retry, no token cap, the retry's beams,
    // the words a second under which a window is retried (collapsed; lost to a loop), the fitted window's margin.
    case "--fallback": fallback = arguments.next().flatMap { Float($0) } ?? fallback
    case "--full-window": fitsWindow = false
    case "--no-retry": retries = false
    case "--no-cap": caps = false
    case "--collapse-rate": collapseRate = arguments.next().flatMap { Double($0) } ?? collapseRate
    case "--loop-retry-rate": loopRate = arguments.next().flatMap { Double($0) } ?? loopRate
    case "--retry-beam": beam = arguments.next().flatMap { Int32($0) } ?? beam
    case "--window-margin": margin = arguments.next().flatMap { Int($0) } ?? margin
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(2)
    }
}
guard let manifestPath else {
    FileHandle.standardError.write(Data("usage: SpeechBenchmark --manifest FILE [--model FILE] [--threads N] [--output FILE]\n".utf8))
    exit(2)
}
let manifestURL = URL(fileURLWithPath: manifestPath)
let base = manifestURL.deletingLastPathComponent()
let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: manifestURL))

let loading = ContinuousClock.now
let transcriber = try Transcriber(modelPath: modelPath)
transcriber.fallbackTemperatureStep = fallback
transcriber.fitsEncoderWindow = fitsWindow
transcriber.encoderMarginFrames = margin
transcriber.retriesFailedWindows = retries
transcriber.capsTokens = caps
transcriber.loopRetryWordsPerSecond = loopRate
transcriber.collapseWordsPerSecond = collapseRate
transcriber.retryBeamSize = beam
let load = seconds(ContinuousClock.now - loading)

// One untimed pass over the first clip after loading, as the anchor does: first-use setup is not a clip's cost.
var warmup = 0.0
if let first = entries.first {
    let path = first.file.hasPrefix("/") ? first.file : base.appendingPathComponent(first.file).path
    let start = ContinuousClock.now
    if let samples = try? AudioDecoder.decodeOpus(fileAt: path, maximumSeconds: 600) {
        _ = try? transcriber.transcribe(samples, language: language, threads: threads)
    }
    warmup = seconds(ContinuousClock.now - start)
}

var clips: [Clip] = []
for (index, entry) in entries.enumerated() {
    let path = entry.file.hasPrefix("/") ? entry.file : base.appendingPathComponent(entry.file).path
    let start = ContinuousClock.now
    do {
        let samples = try AudioDecoder.decodeOpus(fileAt: path, maximumSeconds: 600)
        let decoded = ContinuousClock.now
        let text = try transcriber.transcribe(samples, language: language, threads: threads)
        let done = ContinuousClock.now
        clips.append(
            Clip(
                id: entry.id,
                transcript: text,
                seconds: seconds(done - start),
                decode_seconds: seconds(decoded - start),
                transcribe_seconds: seconds(done - decoded),
                error: nil
            )
        )
    } catch {
        clips.append(
            Clip(
                id: entry.id,
                transcript: "",
                seconds: seconds(ContinuousClock.now - start),
                decode_seconds: 0,
                transcribe_seconds: 0,
                error: "\(error)"
            )
        )
    }
    FileHandle.standardError.write(Data("SpeechBenchmark: \(index + 1)/\(entries.count) \(entry.id)\n".utf8))
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let report = Report(threads: threads, load_seconds: load, warmup_seconds: warmup, peak_rss_mb: Double(usage.ru_maxrss) / 1024, clips: clips)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
try encoder.encode(report).write(to: URL(fileURLWithPath: outputPath))
