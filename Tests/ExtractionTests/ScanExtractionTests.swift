import Foundation
import OCR
import Testing

@testable import Extraction

/// Scans and images with OCR on: the scanned corpus PDF and an image rasterized in the test are read, with each
/// page's confidence; with OCR off they still end as `needs_ocr`.
@Suite("Scans and images: OCR")
struct ScanExtractionTests {
    static let extractor = DocumentExtractor(ocr: OCRSettings())

    @Test("a scanned PDF (no text layer) is read by OCR, page by page, with its confidence")
    func scannedPDF() throws {
        let document = try Self.extractor.extract(fileAt: Corpus.url("pdf/docling_ocr_test_scanned.pdf"))
        #expect(document.format == .pdf)
        #expect(document.plainText.contains("Docling bundles PDF document conversion to JSON and Markdown"))
        #expect(document.ocrPages.map(\.page) == [1])
        #expect(document.ocrPages.allSatisfy { $0.confidence > OCRPage.lowConfidence })
        #expect(document.blocks.allSatisfy { $0.page == 1 })
    }

    @Test("with OCR off, the scanned PDF and an image still end as needs_ocr")
    func ocrOff() throws {
        #expect(throws: ExtractionError.self) { try DocumentExtractor().extract(fileAt: Corpus.url("pdf/docling_ocr_test_scanned.pdf")) }
        let image = try Self.rasterize("pdf/ptlaw_116008.pdf", format: "-png")
        defer { try? FileManager.default.removeItem(at: image.deletingLastPathComponent()) }
        do {
            _ = try DocumentExtractor().extract(fileAt: image)
            Issue.record("an image was read with OCR off")
        } catch {
            guard case .needsOCR(let reason) = error else {
                Issue.record("expected needs_ocr, got \(error)")
                return
            }
            #expect(reason.contains("OCR"))
        }
    }

    @Test("PNG and JPEG images are recognised by their bytes, whatever their name, and read")
    func images() throws {
        for format in ["-png", "-jpeg"] {
            let image = try Self.rasterize("pdf/ptlaw_116008.pdf", format: format)
            defer { try? FileManager.default.removeItem(at: image.deletingLastPathComponent()) }
            let renamed = image.deletingLastPathComponent().appendingPathComponent("scan.txt")
            try FileManager.default.moveItem(at: image, to: renamed)
            let document = try Self.extractor.extract(fileAt: renamed)
            #expect(document.format == .image)
            #expect(document.pageCount == 1)
            #expect(document.plainText.contains("Diário da República"), "\(format)")
            #expect(document.ocrPages.count == 1)
        }
    }

    @Test("a file with an image's signature but damaged bytes is refused with a reason")
    func damagedImage() throws {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += [UInt8](repeating: 0x41, count: 512)
        let url = try temporaryFile("broken.png", Data(bytes))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(throws: ExtractionError.self) { try Self.extractor.extract(fileAt: url) }
    }

    /// The first page of a corpus PDF as an image file made by `pdftoppm` at 150 dpi.
    static func rasterize(_ relative: String, format: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
        process.arguments = [
            "-r", "150", format, "-f", "1", "-l", "1", "-singlefile", Corpus.url(relative).path, directory.appendingPathComponent("page").path,
        ]
        try process.run()
        process.waitUntilExit()
        let produced = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        return try #require(produced.first)
    }
}
