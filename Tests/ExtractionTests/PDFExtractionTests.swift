import Foundation
import Testing

@testable import Extraction

@Suite("PDF: hostile files")
struct PDFHostileTests {
    @Test(
        "encrypted PDFs: refused without a password, read with it, refused with a wrong one",
        arguments: [
            ("pdf/docling_password_2206.01062_pg3.pdf", "1234"), ("pdf/pysf_libreoffice-writer-password.pdf", "openpassword"),
            ("pdf/pdfminer_aes-256.pdf", "foo"),
        ]
    )
    func encrypted(file: String, password: String) throws {
        guard case .passwordProtected(let reason)? = corpus(file).error else {
            Issue.record("expected passwordProtected, got \(corpus(file))")
            return
        }
        #expect(reason.contains("password-protected"))
        let doc = try #require(corpus(file, password: password).document)
        #expect(!doc.plainText.isEmpty)
        guard case .passwordProtected? = corpus(file, password: password + "x").error else {
            Issue.record("a wrong password must be refused")
            return
        }
    }

    @Test func aes256PasswordGivesTheText() throws {
        let doc = try #require(corpus("pdf/pdfminer_aes-256.pdf", password: "foo").document)
        #expect(doc.plainText == "Secret!")
    }

    @Test func truncatedPDFWithZeroPagesIsUnreadable() {
        guard case .unreadable(let reason)? = corpus("pdf/derived_truncated_half.pdf").error else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("truncated"))
    }

    @Test func emptyFileIsRefused() {
        guard case .unreadable(let reason)? = corpus("pdf/derived_empty.pdf").error else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("empty"))
    }

    @Test func jpegRenamedToPDFIsAnImageNeedingOCR() {
        // The bytes decide: a JPEG named .pdf is an image, which needs OCR (off in this extractor).
        guard case .needsOCR? = corpus("pdf/derived_jpeg_renamed.pdf").error else {
            Issue.record("expected needsOCR")
            return
        }
    }

    @Test func corruptZlibStreamStillGivesText() throws {
        let doc = try #require(corpus("pdf/pdfminer_zen_of_python_corrupted.pdf").document)
        #expect(doc.plainText.contains("zen_of_python.txt"))
        #expect(doc.plainText.contains("Mai 30, 18 13:27"))
        #expect(doc.plainText.contains("Beautiful is better than ugly."))
    }

    @Test func scannedPageNeedsOCR() {
        guard case .needsOCR(let reason)? = corpus("pdf/docling_ocr_test_scanned.pdf").error else {
            Issue.record("expected needsOCR")
            return
        }
        #expect(reason.contains("OCR"))
    }

    @Test func brokenFontEncodingIsUnreadable() {
        guard case .unreadable(let reason)? = corpus("pdf/pdfminer_issue-791-non-unicode-cmap.pdf").error else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("font encoding"))
    }

    @Test func oversizeFileIsRefusedBeforeReading() {
        let limits = ExtractionLimits(maxFileBytes: 10_000)
        guard case .tooLarge(let reason)? = extract(Corpus.url("pdf/ptlaw_131287.pdf"), limits: limits).error else {
            Issue.record("expected tooLarge")
            return
        }
        #expect(reason.contains("limit"))
    }

    @Test func pageLimit() {
        guard case .tooLarge(let reason)? = extract(Corpus.url("pdf/ptlaw_01060115.pdf"), limits: ExtractionLimits(maxPages: 5)).error else {
            Issue.record("expected tooLarge")
            return
        }
        #expect(reason.contains("10 pages"))
    }

    @Test func formatComesFromContentNotName() throws {
        // A PDF named .docx is read as a PDF.
        let doc = try #require(corpus("docx/derived_pdf_renamed.docx").document)
        #expect(doc.format == .pdf)
        #expect(DocumentExtractor.sniff(Data("%PDF-1.7\n".utf8)) == .pdf)
        #expect(DocumentExtractor.sniff(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])) == .image)
        #expect(DocumentExtractor.sniff(Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 56))) == nil)
        #expect(DocumentExtractor.sniff(Data([0x50, 0x4B, 0x03, 0x04])) == .docx)
        #expect(DocumentExtractor.sniff(Data("Olá, mundo\n".utf8)) == .text)
    }
}

@Suite("PDF: text quality")
struct PDFQualityTests {
    @Test func portugueseTwoColumnPagesAreCleanAndInOrder() throws {
        let doc = try #require(corpus("pdf/ptlaw_01060115.pdf").document)
        #expect(doc.pageCount == 10)
        // Running headers and page numbers are gone.
        #expect(!doc.blocks.contains { $0.text.contains("DIÁRIO DA REPÚBLICA") })
        #expect(!doc.blocks.contains { $0.text.contains("I SÉRIE") })
        #expect(!doc.blocks.contains { $0.text == "112" })
        // Line-end hyphenation is joined, compounds are kept.
        let all = doc.plainText
        #expect(all.contains("procede-se, de seguida"))
        #expect(all.contains("definitiva dos concorrentes"))
        #expect(!all.contains("defi- nitiva"))
        #expect(all.contains("Decreto-Lei"))
        // Column order on page 7: the left column's articles come before the right column's.
        let page7 = doc.blocks.filter { $0.page == 7 }.map(\.text)
        let a18 = try #require(page7.firstIndex(of: "Artigo 18.o"))
        let a19 = try #require(page7.firstIndex(of: "Artigo 19.o"))
        let a20 = try #require(page7.firstIndex(of: "Artigo 20.o"))
        #expect(a18 < a19 && a19 < a20)
        // NFKC: "n.º" becomes "n.o", no ligature code points survive.
        #expect(!all.unicodeScalars.contains { (0xFB00...0xFB06).contains($0.value) })
        #expect(!all.contains("º"))
    }

