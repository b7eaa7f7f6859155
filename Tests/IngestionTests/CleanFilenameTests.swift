import Testing

@testable import Ingestion

@Suite("Uploaded file names")
struct CleanFilenameTests {
    @Test("a name is kept as sent (slashes too), without control characters; an old browser's C:\\fakepath\\ is dropped")
    func cleaned() {
        #expect(DocumentLibrary.cleanFilename("<script>alert(1)</script>.pdf") == "<script>alert(1)</script>.pdf")
        #expect(DocumentLibrary.cleanFilename("C:\\fakepath\\nota fiscal.pdf") == "nota fiscal.pdf")
        #expect(DocumentLibrary.cleanFilename("\\\\server\\share\\manual.docx") == "manual.docx")
        #expect(DocumentLibrary.cleanFilename("  pasta/manual.docx ") == "pasta/manual.docx")
        #expect(DocumentLibrary.cleanFilename("a\u{0}b\u{1B}[31m.txt") == "ab[31m.txt")
        #expect(DocumentLibrary.cleanFilename(" \u{7} ") == "document")
        #expect(DocumentLibrary.cleanFilename(String(repeating: "x", count: 300)).count == 255)
    }
}
