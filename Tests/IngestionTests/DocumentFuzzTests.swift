import Extraction
import Foundation
import Storage
import Testing
import ZIPFoundation

@testable import Ingestion

/// Hostile documents through the real reader (`balcao extract` in its child process, with the daemon's limits): made
/// ones (deep DOCX nesting, huge tables, thousands of pages, zero-length pages, long runs, every kind of character)
/// and seeded mutations of the corpus's real files. Each must end as a document or a plain extraction error; a
/// crash, a hang or a memory blow-up (`.stopped`) is a finding.
@Suite("Documents under fuzzing", .timeLimit(.minutes(5)))
struct DocumentFuzzTests {
    static let reader = IsolatedDocumentReader(
        executable: IsolationFixtures.balcao,
        limits: .init(timeout: .seconds(120), memoryBytes: 1 << 30)
    )

    /// Reads `file`; records an issue when the reader was stopped. Returns the outcome for further checks.
    @discardableResult
    static func expectQuiet(_ file: URL, _ label: String) async -> Result<ReadDocument, ExtractionError> {
        do {
            let document = try await reader.read(fileAt: file, password: nil)
            return .success(document)
        } catch {
            if case .stopped(let reason) = error { Issue.record("\(label): \(reason)") }
            return .failure(error)
        }
    }

    // MARK: Made documents

    @Test("DOCX: nesting 5,000 tables deep, a 20,000-row table, 50,000 paragraphs, runs and characters of every kind")
    func madeDOCX() async throws {
        var generator = SeededGenerator(seed: 42)
        let deep =
            String(repeating: "<w:tbl><w:tr><w:tc>", count: 5_000) + "<w:p><w:r><w:t>fundo</w:t></w:r></w:p>"
            + String(repeating: "</w:tc></w:tr></w:tbl>", count: 5_000)
        let row = "<w:tr>" + String(repeating: "<w:tc><w:p><w:r><w:t>célula</w:t></w:r></w:p></w:tc>", count: 8) + "</w:tr>"
        let table = "<w:tbl>" + String(repeating: row, count: 20_000) + "</w:tbl>"
        let paragraphs = (0..<50_000).map { "<w:p><w:r><w:t>Parágrafo \($0).</w:t></w:r></w:p>" }.joined()
        let random = (0..<200).map { _ in
            "<w:p><w:r><w:t xml:space=\"preserve\">\(DOCXFactory.escape(RandomText.make(length: 2_000, using: &generator)))</w:t></w:r></w:p>"
        }.joined()
        let longRun = "<w:p><w:r><w:t>https://x.example/" + String(repeating: "a", count: 200_000) + "</w:t></w:r></w:p>"
        let headings = (1...9).map { "<w:p><w:pPr><w:pStyle w:val=\"Heading\($0)\"/></w:pPr><w:r><w:t>Título \($0)</w:t></w:r></w:p>" }.joined()
        let empty = "<w:p/><w:p><w:r/></w:p><w:tbl/><w:tbl><w:tr/></w:tbl>"
        for (label, body) in [
            ("deep nesting", deep), ("huge table", table), ("50,000 paragraphs", paragraphs), ("random text", random),
            ("long run", longRun), ("headings", headings), ("empty elements", empty),
        ] {
            let file = try DOCXFactory.make(body: body)
            let outcome = await Self.expectQuiet(file, "DOCX \(label)")
            if label == "huge table", case .success(let document) = outcome {
                #expect(document.chunks.count > 100)
            }
        }
    }

    @Test("PDF: 3,000 pages, zero-length pages, a page with one 100,000-letter word, a dense table, a page of every character")
    func madePDF() async throws {
        var generator = SeededGenerator(seed: 7)
        let dense = (0..<120).map { row in (0..<12).map { "\(row)x\($0)" }.joined(separator: " ") }
        let cases: [(String, [[String]])] = [
            ("3,000 pages", (0..<3_000).map { ["Página \($0) do regulamento."] }),
            ("zero-length pages", [[], ["Só esta página tem texto."], [], []]),
            ("only zero-length pages", [[], [], []]),
            ("one long word", [[String(repeating: "a", count: 100_000)]]),
            ("dense table", [dense]),
            ("every character", [(0..<40).map { _ in RandomText.make(length: 80, using: &generator) }]),
        ]
        for (label, pages) in cases {
            let file = try PDFFactory.make(pages: pages)
            let outcome = await Self.expectQuiet(file, "PDF \(label)")
            if label == "3,000 pages" {
                guard case .success(let document) = outcome else {
                    Issue.record("3,000 pages: \(outcome)")
                    continue
                }
                #expect(document.pageCount == 3_000)
            }
        }
    }

