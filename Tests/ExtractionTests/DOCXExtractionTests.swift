import Foundation
import Testing

@testable import Extraction

@Suite("DOCX: hostile files")
struct DOCXHostileTests {
    @Test func encryptedDOCXIsPasswordProtected() {
        guard case .passwordProtected(let reason)? = corpus("docx/msoff_example_password.docx").error else {
            Issue.record("expected passwordProtected")
            return
        }
        #expect(reason.contains("password-protected DOCX is not supported"))
    }

    @Test func truncatedDOCXIsMalformed() {
        guard case .malformed? = corpus("docx/derived_truncated_half.docx").error else {
            Issue.record("expected malformed, got \(corpus("docx/derived_truncated_half.docx"))")
            return
        }
    }

    @Test func malformedXMLIsMalformed() {
        guard case .malformed(let reason)? = corpus("docx/derived_malformed_document_xml.docx").error else {
            Issue.record("expected malformed")
            return
        }
        #expect(reason.contains("XML"))
    }

    @Test func zipBombWithLyingHeaderIsStoppedWhileInflating() throws {
        var zip = ZipBuilder()
        zip.addZeroBomb("word/document.xml", zeros: 4_000_000, declaredSize: 1_000)
        let url = try temporaryFile("bomb.docx", zip.build())
        let limits = ExtractionLimits(maxUncompressedBytes: 2_000_000, maxCompressionRatio: 100)
        guard case .tooLarge(let reason)? = extract(url, limits: limits).error else {
            Issue.record("expected tooLarge, got \(extract(url, limits: limits))")
            return
        }
        #expect(reason.contains("zip bomb"))
    }

    @Test func zipBombWithHonestHeaderIsRefusedByRatio() throws {
        var zip = ZipBuilder()
        zip.addZeroBomb("word/document.xml", zeros: 3_000_000)
        let url = try temporaryFile("bomb.docx", zip.build())
        guard case .tooLarge? = extract(url, limits: ExtractionLimits(maxCompressionRatio: 100)).error else {
            Issue.record("expected tooLarge")
            return
        }
        guard case .tooLarge? = extract(url, limits: ExtractionLimits(maxUncompressedBytes: 1_000_000)).error else {
            Issue.record("expected tooLarge (total size)")
            return
        }
    }

    @Test func tooManyEntriesIsRefused() throws {
        var zip = ZipBuilder()
        for i in 0..<20 { zip.addStored("word/media/\(i).txt", "x") }
        let url = try temporaryFile("many.docx", zip.build())
        guard case .tooLarge? = extract(url, limits: ExtractionLimits(maxArchiveEntries: 10)).error else {
            Issue.record("expected tooLarge")
            return
        }
    }

    @Test func zipWithoutWordDocumentIsUnsupported() throws {
        var zip = ZipBuilder()
        zip.addStored("hello.txt", "hello")
        let url = try temporaryFile("plain.zip", zip.build())
        guard case .unsupportedFormat? = extract(url).error else {
            Issue.record("expected unsupportedFormat")
            return
        }
    }
}

@Suite("DOCX: structure")
struct DOCXStructureTests {
    @Test func headingsListsAndNumbersFromNumberingXML() throws {
        let doc = try #require(corpus("docx/pandoc_lists.docx").document)
        let items = doc.blocks.filter { if case .listItem = $0.kind { return true } else { return false } }.map(\.text)
        #expect(items.prefix(4) == ["1. one", "2. two", "a. a", "b. b"])
        #expect(doc.blocks.contains { $0.kind == .listItem(level: 2) && $0.text == "• four" })
        let numbered = try #require(corpus("docx/docling_unit_test_headers_numbered.docx").document)
        #expect(numbered.blocks.contains { $0.kind == .heading(level: 2) && $0.text == "1.1. Section 1.1" })
        let headers = try #require(corpus("docx/pandoc_headers.docx").document)
        #expect(headers.blocks.first == TextBlock(kind: .heading(level: 1), text: "A Test of Headers"))
        #expect(headers.blocks.contains { $0.kind == .heading(level: 6) })
    }

    @Test func tablesAsRows() throws {
        let doc = try #require(corpus("docx/pandoc_tables.docx").document)
        #expect(doc.blocks.contains { $0.kind == .tableRow && $0.text == "Lebron James | Basketball | Very High | Leaving Cleveland" })
    }

    @Test func footnotesEndnotesAndTrackedDeletions() throws {
        let notes = try #require(corpus("docx/pandoc_notes.docx").document)
        #expect(notes.blocks.map(\.text).suffix(2) == ["[1] My note.", "[2] This is an endnote at the end of the document."])
        let deletion = try #require(corpus("docx/pandoc_track_changes_deletion.docx").document)
        #expect(deletion.plainText == "This is a text with a deletion.")
    }

