import Foundation
import Testing

@testable import Extraction

@Suite("TXT: encodings")
struct TextDecodingTests {
    /// The Portuguese sample in UTF-8: every pt_* file holds the same text in another encoding.
    static let portuguese: String = {
        let data = (try? Data(contentsOf: Corpus.url("txt/derived_pt_utf-8.txt"))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }()

    static func decode(_ file: String) throws -> DecodedText {
        DocumentExtractor.decodeText(try Data(contentsOf: Corpus.url(file)))
    }

    @Test(
        "legacy Portuguese codepages decode exactly",
        arguments: [
            ("txt/pt_windows-1252-portuguese.txt", "windows-1252"), ("txt/pt_iso-8859-1-portuguese.txt", nil),
            ("txt/pt_iso-8859-15-portuguese.txt", nil), ("txt/pt_macroman-portuguese.txt", "macintosh"),
            ("txt/pt_cp850-portuguese.txt", "ibm850"), ("txt/pt_cp860-portuguese.txt", "ibm860"),
            ("txt/pt_cp500-portuguese.txt", "ibm500"), ("txt/derived_pt_utf-8.txt", "utf-8"),
            ("txt/derived_pt_utf-16le-bom.txt", "utf-16le"),
        ] as [(String, String?)]
    )
    func portugueseCodepages(file: String, encoding: String?) throws {
        let decoded = try Self.decode(file)
        #expect(decoded.text.replacingOccurrences(of: "\u{85}", with: "\n") == Self.portuguese)
        if let encoding { #expect(decoded.encoding == encoding) }
        #expect(decoded.text.contains("Pós-graduação"))
    }

    @Test func doubleEncodedUTF8IsRepaired() throws {
        let decoded = try Self.decode("txt/derived_pt_utf-8-mojibake.txt")
        #expect(decoded.repairedMojibake)
        #expect(decoded.text == Self.portuguese)
        #expect(Mojibake.repair("InformaÃ§Ã£o") == "Informação")
        #expect(Mojibake.repair("Informação") == nil)
    }

    @Test(
        "other languages",
        arguments: [
            ("txt/cn_sample-french-1.txt", "windows-1252", "é"), ("txt/cn_sample-english.bom.txt", "utf-8-sig", "the"),
            ("txt/cn_sample-spanish.txt", "utf-8", "ñ"), ("txt/cn_sample-polish.txt", "utf-8", "ś"),
            ("txt/cn_sample-turkish.txt", "windows-1254", "ı"), ("txt/cn_sample-russian.txt", "x-mac-cyrillic", "и"),
        ]
    )
    func otherLanguages(file: String, encoding: String, sample: String) throws {
        let decoded = try Self.decode(file)
        #expect(decoded.encoding == encoding)
        #expect(decoded.text.contains(sample))
        #expect(!decoded.text.hasPrefix("\u{FEFF}"))
    }

    @Test func utf32AndBigEndianBOMs() {
        let text = "Olá, informação!"
        var be: [UInt8] = [0xFE, 0xFF]
        for u in text.utf16 { be += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        #expect(DocumentExtractor.decodeText(Data(be)).text == text)
        var le32: [UInt8] = [0xFF, 0xFE, 0, 0]
        for s in text.unicodeScalars { le32 += [UInt8(s.value & 0xFF), UInt8((s.value >> 8) & 0xFF), 0, 0] }
        let decoded = DocumentExtractor.decodeText(Data(le32))
        #expect(decoded.text == text)
        #expect(decoded.encoding == "utf-32le")
    }

    @Test func textFilesBecomeParagraphBlocks() throws {
        let url = try temporaryFile("notas.md", Data("# Título\n\nPrimeira linha\ncontinua aqui.\n\n- item um\n- item dois\n".utf8))
        let doc = try #require(extract(url).document)
        #expect(doc.format == .text)
        #expect(
            doc.blocks == [
                TextBlock(kind: .heading(level: 1), text: "Título"),
                TextBlock(kind: .paragraph, text: "Primeira linha continua aqui."),
                TextBlock(kind: .listItem(level: 0), text: "- item um"),
                TextBlock(kind: .listItem(level: 0), text: "- item dois"),
            ]
        )
        let csv = try temporaryFile("tabela.csv", Data("nome,preço\ncafé,1.20\n".utf8))
        #expect(try #require(extract(csv).document).blocks.map(\.kind) == [.tableRow, .tableRow])
    }

    @Test func everyCorpusTextFileExtracts() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Corpus.url("txt").path).sorted()
        #expect(names.count == 16)
        for name in names {
            let doc = try #require(corpus("txt/" + name).document, "\(name)")
            #expect(!doc.blocks.isEmpty, "\(name)")
        }
    }

    @Test func binaryAndDirectoriesAreRefused() throws {
        let elf = try temporaryFile("tool.txt", Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0, 0, 0]))
        guard case .unsupportedFormat? = extract(elf).error else {
            Issue.record("expected unsupportedFormat for an ELF binary named .txt")
            return
        }
        guard case .unsupportedFormat? = extract(elf.deletingLastPathComponent()).error else {
            Issue.record("expected unsupportedFormat for a directory")
            return
        }
        #expect(DocumentExtractor.sniff(Data()) == nil)
        #expect(DocumentExtractor.sniff(Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])) == .docx)
    }
}
