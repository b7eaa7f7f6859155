import Foundation
import OCR
import Testing

/// A page of printed Portuguese, rasterized in the test by `pdftoppm` (poppler-utils) from a text PDF of the shared
/// corpus, then turned, tilted or damaged here: the recognizer must read it back.
@Suite("Reading text from images")
struct TextRecognizerTests {
    /// A grey image: one byte per pixel, rows top to bottom.
    struct GrayImage {
        var width: Int
        var height: Int
        var pixels: [UInt8]

        /// As a binary PGM file (which Leptonica decodes like any other format).
        var pgm: Data { Data("P5\n\(width) \(height)\n255\n".utf8) + Data(pixels) }

        /// Turned by a half turn.
        var upsideDown: GrayImage { GrayImage(width: width, height: height, pixels: pixels.reversed()) }

        /// Turned a quarter turn counter-clockwise (as a photo taken with the phone sideways).
        var sideways: GrayImage {
            var turned = [UInt8](repeating: 255, count: pixels.count)
            for y in 0..<height {
                for x in 0..<width { turned[(width - 1 - x) * height + y] = pixels[y * width + x] }
            }
            return GrayImage(width: height, height: width, pixels: turned)
        }

        /// Every `n`th pixel of a row set to black or white at random (a noisy phone photo), deterministically.
        func speckled(every n: Int) -> GrayImage {
            var copy = self
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for index in stride(from: 0, to: pixels.count, by: n) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                copy.pixels[index] = (state >> 33) & 1 == 0 ? 0 : 255
            }
            return copy
        }

        /// Parses a binary PGM (`P5`, 8 bits).
        init?(pgm data: Data) {
            let bytes = [UInt8](data)
            var fields: [String] = []
            var index = 0
            while fields.count < 4, index < bytes.count {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
                var field = ""
                while index < bytes.count, ![0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) {
                    field.append(Character(Unicode.Scalar(bytes[index])))
                    index += 1
                }
                fields.append(field)
            }
            index += 1
            guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255",
                bytes.count - index >= width * height
            else { return nil }
            self.init(width: width, height: height, pixels: Array(bytes[index..<(index + width * height)]))
        }

        init(width: Int, height: Int, pixels: [UInt8]) {
            self.width = width
            self.height = height
            self.pixels = pixels
        }
    }

    /// The corpus's Portuguese law gazette, first page, at 150 dpi (enough for its body text; keeps the test quick).
    static func printedPage() throws -> GrayImage {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus/pdf/ptlaw_116008.pdf")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-ocr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
        process.arguments = ["-r", "150", "-gray", "-f", "1", "-l", "1", "-singlefile", corpus.path, scratch.appendingPathComponent("page").path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try #require(GrayImage(pgm: Data(contentsOf: scratch.appendingPathComponent("page.pgm"))))
    }

    /// Raw pixels come at this resolution; image files say nothing, and Tesseract estimates it.
    static func settings() -> OCRSettings {
        var settings = OCRSettings()
        settings.resolution = 150
        return settings
    }

    /// Words printed in the page's body text, accents included (the "ç" of the masthead's small bold "Terça-feira" is
    /// read as "c" at this resolution unless the lighting is evened, so it is not one of them).
    static let expectedWords = ["Janeiro", "Diário", "República", "Ministério", "Educação"]

    @Test("a printed page is read with its accents, and the engine says it is sure of it")
    func readsPrintedPage() throws {
        let page = try Self.printedPage()
        let read = try #require(try TextRecognizer(settings: Self.settings()).recognize(imageData: page.pgm).first)
        for word in Self.expectedWords { #expect(read.text.contains(word), "missing \(word)") }
        #expect(read.confidence > 0.7)
        #expect(read.rotation == 0)
    }

    @Test("a page upside down or sideways is turned upright before it is read")
    func turnsPagesUpright() throws {
        let page = try Self.printedPage()
        let recognizer = try TextRecognizer(settings: Self.settings())
        let upsideDown = try #require(try recognizer.recognize(imageData: page.upsideDown.pgm).first)
        #expect(upsideDown.rotation == 180)
        let sideways = try #require(try recognizer.recognize(imageData: page.sideways.pgm).first)
        #expect(sideways.rotation == 90)
        for read in [upsideDown, sideways] {
            for word in Self.expectedWords { #expect(read.text.contains(word), "missing \(word) after turning \(read.rotation)°") }
        }
    }

    @Test("grey pixels handed over directly (a rendered PDF page) are read like the same image as a file")
    func readsRawPixels() throws {
        let page = try Self.printedPage()
        let read = try page.pixels.withUnsafeBytes { pixels in
            try TextRecognizer(settings: Self.settings()).recognize(
                grayPixels: pixels,
                width: page.width,
                height: page.height,
                bytesPerRow: page.width
            )
        }
        for word in Self.expectedWords { #expect(read.text.contains(word), "missing \(word)") }
    }

    @Test("bytes that are not an image, an empty buffer and a header claiming a gigapixel are refused with a reason")
    func refusesWhatIsNotAnImage() throws {
        let recognizer = try TextRecognizer(settings: Self.settings())
        #expect(throws: OCRError.unreadableImage) { try recognizer.recognize(imageData: Data("not an image at all".utf8)) }
        #expect(throws: OCRError.unreadableImage) { try recognizer.recognize(imageData: Data()) }
        // A PGM header for 40,000 × 40,000 pixels with almost no data: refused from the header, before decoding.
        #expect(throws: OCRError.imageTooLarge(width: 40_000, height: 40_000)) {
            try recognizer.recognize(imageData: Data("P5\n40000 40000\n255\n".utf8) + Data(repeating: 0, count: 64))
        }
    }

    @Test("missing language data is a clear error, not a crash")
    func missingLanguage() {
        var settings = Self.settings()
        settings.languages = "xyz"
        #expect {
            _ = try TextRecognizer(settings: settings)
        } throws: { error in
            guard case OCRError.unavailable(let detail) = error else { return false }
            return detail.contains("xyz")
        }
    }
}
