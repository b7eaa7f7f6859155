import BalcaoTesting
import Foundation
import Testing
import WhatsApp

/// A customer's file fetched by the real client from ``FakeGraphAPI`` over loopback HTTP: `GET /{media-id}`, then the
/// download URL with the access token, within the limits, checked against Meta's checksum.
@Suite("Media download over loopback")
struct MediaDownloadTests {
    static let limits = MediaLimits(maxBytes: 64 * 1024, allowedTypes: ["image/jpeg", "application/pdf", "audio/ogg"])

    private func withFake(_ body: (FakeGraphAPI, GraphAPIClient, URL) async throws -> Void) async throws {
        let fake = try await FakeGraphAPI.start(accessToken: "token-123")
        let client = GraphAPIClient(baseURL: fake.baseURL, accessToken: "token-123", timeout: .seconds(60))
        let directory = FileManager.default.temporaryDirectory.appending(path: "balcao-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try await body(fake, client, directory)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    private func files(in directory: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    }

    /// Expects `operation` to throw a ``MediaDownloadError`` and returns it.
    private func failure(_ operation: () async throws -> Void) async -> MediaDownloadError? {
        do {
            try await operation()
            Issue.record("expected a failure")
            return nil
        } catch let error as MediaDownloadError {
            return error
        } catch {
            Issue.record("not a MediaDownloadError: \(error)")
            return nil
        }
    }

    @Test("a voice note is described, downloaded with the token and checked, whichever way Meta writes its checksum")
    func downloads() async throws {
        try await withFake { fake, client, directory in
            let bytes = Data((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            for checksum in [FakeGraphAPI.ChecksumEncoding.hex, .base64] {
                let id = fake.addMedia(bytes, mimeType: "audio/ogg; codecs=opus", checksum: checksum)
                let info = try await client.mediaInfo(id: id)
                #expect(info.id == id)
                #expect(info.mimeType == "audio/ogg; codecs=opus")
                #expect(info.baseMimeType == "audio/ogg")
                #expect(info.fileSize == bytes.count)
                #expect(info.url.contains("/whatsapp_business/attachments/"))
                let file = directory.appending(path: "\(id).ogg")
                let downloaded = try await client.downloadMedia(info, to: file, limits: Self.limits)
                #expect(downloaded.bytes == bytes.count)
                #expect(downloaded.mimeType == "audio/ogg")
                #expect(try Data(contentsOf: file) == bytes)
            }
        }
    }

    @Test("too large (said or found), a type not read, or a wrong checksum ends the file with a reason and keeps nothing")
    func refusals() async throws {
        try await withFake { fake, client, directory in
            let big = Data(repeating: 7, count: 100_000)
            // Declared too large: refused before a byte is downloaded.
            let declared = try await client.mediaInfo(id: fake.addMedia(big, mimeType: "image/jpeg"))
            let before = fake.mediaDownloadCount
            let tooLarge = await failure { _ = try await client.downloadMedia(declared, to: directory.appending(path: "a"), limits: Self.limits) }
            #expect(tooLarge == .tooLarge(limit: Self.limits.maxBytes))
            #expect(fake.mediaDownloadCount == before)
            // Declared small, but larger in fact: stopped while downloading.
            let lying = try await client.mediaInfo(id: fake.addMedia(big, mimeType: "image/jpeg", declaredSize: 10))
            let found = await failure { _ = try await client.downloadMedia(lying, to: directory.appending(path: "b"), limits: Self.limits) }
            #expect(found == .tooLarge(limit: Self.limits.maxBytes))
            // A type this appliance does not read.
            let video = try await client.mediaInfo(id: fake.addMedia(Data("v".utf8), mimeType: "video/mp4"))
            let type = await failure { _ = try await client.downloadMedia(video, to: directory.appending(path: "c"), limits: Self.limits) }
            #expect(type == .unsupportedType("video/mp4"))
            // Bytes that do not match the checksum.
            let corrupt = try await client.mediaInfo(id: fake.addMedia(Data("%PDF-1.4".utf8), mimeType: "application/pdf", checksum: .wrong))
            let mismatch = await failure { _ = try await client.downloadMedia(corrupt, to: directory.appending(path: "d"), limits: Self.limits) }
            #expect(mismatch == .checksumMismatch)
            for error in [tooLarge, found, type, mismatch] { #expect(error?.policy == .doNotRetry) }
            #expect(files(in: directory).isEmpty, "left behind: \(files(in: directory))")
        }
    }

    @Test("a failed download is retried by the send policy's rules; an unknown media id or a wrong token is not")
    func failuresFollowThePolicy() async throws {
        try await withFake { fake, client, directory in
            let info = try await client.mediaInfo(id: fake.addMedia(Data("olá".utf8), mimeType: "application/pdf"))
            fake.failNextMediaDownloads(1, status: 503)
            let unavailable = await failure { _ = try await client.downloadMedia(info, to: directory.appending(path: "x"), limits: Self.limits) }
            #expect(unavailable == .graph(.httpStatus(503, body: "")))
            #expect(unavailable?.policy == .retry)
            #expect(files(in: directory).isEmpty)
            // The next attempt gets the file.
            let file = directory.appending(path: "x")
            #expect(try await client.downloadMedia(info, to: file, limits: Self.limits).bytes == 4)

            let stranger = GraphAPIClient(baseURL: fake.baseURL, accessToken: "wrong", timeout: .seconds(60))
            do {
                _ = try await stranger.mediaInfo(id: info.id)
                Issue.record("a wrong token read the media's description")
            } catch {
                #expect((error as? GraphAPIError)?.code == 190)
            }
            let denied = await failure { _ = try await stranger.downloadMedia(info, to: directory.appending(path: "y"), limits: Self.limits) }
            #expect(denied?.policy == .stopAndAlert)
            do {
                _ = try await client.mediaInfo(id: "../etc/passwd")
                Issue.record("a media id with a path in it was sent")
            } catch {
                #expect(error as? GraphAPIError == .invalidRequest("invalid media id \"../etc/passwd\""))
            }
        }
    }
}
