import BalcaoApp
import BalcaoTesting
import Foundation
import Ingestion
import Storage
import Testing

/// Every hostile file of the corpus goes through the real pipeline and ends in a defined state with a reason.
@Suite("Hostile files through the pipeline")
struct HostileFilesTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var password: String?
        var status: DocumentStatus
        var reasonContains: String?
        var testDescription: String { file + (password.map { " (password \($0))" } ?? "") }
    }

    static let cases: [Case] = [
        Case(file: "pdf/derived_truncated_half.pdf", status: .unreadable, reasonContains: nil),
        // A scan, and a JPEG named .pdf (the type comes from the bytes): both read by OCR.
        Case(file: "pdf/docling_ocr_test_scanned.pdf", status: .indexed),
        Case(file: "pdf/derived_jpeg_renamed.pdf", status: .indexed),
        Case(file: "pdf/pdfminer_issue-791-non-unicode-cmap.pdf", status: .unreadable, reasonContains: nil),
        Case(file: "pdf/docling_password_2206.01062_pg3.pdf", status: .failed, reasonContains: "password"),
        Case(file: "pdf/docling_password_2206.01062_pg3.pdf", password: "wrong", status: .failed, reasonContains: "password"),
        Case(file: "pdf/docling_password_2206.01062_pg3.pdf", password: "1234", status: .indexed),
        Case(file: "pdf/pdfminer_aes-256.pdf", password: "foo", status: .indexed),
        Case(file: "pdf/pysf_libreoffice-writer-password.pdf", password: "openpassword", status: .indexed),
        Case(file: "pdf/pdfminer_zen_of_python_corrupted.pdf", status: .indexed),
        Case(file: "docx/msoff_example_password.docx", status: .failed, reasonContains: "password-protected"),
        Case(file: "docx/derived_truncated_half.docx", status: .failed, reasonContains: nil),
        Case(file: "docx/derived_malformed_document_xml.docx", status: .failed, reasonContains: nil),
        Case(file: "docx/derived_pdf_renamed.docx", status: .indexed),
    ]

    @Test("ends in the expected state with a reason", arguments: cases)
    func hostile(_ testCase: Case) async throws {
        let daemon = try TestDaemon()
        let balcao = daemon.balcao
        let registered = try await balcao.library.add(fileAt: SharedFixtures.corpus(testCase.file), agent: nil, password: testCase.password)
        let claimed = try #require(try await balcao.database.claimNextJob())
        await balcao.pipeline.run(claimed)
        let document = try #require(try balcao.database.document(id: registered.document.id!))
        #expect(document.status == testCase.status, "\(document.reason ?? "")")
        if testCase.status == .indexed {
            #expect(document.chunks > 0)
            #expect(document.reason == nil)
        } else {
            let reason = try #require(document.reason)
            #expect(reason.count > 10)
            if let expected = testCase.reasonContains { #expect(reason.lowercased().contains(expected), "\(reason)") }
            #expect(document.chunks == 0)
        }
        #expect(try balcao.database.pendingJobCount() == 0)
    }

    @Test("an empty file is refused at the door as unsupported", arguments: ["pdf/derived_empty.pdf"])
    func refusedAtUpload(_ file: String) async throws {
        let daemon = try TestDaemon()
        await #expect(throws: DocumentLibraryError.unsupportedType) {
            try await daemon.balcao.library.add(fileAt: SharedFixtures.corpus(file), agent: nil, password: nil)
        }
        #expect(try daemon.balcao.database.documents().isEmpty)
    }

    @Test("with OCR switched off, a scan ends needs_ocr with a reason that says so")
    func scanWithOCROff() async throws {
        let daemon = try TestDaemon { $0.ocr.enabled = false }
        let balcao = daemon.balcao
        let registered = try await balcao.library.add(fileAt: SharedFixtures.corpus("pdf/docling_ocr_test_scanned.pdf"), agent: nil, password: nil)
        await balcao.pipeline.run(try #require(try await balcao.database.claimNextJob()))
        let document = try #require(try balcao.database.document(id: registered.document.id!))
        #expect(document.status == .needsOCR)
        #expect(document.reason?.contains("OCR") == true)
        #expect(document.ocrPages == nil)
    }

    @Test("a scan is indexed with each page's OCR confidence, and a question about its text finds it")
    func scanIndexedAndFound() async throws {
        let daemon = try TestDaemon()
        let balcao = daemon.balcao
        let registered = try await balcao.library.add(fileAt: SharedFixtures.corpus("pdf/docling_ocr_test_scanned.pdf"), agent: nil, password: nil)
        await balcao.pipeline.run(try #require(try await balcao.database.claimNextJob()))
        let document = try #require(try balcao.database.document(id: registered.document.id!))
        #expect(document.status == .indexed)
        #expect(document.ocrPages?.map(\.page) == [1])
        #expect((document.ocrConfidence ?? 0) > Document.lowOCRConfidence)
        #expect(document.lowConfidencePages.isEmpty)
        let results = try await balcao.search.search("conversion to JSON and Markdown", limit: 3)
        #expect(results.first?.documentID == registered.document.id)
    }

    @Test("the document password is sealed in the database, never stored in clear")
    func passwordSealed() async throws {
        let daemon = try TestDaemon()
        let registered = try await daemon.balcao.library.add(
            fileAt: SharedFixtures.corpus("pdf/pdfminer_aes-256.pdf"),
            agent: nil,
            password: "foo-secret-password"
        )
        let sealed = try #require(registered.document.sealedPassword)
        #expect(!sealed.contains(Data("foo-secret-password".utf8)))
        let raw = try Data(contentsOf: daemon.balcao.directory.database)
        #expect(!raw.contains(Data("foo-secret-password".utf8)))
    }
}