    @Test func blocksCarryPagesAndKinds() throws {
        let doc = try #require(corpus("pdf/ptlaw_01060115.pdf").document)
        #expect(doc.blocks.allSatisfy { ($0.page ?? 0) >= 1 && ($0.page ?? 0) <= 10 })
        #expect(doc.blocks.contains { $0.kind == .listItem(level: 0) && $0.text.hasPrefix("a) ") })
    }

    @Test func unmappedGlyphsAreStrippedAndCounted() throws {
        let doc = try #require(corpus("pdf/docling_redp5110_sampled.pdf").document)
        #expect(!doc.plainText.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(doc.warnings.contains { $0.contains("control") })
    }

    @Test func brokenLigatureMapIsRepairedByPoppler() throws {
        let doc = try #require(corpus("pdf/qd_multiple_columns.pdf").document)
        #expect(doc.plainText.contains("profissionais"))
    }
}

@Suite("Normalization")
struct NormalizationTests {
    @Test func dehyphenation() {
        var text = "o presente regulamen-"
        TextNormalization.appendLine("to entra em vigor", to: &text)
        #expect(text == "o presente regulamento entra em vigor")
        text = "nos termos do Decreto-"
        TextNormalization.appendLine("Lei n.º 10/99", to: &text)
        #expect(text == "nos termos do Decreto-Lei n.º 10/99")
        text = "procede-"
        TextNormalization.appendLine("se à abertura", to: &text)
        #expect(text == "procede-se à abertura")
        text = "o senhor Car-"
        TextNormalization.appendLine("los Silva", to: &text)
        #expect(text == "o senhor Carlos Silva")
        text = "nesta clas-"
        TextNormalization.appendLine("se de", to: &text)
        #expect(text == "nesta classe de")
        text = "deve fazê-"
        TextNormalization.appendLine("lo hoje", to: &text)
        #expect(text == "deve fazê-lo hoje")
        text = "1 —"
        TextNormalization.appendLine("Cumprido", to: &text)
        #expect(text == "1 — Cumprido")
    }

    @Test func nfkcAndControlCharacters() {
        var dropped = TextNormalization.DroppedCounts()
        let out = TextNormalization.normalize("e\u{FB01}ciente  n.º 5\u{0001} \u{FFFD}fim\u{E001}", dropped: &dropped)
        #expect(out == "eficiente n.o 5 fim")
        #expect(dropped.control == 1 && dropped.replacement == 1 && dropped.privateUse == 1)
    }

    @Test func runningHeadersAndFootersAreRemoved() {
        func line(_ text: String, _ y: Double) -> PDFLine {
            PDFLine(text: text, box: Box(x1: 50, y1: y, x2: 300, y2: y + 10), fontSize: 10, bold: false)
        }
        var pages: [[PDFLine]] = (1...4).map { n in
            [
                line("DIÁRIO DA REPÚBLICA — I SÉRIE-A N.º \(n)", 30), line("Body text of page \(n) that differs.", 100),
                line("More body text \(n * 7) here.", 112), line("\(n + 40)", 800),
            ]
        }
        let removed = RunningLines.remove(from: &pages, pageSizes: Array(repeating: (595, 842), count: 4))
        #expect(removed == 8)
        #expect(pages.allSatisfy { $0.count == 2 && $0[0].text.hasPrefix("Body text") })
    }

    @Test func singlePageHeaderRowWithPageNumber() throws {
        let doc = try #require(corpus("pdf/ptlaw_0045800458.pdf").document)
        #expect(!doc.plainText.contains("Diário da República"))
        #expect(doc.blocks.first?.text != "458")
        #expect(doc.plainText.contains("MINISTÉRIO DA ADMINISTRAÇÃO INTERNA"))
    }

    @Test func tableRowAtPageBottomIsNotAFooter() throws {
        let doc = try #require(corpus("pdf/ptlaw_116008.pdf").document)
        #expect(doc.blocks.contains { $0.page == 8 && $0.text.contains("Língua e Cultura Espanhola IV") })
    }

    @Test func garbageDetector() {
        #expect(Plausibility.garbageReason(["3HQČåQtSURVWĜHGN\\QD~þWHFK"]) != nil)
        #expect(Plausibility.garbageReason(["Peněžní prostředky na účtech"]) == nil)
        #expect(Plausibility.garbageReason(["O iPhone e a McDonald's na GmbH: 2305.03393v1, 5.o ano."]) == nil)
    }
}

@Suite("PDF: concurrency")
struct PDFConcurrencyTests {
    @Test func documentsExtractConcurrentlyWithTheSameResult() async throws {
        let files = ["pdf/ptlaw_131287.pdf", "pdf/docling_multi_page.pdf", "pdf/qd_multiple_columns.pdf", "pdf/pysf_multicolumn.pdf"]
        let expected = files.map { corpus($0).document?.plainText }
        let results = await withTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<3 {
                for (i, file) in files.enumerated() {
                    group.addTask { (i, corpus(file).document?.plainText) }
                }
            }
            var out: [(Int, String?)] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results.count == 12)
        for (i, text) in results {
            #expect(text != nil)
            #expect(text == expected[i])
        }
    }
}
