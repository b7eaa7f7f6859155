import CTesseract
public import Foundation

/// How pages are read.
public struct OCRSettings: Sendable, Hashable, Codable {
    /// Tesseract languages, `+`-separated (their data must be installed: `tesseract-ocr-por`, `tesseract-ocr-eng`).
    public var languages = "por+eng"
    /// The directory holding the `.traineddata` files; `nil` for Tesseract's own default (or `TESSDATA_PREFIX`).
    public var dataPath: String?
    /// The longest one page may take to be recognized.
    public var pageTimeLimit: Duration = .seconds(60)
    /// Most pages of one document read by OCR; the others are skipped with a warning.
    public var maximumPages = 300
    /// Images larger than this many pixels are refused before they are decoded (a 300 dpi A3 page has 17 million).
    public var maximumPixels = 60_000_000
    /// Turns pages that are sideways or upside down (Tesseract's orientation detection, `osd.traineddata`).
    public var detectsOrientation = true
    /// Straightens pages scanned or photographed slightly askew.
    public var straightens = true
    /// Evens out uneven lighting (shadows and shading of phone photos) before reading. Off by default: on the OCR
    /// benchmark it changed clean pages (a clean page should reach Tesseract as it came), was neutral on shaded phone
    /// photos, and helped only noisy pages.
    public var evensLighting = false
    /// The resolution PDF pages are rendered at for reading, in dots per inch.
    public var resolution = 300

    /// The defaults.
    public init() {}
}

/// What was read from one page or image.
public struct RecognizedText: Sendable, Hashable, Codable {
    /// The text, in reading order.
    public var text: String
    /// Tesseract's mean word confidence, 0–1 (0 when no word was found).
    public var confidence: Double
    /// How far the page was turned before reading, in degrees clockwise (0, 90, 180 or 270).
    public var rotation: Int
    /// How much the page was straightened, in degrees.
    public var skew: Double

    /// A result.
    public init(text: String, confidence: Double, rotation: Int = 0, skew: Double = 0) {
        self.text = text
        self.confidence = confidence
        self.rotation = rotation
        self.skew = skew
    }
}

/// Why an image could not be read.
public enum OCRError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Tesseract or its language data is not installed.
    case unavailable(String)
    /// The bytes are not an image Leptonica can decode.
    case unreadableImage
    /// The image has more pixels than ``OCRSettings/maximumPixels``.
    case imageTooLarge(width: Int, height: Int)
    /// Recognition did not end within ``OCRSettings/pageTimeLimit``.
    case timedOut(seconds: Int)

    public var description: String {
        switch self {
        case .unavailable(let detail): return "OCR is not available: \(detail)"
        case .unreadableImage: return "The image could not be decoded."
        case .imageTooLarge(let width, let height): return "The image is too large to read (\(width) × \(height) pixels)."
        case .timedOut(let seconds): return "Reading the page took longer than \(seconds) s."
        }
    }
}

/// Reads text from images with Tesseract, after Leptonica has prepared them: grey, lighting evened out, turned upright,
/// straightened.
///
/// One recognizer holds a loaded engine (tens of megabytes): create one per document or per worker and read its pages
/// with it, from one thread at a time. It is meant to run where a parser of outside data runs — in the isolated reader
/// process — so a crash or a hang in the engine ends that one item.
public final class TextRecognizer {
    private let settings: OCRSettings
    private let engine: OpaquePointer
    /// The orientation detector, loaded on first use.
    private var orientationEngine: OpaquePointer?

    /// Loads the engine for `settings.languages`.
    public init(settings: OCRSettings = OCRSettings()) throws {
        self.settings = settings
        guard let engine = TessBaseAPICreate() else { throw OCRError.unavailable("Tesseract could not be started") }
        self.engine = engine
        Self.quiet(engine)
        // On failure the engine is released by deinit, which runs since every property is set by now.
        guard TessBaseAPIInit2(engine, settings.dataPath, settings.languages, OEM_LSTM_ONLY) == 0 else {
            throw OCRError.unavailable("the language data for “\(settings.languages)” is not installed (tesseract-ocr-por, tesseract-ocr-eng)")
        }
        TessBaseAPISetPageSegMode(engine, PSM_AUTO)
    }

