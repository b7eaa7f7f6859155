// Balcão's side of `make bench-ocr`: reads every image of a test-set manifest with the OCR pipeline (grey, lighting
// evened out, turned upright, straightened, then Tesseract) and writes what it read and how long each took.
//
//   OCRBenchmark --manifest bench-results/ocr-testset/manifest.json --output bench-results/ocr-balcao.json
//
// The engine is loaded once and read with page after page, as a document's pages are; its load time is printed
// separately, since the tesseract command line pays it for every image.
import Foundation
import OCR

struct Entry: Decodable {
    let image: String
}

struct Result: Encodable {
    let image: String
    let text: String
    let seconds: Double
    let confidence: Double
    let rotation: Int
    let skew: Double
    let error: String?
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

var manifestPath: String?
var outputPath = "bench-results/ocr-balcao.json"
var settings = OCRSettings()
// The anchor is `tesseract -l por`: the same model here, so that the comparison is of the pipeline around it. The
// daemon's default, por+eng, also tries English on words Portuguese reads poorly (`--languages por+eng`).
settings.languages = "por"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--manifest": manifestPath = arguments.next()
    case "--output": outputPath = arguments.next() ?? outputPath
    // Each preparation step can be switched off, to measure what it costs and what it earns.
    case "--no-orientation": settings.detectsOrientation = false
    case "--even-lighting": settings.evensLighting = true
    case "--no-straightening": settings.straightens = false
    case "--languages": settings.languages = arguments.next() ?? settings.languages
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(2)
    }
}
guard let manifestPath else {
    FileHandle.standardError.write(Data("usage: OCRBenchmark --manifest FILE [--output FILE]\n".utf8))
    exit(2)
}
let manifestURL = URL(fileURLWithPath: manifestPath)
let base = manifestURL.deletingLastPathComponent()
let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: manifestURL))

let loading = ContinuousClock.now
let recognizer = try TextRecognizer(settings: settings)
let engineLoad = seconds(ContinuousClock.now - loading)

var results: [Result] = []
for entry in entries {
    let data = try Data(contentsOf: base.appendingPathComponent(entry.image))
    let started = ContinuousClock.now
    do {
        let pages = try recognizer.recognize(imageData: data)
        let elapsed = seconds(ContinuousClock.now - started)
        results.append(
            Result(
                image: entry.image,
                text: pages.map(\.text).joined(separator: "\n"),
                seconds: elapsed,
                confidence: pages.first?.confidence ?? 0,
                rotation: pages.first?.rotation ?? 0,
                skew: pages.first?.skew ?? 0,
                error: nil
            )
        )
    } catch {
        results.append(
            Result(
                image: entry.image,
                text: "",
                seconds: seconds(ContinuousClock.now - started),
                confidence: 0,
                rotation: 0,
                skew: 0,
                error: "\(error)"
            )
        )
    }
}
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
try encoder.encode(results).write(to: URL(fileURLWithPath: outputPath))
let total = results.reduce(0) { $0 + $1.seconds }
print(String(format: "OCRBenchmark: %d images in %.2f s (engine loaded in %.2f s) → %@", results.count, total, engineLoad, outputPath))