    @Test func textBoxesOnce() throws {
        let doc = try #require(corpus("docx/docling_textbox.docx").document)
        let texts = doc.blocks.map(\.text)
        #expect(texts.filter { $0 == "Student falls ill" }.count == 1)
    }

    @Test func synthesizedDocumentFeatures() throws {
        let body = """
            <w:p><w:pPr><w:pStyle w:val="Heading1"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Introdução</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Texto com </w:t></w:r><w:del><w:r><w:delText>apagado </w:delText></w:r></w:del><w:r><w:t>tab</w:t><w:tab/><w:t>e quebra</w:t><w:br/><w:t>Decreto</w:t><w:noBreakHyphen/><w:t>Lei</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>
            <w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>Caixa de texto</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>Caixa de texto</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>A1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>B1</w:t></w:r></w:p>
              <w:tbl><w:tr><w:tc><w:p><w:r><w:t>interna 1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>interna 2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>A2</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>B2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            <w:p><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Subsecção</w:t></w:r></w:p>
            """
        let numbering = """
            <w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
            <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2)"/></w:lvl></w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="7"/></w:num>
            """
        let styles =
            #"<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>"#
        let footnotes = """
            <w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
            <w:footnote w:id="2"><w:p><w:r><w:t>Nota de rodapé.</w:t></w:r></w:p></w:footnote>
            """
        let url = try temporaryFile("features.docx", makeDOCX(body: body, numbering: numbering, styles: styles, footnotes: footnotes))
        let doc = try #require(extract(url).document)
        let blocks = doc.blocks
        #expect(blocks.count == 8)
        #expect(blocks[0] == TextBlock(kind: .heading(level: 1), text: "1. Introdução"))
        #expect(blocks[1] == TextBlock(kind: .paragraph, text: "Texto com tab e quebra Decreto-Lei[1]"))
        #expect(blocks[2] == TextBlock(kind: .paragraph, text: "Caixa de texto"))
        #expect(blocks[3] == TextBlock(kind: .tableRow, text: "A1 | B1"))
        #expect(blocks[4] == TextBlock(kind: .tableRow, text: "interna 1 | interna 2"))
        #expect(blocks[5] == TextBlock(kind: .tableRow, text: "A2 | B2"))
        #expect(blocks[6] == TextBlock(kind: .listItem(level: 1), text: "1.a) Subsecção"))
        #expect(blocks[7] == TextBlock(kind: .paragraph, text: "[1] Nota de rodapé."))
        #expect(doc.format == .docx)
    }

    @Test func footnoteTextIsAppended() throws {
        let body = #"<w:p><w:r><w:t>Corpo</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>"#
        let footnotes = #"<w:footnote w:id="2"><w:p><w:r><w:t>Nota de rodapé.</w:t></w:r></w:p></w:footnote>"#
        let url = try temporaryFile("notes.docx", makeDOCX(body: body, footnotes: footnotes))
        let doc = try #require(extract(url).document)
        #expect(doc.blocks.map(\.text) == ["Corpo[1]", "[1] Nota de rodapé."])
    }
}

@Suite("DOCX: hostile XML")
struct DOCXHostileXMLTests {
    @Test func entityExpansionBombDoesNotExplode() throws {
        // "Billion laughs": nested internal entities in document.xml.
        var entities = #"<!ENTITY lol0 "lollollollollollollollollollol">"#
        for i in 1...9 {
            let refs = String(repeating: "&lol\(i - 1);", count: 10)
            entities += #"<!ENTITY lol\#(i) "\#(refs)">"#
        }
        let document = """
            <?xml version="1.0"?><!DOCTYPE w:document [\(entities)]>\
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\
            <w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>
            """
        var zip = ZipBuilder()
        zip.addStored("word/document.xml", document)
        let url = try temporaryFile("lol.docx", zip.build())
        let start = Date()
        let outcome = extract(url)
        #expect(Date().timeIntervalSince(start) < 20)
        if let doc = outcome.document {
            #expect(doc.plainText.utf8.count < 10_000_000)
        }
    }

    @Test func externalEntitiesAreNotResolved() throws {
        let document = """
            <?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\
            <w:p><w:r><w:t>a&xxe;b</w:t></w:r></w:p></w:body></w:document>
            """
        var zip = ZipBuilder()
        zip.addStored("word/document.xml", document)
        let url = try temporaryFile("xxe.docx", zip.build())
        let hostname = (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "\u{0}"
        if let doc = extract(url).document {
            #expect(!doc.plainText.contains(hostname))
        }
    }
}
