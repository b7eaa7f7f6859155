import AdminWeb
import BalcaoApp
import BalcaoTesting
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// The admin page's upload on a disk that fills: a clear, localized 507 and nothing left behind; it works again once
/// space is back.
@Suite("Admin uploads on a full disk", .serialized)
struct AdminStorageFailureTests {
    func upload(_ browser: Browser, files: [(String, Data)], json: Bool = false) async throws -> TestResponse {
        var body = MultipartBody()
        for (filename, contents) in files { body.addFile(name: "files", filename: filename, contents: contents) }
        var headers: HTTPFields = [.contentType: body.contentType]
        headers[AdminRoutes.csrfHeader] = browser.csrf
        if json { headers[.accept] = "application/json" }
        return try await browser.send("/admin/documents", method: .post, headers: headers, body: ByteBuffer(data: body.encoded))
    }

    static func files(in directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var found: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(url.lastPathComponent) }
        }
        return found
    }

    @Test(
        "a full disk: the upload is refused with 507 and the localized reason, no partial file or row is kept, and it works once space is back",
        .enabled(if: SmallFileSystem.unavailableReason == nil, "needs a tmpfs mount (root): \(SmallFileSystem.unavailableReason ?? "")")
    )
    func fullDisk() async throws {
        let disk = try SmallFileSystem(bytes: 16 << 20)
        defer { disk.unmount() }
        let harness = try AdminHarness { $0.storage.dataDirectory = disk.url.path }
        try await harness.createUsers()
        let database = harness.balcao.database
        let temporary = disk.url.appendingPathComponent("tmp")
        let originals = disk.url.appendingPathComponent("originals")
        let text = Data(String(repeating: "O prazo de entrega é de cinco dias úteis. ", count: 20_000).utf8)
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            try await browser.get("/admin/documents")

            // Room for part of the file: it fails in the middle of its bytes.
            try disk.fill(leaving: 128 << 10)
            let json = try await upload(browser, files: [("prazos.txt", text)], json: true)
            #expect(json.status.code == 507, "\(json.status) \(json.text)")
            #expect(json.text.contains("O disco onde o Balcão guarda seus dados está cheio"), "\(json.text)")
            #expect(Self.files(in: temporary).isEmpty)
            #expect(Self.files(in: originals).isEmpty)
            #expect(try database.documents().isEmpty)

            try disk.fill()
            let page = try await upload(browser, files: [("prazos.txt", text), ("outro.txt", Data("Outro.".utf8))])
            #expect(page.status.code == 507, "\(page.status)")
            #expect(page.text.contains("está cheio"))
            #expect(Self.files(in: temporary).isEmpty)
            #expect(Self.files(in: originals).isEmpty)
            #expect(try database.documents().isEmpty)
            // Still signed in, and the pages that only read still work.
            #expect(try await browser.get("/admin/documents").status == .ok)

            disk.free()
            let again = try await upload(browser, files: [("prazos.txt", text)], json: true)
            #expect(again.status == .created, "\(again.text)")
            #expect(try database.documents().map(\.filename) == ["prazos.txt"])
        }
    }
}