    @Test("TXT: a 5 MB line, NULs and control characters, every encoding's bytes, mixed line endings, random bytes")
    func madeText() async throws {
        var generator = SeededGenerator(seed: 3)
        let randomBytes = Data((0..<200_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let controls = Data((0..<100_000).map { UInt8($0 % 32) })
        let cases: [(String, Data)] = [
            ("5 MB line", Data(String(repeating: "a", count: 5_000_000).utf8)),
            ("controls", controls),
            ("random bytes", randomBytes),
            ("mixed endings", Data(String(repeating: "linha\r\noutra\rmais\n\n\r\r", count: 50_000).utf8)),
            ("UTF-16 without BOM", "Olá, mundo! Ação e coração.".data(using: .utf16LittleEndian)!),
            ("lone surrogates", Data([0xED, 0xA0, 0x80, 0x61, 0xED, 0xBF, 0xBF])),
            ("every character", Data(RandomText.make(length: 300_000, using: &generator).utf8)),
        ]
        for (label, data) in cases {
            let file = try IsolationFixtures.directory().appendingPathComponent("fuzz.txt")
            try data.write(to: file)
            await Self.expectQuiet(file, "TXT \(label)")
        }
    }

    // MARK: Mutations of real files

    static let corpusFiles = [
        "pdf/ptlaw_01060115.pdf", "pdf/docling_multi_page.pdf", "pdf/qd_multiple_columns.pdf", "pdf/pysf_GeoTopo-komprimiert.pdf",
        "docx/docling_word_tables.docx", "docx/docling_word_sample.docx", "docx/docling_unit_test_headers_numbered.docx",
        "txt/derived_pt_utf-8.txt", "txt/derived_pt_utf-16le-bom.txt", "txt/pt_cp500-portuguese.txt",
    ]

    /// The number of mutants per corpus file: a handful in `make test`, more with `BALCAO_FUZZ_MUTANTS` (`make fuzz`).
    static let mutantsPerFile = Int(ProcessInfo.processInfo.environment["BALCAO_FUZZ_MUTANTS"] ?? "") ?? 4

    @Test("seeded mutations of the corpus's PDF, DOCX and TXT files", arguments: corpusFiles)
    func mutations(_ relative: String) async throws {
        let original = try Data(contentsOf: IsolationFixtures.corpus.appendingPathComponent(relative))
        let seed = UInt64(ProcessInfo.processInfo.environment["BALCAO_FUZZ_SEED"] ?? "") ?? 20_261_205
        var generator = SeededGenerator(seed: relative.utf8.reduce(seed) { $0 &* 31 &+ UInt64($1) })
        for mutant in 0..<Self.mutantsPerFile {
            let data = Mutator.mutate(original, using: &generator)
            let file = try IsolationFixtures.directory().appendingPathComponent(URL(fileURLWithPath: relative).lastPathComponent)
            try data.write(to: file)
            await Self.expectQuiet(file, "\(relative) mutant \(mutant) (seed \(seed))")
        }
    }
}

/// Seeded byte-level mutations: flips, truncations, duplicated and deleted ranges, inserted junk, and (for zip-based
/// files) damage aimed at the archive's central directory.
enum Mutator {
    static func mutate(_ data: Data, using generator: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        let rounds = Int(generator.next() % 4) + 1
        for _ in 0..<rounds where !bytes.isEmpty {
            let position = Int(generator.next() % UInt64(bytes.count))
            switch generator.next() % 6 {
            case 0:  // flip a few bytes
                for offset in 0..<Int(generator.next() % 16 + 1) where position + offset < bytes.count {
                    bytes[position + offset] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
            case 1:  // truncate
                bytes.removeSubrange(position...)
            case 2:  // duplicate a range
                let end = min(bytes.count, position + Int(generator.next() % 4096))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 3:  // delete a range
                bytes.removeSubrange(position..<min(bytes.count, position + Int(generator.next() % 4096)))
            case 4:  // insert junk
                bytes.insert(contentsOf: (0..<Int(generator.next() % 512)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: position)
            default:  // damage the tail, where a zip's central directory and a PDF's xref live
                let tail = max(0, bytes.count - Int(generator.next() % 512) - 1)
                for index in tail..<bytes.count where generator.next() % 3 == 0 { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            }
        }
        return Data(bytes)
    }
}

/// Minimal DOCX files around a `w:body`.
enum DOCXFactory {
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            // Characters XML 1.0 cannot carry at all are left out, as Word would.
            case _ where scalar.value < 0x20 && ![0x9, 0xA, 0xD].contains(scalar.value): continue
            case _ where scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func make(body: String) throws -> URL {
        let url = try IsolationFixtures.directory().appendingPathComponent("fuzz.docx")
        let archive = try Archive(url: url, accessMode: .create)
        let document = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\(body)</w:body></w:document>
            """
        let types = """
            <?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>
            """
        for (path, text) in [("[Content_Types].xml", types), ("word/document.xml", document)] {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return url
    }
}

/// Minimal PDF files: one page per entry, each line of text drawn with Helvetica; an empty page has an empty content
/// stream.
enum PDFFactory {
    static func make(pages: [[String]]) throws -> URL {
        var objects: [String] = []  // object n is objects[n - 1]
        let pageCount = pages.count
        // 1: catalog, 2: pages, 3: font, then per page: page object, content stream.
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        let kids = (0..<pageCount).map { "\(4 + $0 * 2) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        for (index, lines) in pages.enumerated() {
            let content = lines.enumerated().map { number, line in
                "BT /F1 10 Tf 40 \(800 - number * 12) Td (\(escape(line))) Tj ET"
            }.joined(separator: "\n")
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + index * 2) 0 R >>"
            )
            objects.append("<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream")
        }
        var output = Data("%PDF-1.4\n".utf8)
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(output.count)
            output += Data("\(index + 1) 0 obj\n\(object)\nendobj\n".utf8)
        }
        let xref = output.count
        output += Data("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets { output += Data(String(format: "%010d 00000 n \n", offset).utf8) }
        output += Data("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        let url = try IsolationFixtures.directory().appendingPathComponent("fuzz.pdf")
        try output.write(to: url)
        return url
    }

    /// A PDF string literal's body, in WinAnsi bytes where the character has one, `?` otherwise.
    private static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "(", ")", "\\": escaped += "\\" + String(character)
            case _ where character.isASCII && (character.asciiValue ?? 0) >= 0x20: escaped.append(character)
            default:
                if let byte = String(character).data(using: .windowsCP1252)?.first {
                    escaped += String(format: "\\%03o", byte)
                } else {
                    escaped += "?"
                }
            }
        }
        return escaped
    }
}