    deinit {
        TessBaseAPIEnd(engine)
        TessBaseAPIDelete(engine)
        if let orientationEngine {
            TessBaseAPIEnd(orientationEngine)
            TessBaseAPIDelete(orientationEngine)
        }
    }

    /// Reads an image file (PNG, JPEG, TIFF — every page of a multi-page TIFF —, WebP, BMP, GIF).
    public func recognize(imageData data: Data) throws -> [RecognizedText] {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [RecognizedText] in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, !raw.isEmpty else { throw OCRError.unreadableImage }
            var format: Int32 = 0
            var width: Int32 = 0
            var height: Int32 = 0
            var bitsPerSample: Int32 = 0
            var samplesPerPixel: Int32 = 0
            var colormapped: Int32 = 0
            guard pixReadHeaderMem(base, raw.count, &format, &width, &height, &bitsPerSample, &samplesPerPixel, &colormapped) == 0 else {
                throw OCRError.unreadableImage
            }
            try checkSize(width: Int(width), height: Int(height))
            let tiffFormats = [IFF_TIFF, IFF_TIFF_G4, IFF_TIFF_G3, IFF_TIFF_LZW, IFF_TIFF_ZIP, IFF_TIFF_PACKBITS, IFF_TIFF_RLE, IFF_TIFF_JPEG]
            if tiffFormats.contains(where: { Int($0) == Int(format) }) {
                guard let pages = pixaReadMemMultipageTiff(base, raw.count) else { throw OCRError.unreadableImage }
                var owned: UnsafeMutablePointer<PIXA>? = pages
                defer { pixaDestroy(&owned) }
                var results: [RecognizedText] = []
                for index in 0..<pixaGetCount(pages) {
                    guard let page = pixaGetPix(pages, index, Int32(L_CLONE)) else { throw OCRError.unreadableImage }
                    let picture = Picture(page)
                    try checkSize(width: Int(pixGetWidth(picture.pix)), height: Int(pixGetHeight(picture.pix)))
                    results.append(try recognize(picture))
                }
                return results
            }
            guard let pix = pixReadMem(base, raw.count) else { throw OCRError.unreadableImage }
            return [try recognize(Picture(pix))]
        }
    }

    /// Reads a grey image (8 bits per pixel, rows top to bottom, `bytesPerRow` apart) rendered at
    /// ``OCRSettings/resolution``: a PDF page.
    public func recognize(grayPixels pixels: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerRow: Int) throws -> RecognizedText {
        try checkSize(width: width, height: height)
        guard width > 0, height > 0, bytesPerRow >= width, pixels.count >= bytesPerRow * (height - 1) + width,
            let pix = pixCreate(Int32(width), Int32(height), 8)
        else { throw OCRError.unreadableImage }
        let picture = Picture(pix)
        pixSetResolution(pix, Int32(settings.resolution), Int32(settings.resolution))
        // Leptonica keeps 8-bit pixels in 32-bit words, most significant byte first: on a little-endian machine the
        // byte of pixel x sits at x ^ 3 in its row.
        let wordsPerLine = Int(pixGetWpl(pix))
        let data = UnsafeMutableRawPointer(pixGetData(pix)!).assumingMemoryBound(to: UInt8.self)
        let source = pixels.bindMemory(to: UInt8.self)
        for y in 0..<height {
            let row = data + y * wordsPerLine * 4
            let from = y * bytesPerRow
            for x in 0..<width { row[x ^ 3] = source[from + x] }
        }
        return try recognize(picture)
    }

    private func checkSize(width: Int, height: Int) throws {
        guard width > 0, height > 0 else { throw OCRError.unreadableImage }
        guard width * height <= settings.maximumPixels else { throw OCRError.imageTooLarge(width: width, height: height) }
    }

    /// Prepares and reads one picture. An image file's resolution is its own when it declares a plausible one, and
    /// otherwise Tesseract estimates it from the text's size.
    private func recognize(_ input: Picture) throws -> RecognizedText {
        guard var picture = pixConvertTo8(input.pix, 0).map(Picture.init) else { throw OCRError.unreadableImage }
        var rotation = 0
        // Orientation is judged on the page as it came (evening the lighting first made the detector less sure).
        if settings.detectsOrientation, let quarterTurns = orientation(of: picture), quarterTurns != 0,
            let upright = pixRotateOrth(picture.pix, Int32(quarterTurns))
        {
            picture = Picture(upright)
            rotation = quarterTurns * 90
        }
        if settings.evensLighting, let even = pixBackgroundNormSimple(picture.pix, nil, nil) {
            picture = Picture(even)
        }
        var skew: Float = 0
        if settings.straightens {
            var confidence: Float = 0
            if let straight = pixFindSkewAndDeskew(picture.pix, 2, &skew, &confidence) {
                picture = Picture(straight)
            }
        }
        return try read(picture, rotation: rotation, skew: Double(skew))
    }

    /// The quarter turns clockwise that make the page upright, when the detector is sure enough.
    private func orientation(of picture: Picture) -> Int? {
        if orientationEngine == nil {
            guard let detector = TessBaseAPICreate() else { return nil }
            Self.quiet(detector)
            guard TessBaseAPIInit2(detector, settings.dataPath, "osd", OEM_TESSERACT_ONLY) == 0 else {
                TessBaseAPIDelete(detector)
                return nil
            }
            TessBaseAPISetPageSegMode(detector, PSM_OSD_ONLY)
            orientationEngine = detector
        }
        guard let detector = orientationEngine else { return nil }
        // At full size: judged at half size, one sideways page in twelve of the benchmark was left sideways, for 0.05 s
        // a page saved.
        TessBaseAPISetImage2(detector, picture.pix)
        defer { TessBaseAPIClear(detector) }
        var degrees: Int32 = 0
        var confidence: Float = 0
        var script: UnsafePointer<CChar>?
        var scriptConfidence: Float = 0
        guard TessBaseAPIDetectOrientationScript(detector, &degrees, &confidence, &script, &scriptConfidence) != 0 else { return nil }
        // Tesseract reports how far the image is turned clockwise (undone by the rest of the full turn); below this
        // confidence its guess is noise.
        guard confidence >= 2 else { return nil }
        return ((360 - Int(degrees)) % 360) / 90
    }

    private func read(_ picture: Picture, rotation: Int, skew: Double) throws -> RecognizedText {
        TessBaseAPISetImage2(engine, picture.pix)
        defer { TessBaseAPIClear(engine) }
        let monitor = TessMonitorCreate()
        defer { TessMonitorDelete(monitor) }
        let limit = Int32(clamping: settings.pageTimeLimit.components.seconds * 1000)
        TessMonitorSetDeadlineMSecs(monitor, limit)
        let started = ContinuousClock.now
        guard TessBaseAPIRecognize(engine, monitor) == 0 else {
            if ContinuousClock.now - started >= settings.pageTimeLimit {
                throw OCRError.timedOut(seconds: Int(settings.pageTimeLimit.components.seconds))
            }
            throw OCRError.unreadableImage
        }
        guard let utf8 = TessBaseAPIGetUTF8Text(engine) else { return RecognizedText(text: "", confidence: 0, rotation: rotation, skew: skew) }
        defer { TessDeleteText(utf8) }
        let text = String(cString: utf8)
        let confidence = text.contains(where: { !$0.isWhitespace }) ? Double(max(0, TessBaseAPIMeanTextConf(engine))) / 100 : 0
        return RecognizedText(text: text, confidence: confidence, rotation: rotation, skew: skew)
    }

    /// No debug output on standard error: the isolated reader's channel is its standard output, and its logs stay clean.
    private static func quiet(_ engine: OpaquePointer) {
        _ = TessBaseAPISetVariable(engine, "debug_file", "/dev/null")
    }
}

/// A Leptonica image owned by Swift: destroyed with its last reference.
private final class Picture {
    let pix: UnsafeMutablePointer<PIX>

    init(_ pix: UnsafeMutablePointer<PIX>) { self.pix = pix }

    deinit {
        var pointer: UnsafeMutablePointer<PIX>? = pix
        pixDestroy(&pointer)
    }
}
